/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "pc-application.h"

G_BEGIN_DECLS

#define PC_TYPE_REPORT_DIALOG (pc_report_dialog_get_type ())

G_DECLARE_FINAL_TYPE (PcReportDialog, pc_report_dialog, PC, REPORT_DIALOG, AdwWindow)

PcReportDialog *pc_report_dialog_new (PcApplication *application,
                                      GtkWindow     *parent);

G_END_DECLS
