/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  PC_LOCAL_PROXY_EDGE,     /* through the service edge (the normal way) */
  PC_LOCAL_PROXY_DIRECT,   /* fail-open, trusted network: straight to the target */
  PC_LOCAL_PROXY_BLOCK,    /* fail-close: nothing is forwarded */
} PcLocalProxyMode;

#define PC_TYPE_LOCAL_PROXY (pc_local_proxy_get_type ())

G_DECLARE_FINAL_TYPE (PcLocalProxy, pc_local_proxy, PC, LOCAL_PROXY, GObject)

PcLocalProxy     *pc_local_proxy_new                (void);
gboolean          pc_local_proxy_listen             (PcLocalProxy      *self,
                                                     const char        *host_port,
                                                     GError           **error);
void              pc_local_proxy_stop               (PcLocalProxy      *self);
const char       *pc_local_proxy_get_address        (PcLocalProxy      *self);
void              pc_local_proxy_set_edge           (PcLocalProxy      *self,
                                                     const char        *edge,
                                                     GTlsDatabase      *database,
                                                     const char        *upstream_proxy);
void              pc_local_proxy_set_mode           (PcLocalProxy      *self,
                                                     PcLocalProxyMode   mode);
PcLocalProxyMode  pc_local_proxy_get_mode           (PcLocalProxy      *self);
guint64           pc_local_proxy_get_bytes_sent     (PcLocalProxy      *self);
guint64           pc_local_proxy_get_bytes_received (PcLocalProxy      *self);

G_END_DECLS
