/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * The single checks a probe round is made of (DESIGN §5). Each is async,
 * finishes on the thread-default main context of its caller and reports a
 * PcProbeResult: code NULL means healthy. Network and TLS failures are
 * results, not GErrors; a GError is only for cancellation.
 */

typedef struct
{
  char  *code;         /* a status code of DESIGN §4, or NULL when healthy */
  char  *detail;       /* ErrorDetail: errno text, TLS error, HTTP status */
  char  *portal_url;   /* captive portal only */
} PcProbeResult;

PcProbeResult *pc_probe_result_new       (const char     *code,
                                          const char     *detail);
void           pc_probe_result_free      (PcProbeResult  *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcProbeResult, pc_probe_result_free)

/* How a TLS endpoint answered; the round turns it into a code per module. */
typedef enum
{
  PC_EDGE_OK,
  PC_EDGE_UNREACHABLE,       /* TCP failed, or the peer closed on us */
  PC_EDGE_LOCALLY_BLOCKED,   /* this host's firewall / security module refused */
  PC_EDGE_TLS_UNTRUSTED,     /* the chain does not lead to the profile's CA */
  PC_EDGE_TLS_FAILED,        /* another TLS failure */
  PC_EDGE_PROXY_AUTH,        /* the upstream proxy answered CONNECT with 407 */
  PC_EDGE_PROXY_FAILED,      /* the upstream proxy refused CONNECT otherwise */
} PcEdgeOutcome;

/* pc-probe-edge.c: TCP (through an upstream proxy's CONNECT when given),
 * then a TLS handshake checked against @database only. */
void           pc_probe_edge_async       (const char           *host_port,
                                          GTlsDatabase         *database,
                                          const char           *upstream_proxy,
                                          guint                 timeout_s,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
PcEdgeOutcome  pc_probe_edge_finish      (GAsyncResult         *result,
                                          char                **detail,
                                          char                **client_address,
                                          GError              **error);

/* pc-probe-edge.c, used by the local proxy as well: the same path as the
 * probe, handing the established TLS stream to the caller. */
void           pc_edge_connect_async     (const char           *host_port,
                                          GTlsDatabase         *database,
                                          const char           *upstream_proxy,
                                          guint                 timeout_s,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
GIOStream     *pc_edge_connect_finish    (GAsyncResult         *result,
                                          PcEdgeOutcome        *outcome,
                                          char                **detail,
                                          GError              **error);

/* pc-probe-edge.c: after a failed connect, is it this host that refuses
 * traffic to @address? A datagram the kernel refuses with EPERM / EACCES
 * says a local netfilter rule or security module drops it. Returns the
 * errno text, or NULL when nothing local refuses. Never blocks. */
char          *pc_probe_local_block      (GInetSocketAddress   *address);

/* pc-probe-http.c: HTTPS sessions trusting the system roots and the
 * profile's extra CA, and the DX / DR / captive portal checks. */
SoupSession   *pc_probe_http_session_new (GTlsDatabase         *extra_roots,
                                          guint                 timeout_s);

void           pc_probe_dx_async         (SoupSession          *session,
                                          const char           *server_url,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
gboolean       pc_probe_dx_finish        (GAsyncResult         *result,
                                          char                **detail,
                                          GError              **error);

typedef enum
{
  PC_DR_INACTIVE,
  PC_DR_ACTIVE,
  PC_DR_UNKNOWN,   /* unreachable or not understood: no change is made */
} PcDrState;

void           pc_probe_dr_async         (SoupSession          *session,
                                          const char           *status_url,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
PcDrState      pc_probe_dr_finish        (GAsyncResult         *result,
                                          char                **detail,
                                          GError              **error);

typedef enum
{
  PC_PORTAL_NONE,
  PC_PORTAL_DETECTED,
  PC_PORTAL_UNKNOWN,   /* the probe URL could not be reached at all */
} PcPortalState;

void           pc_probe_portal_async     (SoupSession          *session,
                                          const char           *probe_url,
                                          guint                 expected_status,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
PcPortalState  pc_probe_portal_finish    (GAsyncResult         *result,
                                          char                **portal_url,
                                          char                **detail,
                                          GError              **error);

/* pc-rescue.c: does the system run in rescue / emergency / single-user
 * mode? Reads <sysroot>/proc/cmdline, and asks systemd when the sysroot is
 * the real root. Returns the reason, or NULL. */
void           pc_rescue_check_async     (const char           *sysroot,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
char          *pc_rescue_check_finish    (GAsyncResult         *result,
                                          GError              **error);

/* pc-trusted-network.c: do the profile's trusted-network criteria all
 * hold here? (a DNS search domain of <sysroot>/etc/resolv.conf, host
 * names resolving to their expected addresses). FALSE without criteria;
 * @reason says what matched or what did not. */
void           pc_trusted_network_check_async  (const char * const   *search_domains,
                                                GHashTable           *resolve,
                                                const char           *sysroot,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean       pc_trusted_network_check_finish (GAsyncResult         *result,
                                                char                **reason,
                                                GError              **error);

G_END_DECLS
