/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  GBusType     bus_type;
  const char  *profile_path;
  const char  *state_dir;
  const char  *sysroot;
  gboolean     testing;
  char       **argv;          /* for re-executing on RestartService */
} PcServiceOptions;

#define PC_TYPE_SERVICE (pc_service_get_type ())

G_DECLARE_FINAL_TYPE (PcService, pc_service, PC, SERVICE, GObject)

PcService *pc_service_new           (const PcServiceOptions  *options);
gboolean   pc_service_start         (PcService               *self,
                                     GError                 **error);
gboolean   pc_service_reload_policy (PcService               *self,
                                     GError                 **error);

G_END_DECLS
