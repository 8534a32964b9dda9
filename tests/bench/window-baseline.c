/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The yardstick for the window's memory and startup budgets: a bare
 * libadwaita window with one row, measured by tests/bench/window-bench.py
 * under the same conditions as portcullis. Logs its first frame like
 * PcWindow does.
 */

#include <adwaita.h>

static void
on_first_frame_cb (GdkFrameClock *frame_clock,
                   gpointer       user_data)
{
  g_signal_handlers_disconnect_by_func (frame_clock, on_first_frame_cb, user_data);
  g_print ("First frame drawn at monotonic %" G_GINT64_FORMAT " us\n", g_get_monotonic_time ());
}

static void
on_realize_cb (GtkWidget *window,
               gpointer   user_data)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint",
                    G_CALLBACK (on_first_frame_cb), NULL);
}

static void
on_activate_cb (GtkApplication *app,
                gpointer        user_data)
{
  GtkWidget *window = adw_application_window_new (app);
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), "Service Status");
  gtk_list_box_append (GTK_LIST_BOX (list), row);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), list);
  g_signal_connect (window, "realize", G_CALLBACK (on_realize_cb), NULL);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AdwApplication) app = adw_application_new ("io.github.Portcullis.Baseline",
                                                       G_APPLICATION_NON_UNIQUE);

  g_signal_connect (app, "activate", G_CALLBACK (on_activate_cb), NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
