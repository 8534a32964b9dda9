/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "portcullis-window"

#include "config.h"

#include <glib/gi18n.h>
#include <gio/gunixfdlist.h>
#include <gio/gfiledescriptorbased.h>

#include "pc-application.h"
#include "pc-error.h"
#include "pc-format.h"
#include "pc-more-window.h"
#include "pc-report-dialog.h"
#include "pc-util.h"
#include "pc-window.h"
#include "pc-window-resources.h"

/*
 * The application: one instance per session (the tray and `gapplication
 * action` reach it over D-Bus), the client model, and the app.* actions
 * that act on the whole service. Closing the windows stops nothing: the
 * service keeps running on its own.
 */

struct _PcApplication
{
  AdwApplication  parent_instance;

  /* owned */
  PcClient       *client;

  /* borrowed: destroyed with their window */
  PcMoreWindow   *more_window;

  gboolean        restart_busy;
  gboolean        repair_busy;
  gboolean        export_busy;
  gboolean        clear_busy;
  gboolean        log_level_busy;
  gboolean        update_busy;
};

G_DEFINE_FINAL_TYPE (PcApplication, pc_application, ADW_TYPE_APPLICATION)

static void pc_application_update_actions (PcApplication *self);

GtkWindow *
pc_application_get_main_window (PcApplication *self)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  for (GList *l = windows; l != NULL; l = l->next)
    if (PC_IS_WINDOW (l->data))
      return l->data;

  return NULL;
}

static GtkWindow *
ensure_main_window (PcApplication *self)
{
  GtkWindow *window = pc_application_get_main_window (self);

  if (window == NULL)
    window = GTK_WINDOW (pc_window_new (ADW_APPLICATION (self), self->client));

  return window;
}

/* Dialogs and toasts go where the user is looking. */
static GtkWindow *
get_parent_window (PcApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (PC_IS_WINDOW (window) || PC_IS_MORE_WINDOW (window))
    return window;

  /* Started for an action (the tray's Report an Issue, say): show the
   * window the dialog belongs to, rather than a hidden one that would keep
   * the app running unseen. */
  window = ensure_main_window (self);
  if (!gtk_widget_get_visible (GTK_WIDGET (window)))
    gtk_window_present (window);
  return window;
}

static void
add_toast (PcApplication *self,
           AdwToast      *toast)
{
  GtkWindow *window = get_parent_window (self);

  if (PC_IS_MORE_WINDOW (window))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (window), toast);
  else
    pc_window_add_toast (PC_WINDOW (window), toast);
}

void
pc_application_toast (PcApplication *self,
                      const char    *message)
{
  AdwToast *toast;

  g_return_if_fail (PC_IS_APPLICATION (self));

  toast = adw_toast_new (message);
  adw_toast_set_timeout (toast, 6);
  /* The latest news replaces what is on screen rather than queueing
   * behind it. */
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  add_toast (self, toast);
}

static void
toast_error (PcApplication *self,
             const char    *what,
             const GError  *error)
{
  g_autofree char *message = pc_error_dup_message (error);
  g_autofree char *text = g_strdup_printf (_("%s: %s"), what, message);

  pc_application_toast (self, text);
}

static AdwMessageDialog *
confirm (PcApplication *self,
         const char    *heading,
         const char    *body,
         const char    *response,
         const char    *response_label,
         GCallback      on_response)
{
  GtkWidget *dialog = adw_message_dialog_new (get_parent_window (self), heading, body);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("Cancel"),
                                    response, response_label,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), response,
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), response);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", on_response, self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));

  return ADW_MESSAGE_DIALOG (dialog);
}

/* app.activate, app.open-module, app.more, app.about, app.quit */

static void
activate_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  g_application_activate (G_APPLICATION (user_data));
}

static void
open_module_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  PcApplication *self = user_data;
  GtkWindow *window = ensure_main_window (self);

  pc_window_show_module (PC_WINDOW (window), g_variant_get_string (parameter, NULL));
  gtk_window_present (window);
}

static void
more_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  PcApplication *self = user_data;

  if (self->more_window == NULL)
    {
      self->more_window = pc_more_window_new (self->client);
      gtk_window_set_application (GTK_WINDOW (self->more_window), GTK_APPLICATION (self));
      gtk_window_set_transient_for (GTK_WINDOW (self->more_window),
                                    pc_application_get_main_window (self));
      g_object_add_weak_pointer (G_OBJECT (self->more_window), (gpointer *) &self->more_window);
    }

  gtk_window_present (GTK_WINDOW (self->more_window));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  PcApplication *self = user_data;
  PcDbusManager *manager = pc_client_get_manager (self->client);
  g_autofree char *debug_info = NULL;
  static const char *developers[] = { "The Portcullis contributors", NULL };
  GtkWidget *about;

  debug_info = g_strdup_printf ("Portcullis %s\nService: %s\nApp policy: %s\nBus: %s\n",
                                PACKAGE_VERSION,
                                manager ? pc_dbus_manager_get_version (manager) : "unavailable",
                                manager ? pc_dbus_manager_get_profile (manager) : "unavailable",
                                pc_client_get_bus_type (self->client) == G_BUS_TYPE_SESSION ? "session" : "system");

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", get_parent_window (self),
                        "application-name", _("Portcullis"),
                        "application-icon", PC_APP_ID,
                        "version", PACKAGE_VERSION,
                        "developer-name", _("The Portcullis contributors"),
                        "developers", developers,
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "comments", _("Shows whether your traffic is protected and, when it is not, why, and the one click that fixes it."),
                        "website", "https://github.com/portcullis/portcullis",
                        "issue-url", "https://github.com/portcullis/portcullis/issues",
                        "debug-info", debug_info,
                        "debug-info-filename", "portcullis-debug-info.txt",
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

/* app.restart-service */

static void
on_restart_done_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(PcApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  self->restart_busy = FALSE;
  pc_application_update_actions (self);

  if (!pc_dbus_manager_call_restart_service_finish (PC_DBUS_MANAGER (source), result, &error))
    toast_error (self, _("Could not restart the service"), error);
  else
    pc_application_toast (self, _("The service is restarting…"));
}

static void
on_restart_response_cb (PcApplication    *self,
                        const char       *response,
                        AdwMessageDialog *dialog)
{
  PcDbusManager *manager = pc_client_get_manager (self->client);

  g_assert (PC_IS_APPLICATION (self));

  if (!g_str_equal (response, "restart") || manager == NULL || self->restart_busy)
    return;

  self->restart_busy = TRUE;
  pc_application_update_actions (self);
  pc_dbus_manager_call_restart_service (manager, NULL, on_restart_done_cb, g_object_ref (self));
}

static void
restart_service_action (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  confirm (user_data,
           _("Restart the Portcullis Service?"),
           _("Protection pauses for a few seconds while the service restarts."),
           "restart", _("Restart"),
           G_CALLBACK (on_restart_response_cb));
}

/* app.repair-app */

static void
on_repair_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(PcApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) report = NULL;
  g_autofree char *text = NULL;
  GtkWidget *dialog;

  self->repair_busy = FALSE;
  pc_application_update_actions (self);

  if (!pc_dbus_manager_call_repair_app_finish (PC_DBUS_MANAGER (source), &report, result, &error))
    {
      toast_error (self, _("Repair failed"), error);
      return;
    }

  text = pc_format_report (report);
  dialog = adw_message_dialog_new (get_parent_window (self), _("Repair Finished"), text);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_repair_response_cb (PcApplication    *self,
                       const char       *response,
                       AdwMessageDialog *dialog)
{
  PcDbusManager *manager = pc_client_get_manager (self->client);

  g_assert (PC_IS_APPLICATION (self));

  if (!g_str_equal (response, "repair") || manager == NULL || self->repair_busy)
    return;

  self->repair_busy = TRUE;
  pc_application_update_actions (self);
  pc_application_toast (self, _("Repairing Portcullis…"));
  pc_dbus_manager_call_repair_app (manager, NULL, on_repair_done_cb, g_object_ref (self));
}

static void
repair_app_action (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  confirm (user_data,
           _("Repair Portcullis?"),
           _("Portcullis checks its tunnel driver, settings and files and restores "
             "what is broken. Protection may pause for a moment."),
           "repair", _("Repair"),
           G_CALLBACK (on_repair_response_cb));
}

/* Export Logs: the file is opened here, as the user; the service writes
 * the bundle into the descriptor it is handed. */

typedef struct
{
  GFile             *file;
  GFileOutputStream *stream;
  GError            *error;
} ExportData;

static void
export_data_free (ExportData *data)
{
  g_clear_object (&data->file);
  g_clear_object (&data->stream);
  g_clear_error (&data->error);
  g_free (data);
}

static void
on_export_deleted_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ExportData *data = g_task_get_task_data (task);

  g_file_delete_finish (G_FILE (source), result, NULL);
  g_task_return_error (task, g_steal_pointer (&data->error));
}

static void
on_export_closed_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ExportData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (source), result, &error) &&
      data->error == NULL)
    data->error = g_steal_pointer (&error);

  if (data->error != NULL)
    {
      /* No half-written bundle left behind. */
      g_file_delete_async (data->file, G_PRIORITY_DEFAULT, NULL,
                           on_export_deleted_cb, g_steal_pointer (&task));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
on_export_logs_done_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ExportData *data = g_task_get_task_data (task);

  pc_dbus_manager_call_export_logs_finish (PC_DBUS_MANAGER (source), NULL, result, &data->error);
  g_output_stream_close_async (G_OUTPUT_STREAM (data->stream), G_PRIORITY_DEFAULT, NULL,
                               on_export_closed_cb, g_steal_pointer (&task));
}

static void
on_export_file_replaced_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ExportData *data = g_task_get_task_data (task);
  PcApplication *self = g_task_get_source_object (task);
  PcDbusManager *manager = pc_client_get_manager (self->client);
  g_autoptr(GUnixFDList) fd_list = NULL;
  GCancellable *cancellable;
  GError *error = NULL;
  int fd;

  data->stream = g_file_replace_finish (G_FILE (source), result, &error);
  if (data->stream == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (!G_IS_FILE_DESCRIPTOR_BASED (data->stream) || manager == NULL)
    {
      data->error = manager == NULL
        ? g_error_new_literal (PC_ERROR, PC_ERROR_FAILED, _("The Portcullis service is not available."))
        : g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("Logs can only be saved to a local folder."));
      g_output_stream_close_async (G_OUTPUT_STREAM (data->stream), G_PRIORITY_DEFAULT, NULL,
                                   on_export_closed_cb, g_steal_pointer (&task));
      return;
    }

  fd = g_file_descriptor_based_get_fd (G_FILE_DESCRIPTOR_BASED (data->stream));
  fd_list = g_unix_fd_list_new ();
  if (g_unix_fd_list_append (fd_list, fd, &data->error) < 0)
    {
      g_output_stream_close_async (G_OUTPUT_STREAM (data->stream), G_PRIORITY_DEFAULT, NULL,
                                   on_export_closed_cb, g_steal_pointer (&task));
      return;
    }

  cancellable = g_task_get_cancellable (task);
  pc_dbus_manager_call_export_logs (manager, g_variant_new_handle (0), fd_list, cancellable,
                                    on_export_logs_done_cb, g_steal_pointer (&task));
}

void
pc_application_export_logs_async (PcApplication       *self,
                                  GFile               *file,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ExportData *data;

  g_return_if_fail (PC_IS_APPLICATION (self));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pc_application_export_logs_async);
  data = g_new0 (ExportData, 1);
  data->file = g_object_ref (file);
  g_task_set_task_data (task, data, (GDestroyNotify) export_data_free);

  g_file_replace_async (file, NULL, FALSE,
                        G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                        G_PRIORITY_DEFAULT, cancellable,
                        on_export_file_replaced_cb, g_steal_pointer (&task));
}

gboolean
pc_application_export_logs_finish (PcApplication  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_logs_exported_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  PcApplication *self = PC_APPLICATION (source);
  g_autoptr(GFile) file = user_data;
  g_autoptr(GFile) folder = g_file_get_parent (file);
  g_autoptr(GError) error = NULL;
  g_autofree char *basename = g_file_get_basename (file);
  g_autofree char *title = NULL;
  g_autofree char *folder_uri = g_file_get_uri (folder);
  AdwToast *toast;

  self->export_busy = FALSE;
  pc_application_update_actions (self);

  if (!pc_application_export_logs_finish (self, result, &error))
    {
      toast_error (self, _("Could not export the logs"), error);
      return;
    }

  /* Translators: %s is a file name */
  title = g_strdup_printf (_("Logs exported to “%s”"), basename);
  toast = adw_toast_new (title);
  adw_toast_set_timeout (toast, 10);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_button_label (toast, _("Open Folder"));
  adw_toast_set_action_name (toast, "app.open-folder");
  adw_toast_set_action_target_value (toast, g_variant_new_string (folder_uri));
  add_toast (self, toast);
}

static void
export_logs_to_action (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  PcApplication *self = user_data;
  g_autoptr(GFile) file = g_file_new_for_path (g_variant_get_string (parameter, NULL));

  if (self->export_busy)
    return;

  self->export_busy = TRUE;
  pc_application_update_actions (self);
  pc_application_export_logs_async (self, file, NULL, on_logs_exported_cb, g_object_ref (file));
}

static void
on_export_chooser_response_cb (PcApplication        *self,
                               int                   response,
                               GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;

  g_assert (PC_IS_APPLICATION (self));

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))) != NULL &&
      g_file_peek_path (file) != NULL)
    g_action_group_activate_action (G_ACTION_GROUP (self), "export-logs-to",
                                    g_variant_new_string (g_file_peek_path (file)));

  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (chooser);
}

static void
export_logs_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  PcApplication *self = user_data;
  GtkFileChooserNative *chooser;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *name = g_date_time_format (now, "portcullis-logs-%Y%m%d-%H%M%S.tar.gz");

  chooser = gtk_file_chooser_native_new (_("Export Logs"),
                                         get_parent_window (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("Export"), _("Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect_object (chooser, "response", G_CALLBACK (on_export_chooser_response_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
on_folder_shown_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(PcApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!gtk_show_uri_full_finish (GTK_WINDOW (source), result, &error))
    toast_error (self, _("Could not open the folder"), error);
}

/* Only a local folder we saved into ourselves; never a URL from the service. */
static void
open_folder_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  PcApplication *self = user_data;
  const char *uri = g_variant_get_string (parameter, NULL);

  if (!g_str_has_prefix (uri, "file://"))
    return;

  gtk_show_uri_full (get_parent_window (self), uri, GDK_CURRENT_TIME, NULL,
                     on_folder_shown_cb, g_object_ref (self));
}

/* app.clear-logs */

static void
on_clear_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(PcApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  self->clear_busy = FALSE;
  pc_application_update_actions (self);

  if (!pc_dbus_manager_call_clear_logs_finish (PC_DBUS_MANAGER (source), result, &error))
    toast_error (self, _("Could not clear the logs"), error);
  else
    pc_application_toast (self, _("Logs cleared"));
}

static void
on_clear_response_cb (PcApplication    *self,
                      const char       *response,
                      AdwMessageDialog *dialog)
{
  PcDbusManager *manager = pc_client_get_manager (self->client);

  g_assert (PC_IS_APPLICATION (self));

  if (!g_str_equal (response, "clear") || manager == NULL || self->clear_busy)
    return;

  self->clear_busy = TRUE;
  pc_application_update_actions (self);
  pc_dbus_manager_call_clear_logs (manager, NULL, on_clear_done_cb, g_object_ref (self));
}

static void
clear_logs_action (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  AdwMessageDialog *dialog;

  dialog = confirm (user_data,
                    _("Clear the Logs?"),
                    _("The service's logs are deleted. Export them first if support may need them."),
                    "clear", _("Clear"),
                    G_CALLBACK (on_clear_response_cb));
  adw_message_dialog_set_response_appearance (dialog, "clear", ADW_RESPONSE_DESTRUCTIVE);
}

/* app.set-log-level */

static void
on_log_level_done_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(PcApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  self->log_level_busy = FALSE;
  pc_application_update_actions (self);

  if (!pc_dbus_manager_call_set_log_level_finish (PC_DBUS_MANAGER (source), result, &error))
    {
      toast_error (self, _("Could not change the log mode"), error);
      /* Show the level the service really has again. */
      if (self->more_window != NULL)
        pc_more_window_sync (self->more_window);
    }
}

static void
set_log_level_action (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  PcApplication *self = user_data;
  PcDbusManager *manager = pc_client_get_manager (self->client);

  if (manager == NULL)
    return;

  self->log_level_busy = TRUE;
  pc_application_update_actions (self);
  pc_dbus_manager_call_set_log_level (manager, g_variant_get_string (parameter, NULL), NULL,
                                      on_log_level_done_cb, g_object_ref (self));
}

/* app.update-policy */

static void
on_update_policy_done_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(PcApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  self->update_busy = FALSE;
  pc_application_update_actions (self);

  if (!pc_dbus_manager_call_update_policy_finish (PC_DBUS_MANAGER (source), result, &error))
    toast_error (self, _("Could not update the policy"), error);
  else
    pc_application_toast (self, _("Policy updated"));
}

static void
update_policy_action (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  PcApplication *self = user_data;
  PcDbusManager *manager = pc_client_get_manager (self->client);

  if (manager == NULL)
    return;

  self->update_busy = TRUE;
  pc_application_update_actions (self);
  pc_dbus_manager_call_update_policy (manager, NULL, on_update_policy_done_cb, g_object_ref (self));
}

/* app.report-issue */

static void
report_issue_action (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  PcApplication *self = user_data;
  PcReportDialog *dialog = pc_report_dialog_new (self, get_parent_window (self));

  gtk_window_present (GTK_WINDOW (dialog));
}

static const GActionEntry app_actions[] = {
  { "activate", activate_action },
  { "open-module", open_module_action, "s" },
  { "more", more_action },
  { "about", about_action },
  { "quit", quit_action },
  { "restart-service", restart_service_action },
  { "repair-app", repair_app_action },
  { "export-logs", export_logs_action },
  { "export-logs-to", export_logs_to_action, "s" },
  { "open-folder", open_folder_action, "s" },
  { "clear-logs", clear_logs_action },
  { "set-log-level", set_log_level_action, "s" },
  { "update-policy", update_policy_action },
  { "report-issue", report_issue_action },
};

static void
set_action_enabled (PcApplication *self,
                    const char    *name,
                    gboolean       enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

/* Service actions need the service, the policy's permission, and no
 * earlier call of theirs still running. */
static void
pc_application_update_actions (PcApplication *self)
{
  gboolean available = pc_client_get_available (self->client);
  gboolean may_export = pc_client_get_policy_boolean (self->client, "export-logs", TRUE);

  set_action_enabled (self, "restart-service",
                      available && !self->restart_busy &&
                      pc_client_get_policy_boolean (self->client, "restart-service", TRUE));
  set_action_enabled (self, "repair-app",
                      available && !self->repair_busy &&
                      pc_client_get_policy_boolean (self->client, "repair-app", TRUE));
  set_action_enabled (self, "export-logs", available && may_export && !self->export_busy);
  set_action_enabled (self, "export-logs-to", available && may_export && !self->export_busy);
  set_action_enabled (self, "clear-logs", available && !self->clear_busy);
  set_action_enabled (self, "set-log-level", available && !self->log_level_busy);
  set_action_enabled (self, "update-policy", available && !self->update_busy);
}

static void
on_client_changed_cb (PcApplication *self,
                      PcClient      *client)
{
  g_assert (PC_IS_APPLICATION (self));

  pc_application_update_actions (self);
}

static void
pc_application_activate (GApplication *application)
{
  PcApplication *self = PC_APPLICATION (application);

  gtk_window_present (ensure_main_window (self));
}

static void
pc_application_startup (GApplication *application)
{
  PcApplication *self = PC_APPLICATION (application);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *more_accels[] = { "<Control>comma", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };
  static const char *module_accels[][2] = { { "<Alt>1", NULL }, { "<Alt>2", NULL }, { "<Alt>3", NULL } };

  G_APPLICATION_CLASS (pc_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.more", more_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", close_accels);
  for (guint i = 0; i < PC_N_MODULES; i++)
    {
      g_autofree char *detailed = g_strdup_printf ("app.open-module::%s", pc_module_kind_to_string (i));
      gtk_application_set_accels_for_action (GTK_APPLICATION (self), detailed, module_accels[i]);
    }

  self->client = pc_client_new (pc_bus_type_from_environment ());
  g_signal_connect_object (self->client, "changed",
                           G_CALLBACK (on_client_changed_cb), self,
                           G_CONNECT_SWAPPED);
  pc_application_update_actions (self);
}

static void
pc_application_shutdown (GApplication *application)
{
  PcApplication *self = PC_APPLICATION (application);

  G_APPLICATION_CLASS (pc_application_parent_class)->shutdown (application);

  g_clear_object (&self->client);
}

static void
pc_application_class_init (PcApplicationClass *klass)
{
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  application_class->activate = pc_application_activate;
  application_class->startup = pc_application_startup;
  application_class->shutdown = pc_application_shutdown;
}

static void
pc_application_init (PcApplication *self)
{
}

PcApplication *
pc_application_new (void)
{
  /* Referencing the resource pulls its object file out of the static
   * library, and with it the constructor that registers it. */
  g_assert (pc_window_get_resource () != NULL);

  return g_object_new (PC_TYPE_APPLICATION,
                       "application-id", PC_APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/Portcullis",
                       NULL);
}

PcClient *
pc_application_get_client (PcApplication *self)
{
  g_return_val_if_fail (PC_IS_APPLICATION (self), NULL);

  return self->client;
}
