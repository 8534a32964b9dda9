/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pc-catalog.h"
#include "pc-dbus-generated.h"

G_BEGIN_DECLS

#define PC_TYPE_MODULE (pc_module_get_type ())

G_DECLARE_FINAL_TYPE (PcModule, pc_module, PC, MODULE, PcDbusModuleSkeleton)

PcModule     *pc_module_new              (PcModuleKind  kind);
PcModuleKind  pc_module_get_kind_enum    (PcModule     *self);
void          pc_module_set_logged_in    (PcModule     *self,
                                          gboolean      logged_in);
void          pc_module_set_user_enabled (PcModule     *self,
                                          gboolean      enabled);
gboolean      pc_module_get_user_enabled (PcModule     *self);
void          pc_module_set_problem      (PcModule     *self,
                                          const char   *code,
                                          const char   *detail,
                                          const char   *fail_mode);
void          pc_module_clear_problem    (PcModule     *self);
const char   *pc_module_get_problem      (PcModule     *self);
void          pc_module_set_connecting   (PcModule     *self,
                                          gboolean      connecting);
const char   *pc_fail_mode_for_code      (const char   *code);

G_END_DECLS
