/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "portcullisctl"

#include "config.h"

#include "pc-ctl-watch.h"

#include <stdio.h>

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "pc-client.h"
#include "pc-ctl.h"
#include "pc-ctl-format.h"
#include "pc-util.h"

/*
 * `portcullisctl watch`: PcClient follows the service (it appears,
 * vanishes, comes back after a restart, with fresh proxies each time);
 * this listens to those proxies and prints one line per property change,
 * plus a line when the service or a module comes or goes. Lines are
 * flushed one by one so a pipe sees them as they happen.
 */

typedef struct
{
  GMainLoop       *loop;
  PcClient        *client;
  gboolean         json;
  guint            count;
  guint            changes;
  int              exit_code;
  guint            timeout_id;
  guint            sync_idle_id;
  gboolean         running;
  gboolean         announced;  /* said the service is not running, or saw it run */

  /* The proxies this watch listens to: module kind (or "manager") → proxy. */
  GHashTable      *proxies;
} PcCtlWatch;

static void
emit_line (PcCtlWatch  *watch,
           const char  *text,
           json_object *object)
{
  if (watch->json)
    g_print ("%s\n", json_object_to_json_string_ext (object,
                                                     JSON_C_TO_STRING_PLAIN |
                                                     JSON_C_TO_STRING_NOSLASHESCAPE));
  else
    g_print ("%s\n", text);
  fflush (stdout);
}

static json_object *
event_new (GDateTime  *now,
           const char *event)
{
  json_object *object = json_object_new_object ();
  g_autofree char *stamp = g_date_time_format_iso8601 (now);

  json_object_object_add (object, "time", json_object_new_string (stamp));
  json_object_object_add (object, "event", json_object_new_string (event));
  return object;
}

static void
pc_ctl_watch_stop (PcCtlWatch *watch,
                   int         exit_code)
{
  watch->exit_code = exit_code;
  g_main_loop_quit (watch->loop);
}

static void
on_properties_changed_cb (GDBusProxy *proxy,
                          GVariant   *changed,
                          GStrv       invalidated,
                          gpointer    user_data)
{
  PcCtlWatch *watch = user_data;
  g_autoptr(GVariant) snapshot = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  const char *object = "manager";
  GVariantIter iter;
  const char *property;
  GVariant *value;

  g_assert (G_IS_DBUS_PROXY (proxy));

  if (PC_DBUS_IS_MODULE (proxy))
    {
      object = pc_dbus_module_get_kind (PC_DBUS_MODULE (proxy));
      snapshot = pc_ctl_proxy_dup_properties (proxy);
    }

  g_variant_iter_init (&iter, changed);
  while (g_variant_iter_next (&iter, "{&sv}", &property, &value))
    {
      g_autoptr(GVariant) owned = value;
      g_autofree char *text = NULL;
      g_autoptr(json_object) line = NULL;

      if (watch->json)
        line = pc_ctl_change_to_json (now, object, property, value, snapshot);
      else
        text = pc_ctl_format_change (now, object, property, value, snapshot);
      emit_line (watch, text, line);

      watch->changes++;
      if (watch->count > 0 && watch->changes >= watch->count)
        {
          pc_ctl_watch_stop (watch, PC_CTL_EXIT_OK);
          return;
        }
    }
}

static void
forget_proxy (gpointer data)
{
  GDBusProxy *proxy = data;

  g_signal_handlers_disconnect_by_func (proxy, on_properties_changed_cb, NULL);
  g_object_unref (proxy);
}

static void
listen_to (PcCtlWatch *watch,
           const char *key,
           GDBusProxy *proxy)
{
  /* One watch per process: the callback finds it through user_data,
   * and forget_proxy() disconnects by function. */
  g_signal_connect (proxy, "g-properties-changed",
                    G_CALLBACK (on_properties_changed_cb), watch);
  g_hash_table_replace (watch->proxies, g_strdup (key), g_object_ref (proxy));
}

static void
print_module (PcCtlWatch *watch,
              GDateTime  *now,
              const char *event,
              GDBusProxy *module)
{
  g_autoptr(GVariant) snapshot = pc_ctl_proxy_dup_properties (module);
  const char *kind = pc_dbus_module_get_kind (PC_DBUS_MODULE (module));
  g_autoptr(json_object) line = NULL;
  g_autofree char *text = NULL;

  if (watch->json)
    {
      json_object *properties = pc_ctl_variant_to_json (snapshot);
      g_autofree char *title = pc_ctl_module_dup_title (snapshot);
      g_auto(GStrv) actions = pc_ctl_dup_action_ids (pc_ctl_module_get_actions (snapshot));
      json_object *action_list = json_object_new_array ();

      for (guint i = 0; actions[i] != NULL; i++)
        json_object_array_add (action_list, json_object_new_string (actions[i]));

      line = event_new (now, event);
      json_object_object_add (line, "object", json_object_new_string (kind));
      json_object_object_add (line, "title", json_object_new_string (title));
      json_object_object_add (line, "severity",
                              json_object_new_string (pc_severity_to_string (pc_ctl_module_get_severity (snapshot))));
      json_object_object_add (line, "actions", action_list);
      json_object_object_add (line, "properties", properties);
    }
  else
    {
      g_autofree char *stamp = pc_ctl_format_timestamp (now);
      g_autofree char *title = pc_ctl_module_dup_title (snapshot);
      g_autofree char *actions = pc_ctl_format_actions (pc_ctl_module_get_actions (snapshot));
      const char *status = pc_dbus_module_get_status (PC_DBUS_MODULE (module));

      if (g_str_equal (event, "module-added"))
        /* Translators: a watch line; module, raw status, status message */
        text = g_strdup_printf (_("%s  %s: added, %s (%s)"), stamp, kind, status, title);
      else
        text = g_strdup_printf ("%s  %s: %s (%s)", stamp, kind, status, title);

      if (*actions != '\0')
        {
          /* Translators: appended to a watch line: the buttons that apply */
          g_autofree char *with_actions = g_strdup_printf (_("%s  [%s]"), text, actions);
          g_free (text);
          text = g_steal_pointer (&with_actions);
        }
    }

  emit_line (watch, text, line);
}

static void
print_service_appeared (PcCtlWatch *watch,
                        GDateTime  *now)
{
  PcDbusManager *manager = pc_client_get_manager (watch->client);
  g_autoptr(json_object) line = NULL;
  g_autofree char *text = NULL;

  if (watch->json)
    {
      g_autoptr(GVariant) snapshot = pc_ctl_proxy_dup_properties (G_DBUS_PROXY (manager));

      line = event_new (now, "service-appeared");
      json_object_object_add (line, "manager", pc_ctl_variant_to_json (snapshot));
    }
  else
    {
      g_autofree char *stamp = pc_ctl_format_timestamp (now);
      const char *user = pc_dbus_manager_get_user (manager);

      /* Translators: a watch line: time, version, profile, user */
      text = g_strdup_printf (_("%s  service is running: Portcullis %s, profile %s, user %s"),
                              stamp,
                              pc_dbus_manager_get_version (manager),
                              pc_dbus_manager_get_profile (manager),
                              (user != NULL && *user != '\0') ? user : _("(logged out)"));
    }

  emit_line (watch, text, line);
}

static void
print_simple_event (PcCtlWatch *watch,
                    const char *event,
                    const char *object,
                    const char *message)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(json_object) line = NULL;
  g_autofree char *text = NULL;

  if (watch->json)
    {
      line = event_new (now, event);
      if (object != NULL)
        json_object_object_add (line, "object", json_object_new_string (object));
    }
  else
    {
      g_autofree char *stamp = pc_ctl_format_timestamp (now);
      text = g_strdup_printf ("%s  %s", stamp, message);
    }

  emit_line (watch, text, line);
}

/* Brings the listened-to proxies in line with the client's modules
 * (kept in display order by PcClient); with announce, prints the
 * modules that came or went while the service stayed. */
static void
sync_modules (PcCtlWatch *watch,
              gboolean    announce)
{
  GListModel *modules = pc_client_get_modules (watch->client);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  const char *key;

  for (guint i = 0; i < g_list_model_get_n_items (modules); i++)
    {
      g_autoptr(PcDbusModule) module = g_list_model_get_item (modules, i);
      const char *kind = pc_dbus_module_get_kind (module);

      if (kind == NULL)
        continue;

      g_hash_table_add (seen, (gpointer) kind);
      if (g_hash_table_lookup (watch->proxies, kind) == (gpointer) module)
        continue;

      listen_to (watch, kind, G_DBUS_PROXY (module));
      print_module (watch, now, announce ? "module-added" : "module", G_DBUS_PROXY (module));
    }

  g_hash_table_iter_init (&iter, watch->proxies);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    if (!g_str_equal (key, "manager") && !g_hash_table_contains (seen, key))
      g_ptr_array_add (gone, g_strdup (key));

  for (guint i = 0; i < gone->len; i++)
    {
      const char *kind = g_ptr_array_index (gone, i);
      g_autofree char *message = g_strdup_printf (_("%s: removed"), kind);

      if (announce)
        print_simple_event (watch, "module-removed", kind, message);
      g_hash_table_remove (watch->proxies, kind);
    }
}

static gboolean
on_sync_idle_cb (gpointer user_data)
{
  PcCtlWatch *watch = user_data;

  watch->sync_idle_id = 0;

  /* A vanishing service empties the list before it turns unavailable;
   * that is one "stopped" line, not a line per module. */
  if (watch->running)
    sync_modules (watch, TRUE);

  return G_SOURCE_REMOVE;
}

static void
on_modules_items_changed_cb (GListModel *modules,
                             guint       position,
                             guint       removed,
                             guint       added,
                             gpointer    user_data)
{
  PcCtlWatch *watch = user_data;

  if (watch->sync_idle_id == 0)
    watch->sync_idle_id = g_idle_add (on_sync_idle_cb, watch);
}

static void
on_client_available_changed_cb (PcClient   *client,
                                GParamSpec *pspec,
                                gpointer    user_data)
{
  PcCtlWatch *watch = user_data;

  g_assert (PC_IS_CLIENT (client));

  g_hash_table_remove_all (watch->proxies);

  if (pc_client_get_available (client))
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();

      watch->running = TRUE;
      watch->announced = TRUE;   /* from now on, leaving is "service stopped" */
      listen_to (watch, "manager", G_DBUS_PROXY (pc_client_get_manager (client)));
      print_service_appeared (watch, now);
      sync_modules (watch, FALSE);
    }
  else if (watch->running)
    {
      watch->running = FALSE;
      print_simple_event (watch, "service-vanished", NULL,
                          _("service stopped: io.github.Portcullis1 left the bus; waiting for it to come back"));
    }
}

/* Said once, when the watch on the name is in place and found nobody:
 * a bus that closes after this cannot catch PcClient mid-subscription. */
static void
on_client_vanished_cb (PcClient *client,
                       gpointer  user_data)
{
  PcCtlWatch *watch = user_data;

  g_assert (PC_IS_CLIENT (client));

  if (watch->running || watch->announced)
    return;

  watch->announced = TRUE;
  print_simple_event (watch, "service-vanished", NULL,
                      _("service is not running: io.github.Portcullis1 is not on the bus; waiting for it"));
}

static void
on_connection_closed_cb (GDBusConnection *connection,
                         gboolean         remote_peer_vanished,
                         GError          *error,
                         gpointer         user_data)
{
  PcCtlWatch *watch = user_data;

  print_simple_event (watch, "bus-closed", NULL, _("the bus connection closed; stopping"));
  pc_ctl_watch_stop (watch, PC_CTL_EXIT_WATCH_LOST);
}

static gboolean
on_signal_cb (gpointer user_data)
{
  PcCtlWatch *watch = user_data;

  pc_ctl_watch_stop (watch, PC_CTL_EXIT_OK);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_timeout_cb (gpointer user_data)
{
  PcCtlWatch *watch = user_data;

  watch->timeout_id = 0;
  /* Asked for a number of changes that did not all come in time. */
  pc_ctl_watch_stop (watch, watch->count > 0 ? PC_CTL_EXIT_WATCH_LOST : PC_CTL_EXIT_OK);
  return G_SOURCE_REMOVE;
}

int
pc_ctl_watch_run (GBusType bus_type,
                  gboolean json,
                  guint    count,
                  guint    timeout_s)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(PcClient) client = NULL;
  g_autoptr(GHashTable) proxies = NULL;
  PcCtlWatch watch = { 0 };
  guint sigint_id;
  guint sigterm_id;

  connection = g_bus_get_sync (bus_type, NULL, &error);
  if (connection == NULL)
    {
      g_printerr (_("portcullisctl: cannot reach the %s bus: %s\n"),
                  bus_type == G_BUS_TYPE_SESSION ? "session" : "system", error->message);
      return PC_CTL_EXIT_NO_SERVICE;
    }
  /* A lost bus ends the watch with its own exit status, not SIGTERM. */
  g_dbus_connection_set_exit_on_close (connection, FALSE);

  proxies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, forget_proxy);
  watch.loop = loop;
  watch.json = json;
  watch.count = count;
  watch.proxies = proxies;
  watch.exit_code = PC_CTL_EXIT_OK;

  g_signal_connect (connection, "closed", G_CALLBACK (on_connection_closed_cb), &watch);

  /* PcClient shares this connection (g_bus_get() keeps one per bus), as
   * long as it is made while the connection is open. */
  client = pc_client_new (bus_type);
  watch.client = client;
  g_signal_connect (client, "notify::available",
                    G_CALLBACK (on_client_available_changed_cb), &watch);
  g_signal_connect (client, "vanished",
                    G_CALLBACK (on_client_vanished_cb), &watch);
  g_signal_connect (pc_client_get_modules (client), "items-changed",
                    G_CALLBACK (on_modules_items_changed_cb), &watch);

  sigint_id = g_unix_signal_add (SIGINT, on_signal_cb, &watch);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal_cb, &watch);
  if (timeout_s > 0)
    watch.timeout_id = g_timeout_add_seconds (timeout_s, on_timeout_cb, &watch);

  g_main_loop_run (loop);

  g_clear_handle_id (&watch.timeout_id, g_source_remove);
  g_clear_handle_id (&sigint_id, g_source_remove);
  g_clear_handle_id (&sigterm_id, g_source_remove);
  g_clear_handle_id (&watch.sync_idle_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (connection, &watch);
  g_signal_handlers_disconnect_by_data (pc_client_get_modules (client), &watch);
  g_signal_handlers_disconnect_by_data (client, &watch);
  g_hash_table_remove_all (proxies);

  if (timeout_s > 0 && count > 0 && watch.exit_code == PC_CTL_EXIT_WATCH_LOST &&
      watch.changes < count)
    g_printerr (_("portcullisctl watch: %u of %u changes within %u seconds\n"),
                watch.changes, count, timeout_s);

  return watch.exit_code;
}
