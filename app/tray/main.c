/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "pc-tray-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(PcTrayApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_prgname ("portcullis-tray");
  g_set_application_name (_("Portcullis"));

  /* The tray draws nothing with OpenGL, yet GDK on X11 would load the GL
   * driver (Mesa, LLVM: some 18 MB) only to choose a visual. Disabled for
   * our own initialization, done here before any thread exists, and taken
   * out again so the browser and the window we start never inherit it. */
  if (g_getenv ("GDK_GL") == NULL)
    {
      g_setenv ("GDK_GL", "disable", TRUE);
      gtk_init_check (&argc, &argv);
      g_unsetenv ("GDK_GL");
    }

  app = pc_tray_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
