/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "portcullis-window"

#include "config.h"

#include <glib/gi18n.h>

#include "pc-format.h"
#include "pc-report-dialog.h"
#include "pc-util.h"
#include "pc-window.h"

/*
 * Report an Issue: the user's description plus a redacted log bundle,
 * saved into a new folder the user picks, then the support page (or a
 * mail to the support contact) opened so they can send it.
 */

struct _PcReportDialog
{
  AdwWindow       parent_instance;

  /* template widgets */
  GtkLabel       *intro_label;
  GtkTextView    *description_view;
  AdwActionRow   *include_logs_row;
  GtkSwitch      *include_logs_switch;
  GtkSpinner     *spinner;
  GtkLabel       *error_label;

  /* owned */
  PcApplication  *application;
  GFile          *folder;
  GCancellable   *cancellable;
};

G_DEFINE_FINAL_TYPE (PcReportDialog, pc_report_dialog, ADW_TYPE_WINDOW)

static void
set_busy (PcReportDialog *self,
          gboolean        busy)
{
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "report.save", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "report.save-to", !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->description_view), !busy);
}

static void
show_error (PcReportDialog *self,
            const char     *message)
{
  set_busy (self, FALSE);
  gtk_label_set_label (self->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
}

static void
report_to_app (GtkWindow  *window,
               const char *message)
{
  pc_application_toast (PC_APPLICATION (gtk_window_get_application (window)), message);
}

static char *
dup_description (PcReportDialog *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->description_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return g_strstrip (gtk_text_buffer_get_text (buffer, &start, &end, FALSE));
}

/* The report: what the user wrote, then the facts support asks first. */
static char *
build_report (PcReportDialog *self)
{
  PcClient *client = pc_application_get_client (self->application);
  PcDbusManager *manager = pc_client_get_manager (client);
  GListModel *modules = pc_client_get_modules (client);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *description = dup_description (self);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = g_date_time_format_iso8601 (now);

  g_string_append_printf (text, "%s\n\n%s\n\n", _("Description"), description);
  g_string_append_printf (text, "Date: %s\n", date);
  g_string_append_printf (text, "App version: %s\n", PACKAGE_VERSION);
  if (manager != NULL)
    {
      g_string_append_printf (text, "Service version: %s\n", pc_dbus_manager_get_version (manager));
      g_string_append_printf (text, "App policy: %s\n", pc_dbus_manager_get_profile (manager));
      g_string_append_printf (text, "Network: %s (%s)\n", pc_dbus_manager_get_network (manager),
                              pc_dbus_manager_get_network_type (manager));
    }
  else
    g_string_append (text, "Service: unavailable\n");

  for (guint i = 0; i < g_list_model_get_n_items (modules); i++)
    {
      g_autoptr(PcDbusModule) module = g_list_model_get_item (modules, i);

      g_string_append_printf (text, "%s: status=%s error=%s detail=%s\n",
                              pc_dbus_module_get_kind (module),
                              pc_dbus_module_get_status (module),
                              pc_dbus_module_get_error (module),
                              pc_dbus_module_get_error_detail (module));
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
on_mail_shown_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(PcApplication) application = user_data;
  g_autoptr(GError) error = NULL;

  if (!gtk_show_uri_full_finish (GTK_WINDOW (source), result, &error))
    pc_application_toast (application, _("No mail program is set up to write to support."));
}

static void
contact_support (PcReportDialog *self)
{
  PcClient *client = pc_application_get_client (self->application);
  g_autofree char *url = pc_client_dup_policy_string (client, "support-url");
  g_autofree char *contact = pc_client_dup_policy_string (client, "support-contact");
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  g_autofree char *folder_path = g_file_get_path (self->folder);

  if (parent == NULL)
    parent = pc_application_get_main_window (self->application);
  if (parent == NULL)
    return;

  if (url != NULL)
    pc_show_web_uri (parent, url, report_to_app);
  else if (pc_format_is_email (contact))
    {
      g_autofree char *body = g_strdup_printf (_("Please attach the report saved in %s."), folder_path);
      g_autofree char *escaped_body = g_uri_escape_string (body, NULL, FALSE);
      g_autofree char *escaped_subject = g_uri_escape_string (_("Portcullis issue report"), NULL, FALSE);
      g_autofree char *mailto = g_strdup_printf ("mailto:%s?subject=%s&body=%s",
                                                 contact, escaped_subject, escaped_body);

      gtk_show_uri_full (parent, mailto, GDK_CURRENT_TIME, NULL,
                         on_mail_shown_cb, g_object_ref (self->application));
    }
}

static void
finish (PcReportDialog *self)
{
  g_autofree char *name = g_file_get_basename (self->folder);
  g_autofree char *uri = g_file_get_uri (self->folder);
  /* Translators: %s is a folder name */
  g_autofree char *title = g_strdup_printf (_("Report saved in “%s”"), name);
  AdwToast *toast = adw_toast_new (title);
  GtkWindow *main_window = pc_application_get_main_window (self->application);

  adw_toast_set_timeout (toast, 10);
  adw_toast_set_button_label (toast, _("Open Folder"));
  adw_toast_set_action_name (toast, "app.open-folder");
  adw_toast_set_action_target_value (toast, g_variant_new_string (uri));
  if (PC_IS_WINDOW (main_window))
    pc_window_add_toast (PC_WINDOW (main_window), toast);
  else
    g_object_unref (g_object_ref_sink (toast));

  contact_support (self);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_logs_saved_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(PcReportDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!pc_application_export_logs_finish (PC_APPLICATION (source), result, &error))
    {
      g_autofree char *message = g_strdup_printf (_("The description was saved, but the logs could not be: %s"),
                                                  error->message);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, message);
      return;
    }

  finish (self);
}

static void
on_description_saved_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(PcReportDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) logs = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error->message);
      return;
    }

  if (!gtk_widget_get_visible (GTK_WIDGET (self->include_logs_row)) ||
      !gtk_switch_get_active (self->include_logs_switch))
    {
      finish (self);
      return;
    }

  logs = g_file_get_child (self->folder, "logs.tar.gz");
  pc_application_export_logs_async (self->application, logs, self->cancellable,
                                    on_logs_saved_cb, g_object_ref (self));
}

static void
on_folder_made_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(PcReportDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) description = NULL;
  g_autoptr(GBytes) bytes = NULL;
  char *report;

  if (!g_file_make_directory_finish (G_FILE (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error->message);
      return;
    }

  description = g_file_get_child (self->folder, "description.txt");
  report = build_report (self);
  bytes = g_bytes_new_take (report, strlen (report));
  g_file_replace_contents_bytes_async (description, bytes, NULL, FALSE,
                                       G_FILE_CREATE_PRIVATE, self->cancellable,
                                       on_description_saved_cb, g_object_ref (self));
}

static void
save_to_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  PcReportDialog *self = PC_REPORT_DIALOG (widget);
  g_autoptr(GFile) parent = g_file_new_for_path (g_variant_get_string (parameter, NULL));
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *name = g_date_time_format (now, "portcullis-report-%Y%m%d-%H%M%S");
  g_autofree char *description = dup_description (self);

  if (*description == '\0')
    {
      show_error (self, _("Describe what happened first."));
      gtk_widget_grab_focus (GTK_WIDGET (self->description_view));
      return;
    }

  g_clear_object (&self->folder);
  self->folder = g_file_get_child (parent, name);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  set_busy (self, TRUE);
  g_file_make_directory_async (self->folder, G_PRIORITY_DEFAULT, self->cancellable,
                               on_folder_made_cb, g_object_ref (self));
}

static void
on_chooser_response_cb (PcReportDialog       *self,
                        int                   response,
                        GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) folder = NULL;

  g_assert (PC_IS_REPORT_DIALOG (self));

  if (response == GTK_RESPONSE_ACCEPT &&
      (folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))) != NULL &&
      g_file_peek_path (folder) != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "report.save-to", "s", g_file_peek_path (folder));

  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (chooser);
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  PcReportDialog *self = PC_REPORT_DIALOG (widget);
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Choose Where to Save the Report"),
                                         GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                         _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response", G_CALLBACK (on_chooser_response_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
pc_report_dialog_dispose (GObject *object)
{
  PcReportDialog *self = PC_REPORT_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), PC_TYPE_REPORT_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->folder);
  g_clear_object (&self->application);

  G_OBJECT_CLASS (pc_report_dialog_parent_class)->dispose (object);
}

static void
pc_report_dialog_class_init (PcReportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pc_report_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/Portcullis/pc-report-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PcReportDialog, intro_label);
  gtk_widget_class_bind_template_child (widget_class, PcReportDialog, description_view);
  gtk_widget_class_bind_template_child (widget_class, PcReportDialog, include_logs_row);
  gtk_widget_class_bind_template_child (widget_class, PcReportDialog, include_logs_switch);
  gtk_widget_class_bind_template_child (widget_class, PcReportDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, PcReportDialog, error_label);

  gtk_widget_class_install_action (widget_class, "report.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "report.save-to", "s", save_to_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
pc_report_dialog_init (PcReportDialog *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

PcReportDialog *
pc_report_dialog_new (PcApplication *application,
                      GtkWindow     *parent)
{
  PcReportDialog *self;
  PcClient *client;
  g_autofree char *contact = NULL;
  g_autofree char *url = NULL;
  g_autofree char *intro = NULL;

  g_return_val_if_fail (PC_IS_APPLICATION (application), NULL);

  self = g_object_new (PC_TYPE_REPORT_DIALOG,
                       "transient-for", parent,
                       "application", application,
                       NULL);
  self->application = g_object_ref (application);
  client = pc_application_get_client (application);

  contact = pc_client_dup_policy_string (client, "support-contact");
  url = pc_client_dup_policy_string (client, "support-url");
  if (url != NULL && pc_uri_is_web (url))
    intro = g_strdup_printf (_("Describe what went wrong. Portcullis saves your description and "
                               "its logs in a folder you choose, then opens %s so you can send them."), url);
  else if (pc_format_is_email (contact))
    intro = g_strdup_printf (_("Describe what went wrong. Portcullis saves your description and "
                               "its logs in a folder you choose, then starts an email to %s."), contact);
  else
    intro = g_strdup (_("Describe what went wrong. Portcullis saves your description and its logs "
                        "in a folder you choose, for you to send to your IT support."));
  gtk_label_set_label (self->intro_label, intro);

  gtk_widget_set_visible (GTK_WIDGET (self->include_logs_row),
                          pc_client_get_available (client) &&
                          pc_client_get_policy_boolean (client, "export-logs", TRUE));

  return self;
}
