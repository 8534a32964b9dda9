/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-probe"

#include "config.h"

#include <json.h>
#include <string.h>

#include "pc-probe.h"
#include "pc-util.h"

/*
 * The HTTP(S) checks: the Digital Experience server, the disaster-recovery
 * status URL and the captive-portal probe. They share one SoupSession that
 * trusts the system roots and, beside them, the profile's top-level
 * ca_file (DESIGN §6).
 */

#define BODY_MAX (64 * 1024)

/* The profile's roots did not vouch for the peer; the system's may. They
 * are only loaded then: most profiles' endpoints chain to their own CA,
 * and the system bundle costs megabytes of memory. */
static gboolean
on_accept_certificate_cb (SoupMessage          *message,
                          GTlsCertificate      *certificate,
                          GTlsCertificateFlags  errors)
{
  g_autoptr(GTlsDatabase) system_roots = g_tls_backend_get_default_database (g_tls_backend_get_default ());
  g_autoptr(GSocketConnectable) identity = NULL;
  GUri *uri = soup_message_get_uri (message);
  GTlsCertificateFlags verdict;

  if (system_roots == NULL || (errors & ~G_TLS_CERTIFICATE_UNKNOWN_CA) != 0)
    return FALSE;

  identity = g_network_address_new (g_uri_get_host (uri), g_uri_get_port (uri));
  verdict = g_tls_database_verify_chain (system_roots, certificate,
                                         G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                         identity, NULL, G_TLS_DATABASE_VERIFY_NONE, NULL, NULL);
  return verdict == 0;
}

static void
on_request_queued_cb (SoupSession *session,
                      SoupMessage *message,
                      gpointer     user_data)
{
  g_signal_connect (message, "accept-certificate", G_CALLBACK (on_accept_certificate_cb), NULL);
}

SoupSession *
pc_probe_http_session_new (GTlsDatabase *extra_roots,
                           guint         timeout_s)
{
  g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new ("direct://", NULL);
  SoupSession *session;

  /* No proxy from the environment: the probes see the network as it is. */
  session = soup_session_new_with_options ("timeout", timeout_s,
                                           "idle-timeout", 1,
                                           "proxy-resolver", direct,
                                           "user-agent", "portcullisd/" PACKAGE_VERSION,
                                           NULL);
  if (extra_roots != NULL)
    {
      /* The profile's roots first, the system's as a fallback. */
      soup_session_set_tls_database (session, extra_roots);
      g_signal_connect (session, "request-queued", G_CALLBACK (on_request_queued_cb), NULL);
    }
  return session;
}

/* --- one GET, body read whole (bounded) --- */

typedef struct
{
  SoupMessage *message;
  GBytes      *body;
  char        *failure;   /* set when no HTTP answer came */
} Fetch;

static void
fetch_free (Fetch *fetch)
{
  g_clear_object (&fetch->message);
  g_clear_pointer (&fetch->body, g_bytes_unref);
  g_free (fetch->failure);
  g_free (fetch);
}

static void
on_fetch_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  fetch->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (fetch->body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      if (error->domain == G_TLS_ERROR)
        {
          GTlsCertificateFlags flags = soup_message_get_tls_peer_certificate_errors (fetch->message);

          fetch->failure = g_strdup_printf ("%s (TLS certificate flags 0x%x)", error->message, flags);
        }
      else
        fetch->failure = g_strdup (error->message);
    }
  g_task_return_boolean (task, TRUE);
}

static GTask *
fetch_start (SoupSession         *session,
             const char          *url,
             gboolean             follow_redirects,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data,
             gpointer             source_tag)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Fetch *fetch = g_new0 (Fetch, 1);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, fetch, (GDestroyNotify) fetch_free);

  fetch->message = soup_message_new (SOUP_METHOD_GET, url);
  if (fetch->message == NULL)
    {
      fetch->failure = g_strdup_printf ("%s is not a valid URL", url);
      g_task_return_boolean (task, TRUE);
      return task;
    }
  if (!follow_redirects)
    soup_message_add_flags (fetch->message, SOUP_MESSAGE_NO_REDIRECT);
  /* A fresh answer every time: a cached 204 would hide a portal. */
  soup_message_headers_replace (soup_message_get_request_headers (fetch->message),
                                "Cache-Control", "no-cache");
  soup_session_send_and_read_async (session, fetch->message, G_PRIORITY_DEFAULT, cancellable,
                                    on_fetch_done_cb, g_object_ref (task));
  return task;
}

static Fetch *
fetch_finish (GAsyncResult  *result,
              GError       **error)
{
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  return g_task_get_task_data (G_TASK (result));
}

/* --- Digital Experience --- */

void
pc_probe_dx_async (SoupSession         *session,
                   const char          *server_url,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr(GTask) task = fetch_start (session, server_url, TRUE, cancellable, callback, user_data,
                                       pc_probe_dx_async);
}

gboolean
pc_probe_dx_finish (GAsyncResult  *result,
                    char         **detail,
                    GError       **error)
{
  Fetch *fetch = fetch_finish (result, error);
  guint status;

  if (fetch == NULL)
    return FALSE;

  if (fetch->failure != NULL)
    {
      *detail = g_strdup (fetch->failure);
      return FALSE;
    }

  status = soup_message_get_status (fetch->message);
  if (status >= 200 && status < 300)
    return TRUE;

  *detail = g_strdup_printf ("HTTP %u %s", status, soup_message_get_reason_phrase (fetch->message));
  return FALSE;
}

/* --- disaster recovery --- */

void
pc_probe_dr_async (SoupSession         *session,
                   const char          *status_url,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr(GTask) task = fetch_start (session, status_url, TRUE, cancellable, callback, user_data,
                                       pc_probe_dr_async);
}

PcDrState
pc_probe_dr_finish (GAsyncResult  *result,
                    char         **detail,
                    GError       **error)
{
  Fetch *fetch = fetch_finish (result, error);
  g_autoptr(json_object) root = NULL;
  g_autofree char *text = NULL;
  json_object *active = NULL;
  const char *data;
  gsize size;
  guint status;

  if (fetch == NULL)
    return PC_DR_UNKNOWN;

  if (fetch->failure != NULL)
    {
      *detail = g_strdup (fetch->failure);
      return PC_DR_UNKNOWN;
    }

  status = soup_message_get_status (fetch->message);
  if (status != 200)
    {
      *detail = g_strdup_printf ("HTTP %u from the disaster-recovery status URL", status);
      return PC_DR_UNKNOWN;
    }

  data = g_bytes_get_data (fetch->body, &size);
  if (size <= BODY_MAX && data != NULL)
    text = g_strndup (data, size);
  if (text == NULL || (root = json_tokener_parse (text)) == NULL ||
      !json_object_object_get_ex (root, "active", &active) ||
      !json_object_is_type (active, json_type_boolean))
    {
      *detail = g_strdup ("The disaster-recovery status is not {\"active\": true|false}");
      return PC_DR_UNKNOWN;
    }

  if (!json_object_get_boolean (active))
    return PC_DR_INACTIVE;

  *detail = g_strdup ("Disaster recovery is active");
  return PC_DR_ACTIVE;
}

/* --- captive portal --- */

void
pc_probe_portal_async (SoupSession         *session,
                       const char          *probe_url,
                       guint                expected_status,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = fetch_start (session, probe_url, FALSE, cancellable, callback, user_data,
                                       pc_probe_portal_async);

  g_object_set_data (G_OBJECT (task), "pc-expected-status", GUINT_TO_POINTER (expected_status));
}

/*
 * NetworkManager's rules: the expected status (204 by default) with an
 * empty body means the way is open; a redirect, another status, or a body
 * where none was expected means something answers in the internet's place.
 */
PcPortalState
pc_probe_portal_finish (GAsyncResult  *result,
                        char         **portal_url,
                        char         **detail,
                        GError       **error)
{
  Fetch *fetch = fetch_finish (result, error);
  guint expected = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (result), "pc-expected-status"));
  g_autofree char *probe_url = NULL;
  const char *location;
  gsize size = 0;
  guint status;

  if (fetch == NULL)
    return PC_PORTAL_UNKNOWN;

  if (fetch->failure != NULL)
    {
      *detail = g_strdup (fetch->failure);
      return PC_PORTAL_UNKNOWN;
    }

  status = soup_message_get_status (fetch->message);
  if (fetch->body != NULL)
    g_bytes_get_data (fetch->body, &size);

  if (status == expected && (expected != 204 || size == 0))
    return PC_PORTAL_NONE;

  probe_url = g_uri_to_string (soup_message_get_uri (fetch->message));
  location = soup_message_headers_get_one (soup_message_get_response_headers (fetch->message),
                                           "Location");
  if (SOUP_STATUS_IS_REDIRECTION (status) && location != NULL)
    {
      g_autoptr(GUri) target = g_uri_parse_relative (soup_message_get_uri (fetch->message),
                                                     location, G_URI_FLAGS_NONE, NULL);

      *portal_url = target ? g_uri_to_string (target) : g_strdup (probe_url);
    }
  else
    *portal_url = g_strdup (probe_url);

  *detail = g_strdup_printf ("HTTP %u where %u was expected from %s", status, expected, probe_url);
  return PC_PORTAL_DETECTED;
}
