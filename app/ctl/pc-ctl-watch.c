/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "portcullisctl"

#include "config.h"

#include "pc-ctl-watch.h"

#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "pc-ctl.h"
#include "pc-dbus-generated.h"
#include "pc-ctl-format.h"
#include "pc-util.h"

/*
 * `portcullisctl watch`: follows the service's bus name; each time it
 * appears, fresh proxies are built (an object manager client for the
 * modules, a proxy for the Manager, which lives at the object manager's
 * own path and so is never among its objects), and dropped when it
 * vanishes. Prints one line per property change, plus a line when the
 * service or a module comes or goes. Lines are flushed one by one so a
 * pipe sees them as they happen.
 */

typedef struct
{
  GMainLoop          *loop;
  GDBusConnection    *connection;
  gboolean            json;
  guint               count;
  guint               changes;
  int                 exit_code;
  guint               timeout_id;

  /* Per appearance of the service */
  GCancellable       *cancellable;
  guint               pending;
  GDBusObjectManager *object_manager;
  PcDbusManager      *manager;
  gboolean            running;
  gboolean            said_waiting;

  /* The proxies this watch listens to: module kind (or "manager") → proxy. */
  GHashTable         *proxies;
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

/* Every cached property, in the order the interface declares them. */
static GVariant *
proxy_dup_properties (GDBusProxy *proxy)
{
  GDBusInterfaceInfo *info = g_dbus_proxy_get_interface_info (proxy);
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  for (guint i = 0; info != NULL && info->properties != NULL && info->properties[i] != NULL; i++)
    {
      g_autoptr(GVariant) value =
        g_dbus_proxy_get_cached_property (proxy, info->properties[i]->name);

      if (value != NULL)
        g_variant_builder_add (&builder, "{sv}", info->properties[i]->name, value);
    }

  return g_variant_ref_sink (g_variant_builder_end (&builder));
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
      snapshot = proxy_dup_properties (proxy);
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
  g_autoptr(GVariant) snapshot = proxy_dup_properties (module);
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
  PcDbusManager *manager = watch->manager;
  g_autoptr(json_object) line = NULL;
  g_autofree char *text = NULL;

  if (watch->json)
    {
      g_autoptr(GVariant) snapshot = proxy_dup_properties (G_DBUS_PROXY (manager));

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

static void
on_object_added_cb (GDBusObjectManager *object_manager,
                    GDBusObject        *object,
                    gpointer            user_data)
{
  PcCtlWatch *watch = user_data;
  g_autoptr(PcDbusModule) module = pc_dbus_object_get_module (PC_DBUS_OBJECT (object));
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  const char *kind;

  if (module == NULL || (kind = pc_dbus_module_get_kind (module)) == NULL)
    return;

  listen_to (watch, kind, G_DBUS_PROXY (module));
  print_module (watch, now, "module-added", G_DBUS_PROXY (module));
}

static void
on_object_removed_cb (GDBusObjectManager *object_manager,
                      GDBusObject        *object,
                      gpointer            user_data)
{
  PcCtlWatch *watch = user_data;
  g_autoptr(PcDbusModule) module = pc_dbus_object_get_module (PC_DBUS_OBJECT (object));
  g_autofree char *owner = NULL;
  g_autofree char *message = NULL;
  const char *kind;

  if (module == NULL || (kind = pc_dbus_module_get_kind (module)) == NULL)
    return;

  /* The whole service leaving is one "stopped" line, not one per module. */
  owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (object_manager));
  if (owner == NULL)
    return;

  message = g_strdup_printf (_("%s: removed"), kind);
  print_simple_event (watch, "module-removed", kind, message);
  g_hash_table_remove (watch->proxies, kind);
}

static PcModuleKind
object_get_kind (GDBusObject *object)
{
  const char *path = g_dbus_object_get_object_path (object);
  PcModuleKind kind = PC_N_MODULES;

  if (g_str_has_prefix (path, PC_MODULE_PATH))
    pc_module_kind_from_string (path + strlen (PC_MODULE_PATH), &kind);
  return kind;
}

/* Display order, as `status` shows them. */
static int
compare_objects (gconstpointer a,
                 gconstpointer b)
{
  PcModuleKind first = object_get_kind ((GDBusObject *) a);
  PcModuleKind second = object_get_kind ((GDBusObject *) b);

  if (first != second)
    return (int) first - (int) second;
  return g_strcmp0 (g_dbus_object_get_object_path ((GDBusObject *) a),
                    g_dbus_object_get_object_path ((GDBusObject *) b));
}

static void
forget_service (PcCtlWatch *watch)
{
  g_cancellable_cancel (watch->cancellable);
  g_clear_object (&watch->cancellable);
  g_hash_table_remove_all (watch->proxies);
  if (watch->object_manager != NULL)
    g_signal_handlers_disconnect_by_data (watch->object_manager, watch);
  g_clear_object (&watch->object_manager);
  g_clear_object (&watch->manager);
}

/* Both proxies are ready: say so, with each module's state. */
static void
service_ready (PcCtlWatch *watch)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  GList *objects;

  watch->running = TRUE;
  listen_to (watch, "manager", G_DBUS_PROXY (watch->manager));
  print_service_appeared (watch, now);

  objects = g_dbus_object_manager_get_objects (watch->object_manager);
  objects = g_list_sort (objects, compare_objects);
  for (GList *l = objects; l != NULL; l = l->next)
    {
      g_autoptr(PcDbusModule) module = pc_dbus_object_get_module (PC_DBUS_OBJECT (l->data));
      const char *kind;

      if (module == NULL || (kind = pc_dbus_module_get_kind (module)) == NULL)
        continue;

      listen_to (watch, kind, G_DBUS_PROXY (module));
      print_module (watch, now, "module", G_DBUS_PROXY (module));
    }
  g_list_free_full (objects, g_object_unref);

  g_signal_connect (watch->object_manager, "object-added",
                    G_CALLBACK (on_object_added_cb), watch);
  g_signal_connect (watch->object_manager, "object-removed",
                    G_CALLBACK (on_object_removed_cb), watch);
}

static void
on_manager_ready_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  PcCtlWatch *watch = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PcDbusManager) manager = pc_dbus_manager_proxy_new_finish (result, &error);

  watch->pending--;
  if (manager == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_printerr (_("portcullisctl watch: cannot follow the Manager: %s\n"), error->message);
      return;
    }

  watch->manager = g_steal_pointer (&manager);
  if (watch->pending == 0 && watch->object_manager != NULL)
    service_ready (watch);
}

static void
on_object_manager_ready_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  PcCtlWatch *watch = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusObjectManager) object_manager =
    pc_dbus_object_manager_client_new_finish (result, &error);

  watch->pending--;
  if (object_manager == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_printerr (_("portcullisctl watch: cannot follow the modules: %s\n"), error->message);
      return;
    }

  watch->object_manager = g_steal_pointer (&object_manager);
  if (watch->pending == 0 && watch->manager != NULL)
    service_ready (watch);
}

static void
on_name_appeared_cb (GDBusConnection *connection,
                     const char      *name,
                     const char      *name_owner,
                     gpointer         user_data)
{
  PcCtlWatch *watch = user_data;

  forget_service (watch);
  watch->cancellable = g_cancellable_new ();

  /* To the unique name: these proxies belong to this one process. */
  watch->pending += 2;
  pc_dbus_manager_proxy_new (connection,
                             G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
                             name_owner, PC_OBJECT_PATH,
                             watch->cancellable,
                             on_manager_ready_cb, watch);
  pc_dbus_object_manager_client_new (connection,
                                     G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
                                     name_owner, PC_OBJECT_PATH,
                                     watch->cancellable,
                                     on_object_manager_ready_cb, watch);
}

static void
on_name_vanished_cb (GDBusConnection *connection,
                     const char      *name,
                     gpointer         user_data)
{
  PcCtlWatch *watch = user_data;
  gboolean was_running = watch->running;

  forget_service (watch);
  watch->running = FALSE;

  if (was_running)
    print_simple_event (watch, "service-vanished", NULL,
                        _("service stopped: io.github.Portcullis1 left the bus; waiting for it to come back"));
  else if (!watch->said_waiting)
    print_simple_event (watch, "service-vanished", NULL,
                        _("service is not running: io.github.Portcullis1 is not on the bus; waiting for it"));
  watch->said_waiting = TRUE;
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
  g_autoptr(GHashTable) proxies = NULL;
  PcCtlWatch watch = { 0 };
  guint name_watch_id;
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
  watch.connection = connection;
  watch.json = json;
  watch.count = count;
  watch.proxies = proxies;
  watch.exit_code = PC_CTL_EXIT_OK;

  g_signal_connect (connection, "closed", G_CALLBACK (on_connection_closed_cb), &watch);
  name_watch_id = g_bus_watch_name_on_connection (connection, PC_BUS_NAME,
                                                  G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                  on_name_appeared_cb,
                                                  on_name_vanished_cb,
                                                  &watch, NULL);

  sigint_id = g_unix_signal_add (SIGINT, on_signal_cb, &watch);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal_cb, &watch);
  if (timeout_s > 0)
    watch.timeout_id = g_timeout_add_seconds (timeout_s, on_timeout_cb, &watch);

  g_main_loop_run (loop);

  g_bus_unwatch_name (name_watch_id);
  g_clear_handle_id (&watch.timeout_id, g_source_remove);
  g_clear_handle_id (&sigint_id, g_source_remove);
  g_clear_handle_id (&sigterm_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (connection, &watch);
  forget_service (&watch);

  /* Let cancelled constructions report back before &watch goes away. */
  while (watch.pending > 0)
    g_main_context_iteration (NULL, TRUE);

  if (timeout_s > 0 && count > 0 && watch.exit_code == PC_CTL_EXIT_WATCH_LOST &&
      watch.changes < count)
    g_printerr (_("portcullisctl watch: %u of %u changes within %u seconds\n"),
                watch.changes, count, timeout_s);

  return watch.exit_code;
}
