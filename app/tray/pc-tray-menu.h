/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pc-client.h"

G_BEGIN_DECLS

#define PC_TYPE_TRAY_MENU (pc_tray_menu_get_type ())

G_DECLARE_FINAL_TYPE (PcTrayMenu, pc_tray_menu, PC, TRAY_MENU, GtkMenu)

PcTrayMenu *pc_tray_menu_new     (void);
void        pc_tray_menu_update  (PcTrayMenu *self,
                                  PcClient   *client);

G_END_DECLS
