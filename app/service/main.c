/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>

#include "pc-service.h"

static gboolean
on_quit_signal_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_reload_signal_cb (gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  pc_service_reload_policy (PC_SERVICE (user_data), &error);
  return G_SOURCE_CONTINUE;
}

static void
on_service_quit_cb (PcService *service,
                    int        status,
                    gpointer   user_data)
{
  int *exit_status = g_object_get_data (G_OBJECT (service), "exit-status");

  *exit_status = status;
  g_main_loop_quit (user_data);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(PcService) service = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *profile = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *sysroot = NULL;
  g_auto(GStrv) saved_argv = g_strdupv (argv);
  gboolean session = FALSE;
  gboolean system = FALSE;
  gboolean testing = FALSE;
  gboolean version = FALSE;
  int exit_status = 0;
  PcServiceOptions options = { 0 };
  const GOptionEntry entries[] = {
    { "session", 0, 0, G_OPTION_ARG_NONE, &session, "Serve on the session bus (development, tests)", NULL },
    { "system", 0, 0, G_OPTION_ARG_NONE, &system, "Serve on the system bus (the default)", NULL },
    { "profile", 0, 0, G_OPTION_ARG_FILENAME, &profile, "The admin profile (JSON)", "FILE" },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir, "Where state and logs are kept", "DIR" },
    { "sysroot", 0, 0, G_OPTION_ARG_FILENAME, &sysroot, "Read system facts (proc/cmdline) below DIR", "DIR" },
    { "testing", 0, 0, G_OPTION_ARG_NONE, &testing, "Export the Testing interface (session bus only)", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, "The Portcullis service: watches the machine and the "
                                         "network and publishes each module's status on D-Bus.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("portcullisd: %s\n", error->message);
      return 2;
    }

  if (version)
    {
      g_print ("portcullisd %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (session && system)
    {
      g_printerr ("portcullisd: --session and --system exclude each other\n");
      return 2;
    }

  options.bus_type = session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM;
  if (profile == NULL)
    profile = session ? g_build_filename (g_get_user_config_dir (), "portcullis", "profile.json", NULL)
                      : g_strdup ("/etc/portcullis/profile.json");
  if (state_dir == NULL)
    state_dir = session ? g_build_filename (g_get_user_state_dir (), "portcullis", NULL)
                        : g_strdup ("/var/lib/portcullis");

  options.profile_path = profile;
  options.state_dir = state_dir;
  options.sysroot = sysroot;
  options.testing = testing;
  options.argv = saved_argv;

  loop = g_main_loop_new (NULL, FALSE);
  service = pc_service_new (&options);
  g_object_set_data (G_OBJECT (service), "exit-status", &exit_status);
  g_signal_connect (service, "quit", G_CALLBACK (on_service_quit_cb), loop);

  if (!pc_service_start (service, &error))
    {
      g_printerr ("portcullisd: %s\n", error->message);
      return 1;
    }

  g_unix_signal_add (SIGTERM, on_quit_signal_cb, loop);
  g_unix_signal_add (SIGINT, on_quit_signal_cb, loop);
  g_unix_signal_add (SIGHUP, on_reload_signal_cb, service);

  g_main_loop_run (loop);

  return exit_status;
}
