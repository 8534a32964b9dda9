/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PC_TYPE_TUNNEL (pc_tunnel_get_type ())

G_DECLARE_FINAL_TYPE (PcTunnel, pc_tunnel, PC, TUNNEL, GObject)

PcTunnel   *pc_tunnel_new         (const char  *sysroot);
gboolean    pc_tunnel_open        (PcTunnel    *self,
                                   const char  *device,
                                   GError     **error);
gboolean    pc_tunnel_is_open     (PcTunnel    *self);
const char *pc_tunnel_get_name    (PcTunnel    *self);

G_END_DECLS
