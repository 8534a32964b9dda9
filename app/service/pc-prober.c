/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-prober"

#include "config.h"

#include "pc-auth.h"
#include "pc-local-proxy.h"
#include "pc-network-watch.h"
#include "pc-probe.h"
#include "pc-prober.h"
#include "pc-system-roots.h"
#include "pc-tunnel.h"

/*
 * PcProber: the real detection of DESIGN §5. A probe round for a module
 * starts every check that concerns it at once, all async on the main
 * context (no thread per module), and when the last one answers applies
 * the most important finding with pc_module_set_problem() or clears it.
 * A newer round of a module cancels the older one. Rounds run on Retry,
 * login, profile changes, network changes and every probe_interval_s;
 * between them nothing wakes up.
 *
 * What is not a single request lives here as state: the network as the
 * monitor reports it, the captive portal's fail-open window, whether
 * Digital Experience ever reached its server, the local proxy and the tun
 * device.
 */

#define PROBE_TIMEOUT_S 5

/* Checks in order of importance: the first that finds a problem wins. */
typedef enum
{
  CHECK_RESCUE,
  CHECK_PORTAL,
  CHECK_AUTH,
  CHECK_TUNNEL,
  CHECK_DR,
  CHECK_EDGE,
  CHECK_DX,
  N_CHECKS
} Check;

typedef struct _Round Round;

struct _PcProber
{
  GObject          parent_instance;

  /* borrowed from the service */
  PcModule       **modules;
  const gboolean  *held;

  /* owned */
  char            *sysroot;
  char            *state_dir;
  PcProfile       *profile;
  GTlsDatabase    *edge_database;       /* internet_security.ca_file */
  GTlsDatabase    *private_database;    /* private_access.root_ca_file */
  GTlsDatabase    *extra_roots;         /* ca_file, beside the system's */
  char            *edge_database_error;     /* why a CA file cannot be used */
  char            *private_database_error;
  gboolean         trusted;             /* NetworkType: trusted */
  SoupSession     *session;
  PcLocalProxy    *local_proxy;
  PcNetworkWatch  *network_watch;
  PcAuth          *auth;
  PcTunnel        *tunnel;
  Round           *rounds[PC_N_MODULES];
  guint            interval_id;
  guint            portal_deadline_id;

  gboolean         network_available;   /* both of the below */
  gboolean         monitor_available;   /* GNetworkMonitor, from the service */
  gint64           portal_since;        /* monotonic µs of the first sighting, 0 = none */
  gboolean         portal_seen;         /* the last portal probe found one */
  gboolean         portal_expired;
  gboolean         dx_reached;
};

G_DEFINE_FINAL_TYPE (PcProber, pc_prober, G_TYPE_OBJECT)

enum {
  NETWORK_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _Round
{
  PcProber      *self;
  PcModuleKind   kind;
  PcModule      *module;
  GCancellable  *cancellable;
  guint          pending;
  PcProbeResult *found[N_CHECKS];
};

/* --- rounds --- */

static Round *
round_new (PcProber     *self,
           PcModuleKind  kind)
{
  Round *round = g_new0 (Round, 1);

  round->self = g_object_ref (self);
  round->kind = kind;
  round->module = g_object_ref (self->modules[kind]);
  round->cancellable = g_cancellable_new ();
  return round;
}

static void
round_free (Round *round)
{
  for (guint i = 0; i < N_CHECKS; i++)
    pc_probe_result_free (round->found[i]);
  g_clear_object (&round->cancellable);
  g_clear_object (&round->module);
  g_clear_object (&round->self);
  g_free (round);
}

/* A cancelled round is forgotten by the prober at once, freed when its last
 * check comes back. */
static void
round_cancel (PcProber     *self,
              PcModuleKind  kind)
{
  Round *round = self->rounds[kind];

  if (round == NULL)
    return;
  self->rounds[kind] = NULL;
  g_cancellable_cancel (round->cancellable);
}

static gboolean
is_module_idle (PcProber     *self,
                PcModuleKind  kind)
{
  PcModule *module = self->modules[kind];

  /* Nobody logged in, or turned off by the user: nothing to watch. */
  return !pc_module_get_user_enabled (module) ||
         g_strcmp0 (pc_dbus_module_get_auth_status (PC_DBUS_MODULE (module)), "required") == 0;
}

/* Driver and FW/AV failures become "Fail Close (reason)" when the profile
 * prefers blocking traffic to letting it bypass the service. */
static void
apply_fail_close_rule (PcProber      *self,
                       PcProbeResult *result)
{
  const char *reason;

  if (!pc_profile_get_boolean (self->profile, "fail_close"))
    return;

  if (g_strcmp0 (result->code, "driver-error") == 0)
    reason = "Driver Error";
  else if (g_strcmp0 (result->code, "endpoint-fw-av-error") == 0)
    reason = "Endpoint FW/AV Error";
  else
    return;

  g_message ("Failing close: %s (%s)", reason, result->detail);
  g_free (result->code);
  result->code = g_strdup ("fail-close");
  g_free (result->detail);
  result->detail = g_strdup (reason);
}

static void
update_local_proxy_mode (PcProber   *self,
                         const char *code,
                         const char *fail_mode)
{
  PcLocalProxyMode mode = PC_LOCAL_PROXY_EDGE;

  if (self->local_proxy == NULL)
    return;
  if (g_strcmp0 (fail_mode, "fail-close") == 0)
    mode = PC_LOCAL_PROXY_BLOCK;
  else if (g_strcmp0 (fail_mode, "fail-open") == 0 || self->trusted)
    mode = PC_LOCAL_PROXY_DIRECT;
  else if (g_strcmp0 (code, "safe-mode") == 0)
    /* Disaster recovery: the cloud is away; traffic goes direct, or not
     * at all when the profile prefers failing close. */
    mode = pc_profile_get_boolean (self->profile, "fail_close") ? PC_LOCAL_PROXY_BLOCK : PC_LOCAL_PROXY_DIRECT;
  pc_local_proxy_set_mode (self->local_proxy, mode);
}

static void
round_apply (Round *round)
{
  PcProber *self = round->self;
  PcProbeResult *winner = NULL;

  for (guint i = 0; i < N_CHECKS && winner == NULL; i++)
    if (round->found[i] != NULL && round->found[i]->code != NULL)
      winner = round->found[i];

  if (round->kind == PC_MODULE_INTERNET_SECURITY)
    pc_dbus_module_set_portal_url (PC_DBUS_MODULE (round->module),
                                   winner && winner->portal_url ? winner->portal_url : "");

  if (winner != NULL)
    {
      const char *fail_mode;

      apply_fail_close_rule (self, winner);
      fail_mode = pc_fail_mode_for_code (winner->code);
      if (g_strcmp0 (pc_module_get_problem (round->module), winner->code) != 0)
        g_message ("%s: %s (%s)", pc_module_kind_to_string (round->kind), winner->code,
                   winner->detail ? winner->detail : "");
      pc_module_set_problem (round->module, winner->code, winner->detail, fail_mode);
      if (round->kind == PC_MODULE_INTERNET_SECURITY)
        update_local_proxy_mode (self, winner->code, fail_mode);
    }
  else
    {
      if (pc_module_get_problem (round->module) != NULL)
        g_message ("%s: back to normal", pc_module_kind_to_string (round->kind));
      pc_module_clear_problem (round->module);
      if (round->kind == PC_MODULE_INTERNET_SECURITY)
        update_local_proxy_mode (self, NULL, "");
    }
  pc_module_set_connecting (round->module, FALSE);
}

static void
round_release (Round *round)
{
  PcProber *self = round->self;

  if (--round->pending > 0)
    return;

  if (self->rounds[round->kind] == round)
    {
      self->rounds[round->kind] = NULL;
      if (g_cancellable_is_cancelled (round->cancellable) || self->modules[round->kind] != round->module)
        ;
      else if (self->held[round->kind])
        pc_module_set_connecting (round->module, FALSE);   /* the tests hold the problem */
      else
        round_apply (round);
    }
  round_free (round);
}

/* One check of a round came back with @result (NULL when it was
 * cancelled or had nothing to say). */
static void
round_check_done (Round         *round,
                  Check          check,
                  PcProbeResult *result)
{
  g_assert (round->found[check] == NULL);
  round->found[check] = result;
  round_release (round);
}

/* --- the checks --- */

static void
on_rescue_checked_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Round *round = user_data;
  g_autofree char *reason = pc_rescue_check_finish (result, NULL);

  round_check_done (round, CHECK_RESCUE, reason ? pc_probe_result_new ("fail-open", reason) : NULL);
}

static void probe_module (PcProber *self, PcModuleKind kind);

static gboolean
on_portal_deadline_cb (gpointer user_data)
{
  PcProber *self = PC_PROBER (user_data);

  self->portal_deadline_id = 0;
  self->portal_expired = TRUE;
  g_message ("The captive portal was not passed within the fail-open window");
  probe_module (self, PC_MODULE_INTERNET_SECURITY);
  return G_SOURCE_REMOVE;
}

/* Tests shorten the fail-open window: minutes are this many seconds. */
static guint
seconds_per_minute (void)
{
  const char *value = g_getenv ("PORTCULLIS_MINUTE_SECONDS");
  guint64 seconds;

  if (value != NULL && g_ascii_string_to_unsigned (value, 10, 1, 60, &seconds, NULL))
    return (guint) seconds;
  return 60;
}

static void
set_portal_seen (PcProber *self,
                 gboolean  seen)
{
  if (self->portal_seen == seen)
    return;
  self->portal_seen = seen;
  g_signal_emit (self, signals[NETWORK_CHANGED], 0);
}

static void
portal_reset (PcProber *self)
{
  self->portal_since = 0;
  self->portal_expired = FALSE;
  g_clear_handle_id (&self->portal_deadline_id, g_source_remove);
}

static void
on_portal_checked_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Round *round = user_data;
  PcProber *self = round->self;
  g_autofree char *portal_url = NULL;
  g_autofree char *detail = NULL;
  PcProbeResult *found = NULL;
  PcPortalState state;

  state = pc_probe_portal_finish (result, &portal_url, &detail, NULL);
  if (g_cancellable_is_cancelled (round->cancellable))
    state = PC_PORTAL_UNKNOWN;

  if (state == PC_PORTAL_NONE)
    {
      portal_reset (self);
      set_portal_seen (self, FALSE);
    }
  else if (state == PC_PORTAL_DETECTED)
    {
      set_portal_seen (self, TRUE);
      if (self->portal_since == 0)
        {
          guint minutes = pc_profile_get_int (self->profile, "captive_portal.fail_open_minutes");

          self->portal_since = g_get_monotonic_time ();
          self->portal_deadline_id = g_timeout_add_seconds (minutes * seconds_per_minute (),
                                                            on_portal_deadline_cb, self);
        }

      if (self->portal_expired)
        found = pc_probe_result_new ("captive-portal-error", detail);
      else
        {
          found = pc_probe_result_new ("captive-portal-detected", detail);
          found->portal_url = g_steal_pointer (&portal_url);
        }
    }

  round_check_done (round, CHECK_PORTAL, found);
}

static PcProbeResult *
edge_result (PcModuleKind   kind,
             PcEdgeOutcome  outcome,
             char          *detail)
{
  const char *code = NULL;
  PcProbeResult *result;

  switch (outcome)
    {
    case PC_EDGE_OK:
      g_free (detail);
      return NULL;
    case PC_EDGE_LOCALLY_BLOCKED:
      code = kind == PC_MODULE_INTERNET_SECURITY ? "endpoint-fw-av-error" : "connection-error";
      break;
    case PC_EDGE_TLS_UNTRUSTED:
      code = kind == PC_MODULE_PRIVATE_ACCESS ? "untrusted-root-cert" : "connection-error";
      break;
    case PC_EDGE_PROXY_AUTH:
      code = "chaining-authentication-error";
      break;
    case PC_EDGE_UNREACHABLE:
    case PC_EDGE_TLS_FAILED:
    case PC_EDGE_PROXY_FAILED:
    default:
      code = "connection-error";
      break;
    }

  result = pc_probe_result_new (code, NULL);
  result->detail = detail;
  return result;
}

static void
on_edge_checked_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Round *round = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *client_address = NULL;
  char *detail = NULL;
  PcEdgeOutcome outcome;

  outcome = pc_probe_edge_finish (result, &detail, &client_address, &error);
  if (error != NULL)
    {
      round_check_done (round, CHECK_EDGE, NULL);
      return;
    }

  if (client_address != NULL && !g_cancellable_is_cancelled (round->cancellable))
    pc_dbus_module_set_client_address (PC_DBUS_MODULE (round->module), client_address);
  round_check_done (round, CHECK_EDGE, edge_result (round->kind, outcome, detail));
}

static void
on_dr_checked_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Round *round = user_data;
  g_autofree char *detail = NULL;
  PcDrState state = pc_probe_dr_finish (result, &detail, NULL);

  round_check_done (round, CHECK_DR,
                    state == PC_DR_ACTIVE ? pc_probe_result_new ("safe-mode", detail) : NULL);
}

static void
on_dx_checked_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Round *round = user_data;
  PcProber *self = round->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;
  PcProbeResult *found = NULL;

  if (pc_probe_dx_finish (result, &detail, &error))
    {
      if (!self->dx_reached)
        {
          g_autofree char *path = g_build_filename (self->state_dir, "dx-registered", NULL);
          g_autoptr(GFile) file = g_file_new_for_path (path);

          /* Registered: later failures are server errors, across restarts. */
          g_file_replace_contents_async (file, "1\n", 2, NULL, FALSE, G_FILE_CREATE_PRIVATE,
                                         NULL, NULL, NULL);
        }
      self->dx_reached = TRUE;
    }
  else if (error == NULL)
    found = pc_probe_result_new (self->dx_reached ? "server-error" : "installation-error", detail);

  round_check_done (round, CHECK_DX, found);
}

static PcProbeResult *
tunnel_check (PcProber *self)
{
  const char *local_proxy = pc_profile_get_string (self->profile, "internet_security.local_proxy");
  g_autoptr(GError) error = NULL;

  if (pc_profile_get_tunnel_mode (self->profile) == PC_TUNNEL_TUN)
    {
      const char *device = pc_profile_get_string (self->profile, "internet_security.tun_device");

      if (self->tunnel == NULL)
        self->tunnel = pc_tunnel_new (self->sysroot);
      if (!pc_tunnel_is_open (self->tunnel) && !pc_tunnel_open (self->tunnel, device, &error))
        return pc_probe_result_new ("driver-error", error->message);
      return NULL;
    }

  if (self->local_proxy == NULL)
    return NULL;
  if (pc_local_proxy_get_address (self->local_proxy) == NULL &&
      !pc_local_proxy_listen (self->local_proxy, local_proxy, &error))
    return pc_probe_result_new ("internal-error", error->message);
  return NULL;
}

static void
start_edge_check (PcProber     *self,
                  Round        *round,
                  const char   *edge,
                  GTlsDatabase *database,
                  const char   *database_error,
                  const char   *upstream)
{
  if (edge == NULL)
    return;

  pc_dbus_module_set_server (PC_DBUS_MODULE (round->module), edge);
  if (database_error != NULL)
    {
      round->found[CHECK_EDGE] = pc_probe_result_new ("connection-error", database_error);
      return;
    }

  round->pending++;
  pc_probe_edge_async (edge, database, upstream, PROBE_TIMEOUT_S, round->cancellable,
                       on_edge_checked_cb, round);
}

static void
start_internet_security_checks (PcProber *self,
                                Round    *round)
{
  const char *probe_url = pc_profile_get_string (self->profile, "captive_portal.probe_url");
  const char *dr_url = pc_profile_get_string (self->profile, "disaster_recovery.status_url");

  round->found[CHECK_AUTH] = pc_auth_dup_problem (self->auth, TRUE);
  /* The local proxy serves either way: through the edge, or direct. */
  round->found[CHECK_TUNNEL] = tunnel_check (self);

  /* On the organization's own network Internet Security is on without
   * tunnelling: nothing of the way out is ours to check. */
  if (self->trusted)
    return;

  round->pending++;
  pc_rescue_check_async (self->sysroot, round->cancellable, on_rescue_checked_cb, round);

  /* The HTTP checks (portal, DR, DX) are not cancelled with their round:
   * they end within the session's timeout and a cancelled round ignores
   * them. libsoup 3.2 crashed here, rarely, in a completion callback after
   * a round cancelled its requests (seen once under ASan right after a
   * sign-in restarted every round). */
  if (probe_url != NULL && pc_profile_get_int (self->profile, "captive_portal.fail_open_minutes") > 0)
    {
      round->pending++;
      pc_probe_portal_async (self->session, probe_url,
                             pc_profile_get_int (self->profile, "captive_portal.expected_status"),
                             NULL, on_portal_checked_cb, round);
    }

  if (dr_url != NULL)
    {
      round->pending++;
      pc_probe_dr_async (self->session, dr_url, NULL, on_dr_checked_cb, round);
    }

  start_edge_check (self, round, pc_profile_get_string (self->profile, "internet_security.edge"),
                    self->edge_database, self->edge_database_error,
                    pc_profile_get_string (self->profile, "internet_security.upstream_proxy"));
}

static void
on_trust_checked_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Round *round = user_data;
  PcProber *self = round->self;
  g_autofree char *reason = NULL;
  g_autoptr(GError) error = NULL;
  gboolean trusted;

  trusted = pc_trusted_network_check_finish (result, &reason, &error);
  if (error == NULL && self->rounds[round->kind] == round)
    {
      if (trusted != self->trusted)
        {
          self->trusted = trusted;
          g_message ("%s network: %s", trusted ? "Trusted" : "Not a trusted", reason);
          g_signal_emit (self, signals[NETWORK_CHANGED], 0);
        }
      start_internet_security_checks (self, round);
    }
  round_release (round);
}

static gboolean
has_trust_criteria (PcProber *self)
{
  const char * const *domains = pc_profile_get_strv (self->profile, "trusted_network.dns_search_domains");

  return (domains != NULL && domains[0] != NULL) ||
         g_hash_table_size (pc_profile_get_resolve_table (self->profile)) > 0;
}

static void
start_round (PcProber     *self,
             PcModuleKind  kind)
{
  Round *round;

  round_cancel (self, kind);
  round = round_new (self, kind);
  self->rounds[kind] = round;

  /* One count for the start itself, so checks answering synchronously
   * cannot finish the round early. */
  round->pending = 1;

  if (kind == PC_MODULE_INTERNET_SECURITY)
    {
      /* Whether the network is trusted decides which checks follow. */
      if (has_trust_criteria (self))
        {
          round->pending++;
          pc_trusted_network_check_async (pc_profile_get_strv (self->profile, "trusted_network.dns_search_domains"),
                                          pc_profile_get_resolve_table (self->profile), self->sysroot,
                                          round->cancellable, on_trust_checked_cb, round);
        }
      else
        {
          if (self->trusted)
            {
              self->trusted = FALSE;
              g_signal_emit (self, signals[NETWORK_CHANGED], 0);
            }
          start_internet_security_checks (self, round);
        }
    }
  else if (kind == PC_MODULE_PRIVATE_ACCESS)
    {
      round->found[CHECK_AUTH] = pc_auth_dup_problem (self->auth, FALSE);
      start_edge_check (self, round, pc_profile_get_string (self->profile, "private_access.edge"),
                        self->private_database, self->private_database_error, NULL);
    }
  else if (kind == PC_MODULE_DIGITAL_EXPERIENCE)
    {
      const char *server_url = pc_profile_get_string (self->profile, "digital_experience.server_url");

      if (server_url != NULL)
        {
          round->pending++;
          pc_probe_dx_async (self->session, server_url, NULL, on_dx_checked_cb, round);
        }
    }

  round_release (round);
}

/* --- public --- */

static void
network_error_everywhere (PcProber *self)
{
  for (guint i = 0; i < PC_N_MODULES; i++)
    {
      round_cancel (self, i);
      if (self->modules[i] == NULL || self->held[i])
        continue;
      if (is_module_idle (self, i))
        {
          pc_module_clear_problem (self->modules[i]);
          continue;
        }
      pc_module_set_problem (self->modules[i], "network-error",
                             pc_network_watch_get_reason (self->network_watch)
                               ? pc_network_watch_get_reason (self->network_watch)
                               : "No network is available", "");
      pc_module_set_connecting (self->modules[i], FALSE);
    }
}

static void
probe_module (PcProber     *self,
              PcModuleKind  kind)
{
  if (self->modules[kind] == NULL || self->held[kind] || self->profile == NULL)
    return;

  if (is_module_idle (self, kind))
    {
      round_cancel (self, kind);
      pc_module_clear_problem (self->modules[kind]);
      pc_module_set_connecting (self->modules[kind], FALSE);
      return;
    }

  if (!self->network_available)
    {
      network_error_everywhere (self);
      return;
    }

  pc_module_set_connecting (self->modules[kind], TRUE);
  start_round (self, kind);
}

/* A round for @kind now, asked for by a person or an event (Retry, login,
 * a new profile); the module shows connecting until it ends unless it
 * already shows a problem. A captive portal is looked at afresh. */
void
pc_prober_probe (PcProber     *self,
                 PcModuleKind  kind)
{
  g_return_if_fail (PC_IS_PROBER (self));
  g_return_if_fail (kind < PC_N_MODULES);

  if (kind == PC_MODULE_INTERNET_SECURITY)
    portal_reset (self);
  probe_module (self, kind);
}

/*
 * Repair App's part in tun mode: closes the tun device and opens it afresh,
 * so an interface someone deleted comes back. Returns what was done, for
 * the report, or NULL when the tunnel is the local proxy.
 */
char *
pc_prober_repair_tunnel (PcProber *self)
{
  g_autoptr(GError) error = NULL;
  const char *device;

  g_return_val_if_fail (PC_IS_PROBER (self), NULL);

  if (self->profile == NULL || pc_profile_get_tunnel_mode (self->profile) != PC_TUNNEL_TUN)
    return NULL;

  device = pc_profile_get_string (self->profile, "internet_security.tun_device");
  g_clear_object (&self->tunnel);
  self->tunnel = pc_tunnel_new (self->sysroot);
  if (!pc_tunnel_open (self->tunnel, device, &error))
    return g_strdup_printf ("Cannot reopen the tunnel device %s: %s", device, error->message);

  return g_strdup_printf ("Reopened the tunnel device %s", pc_tunnel_get_name (self->tunnel));
}

void
pc_prober_probe_all (PcProber *self)
{
  g_return_if_fail (PC_IS_PROBER (self));

  for (guint i = 0; i < PC_N_MODULES; i++)
    pc_prober_probe (self, i);
}

static gboolean
on_interval_cb (gpointer user_data)
{
  PcProber *self = PC_PROBER (user_data);

  /* A quiet re-check: no "connecting" flicker between two answers. */
  for (guint i = 0; i < PC_N_MODULES; i++)
    if (self->modules[i] != NULL && !self->held[i] && self->network_available &&
        !is_module_idle (self, i) && self->rounds[i] == NULL)
      start_round (self, i);
  return G_SOURCE_CONTINUE;
}

static void
network_update (PcProber *self)
{
  gboolean available = self->monitor_available && pc_network_watch_get_usable (self->network_watch);

  if (self->network_available != available)
    {
      self->network_available = available;
      g_message ("The network is %s", available ? "usable" : "gone");
      g_signal_emit (self, signals[NETWORK_CHANGED], 0);
    }

  /* Any change, even while online (a new route, a new address): what was
   * behind a portal or unreachable may not be now. */
  portal_reset (self);
  if (!available)
    network_error_everywhere (self);
  else
    pc_prober_probe_all (self);
}

static void
on_network_watch_usable_cb (PcProber       *self,
                            GParamSpec     *pspec,
                            PcNetworkWatch *watch)
{
  g_assert (PC_IS_PROBER (self));
  g_assert (PC_IS_NETWORK_WATCH (watch));

  network_update (self);
}

/* A new reason while the network stays gone: the modules say it. */
static void
on_network_watch_reason_cb (PcProber       *self,
                            GParamSpec     *pspec,
                            PcNetworkWatch *watch)
{
  g_assert (PC_IS_PROBER (self));
  g_assert (PC_IS_NETWORK_WATCH (watch));

  if (!self->network_available)
    network_error_everywhere (self);
}

/* What GNetworkMonitor says; the prober adds its own rtnetlink view. */
void
pc_prober_set_network_available (PcProber *self,
                                 gboolean  available)
{
  g_return_if_fail (PC_IS_PROBER (self));

  self->monitor_available = !!available;
  network_update (self);
}

/* Both GNetworkMonitor and the rtnetlink view agree there is a network. */
gboolean
pc_prober_get_network_available (PcProber *self)
{
  g_return_val_if_fail (PC_IS_PROBER (self), TRUE);

  return self->network_available;
}

static void
on_local_proxy_traffic_cb (PcProber     *self,
                           PcLocalProxy *local_proxy)
{
  PcModule *module = self->modules[PC_MODULE_INTERNET_SECURITY];

  g_assert (PC_IS_PROBER (self));
  g_assert (PC_IS_LOCAL_PROXY (local_proxy));

  if (module == NULL)
    return;
  pc_dbus_module_set_bytes_sent (PC_DBUS_MODULE (module), pc_local_proxy_get_bytes_sent (local_proxy));
  pc_dbus_module_set_bytes_received (PC_DBUS_MODULE (module),
                                     pc_local_proxy_get_bytes_received (local_proxy));
}

static GTlsDatabase *
load_database (PcProber    *self,
               const char  *key,
               char       **database_error)
{
  const char *path = pc_profile_get_string (self->profile, key);
  g_autoptr(GError) error = NULL;
  GTlsDatabase *database;

  if (path == NULL)
    return NULL;

  /* Read with the profile, as the profile itself is: a few kB, once. */
  database = g_tls_file_database_new (path, &error);
  if (database == NULL)
    {
      g_warning ("Cannot use %s = %s: %s", key, path, error->message);
      if (database_error != NULL)
        {
          g_free (*database_error);
          *database_error = g_strdup_printf ("%s: %s", path, error->message);
        }
    }
  return database;
}

void
pc_prober_set_profile (PcProber  *self,
                       PcProfile *profile)
{
  g_return_if_fail (PC_IS_PROBER (self));
  g_return_if_fail (PC_IS_PROFILE (profile));

  for (guint i = 0; i < PC_N_MODULES; i++)
    round_cancel (self, i);

  g_set_object (&self->profile, profile);
  g_clear_pointer (&self->edge_database_error, g_free);
  g_clear_pointer (&self->private_database_error, g_free);
  g_clear_object (&self->edge_database);
  g_clear_object (&self->private_database);
  g_clear_object (&self->extra_roots);
  self->edge_database = load_database (self, "internet_security.ca_file", &self->edge_database_error);
  self->private_database = load_database (self, "private_access.root_ca_file",
                                          &self->private_database_error);
  self->extra_roots = load_database (self, "ca_file", NULL);

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  self->session = pc_probe_http_session_new (self->extra_roots, PROBE_TIMEOUT_S);
  pc_auth_set_profile (self->auth, profile, self->extra_roots);

  /* The tunnel follows the profile: a local proxy or a tun device. */
  if (self->local_proxy != NULL)
    pc_local_proxy_stop (self->local_proxy);
  g_clear_object (&self->local_proxy);
  g_clear_object (&self->tunnel);
  if (pc_profile_get_module_enabled (profile, PC_MODULE_INTERNET_SECURITY) &&
      pc_profile_get_tunnel_mode (profile) == PC_TUNNEL_PROXY)
    {
      self->local_proxy = pc_local_proxy_new ();
      g_signal_connect_object (self->local_proxy, "traffic",
                               G_CALLBACK (on_local_proxy_traffic_cb), self, G_CONNECT_SWAPPED);
      pc_local_proxy_set_edge (self->local_proxy,
                               pc_profile_get_string (profile, "internet_security.edge"),
                               self->edge_database,
                               pc_profile_get_string (profile, "internet_security.upstream_proxy"));
    }

  portal_reset (self);
  g_clear_handle_id (&self->interval_id, g_source_remove);
  self->interval_id = g_timeout_add_seconds (pc_profile_get_int (profile, "probe_interval_s"),
                                             on_interval_cb, self);
}

static void
on_auth_changed_cb (PcProber *self,
                    PcAuth   *auth)
{
  g_assert (PC_IS_PROBER (self));
  g_assert (PC_IS_AUTH (auth));

  /* The sign-in concerns Internet Security and Private Access. */
  probe_module (self, PC_MODULE_INTERNET_SECURITY);
  probe_module (self, PC_MODULE_PRIVATE_ACCESS);
}

/* Does signing in take a trip to the identity provider's page? */
gboolean
pc_prober_get_sign_in_needed (PcProber *self)
{
  g_return_val_if_fail (PC_IS_PROBER (self), FALSE);

  return pc_auth_get_state (self->auth) != PC_AUTH_NOT_NEEDED;
}

/* Login / Authenticate: starts the device flow for @user; finishes with
 * the verification URL for the user's browser. */
void
pc_prober_sign_in_async (PcProber            *self,
                         const char          *user,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (PC_IS_PROBER (self));

  pc_auth_start_async (self->auth, user, cancellable, callback, user_data);
}

char *
pc_prober_sign_in_finish (PcProber      *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (PC_IS_PROBER (self), NULL);

  return pc_auth_start_finish (self->auth, result, error);
}

/* Logout: the token goes, and the modules are looked at again (nobody
 * logged in: nothing to report). */
void
pc_prober_sign_out (PcProber *self)
{
  g_return_if_fail (PC_IS_PROBER (self));

  pc_auth_forget (self->auth);
  pc_prober_probe_all (self);
}

/* Did the last captive-portal probe find one? (Network: captive-portal) */
gboolean
pc_prober_get_portal_seen (PcProber *self)
{
  g_return_val_if_fail (PC_IS_PROBER (self), FALSE);

  return self->portal_seen;
}

/* NetworkType: "trusted" when the profile's criteria all hold. */
const char *
pc_prober_get_network_type (PcProber *self)
{
  g_return_val_if_fail (PC_IS_PROBER (self), "off-trusted");

  return self->trusted ? "trusted" : "off-trusted";
}

static void
pc_prober_dispose (GObject *object)
{
  PcProber *self = PC_PROBER (object);

  for (guint i = 0; i < PC_N_MODULES; i++)
    round_cancel (self, i);
  g_clear_handle_id (&self->interval_id, g_source_remove);
  g_clear_handle_id (&self->portal_deadline_id, g_source_remove);
  if (self->local_proxy != NULL)
    pc_local_proxy_stop (self->local_proxy);
  g_clear_object (&self->local_proxy);
  g_clear_object (&self->tunnel);
  g_clear_object (&self->network_watch);
  g_clear_object (&self->auth);
  g_clear_object (&self->session);
  g_clear_object (&self->edge_database);
  g_clear_object (&self->private_database);
  g_clear_object (&self->extra_roots);
  g_clear_object (&self->profile);

  G_OBJECT_CLASS (pc_prober_parent_class)->dispose (object);
}

static void
pc_prober_finalize (GObject *object)
{
  PcProber *self = PC_PROBER (object);

  g_clear_pointer (&self->sysroot, g_free);
  g_clear_pointer (&self->state_dir, g_free);
  g_clear_pointer (&self->edge_database_error, g_free);
  g_clear_pointer (&self->private_database_error, g_free);

  G_OBJECT_CLASS (pc_prober_parent_class)->finalize (object);
}

static void
pc_prober_class_init (PcProberClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pc_prober_dispose;
  object_class->finalize = pc_prober_finalize;

  /* pc_prober_get_network_available() changed. */
  signals[NETWORK_CHANGED] =
    g_signal_new ("network-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
pc_prober_init (PcProber *self)
{
  self->network_available = TRUE;
  self->monitor_available = TRUE;
}

PcProber *
pc_prober_new (PcModule       **modules,
               const gboolean  *held,
               const char      *sysroot,
               const char      *state_dir)
{
  PcProber *self = g_object_new (PC_TYPE_PROBER, NULL);

  /* The system CA bundle only when something relies on it. */
  pc_system_roots_install ();

  self->modules = modules;
  self->held = held;
  self->sysroot = g_strdup (sysroot);
  self->state_dir = g_strdup (state_dir);
  {
    g_autofree char *marker = g_build_filename (state_dir, "dx-registered", NULL);

    /* A stat at start, before the main loop runs. */
    self->dx_reached = g_file_test (marker, G_FILE_TEST_EXISTS);
  }

  self->auth = pc_auth_new (state_dir);
  g_signal_connect_object (self->auth, "changed", G_CALLBACK (on_auth_changed_cb), self, G_CONNECT_SWAPPED);

  self->network_watch = pc_network_watch_new ();
  self->network_available = pc_network_watch_get_usable (self->network_watch);
  g_signal_connect_object (self->network_watch, "notify::usable",
                           G_CALLBACK (on_network_watch_usable_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->network_watch, "notify::reason",
                           G_CALLBACK (on_network_watch_reason_cb), self, G_CONNECT_SWAPPED);
  return self;
}
