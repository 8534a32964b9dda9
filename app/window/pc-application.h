/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "pc-client.h"

G_BEGIN_DECLS

#define PC_TYPE_APPLICATION (pc_application_get_type ())

G_DECLARE_FINAL_TYPE (PcApplication, pc_application, PC, APPLICATION, AdwApplication)

PcApplication *pc_application_new                (void);
PcClient      *pc_application_get_client         (PcApplication        *self);
GtkWindow     *pc_application_get_main_window    (PcApplication        *self);
void           pc_application_toast              (PcApplication        *self,
                                                  const char           *message);
void           pc_application_export_logs_async  (PcApplication        *self,
                                                  GFile                *file,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean       pc_application_export_logs_finish (PcApplication        *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

G_END_DECLS
