/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "portcullis-window"

#include "config.h"

#include <glib/gi18n.h>

#include "pc-more-window.h"
#include "pc-util.h"

/*
 * More: About (versions, the app policy), Troubleshoot (restart, repair,
 * logs, report an issue) and Settings (GSettings the tray reads too).
 * What the policy forbids is hidden here and refused by the service.
 */

struct _PcMoreWindow
{
  AdwPreferencesWindow  parent_instance;

  /* template widgets */
  AdwActionRow         *app_version_row;
  AdwActionRow         *service_version_row;
  AdwActionRow         *app_policy_row;
  AdwPreferencesGroup  *service_group;
  AdwActionRow         *restart_service_row;
  AdwActionRow         *repair_app_row;
  AdwActionRow         *export_logs_row;
  AdwActionRow         *clear_logs_row;
  AdwComboRow          *log_level_row;
  AdwActionRow         *report_issue_row;
  AdwPreferencesGroup  *settings_group;
  GtkSwitch            *notifications_switch;
  GtkSwitch            *start_at_login_switch;

  /* owned */
  PcClient             *client;
  GSettings            *settings;

  gboolean              syncing;
};

G_DEFINE_FINAL_TYPE (PcMoreWindow, pc_more_window, ADW_TYPE_PREFERENCES_WINDOW)

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const log_levels[] = { "error", "warn", "info", "debug" };

static void
set_subtitle (AdwActionRow *row,
              const char   *value)
{
  if (value == NULL || *value == '\0')
    value = _("Unavailable");
  if (g_strcmp0 (adw_action_row_get_subtitle (row), value) != 0)
    adw_action_row_set_subtitle (row, value);
}

void
pc_more_window_sync (PcMoreWindow *self)
{
  PcDbusManager *manager;
  gboolean available, may_restart, may_repair;
  g_autofree char *contact = NULL;
  g_autofree char *url = NULL;
  g_autofree char *report_subtitle = NULL;

  g_return_if_fail (PC_IS_MORE_WINDOW (self));

  manager = pc_client_get_manager (self->client);
  available = pc_client_get_available (self->client);

  set_subtitle (self->service_version_row, manager ? pc_dbus_manager_get_version (manager) : NULL);
  set_subtitle (self->app_policy_row, manager ? pc_dbus_manager_get_profile (manager) : NULL);

  adw_preferences_group_set_description (self->service_group,
                                         available ? NULL
                                         : _("The Portcullis service is not running. These options come back as soon as it does."));

  /* Hidden when the policy forbids them; the service refuses them too. */
  may_restart = pc_client_get_policy_boolean (self->client, "restart-service", TRUE);
  may_repair = pc_client_get_policy_boolean (self->client, "repair-app", TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->restart_service_row), may_restart);
  gtk_widget_set_visible (GTK_WIDGET (self->repair_app_row), may_repair);
  /* No empty card when the policy leaves nothing in it. */
  gtk_widget_set_visible (GTK_WIDGET (self->service_group), may_restart || may_repair);
  gtk_widget_set_visible (GTK_WIDGET (self->export_logs_row),
                          pc_client_get_policy_boolean (self->client, "export-logs", TRUE));

  contact = pc_client_dup_policy_string (self->client, "support-contact");
  url = pc_client_dup_policy_string (self->client, "support-url");
  if (contact != NULL || url != NULL)
    /* Translators: %s is the support contact or address */
    report_subtitle = g_strdup_printf (_("Describe the problem and send it with the logs to %s"),
                                       contact ? contact : url);
  else
    report_subtitle = g_strdup (_("Describe the problem and save it with the logs for your IT support"));
  adw_action_row_set_subtitle (self->report_issue_row, report_subtitle);

  self->syncing = TRUE;
  if (manager != NULL)
    {
      const char *level = pc_dbus_manager_get_log_level (manager);

      for (guint i = 0; i < G_N_ELEMENTS (log_levels); i++)
        if (g_strcmp0 (level, log_levels[i]) == 0)
          adw_combo_row_set_selected (self->log_level_row, i);
    }
  self->syncing = FALSE;
}

static void
on_log_level_selected_cb (PcMoreWindow *self,
                          GParamSpec   *pspec,
                          AdwComboRow  *row)
{
  guint selected = adw_combo_row_get_selected (row);
  PcDbusManager *manager = pc_client_get_manager (self->client);

  g_assert (PC_IS_MORE_WINDOW (self));

  if (self->syncing || selected >= G_N_ELEMENTS (log_levels) || manager == NULL ||
      g_strcmp0 (pc_dbus_manager_get_log_level (manager), log_levels[selected]) == 0)
    return;

  gtk_widget_activate_action (GTK_WIDGET (self), "app.set-log-level", "s", log_levels[selected]);
}

static void
on_client_changed_cb (PcMoreWindow *self,
                      PcClient     *client)
{
  g_assert (PC_IS_MORE_WINDOW (self));

  pc_more_window_sync (self);
}

static void
setup_settings (PcMoreWindow *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, PC_APP_ID, TRUE);

  if (schema == NULL)
    {
      adw_preferences_group_set_description (self->settings_group,
                                             _("Settings cannot be changed: the io.github.Portcullis schema is not installed."));
      gtk_widget_set_sensitive (GTK_WIDGET (self->notifications_switch), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->start_at_login_switch), FALSE);
      return;
    }

  self->settings = g_settings_new_full (schema, NULL, NULL);
  g_settings_bind (self->settings, "notifications", self->notifications_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "start-at-login", self->start_at_login_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
}

static void
pc_more_window_constructed (GObject *object)
{
  PcMoreWindow *self = PC_MORE_WINDOW (object);

  G_OBJECT_CLASS (pc_more_window_parent_class)->constructed (object);

  set_subtitle (self->app_version_row, PACKAGE_VERSION);
  setup_settings (self);

  g_signal_connect_object (self->client, "changed",
                           G_CALLBACK (on_client_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->log_level_row, "notify::selected",
                           G_CALLBACK (on_log_level_selected_cb), self,
                           G_CONNECT_SWAPPED);
  pc_more_window_sync (self);
}

static void
pc_more_window_dispose (GObject *object)
{
  PcMoreWindow *self = PC_MORE_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), PC_TYPE_MORE_WINDOW);
  g_clear_object (&self->settings);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (pc_more_window_parent_class)->dispose (object);
}

static void
pc_more_window_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  PcMoreWindow *self = PC_MORE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_more_window_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  PcMoreWindow *self = PC_MORE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_more_window_class_init (PcMoreWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = pc_more_window_constructed;
  object_class->dispose = pc_more_window_dispose;
  object_class->get_property = pc_more_window_get_property;
  object_class->set_property = pc_more_window_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL,
                         PC_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/Portcullis/pc-more-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PcMoreWindow, app_version_row);
  gtk_widget_class_bind_template_child (widget_class, PcMoreWindow, service_version_row);
  gtk_widget_class_bind_template_child (widget_class, PcMoreWindow, app_policy_row);
  gtk_widget_class_bind_template_child (widget_class, PcMoreWindow, service_group);
  gtk_widget_class_bind_template_child (widget_class, PcMoreWindow, restart_service_row);
  gtk_widget_class_bind_template_child (widget_class, PcMoreWindow, repair_app_row);
  gtk_widget_class_bind_template_child (widget_class, PcMoreWindow, export_logs_row);
  gtk_widget_class_bind_template_child (widget_class, PcMoreWindow, clear_logs_row);
  gtk_widget_class_bind_template_child (widget_class, PcMoreWindow, log_level_row);
  gtk_widget_class_bind_template_child (widget_class, PcMoreWindow, report_issue_row);
  gtk_widget_class_bind_template_child (widget_class, PcMoreWindow, settings_group);
  gtk_widget_class_bind_template_child (widget_class, PcMoreWindow, notifications_switch);
  gtk_widget_class_bind_template_child (widget_class, PcMoreWindow, start_at_login_switch);
}

static void
pc_more_window_init (PcMoreWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

PcMoreWindow *
pc_more_window_new (PcClient *client)
{
  g_return_val_if_fail (PC_IS_CLIENT (client), NULL);

  return g_object_new (PC_TYPE_MORE_WINDOW, "client", client, NULL);
}
