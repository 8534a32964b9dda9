/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-tray"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <libnotify/notify.h>

#include "pc-error.h"
#include "pc-tray-application.h"
#include "pc-tray-indicator.h"
#include "pc-tray-menu.h"
#include "pc-tray-notifier.h"
#include "pc-util.h"

/*
 * portcullis-tray: one GTK 3 process in the panel all day. It follows the
 * service through PcClient and shows it three ways: the indicator icon,
 * its menu and notification popups. GApplication makes it single
 * instance; a second start just exits. The window is another program
 * (GTK 4); the tray reaches it over D-Bus (org.freedesktop.Application),
 * never by linking it.
 */

#define WINDOW_APP_PATH "/io/github/Portcullis"

struct _PcTrayApplication
{
  GtkApplication   parent_instance;

  /* owned */
  PcClient        *client;
  GSettings       *settings;
  PcTrayMenu      *menu;
  PcTrayIndicator *indicator;
  PcTrayNotifier  *notifier;
  GtkNativeDialog *export_dialog;
  guint            refresh_source;
  guint            sigterm_source;
  guint            sigint_source;
  gboolean         activated;
};

G_DEFINE_FINAL_TYPE (PcTrayApplication, pc_tray_application, GTK_TYPE_APPLICATION)

/* The actions that call the service: enabled only while it is available. */
static const char * const service_actions[] = {
  "retry", "open-browser", "authenticate", "export-logs",
};

static void
pc_tray_application_report_failure (PcTrayApplication *self,
                                    const char        *summary,
                                    const GError      *error)
{
  g_autofree char *message = pc_error_dup_message (error);

  g_warning ("%s: %s", summary, message);
  pc_tray_notifier_show_message (self->notifier,
                                 pc_severity_get_icon_name (PC_SEVERITY_ERROR),
                                 summary, message);
}

static PcDbusModule *
pc_tray_application_lookup_module (PcTrayApplication *self,
                                   GVariant          *parameter)
{
  const char *name = g_variant_get_string (parameter, NULL);
  PcModuleKind kind;

  if (!pc_module_kind_from_string (name, &kind))
    {
      g_warning ("No such module: %s", name);
      return NULL;
    }

  return pc_client_get_module (self->client, kind);
}

static void
on_uri_launched_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(PcTrayApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    pc_tray_application_report_failure (self, _("Cannot open the web browser"), error);
}

/* Only web addresses reach the browser: never file:, or a scheme that starts a program. */
static void
pc_tray_application_open_uri (PcTrayApplication *self,
                              const char        *uri)
{
  if (!pc_uri_is_web (uri))
    {
      g_autoptr(GError) error = g_error_new (PC_ERROR, PC_ERROR_INVALID_ARGS,
                                             _("The service sent “%s”, which is not a web address; it was not opened."),
                                             uri ? uri : "");
      pc_tray_application_report_failure (self, _("Cannot open the web browser"), error);
      return;
    }

  g_debug ("Opening %s", uri);
  g_app_info_launch_default_for_uri_async (uri, NULL, NULL, on_uri_launched_cb, g_object_ref (self));
}

static void
on_retry_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(PcTrayApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!pc_dbus_module_call_retry_finish (PC_DBUS_MODULE (source), result, &error))
    pc_tray_application_report_failure (self, _("Retry failed"), error);
}

static void
retry_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  PcTrayApplication *self = user_data;
  PcDbusModule *module = pc_tray_application_lookup_module (self, parameter);

  if (module != NULL)
    pc_dbus_module_call_retry (module, NULL, on_retry_cb, g_object_ref (self));
}

static void
open_browser_activated (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  PcTrayApplication *self = user_data;
  PcDbusModule *module = pc_tray_application_lookup_module (self, parameter);

  if (module != NULL)
    pc_tray_application_open_uri (self, pc_dbus_module_get_portal_url (module));
}

static void
on_authenticate_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(PcTrayApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  if (!pc_dbus_module_call_authenticate_finish (PC_DBUS_MODULE (source), &url, result, &error))
    {
      pc_tray_application_report_failure (self, _("Authentication failed"), error);
      return;
    }

  /* Empty: nothing for the user to do in a browser. */
  if (url != NULL && *url != '\0')
    pc_tray_application_open_uri (self, url);
}

static void
authenticate_activated (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  PcTrayApplication *self = user_data;
  PcDbusModule *module = pc_tray_application_lookup_module (self, parameter);

  if (module != NULL)
    pc_dbus_module_call_authenticate (module, NULL, on_authenticate_cb, g_object_ref (self));
}

static void
on_window_app_called_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(PcTrayApplication) self = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    pc_tray_application_report_failure (self, _("Cannot open Portcullis"), error);
}

/* Activates the window app (D-Bus activated when it is not running). */
static void
pc_tray_application_call_window (PcTrayApplication *self,
                                 const char        *method,
                                 GVariant          *parameters)
{
  GDBusConnection *connection = g_application_get_dbus_connection (G_APPLICATION (self));

  if (connection == NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                                                     _("There is no session bus to reach the window on."));
      g_variant_unref (g_variant_ref_sink (parameters));
      pc_tray_application_report_failure (self, _("Cannot open Portcullis"), error);
      return;
    }

  g_dbus_connection_call (connection, PC_APP_ID, WINDOW_APP_PATH,
                          "org.freedesktop.Application", method, parameters,
                          NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                          on_window_app_called_cb, g_object_ref (self));
}

static GVariant *
platform_data_new (void)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  return g_variant_builder_end (&builder);
}

static void
open_window_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  PcTrayApplication *self = user_data;

  pc_tray_application_call_window (self, "Activate",
                                   g_variant_new ("(@a{sv})", platform_data_new ()));
}

static void
report_issue_activated (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  PcTrayApplication *self = user_data;

  pc_tray_application_call_window (self, "ActivateAction",
                                   g_variant_new ("(s@av@a{sv})", "report-issue",
                                                  g_variant_new_array (G_VARIANT_TYPE_VARIANT, NULL, 0),
                                                  platform_data_new ()));
}

typedef struct
{
  PcTrayApplication *self;
  char              *path;
  int                fd;
} ExportData;

static void
export_data_free (ExportData *data)
{
  if (data->fd >= 0)
    g_close (data->fd, NULL);
  g_clear_object (&data->self);
  g_free (data->path);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ExportData, export_data_free)

static void
on_export_logs_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(ExportData) data = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;

  if (!pc_dbus_manager_call_export_logs_finish (PC_DBUS_MANAGER (source), NULL, result, &error))
    {
      /* Leave no half-written bundle behind. */
      g_unlink (data->path);
      pc_tray_application_report_failure (data->self, _("Cannot export the logs"), error);
      return;
    }

  /* Translators: %s is the file the logs were saved to */
  body = g_strdup_printf (_("Saved to %s"), data->path);
  pc_tray_notifier_show_message (data->self->notifier, "document-save-symbolic",
                                 _("Logs exported"), body);
}

static void
open_export_file_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  const char *path = task_data;
  int fd;

  /* Opened here, as the user, so the service never writes where the user could not. */
  fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               _("Cannot create %s: %s"), path, g_strerror (saved_errno));
      return;
    }

  g_task_return_int (task, fd);
}

static void
on_export_file_opened_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(ExportData) data = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GUnixFDList) fd_list = NULL;
  PcDbusManager *manager;
  gssize fd;
  int handle;

  fd = g_task_propagate_int (G_TASK (result), &error);
  if (fd < 0)
    {
      pc_tray_application_report_failure (data->self, _("Cannot export the logs"), error);
      return;
    }
  data->fd = fd;

  manager = pc_client_get_manager (data->self->client);
  if (manager == NULL)
    {
      g_set_error_literal (&error, PC_ERROR, PC_ERROR_FAILED,
                           _("The Portcullis service is not running."));
      g_unlink (data->path);
      pc_tray_application_report_failure (data->self, _("Cannot export the logs"), error);
      return;
    }

  fd_list = g_unix_fd_list_new ();
  handle = g_unix_fd_list_append (fd_list, data->fd, &error);
  if (handle < 0)
    {
      pc_tray_application_report_failure (data->self, _("Cannot export the logs"), error);
      return;
    }

  /* The list holds its own copy; ours closes with data. */
  pc_dbus_manager_call_export_logs (manager, g_variant_new_handle (handle), fd_list,
                                    NULL, on_export_logs_cb, g_steal_pointer (&data));
}

static void
on_export_dialog_response_cb (PcTrayApplication *self,
                              int                response,
                              GtkNativeDialog   *dialog)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GTask) task = NULL;
  ExportData *data;

  g_assert (PC_IS_TRAY_APPLICATION (self));
  g_assert (GTK_IS_NATIVE_DIALOG (dialog));

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

  /* The dialog has hidden itself; its portal implementation still uses it
   * after this handler returns, so it is released from an idle, not here. */
  g_idle_add_once ((GSourceOnceFunc) g_object_unref, g_steal_pointer (&self->export_dialog));

  if (file == NULL)
    return;

  if (g_file_peek_path (file) == NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                                     _("Choose a folder on this computer."));
      pc_tray_application_report_failure (self, _("Cannot export the logs"), error);
      return;
    }

  data = g_new0 (ExportData, 1);
  data->self = g_object_ref (self);
  data->path = g_file_get_path (file);
  data->fd = -1;

  task = g_task_new (NULL, NULL, on_export_file_opened_cb, data);
  g_task_set_task_data (task, g_strdup (data->path), g_free);
  g_task_run_in_thread (task, open_export_file_thread);
}

static void
export_logs_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  PcTrayApplication *self = user_data;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *name = g_date_time_format (now, "portcullis-logs-%Y%m%d-%H%M%S.tar.gz");
  GtkFileChooserNative *chooser;

  /* Already asking: a native dialog cannot be raised, and one is enough. */
  if (self->export_dialog != NULL)
    return;

  chooser = gtk_file_chooser_native_new (_("Export Logs"), NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_do_overwrite_confirmation (GTK_FILE_CHOOSER (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect_object (chooser, "response",
                           G_CALLBACK (on_export_dialog_response_cb), self,
                           G_CONNECT_SWAPPED);

  self->export_dialog = GTK_NATIVE_DIALOG (chooser);
  gtk_native_dialog_show (self->export_dialog);
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static const GActionEntry app_entries[] = {
  { "retry", retry_activated, "s" },
  { "open-browser", open_browser_activated, "s" },
  { "authenticate", authenticate_activated, "s" },
  { "open-window", open_window_activated },
  { "export-logs", export_logs_activated },
  { "report-issue", report_issue_activated },
  { "quit", quit_activated },
};

static gboolean
on_refresh_idle_cb (gpointer user_data)
{
  PcTrayApplication *self = user_data;
  gboolean available = pc_client_get_available (self->client);

  self->refresh_source = 0;

  for (guint i = 0; i < G_N_ELEMENTS (service_actions); i++)
    {
      GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), service_actions[i]);

      if (g_action_get_enabled (action) != available)
        g_simple_action_set_enabled (G_SIMPLE_ACTION (action), available);
    }

  pc_tray_menu_update (self->menu, self->client);
  pc_tray_indicator_update (self->indicator, self->client);
  pc_tray_notifier_update (self->notifier, self->client);

  return G_SOURCE_REMOVE;
}

/* Several properties change together: look once they have all arrived. */
static void
on_client_changed_cb (PcTrayApplication *self,
                      PcClient          *client)
{
  g_assert (PC_IS_TRAY_APPLICATION (self));
  g_assert (PC_IS_CLIENT (client));

  if (self->refresh_source == 0)
    self->refresh_source = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, on_refresh_idle_cb, self, NULL);
}

static void
on_notifications_setting_changed_cb (PcTrayApplication *self,
                                     const char        *key,
                                     GSettings         *settings)
{
  g_assert (PC_IS_TRAY_APPLICATION (self));

  pc_tray_notifier_set_enabled (self->notifier, g_settings_get_boolean (settings, "notifications"));
}

static gboolean
on_quit_signal_cb (gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));

  return G_SOURCE_CONTINUE;
}

static GSettings *
settings_new_if_installed (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, PC_APP_ID, TRUE);

  if (schema == NULL)
    {
      g_warning ("The GSettings schema %s is not installed; notifications stay on", PC_APP_ID);
      return NULL;
    }

  return g_settings_new_full (schema, NULL, NULL);
}

static void
pc_tray_application_startup (GApplication *application)
{
  PcTrayApplication *self = PC_TRAY_APPLICATION (application);

  G_APPLICATION_CLASS (pc_tray_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_entries,
                                   G_N_ELEMENTS (app_entries), self);

  if (!notify_init (_("Portcullis")))
    g_warning ("Cannot initialize notifications; popups are off");

  self->client = pc_client_new (pc_bus_type_from_environment ());

  self->menu = g_object_ref_sink (pc_tray_menu_new ());
  gtk_widget_insert_action_group (GTK_WIDGET (self->menu), "app", G_ACTION_GROUP (self));
  self->indicator = pc_tray_indicator_new (GTK_MENU (self->menu));
  self->notifier = pc_tray_notifier_new (G_ACTION_GROUP (self));

  self->settings = settings_new_if_installed ();
  if (self->settings != NULL)
    {
      g_signal_connect_object (self->settings, "changed::notifications",
                               G_CALLBACK (on_notifications_setting_changed_cb), self,
                               G_CONNECT_SWAPPED);
      on_notifications_setting_changed_cb (self, "notifications", self->settings);
    }

  g_signal_connect_object (self->client, "changed",
                           G_CALLBACK (on_client_changed_cb), self,
                           G_CONNECT_SWAPPED);
  on_refresh_idle_cb (self);

  self->sigterm_source = g_unix_signal_add (SIGTERM, on_quit_signal_cb, self);
  self->sigint_source = g_unix_signal_add (SIGINT, on_quit_signal_cb, self);

  /* No window keeps us alive: the tray runs until Quit. */
  g_application_hold (application);
}

static void
pc_tray_application_activate (GApplication *application)
{
  PcTrayApplication *self = PC_TRAY_APPLICATION (application);

  /* The first activation is our own start; a later one is a second
   * `portcullis-tray`, which exits: one tray is enough. */
  if (self->activated)
    g_debug ("Another portcullis-tray was started; this one keeps running");
  self->activated = TRUE;
}

static void
pc_tray_application_shutdown (GApplication *application)
{
  PcTrayApplication *self = PC_TRAY_APPLICATION (application);

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_clear_handle_id (&self->sigterm_source, g_source_remove);
  g_clear_handle_id (&self->sigint_source, g_source_remove);
  if (self->export_dialog != NULL)
    gtk_native_dialog_destroy (self->export_dialog);
  g_clear_object (&self->export_dialog);
  g_clear_object (&self->notifier);
  g_clear_object (&self->indicator);
  if (self->menu != NULL)
    gtk_widget_destroy (GTK_WIDGET (self->menu));
  g_clear_object (&self->menu);
  g_clear_object (&self->settings);
  g_clear_object (&self->client);

  if (notify_is_initted ())
    notify_uninit ();

  G_APPLICATION_CLASS (pc_tray_application_parent_class)->shutdown (application);
}

/*
 * --autostart: started at login (the autostart entry, the user unit). GNOME
 * already skips us when start-at-login is off (X-GNOME-Autostart-Condition);
 * other desktops do not read that key, so the tray checks it itself.
 */
static int
pc_tray_application_handle_local_options (GApplication *application,
                                          GVariantDict *options)
{
  g_autoptr(GSettings) settings = NULL;

  if (!g_variant_dict_contains (options, "autostart"))
    return -1;

  settings = settings_new_if_installed ();
  if (settings != NULL && !g_settings_get_boolean (settings, "start-at-login"))
    {
      g_message ("Not starting: “Start at login” is off");
      return 0;
    }

  return -1;
}

static void
pc_tray_application_class_init (PcTrayApplicationClass *klass)
{
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  application_class->handle_local_options = pc_tray_application_handle_local_options;
  application_class->startup = pc_tray_application_startup;
  application_class->activate = pc_tray_application_activate;
  application_class->shutdown = pc_tray_application_shutdown;
}

static void
pc_tray_application_init (PcTrayApplication *self)
{
  static const GOptionEntry entries[] = {
    { "autostart", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Started at login: exit unless “Start at login” is on"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
}

PcTrayApplication *
pc_tray_application_new (void)
{
  return g_object_new (PC_TYPE_TRAY_APPLICATION,
                       "application-id", PC_TRAY_APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}

PcClient *
pc_tray_application_get_client (PcTrayApplication *self)
{
  g_return_val_if_fail (PC_IS_TRAY_APPLICATION (self), NULL);

  return self->client;
}
