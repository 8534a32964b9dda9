/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-local-proxy"

#include "config.h"

#include <string.h>

#include "pc-local-proxy.h"
#include "pc-probe.h"

/*
 * PcLocalProxy: the forwarding proxy of `tunnel: "proxy"`, on the
 * profile's internet_security.local_proxy. Applications speak HTTP proxy
 * to it (CONNECT, or a request with an absolute URI). Normally each client
 * connection is carried whole through a TLS connection to the service edge
 * (through the upstream proxy when there is one), which does the rest. In
 * fail-open it goes straight to the target; in fail-close it is refused.
 * Bytes are counted in both directions.
 */

#define HEADER_MAX       (16 * 1024)
#define IDLE_TIMEOUT_S   300
#define EDGE_TIMEOUT_S   10
#define TRAFFIC_NOTIFY_MS 500
#define CHUNK            (16 * 1024)

struct _PcLocalProxy
{
  GObject            parent_instance;

  GSocketService    *service;
  char              *address;
  char              *edge;
  GTlsDatabase      *database;
  char              *upstream;
  PcLocalProxyMode   mode;
  guint64            bytes_sent;
  guint64            bytes_received;
  guint              traffic_id;
  GCancellable      *cancellable;
};

G_DEFINE_FINAL_TYPE (PcLocalProxy, pc_local_proxy, G_TYPE_OBJECT)

enum {
  TRAFFIC,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* --- counting, with notifications at most every TRAFFIC_NOTIFY_MS --- */

static gboolean
on_traffic_timeout_cb (gpointer user_data)
{
  PcLocalProxy *self = PC_LOCAL_PROXY (user_data);

  self->traffic_id = 0;
  g_signal_emit (self, signals[TRAFFIC], 0);
  return G_SOURCE_REMOVE;
}

static void
count (PcLocalProxy *self,
       gboolean      sent,
       gsize         bytes)
{
  if (sent)
    self->bytes_sent += bytes;
  else
    self->bytes_received += bytes;
  if (self->traffic_id == 0)
    self->traffic_id = g_timeout_add (TRAFFIC_NOTIFY_MS, on_traffic_timeout_cb, self);
}

/* --- one client connection --- */

typedef struct _Pump Pump;

typedef struct
{
  PcLocalProxy      *self;
  GSocketConnection *client;
  GIOStream         *target;
  GCancellable      *cancellable;
  GString           *header;
  guint8             buffer[4096];
  Pump              *pumps[2];
  guint              open_pumps;
  guint              refs;
  gboolean           closing;
} Conn;

struct _Pump
{
  Conn          *conn;
  GInputStream  *from;
  GOutputStream *to;
  GIOStream     *to_stream;
  gboolean       sent;       /* client → target */
  guint8         buffer[CHUNK];
};

static Conn *
conn_ref (Conn *conn)
{
  conn->refs++;
  return conn;
}

static void
conn_unref (Conn *conn)
{
  if (--conn->refs > 0)
    return;
  for (guint i = 0; i < 2; i++)
    g_free (conn->pumps[i]);
  g_clear_object (&conn->client);
  g_clear_object (&conn->target);
  g_clear_object (&conn->cancellable);
  if (conn->header != NULL)
    g_string_free (conn->header, TRUE);
  g_clear_object (&conn->self);
  g_free (conn);
}

static gboolean
conn_close_in_idle (gpointer user_data)
{
  Conn *conn = user_data;

  g_cancellable_cancel (conn->cancellable);
  if (conn->client != NULL)
    g_io_stream_close_async (G_IO_STREAM (conn->client), G_PRIORITY_LOW, NULL, NULL, NULL);
  if (conn->target != NULL)
    g_io_stream_close_async (conn->target, G_PRIORITY_LOW, NULL, NULL, NULL);
  return G_SOURCE_REMOVE;
}

/* Writes that already went out report back before the cancellation (a
 * cancelled GTask hides its result), so their bytes are counted. */
static void
conn_close (Conn *conn)
{
  if (conn->closing)
    return;
  conn->closing = TRUE;
  g_idle_add_full (G_PRIORITY_LOW, conn_close_in_idle, conn_ref (conn), (GDestroyNotify) conn_unref);
}

static void pump_read (Pump *pump);

static void
pump_finish (Pump *pump)
{
  Conn *conn = pump->conn;

  /* Pass the half-close on where the stream allows it. */
  if (G_IS_SOCKET_CONNECTION (pump->to_stream))
    g_socket_shutdown (g_socket_connection_get_socket (G_SOCKET_CONNECTION (pump->to_stream)),
                       FALSE, TRUE, NULL);
  if (--conn->open_pumps == 0 || !G_IS_SOCKET_CONNECTION (pump->to_stream))
    conn_close (conn);
  conn_unref (conn);
}

static void
on_pump_written_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Pump *pump = user_data;
  gsize written = 0;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, &written, NULL))
    {
      conn_close (pump->conn);
      conn_unref (pump->conn);
      return;
    }

  count (pump->conn->self, pump->sent, written);
  pump_read (pump);
}

static void
on_pump_read_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Pump *pump = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n < 0)
    {
      conn_close (pump->conn);
      conn_unref (pump->conn);
      return;
    }
  if (n == 0)
    {
      pump_finish (pump);
      return;
    }

  g_output_stream_write_all_async (pump->to, pump->buffer, n, G_PRIORITY_DEFAULT,
                                   pump->conn->cancellable, on_pump_written_cb, pump);
}

static void
pump_read (Pump *pump)
{
  g_input_stream_read_async (pump->from, pump->buffer, sizeof pump->buffer, G_PRIORITY_DEFAULT,
                             pump->conn->cancellable, on_pump_read_cb, pump);
}

static void
pump_start (Conn      *conn,
            guint      index,
            GIOStream *from,
            GIOStream *to,
            gboolean   sent)
{
  Pump *pump = g_new0 (Pump, 1);

  pump->conn = conn_ref (conn);
  pump->from = g_io_stream_get_input_stream (from);
  pump->to = g_io_stream_get_output_stream (to);
  pump->to_stream = to;
  pump->sent = sent;
  conn->pumps[index] = pump;
  conn->open_pumps++;
  pump_read (pump);
}

static void
conn_start_pumps (Conn *conn)
{
  pump_start (conn, 0, G_IO_STREAM (conn->client), conn->target, TRUE);
  pump_start (conn, 1, conn->target, G_IO_STREAM (conn->client), FALSE);
}

static void
on_reply_written_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Conn *conn = user_data;
  gboolean close_after = GPOINTER_TO_INT (g_object_get_data (source, "pc-close-after"));

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL) || close_after)
    conn_close (conn);
  else
    conn_start_pumps (conn);
  conn_unref (conn);
}

/* Answer the client ourselves (an error, or 200 to a direct CONNECT). */
static void
conn_reply (Conn       *conn,
            const char *reply,
            gboolean    close_after)
{
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (conn->client));
  char *copy = g_strdup (reply);

  g_object_set_data_full (G_OBJECT (output), "pc-reply", copy, g_free);
  g_object_set_data (G_OBJECT (output), "pc-close-after", GINT_TO_POINTER (close_after));
  g_output_stream_write_all_async (output, copy, strlen (copy), G_PRIORITY_DEFAULT,
                                   conn->cancellable, on_reply_written_cb, conn_ref (conn));
}

static void
conn_reply_error (Conn       *conn,
                  guint       status,
                  const char *reason,
                  const char *text)
{
  g_autofree char *reply = g_strdup_printf ("HTTP/1.1 %u %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                            "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                                            status, reason, strlen (text), text);

  conn_reply (conn, reply, TRUE);
}

static void
on_header_forwarded_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  Conn *conn = user_data;
  gsize written = 0;

  if (g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, &written, NULL))
    {
      count (conn->self, TRUE, written);
      conn_start_pumps (conn);
    }
  else
    conn_close (conn);
  conn_unref (conn);
}

/* The target is reached: send what the client already said, then pump. */
static void
conn_forward_header (Conn *conn)
{
  g_output_stream_write_all_async (g_io_stream_get_output_stream (conn->target),
                                   conn->header->str, conn->header->len, G_PRIORITY_DEFAULT,
                                   conn->cancellable, on_header_forwarded_cb, conn_ref (conn));
}

static void
on_edge_connected_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Conn *conn = user_data;
  g_autofree char *detail = NULL;
  PcEdgeOutcome outcome;

  conn->target = pc_edge_connect_finish (result, &outcome, &detail, NULL);
  if (conn->target != NULL)
    conn_forward_header (conn);
  else if (!g_cancellable_is_cancelled (conn->cancellable))
    conn_reply_error (conn, 502, "Bad Gateway", detail ? detail : "The service edge cannot be reached");
  conn_unref (conn);
}

typedef struct
{
  Conn     *conn;
  gboolean  is_connect;
} DirectData;

static void
on_direct_connected_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  DirectData *direct = user_data;
  Conn *conn = direct->conn;
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, &error);
  if (connection == NULL)
    {
      if (!g_cancellable_is_cancelled (conn->cancellable))
        conn_reply_error (conn, 502, "Bad Gateway", error->message);
    }
  else
    {
      conn->target = G_IO_STREAM (connection);
      if (direct->is_connect)
        conn_reply (conn, "HTTP/1.1 200 Connection established\r\n\r\n", FALSE);
      else
        conn_forward_header (conn);
    }
  conn_unref (conn);
  g_free (direct);
}

/* Fail-open: to the target itself. "CONNECT h:p" is answered here; an
 * absolute-URI request is rewritten to origin form and sent on. */
static void
conn_go_direct (Conn *conn)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autofree char *line = g_strndup (conn->header->str, strcspn (conn->header->str, "\r\n"));
  g_auto(GStrv) words = g_strsplit (line, " ", 3);
  DirectData *direct;
  g_autofree char *target = NULL;

  if (g_strv_length (words) != 3)
    {
      conn_reply_error (conn, 400, "Bad Request", "Not an HTTP proxy request");
      return;
    }

  direct = g_new0 (DirectData, 1);
  direct->conn = conn_ref (conn);
  if (g_str_equal (words[0], "CONNECT"))
    {
      direct->is_connect = TRUE;
      target = g_strdup (words[1]);
      g_string_erase (conn->header, 0, strstr (conn->header->str, "\r\n\r\n") + 4 - conn->header->str);
    }
  else
    {
      g_autoptr(GUri) uri = g_uri_parse (words[1], G_URI_FLAGS_NONE, NULL);
      g_autofree char *path = NULL;

      if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "http") != 0)
        {
          conn_unref (direct->conn);
          g_free (direct);
          conn_reply_error (conn, 400, "Bad Request", "Only http:// URLs and CONNECT are proxied");
          return;
        }
      target = g_strdup_printf ("%s:%d", g_uri_get_host (uri),
                                g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : 80);
      path = g_strdup_printf ("%s%s%s", *g_uri_get_path (uri) ? g_uri_get_path (uri) : "/",
                              g_uri_get_query (uri) ? "?" : "",
                              g_uri_get_query (uri) ? g_uri_get_query (uri) : "");
      g_string_erase (conn->header, 0, strlen (line));
      g_string_prepend (conn->header, words[2]);
      g_string_prepend_c (conn->header, ' ');
      g_string_prepend (conn->header, path);
      g_string_prepend_c (conn->header, ' ');
      g_string_prepend (conn->header, words[0]);
    }

  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, EDGE_TIMEOUT_S);
  g_socket_client_connect_to_host_async (client, target, 80, conn->cancellable,
                                         on_direct_connected_cb, direct);
}

static void
conn_dispatch (Conn *conn)
{
  PcLocalProxy *self = conn->self;

  switch (self->mode)
    {
    case PC_LOCAL_PROXY_BLOCK:
      conn_reply_error (conn, 403, "Forbidden",
                        "Blocked by Portcullis: Internet Security fails close until the problem is fixed");
      break;
    case PC_LOCAL_PROXY_DIRECT:
      conn_go_direct (conn);
      break;
    case PC_LOCAL_PROXY_EDGE:
    default:
      if (self->edge == NULL)
        conn_go_direct (conn);
      else
        pc_edge_connect_async (self->edge, self->database, self->upstream, EDGE_TIMEOUT_S,
                               conn->cancellable, on_edge_connected_cb, conn_ref (conn));
      break;
    }
}

static void read_header (Conn *conn);

static void
on_header_read_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Conn *conn = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0)
    conn_close (conn);
  else
    {
      g_string_append_len (conn->header, (const char *) conn->buffer, n);
      if (strstr (conn->header->str, "\r\n\r\n") != NULL)
        conn_dispatch (conn);
      else if (conn->header->len > HEADER_MAX)
        conn_reply_error (conn, 431, "Request Header Fields Too Large", "The request header is too large");
      else
        read_header (conn);
    }
  conn_unref (conn);
}

static void
read_header (Conn *conn)
{
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (conn->client));

  g_input_stream_read_async (input, conn->buffer, sizeof conn->buffer - 1, G_PRIORITY_DEFAULT,
                             conn->cancellable, on_header_read_cb, conn_ref (conn));
}

static gboolean
on_incoming_cb (PcLocalProxy      *self,
                GSocketConnection *connection,
                GObject           *source_object,
                GSocketService    *service)
{
  Conn *conn = g_new0 (Conn, 1);

  conn->refs = 1;
  conn->self = g_object_ref (self);
  conn->client = g_object_ref (connection);
  conn->cancellable = g_cancellable_new ();
  conn->header = g_string_new (NULL);
  g_signal_connect_object (self->cancellable, "cancelled", G_CALLBACK (g_cancellable_cancel),
                           conn->cancellable, G_CONNECT_SWAPPED);
  g_socket_set_timeout (g_socket_connection_get_socket (connection), IDLE_TIMEOUT_S);

  read_header (conn);
  conn_unref (conn);
  return TRUE;
}

/* --- public --- */

gboolean
pc_local_proxy_listen (PcLocalProxy  *self,
                       const char    *host_port,
                       GError       **error)
{
  g_autoptr(GSocketConnectable) connectable = NULL;
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *host;

  g_return_val_if_fail (PC_IS_LOCAL_PROXY (self), FALSE);

  if (self->address != NULL)
    return TRUE;

  connectable = g_network_address_parse (host_port, 0, &local_error);
  if (connectable == NULL ||
      (address = g_inet_address_new_from_string (host = g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable)))) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The local proxy address %s is not an IP address and port", host_port);
      return FALSE;
    }

  socket_address = g_inet_socket_address_new (address, g_network_address_get_port (G_NETWORK_ADDRESS (connectable)));
  self->service = g_socket_service_new ();
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), socket_address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, NULL,
                                      &local_error))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "The local proxy cannot listen on %s: %s", host_port, local_error->message);
      g_clear_object (&self->service);
      return FALSE;
    }

  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_signal_connect_object (self->service, "incoming", G_CALLBACK (on_incoming_cb), self,
                           G_CONNECT_SWAPPED);
  g_socket_service_start (self->service);
  self->address = g_strdup (host_port);
  g_message ("Local proxy listening on %s", host_port);
  return TRUE;
}

void
pc_local_proxy_stop (PcLocalProxy *self)
{
  g_return_if_fail (PC_IS_LOCAL_PROXY (self));

  if (self->service != NULL)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
    }
  g_clear_object (&self->service);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->address, g_free);
}

/* NULL when it does not listen. */
const char *
pc_local_proxy_get_address (PcLocalProxy *self)
{
  g_return_val_if_fail (PC_IS_LOCAL_PROXY (self), NULL);

  return self->address;
}

void
pc_local_proxy_set_edge (PcLocalProxy *self,
                         const char   *edge,
                         GTlsDatabase *database,
                         const char   *upstream_proxy)
{
  g_return_if_fail (PC_IS_LOCAL_PROXY (self));

  g_free (self->edge);
  self->edge = g_strdup (edge);
  g_set_object (&self->database, database);
  g_free (self->upstream);
  self->upstream = g_strdup (upstream_proxy);
}

void
pc_local_proxy_set_mode (PcLocalProxy     *self,
                         PcLocalProxyMode  mode)
{
  static const char * const names[] = { "through the edge", "directly (fail-open)", "blocked (fail-close)" };

  g_return_if_fail (PC_IS_LOCAL_PROXY (self));

  if (self->mode == mode)
    return;
  self->mode = mode;
  g_message ("Local proxy now forwards %s", names[mode]);
}

PcLocalProxyMode
pc_local_proxy_get_mode (PcLocalProxy *self)
{
  g_return_val_if_fail (PC_IS_LOCAL_PROXY (self), PC_LOCAL_PROXY_EDGE);

  return self->mode;
}

guint64
pc_local_proxy_get_bytes_sent (PcLocalProxy *self)
{
  g_return_val_if_fail (PC_IS_LOCAL_PROXY (self), 0);

  return self->bytes_sent;
}

guint64
pc_local_proxy_get_bytes_received (PcLocalProxy *self)
{
  g_return_val_if_fail (PC_IS_LOCAL_PROXY (self), 0);

  return self->bytes_received;
}

static void
pc_local_proxy_dispose (GObject *object)
{
  PcLocalProxy *self = PC_LOCAL_PROXY (object);

  pc_local_proxy_stop (self);
  g_clear_handle_id (&self->traffic_id, g_source_remove);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->database);

  G_OBJECT_CLASS (pc_local_proxy_parent_class)->dispose (object);
}

static void
pc_local_proxy_finalize (GObject *object)
{
  PcLocalProxy *self = PC_LOCAL_PROXY (object);

  g_clear_pointer (&self->edge, g_free);
  g_clear_pointer (&self->upstream, g_free);

  G_OBJECT_CLASS (pc_local_proxy_parent_class)->finalize (object);
}

static void
pc_local_proxy_class_init (PcLocalProxyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pc_local_proxy_dispose;
  object_class->finalize = pc_local_proxy_finalize;

  /* The byte counters moved; emitted at most twice a second. */
  signals[TRAFFIC] =
    g_signal_new ("traffic",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
pc_local_proxy_init (PcLocalProxy *self)
{
  self->cancellable = g_cancellable_new ();
}

PcLocalProxy *
pc_local_proxy_new (void)
{
  return g_object_new (PC_TYPE_LOCAL_PROXY, NULL);
}
