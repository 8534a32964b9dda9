/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-probe"

#include "config.h"

#include <string.h>

#include "pc-probe.h"

/*
 * Rescue mode: the kernel command line of <sysroot>/proc/cmdline asks for
 * single-user, rescue or emergency mode, or (on the real root) systemd
 * reports rescue.target or emergency.target active. Internet Security then
 * fails open: a machine being repaired must not lose its network to us.
 */

static const char * const rescue_targets[] = { "rescue.target", "emergency.target" };
static const char * const rescue_unit_paths[] = {
  "/org/freedesktop/systemd1/unit/rescue_2etarget",
  "/org/freedesktop/systemd1/unit/emergency_2etarget",
};

typedef struct
{
  char    *reason;
  guint    pending;
} RescueData;

static void
rescue_data_free (RescueData *data)
{
  g_free (data->reason);
  g_free (data);
}

static void
rescue_step_done (GTask *task)
{
  RescueData *data = g_task_get_task_data (task);

  if (--data->pending > 0)
    return;
  if (g_task_return_error_if_cancelled (task))
    return;
  g_task_return_pointer (task, g_strdup (data->reason), g_free);
}

static const char *
cmdline_rescue_word (const char *cmdline)
{
  static const char * const words[] = {
    "single", "s", "S", "1", "-s", "rescue", "emergency", "-b",
    "systemd.unit=rescue.target", "systemd.unit=emergency.target",
    "rd.systemd.unit=rescue.target", "rd.systemd.unit=emergency.target",
  };
  g_auto(GStrv) argv = NULL;

  if (!g_shell_parse_argv (cmdline, NULL, &argv, NULL))
    argv = g_strsplit_set (cmdline, " \t\n", -1);

  for (guint i = 0; argv[i] != NULL; i++)
    for (guint j = 0; j < G_N_ELEMENTS (words); j++)
      if (g_str_equal (argv[i], words[j]))
        return words[j];
  return NULL;
}

static void
on_cmdline_loaded_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RescueData *data = g_task_get_task_data (task);
  g_autofree char *contents = NULL;
  gsize length;

  if (g_file_load_contents_finish (G_FILE (source), result, &contents, &length, NULL, NULL) &&
      memchr (contents, '\0', length) == NULL)
    {
      const char *word = cmdline_rescue_word (contents);

      if (word != NULL && data->reason == NULL)
        data->reason = g_strdup_printf ("The kernel command line asks for “%s”", word);
    }

  rescue_step_done (task);
}

typedef struct
{
  GTask      *task;
  const char *target;
} UnitQuery;

static void
on_active_state_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  UnitQuery *query = user_data;
  g_autoptr(GTask) task = query->task;
  RescueData *data = g_task_get_task_data (task);
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, NULL);
  const char *target = query->target;

  g_free (query);

  if (reply != NULL)
    {
      g_autoptr(GVariant) value = NULL;

      g_variant_get (reply, "(v)", &value);
      if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) &&
          (g_str_equal (g_variant_get_string (value, NULL), "active") ||
           g_str_equal (g_variant_get_string (value, NULL), "activating")) &&
          data->reason == NULL)
        data->reason = g_strdup_printf ("systemd runs %s", target);
    }

  rescue_step_done (task);
}

static void
on_system_bus_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RescueData *data = g_task_get_task_data (task);
  g_autoptr(GDBusConnection) bus = g_bus_get_finish (result, NULL);

  /* No system bus, no systemd: nothing to ask. */
  if (bus != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (rescue_unit_paths); i++)
      {
        UnitQuery *query = g_new0 (UnitQuery, 1);

        query->task = g_object_ref (task);
        query->target = rescue_targets[i];
        data->pending++;
        g_dbus_connection_call (bus, "org.freedesktop.systemd1", rescue_unit_paths[i],
                                "org.freedesktop.DBus.Properties", "Get",
                                g_variant_new ("(ss)", "org.freedesktop.systemd1.Unit", "ActiveState"),
                                G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, 2000,
                                g_task_get_cancellable (task), on_active_state_cb, query);
      }

  rescue_step_done (task);
}

void
pc_rescue_check_async (const char          *sysroot,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree char *path = g_build_filename (sysroot, "proc", "cmdline", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  RescueData *data = g_new0 (RescueData, 1);

  g_task_set_source_tag (task, pc_rescue_check_async);
  g_task_set_task_data (task, data, (GDestroyNotify) rescue_data_free);

  data->pending = 1;
  g_file_load_contents_async (file, cancellable, on_cmdline_loaded_cb, g_object_ref (task));

  /* The state of the units is only ours to ask on the real root. */
  if (g_strcmp0 (sysroot, "/") == 0)
    {
      data->pending++;
      g_bus_get (G_BUS_TYPE_SYSTEM, cancellable, on_system_bus_cb, g_object_ref (task));
    }
}

char *
pc_rescue_check_finish (GAsyncResult  *result,
                        GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
