/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pc-client.h"

G_BEGIN_DECLS

#define PC_TRAY_APP_ID "io.github.Portcullis.Tray"

#define PC_TYPE_TRAY_APPLICATION (pc_tray_application_get_type ())

G_DECLARE_FINAL_TYPE (PcTrayApplication, pc_tray_application, PC, TRAY_APPLICATION, GtkApplication)

PcTrayApplication *pc_tray_application_new         (void);
PcClient          *pc_tray_application_get_client  (PcTrayApplication *self);

G_END_DECLS
