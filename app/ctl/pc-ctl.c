/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "portcullisctl"

#include "config.h"

#include "pc-ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "pc-catalog.h"
#include "pc-ctl-format.h"
#include "pc-ctl-watch.h"
#include "pc-dbus-generated.h"
#include "pc-error.h"
#include "pc-util.h"

/*
 * portcullisctl: one-shot commands use synchronous calls (a CLI has no
 * main loop to keep responsive); `watch` and the wait after
 * `restart-service` run a GMainLoop. Nothing here starts the service by
 * D-Bus activation: a CLI that says "not running" must not start it.
 */

#define RESTART_WAIT_SECONDS 30

typedef struct _PcCtlCommand PcCtlCommand;

typedef struct
{
  const PcCtlCommand  *command;
  GBusType             bus_type;
  PcModuleKind         module_kind;
  char               **args;

  GDBusConnection     *connection;
  GDBusObjectManager  *object_manager;
  PcDbusManager       *manager;
} PcCtl;

struct _PcCtlCommand
{
  const char          *name;
  const char          *parameters;   /* shown after the name in "Usage:" */
  guint                min_args;
  guint                max_args;
  gboolean             takes_module; /* the first argument is a module name */
  gboolean             json;         /* --json applies */
  gboolean             needs_service;
  const GOptionEntry  *entries;
  const char          *summary;      /* N_() */
  int                (*run)          (PcCtl *ctl);
};

static void
pc_ctl_clear (PcCtl *ctl)
{
  g_clear_object (&ctl->manager);
  g_clear_object (&ctl->object_manager);
  g_clear_object (&ctl->connection);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PcCtl, pc_ctl_clear)

/* Passwords are wiped before their memory is released. */
typedef char PcCtlSecret;

static void
pc_ctl_secret_free (PcCtlSecret *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcCtlSecret, pc_ctl_secret_free)

/* Options, reset for each run. */
static gboolean opt_session;
static gboolean opt_system;
static gboolean opt_json;
static gboolean opt_version;
static gboolean opt_force;
static gboolean opt_password_stdin;
static gboolean opt_no_wait;
static char *opt_reason;
static int opt_count;
static int opt_timeout;

static void
reset_options (void)
{
  opt_session = opt_system = opt_json = opt_version = FALSE;
  opt_force = opt_password_stdin = opt_no_wait = FALSE;
  g_clear_pointer (&opt_reason, g_free);
  opt_count = 0;
  opt_timeout = 0;
}

static const GOptionEntry global_entries[] = {
  { "session", 0, 0, G_OPTION_ARG_NONE, &opt_session,
    N_("Talk to the service on the session bus (development, tests)"), NULL },
  { "system", 0, 0, G_OPTION_ARG_NONE, &opt_system,
    N_("Talk to the service on the system bus (the default unless PORTCULLIS_BUS=session)"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version,
    N_("Print the version of portcullisctl and exit"), NULL },
  { NULL }
};

static const GOptionEntry json_entries[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json,
    N_("Print JSON for programs instead of text"), NULL },
  { NULL }
};

static const GOptionEntry watch_entries[] = {
  { "count", 0, 0, G_OPTION_ARG_INT, &opt_count,
    N_("Stop after COUNT property changes"), N_("COUNT") },
  { "timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout,
    N_("Stop after SECONDS; with --count, exit 4 if fewer changes came"), N_("SECONDS") },
  { NULL }
};

static const GOptionEntry password_entries[] = {
  { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &opt_password_stdin,
    N_("Read the password from the first line of standard input"), NULL },
  { NULL }
};

static const GOptionEntry disable_entries[] = {
  { "reason", 0, 0, G_OPTION_ARG_STRING, &opt_reason,
    N_("Why the module is turned off (kept in the service's log)"), N_("TEXT") },
  { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &opt_password_stdin,
    N_("Read the password from the first line of standard input"), NULL },
  { NULL }
};

static const GOptionEntry export_entries[] = {
  { "force", 'f', 0, G_OPTION_ARG_NONE, &opt_force,
    N_("Replace FILE if it exists"), NULL },
  { NULL }
};

static const GOptionEntry restart_entries[] = {
  { "no-wait", 0, 0, G_OPTION_ARG_NONE, &opt_no_wait,
    N_("Return once the service accepted, without waiting for it to come back"), NULL },
  { NULL }
};

static const char *
bus_type_to_string (GBusType bus_type)
{
  return bus_type == G_BUS_TYPE_SESSION ? "session" : "system";
}

void
pc_ctl_print_not_running (GBusType bus_type)
{
  if (bus_type == G_BUS_TYPE_SESSION)
    g_printerr (_("portcullisctl: the Portcullis service is not running (%s is not on the session bus)\n"),
                PC_BUS_NAME);
  else
    g_printerr (_("portcullisctl: the Portcullis service is not running (%s is not on the system bus)\n"),
                PC_BUS_NAME);
}

static void
print_json (json_object *object)
{
  g_print ("%s\n", json_object_to_json_string_ext (object,
                                                   JSON_C_TO_STRING_PRETTY |
                                                   JSON_C_TO_STRING_SPACED |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
}

static gboolean
is_not_running_error (const GError *error)
{
  return g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER);
}

/* The human message of a D-Bus error, prefixed by the command. */
static int
report_error (PcCtl        *ctl,
              const GError *error)
{
  g_autofree char *message = NULL;

  if (is_not_running_error (error))
    {
      pc_ctl_print_not_running (ctl->bus_type);
      return PC_CTL_EXIT_NO_SERVICE;
    }

  message = pc_error_dup_message (error);
  g_printerr ("portcullisctl %s: %s\n", ctl->command->name, message);
  return PC_CTL_EXIT_FAILED;
}

static int
report_local_error (PcCtl      *ctl,
                    const char *message)
{
  g_printerr ("portcullisctl %s: %s\n", ctl->command->name, message);
  return PC_CTL_EXIT_FAILED;
}

/* A proxy loads the properties it finds; a Manager without a Version is
 * not there at all. */
static gboolean
pc_ctl_manager_is_exported (PcDbusManager *manager)
{
  g_autoptr(GVariant) version = g_dbus_proxy_get_cached_property (G_DBUS_PROXY (manager), "Version");

  return version != NULL;
}

static int
pc_ctl_connect (PcCtl *ctl)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  ctl->connection = g_bus_get_sync (ctl->bus_type, NULL, &error);
  if (ctl->connection == NULL)
    {
      g_printerr (_("portcullisctl: cannot reach the %s bus: %s\n"),
                  bus_type_to_string (ctl->bus_type), error->message);
      return PC_CTL_EXIT_NO_SERVICE;
    }
  /* Report a lost bus as an error instead of being killed by SIGTERM. */
  g_dbus_connection_set_exit_on_close (ctl->connection, FALSE);

  /* Asked first, so a missing service is one clear line and never
   * activated. */
  reply = g_dbus_connection_call_sync (ctl->connection,
                                       "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus",
                                       "NameHasOwner",
                                       g_variant_new ("(s)", PC_BUS_NAME),
                                       G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE,
                                       5000, NULL, &error);
  if (reply == NULL)
    {
      g_printerr (_("portcullisctl: cannot ask the %s bus about %s: %s\n"),
                  bus_type_to_string (ctl->bus_type), PC_BUS_NAME, error->message);
      return PC_CTL_EXIT_NO_SERVICE;
    }

  g_variant_get (reply, "(b)", &has_owner);
  if (!has_owner)
    {
      pc_ctl_print_not_running (ctl->bus_type);
      return PC_CTL_EXIT_NO_SERVICE;
    }

  ctl->object_manager =
    pc_dbus_object_manager_client_new_sync (ctl->connection,
                                            G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
                                            PC_BUS_NAME, PC_OBJECT_PATH,
                                            NULL, &error);
  if (ctl->object_manager == NULL)
    return report_error (ctl, error);

  /* The Manager lives at the ObjectManager's own path, which
   * GetManagedObjects never lists: it gets its own proxy. */
  ctl->manager = pc_dbus_manager_proxy_new_sync (ctl->connection,
                                                 G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
                                                 PC_BUS_NAME, PC_OBJECT_PATH,
                                                 NULL, &error);
  if (ctl->manager == NULL)
    return report_error (ctl, error);

  if (!pc_ctl_manager_is_exported (ctl->manager))
    {
      g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (ctl->manager));

      /* It went away between the two questions. */
      if (owner == NULL)
        {
          pc_ctl_print_not_running (ctl->bus_type);
          return PC_CTL_EXIT_NO_SERVICE;
        }

      return report_local_error (ctl, _("the program owning io.github.Portcullis1 does not export the Portcullis Manager"));
    }

  return PC_CTL_EXIT_OK;
}

static PcDbusModule *
pc_ctl_dup_module (PcCtl *ctl)
{
  g_autofree char *path = g_strconcat (PC_MODULE_PATH,
                                       pc_module_kind_to_string (ctl->module_kind),
                                       NULL);
  g_autoptr(GDBusObject) object = g_dbus_object_manager_get_object (ctl->object_manager, path);

  if (object == NULL)
    return NULL;

  return pc_dbus_object_get_module (PC_DBUS_OBJECT (object));
}

static int
report_module_missing (PcCtl *ctl)
{
  g_autofree char *message =
    /* Translators: %s is a module title such as "Private Access" */
    g_strdup_printf (_("%s is not part of this profile"),
                     pc_module_kind_get_title (ctl->module_kind));

  return report_local_error (ctl, message);
}

static int
compare_module_snapshots (gconstpointer a,
                          gconstpointer b)
{
  GVariant *first = *(GVariant **) a;
  GVariant *second = *(GVariant **) b;
  const char *first_kind = "";
  const char *second_kind = "";
  PcModuleKind first_enum = PC_N_MODULES;
  PcModuleKind second_enum = PC_N_MODULES;

  g_variant_lookup (first, "Kind", "&s", &first_kind);
  g_variant_lookup (second, "Kind", "&s", &second_kind);
  pc_module_kind_from_string (first_kind, &first_enum);
  pc_module_kind_from_string (second_kind, &second_enum);

  /* Display order; kinds from a newer service last, by name. */
  if (first_enum != second_enum)
    return (int) first_enum - (int) second_enum;
  return g_strcmp0 (first_kind, second_kind);
}

static GPtrArray *
pc_ctl_dup_module_snapshots (PcCtl *ctl)
{
  g_autoptr(GPtrArray) snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  GList *objects = g_dbus_object_manager_get_objects (ctl->object_manager);

  for (GList *l = objects; l != NULL; l = l->next)
    {
      g_autoptr(PcDbusModule) module = pc_dbus_object_get_module (PC_DBUS_OBJECT (l->data));

      if (module != NULL)
        g_ptr_array_add (snapshots, pc_ctl_proxy_dup_properties (G_DBUS_PROXY (module)));
    }
  g_list_free_full (objects, g_object_unref);

  g_ptr_array_sort (snapshots, compare_module_snapshots);
  return g_steal_pointer (&snapshots);
}

/* Commands */

static int
cmd_status (PcCtl *ctl)
{
  g_autoptr(GVariant) manager = pc_ctl_proxy_dup_properties (G_DBUS_PROXY (ctl->manager));
  g_autoptr(GPtrArray) modules = pc_ctl_dup_module_snapshots (ctl);

  if (opt_json)
    {
      g_autoptr(json_object) root =
        pc_ctl_status_to_json (manager, modules, bus_type_to_string (ctl->bus_type));
      print_json (root);
    }
  else
    {
      g_autofree char *text =
        pc_ctl_format_status (manager, modules, bus_type_to_string (ctl->bus_type));
      g_print ("%s", text);
    }

  return PC_CTL_EXIT_OK;
}

static int
cmd_watch (PcCtl *ctl)
{
  if (opt_count < 0 || opt_timeout < 0)
    {
      g_printerr (_("portcullisctl watch: --count and --timeout take a number of 0 or more\n"));
      return PC_CTL_EXIT_USAGE;
    }

  return pc_ctl_watch_run (ctl->bus_type, opt_json, opt_count, opt_timeout);
}

static void
print_url_result (const char *url,
                  const char *what_for,
                  const char *nothing_to_do)
{
  if (opt_json)
    {
      g_autoptr(json_object) root = json_object_new_object ();

      json_object_object_add (root, "url", json_object_new_string (url));
      print_json (root);
      return;
    }

  if (*url == '\0')
    {
      g_print ("%s\n", nothing_to_do);
      return;
    }

  g_print ("%s\n  %s\n", what_for, url);
  if (!pc_uri_is_web (url))
    g_printerr (_("portcullisctl: warning: the service gave an address that is not a web (http/https) address\n"));
}

static int
cmd_retry (PcCtl *ctl)
{
  g_autoptr(PcDbusModule) module = pc_ctl_dup_module (ctl);
  g_autoptr(GError) error = NULL;

  if (module == NULL)
    return report_module_missing (ctl);

  if (!pc_dbus_module_call_retry_sync (module, NULL, &error))
    return report_error (ctl, error);

  /* Translators: %s is a module title */
  g_print (_("%s: retrying.\n"), pc_module_kind_get_title (ctl->module_kind));
  return PC_CTL_EXIT_OK;
}

static int
cmd_authenticate (PcCtl *ctl)
{
  g_autoptr(PcDbusModule) module = pc_ctl_dup_module (ctl);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  if (module == NULL)
    return report_module_missing (ctl);

  if (!pc_dbus_module_call_authenticate_sync (module, &url, NULL, &error))
    return report_error (ctl, error);

  print_url_result (url,
                    _("To authenticate, open this address in a web browser:"),
                    _("Authentication started; no browser step is needed."));
  return PC_CTL_EXIT_OK;
}

static int
cmd_login (PcCtl *ctl)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  if (!pc_dbus_manager_call_login_sync (ctl->manager, ctl->args[0], &url, NULL, &error))
    return report_error (ctl, error);

  print_url_result (url,
                    _("To finish logging in, open this address in a web browser:"),
                    _("Logging in; no browser step is needed."));
  return PC_CTL_EXIT_OK;
}

/* The first line of standard input, without its line break. */
static PcCtlSecret *
read_password_stdin (GError **error)
{
  g_autoptr(GString) line = g_string_new (NULL);
  int c;

  while ((c = getchar ()) != EOF && c != '\n')
    g_string_append_c (line, (char) c);

  if (ferror (stdin))
    {
      int saved_errno = errno;

      explicit_bzero (line->str, line->len);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("cannot read the password from standard input: %s"),
                   g_strerror (saved_errno));
      return NULL;
    }

  if (line->len > 0 && line->str[line->len - 1] == '\r')
    g_string_truncate (line, line->len - 1);

  return g_string_free (g_steal_pointer (&line), FALSE);
}

/* Asks on the terminal without echo; NULL when standard input is not one. */
static PcCtlSecret *
prompt_password (const char *prompt)
{
  struct termios saved;
  struct termios quiet;
  g_autoptr(PcCtlSecret) password = NULL;
  gboolean restore;

  if (!isatty (STDIN_FILENO))
    return NULL;

  /* Echo goes off before the prompt shows, so nothing typed after it
   * can appear on the screen. */
  restore = tcgetattr (STDIN_FILENO, &saved) == 0;
  if (restore)
    {
      quiet = saved;
      quiet.c_lflag &= ~ECHO;
      quiet.c_lflag |= ECHONL;
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
    }

  g_printerr ("%s", prompt);
  fflush (stderr);

  password = read_password_stdin (NULL);

  if (restore)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
  else
    g_printerr ("\n");

  return g_steal_pointer (&password);
}

typedef gboolean (*PasswordCall) (PcCtl       *ctl,
                                  const char  *password,
                                  GError     **error);

/* Calls without a password first unless --password-stdin gave one; when
 * the service answers PasswordRequired, asks on the terminal and tries
 * once more. */
static int
call_with_password (PcCtl        *ctl,
                    PasswordCall  call,
                    const char   *prompt)
{
  g_autoptr(PcCtlSecret) password = NULL;
  g_autoptr(GError) error = NULL;

  if (opt_password_stdin)
    {
      password = read_password_stdin (&error);
      if (password == NULL)
        return report_local_error (ctl, error->message);
    }
  else
    password = g_strdup ("");

  if (call (ctl, password, &error))
    return PC_CTL_EXIT_OK;

  if (!opt_password_stdin &&
      g_error_matches (error, PC_ERROR, PC_ERROR_PASSWORD_REQUIRED))
    {
      g_clear_pointer (&password, pc_ctl_secret_free);
      password = prompt_password (prompt);
      if (password == NULL)
        {
          g_autofree char *message = pc_error_dup_message (error);
          g_autofree char *hint =
            /* Translators: %s is the service's message, such as "A password is required" */
            g_strdup_printf (_("%s (give it with --password-stdin)"), message);

          return report_local_error (ctl, hint);
        }

      g_clear_error (&error);
      if (call (ctl, password, &error))
        return PC_CTL_EXIT_OK;
    }

  return report_error (ctl, error);
}

static gboolean
logout_call (PcCtl       *ctl,
             const char  *password,
             GError     **error)
{
  return pc_dbus_manager_call_logout_sync (ctl->manager, password, NULL, error);
}

static int
cmd_logout (PcCtl *ctl)
{
  int status = call_with_password (ctl, logout_call, _("Password to log out: "));

  if (status == PC_CTL_EXIT_OK)
    g_print (_("Logged out.\n"));
  return status;
}

static gboolean
disable_call (PcCtl       *ctl,
              const char  *password,
              GError     **error)
{
  g_autoptr(PcDbusModule) module = pc_ctl_dup_module (ctl);

  g_assert (module != NULL);
  return pc_dbus_module_call_set_enabled_sync (module, FALSE, password,
                                               opt_reason != NULL ? opt_reason : "",
                                               NULL, error);
}

static int
cmd_disable (PcCtl *ctl)
{
  g_autoptr(PcDbusModule) module = pc_ctl_dup_module (ctl);
  int status;

  if (module == NULL)
    return report_module_missing (ctl);

  status = call_with_password (ctl, disable_call, _("Password to turn the module off: "));
  if (status == PC_CTL_EXIT_OK)
    /* Translators: %s is a module title */
    g_print (_("%s is turned off.\n"), pc_module_kind_get_title (ctl->module_kind));
  return status;
}

static int
cmd_enable (PcCtl *ctl)
{
  g_autoptr(PcDbusModule) module = pc_ctl_dup_module (ctl);
  g_autoptr(GError) error = NULL;

  if (module == NULL)
    return report_module_missing (ctl);

  if (!pc_dbus_module_call_set_enabled_sync (module, TRUE, "", "", NULL, &error))
    return report_error (ctl, error);

  /* Translators: %s is a module title */
  g_print (_("%s is turned on.\n"), pc_module_kind_get_title (ctl->module_kind));
  return PC_CTL_EXIT_OK;
}

typedef struct
{
  GMainLoop  *loop;
  const char *old_owner;
  gboolean    vanished;
  gboolean    back;
} RestartWait;

static void
on_restart_name_appeared_cb (GDBusConnection *connection,
                             const char      *name,
                             const char      *name_owner,
                             gpointer         user_data)
{
  RestartWait *wait = user_data;

  /* The watch first reports the old process, still on the bus. */
  if (g_strcmp0 (name_owner, wait->old_owner) == 0)
    return;

  wait->back = TRUE;
  g_main_loop_quit (wait->loop);
}

static void
on_restart_name_vanished_cb (GDBusConnection *connection,
                             const char      *name,
                             gpointer         user_data)
{
  RestartWait *wait = user_data;

  wait->vanished = TRUE;
}

static gboolean
on_restart_timeout_cb (gpointer user_data)
{
  RestartWait *wait = user_data;

  g_main_loop_quit (wait->loop);
  return G_SOURCE_REMOVE;
}

static int
cmd_restart_service (PcCtl *ctl)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *old_owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (ctl->manager));
  RestartWait wait = { 0 };
  guint watch_id;
  guint timeout_id;

  if (!pc_dbus_manager_call_restart_service_sync (ctl->manager, NULL, &error))
    return report_error (ctl, error);

  if (opt_no_wait)
    {
      g_print (_("The Portcullis service is restarting.\n"));
      return PC_CTL_EXIT_OK;
    }

  /* A new process takes the name under a new unique name. */
  loop = g_main_loop_new (NULL, FALSE);
  wait.loop = loop;
  wait.old_owner = old_owner;
  watch_id = g_bus_watch_name_on_connection (ctl->connection, PC_BUS_NAME,
                                             G_BUS_NAME_WATCHER_FLAGS_NONE,
                                             on_restart_name_appeared_cb,
                                             on_restart_name_vanished_cb,
                                             &wait, NULL);
  timeout_id = g_timeout_add_seconds (RESTART_WAIT_SECONDS, on_restart_timeout_cb, &wait);

  g_main_loop_run (loop);

  g_bus_unwatch_name (watch_id);
  if (!wait.back)
    {
      g_autofree char *message =
        g_strdup_printf (_("the service did not come back within %d seconds"), RESTART_WAIT_SECONDS);

      return report_local_error (ctl, message);
    }
  g_source_remove (timeout_id);

  g_print (_("The Portcullis service has restarted.\n"));
  return PC_CTL_EXIT_OK;
}

static int
cmd_repair_app (PcCtl *ctl)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) report = NULL;

  if (!pc_dbus_manager_call_repair_app_sync (ctl->manager, &report, NULL, &error))
    return report_error (ctl, error);

  if (opt_json)
    {
      g_autoptr(json_object) root = pc_ctl_variant_to_json (report);
      print_json (root);
    }
  else
    {
      g_autofree char *text = pc_ctl_format_dictionary (report);

      g_print (_("Repair finished. What the service found and did:\n"));
      g_print ("%s", text);
    }

  return PC_CTL_EXIT_OK;
}

static int
cmd_export_logs (PcCtl *ctl)
{
  const char *path = ctl->args[0];
  g_autoptr(GError) error = NULL;
  g_autoptr(GUnixFDList) fd_list = g_unix_fd_list_new ();
  g_autofree char *message = NULL;
  struct stat info;
  int index;
  int fd;

  if (opt_force && g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      message = g_strdup_printf (_("cannot replace %s: %s"), path, g_strerror (saved_errno));
      return report_local_error (ctl, message);
    }

  /* Created here, as the calling user, private; never through a link. */
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == EEXIST)
        message = g_strdup_printf (_("%s already exists; use --force to replace it"), path);
      else
        message = g_strdup_printf (_("cannot create %s: %s"), path, g_strerror (saved_errno));
      return report_local_error (ctl, message);
    }

  index = g_unix_fd_list_append (fd_list, fd, &error);
  if (index < 0 ||
      !pc_dbus_manager_call_export_logs_sync (ctl->manager,
                                              g_variant_new_handle (index),
                                              fd_list, NULL, NULL, &error))
    {
      g_close (fd, NULL);
      g_unlink (path);
      return report_error (ctl, error);
    }

  if (fstat (fd, &info) != 0 || info.st_size == 0)
    {
      g_close (fd, NULL);
      g_unlink (path);
      message = g_strdup_printf (_("the service wrote nothing into %s"), path);
      return report_local_error (ctl, message);
    }
  g_close (fd, NULL);

  if (opt_json)
    {
      g_autoptr(json_object) root = json_object_new_object ();

      json_object_object_add (root, "file", json_object_new_string (path));
      json_object_object_add (root, "bytes", json_object_new_int64 (info.st_size));
      print_json (root);
    }
  else
    g_print (_("Wrote the log bundle to %s (%lld bytes).\n"),
             path, (long long) info.st_size);

  return PC_CTL_EXIT_OK;
}

static int
cmd_clear_logs (PcCtl *ctl)
{
  g_autoptr(GError) error = NULL;

  if (!pc_dbus_manager_call_clear_logs_sync (ctl->manager, NULL, &error))
    return report_error (ctl, error);

  g_print (_("Logs cleared.\n"));
  return PC_CTL_EXIT_OK;
}

static int
cmd_log_level (PcCtl *ctl)
{
  g_autoptr(GError) error = NULL;

  if (ctl->args[0] == NULL)
    {
      g_print ("%s\n", pc_dbus_manager_get_log_level (ctl->manager));
      return PC_CTL_EXIT_OK;
    }

  if (!pc_dbus_manager_call_set_log_level_sync (ctl->manager, ctl->args[0], NULL, &error))
    return report_error (ctl, error);

  g_print (_("Log level set to %s.\n"), ctl->args[0]);
  return PC_CTL_EXIT_OK;
}

static int
cmd_policy (PcCtl *ctl)
{
  GVariant *policy = pc_dbus_manager_get_policy (ctl->manager);
  g_autoptr(GVariant) empty = NULL;

  if (policy == NULL)
    policy = empty = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0));

  if (opt_json)
    {
      g_autoptr(json_object) root = pc_ctl_variant_to_json (policy);
      print_json (root);
    }
  else
    {
      g_autofree char *text = pc_ctl_format_dictionary (policy);
      g_print ("%s", text);
    }

  return PC_CTL_EXIT_OK;
}

static int
cmd_update_policy (PcCtl *ctl)
{
  g_autoptr(GError) error = NULL;

  if (!pc_dbus_manager_call_update_policy_sync (ctl->manager, NULL, &error))
    return report_error (ctl, error);

  g_print (_("The profile was reloaded.\n"));
  return PC_CTL_EXIT_OK;
}

static const PcCtlCommand commands[] = {
  { "status", NULL, 0, 0, FALSE, TRUE, TRUE, NULL,
    N_("Show the service and every module: status, message, buttons"), cmd_status },
  { "watch", NULL, 0, 0, FALSE, TRUE, FALSE, watch_entries,
    N_("Print each change as it happens, across service restarts"), cmd_watch },
  { "retry", "MODULE", 1, 1, TRUE, FALSE, TRUE, NULL,
    N_("Retry a module (the Retry button)"), cmd_retry },
  { "authenticate", "MODULE", 1, 1, TRUE, TRUE, TRUE, NULL,
    N_("Authenticate a module again and print the address to open"), cmd_authenticate },
  { "login", "USER", 1, 1, FALSE, TRUE, TRUE, NULL,
    N_("Log in as USER and print the address to open, if any"), cmd_login },
  { "logout", NULL, 0, 0, FALSE, FALSE, TRUE, password_entries,
    N_("Log out (asks for the password when the profile sets one)"), cmd_logout },
  { "enable", "MODULE", 1, 1, TRUE, FALSE, TRUE, NULL,
    N_("Turn a module on"), cmd_enable },
  { "disable", "MODULE", 1, 1, TRUE, FALSE, TRUE, disable_entries,
    N_("Turn a module off (asks for the password when the profile sets one)"), cmd_disable },
  { "restart-service", NULL, 0, 0, FALSE, FALSE, TRUE, restart_entries,
    N_("Restart the service and wait until it is back"), cmd_restart_service },
  { "repair-app", NULL, 0, 0, FALSE, TRUE, TRUE, NULL,
    N_("Repair what the service owns and print what it found"), cmd_repair_app },
  { "export-logs", "FILE", 1, 1, FALSE, TRUE, TRUE, export_entries,
    N_("Write the log bundle (tar.gz) to a new FILE"), cmd_export_logs },
  { "clear-logs", NULL, 0, 0, FALSE, FALSE, TRUE, NULL,
    N_("Delete the service's logs"), cmd_clear_logs },
  { "log-level", "[LEVEL]", 0, 1, FALSE, FALSE, TRUE, NULL,
    N_("Print the log level, or set it: error, warn, info or debug"), cmd_log_level },
  { "policy", NULL, 0, 0, FALSE, TRUE, TRUE, NULL,
    N_("Print what the profile allows"), cmd_policy },
  { "update-policy", NULL, 0, 0, FALSE, FALSE, TRUE, NULL,
    N_("Reload the profile"), cmd_update_policy },
};

static const char *
exit_status_text (void)
{
  return _("Exit status:\n"
           "  0  success\n"
           "  1  the service refused or failed the request (its message is printed),\n"
           "     or a local file could not be written\n"
           "  2  usage error\n"
           "  3  the service is not running (not on the bus), or the bus cannot be reached\n"
           "  4  watch: the bus connection itself was lost, or --timeout passed before\n"
           "     --count changes arrived\n");
}

static const char *
modules_text (void)
{
  return _("Modules: internet_security (is), private_access (pa), digital_experience (dx)\n");
}

static void
print_general_help (FILE *stream)
{
  fprintf (stream, "%s", _("Usage:\n"
                           "  portcullisctl [--session|--system] COMMAND [OPTION…] [ARGUMENT…]\n\n"
                           "Shows and controls the Portcullis service (io.github.Portcullis1).\n\n"
                           "Commands:\n"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *usage = g_strjoin (" ", commands[i].name, commands[i].parameters, NULL);

      fprintf (stream, "  %-22s %s\n", usage, _(commands[i].summary));
    }

  fprintf (stream, "%s", _("\nGlobal options:\n"
                           "  --session              Use the session bus (default when PORTCULLIS_BUS=session)\n"
                           "  --system               Use the system bus (the default otherwise)\n"
                           "  --json                 Print JSON (status, watch, authenticate, login,\n"
                           "                         repair-app, export-logs, policy)\n"
                           "  --version              Print the version and exit\n"
                           "  -h, --help             Show help; COMMAND --help shows a command's options\n\n"));
  fprintf (stream, "%s\n%s", modules_text (), exit_status_text ());
}

static const PcCtlCommand *
find_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];

  return NULL;
}

static GOptionContext *
build_context (const PcCtlCommand *command)
{
  g_autofree char *parameters = g_strjoin (" ", command->name, command->parameters, NULL);
  g_autofree char *description = g_strconcat (modules_text (), "\n", exit_status_text (), NULL);
  GOptionContext *context = g_option_context_new (parameters);

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _(command->summary));
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, global_entries, GETTEXT_PACKAGE);
  if (command->json)
    g_option_context_add_main_entries (context, json_entries, GETTEXT_PACKAGE);
  if (command->entries != NULL)
    g_option_context_add_main_entries (context, command->entries, GETTEXT_PACKAGE);

  return context;
}

static int
usage_error (const char *command,
             const char *message)
{
  if (command != NULL)
    {
      g_printerr ("portcullisctl %s: %s\n", command, message);
      g_printerr (_("Try “portcullisctl %s --help”.\n"), command);
    }
  else
    {
      g_printerr ("portcullisctl: %s\n", message);
      g_printerr (_("Try “portcullisctl --help”.\n"));
    }
  return PC_CTL_EXIT_USAGE;
}

static gboolean
is_help_option (const char *arg)
{
  return g_str_equal (arg, "--help") || g_str_equal (arg, "-h") || g_str_equal (arg, "-?");
}

int
pc_ctl_main (int    argc,
             char **argv)
{
  g_auto(PcCtl) ctl = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = NULL;
  const char *command_name = NULL;
  guint n_args;
  int status;

  g_set_prgname ("portcullisctl");
  reset_options ();
  /* Registers io.github.Portcullis1.Error.* so replies map to PC_ERROR. */
  (void) pc_error_quark ();

  for (int i = 1; i < argc; i++)
    if (argv[i][0] != '-')
      {
        command_name = argv[i];
        break;
      }

  if (command_name == NULL)
    {
      for (int i = 1; i < argc; i++)
        {
          if (g_str_equal (argv[i], "--version"))
            {
              g_print ("portcullisctl %s\n", PACKAGE_VERSION);
              return PC_CTL_EXIT_OK;
            }
          if (is_help_option (argv[i]))
            {
              print_general_help (stdout);
              return PC_CTL_EXIT_OK;
            }
          if (!g_str_equal (argv[i], "--session") && !g_str_equal (argv[i], "--system") &&
              !g_str_equal (argv[i], "--json"))
            {
              g_autofree char *message = g_strdup_printf (_("unknown option “%s”"), argv[i]);
              return usage_error (NULL, message);
            }
        }

      print_general_help (stderr);
      return PC_CTL_EXIT_USAGE;
    }

  /* "portcullisctl help [COMMAND]" */
  if (g_str_equal (command_name, "help"))
    {
      const char *topic = NULL;
      const PcCtlCommand *command;
      g_autofree char *help = NULL;

      for (int i = 1; i < argc; i++)
        if (argv[i] != command_name && argv[i][0] != '-')
          {
            topic = argv[i];
            break;
          }

      if (topic == NULL)
        {
          print_general_help (stdout);
          return PC_CTL_EXIT_OK;
        }

      command = find_command (topic);
      if (command == NULL)
        {
          g_autofree char *message = g_strdup_printf (_("unknown command “%s”"), topic);
          return usage_error (NULL, message);
        }

      context = build_context (command);
      help = g_option_context_get_help (context, TRUE, NULL);
      g_print ("%s", help);
      return PC_CTL_EXIT_OK;
    }

  ctl.command = find_command (command_name);
  if (ctl.command == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("unknown command “%s”"), command_name);
      return usage_error (NULL, message);
    }

  context = build_context (ctl.command);
  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);

  if (!g_option_context_parse_strv (context, &args, &error))
    return usage_error (ctl.command->name, error->message);

  if (opt_version)
    {
      g_print ("portcullisctl %s\n", PACKAGE_VERSION);
      return PC_CTL_EXIT_OK;
    }

  if (opt_session && opt_system)
    return usage_error (ctl.command->name, _("--session and --system exclude each other"));

  if (opt_session)
    ctl.bus_type = G_BUS_TYPE_SESSION;
  else if (opt_system)
    ctl.bus_type = G_BUS_TYPE_SYSTEM;
  else
    ctl.bus_type = pc_bus_type_from_environment ();

  /* args: program, command, then the command's arguments. */
  g_assert (args[0] != NULL && args[1] != NULL);
  ctl.args = args + 2;
  n_args = g_strv_length (ctl.args);

  if (n_args < ctl.command->min_args || n_args > ctl.command->max_args)
    {
      g_autofree char *message = NULL;

      if (ctl.command->parameters != NULL)
        message = g_strdup_printf (_("usage: portcullisctl %s %s"),
                                   ctl.command->name, ctl.command->parameters);
      else
        message = g_strdup_printf (_("usage: portcullisctl %s (it takes no arguments)"),
                                   ctl.command->name);
      return usage_error (ctl.command->name, message);
    }

  if (ctl.command->takes_module &&
      !pc_ctl_parse_module_name (ctl.args[0], &ctl.module_kind))
    {
      g_autofree char *message =
        g_strdup_printf (_("unknown module “%s” (expected internet_security, private_access, "
                           "digital_experience, or is, pa, dx)"), ctl.args[0]);
      return usage_error (ctl.command->name, message);
    }

  if (ctl.command->needs_service)
    {
      status = pc_ctl_connect (&ctl);
      if (status != PC_CTL_EXIT_OK)
        return status;
    }

  status = ctl.command->run (&ctl);
  g_clear_pointer (&opt_reason, g_free);
  return status;
}
