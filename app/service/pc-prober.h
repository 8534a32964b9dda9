/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pc-module.h"
#include "pc-profile.h"

G_BEGIN_DECLS

#define PC_TYPE_PROBER (pc_prober_get_type ())

G_DECLARE_FINAL_TYPE (PcProber, pc_prober, PC, PROBER, GObject)

/* @modules and @held are the service's own arrays (PC_N_MODULES long),
 * borrowed for the prober's lifetime: which modules are exported, and which
 * the testing interface holds (probes leave those alone). */
PcProber   *pc_prober_new                   (PcModule        **modules,
                                             const gboolean   *held,
                                             const char       *sysroot,
                                             const char       *state_dir);
void        pc_prober_set_profile           (PcProber         *self,
                                             PcProfile        *profile);
void        pc_prober_probe                 (PcProber         *self,
                                             PcModuleKind      kind);
void        pc_prober_probe_all             (PcProber         *self);
char       *pc_prober_repair_tunnel         (PcProber         *self);
void        pc_prober_set_network_available (PcProber         *self,
                                             gboolean          available);
gboolean    pc_prober_get_network_available (PcProber         *self);
gboolean    pc_prober_get_portal_seen       (PcProber         *self);
gboolean    pc_prober_get_sign_in_needed    (PcProber         *self);
void        pc_prober_sign_in_async         (PcProber         *self,
                                             const char       *user,
                                             GCancellable     *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer          user_data);
char       *pc_prober_sign_in_finish        (PcProber         *self,
                                             GAsyncResult     *result,
                                             GError          **error);
void        pc_prober_sign_out              (PcProber         *self);
const char *pc_prober_get_network_type      (PcProber         *self);

G_END_DECLS
