/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "portcullisd"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gio/gunixfdlist.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pc-error.h"
#include "pc-logbook.h"
#include "pc-module.h"
#include "pc-password.h"
#include "pc-profile.h"
#include "pc-prober.h"
#include "pc-service.h"
#include "pc-state.h"
#include "pc-util.h"

/*
 * PcService: the orchestrator of portcullisd. It owns the bus name, exports
 * the Manager (at the root path, beside the ObjectManager), one PcModule per
 * module the profile enables, and in testing mode the Testing interface. It
 * holds the profile in force, the persistent state and the logbook.
 *
 * Authorization lives in one place, on_authorize_method_cb(): GDBus runs it
 * in a thread of its own per call, so checking a strong password hash never
 * stalls the main loop.
 */

#define RESTART_INTERVAL_US (30 * G_USEC_PER_SEC)

struct _PcService
{
  GObject                    parent_instance;

  /* options */
  GBusType                   bus_type;
  char                      *profile_path;
  char                      *state_dir;
  char                      *sysroot;
  gboolean                   testing;
  char                     **argv;

  /* owned */
  guint                      owner_id;
  GDBusConnection           *connection;
  GDBusObjectManagerServer  *object_manager;
  PcDbusManager             *manager;
  PcDbusTesting             *testing_iface;
  PcModule                  *modules[PC_N_MODULES];
  gboolean                   testing_override[PC_N_MODULES];
  char                      *testing_auth_url[PC_N_MODULES];
  PcState                   *state;
  PcLogbook                 *logbook;
  GNetworkMonitor           *network_monitor;
  PcProber                  *prober;
  GPtrArray                 *calls;
  gboolean                   name_acquired;

  /* shared with the authorization threads, under policy_lock */
  GMutex                     policy_lock;
  PcProfile                 *profile;
  gint64                     last_restart;
};

G_DEFINE_FINAL_TYPE (PcService, pc_service, G_TYPE_OBJECT)

enum {
  QUIT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static PcProfile *
pc_service_dup_profile (PcService *self)
{
  PcProfile *profile;

  g_mutex_lock (&self->policy_lock);
  profile = g_object_ref (self->profile);
  g_mutex_unlock (&self->policy_lock);

  return profile;
}

static PcModule *
pc_service_find_module (PcService   *self,
                        const char  *name,
                        GError     **error)
{
  PcModuleKind kind;

  if (pc_module_kind_from_string (name, &kind) && self->modules[kind] != NULL)
    return self->modules[kind];

  {
    g_autoptr(GString) enabled = g_string_new (NULL);

    for (guint i = 0; i < PC_N_MODULES; i++)
      if (self->modules[i] != NULL)
        g_string_append_printf (enabled, "%s%s", enabled->len ? " " : "", pc_module_kind_to_string (i));

    g_set_error (error, PC_ERROR, PC_ERROR_INVALID_ARGS,
                 "There is no module “%s”; this profile enables %s",
                 name, enabled->len ? enabled->str : "none");
  }
  return NULL;
}

/* --- the calls log the testing interface reads --- */

typedef struct
{
  PcService *self;
  char      *call;
} RecordedCall;

static gboolean
record_call_in_main (gpointer user_data)
{
  RecordedCall *recorded = user_data;
  PcService *self = recorded->self;

  g_ptr_array_add (self->calls, g_strdup (recorded->call));
  if (self->testing_iface != NULL)
    pc_dbus_testing_emit_call_received (self->testing_iface, recorded->call);

  g_object_unref (recorded->self);
  g_free (recorded->call);
  g_free (recorded);
  return G_SOURCE_REMOVE;
}

static void
pc_service_record_call (PcService             *self,
                        GDBusInterfaceSkeleton *iface,
                        GDBusMethodInvocation  *invocation)
{
  RecordedCall *recorded;
  const char *object;

  if (!self->testing)
    return;

  if (PC_IS_MODULE (iface))
    object = pc_module_kind_to_string (pc_module_get_kind_enum (PC_MODULE (iface)));
  else
    object = "Manager";

  recorded = g_new0 (RecordedCall, 1);
  recorded->self = g_object_ref (self);
  recorded->call = g_strdup_printf ("%s.%s", object,
                                    g_dbus_method_invocation_get_method_name (invocation));
  g_main_context_invoke (NULL, record_call_in_main, recorded);
}

/* --- authorization: one place, in the per-call thread --- */

static gboolean
check_password (GDBusMethodInvocation *invocation,
                const char            *hash,
                const char            *password,
                const char            *what)
{
  if (hash == NULL)
    return TRUE;

  if (password == NULL || *password == '\0')
    {
      g_dbus_method_invocation_return_error (invocation, PC_ERROR, PC_ERROR_PASSWORD_REQUIRED,
                                             "%s requires the password your administrator set",
                                             what);
      return FALSE;
    }

  if (!pc_password_check (hash, password))
    {
      g_message ("Refused %s: wrong password", what);
      g_dbus_method_invocation_return_error (invocation, PC_ERROR, PC_ERROR_WRONG_PASSWORD,
                                             "The password is not correct");
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_allowed (GDBusMethodInvocation *invocation,
               PcProfile             *profile,
               const char            *key,
               const char            *what)
{
  if (pc_profile_get_boolean (profile, key))
    return TRUE;

  g_message ("Refused %s: the profile sets %s to false", what, key);
  g_dbus_method_invocation_return_error (invocation, PC_ERROR, PC_ERROR_NOT_ALLOWED,
                                         "%s is not allowed by your organization's policy (%s)",
                                         what, pc_profile_get_name (profile));
  return FALSE;
}

static gboolean
on_authorize_method_cb (PcService              *self,
                        GDBusMethodInvocation  *invocation,
                        GDBusInterfaceSkeleton *iface)
{
  g_autoptr(PcProfile) profile = NULL;
  const char *method = g_dbus_method_invocation_get_method_name (invocation);
  GVariant *params = g_dbus_method_invocation_get_parameters (invocation);

  pc_service_record_call (self, iface, invocation);

  profile = pc_service_dup_profile (self);

  if (PC_IS_MODULE (iface))
    {
      if (g_str_equal (method, "SetEnabled"))
        {
          gboolean enabled;
          const char *password;

          g_variant_get (params, "(b&s&s)", &enabled, &password, NULL);
          if (!enabled)
            return check_password (invocation,
                                   pc_profile_get_string (profile, "user_access.disable_password_hash"),
                                   password, "Turning a module off");
        }
      return TRUE;
    }

  if (g_str_equal (method, "RestartService"))
    {
      gint64 since;

      if (!check_allowed (invocation, profile, "user_access.restart_service", "Restarting the service"))
        return FALSE;

      g_mutex_lock (&self->policy_lock);
      since = g_get_real_time () - self->last_restart;
      g_mutex_unlock (&self->policy_lock);

      if (since >= 0 && since < RESTART_INTERVAL_US)
        {
          int wait = (int) ((RESTART_INTERVAL_US - since + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);

          g_dbus_method_invocation_return_error (invocation, PC_ERROR, PC_ERROR_RATE_LIMITED,
                                                 "The service was restarted moments ago; "
                                                 "try again in %d seconds", wait);
          return FALSE;
        }
      return TRUE;
    }

  if (g_str_equal (method, "RepairApp"))
    return check_allowed (invocation, profile, "user_access.repair_app", "Repairing the app");

  if (g_str_equal (method, "ExportLogs"))
    return check_allowed (invocation, profile, "user_access.export_logs", "Exporting logs");

  if (g_str_equal (method, "Logout"))
    {
      const char *password;

      g_variant_get (params, "(&s)", &password);
      return check_password (invocation,
                             pc_profile_get_string (profile, "user_access.logout_password_hash"),
                             password, "Logging out");
    }

  return TRUE;
}

/* --- module state --- */

/*
 * A probe round for one module (DESIGN §5, PcProber): it shows connecting
 * until the checks answer, then on or the problem found. Retry and Repair
 * App go through here. With --testing the tests steer every module
 * through the Testing interface instead, as they steer Network: there is
 * no prober, a module is simply on, and one the interface holds is left
 * alone.
 */
static void
pc_service_probe_module (PcService *self,
                         PcModule  *module)
{
  PcModuleKind kind = pc_module_get_kind_enum (module);

  if (self->testing_override[kind])
    return;

  if (self->prober != NULL)
    {
      pc_prober_probe (self->prober, kind);
      return;
    }

  pc_module_clear_problem (module);
  pc_module_set_connecting (module, FALSE);
}

static void
pc_service_probe_all (PcService *self)
{
  for (guint i = 0; i < PC_N_MODULES; i++)
    if (self->modules[i] != NULL)
      pc_service_probe_module (self, self->modules[i]);
}

static void
pc_service_apply_login (PcService *self)
{
  gboolean logged_in = *pc_state_get_user (self->state) != '\0';

  pc_dbus_manager_set_user (self->manager, pc_state_get_user (self->state));
  for (guint i = 0; i < PC_N_MODULES; i++)
    if (self->modules[i] != NULL)
      pc_module_set_logged_in (self->modules[i], logged_in);
}

/* Replies to a state-changing call once the change is on disk. */
static void
complete_when_saved_cb (gpointer user_data)
{
  g_dbus_method_invocation_return_value (user_data, NULL);
}

static void
complete_login_when_saved_cb (gpointer user_data)
{
  g_dbus_method_invocation_return_value (user_data, g_variant_new ("(s)", ""));
}

/* --- Module methods --- */

static gboolean
on_module_handle_retry_cb (PcService             *self,
                           GDBusMethodInvocation *invocation,
                           PcDbusModule          *iface)
{
  PcModule *module = PC_MODULE (iface);

  g_info ("Retry requested for %s", pc_dbus_module_get_kind (iface));
  pc_service_probe_module (self, module);
  pc_dbus_module_complete_retry (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
complete_login_with_url_when_saved_cb (gpointer user_data)
{
  GDBusMethodInvocation *invocation = user_data;

  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new ("(s)", g_object_get_data (G_OBJECT (invocation),
                                                                                  "pc-login-url")));
}

/* Login and Authenticate with an identity provider: both answer with the
 * device flow's verification URL (DESIGN §5). */
typedef struct
{
  PcService             *self;
  GDBusMethodInvocation *invocation;
  PcDbusModule          *module;      /* NULL for Login */
} SignIn;

static void
on_signed_in_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SignIn *sign_in = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = pc_prober_sign_in_finish (sign_in->self->prober, result, &error);

  if (url == NULL)
    g_dbus_method_invocation_return_error (sign_in->invocation, PC_ERROR, PC_ERROR_FAILED,
                                           "Cannot start signing in with your organization's "
                                           "identity provider: %s", error->message);
  else if (sign_in->module != NULL)
    pc_dbus_module_complete_authenticate (sign_in->module, sign_in->invocation, url);
  else
    {
      /* Login answers once the user is on disk, as without an IdP. */
      g_object_set_data_full (G_OBJECT (sign_in->invocation), "pc-login-url",
                              g_steal_pointer (&url), g_free);
      pc_state_when_saved (sign_in->self->state, complete_login_with_url_when_saved_cb,
                           sign_in->invocation);
    }

  g_clear_object (&sign_in->module);
  g_object_unref (sign_in->self);
  g_free (sign_in);
}

static void
pc_service_sign_in (PcService             *self,
                    const char            *user,
                    GDBusMethodInvocation *invocation,
                    PcDbusModule          *module)
{
  SignIn *sign_in = g_new0 (SignIn, 1);

  sign_in->self = g_object_ref (self);
  sign_in->invocation = invocation;
  sign_in->module = module ? g_object_ref (module) : NULL;
  pc_prober_sign_in_async (self->prober, user, NULL, on_signed_in_cb, sign_in);
}

static gboolean
on_module_handle_authenticate_cb (PcService             *self,
                                  GDBusMethodInvocation *invocation,
                                  PcDbusModule          *iface)
{
  const char *testing_url = self->testing_auth_url[pc_module_get_kind_enum (PC_MODULE (iface))];

  if (*pc_state_get_user (self->state) == '\0')
    {
      g_dbus_method_invocation_return_error (invocation, PC_ERROR, PC_ERROR_FAILED,
                                             "Nobody is logged in; log in first");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  /* Set by the testing interface: stands in for the IdP's page. */
  if (testing_url != NULL)
    {
      pc_dbus_module_complete_authenticate (iface, invocation, testing_url);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  /* With an identity provider, a new device flow and its page. */
  if (self->prober != NULL && pc_prober_get_sign_in_needed (self->prober))
    {
      pc_service_sign_in (self, pc_state_get_user (self->state), invocation, PC_DBUS_MODULE (iface));
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  /* Without an identity provider flow there is no page to open. */
  pc_service_probe_module (self, PC_MODULE (iface));
  pc_dbus_module_complete_authenticate (iface, invocation, "");
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_module_handle_set_enabled_cb (PcService             *self,
                                 GDBusMethodInvocation *invocation,
                                 gboolean               enabled,
                                 const char            *password,
                                 const char            *reason,
                                 PcDbusModule          *iface)
{
  PcModule *module = PC_MODULE (iface);
  PcModuleKind kind = pc_module_get_kind_enum (module);

  g_message ("%s turned %s%s%s", pc_dbus_module_get_kind (iface), enabled ? "on" : "off",
             *reason ? ", reason: " : "", reason);
  pc_state_set_module_enabled (self->state, kind, enabled, reason);
  pc_module_set_user_enabled (module, enabled);
  if (enabled)
    pc_service_probe_module (self, module);
  pc_state_when_saved (self->state, complete_when_saved_cb, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* --- Manager methods --- */

static gboolean
on_manager_handle_login_cb (PcService             *self,
                            GDBusMethodInvocation *invocation,
                            const char            *user,
                            PcDbusManager         *iface)
{
  if (user == NULL || *user == '\0' || !g_utf8_validate (user, -1, NULL) || strlen (user) > 256)
    {
      g_dbus_method_invocation_return_error (invocation, PC_ERROR, PC_ERROR_INVALID_ARGS,
                                             "A user name is required to log in");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  g_message ("User %s logged in", user);
  pc_state_set_user (self->state, user);
  /* Straight from off to connecting, not through a moment of "on". */
  if (self->prober != NULL)
    for (guint i = 0; i < PC_N_MODULES; i++)
      if (self->modules[i] != NULL)
        pc_module_set_connecting (self->modules[i], TRUE);
  pc_service_apply_login (self);
  pc_service_probe_all (self);
  if (self->prober != NULL && pc_prober_get_sign_in_needed (self->prober))
    {
      pc_service_sign_in (self, user, invocation, NULL);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  pc_state_when_saved (self->state, complete_login_when_saved_cb, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_manager_handle_logout_cb (PcService             *self,
                             GDBusMethodInvocation *invocation,
                             const char            *password,
                             PcDbusManager         *iface)
{
  g_message ("User %s logged out", pc_state_get_user (self->state));
  pc_state_set_user (self->state, "");
  pc_service_apply_login (self);
  if (self->prober != NULL)
    pc_prober_sign_out (self->prober);
  pc_state_when_saved (self->state, complete_when_saved_cb, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
pc_service_reexec (PcService *self)
{
  g_autoptr(GError) error = NULL;

  g_message ("Restarting the service");

  if (self->connection != NULL)
    g_dbus_connection_flush_sync (self->connection, NULL, NULL);

  execv ("/proc/self/exe", self->argv);

  g_warning ("Cannot restart the service: %s", g_strerror (errno));
  g_signal_emit (self, signals[QUIT], 0, 1);
}

static gboolean
reexec_in_idle (gpointer user_data)
{
  pc_service_reexec (PC_SERVICE (user_data));
  return G_SOURCE_REMOVE;
}

static gboolean
on_manager_handle_restart_service_cb (PcService             *self,
                                      GDBusMethodInvocation *invocation,
                                      PcDbusManager         *iface)
{
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time ();

  g_mutex_lock (&self->policy_lock);
  self->last_restart = now;
  g_mutex_unlock (&self->policy_lock);

  /* The rate limit and the user must survive the new process. */
  pc_state_set_last_restart (self->state, now);
  if (!pc_state_save_sync (self->state, &error))
    {
      g_dbus_method_invocation_return_error (invocation, PC_ERROR, PC_ERROR_FAILED,
                                             "Cannot save the state before restarting: %s",
                                             error->message);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  pc_dbus_manager_complete_restart_service (iface, invocation);
  g_idle_add_full (G_PRIORITY_LOW, reexec_in_idle, g_object_ref (self), g_object_unref);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

typedef struct
{
  char     *state_dir;
  char     *state_path;
  char     *state_json;
  char     *log_dir;
} RepairData;

static void
repair_data_free (RepairData *data)
{
  g_free (data->state_dir);
  g_free (data->state_path);
  g_free (data->state_json);
  g_free (data->log_dir);
  g_free (data);
}

/* g_strv_builder_take() is newer than the GLib of Debian 12. */
static void
strv_builder_take (GStrvBuilder *builder,
                   char         *text)
{
  g_strv_builder_add (builder, text);
  g_free (text);
}

/* A folder the service owns: present and private. Returns 1 when its
 * mode had to be fixed. */
static guint
repair_folder (const char   *path,
               const char   *what,
               GStrvBuilder *fixed,
               GStrvBuilder *checked)
{
  struct stat st;

  if (g_stat (path, &st) != 0)
    {
      if (g_mkdir_with_parents (path, 0700) == 0)
        strv_builder_take (fixed, g_strdup_printf ("Created the missing %s folder %s", what, path));
      return 0;
    }

  if ((st.st_mode & 0777) != 0700 && g_chmod (path, 0700) == 0)
    {
      strv_builder_take (fixed, g_strdup_printf ("Made the %s folder %s private (mode 0700)",
                                                 what, path));
      return 1;
    }

  strv_builder_take (checked, g_strdup_printf ("The %s folder is present and private", what));
  return 0;
}

static guint
fix_permissions_in (const char   *dir,
                    GStrvBuilder *fixed)
{
  g_autoptr(GDir) gdir = g_dir_open (dir, 0, NULL);
  const char *name;
  guint count = 0;

  if (gdir == NULL)
    return 0;

  while ((name = g_dir_read_name (gdir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      struct stat st;

      if (g_lstat (path, &st) != 0 || !S_ISREG (st.st_mode))
        continue;
      if ((st.st_mode & 0077) != 0 && g_chmod (path, 0600) == 0)
        {
          strv_builder_take (fixed, g_strdup_printf ("Made %s private (mode 0600)", path));
          count++;
        }
    }

  return count;
}

static void
repair_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RepairData *data = task_data;
  g_autoptr(GStrvBuilder) fixed = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) checked = g_strv_builder_new ();
  g_autofree char *cache_dir = g_build_filename (data->state_dir, "cache", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(json_object) parsed = NULL;
  g_autoptr(GDir) cache = NULL;
  g_auto(GStrv) fixed_list = NULL;
  g_auto(GStrv) checked_list = NULL;
  GVariantDict report;
  guint permissions_fixed = 0;
  guint cache_removed = 0;

  permissions_fixed += repair_folder (data->state_dir, "state", fixed, checked);
  permissions_fixed += repair_folder (data->log_dir, "log", fixed, checked);
  permissions_fixed += fix_permissions_in (data->state_dir, fixed);
  permissions_fixed += fix_permissions_in (data->log_dir, fixed);

  /* The state file: parses, else rewritten from what the service holds. */
  if (g_file_get_contents (data->state_path, &contents, NULL, NULL) &&
      (parsed = json_tokener_parse (contents)) != NULL &&
      json_object_is_type (parsed, json_type_object))
    g_strv_builder_add (checked, "State file readable");
  else if (pc_file_set_contents_private (data->state_path, data->state_json, -1, NULL))
    g_strv_builder_add (fixed, "Rewrote the damaged or missing state file");

  /* Cached files are only ever a copy of something fetched again. */
  cache = g_dir_open (cache_dir, 0, NULL);
  if (cache != NULL)
    {
      const char *name;

      while ((name = g_dir_read_name (cache)) != NULL)
        {
          g_autofree char *path = g_build_filename (cache_dir, name, NULL);

          if (g_unlink (path) == 0)
            cache_removed++;
        }
      if (cache_removed > 0)
        strv_builder_take (fixed, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                                  "Removed %u cached file",
                                                                  "Removed %u cached files",
                                                                  cache_removed),
                                                     cache_removed));
    }

  g_variant_dict_init (&report, NULL);
  g_variant_dict_insert (&report, "state-dir", "s", data->state_dir);
  g_variant_dict_insert (&report, "permissions-fixed", "u", permissions_fixed);
  g_variant_dict_insert (&report, "cache-files-removed", "u", cache_removed);
  fixed_list = g_strv_builder_end (fixed);
  checked_list = g_strv_builder_end (checked);
  g_variant_dict_insert_value (&report, "fixed",
                               g_variant_new_strv ((const char * const *) fixed_list, -1));
  g_variant_dict_insert_value (&report, "checked",
                               g_variant_new_strv ((const char * const *) checked_list, -1));

  g_task_return_pointer (task, g_variant_ref_sink (g_variant_dict_end (&report)),
                         (GDestroyNotify) g_variant_unref);
}

static void
on_repair_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  PcService *self = PC_SERVICE (source);
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GVariant) report = NULL;
  g_autofree char *tunnel = NULL;
  GVariantDict dict;

  report = g_task_propagate_pointer (G_TASK (result), NULL);

  /* The tun device, in tun mode, is opened afresh; then a fresh probe
   * round closes the repair. */
  if (self->prober != NULL)
    tunnel = pc_prober_repair_tunnel (self->prober);
  pc_service_probe_all (self);

  g_variant_dict_init (&dict, report);
  if (tunnel != NULL)
    g_variant_dict_insert (&dict, "tunnel", "s", tunnel);
  g_variant_dict_insert (&dict, "probe-round", "b", TRUE);
  g_message ("Repair App finished");
  pc_dbus_manager_complete_repair_app (self->manager, g_steal_pointer (&invocation),
                                       g_variant_dict_end (&dict));
}

static gboolean
on_manager_handle_repair_app_cb (PcService             *self,
                                 GDBusMethodInvocation *invocation,
                                 PcDbusManager         *iface)
{
  g_autoptr(GTask) task = NULL;
  RepairData *data = g_new0 (RepairData, 1);

  g_message ("Repair App requested");

  data->state_dir = g_strdup (self->state_dir);
  data->state_path = g_strdup (pc_state_get_path (self->state));
  data->state_json = pc_state_serialize (self->state);
  data->log_dir = g_strdup (pc_logbook_get_dir (self->logbook));

  task = g_task_new (self, NULL, on_repair_done_cb, g_object_ref (invocation));
  g_task_set_task_data (task, data, (GDestroyNotify) repair_data_free);
  g_task_run_in_thread (task, repair_thread);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_manager_handle_update_policy_cb (PcService             *self,
                                    GDBusMethodInvocation *invocation,
                                    PcDbusManager         *iface)
{
  g_autoptr(GError) error = NULL;

  if (!pc_service_reload_policy (self, &error))
    {
      g_dbus_method_invocation_return_error (invocation, PC_ERROR, PC_ERROR_FAILED,
                                             "The new policy was refused and the previous one "
                                             "stays in force: %s", error->message);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  pc_dbus_manager_complete_update_policy (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static json_object *
module_to_json (PcDbusModule *module)
{
  json_object *object = json_object_new_object ();

  json_object_object_add (object, "kind", json_object_new_string (pc_dbus_module_get_kind (module)));
  json_object_object_add (object, "status", json_object_new_string (pc_dbus_module_get_status (module)));
  json_object_object_add (object, "error", json_object_new_string (pc_dbus_module_get_error (module)));
  json_object_object_add (object, "error_detail",
                          json_object_new_string (pc_dbus_module_get_error_detail (module)));
  json_object_object_add (object, "fail_mode",
                          json_object_new_string (pc_dbus_module_get_fail_mode (module)));
  json_object_object_add (object, "auth_status",
                          json_object_new_string (pc_dbus_module_get_auth_status (module)));
  json_object_object_add (object, "portal_url",
                          json_object_new_string (pc_dbus_module_get_portal_url (module)));
  json_object_object_add (object, "server", json_object_new_string (pc_dbus_module_get_server (module)));
  json_object_object_add (object, "client_address",
                          json_object_new_string (pc_dbus_module_get_client_address (module)));
  json_object_object_add (object, "since_us", json_object_new_int64 (pc_dbus_module_get_since (module)));
  json_object_object_add (object, "bytes_sent",
                          json_object_new_uint64 (pc_dbus_module_get_bytes_sent (module)));
  json_object_object_add (object, "bytes_received",
                          json_object_new_uint64 (pc_dbus_module_get_bytes_received (module)));
  return object;
}

static char *
pc_service_dup_status_json (PcService *self)
{
  g_autoptr(json_object) root = json_object_new_object ();
  json_object *modules = json_object_new_array ();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *time = g_date_time_format_iso8601 (now);

  json_object_object_add (root, "time", json_object_new_string (time));
  json_object_object_add (root, "version", json_object_new_string (PACKAGE_VERSION));
  json_object_object_add (root, "user", json_object_new_string (pc_dbus_manager_get_user (self->manager)));
  json_object_object_add (root, "profile",
                          json_object_new_string (pc_dbus_manager_get_profile (self->manager)));
  json_object_object_add (root, "network",
                          json_object_new_string (pc_dbus_manager_get_network (self->manager)));
  json_object_object_add (root, "network_type",
                          json_object_new_string (pc_dbus_manager_get_network_type (self->manager)));
  json_object_object_add (root, "log_level",
                          json_object_new_string (pc_dbus_manager_get_log_level (self->manager)));
  for (guint i = 0; i < PC_N_MODULES; i++)
    if (self->modules[i] != NULL)
      json_object_array_add (modules, module_to_json (PC_DBUS_MODULE (self->modules[i])));
  json_object_object_add (root, "modules", modules);

  return g_strdup (json_object_to_json_string_ext (root, JSON_C_TO_STRING_PRETTY));
}

static void
on_export_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;

  if (!pc_logbook_export_finish (PC_LOGBOOK (source), result, &error))
    {
      g_warning ("%s", error->message);
      g_dbus_method_invocation_return_gerror (g_steal_pointer (&invocation), error);
      return;
    }

  g_message ("Logs exported");
  g_dbus_method_invocation_return_value (g_steal_pointer (&invocation), NULL);
}

static gboolean
on_manager_handle_export_logs_cb (PcService             *self,
                                  GDBusMethodInvocation *invocation,
                                  GUnixFDList           *fd_list,
                                  GVariant              *fd_handle,
                                  PcDbusManager         *iface)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PcProfile) profile = pc_service_dup_profile (self);
  g_autoptr(json_object) redacted = NULL;
  g_autofree char *status_json = NULL;
  int handle = g_variant_get_handle (fd_handle);
  int fd;

  if (fd_list == NULL || handle < 0 || handle >= g_unix_fd_list_get_length (fd_list))
    {
      g_dbus_method_invocation_return_error (invocation, PC_ERROR, PC_ERROR_INVALID_ARGS,
                                             "No file descriptor was passed to write the logs into");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  fd = g_unix_fd_list_get (fd_list, handle, &error);
  if (fd < 0)
    {
      g_dbus_method_invocation_return_error (invocation, PC_ERROR, PC_ERROR_INVALID_ARGS,
                                             "The file descriptor is not usable: %s", error->message);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  redacted = pc_profile_dup_redacted_json (profile);
  status_json = pc_service_dup_status_json (self);

  pc_logbook_export_async (self->logbook, fd, status_json,
                           json_object_to_json_string_ext (redacted, JSON_C_TO_STRING_PRETTY),
                           NULL, on_export_done_cb, g_object_ref (invocation));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_manager_handle_clear_logs_cb (PcService             *self,
                                 GDBusMethodInvocation *invocation,
                                 PcDbusManager         *iface)
{
  g_autoptr(GError) error = NULL;

  if (!pc_logbook_clear (self->logbook, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  g_message ("Logs cleared");
  pc_dbus_manager_complete_clear_logs (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_manager_handle_set_log_level_cb (PcService             *self,
                                    GDBusMethodInvocation *invocation,
                                    const char            *level,
                                    PcDbusManager         *iface)
{
  g_autoptr(GError) error = NULL;

  if (!pc_logbook_set_level (self->logbook, level, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  pc_state_set_log_level (self->state, level);
  pc_dbus_manager_set_log_level (iface, level);
  g_message ("Log level set to %s", level);
  pc_dbus_manager_complete_set_log_level (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* --- Testing methods --- */

static gboolean
on_testing_handle_set_error_cb (PcService             *self,
                                GDBusMethodInvocation *invocation,
                                const char            *name,
                                const char            *code,
                                const char            *detail,
                                PcDbusTesting         *iface)
{
  g_autoptr(GError) error = NULL;
  PcModule *module = pc_service_find_module (self, name, &error);

  if (module == NULL || *code == '\0')
    {
      if (error == NULL)
        g_set_error (&error, PC_ERROR, PC_ERROR_INVALID_ARGS, "A status code is required");
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  self->testing_override[pc_module_get_kind_enum (module)] = TRUE;
  pc_module_set_problem (module, code, detail, pc_fail_mode_for_code (code));
  pc_dbus_testing_complete_set_error (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_testing_handle_clear_error_cb (PcService             *self,
                                  GDBusMethodInvocation *invocation,
                                  const char            *name,
                                  PcDbusTesting         *iface)
{
  g_autoptr(GError) error = NULL;
  PcModule *module = pc_service_find_module (self, name, &error);

  if (module == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  self->testing_override[pc_module_get_kind_enum (module)] = FALSE;
  pc_module_clear_problem (module);
  pc_dbus_testing_complete_clear_error (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_testing_handle_set_network_cb (PcService             *self,
                                  GDBusMethodInvocation *invocation,
                                  const char            *state,
                                  PcDbusTesting         *iface)
{
  static const char * const states[] = { "online", "none", "captive-portal", "limited", NULL };

  if (!g_strv_contains (states, state))
    {
      g_dbus_method_invocation_return_error (invocation, PC_ERROR, PC_ERROR_INVALID_ARGS,
                                             "“%s” is not a network state; use online, none, "
                                             "captive-portal or limited", state);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  pc_dbus_manager_set_network (self->manager, state);
  pc_dbus_testing_complete_set_network (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_testing_handle_set_module_property_cb (PcService             *self,
                                          GDBusMethodInvocation *invocation,
                                          const char            *name,
                                          const char            *property,
                                          GVariant              *boxed,
                                          PcDbusTesting         *iface)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = g_variant_get_variant (boxed);
  PcModule *module = pc_service_find_module (self, name, &error);
  GDBusInterfaceInfo *info = pc_dbus_module_interface_info ();
  GDBusPropertyInfo *property_info;
  GValue gvalue = G_VALUE_INIT;
  g_autoptr(GString) pspec_name = NULL;

  if (module == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  property_info = g_dbus_interface_info_lookup_property (info, property);
  if (property_info == NULL || g_str_equal (property, "Kind") ||
      !g_variant_is_of_type (value, G_VARIANT_TYPE (property_info->signature)))
    {
      g_dbus_method_invocation_return_error (invocation, PC_ERROR, PC_ERROR_INVALID_ARGS,
                                             "“%s” is not a settable module property of type “%s”",
                                             property, g_variant_get_type_string (value));
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  /* The generated GObject property of "PortalUrl" is "portal-url". */
  pspec_name = g_string_new (NULL);
  for (const char *c = property; *c; c++)
    {
      if (g_ascii_isupper (*c) && c != property)
        g_string_append_c (pspec_name, '-');
      g_string_append_c (pspec_name, g_ascii_tolower (*c));
    }

  g_dbus_gvariant_to_gvalue (value, &gvalue);
  g_object_set_property (G_OBJECT (module), pspec_name->str, &gvalue);
  g_value_unset (&gvalue);

  pc_dbus_testing_complete_set_module_property (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_testing_handle_set_authenticate_url_cb (PcService             *self,
                                           GDBusMethodInvocation *invocation,
                                           const char            *name,
                                           const char            *url,
                                           PcDbusTesting         *iface)
{
  g_autoptr(GError) error = NULL;
  PcModule *module = pc_service_find_module (self, name, &error);
  PcModuleKind kind;

  if (module == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  kind = pc_module_get_kind_enum (module);
  g_free (self->testing_auth_url[kind]);
  self->testing_auth_url[kind] = *url ? g_strdup (url) : NULL;
  pc_dbus_testing_complete_set_authenticate_url (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_testing_handle_get_calls_cb (PcService             *self,
                                GDBusMethodInvocation *invocation,
                                PcDbusTesting         *iface)
{
  g_ptr_array_add (self->calls, NULL);
  pc_dbus_testing_complete_get_calls (iface, invocation, (const char * const *) self->calls->pdata);
  g_ptr_array_remove_index (self->calls, self->calls->len - 1);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_testing_handle_reset_calls_cb (PcService             *self,
                                  GDBusMethodInvocation *invocation,
                                  PcDbusTesting         *iface)
{
  g_ptr_array_set_size (self->calls, 0);
  pc_dbus_testing_complete_reset_calls (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* --- profile and module objects --- */

static void
pc_service_export_module (PcService    *self,
                          PcModuleKind  kind)
{
  g_autoptr(PcDbusObjectSkeleton) object = NULL;
  g_autofree char *path = g_strconcat (PC_MODULE_PATH, pc_module_kind_to_string (kind), NULL);
  PcModule *module = pc_module_new (kind);

  g_signal_connect_object (module, "g-authorize-method",
                           G_CALLBACK (on_authorize_method_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (module, "handle-retry",
                           G_CALLBACK (on_module_handle_retry_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (module, "handle-authenticate",
                           G_CALLBACK (on_module_handle_authenticate_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (module, "handle-set-enabled",
                           G_CALLBACK (on_module_handle_set_enabled_cb), self, G_CONNECT_SWAPPED);

  pc_module_set_user_enabled (module, pc_state_get_module_enabled (self->state, kind));
  pc_module_set_logged_in (module, *pc_state_get_user (self->state) != '\0');

  object = pc_dbus_object_skeleton_new (path);
  pc_dbus_object_skeleton_set_module (object, PC_DBUS_MODULE (module));
  g_dbus_object_manager_server_export (self->object_manager, G_DBUS_OBJECT_SKELETON (object));
  self->modules[kind] = module;

  pc_service_probe_module (self, module);
}

static void
pc_service_unexport_module (PcService    *self,
                            PcModuleKind  kind)
{
  g_autofree char *path = g_strconcat (PC_MODULE_PATH, pc_module_kind_to_string (kind), NULL);

  g_dbus_object_manager_server_unexport (self->object_manager, path);
  g_clear_object (&self->modules[kind]);
  self->testing_override[kind] = FALSE;
}

static void
pc_service_apply_profile (PcService *self)
{
  g_autoptr(PcProfile) profile = pc_service_dup_profile (self);
  g_autoptr(GVariant) policy = g_variant_ref_sink (pc_profile_build_policy (profile));

  pc_dbus_manager_set_profile (self->manager, pc_profile_get_name (profile));
  pc_dbus_manager_set_policy (self->manager, policy);

  if (self->object_manager == NULL)
    return;

  for (guint i = 0; i < PC_N_MODULES; i++)
    {
      gboolean wanted = pc_profile_get_module_enabled (profile, i);

      if (wanted && self->modules[i] == NULL)
        pc_service_export_module (self, i);
      else if (!wanted && self->modules[i] != NULL)
        pc_service_unexport_module (self, i);
    }
}

gboolean
pc_service_reload_policy (PcService  *self,
                          GError    **error)
{
  g_autoptr(PcProfile) profile = pc_profile_new_from_file (self->profile_path, error);

  if (profile == NULL)
    {
      g_warning ("Refused the profile: %s", (*error)->message);
      return FALSE;
    }

  g_mutex_lock (&self->policy_lock);
  g_set_object (&self->profile, profile);
  g_mutex_unlock (&self->policy_lock);
  if (self->prober != NULL)
    pc_prober_set_profile (self->prober, profile);

  g_message ("Profile “%s” in force, from %s", pc_profile_get_name (profile), self->profile_path);
  pc_service_apply_profile (self);
  pc_service_probe_all (self);
  return TRUE;
}

/* --- network --- */

static void
pc_service_update_network (PcService *self)
{
  GNetworkMonitor *monitor = self->network_monitor;
  const char *network;

  /* The prober adds its rtnetlink view (a default route on a link that is
   * up) to what GNetworkMonitor says. */
  if (!g_network_monitor_get_network_available (monitor) || !pc_prober_get_network_available (self->prober))
    network = "none";
  else if (pc_prober_get_portal_seen (self->prober))
    network = "captive-portal";
  else
    switch (g_network_monitor_get_connectivity (monitor))
      {
      case G_NETWORK_CONNECTIVITY_PORTAL:
        network = "captive-portal";
        break;
      case G_NETWORK_CONNECTIVITY_LOCAL:
      case G_NETWORK_CONNECTIVITY_LIMITED:
        network = "limited";
        break;
      case G_NETWORK_CONNECTIVITY_FULL:
      default:
        network = "online";
        break;
      }

  if (g_strcmp0 (pc_dbus_manager_get_network (self->manager), network) != 0)
    {
      g_message ("Network is %s", network);
      pc_dbus_manager_set_network (self->manager, network);
    }

  if (g_strcmp0 (pc_dbus_manager_get_network_type (self->manager),
                 pc_prober_get_network_type (self->prober)) != 0)
    pc_dbus_manager_set_network_type (self->manager, pc_prober_get_network_type (self->prober));
}

static void
on_network_changed_cb (PcService       *self,
                       gboolean         available,
                       GNetworkMonitor *monitor)
{
  /* network-error at once; everything else is probed again. */
  pc_prober_set_network_available (self->prober, available);
  pc_service_update_network (self);
}

static void
on_prober_network_changed_cb (PcService *self,
                              PcProber  *prober)
{
  g_assert (PC_IS_SERVICE (self));
  g_assert (PC_IS_PROBER (prober));

  pc_service_update_network (self);
}

/* --- bus --- */

static void
on_bus_acquired_cb (GDBusConnection *connection,
                    const char      *name,
                    gpointer         user_data)
{
  PcService *self = user_data;
  g_autoptr(GError) error = NULL;

  self->connection = g_object_ref (connection);

  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->manager),
                                         connection, PC_OBJECT_PATH, &error))
    {
      g_critical ("Cannot export the Manager: %s", error->message);
      g_signal_emit (self, signals[QUIT], 0, 1);
      return;
    }

  if (self->testing_iface != NULL &&
      !g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->testing_iface),
                                         connection, PC_OBJECT_PATH, &error))
    {
      g_critical ("Cannot export the Testing interface: %s", error->message);
      g_signal_emit (self, signals[QUIT], 0, 1);
      return;
    }

  self->object_manager = g_dbus_object_manager_server_new (PC_OBJECT_PATH);
  pc_service_apply_profile (self);
  g_dbus_object_manager_server_set_connection (self->object_manager, connection);
}

static void
on_name_acquired_cb (GDBusConnection *connection,
                     const char      *name,
                     gpointer         user_data)
{
  PcService *self = user_data;

  self->name_acquired = TRUE;
  g_message ("portcullisd %s ready as %s on the %s bus", PACKAGE_VERSION, name,
             self->bus_type == G_BUS_TYPE_SYSTEM ? "system" : "session");
}

static void
on_name_lost_cb (GDBusConnection *connection,
                 const char      *name,
                 gpointer         user_data)
{
  PcService *self = user_data;

  if (connection == NULL)
    g_warning ("Cannot connect to the %s bus",
               self->bus_type == G_BUS_TYPE_SYSTEM ? "system" : "session");
  else if (!self->name_acquired)
    g_warning ("Cannot own %s: another portcullisd is already running", name);
  else
    g_warning ("Lost the bus name %s", name);

  g_signal_emit (self, signals[QUIT], 0, 1);
}

gboolean
pc_service_start (PcService  *self,
                  GError    **error)
{
  g_autofree char *log_dir = g_build_filename (self->state_dir, "logs", NULL);
  g_autofree char *state_path = g_build_filename (self->state_dir, "state.json", NULL);
  g_autoptr(GError) state_error = NULL;

  if (self->testing && self->bus_type == G_BUS_TYPE_SYSTEM)
    {
      g_set_error_literal (error, PC_ERROR, PC_ERROR_INVALID_ARGS,
                           "--testing is refused on the system bus");
      return FALSE;
    }

  if (g_mkdir_with_parents (self->state_dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot create the state folder %s: %s", self->state_dir, g_strerror (saved));
      return FALSE;
    }

  self->logbook = pc_logbook_new (log_dir);
  pc_logbook_install (self->logbook);

  self->state = pc_state_new (state_path);
  if (!pc_state_load (self->state, &state_error))
    g_warning ("%s", state_error->message);
  self->last_restart = pc_state_get_last_restart (self->state);
  if (!pc_logbook_set_level (self->logbook, pc_state_get_log_level (self->state), NULL))
    pc_state_set_log_level (self->state, "info");

  self->profile = pc_profile_new_from_file (self->profile_path, error);
  if (self->profile == NULL)
    return FALSE;

  if (!self->testing)
    {
      self->prober = pc_prober_new (self->modules, self->testing_override, self->sysroot, self->state_dir);
      pc_prober_set_profile (self->prober, self->profile);
    }

  self->manager = pc_dbus_manager_skeleton_new ();
  pc_dbus_manager_set_version (self->manager, PACKAGE_VERSION);
  pc_dbus_manager_set_network (self->manager, "online");
  pc_dbus_manager_set_network_type (self->manager, "off-trusted");
  pc_dbus_manager_set_log_level (self->manager, pc_logbook_get_level (self->logbook));
  pc_dbus_manager_set_user (self->manager, pc_state_get_user (self->state));

  g_signal_connect_object (self->manager, "g-authorize-method",
                           G_CALLBACK (on_authorize_method_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->manager, "handle-login",
                           G_CALLBACK (on_manager_handle_login_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->manager, "handle-logout",
                           G_CALLBACK (on_manager_handle_logout_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->manager, "handle-restart-service",
                           G_CALLBACK (on_manager_handle_restart_service_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->manager, "handle-repair-app",
                           G_CALLBACK (on_manager_handle_repair_app_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->manager, "handle-update-policy",
                           G_CALLBACK (on_manager_handle_update_policy_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->manager, "handle-export-logs",
                           G_CALLBACK (on_manager_handle_export_logs_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->manager, "handle-clear-logs",
                           G_CALLBACK (on_manager_handle_clear_logs_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->manager, "handle-set-log-level",
                           G_CALLBACK (on_manager_handle_set_log_level_cb), self, G_CONNECT_SWAPPED);

  if (self->testing)
    {
      self->testing_iface = pc_dbus_testing_skeleton_new ();
      g_signal_connect_object (self->testing_iface, "handle-set-error",
                               G_CALLBACK (on_testing_handle_set_error_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->testing_iface, "handle-clear-error",
                               G_CALLBACK (on_testing_handle_clear_error_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->testing_iface, "handle-set-network",
                               G_CALLBACK (on_testing_handle_set_network_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->testing_iface, "handle-set-module-property",
                               G_CALLBACK (on_testing_handle_set_module_property_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->testing_iface, "handle-set-authenticate-url",
                               G_CALLBACK (on_testing_handle_set_authenticate_url_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->testing_iface, "handle-get-calls",
                               G_CALLBACK (on_testing_handle_get_calls_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->testing_iface, "handle-reset-calls",
                               G_CALLBACK (on_testing_handle_reset_calls_cb), self, G_CONNECT_SWAPPED);
    }
  else
    {
      /* The real network only when tests are not steering it. */
      self->network_monitor = g_object_ref (g_network_monitor_get_default ());
      g_signal_connect_object (self->network_monitor, "network-changed",
                               G_CALLBACK (on_network_changed_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->prober, "network-changed",
                               G_CALLBACK (on_prober_network_changed_cb), self, G_CONNECT_SWAPPED);
      on_network_changed_cb (self, g_network_monitor_get_network_available (self->network_monitor),
                             self->network_monitor);
    }

  g_message ("Profile “%s” in force, from %s", pc_profile_get_name (self->profile), self->profile_path);

  self->owner_id = g_bus_own_name (self->bus_type, PC_BUS_NAME,
                                   G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                   on_bus_acquired_cb, on_name_acquired_cb, on_name_lost_cb,
                                   self, NULL);
  return TRUE;
}

static void
pc_service_dispose (GObject *object)
{
  PcService *self = PC_SERVICE (object);

  if (self->state != NULL)
    pc_state_flush (self->state);
  g_clear_handle_id (&self->owner_id, g_bus_unown_name);
  if (self->manager != NULL)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->manager));
  if (self->testing_iface != NULL)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->testing_iface));
  g_clear_object (&self->prober);
  for (guint i = 0; i < PC_N_MODULES; i++)
    g_clear_object (&self->modules[i]);
  g_clear_object (&self->object_manager);
  g_clear_object (&self->manager);
  g_clear_object (&self->testing_iface);
  g_clear_object (&self->network_monitor);
  g_clear_object (&self->connection);
  g_clear_object (&self->state);
  g_clear_object (&self->profile);
  g_clear_object (&self->logbook);

  G_OBJECT_CLASS (pc_service_parent_class)->dispose (object);
}

static void
pc_service_finalize (GObject *object)
{
  PcService *self = PC_SERVICE (object);

  g_clear_pointer (&self->profile_path, g_free);
  g_clear_pointer (&self->state_dir, g_free);
  g_clear_pointer (&self->sysroot, g_free);
  g_clear_pointer (&self->argv, g_strfreev);
  g_clear_pointer (&self->calls, g_ptr_array_unref);
  for (guint i = 0; i < PC_N_MODULES; i++)
    g_clear_pointer (&self->testing_auth_url[i], g_free);
  g_mutex_clear (&self->policy_lock);

  G_OBJECT_CLASS (pc_service_parent_class)->finalize (object);
}

static void
pc_service_class_init (PcServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pc_service_dispose;
  object_class->finalize = pc_service_finalize;

  /* The service cannot go on; the argument is the exit status. */
  signals[QUIT] =
    g_signal_new ("quit",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
pc_service_init (PcService *self)
{
  g_mutex_init (&self->policy_lock);
  self->calls = g_ptr_array_new_with_free_func (g_free);
}

PcService *
pc_service_new (const PcServiceOptions *options)
{
  PcService *self = g_object_new (PC_TYPE_SERVICE, NULL);

  self->bus_type = options->bus_type;
  self->profile_path = g_strdup (options->profile_path);
  self->state_dir = g_strdup (options->state_dir);
  self->sysroot = g_strdup (options->sysroot ? options->sysroot : "/");
  self->testing = options->testing;
  self->argv = g_strdupv (options->argv);

  return self;
}
