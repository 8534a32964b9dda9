/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-tray"

#include "config.h"

#include <glib/gi18n.h>

#include "pc-tray-menu.h"
#include "pc-util.h"

/*
 * The tray's menu: a status line per enabled module, the button that fixes
 * the worst problem (Open Browser, Retry, Authenticate) and the app's
 * entries. Items name app.* actions; the application decides what they do
 * and enables the service's ones only while the service is available.
 * libayatana exports the menu over com.canonical.dbusmenu.
 */

struct _PcTrayMenu
{
  GtkMenu       parent_instance;

  /* template widgets */
  GtkWidget    *status_separator;
  GtkWidget    *open_browser_item;
  GtkWidget    *retry_item;
  GtkWidget    *authenticate_item;
  GtkWidget    *actions_separator;
  GtkWidget    *export_logs_item;

  /* owned: the status lines, in menu order */
  GPtrArray    *status_items;
};

G_DEFINE_FINAL_TYPE (PcTrayMenu, pc_tray_menu, GTK_TYPE_MENU)

static void
pc_tray_menu_set_status_lines (PcTrayMenu  *self,
                               GStrv        lines)
{
  guint n_lines = g_strv_length (lines);

  while (self->status_items->len > n_lines)
    {
      GtkWidget *item = g_ptr_array_steal_index (self->status_items, self->status_items->len - 1);
      gtk_widget_destroy (item);
      g_object_unref (item);
    }

  while (self->status_items->len < n_lines)
    {
      GtkWidget *item = gtk_menu_item_new_with_label ("");

      /* A line to read, not a button. */
      gtk_widget_set_sensitive (item, FALSE);
      gtk_widget_show (item);
      gtk_menu_shell_insert (GTK_MENU_SHELL (self), item, self->status_items->len);
      g_ptr_array_add (self->status_items, g_object_ref_sink (item));
    }

  for (guint i = 0; i < n_lines; i++)
    {
      GtkMenuItem *item = g_ptr_array_index (self->status_items, i);

      if (g_strcmp0 (gtk_menu_item_get_label (item), lines[i]) != 0)
        gtk_menu_item_set_label (item, lines[i]);
    }
}

static gboolean
is_empty (const char *s)
{
  return s == NULL || *s == '\0';
}

static void
set_contextual_item (GtkWidget  *item,
                     gboolean    visible,
                     const char *module_name)
{
  if (visible)
    {
      GVariant *target = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (item));

      if (target == NULL || g_strcmp0 (g_variant_get_string (target, NULL), module_name) != 0)
        gtk_actionable_set_action_target_value (GTK_ACTIONABLE (item),
                                                g_variant_new_string (module_name));
    }

  gtk_widget_set_visible (item, visible);
}

void
pc_tray_menu_update (PcTrayMenu *self,
                     PcClient   *client)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) lines = NULL;
  PcDbusModule *worst = NULL;
  PcActions actions = PC_ACTION_NONE;
  const char *worst_name = NULL;

  g_return_if_fail (PC_IS_TRAY_MENU (self));
  g_return_if_fail (PC_IS_CLIENT (client));

  if (!pc_client_get_available (client))
    {
      g_strv_builder_add (builder, _("Portcullis service is not running"));
    }
  else
    {
      GListModel *modules = pc_client_get_modules (client);
      guint n = g_list_model_get_n_items (modules);

      for (guint i = 0; i < n; i++)
        {
          g_autoptr(PcDbusModule) module = g_list_model_get_item (modules, i);
          g_autofree char *state = pc_status_dup_title (pc_dbus_module_get_status (module),
                                                        pc_dbus_module_get_error (module),
                                                        pc_dbus_module_get_error_detail (module));
          /* Translators: "Internet Security: On" */
          g_autofree char *line = g_strdup_printf (_("%s: %s"),
                                                   pc_module_kind_get_title (pc_dbus_module_get_kind_enum (module)),
                                                   state);

          g_strv_builder_add (builder, line);
        }

      if (n == 0)
        g_strv_builder_add (builder, _("No module is enabled"));

      worst = pc_client_get_worst_module (client);
    }

  lines = g_strv_builder_end (builder);
  pc_tray_menu_set_status_lines (self, lines);

  if (worst != NULL)
    {
      PcDbusManager *manager = pc_client_get_manager (client);
      const char *error = pc_dbus_module_get_error (worst);
      PcModuleKind kind = pc_dbus_module_get_kind_enum (worst);

      worst_name = pc_module_kind_to_string (kind);
      if (error != NULL && *error != '\0')
        actions = pc_catalog_get_actions (error, kind);
      /* Logged out, the window's Log In is the way, not a module's Authenticate. */
      if (g_strcmp0 (pc_dbus_module_get_auth_status (worst), "required") == 0 &&
          kind != PC_MODULE_DIGITAL_EXPERIENCE && manager != NULL &&
          !is_empty (pc_dbus_manager_get_user (manager)))
        actions |= PC_ACTION_AUTHENTICATE;
      if (!pc_uri_is_web (pc_dbus_module_get_portal_url (worst)))
        actions &= ~PC_ACTION_OPEN_BROWSER;
    }

  set_contextual_item (self->open_browser_item, actions & PC_ACTION_OPEN_BROWSER, worst_name);
  set_contextual_item (self->retry_item, actions & PC_ACTION_RETRY, worst_name);
  set_contextual_item (self->authenticate_item, actions & PC_ACTION_AUTHENTICATE, worst_name);
  gtk_widget_set_visible (self->actions_separator, actions != PC_ACTION_NONE);

  /* What the policy forbids is not offered at all. */
  gtk_widget_set_visible (self->export_logs_item,
                          pc_client_get_policy_boolean (client, "export-logs", TRUE));
}

static void
pc_tray_menu_dispose (GObject *object)
{
  PcTrayMenu *self = PC_TRAY_MENU (object);

  g_clear_pointer (&self->status_items, g_ptr_array_unref);

  G_OBJECT_CLASS (pc_tray_menu_parent_class)->dispose (object);
}

static void
pc_tray_menu_class_init (PcTrayMenuClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pc_tray_menu_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/Portcullis/Tray/pc-tray-menu.ui");
  gtk_widget_class_bind_template_child (widget_class, PcTrayMenu, status_separator);
  gtk_widget_class_bind_template_child (widget_class, PcTrayMenu, open_browser_item);
  gtk_widget_class_bind_template_child (widget_class, PcTrayMenu, retry_item);
  gtk_widget_class_bind_template_child (widget_class, PcTrayMenu, authenticate_item);
  gtk_widget_class_bind_template_child (widget_class, PcTrayMenu, actions_separator);
  gtk_widget_class_bind_template_child (widget_class, PcTrayMenu, export_logs_item);
}

static void
pc_tray_menu_init (PcTrayMenu *self)
{
  self->status_items = g_ptr_array_new_with_free_func (g_object_unref);

  gtk_widget_init_template (GTK_WIDGET (self));
}

PcTrayMenu *
pc_tray_menu_new (void)
{
  return g_object_new (PC_TYPE_TRAY_MENU, NULL);
}
