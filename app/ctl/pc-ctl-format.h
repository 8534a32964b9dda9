/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json.h>

#include "pc-catalog.h"
#include "pc-util.h"

G_BEGIN_DECLS

/*
 * What portcullisctl prints, built from plain snapshots (a{sv} of a
 * proxy's cached properties) so it can be tested without a bus.
 */

GVariant    *pc_ctl_proxy_dup_properties    (GDBusProxy    *proxy);

gboolean     pc_ctl_parse_module_name       (const char    *name,
                                             PcModuleKind  *kind);
char        *pc_ctl_format_actions          (PcActions      actions);
GStrv        pc_ctl_dup_action_ids          (PcActions      actions);
PcActions    pc_ctl_module_get_actions      (GVariant      *module_properties);
char        *pc_ctl_module_dup_title        (GVariant      *module_properties);
PcSeverity   pc_ctl_module_get_severity     (GVariant      *module_properties);

char        *pc_ctl_format_status           (GVariant      *manager_properties,
                                             GPtrArray     *module_properties,
                                             const char    *bus_name);
json_object *pc_ctl_status_to_json          (GVariant      *manager_properties,
                                             GPtrArray     *module_properties,
                                             const char    *bus_name);

json_object *pc_ctl_variant_to_json         (GVariant      *value);
char        *pc_ctl_format_dictionary       (GVariant      *dictionary);
char        *pc_ctl_format_value            (GVariant      *value);

char        *pc_ctl_format_timestamp        (GDateTime     *time);
char        *pc_ctl_format_change           (GDateTime     *time,
                                             const char    *object,
                                             const char    *property,
                                             GVariant      *value,
                                             GVariant      *module_properties);
json_object *pc_ctl_change_to_json          (GDateTime     *time,
                                             const char    *object,
                                             const char    *property,
                                             GVariant      *value,
                                             GVariant      *module_properties);

G_END_DECLS
