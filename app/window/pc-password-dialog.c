/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "portcullis-window"

#include "config.h"

#include <glib/gi18n.h>

#include "pc-password-dialog.h"

/*
 * Asks for the password (and a reason) a policy requires before Log Out or
 * Turn Off. Unlike AdwMessageDialog it stays open after the answer: the
 * caller makes the call and either closes it or shows why it failed
 * ("wrong password"), so the user can try again.
 */

struct _PcPasswordDialog
{
  AdwWindow            parent_instance;

  /* template widgets */
  AdwWindowTitle      *window_title;
  GtkButton           *submit_button;
  GtkButton           *cancel_button;
  GtkSpinner          *spinner;
  GtkLabel            *body_label;
  AdwPasswordEntryRow *password_row;
  AdwEntryRow         *reason_row;
  GtkLabel            *error_label;

  gboolean             ask_password;
  gboolean             ask_reason;
  gboolean             busy;
};

G_DEFINE_FINAL_TYPE (PcPasswordDialog, pc_password_dialog, ADW_TYPE_WINDOW)

enum {
  SUBMIT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
update_submit (PcPasswordDialog *self)
{
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->reason_row))));
  gboolean ready = !self->busy;

  if (self->ask_password)
    ready &= *gtk_editable_get_text (GTK_EDITABLE (self->password_row)) != '\0';
  if (self->ask_reason)
    ready &= *reason != '\0';

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.submit", ready);
}

static void
on_entry_changed_cb (PcPasswordDialog *self,
                     GtkEditable      *editable)
{
  g_assert (PC_IS_PASSWORD_DIALOG (self));

  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  gtk_widget_remove_css_class (GTK_WIDGET (self->password_row), "error");
  update_submit (self);
}

static void
submit_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  PcPasswordDialog *self = PC_PASSWORD_DIALOG (widget);
  g_autofree char *reason = NULL;

  if (self->busy)
    return;

  reason = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->reason_row))));
  g_signal_emit (self, signals[SUBMIT], 0,
                 gtk_editable_get_text (GTK_EDITABLE (self->password_row)),
                 reason);
}

static void
on_entry_activated_cb (PcPasswordDialog *self,
                       AdwEntryRow      *row)
{
  g_assert (PC_IS_PASSWORD_DIALOG (self));

  gtk_widget_activate_action (GTK_WIDGET (self), "dialog.submit", NULL);
}

static void
pc_password_dialog_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), PC_TYPE_PASSWORD_DIALOG);

  G_OBJECT_CLASS (pc_password_dialog_parent_class)->dispose (object);
}

static void
pc_password_dialog_class_init (PcPasswordDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pc_password_dialog_dispose;

  /* (password, reason): the caller answers with set_error() or closes. */
  signals[SUBMIT] =
    g_signal_new ("submit",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/Portcullis/pc-password-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PcPasswordDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, PcPasswordDialog, submit_button);
  gtk_widget_class_bind_template_child (widget_class, PcPasswordDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, PcPasswordDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, PcPasswordDialog, body_label);
  gtk_widget_class_bind_template_child (widget_class, PcPasswordDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, PcPasswordDialog, reason_row);
  gtk_widget_class_bind_template_child (widget_class, PcPasswordDialog, error_label);

  gtk_widget_class_install_action (widget_class, "dialog.submit", NULL, submit_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
pc_password_dialog_init (PcPasswordDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_object (self->password_row, "changed",
                           G_CALLBACK (on_entry_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->reason_row, "changed",
                           G_CALLBACK (on_entry_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->password_row, "entry-activated",
                           G_CALLBACK (on_entry_activated_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->reason_row, "entry-activated",
                           G_CALLBACK (on_entry_activated_cb), self, G_CONNECT_SWAPPED);
}

PcPasswordDialog *
pc_password_dialog_new (GtkWindow  *parent,
                        const char *heading,
                        const char *body,
                        const char *submit_label,
                        gboolean    ask_password,
                        gboolean    ask_reason)
{
  PcPasswordDialog *self;

  self = g_object_new (PC_TYPE_PASSWORD_DIALOG,
                       "transient-for", parent,
                       "title", heading,
                       NULL);

  self->ask_password = ask_password;
  self->ask_reason = ask_reason;
  adw_window_title_set_title (self->window_title, heading);
  gtk_label_set_label (self->body_label, body);
  gtk_button_set_label (self->submit_button, submit_label);
  gtk_widget_set_visible (GTK_WIDGET (self->password_row), ask_password);
  gtk_widget_set_visible (GTK_WIDGET (self->reason_row), ask_reason);
  update_submit (self);

  return self;
}

void
pc_password_dialog_set_busy (PcPasswordDialog *self,
                             gboolean          busy)
{
  g_return_if_fail (PC_IS_PASSWORD_DIALOG (self));

  self->busy = busy;
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->password_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->reason_row), !busy);
  update_submit (self);
}

/* Keeps the dialog open with the message; the password is selected so
 * typing replaces it. */
void
pc_password_dialog_set_error (PcPasswordDialog *self,
                              const char       *message)
{
  g_return_if_fail (PC_IS_PASSWORD_DIALOG (self));

  pc_password_dialog_set_busy (self, FALSE);
  gtk_label_set_label (self->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->error_label),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, message,
                                  -1);
  if (self->ask_password)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->password_row), "error");
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
      gtk_editable_select_region (GTK_EDITABLE (self->password_row), 0, -1);
    }
}
