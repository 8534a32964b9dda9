/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pc-catalog.h"
#include "pc-dbus-generated.h"

G_BEGIN_DECLS

#define PC_TYPE_CLIENT (pc_client_get_type ())

G_DECLARE_FINAL_TYPE (PcClient, pc_client, PC, CLIENT, GObject)

PcClient      *pc_client_new                   (GBusType       bus_type);
GBusType       pc_client_get_bus_type          (PcClient     *self);
gboolean       pc_client_get_available         (PcClient     *self);
PcDbusManager *pc_client_get_manager           (PcClient     *self);
PcDbusModule  *pc_client_get_module            (PcClient     *self,
                                                PcModuleKind  kind);
GListModel    *pc_client_get_modules           (PcClient     *self);
PcSeverity     pc_client_get_severity          (PcClient     *self);
PcDbusModule  *pc_client_get_worst_module      (PcClient     *self);
gboolean       pc_client_get_policy_boolean    (PcClient     *self,
                                                const char   *key,
                                                gboolean      default_value);
char          *pc_client_dup_policy_string     (PcClient     *self,
                                                const char   *key);
PcModuleKind   pc_dbus_module_get_kind_enum    (PcDbusModule *module);

G_END_DECLS
