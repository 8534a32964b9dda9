/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-auth"

#include "config.h"

#include <glib/gstdio.h>
#include <json.h>
#include <string.h>

#include "pc-auth.h"
#include "pc-util.h"

/*
 * PcAuth: signing in with the profile's identity provider, the OAuth 2.0
 * device authorization grant (RFC 8628) found by OIDC discovery at
 * auth.issuer. TLS to the IdP is checked against auth.ca_file alone when
 * the profile gives one (a pin): a peer that does not chain to it is an
 * interception, reported as intermediate-authentication-error. The token
 * is kept in <state-dir>/token.json (0600) and refreshed before it
 * expires.
 *
 * Everything runs on the main context with libsoup's async calls and
 * timers: the device-code polling interval (RFC 8628 §3.5, with slow_down
 * adding 5 s) and the refresh time.
 */

#define HTTP_TIMEOUT_S        10
#define DEFAULT_INTERVAL_S    5
#define SLOW_DOWN_STEP_S      5
#define REFRESH_RETRY_S       30
#define BODY_MAX              (256 * 1024)
#define GRANT_TYPE_DEVICE     "urn:ietf:params:oauth:grant-type:device_code"

struct _PcAuth
{
  GObject        parent_instance;

  char          *state_dir;
  char          *token_path;
  char          *issuer;
  char          *client_id;
  SoupSession   *session;

  PcAuthState    state;
  gboolean       loading;
  char          *problem_code;
  char          *problem_detail;

  /* the running device flow */
  GCancellable  *cancellable;
  char          *token_endpoint;
  char          *device_code;
  guint          interval_s;
  gint64         flow_expires_us;    /* monotonic */
  guint          poll_id;
  char          *user;

  /* the token */
  char          *access_token;
  char          *refresh_token;
  gint64         token_expires_s;    /* realtime */
  guint          refresh_id;
};

G_DEFINE_FINAL_TYPE (PcAuth, pc_auth, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void     schedule_refresh      (PcAuth   *self);
static gboolean on_refresh_timeout_cb (gpointer  user_data);

static void
set_state (PcAuth      *self,
           PcAuthState  state,
           const char  *code,
           const char  *detail)
{
  if (self->state == state && g_strcmp0 (self->problem_code, code) == 0 &&
      g_strcmp0 (self->problem_detail, detail) == 0)
    return;

  self->state = state;
  g_free (self->problem_code);
  self->problem_code = g_strdup (code);
  g_free (self->problem_detail);
  self->problem_detail = g_strdup (detail);
  if (code != NULL)
    g_message ("Sign-in: %s (%s)", code, detail ? detail : "");
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
fail (PcAuth     *self,
      const char *code,
      const char *detail)
{
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  set_state (self, PC_AUTH_FAILED, code, detail);
}

/* A TLS failure towards the IdP is an interception; anything else that
 * keeps us from it is an authentication error. */
static void
fail_from_error (PcAuth       *self,
                 const char   *what,
                 const GError *error)
{
  g_autofree char *detail = g_strdup_printf ("%s: %s", what, error->message);

  fail (self, error->domain == G_TLS_ERROR ? "intermediate-authentication-error" : "authentication-error",
        detail);
}

/* --- HTTP with JSON answers --- */

typedef struct
{
  guint        status;
  json_object *json;
} JsonAnswer;

static void
json_answer_free (JsonAnswer *answer)
{
  g_clear_pointer (&answer->json, json_object_put);
  g_free (answer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JsonAnswer, json_answer_free)

static void
on_json_read_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *message = g_task_get_task_data (task);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  JsonAnswer *answer;
  gsize size;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  answer = g_new0 (JsonAnswer, 1);
  answer->status = soup_message_get_status (message);
  g_bytes_get_data (body, &size);
  if (size > 0 && size <= BODY_MAX)
    {
      text = g_strndup (g_bytes_get_data (body, NULL), size);
      answer->json = json_tokener_parse (text);
      if (answer->json != NULL && !json_object_is_type (answer->json, json_type_object))
        g_clear_pointer (&answer->json, json_object_put);
    }
  g_task_return_pointer (task, answer, (GDestroyNotify) json_answer_free);
}

static void
request_json_async (PcAuth              *self,
                    const char          *url,
                    GHashTable          *form,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  GTask *task = g_task_new (self, self->cancellable, callback, user_data);
  SoupMessage *message;

  if (form != NULL)
    {
      g_autoptr(GBytes) body = NULL;
      g_autofree char *encoded = soup_form_encode_hash (form);

      message = soup_message_new (SOUP_METHOD_POST, url);
      if (message != NULL)
        {
          body = g_bytes_new_take (g_steal_pointer (&encoded), strlen (encoded ? encoded : ""));
          soup_message_set_request_body_from_bytes (message, "application/x-www-form-urlencoded", body);
        }
    }
  else
    message = soup_message_new (SOUP_METHOD_GET, url);

  if (message == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s is not a valid URL", url);
      g_object_unref (task);
      return;
    }

  soup_message_headers_replace (soup_message_get_request_headers (message), "Accept", "application/json");
  g_task_set_task_data (task, message, g_object_unref);
  soup_session_send_and_read_async (self->session, message, G_PRIORITY_DEFAULT, self->cancellable,
                                    on_json_read_cb, task);
}

static JsonAnswer *
request_json_finish (GAsyncResult  *result,
                     GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Cancelled through our own cancellable (the flow was stopped), as
 * opposed to cut by soup_session_abort() when a new profile arrives, which
 * is a failure of the request like any other. */
static gboolean
cancelled_by_us (GAsyncResult *result,
                 const GError *error)
{
  GCancellable *cancellable = g_task_get_cancellable (G_TASK (result));

  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
         cancellable != NULL && g_cancellable_is_cancelled (cancellable);
}

static const char *
json_string (json_object *object,
             const char  *key)
{
  json_object *value;

  if (object == NULL || !json_object_object_get_ex (object, key, &value) ||
      !json_object_is_type (value, json_type_string))
    return NULL;
  return json_object_get_string (value);
}

static gint64
json_int (json_object *object,
          const char  *key,
          gint64       fallback)
{
  json_object *value;

  if (object == NULL || !json_object_object_get_ex (object, key, &value) ||
      !json_object_is_type (value, json_type_int))
    return fallback;
  return json_object_get_int64 (value);
}

/* --- the token, kept 0600 in the state folder --- */

static void
write_token_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  PcAuth *self = source_object;
  g_autoptr(GError) error = NULL;

  if (!pc_file_set_contents_private (self->token_path, task_data, -1, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_token_written_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_warning ("Cannot keep the sign-in token: %s", error->message);
}

static void
save_token (PcAuth *self)
{
  g_autoptr(json_object) root = json_object_new_object ();
  g_autoptr(GTask) task = g_task_new (self, NULL, on_token_written_cb, NULL);

  json_object_object_add (root, "issuer", json_object_new_string (self->issuer));
  json_object_object_add (root, "user", json_object_new_string (self->user ? self->user : ""));
  json_object_object_add (root, "token_endpoint", json_object_new_string (self->token_endpoint));
  json_object_object_add (root, "access_token", json_object_new_string (self->access_token));
  if (self->refresh_token != NULL)
    json_object_object_add (root, "refresh_token", json_object_new_string (self->refresh_token));
  json_object_object_add (root, "expires_at", json_object_new_int64 (self->token_expires_s));

  g_task_set_task_data (task, g_strdup (json_object_to_json_string_ext (root, JSON_C_TO_STRING_PRETTY)),
                        g_free);
  g_task_run_in_thread (task, write_token_thread);
}

static gboolean
take_tokens (PcAuth      *self,
             json_object *answer)
{
  const char *access = json_string (answer, "access_token");
  const char *refresh = json_string (answer, "refresh_token");

  if (access == NULL)
    return FALSE;

  g_free (self->access_token);
  self->access_token = g_strdup (access);
  if (refresh != NULL)
    {
      g_free (self->refresh_token);
      self->refresh_token = g_strdup (refresh);
    }
  self->token_expires_s = g_get_real_time () / G_USEC_PER_SEC + json_int (answer, "expires_in", 3600);
  save_token (self);
  schedule_refresh (self);
  set_state (self, PC_AUTH_AUTHENTICATED, NULL, NULL);
  return TRUE;
}

/* --- refreshing --- */

static void
on_refreshed_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  PcAuth *self = PC_AUTH (source);
  g_autoptr(JsonAnswer) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = request_json_finish (result, &error);
  if (answer == NULL)
    {
      if (cancelled_by_us (result, error))
        return;
      if (error->domain == G_TLS_ERROR)
        {
          fail_from_error (self, "Refreshing the sign-in", error);
          return;
        }
      /* Unreachable for now: the token may still be good; try again. */
      g_message ("Cannot refresh the sign-in yet: %s", error->message);
      g_clear_handle_id (&self->refresh_id, g_source_remove);
      self->refresh_id = g_timeout_add_seconds (REFRESH_RETRY_S, on_refresh_timeout_cb, self);
      return;
    }

  if (answer->status == 200 && take_tokens (self, answer->json))
    {
      g_message ("Sign-in refreshed");
      return;
    }

  {
    const char *code = json_string (answer->json, "error");
    g_autofree char *detail = NULL;

    if (code != NULL)
      detail = g_strdup_printf ("The identity provider rejected the session token (%s)", code);
    else
      detail = g_strdup_printf ("The identity provider rejected the session token (HTTP %u)", answer->status);
    fail (self, "authentication-error", detail);
  }
}

static gboolean
on_refresh_timeout_cb (gpointer user_data)
{
  PcAuth *self = PC_AUTH (user_data);
  g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);

  self->refresh_id = 0;
  if (self->refresh_token == NULL || self->token_endpoint == NULL)
    {
      fail (self, "authentication-error", "The sign-in expired and cannot be refreshed; authenticate again");
      return G_SOURCE_REMOVE;
    }

  g_hash_table_insert (form, (char *) "grant_type", (char *) "refresh_token");
  g_hash_table_insert (form, (char *) "refresh_token", self->refresh_token);
  g_hash_table_insert (form, (char *) "client_id", self->client_id);
  request_json_async (self, self->token_endpoint, form, on_refreshed_cb, NULL);
  return G_SOURCE_REMOVE;
}

/* Refresh a minute before expiry; short-lived tokens at half-life. */
static void
schedule_refresh (PcAuth *self)
{
  gint64 left = self->token_expires_s - g_get_real_time () / G_USEC_PER_SEC;
  gint64 wait = left > 120 ? left - 60 : MAX (left / 2, 1);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  self->refresh_id = g_timeout_add_seconds ((guint) MIN (wait, G_MAXUINT / 2), on_refresh_timeout_cb, self);
}

/* --- the device flow --- */

static void poll_later (PcAuth *self);

static void
on_polled_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  PcAuth *self = PC_AUTH (source);
  g_autoptr(JsonAnswer) answer = NULL;
  g_autoptr(GError) error = NULL;
  const char *code;

  answer = request_json_finish (result, &error);
  if (answer == NULL)
    {
      if (cancelled_by_us (result, error))
        return;
      if (error->domain == G_TLS_ERROR)
        fail_from_error (self, "Waiting for the sign-in", error);
      else
        poll_later (self);   /* RFC 8628 §3.5: keep polling through network trouble */
      return;
    }

  if (answer->status == 200)
    {
      if (!take_tokens (self, answer->json))
        fail (self, "authentication-error", "The identity provider answered without an access token");
      else
        g_message ("Signed in with %s", self->issuer);
      return;
    }

  code = json_string (answer->json, "error");
  if (g_strcmp0 (code, "authorization_pending") == 0)
    poll_later (self);
  else if (g_strcmp0 (code, "slow_down") == 0)
    {
      self->interval_s += SLOW_DOWN_STEP_S;
      g_info ("The identity provider asks to poll every %u s", self->interval_s);
      poll_later (self);
    }
  else if (g_strcmp0 (code, "expired_token") == 0)
    fail (self, "authentication-error", "The sign-in code expired before it was approved (expired_token)");
  else if (g_strcmp0 (code, "access_denied") == 0)
    fail (self, "authentication-error", "The identity provider refused the sign-in (access_denied)");
  else
    {
      g_autofree char *detail = g_strdup_printf ("The identity provider refused the sign-in (%s)",
                                                 code ? code : soup_status_get_phrase (answer->status));
      fail (self, "authentication-error", detail);
    }
}

static gboolean
on_poll_timeout_cb (gpointer user_data)
{
  PcAuth *self = PC_AUTH (user_data);
  g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);

  self->poll_id = 0;
  if (g_get_monotonic_time () >= self->flow_expires_us)
    {
      fail (self, "authentication-error", "The sign-in code expired before it was approved");
      return G_SOURCE_REMOVE;
    }

  g_hash_table_insert (form, (char *) "grant_type", (char *) GRANT_TYPE_DEVICE);
  g_hash_table_insert (form, (char *) "device_code", self->device_code);
  g_hash_table_insert (form, (char *) "client_id", self->client_id);
  request_json_async (self, self->token_endpoint, form, on_polled_cb, NULL);
  return G_SOURCE_REMOVE;
}

static void
poll_later (PcAuth *self)
{
  /* Never early (RFC 8628 §3.5): g_timeout_add_seconds() may fire up to a
   * second before its time, which the IdP answers with slow_down. */
  g_clear_handle_id (&self->poll_id, g_source_remove);
  self->poll_id = g_timeout_add (self->interval_s * 1000, on_poll_timeout_cb, self);
}

static void
on_device_authorized_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  PcAuth *self = PC_AUTH (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonAnswer) answer = NULL;
  g_autoptr(GError) error = NULL;
  const char *device_code;
  const char *url;

  answer = request_json_finish (result, &error);
  if (answer == NULL)
    {
      if (!cancelled_by_us (result, error))
        fail_from_error (self, "Starting the sign-in", error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  device_code = json_string (answer->json, "device_code");
  url = json_string (answer->json, "verification_uri_complete");
  if (url == NULL)
    url = json_string (answer->json, "verification_uri");
  if (answer->status != 200 || device_code == NULL || url == NULL || !pc_uri_is_web (url))
    {
      g_autofree char *detail = g_strdup_printf ("The identity provider did not start a sign-in (HTTP %u%s%s)",
                                                 answer->status,
                                                 json_string (answer->json, "error") ? ", " : "",
                                                 json_string (answer->json, "error")
                                                   ? json_string (answer->json, "error") : "");

      fail (self, "authentication-error", detail);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", detail);
      return;
    }

  g_free (self->device_code);
  self->device_code = g_strdup (device_code);
  self->interval_s = (guint) CLAMP (json_int (answer->json, "interval", DEFAULT_INTERVAL_S), 1, 600);
  self->flow_expires_us = g_get_monotonic_time () +
                          CLAMP (json_int (answer->json, "expires_in", 600), 1, 86400) * G_USEC_PER_SEC;
  g_message ("Sign-in started: the user is to visit %s", url);
  poll_later (self);
  g_task_return_pointer (task, g_strdup (url), g_free);
}

static void
on_discovered_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  PcAuth *self = PC_AUTH (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonAnswer) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);
  const char *device_endpoint;
  const char *token_endpoint;

  answer = request_json_finish (result, &error);
  if (answer == NULL)
    {
      if (!cancelled_by_us (result, error))
        fail_from_error (self, "Reaching the identity provider", error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  device_endpoint = json_string (answer->json, "device_authorization_endpoint");
  token_endpoint = json_string (answer->json, "token_endpoint");
  if (answer->status != 200 || answer->json == NULL ||
      g_strcmp0 (json_string (answer->json, "issuer"), self->issuer) != 0)
    {
      /* Something answers in the identity provider's place. */
      g_autofree char *detail = g_strdup_printf ("%s/.well-known/openid-configuration is not this issuer's "
                                                 "(HTTP %u)", self->issuer, answer->status);

      fail (self, "intermediate-authentication-error", detail);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", detail);
      return;
    }
  if (device_endpoint == NULL || token_endpoint == NULL)
    {
      g_autofree char *detail = g_strdup_printf ("%s offers no device authorization", self->issuer);

      fail (self, "authentication-error", detail);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "%s", detail);
      return;
    }

  g_free (self->token_endpoint);
  self->token_endpoint = g_strdup (token_endpoint);

  g_hash_table_insert (form, (char *) "client_id", self->client_id);
  g_hash_table_insert (form, (char *) "scope", (char *) "openid profile offline_access");
  request_json_async (self, device_endpoint, form, on_device_authorized_cb, g_steal_pointer (&task));
}

static void
discover_async (PcAuth   *self,
                GTask    *task)
{
  g_autofree char *url = g_strconcat (self->issuer, "/.well-known/openid-configuration", NULL);

  request_json_async (self, url, NULL, on_discovered_cb, task);
}

static void
reset_flow (PcAuth *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_pointer (&self->device_code, g_free);
}

/* Starts a device flow for @user; finishes with the URL to open. */
void
pc_auth_start_async (PcAuth              *self,
                     const char          *user,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PC_IS_AUTH (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pc_auth_start_async);
  if (self->issuer == NULL)
    {
      g_task_return_pointer (task, g_strdup (""), g_free);
      g_object_unref (task);
      return;
    }

  reset_flow (self);
  g_free (self->user);
  self->user = g_strdup (user);
  self->loading = FALSE;
  set_state (self, PC_AUTH_PENDING, NULL, NULL);
  discover_async (self, task);
}

char *
pc_auth_start_finish (PcAuth        *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Logged out: the token is dropped, here and on disk. */
void
pc_auth_forget (PcAuth *self)
{
  g_return_if_fail (PC_IS_AUTH (self));

  reset_flow (self);
  g_clear_pointer (&self->access_token, g_free);
  g_clear_pointer (&self->refresh_token, g_free);
  g_unlink (self->token_path);
  set_state (self, self->issuer ? PC_AUTH_SIGNED_OUT : PC_AUTH_NOT_NEEDED, NULL, NULL);
}

PcAuthState
pc_auth_get_state (PcAuth *self)
{
  g_return_val_if_fail (PC_IS_AUTH (self), PC_AUTH_NOT_NEEDED);

  return self->state;
}

/* What a module shows about the sign-in, or NULL when it is fine. The
 * interception code is Internet Security's; Private Access reports it as
 * an authentication error. */
PcProbeResult *
pc_auth_dup_problem (PcAuth   *self,
                     gboolean  internet_security)
{
  g_return_val_if_fail (PC_IS_AUTH (self), NULL);

  switch (self->state)
    {
    case PC_AUTH_PENDING:
      return pc_probe_result_new ("authenticating", "Waiting for the sign-in in the browser");
    case PC_AUTH_SIGNED_OUT:
      if (self->loading)
        return pc_probe_result_new ("authenticating", "Reading the saved sign-in");
      return pc_probe_result_new ("authentication-error", "Not signed in with the identity provider; "
                                                          "authenticate to sign in");
    case PC_AUTH_FAILED:
      if (!internet_security && g_strcmp0 (self->problem_code, "intermediate-authentication-error") == 0)
        return pc_probe_result_new ("authentication-error", self->problem_detail);
      return pc_probe_result_new (self->problem_code, self->problem_detail);
    case PC_AUTH_NOT_NEEDED:
    case PC_AUTH_AUTHENTICATED:
    default:
      return NULL;
    }
}

/* --- the saved token, read at start --- */

static void
on_token_loaded_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(PcAuth) self = user_data;
  g_autofree char *contents = NULL;
  g_autoptr(json_object) root = NULL;
  gsize length;

  if (!self->loading)
    return;   /* a sign-in started meanwhile */
  self->loading = FALSE;

  if (g_file_load_contents_finish (G_FILE (source), result, &contents, &length, NULL, NULL) &&
      (root = json_tokener_parse (contents)) != NULL &&
      g_strcmp0 (json_string (root, "issuer"), self->issuer) == 0 &&
      json_string (root, "access_token") != NULL)
    {
      g_free (self->user);
      self->user = g_strdup (json_string (root, "user"));
      self->access_token = g_strdup (json_string (root, "access_token"));
      self->refresh_token = g_strdup (json_string (root, "refresh_token"));
      self->token_expires_s = json_int (root, "expires_at", 0);
      g_free (self->token_endpoint);
      self->token_endpoint = g_strdup (json_string (root, "token_endpoint"));
      g_message ("Signed in with %s (saved)", self->issuer);
      schedule_refresh (self);
      set_state (self, PC_AUTH_AUTHENTICATED, NULL, NULL);
      return;
    }

  g_signal_emit (self, signals[CHANGED], 0);
}

static void
load_token (PcAuth *self)
{
  g_autoptr(GFile) file = g_file_new_for_path (self->token_path);

  self->loading = TRUE;
  g_file_load_contents_async (file, self->cancellable, on_token_loaded_cb, g_object_ref (self));
}

void
pc_auth_set_profile (PcAuth       *self,
                     PcProfile    *profile,
                     GTlsDatabase *extra_roots)
{
  const char *issuer;
  const char *ca_file;
  g_autoptr(GTlsDatabase) pin = NULL;
  g_autoptr(GError) error = NULL;
  gboolean same_issuer;

  g_return_if_fail (PC_IS_AUTH (self));

  issuer = pc_profile_get_string (profile, "auth.issuer");
  ca_file = pc_profile_get_string (profile, "auth.ca_file");
  same_issuer = g_strcmp0 (issuer, self->issuer) == 0;

  g_free (self->client_id);
  self->client_id = g_strdup (pc_profile_get_string (profile, "auth.client_id"));
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  if (ca_file != NULL && (pin = g_tls_file_database_new (ca_file, &error)) == NULL)
    g_warning ("Cannot use auth.ca_file = %s: %s", ca_file, error->message);

  if (ca_file != NULL)
    {
      g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new ("direct://", NULL);

      /* A pin: nothing but auth.ca_file vouches for the IdP (an unreadable
       * one leaves an empty database, so every peer fails). */
      if (pin == NULL)
        pin = g_tls_file_database_new ("/dev/null", NULL);
      self->session = soup_session_new_with_options ("timeout", HTTP_TIMEOUT_S,
                                                     "idle-timeout", 1,
                                                     "proxy-resolver", direct,
                                                     "tls-database", pin,
                                                     "user-agent", "portcullisd/" PACKAGE_VERSION,
                                                     NULL);
    }
  else
    self->session = pc_probe_http_session_new (extra_roots, HTTP_TIMEOUT_S);

  if (same_issuer && self->state != PC_AUTH_NOT_NEEDED)
    return;

  reset_flow (self);
  g_free (self->issuer);
  self->issuer = g_strdup (issuer);
  g_clear_pointer (&self->access_token, g_free);
  g_clear_pointer (&self->refresh_token, g_free);
  if (issuer == NULL)
    {
      set_state (self, PC_AUTH_NOT_NEEDED, NULL, NULL);
      return;
    }
  set_state (self, PC_AUTH_SIGNED_OUT, NULL, NULL);
  load_token (self);
}

static void
pc_auth_dispose (GObject *object)
{
  PcAuth *self = PC_AUTH (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (pc_auth_parent_class)->dispose (object);
}

static void
pc_auth_finalize (GObject *object)
{
  PcAuth *self = PC_AUTH (object);

  g_clear_pointer (&self->state_dir, g_free);
  g_clear_pointer (&self->token_path, g_free);
  g_clear_pointer (&self->issuer, g_free);
  g_clear_pointer (&self->client_id, g_free);
  g_clear_pointer (&self->problem_code, g_free);
  g_clear_pointer (&self->problem_detail, g_free);
  g_clear_pointer (&self->token_endpoint, g_free);
  g_clear_pointer (&self->device_code, g_free);
  g_clear_pointer (&self->user, g_free);
  g_clear_pointer (&self->access_token, g_free);
  g_clear_pointer (&self->refresh_token, g_free);

  G_OBJECT_CLASS (pc_auth_parent_class)->finalize (object);
}

static void
pc_auth_class_init (PcAuthClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pc_auth_dispose;
  object_class->finalize = pc_auth_finalize;

  /* pc_auth_get_state() or the problem changed. */
  signals[CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
pc_auth_init (PcAuth *self)
{
  self->state = PC_AUTH_NOT_NEEDED;
  self->cancellable = g_cancellable_new ();
}

PcAuth *
pc_auth_new (const char *state_dir)
{
  PcAuth *self = g_object_new (PC_TYPE_AUTH, NULL);

  self->state_dir = g_strdup (state_dir);
  self->token_path = g_build_filename (state_dir, "token.json", NULL);
  return self;
}
