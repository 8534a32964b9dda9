/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PC_TYPE_PASSWORD_DIALOG (pc_password_dialog_get_type ())

G_DECLARE_FINAL_TYPE (PcPasswordDialog, pc_password_dialog, PC, PASSWORD_DIALOG, AdwWindow)

PcPasswordDialog *pc_password_dialog_new        (GtkWindow        *parent,
                                                 const char       *heading,
                                                 const char       *body,
                                                 const char       *submit_label,
                                                 gboolean          ask_password,
                                                 gboolean          ask_reason);
void              pc_password_dialog_set_busy   (PcPasswordDialog *self,
                                                 gboolean          busy);
void              pc_password_dialog_set_error  (PcPasswordDialog *self,
                                                 const char       *message);

G_END_DECLS
