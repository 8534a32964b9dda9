/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-notification-rules"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pc-notification-rules.h"
#include "pc-util.h"

/*
 * When a popup is due, and which. The tray feeds every state it sees
 * (PcStateSnapshot) and shows what comes back; the rules are toolkit-free
 * and take the time as an argument so they can be tested exactly.
 *
 * Popups: a module connecting or turning off, each error appearing (title
 * and the first guidance step), authentication required, the network
 * disconnecting, safe mode starting or stopping.
 *
 * Limits, per key (a module, "network", "safe-mode"):
 *  - at most one popup per PC_NOTIFICATION_RATE_WINDOW_US; a change inside
 *    the window is held back and its latest state shown when the window
 *    ends, unless the module is back where the last popup left it, so a
 *    flapping service produces one popup a minute and the last word is right.
 *    Only a more urgent popup (connected -> error -> captive portal) goes
 *    through inside the window;
 *  - the same popup is not repeated within the duplicate window (a minute,
 *    twelve hours for safe mode);
 *  - with notifications switched off only critical popups are shown.
 */

static const char * const connected_bodies[PC_N_MODULES] = {
  N_("Your internet traffic is protected."),
  N_("Your organization's private applications can be reached."),
  N_("Digital experience monitoring is running."),
};

static const char * const turned_off_bodies[PC_N_MODULES] = {
  N_("Your internet traffic is not protected."),
  N_("Your organization's private applications cannot be reached."),
  N_("Digital experience monitoring is paused."),
};

typedef struct
{
  gboolean  known;
  char     *status;
  char     *error;
  char     *error_detail;
  char     *auth_status;
} ModuleMemory;

typedef struct
{
  gint64          last_shown_us;   /* 0: never */
  PcNotificationUrgency last_urgency;
  GHashTable     *shown_at;        /* "summary\nbody" -> gint64 µs */
  PcNotification *pending;
  gint64          pending_due_us;
} KeyState;

struct _PcNotificationRules
{
  GObject       parent_instance;

  gboolean      enabled;
  gboolean      network_known;
  char         *network;
  ModuleMemory  modules[PC_N_MODULES];
  GHashTable   *keys;   /* key -> KeyState */
};

G_DEFINE_FINAL_TYPE (PcNotificationRules, pc_notification_rules, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (PcNotification, pc_notification,
                     pc_notification_copy, pc_notification_free)

PcNotification *
pc_notification_copy (const PcNotification *notification)
{
  PcNotification *copy;

  g_return_val_if_fail (notification != NULL, NULL);

  copy = g_new0 (PcNotification, 1);
  *copy = *notification;
  copy->key = g_strdup (notification->key);
  copy->summary = g_strdup (notification->summary);
  copy->body = g_strdup (notification->body);

  return copy;
}

void
pc_notification_free (PcNotification *notification)
{
  if (notification == NULL)
    return;

  g_free (notification->key);
  g_free (notification->summary);
  g_free (notification->body);
  g_free (notification);
}

static PcNotification *
pc_notification_new (const char            *key,
                     PcModuleKind           kind,
                     char                  *summary,
                     char                  *body,
                     PcSeverity             severity,
                     PcNotificationUrgency  urgency,
                     PcActions              actions)
{
  PcNotification *notification = g_new0 (PcNotification, 1);

  notification->key = g_strdup (key);
  notification->kind = kind;
  notification->summary = summary;
  notification->body = body;
  notification->icon_name = pc_severity_get_icon_name (severity);
  notification->urgency = urgency;
  notification->actions = actions;

  return notification;
}

static void
key_state_free (KeyState *state)
{
  g_clear_pointer (&state->shown_at, g_hash_table_unref);
  g_clear_pointer (&state->pending, pc_notification_free);
  g_free (state);
}

static void
module_memory_clear (ModuleMemory *memory)
{
  memory->known = FALSE;
  g_clear_pointer (&memory->status, g_free);
  g_clear_pointer (&memory->error, g_free);
  g_clear_pointer (&memory->error_detail, g_free);
  g_clear_pointer (&memory->auth_status, g_free);
}

static void
module_memory_store (ModuleMemory           *memory,
                     const PcModuleSnapshot *snapshot)
{
  module_memory_clear (memory);
  memory->known = TRUE;
  memory->status = g_strdup (snapshot->status);
  memory->error = g_strdup (snapshot->error);
  memory->error_detail = g_strdup (snapshot->error_detail);
  memory->auth_status = g_strdup (snapshot->auth_status);
}

static gboolean
is_empty (const char *s)
{
  return s == NULL || *s == '\0';
}

static gboolean
is_safe_mode (const char *error)
{
  return g_strcmp0 (error, "safe-mode") == 0;
}

static gboolean
is_connected (const char *status,
              const char *error)
{
  return g_strcmp0 (status, "on") == 0 && is_empty (error);
}

static gboolean
is_turned_off (const char *status,
               const char *error)
{
  return is_empty (error) &&
         (g_strcmp0 (status, "off") == 0 || g_strcmp0 (status, "disabled") == 0);
}

static gint64
duplicate_window_for_key (const char *key)
{
  if (g_str_equal (key, "safe-mode"))
    return PC_NOTIFICATION_SAFE_MODE_WINDOW_US;

  return PC_NOTIFICATION_DUPLICATE_WINDOW_US;
}

/* Safe mode has two popups, each at most once in twelve hours: the
 * duplicate window already bounds it, and "stopped" must not wait. */
static gint64
rate_window_for_key (const char *key)
{
  if (g_str_equal (key, "safe-mode"))
    return 0;

  return PC_NOTIFICATION_RATE_WINDOW_US;
}

static KeyState *
pc_notification_rules_get_key_state (PcNotificationRules *self,
                                     const char          *key)
{
  KeyState *state = g_hash_table_lookup (self->keys, key);

  if (state == NULL)
    {
      state = g_new0 (KeyState, 1);
      state->shown_at = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (self->keys, g_strdup (key), state);
    }

  return state;
}

/* Shows, holds back or drops one wanted popup; takes it. */
static void
pc_notification_rules_offer (PcNotificationRules *self,
                             PcNotification      *notification,
                             gint64               now_us,
                             GPtrArray           *out)
{
  g_autoptr(PcNotification) wanted = notification;
  g_autofree char *content = NULL;
  KeyState *state;
  gint64 *shown_at;

  state = pc_notification_rules_get_key_state (self, wanted->key);
  g_clear_pointer (&state->pending, pc_notification_free);

  if (!self->enabled && wanted->urgency != PC_NOTIFICATION_URGENCY_CRITICAL)
    return;

  content = g_strconcat (wanted->summary, "\n", wanted->body, NULL);
  shown_at = g_hash_table_lookup (state->shown_at, content);
  if (shown_at != NULL && now_us - *shown_at < duplicate_window_for_key (wanted->key))
    return;

  /* Held back, unless it is more urgent than the popup that started the
   * window: a captive portal must not wait behind "connected". */
  if (state->last_shown_us != 0 &&
      now_us - state->last_shown_us < rate_window_for_key (wanted->key) &&
      wanted->urgency <= state->last_urgency)
    {
      state->pending_due_us = state->last_shown_us + rate_window_for_key (wanted->key);
      state->pending = g_steal_pointer (&wanted);
      return;
    }

  state->last_shown_us = now_us;
  state->last_urgency = wanted->urgency;
  g_hash_table_insert (state->shown_at, g_steal_pointer (&content), g_memdup2 (&now_us, sizeof now_us));
  g_ptr_array_add (out, g_steal_pointer (&wanted));
}

static PcNotification *
make_error_notification (PcModuleKind            kind,
                         const PcModuleSnapshot *module,
                         const char             *support_contact)
{
  const PcStatusInfo *info = pc_catalog_lookup_or_unknown (module->error);
  g_autofree char *title = pc_catalog_dup_title (module->error, module->error_detail);
  g_auto(GStrv) guidance = pc_catalog_dup_guidance (module->error, kind, support_contact);
  PcActions actions = pc_catalog_get_actions (module->error, kind);
  gboolean critical;

  /* A portal without a web address leaves nothing for Open Browser to open. */
  if (!pc_uri_is_web (module->portal_url))
    actions &= ~PC_ACTION_OPEN_BROWSER;

  /* Both leave the user without a working connection until they act. */
  critical = g_str_equal (module->error, "captive-portal-detected") ||
             g_str_equal (module->error, "fail-close");

  return pc_notification_new (pc_module_kind_to_string (kind), kind,
                              /* Translators: "Internet Security: Captive Portal Detected" */
                              g_strdup_printf (_("%s: %s"), pc_module_kind_get_title (kind), title),
                              g_strdup (guidance[0] != NULL ? guidance[0] : _(info->explanation)),
                              info->severity,
                              critical ? PC_NOTIFICATION_URGENCY_CRITICAL
                                       : PC_NOTIFICATION_URGENCY_NORMAL,
                              actions);
}

/* The popup a module's change calls for, or NULL. */
static PcNotification *
make_module_notification (PcModuleKind            kind,
                          const ModuleMemory     *before,
                          const PcModuleSnapshot *now,
                          const char             *user,
                          const char             *network,
                          const char             *support_contact)
{
  const char *name = pc_module_kind_to_string (kind);
  const char *title = pc_module_kind_get_title (kind);

  if (!is_empty (now->error) && !is_safe_mode (now->error))
    {
      gboolean is_new = !before->known ||
                        g_strcmp0 (before->error, now->error) != 0 ||
                        g_strcmp0 (before->error_detail, now->error_detail) != 0;

      if (!is_new)
        return NULL;

      /* "Authenticating..." is progress, not a problem. */
      if (pc_status_get_severity (now->status, now->error) < PC_SEVERITY_WARNING)
        return NULL;

      /* The network popup already says it. */
      if (g_str_equal (now->error, "network-error") && g_strcmp0 (network, "none") == 0)
        return NULL;

      return make_error_notification (kind, now, support_contact);
    }

  /* A session that expired, on a module the user can sign in to again;
   * logged out, every module wants authentication and the icon says so. */
  if (g_strcmp0 (now->auth_status, "required") == 0 &&
      (!before->known || g_strcmp0 (before->auth_status, "required") != 0) &&
      !is_empty (user) && kind != PC_MODULE_DIGITAL_EXPERIENCE)
    return pc_notification_new (name, kind,
                                /* Translators: %s is a module, "Private Access" */
                                g_strdup_printf (_("%s: Authentication Required"), title),
                                g_strdup (_("Click Authenticate and sign in to continue.")),
                                PC_SEVERITY_WARNING,
                                PC_NOTIFICATION_URGENCY_NORMAL,
                                PC_ACTION_AUTHENTICATE);

  if (!before->known)
    return NULL;

  if (is_connected (now->status, now->error) &&
      !is_connected (before->status, before->error) &&
      !is_safe_mode (before->error))
    return pc_notification_new (name, kind,
                                /* Translators: %s is a module, "Internet Security" */
                                g_strdup_printf (_("%s is connected"), title),
                                g_strdup (_(connected_bodies[kind])),
                                PC_SEVERITY_OK,
                                PC_NOTIFICATION_URGENCY_LOW,
                                PC_ACTION_NONE);

  /* Logging out turns every module off: the user did it, no news. */
  if (is_turned_off (now->status, now->error) &&
      !is_turned_off (before->status, before->error) &&
      !is_empty (user))
    return pc_notification_new (name, kind,
                                /* Translators: %s is a module, "Internet Security" */
                                g_strdup_printf (_("%s is turned off"), title),
                                g_strdup (_(turned_off_bodies[kind])),
                                PC_SEVERITY_OFF,
                                PC_NOTIFICATION_URGENCY_NORMAL,
                                PC_ACTION_NONE);

  return NULL;
}

static void
pc_notification_rules_forget (PcNotificationRules *self)
{
  GHashTableIter iter;
  KeyState *state;

  for (guint i = 0; i < PC_N_MODULES; i++)
    module_memory_clear (&self->modules[i]);
  self->network_known = FALSE;
  g_clear_pointer (&self->network, g_free);

  /* What was held back describes a service that is gone. */
  g_hash_table_iter_init (&iter, self->keys);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &state))
    g_clear_pointer (&state->pending, pc_notification_free);
}

static void
pc_notification_rules_finalize (GObject *object)
{
  PcNotificationRules *self = PC_NOTIFICATION_RULES (object);

  for (guint i = 0; i < PC_N_MODULES; i++)
    module_memory_clear (&self->modules[i]);
  g_clear_pointer (&self->network, g_free);
  g_clear_pointer (&self->keys, g_hash_table_unref);

  G_OBJECT_CLASS (pc_notification_rules_parent_class)->finalize (object);
}

static void
pc_notification_rules_class_init (PcNotificationRulesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pc_notification_rules_finalize;
}

static void
pc_notification_rules_init (PcNotificationRules *self)
{
  self->enabled = TRUE;
  self->keys = g_hash_table_new_full (g_str_hash, g_str_equal,
                                      g_free, (GDestroyNotify) key_state_free);
}

PcNotificationRules *
pc_notification_rules_new (void)
{
  return g_object_new (PC_TYPE_NOTIFICATION_RULES, NULL);
}

/* The Settings switch: off leaves only critical popups. */
void
pc_notification_rules_set_enabled (PcNotificationRules *self,
                                   gboolean             enabled)
{
  g_return_if_fail (PC_IS_NOTIFICATION_RULES (self));

  self->enabled = !!enabled;
}

gboolean
pc_notification_rules_get_enabled (PcNotificationRules *self)
{
  g_return_val_if_fail (PC_IS_NOTIFICATION_RULES (self), FALSE);

  return self->enabled;
}

/*
 * Compares @state with the last one seen and returns the popups to show
 * now (PcNotification, transfer full), oldest rule first.
 */
GPtrArray *
pc_notification_rules_update (PcNotificationRules   *self,
                              const PcStateSnapshot *state,
                              gint64                 now_us)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) pc_notification_free);

  g_return_val_if_fail (PC_IS_NOTIFICATION_RULES (self), NULL);
  g_return_val_if_fail (state != NULL, NULL);

  if (!state->available)
    {
      pc_notification_rules_forget (self);
      return g_steal_pointer (&out);
    }

  if (g_strcmp0 (state->network, "none") == 0 &&
      (!self->network_known || g_strcmp0 (self->network, "none") != 0))
    pc_notification_rules_offer (self,
                                 pc_notification_new ("network", PC_MODULE_INTERNET_SECURITY,
                                                      g_strdup (_("Network disconnected")),
                                                      g_strdup (_("Portcullis reconnects as soon as a network is available.")),
                                                      PC_SEVERITY_ERROR,
                                                      PC_NOTIFICATION_URGENCY_NORMAL,
                                                      PC_ACTION_NONE),
                                 now_us, out);
  self->network_known = TRUE;
  g_free (self->network);
  self->network = g_strdup (state->network);

  for (guint i = 0; i < PC_N_MODULES; i++)
    {
      const PcModuleSnapshot *now = &state->modules[i];
      ModuleMemory *before = &self->modules[i];
      PcNotification *notification;

      if (!now->present)
        {
          module_memory_clear (before);
          continue;
        }

      if (is_safe_mode (now->error) && !(before->known && is_safe_mode (before->error)))
        pc_notification_rules_offer (self,
                                     pc_notification_new ("safe-mode", i,
                                                          g_strdup (_("Safe mode started")),
                                                          pc_catalog_dup_explanation ("safe-mode"),
                                                          PC_SEVERITY_WARNING,
                                                          PC_NOTIFICATION_URGENCY_NORMAL,
                                                          PC_ACTION_NONE),
                                     now_us, out);
      else if (before->known && is_safe_mode (before->error) && !is_safe_mode (now->error))
        pc_notification_rules_offer (self,
                                     pc_notification_new ("safe-mode", i,
                                                          g_strdup (_("Safe mode stopped")),
                                                          g_strdup (_("The secure internet service is back to normal.")),
                                                          PC_SEVERITY_OK,
                                                          PC_NOTIFICATION_URGENCY_NORMAL,
                                                          PC_ACTION_NONE),
                                     now_us, out);

      notification = make_module_notification (i, before, now, state->user, state->network,
                                                state->support_contact);
      if (notification != NULL)
        pc_notification_rules_offer (self, notification, now_us, out);

      module_memory_store (before, now);
    }

  return g_steal_pointer (&out);
}

/* When the earliest held-back popup is due (monotonic µs), or -1. */
gint64
pc_notification_rules_get_next_due (PcNotificationRules *self)
{
  GHashTableIter iter;
  KeyState *state;
  gint64 due = -1;

  g_return_val_if_fail (PC_IS_NOTIFICATION_RULES (self), -1);

  g_hash_table_iter_init (&iter, self->keys);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &state))
    if (state->pending != NULL && (due < 0 || state->pending_due_us < due))
      due = state->pending_due_us;

  return due;
}

/* The held-back popups whose window has ended (transfer full). */
GPtrArray *
pc_notification_rules_flush (PcNotificationRules *self,
                             gint64               now_us)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) pc_notification_free);
  g_autoptr(GPtrArray) due = g_ptr_array_new ();
  GHashTableIter iter;
  KeyState *state;

  g_return_val_if_fail (PC_IS_NOTIFICATION_RULES (self), NULL);

  g_hash_table_iter_init (&iter, self->keys);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &state))
    if (state->pending != NULL && state->pending_due_us <= now_us)
      g_ptr_array_add (due, g_steal_pointer (&state->pending));

  for (guint i = 0; i < due->len; i++)
    pc_notification_rules_offer (self, g_ptr_array_index (due, i), now_us, out);

  return g_steal_pointer (&out);
}
