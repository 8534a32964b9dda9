/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "pc-client.h"

G_BEGIN_DECLS

#define PC_TYPE_MODULE_PAGE (pc_module_page_get_type ())

G_DECLARE_FINAL_TYPE (PcModulePage, pc_module_page, PC, MODULE_PAGE, AdwBin)

GtkWidget    *pc_module_page_new         (PcClient     *client,
                                          PcDbusModule *module);
PcDbusModule *pc_module_page_get_module  (PcModulePage *self);
void          pc_module_page_set_module  (PcModulePage *self,
                                          PcDbusModule *module);
PcSeverity    pc_module_page_get_severity (PcModulePage *self);
void          pc_module_page_set_busy    (PcModulePage *self,
                                          gboolean      busy);

G_END_DECLS
