/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-tray"

#include "config.h"

#include <glib/gi18n.h>
#include <libnotify/notify.h>

#include "pc-notification-rules.h"
#include "pc-tray-notifier.h"
#include "pc-util.h"

/*
 * Notification popups through libnotify. Which popup, when, and what is
 * held back is decided by PcNotificationRules (app/common); this class
 * turns its answers into notifications, keeps one per key so a module's
 * next state replaces its previous popup rather than stacking, and wires
 * the popup's buttons to the application's actions.
 */

struct _PcTrayNotifier
{
  GObject              parent_instance;

  /* borrowed: the application, which outlives us */
  GActionGroup        *actions;

  /* owned */
  PcNotificationRules *rules;
  GHashTable          *notifications;   /* key -> NotifyNotification */
  guint                flush_source;
};

G_DEFINE_FINAL_TYPE (PcTrayNotifier, pc_tray_notifier, G_TYPE_OBJECT)

typedef struct
{
  GActionGroup *actions;
  char         *action_name;
  char         *module_name;
} ActionData;

static void
action_data_free (gpointer data)
{
  ActionData *action = data;

  g_free (action->action_name);
  g_free (action->module_name);
  g_free (action);
}

static void
on_notification_action_cb (NotifyNotification *notification,
                           char               *action_id,
                           gpointer            user_data)
{
  ActionData *action = user_data;

  g_assert (NOTIFY_IS_NOTIFICATION (notification));

  g_debug ("Notification action %s (%s)", action->action_name,
           action->module_name ? action->module_name : "");
  g_action_group_activate_action (action->actions, action->action_name,
                                  action->module_name != NULL
                                  ? g_variant_new_string (action->module_name)
                                  : NULL);
}

static void
add_action (PcTrayNotifier     *self,
            NotifyNotification *notification,
            const char         *id,
            const char         *label,
            const char         *action_name,
            const char         *module_name)
{
  ActionData *action = g_new0 (ActionData, 1);

  action->actions = self->actions;
  action->action_name = g_strdup (action_name);
  action->module_name = g_strdup (module_name);
  notify_notification_add_action (notification, id, label,
                                  on_notification_action_cb,
                                  action, action_data_free);
}

static NotifyNotification *
pc_tray_notifier_get_notification (PcTrayNotifier *self,
                                   const char     *key)
{
  NotifyNotification *notification = g_hash_table_lookup (self->notifications, key);

  if (notification == NULL)
    {
      notification = notify_notification_new ("", NULL, NULL);
      notify_notification_set_app_name (notification, _("Portcullis"));
      notify_notification_set_hint_string (notification, "desktop-entry", PC_APP_ID);
      g_hash_table_insert (self->notifications, g_strdup (key), notification);
    }

  return notification;
}

static void
pc_tray_notifier_show (PcTrayNotifier       *self,
                       const PcNotification *wanted)
{
  NotifyNotification *notification;
  const char *module_name = pc_module_kind_to_string (wanted->kind);
  g_autoptr(GError) error = NULL;

  notification = pc_tray_notifier_get_notification (self, wanted->key);
  notify_notification_update (notification, wanted->summary, wanted->body, wanted->icon_name);
  notify_notification_set_urgency (notification,
                                   wanted->urgency == PC_NOTIFICATION_URGENCY_CRITICAL ? NOTIFY_URGENCY_CRITICAL :
                                   wanted->urgency == PC_NOTIFICATION_URGENCY_LOW ? NOTIFY_URGENCY_LOW :
                                   NOTIFY_URGENCY_NORMAL);
  notify_notification_set_category (notification, "network");
  notify_notification_clear_actions (notification);

  /* Clicking the popup itself opens the window. */
  add_action (self, notification, "default", _("Open Portcullis"), "open-window", NULL);
  if (wanted->actions & PC_ACTION_OPEN_BROWSER)
    add_action (self, notification, "open-browser", _("Open Browser"), "open-browser", module_name);
  if (wanted->actions & PC_ACTION_RETRY)
    add_action (self, notification, "retry", _("Retry"), "retry", module_name);
  if (wanted->actions & PC_ACTION_AUTHENTICATE)
    add_action (self, notification, "authenticate", _("Authenticate"), "authenticate", module_name);

  g_debug ("Notification %s: %s", wanted->key, wanted->summary);
  if (!notify_notification_show (notification, &error))
    g_warning ("Cannot show the notification “%s”: %s", wanted->summary, error->message);
}

static void pc_tray_notifier_schedule_flush (PcTrayNotifier *self);

static void
pc_tray_notifier_show_all (PcTrayNotifier *self,
                           GPtrArray      *wanted)
{
  for (guint i = 0; i < wanted->len; i++)
    pc_tray_notifier_show (self, g_ptr_array_index (wanted, i));

  pc_tray_notifier_schedule_flush (self);
}

static gboolean
on_flush_timeout_cb (gpointer user_data)
{
  PcTrayNotifier *self = user_data;
  g_autoptr(GPtrArray) wanted = NULL;

  self->flush_source = 0;
  wanted = pc_notification_rules_flush (self->rules, g_get_monotonic_time ());
  pc_tray_notifier_show_all (self, wanted);

  return G_SOURCE_REMOVE;
}

/* A timer only while a popup is held back: idle means no wakeups. */
static void
pc_tray_notifier_schedule_flush (PcTrayNotifier *self)
{
  gint64 due = pc_notification_rules_get_next_due (self->rules);
  gint64 delay_ms;

  g_clear_handle_id (&self->flush_source, g_source_remove);
  if (due < 0)
    return;

  delay_ms = MAX (0, (due - g_get_monotonic_time () + 999) / 1000);
  self->flush_source = g_timeout_add_full (G_PRIORITY_DEFAULT, delay_ms,
                                           on_flush_timeout_cb, self, NULL);
}

void
pc_tray_notifier_update (PcTrayNotifier *self,
                         PcClient       *client)
{
  PcStateSnapshot state = { 0 };
  g_autoptr(GPtrArray) wanted = NULL;
  g_autofree char *support_contact = NULL;
  PcDbusManager *manager;

  g_return_if_fail (PC_IS_TRAY_NOTIFIER (self));
  g_return_if_fail (PC_IS_CLIENT (client));

  manager = pc_client_get_manager (client);
  state.available = pc_client_get_available (client) && manager != NULL;
  if (state.available)
    {
      support_contact = pc_client_dup_policy_string (client, "support-contact");
      state.user = pc_dbus_manager_get_user (manager);
      state.network = pc_dbus_manager_get_network (manager);
      state.support_contact = support_contact;

      for (guint i = 0; i < PC_N_MODULES; i++)
        {
          PcDbusModule *module = pc_client_get_module (client, i);
          PcModuleSnapshot *snapshot = &state.modules[i];

          if (module == NULL)
            continue;

          snapshot->present = TRUE;
          snapshot->status = pc_dbus_module_get_status (module);
          snapshot->error = pc_dbus_module_get_error (module);
          snapshot->error_detail = pc_dbus_module_get_error_detail (module);
          snapshot->auth_status = pc_dbus_module_get_auth_status (module);
          snapshot->portal_url = pc_dbus_module_get_portal_url (module);
        }
    }

  wanted = pc_notification_rules_update (self->rules, &state, g_get_monotonic_time ());
  pc_tray_notifier_show_all (self, wanted);
}

void
pc_tray_notifier_set_enabled (PcTrayNotifier *self,
                              gboolean        enabled)
{
  g_return_if_fail (PC_IS_TRAY_NOTIFIER (self));

  g_debug ("Notifications %s", enabled ? "on" : "off (critical ones only)");
  pc_notification_rules_set_enabled (self->rules, enabled);
}

/* A one-off popup the rules do not govern: the outcome of a user's click. */
void
pc_tray_notifier_show_message (PcTrayNotifier *self,
                               const char     *icon_name,
                               const char     *summary,
                               const char     *body)
{
  NotifyNotification *notification;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (PC_IS_TRAY_NOTIFIER (self));

  notification = pc_tray_notifier_get_notification (self, "message");
  notify_notification_update (notification, summary, body, icon_name);
  notify_notification_set_urgency (notification, NOTIFY_URGENCY_NORMAL);
  notify_notification_clear_actions (notification);
  if (!notify_notification_show (notification, &error))
    g_warning ("Cannot show the notification “%s”: %s", summary, error->message);
}

static void
pc_tray_notifier_dispose (GObject *object)
{
  PcTrayNotifier *self = PC_TRAY_NOTIFIER (object);

  g_clear_handle_id (&self->flush_source, g_source_remove);
  g_clear_pointer (&self->notifications, g_hash_table_unref);
  g_clear_object (&self->rules);

  G_OBJECT_CLASS (pc_tray_notifier_parent_class)->dispose (object);
}

static void
pc_tray_notifier_class_init (PcTrayNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pc_tray_notifier_dispose;
}

static void
pc_tray_notifier_init (PcTrayNotifier *self)
{
  self->rules = pc_notification_rules_new ();
  self->notifications = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

PcTrayNotifier *
pc_tray_notifier_new (GActionGroup *actions)
{
  PcTrayNotifier *self;

  g_return_val_if_fail (G_IS_ACTION_GROUP (actions), NULL);

  self = g_object_new (PC_TYPE_TRAY_NOTIFIER, NULL);
  self->actions = actions;

  return self;
}
