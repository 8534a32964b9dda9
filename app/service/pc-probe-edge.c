/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-probe"

#include "config.h"

#include <errno.h>
#include <time.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pc-probe.h"

/*
 * The way to a TLS edge: TCP to the edge, or to the upstream proxy and an
 * HTTP CONNECT through it, then a TLS handshake whose chain must lead to
 * the given database and nothing else. The probe stops there; the local
 * proxy keeps the stream and forwards through it.
 */

#define CONNECT_HEADER_MAX 8192

PcProbeResult *
pc_probe_result_new (const char *code,
                     const char *detail)
{
  PcProbeResult *result = g_new0 (PcProbeResult, 1);

  result->code = g_strdup (code);
  result->detail = g_strdup (detail);
  return result;
}

void
pc_probe_result_free (PcProbeResult *result)
{
  if (result == NULL)
    return;
  g_free (result->code);
  g_free (result->detail);
  g_free (result->portal_url);
  g_free (result);
}

typedef struct
{
  char               *edge;            /* host:port */
  GSocketConnectable *edge_address;
  GTlsDatabase       *database;
  char               *upstream;        /* host:port of the proxy, or NULL */
  guint               timeout_s;

  GSocketClient      *client;
  GSocketConnection  *connection;
  GIOStream          *tls;
  GString            *reply;
  guint8              buffer[512];

  PcEdgeOutcome       outcome;
  char               *detail;
} EdgeData;

static void
edge_data_free (EdgeData *data)
{
  g_free (data->edge);
  g_clear_object (&data->edge_address);
  g_clear_object (&data->database);
  g_free (data->upstream);
  g_clear_object (&data->client);
  g_clear_object (&data->connection);
  g_clear_object (&data->tls);
  if (data->reply != NULL)
    g_string_free (data->reply, TRUE);
  g_free (data->detail);
  g_free (data);
}

/* What the edge path ended with: the stream when it is OK. */
typedef struct
{
  GIOStream     *stream;
  PcEdgeOutcome  outcome;
  char          *detail;
} EdgeEnd;

static void
edge_end_free (EdgeEnd *end)
{
  g_clear_object (&end->stream);
  g_free (end->detail);
  g_free (end);
}

static void
edge_return (GTask         *task,
             PcEdgeOutcome  outcome,
             char          *detail)
{
  EdgeData *data = g_task_get_task_data (task);
  EdgeEnd *end = g_new0 (EdgeEnd, 1);

  end->outcome = outcome;
  end->detail = detail;
  if (outcome == PC_EDGE_OK)
    end->stream = g_steal_pointer (&data->tls);
  g_task_return_pointer (task, end, (GDestroyNotify) edge_end_free);
}

static gboolean
edge_return_if_cancelled (GTask  *task,
                          GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_error_copy (error));
      return TRUE;
    }
  return FALSE;
}

/* The peer's certificate problems in words, for ErrorDetail. */
static char *
describe_certificate_errors (GTlsCertificateFlags flags)
{
  static const struct { GTlsCertificateFlags flag; const char *text; } texts[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, "not issued by a trusted authority" },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, "issued for another host" },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, "not valid yet" },
    { G_TLS_CERTIFICATE_EXPIRED, "expired" },
    { G_TLS_CERTIFICATE_REVOKED, "revoked" },
    { G_TLS_CERTIFICATE_INSECURE, "insecure algorithm" },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, "invalid" },
  };
  g_autoptr(GString) text = g_string_new ("TLS certificate ");

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    if (flags & texts[i].flag)
      {
        if (text->len > strlen ("TLS certificate "))
          g_string_append (text, ", ");
        g_string_append (text, texts[i].text);
      }
  if (text->len == strlen ("TLS certificate "))
    g_string_append (text, "rejected");

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
on_handshake_done_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EdgeData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      edge_return (task, PC_EDGE_OK, NULL);
      return;
    }

  if (edge_return_if_cancelled (task, error))
    return;

  if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE))
    {
      GTlsCertificateFlags flags =
        g_tls_connection_get_peer_certificate_errors (G_TLS_CONNECTION (data->tls));

      edge_return (task, PC_EDGE_TLS_UNTRUSTED, describe_certificate_errors (flags));
    }
  else if (error->domain == G_TLS_ERROR)
    edge_return (task, PC_EDGE_TLS_FAILED, g_strdup_printf ("TLS handshake failed: %s", error->message));
  else
    edge_return (task, PC_EDGE_UNREACHABLE,
                 g_strdup_printf ("Connection lost during the TLS handshake: %s", error->message));
}

static void
edge_start_tls (GTask     *task,
                GIOStream *base)
{
  EdgeData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* The profile's CA is a pin: the system roots do not count here. Given
   * at construction, so the system bundle is not even loaded. */
  if (data->database != NULL)
    data->tls = g_initable_new (g_tls_backend_get_client_connection_type (g_tls_backend_get_default ()),
                                NULL, &error,
                                "base-io-stream", base,
                                "server-identity", data->edge_address,
                                "database", data->database,
                                NULL);
  else
    data->tls = g_tls_client_connection_new (base, data->edge_address, &error);
  if (data->tls == NULL)
    {
      edge_return (task, PC_EDGE_TLS_FAILED, g_strdup_printf ("TLS is not available: %s", error->message));
      return;
    }
  g_tls_connection_handshake_async (G_TLS_CONNECTION (data->tls), G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), on_handshake_done_cb, task);
}

static void read_connect_reply (GTask *task);

static void
on_connect_reply_read_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EdgeData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) words = NULL;
  const char *end;
  gssize n;
  guint status;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0)
    {
      if (!edge_return_if_cancelled (task, error))
        edge_return (task, PC_EDGE_UNREACHABLE,
                     g_strdup_printf ("The upstream proxy %s did not answer CONNECT: %s",
                                      data->upstream, error->message));
      return;
    }
  if (n == 0)
    {
      edge_return (task, PC_EDGE_UNREACHABLE,
                   g_strdup_printf ("The upstream proxy %s closed the connection without answering CONNECT",
                                    data->upstream));
      return;
    }

  g_string_append_len (data->reply, (const char *) data->buffer, n);
  end = strstr (data->reply->str, "\r\n\r\n");
  if (end == NULL)
    {
      if (data->reply->len > CONNECT_HEADER_MAX)
        edge_return (task, PC_EDGE_PROXY_FAILED,
                     g_strdup_printf ("The upstream proxy %s sent an oversized CONNECT answer",
                                      data->upstream));
      else
        read_connect_reply (g_steal_pointer (&task));
      return;
    }

  /* "HTTP/1.1 407 Proxy Authentication Required" */
  g_string_truncate (data->reply, strcspn (data->reply->str, "\r\n"));
  words = g_strsplit (data->reply->str, " ", 3);
  if (g_strv_length (words) < 2 || !g_str_has_prefix (words[0], "HTTP/1.") ||
      !g_ascii_string_to_unsigned (words[1], 10, 100, 599, (guint64 *) NULL, NULL))
    {
      edge_return (task, PC_EDGE_PROXY_FAILED,
                   g_strdup_printf ("The upstream proxy %s answered CONNECT with “%.80s”",
                                    data->upstream, data->reply->str));
      return;
    }

  status = (guint) g_ascii_strtoull (words[1], NULL, 10);
  if (status == 407)
    edge_return (task, PC_EDGE_PROXY_AUTH,
                 g_strdup_printf ("HTTP 407 %s from the upstream proxy %s",
                                  words[2] ? words[2] : "", data->upstream));
  else if (status / 100 != 2)
    edge_return (task, PC_EDGE_PROXY_FAILED,
                 g_strdup_printf ("HTTP %u %s from the upstream proxy %s for CONNECT %s",
                                  status, words[2] ? words[2] : "", data->upstream, data->edge));
  else
    edge_start_tls (g_steal_pointer (&task), G_IO_STREAM (data->connection));
}

static void
read_connect_reply (GTask *task)
{
  EdgeData *data = g_task_get_task_data (task);
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (data->connection));

  /* Small reads: nothing after the header may be swallowed, and the
   * proxy sends nothing more before the TLS client speaks. */
  g_input_stream_read_async (input, data->buffer, sizeof data->buffer, G_PRIORITY_DEFAULT,
                             g_task_get_cancellable (task), on_connect_reply_read_cb, task);
}

static void
on_connect_request_written_cb (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EdgeData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      if (!edge_return_if_cancelled (task, error))
        edge_return (task, PC_EDGE_UNREACHABLE,
                     g_strdup_printf ("Cannot send CONNECT to the upstream proxy %s: %s",
                                      data->upstream, error->message));
      return;
    }

  data->reply = g_string_new (NULL);
  read_connect_reply (g_steal_pointer (&task));
}

static GInetSocketAddress *
literal_address (const char *host_port)
{
  g_autoptr(GSocketConnectable) connectable = g_network_address_parse (host_port, 0, NULL);
  g_autoptr(GInetAddress) address = NULL;

  if (connectable == NULL)
    return NULL;
  address = g_inet_address_new_from_string (g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable)));
  if (address == NULL)
    return NULL;
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (address,
                                                           g_network_address_get_port (G_NETWORK_ADDRESS (connectable))));
}

static void
on_connected_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EdgeData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  const char *target = data->upstream ? data->upstream : data->edge;

  data->connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, &error);
  if (data->connection == NULL)
    {
      g_autoptr(GInetSocketAddress) address = NULL;
      g_autofree char *local = NULL;

      if (edge_return_if_cancelled (task, error))
        return;

      /* A rule that drops the SYN only shows as a timeout; a datagram to
       * the same place tells whether it is this host that drops it. */
      address = literal_address (target);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
        local = g_strdup (error->message);
      else if (address != NULL)
        local = pc_probe_local_block (address);

      if (local != NULL)
        edge_return (task, PC_EDGE_LOCALLY_BLOCKED,
                     g_strdup_printf ("Traffic to %s is blocked on this computer: %s", target, local));
      else
        edge_return (task, PC_EDGE_UNREACHABLE,
                     g_strdup_printf ("%s%s: %s", data->upstream ? "Upstream proxy " : "", target,
                                      error->message));
      return;
    }

  if (data->upstream != NULL)
    {
      GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (data->connection));
      g_autofree char *request = g_strdup_printf ("CONNECT %s HTTP/1.1\r\nHost: %s\r\n"
                                                  "User-Agent: portcullisd/" PACKAGE_VERSION "\r\n\r\n",
                                                  data->edge, data->edge);

      GCancellable *cancellable = g_task_get_cancellable (task);

      /* write_all_async copies nothing: the request lives with the connection. */
      char *text = g_steal_pointer (&request);

      g_object_set_data_full (G_OBJECT (data->connection), "pc-connect-request", text, g_free);
      g_output_stream_write_all_async (output, text, strlen (text),
                                       G_PRIORITY_DEFAULT, cancellable, on_connect_request_written_cb,
                                       g_steal_pointer (&task));
      return;
    }

  edge_start_tls (g_steal_pointer (&task), G_IO_STREAM (data->connection));
}

/* "http://host:port" → "host:port" */
static char *
proxy_host_port (const char *upstream_proxy)
{
  g_autoptr(GUri) uri = g_uri_parse (upstream_proxy, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return NULL;
  return g_strdup_printf (strchr (g_uri_get_host (uri), ':') ? "[%s]:%d" : "%s:%d",
                          g_uri_get_host (uri), g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : 8080);
}

void
pc_edge_connect_async (const char          *host_port,
                       GTlsDatabase        *database,
                       const char          *upstream_proxy,
                       guint                timeout_s,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  EdgeData *data = g_new0 (EdgeData, 1);
  g_autoptr(GError) error = NULL;

  g_task_set_source_tag (task, pc_edge_connect_async);
  g_task_set_task_data (task, data, (GDestroyNotify) edge_data_free);

  data->edge = g_strdup (host_port);
  data->database = database ? g_object_ref (database) : NULL;
  data->timeout_s = timeout_s;
  data->edge_address = g_network_address_parse (host_port, 443, &error);
  if (data->edge_address == NULL)
    {
      edge_return (task, PC_EDGE_UNREACHABLE, g_strdup_printf ("Bad edge address %s: %s",
                                                               host_port, error->message));
      return;
    }
  if (upstream_proxy != NULL && (data->upstream = proxy_host_port (upstream_proxy)) == NULL)
    {
      edge_return (task, PC_EDGE_PROXY_FAILED, g_strdup_printf ("Bad upstream proxy %s", upstream_proxy));
      return;
    }

  data->client = g_socket_client_new ();
  /* Only the profile decides the path: no proxy from the environment. */
  g_socket_client_set_enable_proxy (data->client, FALSE);
  g_socket_client_set_timeout (data->client, timeout_s);
  g_socket_client_connect_to_host_async (data->client, data->upstream ? data->upstream : host_port,
                                         443, cancellable, on_connected_cb, g_steal_pointer (&task));
}

GIOStream *
pc_edge_connect_finish (GAsyncResult   *result,
                        PcEdgeOutcome  *outcome,
                        char          **detail,
                        GError        **error)
{
  EdgeEnd *end = g_task_propagate_pointer (G_TASK (result), error);
  GIOStream *stream;

  if (end == NULL)
    return NULL;

  if (outcome != NULL)
    *outcome = end->outcome;
  if (detail != NULL)
    *detail = g_steal_pointer (&end->detail);
  stream = g_steal_pointer (&end->stream);
  edge_end_free (end);
  return stream;
}

static void
on_probe_connected_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  PcEdgeOutcome outcome = PC_EDGE_UNREACHABLE;
  char *detail = NULL;

  stream = pc_edge_connect_finish (result, &outcome, &detail, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_object_set_data_full (G_OBJECT (task), "pc-detail", detail, g_free);
  if (stream != NULL)
    {
      g_autoptr(GIOStream) base = NULL;
      g_autoptr(GSocketAddress) local = NULL;

      /* The address this host used towards the edge: ClientAddress. */
      g_object_get (stream, "base-io-stream", &base, NULL);
      if (G_IS_SOCKET_CONNECTION (base) &&
          (local = g_socket_connection_get_local_address (G_SOCKET_CONNECTION (base), NULL)) != NULL &&
          G_IS_INET_SOCKET_ADDRESS (local))
        g_object_set_data_full (G_OBJECT (task), "pc-client-address",
                                g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local))),
                                g_free);
      g_io_stream_close_async (stream, G_PRIORITY_LOW, NULL, NULL, NULL);
    }
  g_task_return_int (task, outcome);
}

void
pc_probe_edge_async (const char          *host_port,
                     GTlsDatabase        *database,
                     const char          *upstream_proxy,
                     guint                timeout_s,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, pc_probe_edge_async);
  pc_edge_connect_async (host_port, database, upstream_proxy, timeout_s, cancellable,
                         on_probe_connected_cb, task);
}

PcEdgeOutcome
pc_probe_edge_finish (GAsyncResult  *result,
                      char         **detail,
                      char         **client_address,
                      GError       **error)
{
  gssize outcome = g_task_propagate_int (G_TASK (result), error);

  if (outcome < 0)
    return PC_EDGE_UNREACHABLE;
  if (detail != NULL)
    *detail = g_strdup (g_object_get_data (G_OBJECT (result), "pc-detail"));
  if (client_address != NULL)
    *client_address = g_strdup (g_object_get_data (G_OBJECT (result), "pc-client-address"));
  return (PcEdgeOutcome) outcome;
}

static gboolean
is_admin_prohibited (const struct sock_extended_err *ee)
{
  if (ee->ee_origin == SO_EE_ORIGIN_ICMP)
    return ee->ee_type == ICMP_DEST_UNREACH &&
           (ee->ee_code == ICMP_NET_ANO || ee->ee_code == ICMP_HOST_ANO ||
            ee->ee_code == ICMP_PKT_FILTERED);
  if (ee->ee_origin == SO_EE_ORIGIN_ICMP6)
    return ee->ee_type == ICMP6_DST_UNREACH && ee->ee_code == ICMP6_DST_UNREACH_ADMIN;
  return FALSE;
}

char *
pc_probe_local_block (GInetSocketAddress *address)
{
  struct sockaddr_storage target;
  struct sockaddr_storage local;
  socklen_t local_len = sizeof local;
  GSocketFamily family = g_socket_address_get_family (G_SOCKET_ADDRESS (address));
  int level = family == G_SOCKET_FAMILY_IPV6 ? IPPROTO_IPV6 : IPPROTO_IP;
  int option = family == G_SOCKET_FAMILY_IPV6 ? IPV6_RECVERR : IP_RECVERR;
  int on = 1;
  char *verdict = NULL;
  int fd;

  if (!g_socket_address_to_native (G_SOCKET_ADDRESS (address), &target, sizeof target, NULL))
    return NULL;

  fd = socket (target.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return (errno == EPERM || errno == EACCES) ? g_strdup_printf ("socket: %s", g_strerror (errno)) : NULL;

  setsockopt (fd, level, option, &on, sizeof on);

  if (connect (fd, (struct sockaddr *) &target,
               g_socket_address_get_native_size (G_SOCKET_ADDRESS (address))) != 0 ||
      send (fd, "", 1, 0) < 0)
    {
      /* netfilter's DROP / REJECT on output and LSM denials end here. */
      if (errno == EPERM || errno == EACCES)
        verdict = g_strdup (g_strerror (errno));
    }
  else
    {
      /* An ICMP "administratively prohibited" sent by this very host. */
      guint8 control[512];
      guint8 payload[16];
      struct sockaddr_storage from;
      struct iovec iov = { payload, sizeof payload };
      struct msghdr msg = { &from, sizeof from, &iov, 1, control, sizeof control, 0 };

      getsockname (fd, (struct sockaddr *) &local, &local_len);
      if (recvmsg (fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0)
        for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c != NULL; c = CMSG_NXTHDR (&msg, c))
          {
            const struct sock_extended_err *ee;
            const struct sockaddr *offender;

            if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
                  (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
              continue;
            ee = (const struct sock_extended_err *) CMSG_DATA (c);
            offender = SO_EE_OFFENDER (ee);
            if (!is_admin_prohibited (ee))
              continue;
            if ((offender->sa_family == AF_INET && local.ss_family == AF_INET &&
                 ((const struct sockaddr_in *) offender)->sin_addr.s_addr ==
                 ((const struct sockaddr_in *) &local)->sin_addr.s_addr) ||
                (offender->sa_family == AF_INET6 && local.ss_family == AF_INET6 &&
                 memcmp (&((const struct sockaddr_in6 *) offender)->sin6_addr,
                         &((const struct sockaddr_in6 *) &local)->sin6_addr, 16) == 0))
              verdict = g_strdup ("administratively prohibited by this host");
          }
    }

  close (fd);
  return verdict;
}
