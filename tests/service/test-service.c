/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <crypt.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "pc-client.h"
#include "pc-error.h"
#include "pc-util.h"

/*
 * The real portcullisd on a private session bus (GTestDBus), driven
 * through the generated proxies and the client model every UI uses.
 */

#define SERVICE_PATH PC_BUILD_DIR "/app/service/portcullisd"

typedef struct
{
  GTestDBus      *bus;
  char           *dir;
  char           *profile;
  char           *state_dir;
  GSubprocess    *service;
  PcDbusManager  *manager;
  PcDbusTesting  *testing;
} Fixture;

static char *
make_hash (const char *password)
{
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  struct crypt_data data = { 0 };

  g_assert_nonnull (crypt_gensalt_rn ("$y$", 0, NULL, 0, salt, sizeof salt));
  return g_strdup (crypt_rn (password, salt, &data, sizeof data));
}

/* A port nothing listens on now, for the service's local proxy. */
static guint16
free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* Modules with nothing to probe (no edge, DX server, portal or DR URL),
 * so they are on once a user logs in: these tests are about the Manager
 * and Module methods; the probe suites test detection. */
static void
write_profile (Fixture    *fixture,
               const char *extra)
{
  g_autofree char *json = g_strdup_printf (
    "{\n"
    "  \"name\": \"Test Policy\",\n"
    "  \"support\": { \"contact\": \"Help Desk\", \"url\": \"https://help.example/\" },\n"
    "  \"probe_interval_s\": 3600,\n"
    "  \"internet_security\": { \"local_proxy\": \"127.0.0.1:%u\" },\n"
    "  \"private_access\": { },\n"
    "  \"digital_experience\": { }%s%s\n"
    "}\n", free_port (), extra ? ",\n  " : "", extra ? extra : "");

  g_assert_true (g_file_set_contents (fixture->profile, json, -1, NULL));
}

static void
wait_for (gboolean (*condition) (gpointer),
          gpointer   data,
          guint      timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out after %u ms", timeout_ms);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean
name_has_owner (gpointer data)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", PC_BUS_NAME), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

static gboolean
name_has_no_owner (gpointer data)
{
  return !name_has_owner (data);
}

static void
start_service (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  fixture->service = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error,
                                       SERVICE_PATH, "--session", "--testing",
                                       "--profile", fixture->profile,
                                       "--state-dir", fixture->state_dir,
                                       NULL);
  g_assert_no_error (error);
  wait_for (name_has_owner, NULL, 10000);

  fixture->manager = pc_dbus_manager_proxy_new_for_bus_sync (G_BUS_TYPE_SESSION,
                                                             G_DBUS_PROXY_FLAGS_NONE,
                                                             PC_BUS_NAME, PC_OBJECT_PATH,
                                                             NULL, &error);
  g_assert_no_error (error);
  fixture->testing = pc_dbus_testing_proxy_new_for_bus_sync (G_BUS_TYPE_SESSION,
                                                             G_DBUS_PROXY_FLAGS_NONE,
                                                             PC_BUS_NAME, PC_OBJECT_PATH,
                                                             NULL, &error);
  g_assert_no_error (error);
}

/* Stops the service with SIGTERM and checks it exits cleanly (under the
 * sanitizers, a report makes the exit status non-zero). */
static void
stop_service (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  if (fixture->service == NULL)
    return;

  g_clear_object (&fixture->manager);
  g_clear_object (&fixture->testing);
  g_subprocess_send_signal (fixture->service, SIGTERM);
  g_assert_true (g_subprocess_wait (fixture->service, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (fixture->service));
  g_assert_cmpint (g_subprocess_get_exit_status (fixture->service), ==, 0);
  g_clear_object (&fixture->service);
  wait_for (name_has_no_owner, NULL, 5000);
}

static void
kill_service (Fixture *fixture)
{
  g_clear_object (&fixture->manager);
  g_clear_object (&fixture->testing);
  g_subprocess_force_exit (fixture->service);
  g_subprocess_wait (fixture->service, NULL, NULL);
  g_clear_object (&fixture->service);
  wait_for (name_has_no_owner, NULL, 5000);
}

static PcDbusModule *
get_module (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_strconcat (PC_MODULE_PATH, name, NULL);
  PcDbusModule *module;

  module = pc_dbus_module_proxy_new_for_bus_sync (G_BUS_TYPE_SESSION, G_DBUS_PROXY_FLAGS_NONE,
                                                  PC_BUS_NAME, path, NULL, &error);
  g_assert_no_error (error);
  return module;
}

/* Reads a property straight from the service, not from a proxy cache. */
static char *
get_string_property (const char *path,
                     const char *iface,
                     const char *name)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_sync (bus, PC_BUS_NAME, path, "org.freedesktop.DBus.Properties",
                                       "Get", g_variant_new ("(ss)", iface, name),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return g_variant_dup_string (value, NULL);
}

static char *
module_property (const char *module,
                 const char *name)
{
  g_autofree char *path = g_strconcat (PC_MODULE_PATH, module, NULL);

  return get_string_property (path, "io.github.Portcullis1.Module", name);
}

#define assert_module_property(module, name, expected) G_STMT_START { \
    g_autofree char *_value = module_property (module, name);          \
    g_assert_cmpstr (_value, ==, expected);                           \
  } G_STMT_END

#define assert_user(expected) G_STMT_START {                                                 \
    g_autofree char *_user = get_string_property (PC_OBJECT_PATH, "io.github.Portcullis1.Manager", "User"); \
    g_assert_cmpstr (_user, ==, expected);                                                   \
  } G_STMT_END

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fixture->bus);

  fixture->dir = g_dir_make_tmp ("portcullis-service-XXXXXX", NULL);
  fixture->profile = g_build_filename (fixture->dir, "profile.json", NULL);
  fixture->state_dir = g_build_filename (fixture->dir, "state", NULL);
  write_profile (fixture, data);
  start_service (fixture);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);
        remove_tree (child);
      }
  g_remove (path);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  stop_service (fixture);
  g_test_dbus_down (fixture->bus);
  g_clear_object (&fixture->bus);
  remove_tree (fixture->dir);
  g_clear_pointer (&fixture->dir, g_free);
  g_clear_pointer (&fixture->profile, g_free);
  g_clear_pointer (&fixture->state_dir, g_free);
}

static void
assert_dbus_error (GError     *error,
                   PcError     code,
                   const char *message_part)
{
  g_autofree char *message = NULL;

  g_assert_error (error, PC_ERROR, code);
  message = pc_error_dup_message (error);
  if (strstr (message, message_part) == NULL)
    g_error ("“%s” does not say “%s”", message, message_part);
}

/* --- tests --- */

static void
test_manager_properties (Fixture       *fixture,
                         gconstpointer  data)
{
  GVariant *policy = pc_dbus_manager_get_policy (fixture->manager);
  gboolean flag;
  const char *contact;

  g_assert_cmpstr (pc_dbus_manager_get_version (fixture->manager), ==, PACKAGE_VERSION);
  g_assert_cmpstr (pc_dbus_manager_get_profile (fixture->manager), ==, "Test Policy");
  g_assert_cmpstr (pc_dbus_manager_get_user (fixture->manager), ==, "");
  g_assert_cmpstr (pc_dbus_manager_get_log_level (fixture->manager), ==, "info");
  g_assert_cmpstr (pc_dbus_manager_get_network_type (fixture->manager), ==, "off-trusted");

  g_assert_true (g_variant_lookup (policy, "restart-service", "b", &flag) && flag);
  g_assert_true (g_variant_lookup (policy, "repair-app", "b", &flag) && flag);
  g_assert_true (g_variant_lookup (policy, "export-logs", "b", &flag) && flag);
  g_assert_true (g_variant_lookup (policy, "logout-password", "b", &flag) && !flag);
  g_assert_true (g_variant_lookup (policy, "disable-password", "b", &flag) && !flag);
  g_assert_true (g_variant_lookup (policy, "fail-close", "b", &flag) && !flag);
  g_assert_true (g_variant_lookup (policy, "support-contact", "&s", &contact));
  g_assert_cmpstr (contact, ==, "Help Desk");

  /* Logged out: every module is off and asks for authentication. */
  assert_module_property ("internet_security", "Status", "off");
  assert_module_property ("private_access", "AuthStatus", "required");
  assert_module_property ("digital_experience", "Kind", "digital_experience");
}

static void
test_login_logout (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  g_assert_false (pc_dbus_manager_call_login_sync (fixture->manager, "", &url, NULL, &error));
  assert_dbus_error (error, PC_ERROR_INVALID_ARGS, "user name is required");
  g_clear_error (&error);

  g_assert_true (pc_dbus_manager_call_login_sync (fixture->manager, "alice", &url, NULL, &error));
  g_assert_no_error (error);
  assert_user ("alice");
  assert_module_property ("internet_security", "Status", "on");
  assert_module_property ("private_access", "AuthStatus", "authenticated");

  g_assert_true (pc_dbus_manager_call_logout_sync (fixture->manager, "", NULL, &error));
  g_assert_no_error (error);
  assert_user ("");
  assert_module_property ("internet_security", "Status", "off");
}

static void
test_logout_password (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  gboolean flag;

  g_assert_true (g_variant_lookup (pc_dbus_manager_get_policy (fixture->manager),
                                   "logout-password", "b", &flag) && flag);
  g_assert_true (pc_dbus_manager_call_login_sync (fixture->manager, "bob", &url, NULL, &error));

  g_assert_false (pc_dbus_manager_call_logout_sync (fixture->manager, "", NULL, &error));
  assert_dbus_error (error, PC_ERROR_PASSWORD_REQUIRED, "Logging out requires the password");
  g_clear_error (&error);
  assert_user ("bob");

  g_assert_false (pc_dbus_manager_call_logout_sync (fixture->manager, "Open Sesame", NULL, &error));
  assert_dbus_error (error, PC_ERROR_WRONG_PASSWORD, "The password is not correct");
  g_clear_error (&error);
  assert_user ("bob");

  g_assert_true (pc_dbus_manager_call_logout_sync (fixture->manager, "s3cret word", NULL, &error));
  g_assert_no_error (error);
  assert_user ("");
}

static void
test_set_enabled (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(PcDbusModule) module = get_module ("private_access");
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  pc_dbus_manager_call_login_sync (fixture->manager, "carol", &url, NULL, &error);
  g_assert_no_error (error);

  g_assert_false (pc_dbus_module_call_set_enabled_sync (module, FALSE, "", "travel", NULL, &error));
  assert_dbus_error (error, PC_ERROR_PASSWORD_REQUIRED, "Turning a module off requires");
  g_clear_error (&error);
  g_assert_false (pc_dbus_module_call_set_enabled_sync (module, FALSE, "nope", "travel", NULL, &error));
  assert_dbus_error (error, PC_ERROR_WRONG_PASSWORD, "not correct");
  g_clear_error (&error);
  assert_module_property ("private_access", "Status", "on");

  g_assert_true (pc_dbus_module_call_set_enabled_sync (module, FALSE, "off-switch", "travel", NULL, &error));
  g_assert_no_error (error);
  assert_module_property ("private_access", "Status", "disabled");

  /* Survives a restart of the process. */
  g_clear_object (&module);
  stop_service (fixture);
  start_service (fixture);
  assert_module_property ("private_access", "Status", "disabled");
  assert_module_property ("internet_security", "Status", "on");
  assert_user ("carol");

  /* Turning on needs no password. */
  module = get_module ("private_access");
  g_assert_true (pc_dbus_module_call_set_enabled_sync (module, TRUE, "", "", NULL, &error));
  g_assert_no_error (error);
  assert_module_property ("private_access", "Status", "on");
}

static void
test_policy_refusals (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) report = NULL;
  g_autoptr(GUnixFDList) fds = g_unix_fd_list_new ();
  int fd = g_open ("/dev/null", O_WRONLY, 0);

  g_assert_false (pc_dbus_manager_call_restart_service_sync (fixture->manager, NULL, &error));
  assert_dbus_error (error, PC_ERROR_NOT_ALLOWED,
                     "Restarting the service is not allowed by your organization's policy (Test Policy)");
  g_clear_error (&error);

  g_assert_false (pc_dbus_manager_call_repair_app_sync (fixture->manager, &report, NULL, &error));
  assert_dbus_error (error, PC_ERROR_NOT_ALLOWED, "Repairing the app is not allowed");
  g_clear_error (&error);

  g_unix_fd_list_append (fds, fd, NULL);
  close (fd);
  g_assert_false (pc_dbus_manager_call_export_logs_sync (fixture->manager, g_variant_new_handle (0),
                                                         fds, NULL, NULL, &error));
  assert_dbus_error (error, PC_ERROR_NOT_ALLOWED, "Exporting logs is not allowed");
  g_clear_error (&error);

  /* Still alive and serving. */
  assert_module_property ("internet_security", "Kind", "internet_security");
}

static void
on_available_notify_cb (PcClient   *client,
                        GParamSpec *pspec,
                        GString    *log)
{
  g_string_append (log, pc_client_get_available (client) ? "up " : "down ");
}

static gboolean
log_has_down_up (gpointer data)
{
  return strstr (((GString *) data)->str, "down up") != NULL;
}

static gboolean
client_is_available (gpointer data)
{
  return pc_client_get_available (data);
}

static void
test_restart_service (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(PcClient) client = pc_client_new (G_BUS_TYPE_SESSION);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  GPid before_pid;
  g_autoptr(GVariant) stats = NULL;

  wait_for (client_is_available, client, 5000);
  g_signal_connect (client, "notify::available", G_CALLBACK (on_available_notify_cb), log);
  g_assert_cmpuint (g_list_model_get_n_items (pc_client_get_modules (client)), ==, 3);

  pc_dbus_manager_call_login_sync (fixture->manager, "dave", &url, NULL, &error);
  g_assert_no_error (error);
  before_pid = atoi (g_subprocess_get_identifier (fixture->service));

  g_assert_true (pc_dbus_manager_call_restart_service_sync (fixture->manager, NULL, &error));
  g_assert_no_error (error);

  /* The client model sees the service go and come back by itself. */
  wait_for (log_has_down_up, log, 10000);
  g_assert_true (pc_client_get_available (client));
  g_assert_cmpuint (g_list_model_get_n_items (pc_client_get_modules (client)), ==, 3);
  g_assert_cmpstr (pc_dbus_manager_get_user (pc_client_get_manager (client)), ==, "dave");
  g_assert_cmpstr (pc_dbus_module_get_status (pc_client_get_module (client, PC_MODULE_INTERNET_SECURITY)),
                   ==, "on");

  /* Really a new program image in the same process: same pid, the bus sees a new connection. */
  g_assert_cmpint (atoi (g_subprocess_get_identifier (fixture->service)), ==, before_pid);

  /* And the rate limit holds across the restart. */
  g_clear_object (&fixture->manager);
  fixture->manager = pc_dbus_manager_proxy_new_for_bus_sync (G_BUS_TYPE_SESSION, G_DBUS_PROXY_FLAGS_NONE,
                                                             PC_BUS_NAME, PC_OBJECT_PATH, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (pc_dbus_manager_call_restart_service_sync (fixture->manager, NULL, &error));
  assert_dbus_error (error, PC_ERROR_RATE_LIMITED, "try again in");
}

static void
test_repair_app (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) report = NULL;
  g_autofree char *state_file = g_build_filename (fixture->state_dir, "state.json", NULL);
  g_autofree char *cache_dir = g_build_filename (fixture->state_dir, "cache", NULL);
  g_autofree char *cached = g_build_filename (cache_dir, "discovery.json", NULL);
  g_autofree char *url = NULL;
  g_autofree const char **fixed = NULL;
  guint32 permissions_fixed, cache_removed;
  gboolean probe_round;
  struct stat st;

  pc_dbus_manager_call_login_sync (fixture->manager, "erin", &url, NULL, &error);
  g_assert_no_error (error);
  /* Give the asynchronous state write a moment to land. */
  for (int i = 0; i < 200 && !g_file_test (state_file, G_FILE_TEST_EXISTS); i++)
    g_usleep (10000);

  /* Break what the service owns. */
  g_assert_cmpint (g_chmod (state_file, 0644), ==, 0);
  g_assert_cmpint (g_chmod (fixture->state_dir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (cache_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (cached, "{}", -1, NULL));

  g_assert_true (pc_dbus_manager_call_repair_app_sync (fixture->manager, &report, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (g_variant_lookup (report, "permissions-fixed", "u", &permissions_fixed));
  g_assert_cmpuint (permissions_fixed, ==, 2);
  g_assert_true (g_variant_lookup (report, "cache-files-removed", "u", &cache_removed));
  g_assert_cmpuint (cache_removed, ==, 1);
  g_assert_true (g_variant_lookup (report, "probe-round", "b", &probe_round) && probe_round);
  g_assert_true (g_variant_lookup (report, "fixed", "^a&s", &fixed));
  g_assert_cmpuint (g_strv_length ((char **) fixed), >=, 3);

  g_assert_cmpint (g_stat (state_file, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (fixture->state_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_false (g_file_test (cached, G_FILE_TEST_EXISTS));

  /* A damaged state file is rewritten from what the service holds. */
  g_assert_true (g_file_set_contents (state_file, "{\"user\": ", -1, NULL));
  g_clear_pointer (&report, g_variant_unref);
  g_assert_true (pc_dbus_manager_call_repair_app_sync (fixture->manager, &report, NULL, &error));
  g_assert_no_error (error);
  {
    g_autofree char *contents = NULL;
    g_assert_true (g_file_get_contents (state_file, &contents, NULL, NULL));
    g_assert_nonnull (strstr (contents, "\"user\":\"erin\""));
  }
}

static void
test_update_policy (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  g_autofree char *objects = NULL;

  /* A refused profile leaves the last good one in force. */
  g_assert_true (g_file_set_contents (fixture->profile, "{\"name\": \"Broken\", \"fail_close\": \"yes\"}",
                                      -1, NULL));
  g_assert_false (pc_dbus_manager_call_update_policy_sync (fixture->manager, NULL, &error));
  g_assert_error (error, PC_ERROR, PC_ERROR_FAILED);
  message = pc_error_dup_message (error);
  g_assert_nonnull (strstr (message, fixture->profile));
  g_assert_nonnull (strstr (message, "fail_close"));
  g_clear_error (&error);
  {
    g_autofree char *name = get_string_property (PC_OBJECT_PATH, "io.github.Portcullis1.Manager", "Profile");
    g_assert_cmpstr (name, ==, "Test Policy");
  }

  /* A good one takes effect, modules follow. */
  g_assert_true (g_file_set_contents (fixture->profile,
                                      "{\"name\": \"Narrow\", \"internet_security\": {},"
                                      " \"user_access\": {\"restart_service\": false}}",
                                      -1, NULL));
  g_assert_true (pc_dbus_manager_call_update_policy_sync (fixture->manager, NULL, &error));
  g_assert_no_error (error);
  {
    g_autofree char *name = get_string_property (PC_OBJECT_PATH, "io.github.Portcullis1.Manager", "Profile");
    g_assert_cmpstr (name, ==, "Narrow");
  }
  g_assert_false (pc_dbus_manager_call_restart_service_sync (fixture->manager, NULL, &error));
  assert_dbus_error (error, PC_ERROR_NOT_ALLOWED, "(Narrow)");
  g_clear_error (&error);

  {
    g_autoptr(GDBusObjectManager) manager = NULL;
    g_autoptr(GDBusObject) pa = NULL;
    g_autoptr(GDBusObject) is = NULL;

    manager = pc_dbus_object_manager_client_new_for_bus_sync (G_BUS_TYPE_SESSION,
                                                              G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
                                                              PC_BUS_NAME, PC_OBJECT_PATH, NULL, &error);
    g_assert_no_error (error);
    pa = g_dbus_object_manager_get_object (manager, PC_MODULE_PATH "private_access");
    is = g_dbus_object_manager_get_object (manager, PC_MODULE_PATH "internet_security");
    g_assert_null (pa);
    g_assert_nonnull (is);
  }
}

typedef struct
{
  char   *name;
  GBytes *contents;
} TarEntry;

static void
tar_entry_free (TarEntry *entry)
{
  g_free (entry->name);
  g_bytes_unref (entry->contents);
  g_free (entry);
}

static GPtrArray *
read_tar_gz (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GInputStream) raw = G_INPUT_STREAM (g_file_read (file, NULL, NULL));
  g_autoptr(GZlibDecompressor) decompressor = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  g_autoptr(GInputStream) in = g_converter_input_stream_new (raw, G_CONVERTER (decompressor));
  g_autoptr(GError) error = NULL;
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) tar_entry_free);

  for (;;)
    {
      char header[512];
      gsize got = 0;
      guint64 size;
      guint sum = 0, stored;
      TarEntry *entry;
      g_autofree char *data = NULL;

      g_assert_true (g_input_stream_read_all (in, header, sizeof header, &got, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (got, ==, sizeof header);
      if (header[0] == '\0')
        break;

      g_assert_cmpmem (header + 257, 5, "ustar", 5);
      stored = g_ascii_strtoull (header + 148, NULL, 8);
      memset (header + 148, ' ', 8);
      for (guint i = 0; i < sizeof header; i++)
        sum += (guchar) header[i];
      g_assert_cmpuint (sum, ==, stored);

      size = g_ascii_strtoull (header + 124, NULL, 8);
      data = g_malloc (size + 512);
      g_assert_true (g_input_stream_read_all (in, data, (size + 511) / 512 * 512, &got, NULL, &error));
      g_assert_no_error (error);

      entry = g_new0 (TarEntry, 1);
      entry->name = g_strndup (header, 100);
      entry->contents = g_bytes_new (data, size);
      g_ptr_array_add (entries, entry);
    }

  return entries;
}

static GBytes *
find_entry (GPtrArray  *entries,
            const char *name)
{
  for (guint i = 0; i < entries->len; i++)
    {
      TarEntry *entry = g_ptr_array_index (entries, i);
      if (g_str_equal (entry->name, name))
        return entry->contents;
    }
  g_error ("The bundle has no %s", name);
  return NULL;
}

static gboolean
bytes_contain (GBytes     *bytes,
               const char *needle)
{
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  return g_strstr_len (data, size, needle) != NULL;
}

static void
test_export_logs (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *bundle = g_build_filename (fixture->dir, "logs.tar.gz", NULL);
  g_autofree char *url = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *profile = NULL;
  GBytes *status;
  GBytes *log;
  GBytes *profile_entry;
  int fd;

  g_assert_true (g_file_get_contents (fixture->profile, &profile, NULL, NULL));
  hash = g_strdup (strstr (profile, "$y$"));
  g_assert_nonnull (hash);
  *strchr (hash, '"') = '\0';

  pc_dbus_manager_call_login_sync (fixture->manager, "frank", &url, NULL, &error);
  g_assert_no_error (error);
  pc_dbus_testing_call_set_error_sync (fixture->testing, "internet_security", "connection-error",
                                       "ECONNREFUSED", NULL, &error);
  g_assert_no_error (error);

  fd = g_open (bundle, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_unix_fd_list_append (fds, fd, &error);
  close (fd);
  pc_dbus_manager_call_export_logs_sync (fixture->manager, g_variant_new_handle (0),
                                         fds, NULL, NULL, &error);
  g_assert_no_error (error);

  entries = read_tar_gz (bundle);
  status = find_entry (entries, "portcullis/status.json");
  profile_entry = find_entry (entries, "portcullis/profile.json");
  log = find_entry (entries, "portcullis/logs/portcullisd.log");

  g_assert_true (bytes_contain (status, "\"user\":\"frank\""));
  g_assert_true (bytes_contain (status, "connection-error"));
  g_assert_true (bytes_contain (status, "ECONNREFUSED"));
  g_assert_true (bytes_contain (profile_entry, "Test Policy"));
  g_assert_true (bytes_contain (profile_entry, "(redacted)"));
  g_assert_true (bytes_contain (log, "User frank logged in"));

  /* No secret anywhere in the bundle. */
  for (guint i = 0; i < entries->len; i++)
    {
      TarEntry *entry = g_ptr_array_index (entries, i);
      g_assert_false (bytes_contain (entry->contents, hash));
      g_assert_false (bytes_contain (entry->contents, "off-switch"));
    }
}

static void
test_clear_logs_and_level (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *log_path = g_build_filename (fixture->state_dir, "logs", "portcullisd.log", NULL);
  g_autofree char *rotated = g_build_filename (fixture->state_dir, "logs", "portcullisd.log.1", NULL);
  g_autofree char *url = NULL;
  g_autofree char *contents = NULL;
  struct stat st;

  g_assert_true (g_file_set_contents (rotated, "old lines\n", -1, NULL));
  pc_dbus_manager_call_login_sync (fixture->manager, "gina", &url, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (log_path, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, 0);

  g_assert_true (pc_dbus_manager_call_clear_logs_sync (fixture->manager, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (rotated, G_FILE_TEST_EXISTS));
  /* Only the record of the clearing itself is left. */
  g_assert_true (g_file_get_contents (log_path, &contents, NULL, NULL));
  g_assert_null (strstr (contents, "gina logged in"));
  g_assert_nonnull (strstr (contents, "Logs cleared"));
  g_assert_cmpuint (strlen (contents), <, 100);
  g_clear_pointer (&contents, g_free);

  g_assert_false (pc_dbus_manager_call_set_log_level_sync (fixture->manager, "verbose", NULL, &error));
  assert_dbus_error (error, PC_ERROR_INVALID_ARGS, "“verbose” is not a log level");
  g_clear_error (&error);

  /* At "error", an info event is not logged; at "debug" it is. */
  g_assert_true (pc_dbus_manager_call_set_log_level_sync (fixture->manager, "error", NULL, &error));
  g_assert_no_error (error);
  {
    g_autofree char *level = get_string_property (PC_OBJECT_PATH, "io.github.Portcullis1.Manager", "LogLevel");
    g_assert_cmpstr (level, ==, "error");
  }
  pc_dbus_manager_call_logout_sync (fixture->manager, "", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (log_path, &contents, NULL, NULL));
  g_assert_null (strstr (contents, "gina logged out"));

  g_assert_true (pc_dbus_manager_call_set_log_level_sync (fixture->manager, "debug", NULL, &error));
  g_clear_pointer (&url, g_free);
  pc_dbus_manager_call_login_sync (fixture->manager, "gina", &url, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (log_path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "User gina logged in"));

  /* The level is kept across a restart. */
  stop_service (fixture);
  start_service (fixture);
  g_assert_cmpstr (pc_dbus_manager_get_log_level (fixture->manager), ==, "debug");
}

static void
test_testing_interface (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(PcDbusModule) module = get_module ("internet_security");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) calls = NULL;
  g_autofree char *url = NULL;

  pc_dbus_manager_call_login_sync (fixture->manager, "hank", &url, NULL, &error);
  g_assert_no_error (error);

  g_assert_false (pc_dbus_testing_call_set_error_sync (fixture->testing, "vpn", "network-error", "",
                                                       NULL, &error));
  assert_dbus_error (error, PC_ERROR_INVALID_ARGS, "There is no module “vpn”");
  g_clear_error (&error);

  pc_dbus_testing_call_set_error_sync (fixture->testing, "internet_security", "captive-portal-detected",
                                       "", NULL, &error);
  g_assert_no_error (error);
  assert_module_property ("internet_security", "Status", "error");
  assert_module_property ("internet_security", "Error", "captive-portal-detected");
  assert_module_property ("internet_security", "FailMode", "fail-open");

  pc_dbus_testing_call_set_error_sync (fixture->testing, "internet_security", "fail-close",
                                       "Driver Error", NULL, &error);
  g_assert_no_error (error);
  assert_module_property ("internet_security", "ErrorDetail", "Driver Error");
  assert_module_property ("internet_security", "FailMode", "fail-close");

  pc_dbus_testing_call_set_error_sync (fixture->testing, "private_access", "authenticating", "",
                                       NULL, &error);
  g_assert_no_error (error);
  assert_module_property ("private_access", "Status", "connecting");
  assert_module_property ("private_access", "AuthStatus", "authenticating");

  /* Retry keeps a testing override: the tests decide the state. */
  g_assert_true (pc_dbus_module_call_retry_sync (module, NULL, &error));
  assert_module_property ("internet_security", "Error", "fail-close");

  pc_dbus_testing_call_clear_error_sync (fixture->testing, "internet_security", NULL, &error);
  g_assert_no_error (error);
  assert_module_property ("internet_security", "Status", "on");
  assert_module_property ("internet_security", "Error", "");
  assert_module_property ("internet_security", "FailMode", "");

  pc_dbus_testing_call_set_module_property_sync (fixture->testing, "internet_security", "PortalUrl",
                                                 g_variant_new_variant (g_variant_new_string ("http://portal.test/")),
                                                 NULL, &error);
  g_assert_no_error (error);
  assert_module_property ("internet_security", "PortalUrl", "http://portal.test/");
  g_assert_false (pc_dbus_testing_call_set_module_property_sync (fixture->testing, "internet_security",
                                                                 "PortalUrl",
                                                                 g_variant_new_variant (g_variant_new_uint32 (1)),
                                                                 NULL, &error));
  assert_dbus_error (error, PC_ERROR_INVALID_ARGS, "not a settable module property");
  g_clear_error (&error);

  g_assert_false (pc_dbus_testing_call_set_network_sync (fixture->testing, "flaky", NULL, &error));
  assert_dbus_error (error, PC_ERROR_INVALID_ARGS, "not a network state");
  g_clear_error (&error);
  pc_dbus_testing_call_set_network_sync (fixture->testing, "captive-portal", NULL, &error);
  g_assert_no_error (error);
  {
    g_autofree char *network = get_string_property (PC_OBJECT_PATH, "io.github.Portcullis1.Manager", "Network");
    g_assert_cmpstr (network, ==, "captive-portal");
  }

  /* A stand-in for the identity provider's verification page. */
  {
    g_autoptr(PcDbusModule) pa = get_module ("private_access");
    g_autofree char *auth_url = NULL;

    pc_dbus_testing_call_set_authenticate_url_sync (fixture->testing, "private_access",
                                                    "https://idp.test/device?user_code=ABCD",
                                                    NULL, &error);
    g_assert_no_error (error);
    g_assert_true (pc_dbus_module_call_authenticate_sync (pa, &auth_url, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (auth_url, ==, "https://idp.test/device?user_code=ABCD");
  }

  g_assert_true (pc_dbus_testing_call_get_calls_sync (fixture->testing, &calls, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_strv_contains ((const char * const *) calls, "Manager.Login"));
  g_assert_true (g_strv_contains ((const char * const *) calls, "private_access.Authenticate"));
  g_assert_true (g_strv_contains ((const char * const *) calls, "internet_security.Retry"));
  g_clear_pointer (&calls, g_strfreev);

  pc_dbus_testing_call_reset_calls_sync (fixture->testing, NULL, &error);
  g_assert_true (pc_dbus_testing_call_get_calls_sync (fixture->testing, &calls, NULL, &error));
  g_assert_cmpuint (g_strv_length (calls), ==, 0);
}

/* Kills the service at random moments after a change: every time, the
 * file on disk is complete and holds the change the service replied to. */
static void
test_state_survives_sigkill (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *state_file = g_build_filename (fixture->state_dir, "state.json", NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);

  for (int round = 0; round < 15; round++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *url = NULL;
      g_autofree char *user = g_strdup_printf ("user%d", round);

      pc_dbus_manager_call_login_sync (fixture->manager, user, &url, NULL, &error);
      g_assert_no_error (error);
      g_usleep (g_rand_int_range (rand, 0, 3000));
      kill_service (fixture);

      start_service (fixture);
      {
        g_autofree char *now = get_string_property (PC_OBJECT_PATH, "io.github.Portcullis1.Manager", "User");

        /* Login replied, so the change was on disk: it must be there. */
        g_assert_cmpstr (now, ==, user);
        g_autofree char *corrupt = g_strconcat (state_file, ".corrupt", NULL);

        g_assert_false (g_file_test (corrupt, G_FILE_TEST_EXISTS));
      }
    }
}

static void
test_second_instance (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state2 = g_build_filename (fixture->dir, "state2", NULL);
  g_autoptr(GSubprocess) second = NULL;
  g_autoptr(GBytes) err = NULL;

  second = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                             SERVICE_PATH, "--session", "--profile", fixture->profile,
                             "--state-dir", state2, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate (second, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (second), ==, 1);
  g_assert_true (bytes_contain (err, "another portcullisd is already running"));
}

static void
run_expecting_failure (const char * const *argv,
                       int                 status,
                       const char         *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GBytes) err = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_communicate (process, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, status);
  if (!bytes_contain (err, message))
    g_error ("stderr “%.*s” does not say “%s”", (int) g_bytes_get_size (err),
             (char *) g_bytes_get_data (err, NULL), message);
}

static void
test_refusals_at_start (void)
{
  g_autofree char *dir = g_dir_make_tmp ("portcullis-start-XXXXXX", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.json", NULL);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  const char *testing_system[] = { SERVICE_PATH, "--system", "--testing", "--profile", bad,
                                   "--state-dir", state, NULL };
  const char *bad_profile[] = { SERVICE_PATH, "--session", "--profile", bad, "--state-dir", state, NULL };
  const char *both[] = { SERVICE_PATH, "--session", "--system", NULL };

  g_assert_true (g_file_set_contents (bad, "{\"name\": 7}", -1, NULL));
  run_expecting_failure (testing_system, 1, "--testing is refused on the system bus");
  run_expecting_failure (bad_profile, 1, bad);
  run_expecting_failure (bad_profile, 1, "“name”");
  run_expecting_failure (both, 2, "exclude each other");
  remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *logout_hash = make_hash ("s3cret word");
  g_autofree char *disable_hash = make_hash ("off-switch");
  g_autofree char *password_profile = g_strdup_printf ("\"user_access\": {\"logout_password_hash\": \"%s\", "
                                                       "\"disable_password_hash\": \"%s\"}",
                                                       logout_hash, disable_hash);
  const char *locked_profile = "\"user_access\": {\"restart_service\": false, \"repair_app\": false, "
                               "\"export_logs\": false}";

  g_test_init (&argc, &argv, NULL);
  (void) pc_error_quark ();

#define ADD(path, func, profile) \
  g_test_add (path, Fixture, profile, fixture_setup, func, fixture_teardown)

  ADD ("/service/manager/properties", test_manager_properties, NULL);
  ADD ("/service/manager/login-logout", test_login_logout, NULL);
  ADD ("/service/manager/logout-password", test_logout_password, password_profile);
  ADD ("/service/module/set-enabled", test_set_enabled, password_profile);
  ADD ("/service/policy/refusals", test_policy_refusals, locked_profile);
  ADD ("/service/manager/restart-service", test_restart_service, NULL);
  ADD ("/service/manager/repair-app", test_repair_app, NULL);
  ADD ("/service/manager/update-policy", test_update_policy, NULL);
  ADD ("/service/manager/export-logs", test_export_logs, password_profile);
  ADD ("/service/manager/clear-logs-and-level", test_clear_logs_and_level, NULL);
  ADD ("/service/testing", test_testing_interface, NULL);
  ADD ("/service/state/sigkill", test_state_survives_sigkill, NULL);
  ADD ("/service/second-instance", test_second_instance, NULL);
  g_test_add_func ("/service/refusals-at-start", test_refusals_at_start);

  return g_test_run ();
}
