/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-client"

#include "config.h"

#include "pc-client.h"
#include "pc-error.h"
#include "pc-util.h"

/*
 * PcClient: the one model every Portcullis client follows. It watches the
 * service's bus name appear and vanish, builds the object-manager client
 * asynchronously when it appears, and drops everything when it vanishes,
 * so a restarted service is picked up without the client restarting.
 */

struct _PcClient
{
  GObject                   parent_instance;

  GBusType                  bus_type;
  guint                     watch_id;
  GCancellable             *cancellable;
  GDBusObjectManager       *object_manager;
  PcDbusManager            *manager;
  GListStore               *modules;
  gboolean                  available;
};

G_DEFINE_FINAL_TYPE (PcClient, pc_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BUS_TYPE,
  PROP_AVAILABLE,
  PROP_MANAGER,
  PROP_MODULES,
  N_PROPS
};

enum {
  CHANGED,
  MODULE_CHANGED,
  VANISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

PcModuleKind
pc_dbus_module_get_kind_enum (PcDbusModule *module)
{
  PcModuleKind kind = PC_MODULE_INTERNET_SECURITY;

  pc_module_kind_from_string (pc_dbus_module_get_kind (module), &kind);
  return kind;
}

static void
pc_client_set_available (PcClient *self,
                         gboolean  available)
{
  available = !!available;
  if (self->available == available)
    return;

  self->available = available;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
  g_signal_emit (self, signals[CHANGED], 0);
}

/* Available once both the Manager and the module objects are known. */
static void
pc_client_update_available (PcClient *self)
{
  pc_client_set_available (self, self->manager != NULL && self->object_manager != NULL);
}

static void
on_module_properties_changed_cb (PcClient     *self,
                                 GVariant     *changed,
                                 GStrv         invalidated,
                                 GDBusProxy   *proxy)
{
  g_assert (PC_IS_CLIENT (self));
  g_assert (G_IS_DBUS_PROXY (proxy));

  g_signal_emit (self, signals[MODULE_CHANGED], 0, proxy);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
on_manager_properties_changed_cb (PcClient   *self,
                                  GVariant   *changed,
                                  GStrv       invalidated,
                                  GDBusProxy *proxy)
{
  g_assert (PC_IS_CLIENT (self));

  g_signal_emit (self, signals[CHANGED], 0);
}

static int
compare_modules (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  return (int) pc_dbus_module_get_kind_enum ((PcDbusModule *) a) -
         (int) pc_dbus_module_get_kind_enum ((PcDbusModule *) b);
}

static void
pc_client_add_object (PcClient     *self,
                      GDBusObject  *object)
{
  g_autoptr(PcDbusModule) module = NULL;

  module = pc_dbus_object_get_module (PC_DBUS_OBJECT (object));
  if (module != NULL)
    {
      g_signal_connect_object (module, "g-properties-changed",
                               G_CALLBACK (on_module_properties_changed_cb),
                               self, G_CONNECT_SWAPPED);
      g_list_store_insert_sorted (self->modules, module, compare_modules, NULL);
    }
}

static void
on_object_added_cb (PcClient           *self,
                    GDBusObject        *object,
                    GDBusObjectManager *object_manager)
{
  g_assert (PC_IS_CLIENT (self));

  pc_client_add_object (self, object);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
on_object_removed_cb (PcClient           *self,
                      GDBusObject        *object,
                      GDBusObjectManager *object_manager)
{
  g_autoptr(PcDbusModule) module = NULL;
  guint position;

  g_assert (PC_IS_CLIENT (self));

  module = pc_dbus_object_get_module (PC_DBUS_OBJECT (object));
  if (module != NULL && g_list_store_find (self->modules, module, &position))
    {
      g_signal_handlers_disconnect_by_data (module, self);
      g_list_store_remove (self->modules, position);
    }

  g_signal_emit (self, signals[CHANGED], 0);
}

static void
pc_client_clear_objects (PcClient *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->modules));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) module = g_list_model_get_item (G_LIST_MODEL (self->modules), i);
      g_signal_handlers_disconnect_by_data (module, self);
    }
  g_list_store_remove_all (self->modules);

  if (self->object_manager != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->object_manager, self);
      g_clear_object (&self->object_manager);
    }
}

static void
pc_client_clear (PcClient *self)
{
  pc_client_clear_objects (self);

  if (self->manager != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->manager, self);
      g_clear_object (&self->manager);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MANAGER]);
    }
}

static void
on_object_manager_ready_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(PcClient) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusObjectManager) object_manager = NULL;
  GList *objects;

  object_manager = pc_dbus_object_manager_client_new_for_bus_finish (result, &error);
  if (object_manager == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot follow the Portcullis service: %s", error->message);
      return;
    }

  pc_client_clear_objects (self);
  self->object_manager = g_steal_pointer (&object_manager);
  g_signal_connect_object (self->object_manager, "object-added",
                           G_CALLBACK (on_object_added_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->object_manager, "object-removed",
                           G_CALLBACK (on_object_removed_cb), self,
                           G_CONNECT_SWAPPED);

  objects = g_dbus_object_manager_get_objects (self->object_manager);
  for (GList *l = objects; l != NULL; l = l->next)
    pc_client_add_object (self, l->data);
  g_list_free_full (objects, g_object_unref);

  pc_client_update_available (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
on_manager_ready_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(PcClient) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PcDbusManager) manager = NULL;

  manager = pc_dbus_manager_proxy_new_finish (result, &error);
  if (manager == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot follow the Portcullis service: %s", error->message);
      return;
    }

  if (self->manager != NULL)
    g_signal_handlers_disconnect_by_data (self->manager, self);
  g_set_object (&self->manager, manager);
  g_signal_connect_object (self->manager, "g-properties-changed",
                           G_CALLBACK (on_manager_properties_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MANAGER]);

  pc_client_update_available (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
on_name_appeared_cb (GDBusConnection *connection,
                     const char      *name,
                     const char      *name_owner,
                     gpointer         user_data)
{
  PcClient *self = user_data;

  g_debug ("%s appeared as %s", name, name_owner);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  /* The Manager sits at the ObjectManager's own path, which an object
   * manager cannot list, so it gets a proxy of its own. */
  pc_dbus_manager_proxy_new (connection,
                             G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
                             name,
                             PC_OBJECT_PATH,
                             self->cancellable,
                             on_manager_ready_cb,
                             g_object_ref (self));
  pc_dbus_object_manager_client_new (connection,
                                     G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
                                     name,
                                     PC_OBJECT_PATH,
                                     self->cancellable,
                                     on_object_manager_ready_cb,
                                     g_object_ref (self));
}

static void
on_name_vanished_cb (GDBusConnection *connection,
                     const char      *name,
                     gpointer         user_data)
{
  PcClient *self = user_data;

  g_debug ("%s vanished", name);

  g_cancellable_cancel (self->cancellable);
  pc_client_clear (self);
  pc_client_set_available (self, FALSE);
  g_signal_emit (self, signals[VANISHED], 0);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
pc_client_constructed (GObject *object)
{
  PcClient *self = PC_CLIENT (object);

  G_OBJECT_CLASS (pc_client_parent_class)->constructed (object);

  self->watch_id = g_bus_watch_name (self->bus_type,
                                     PC_BUS_NAME,
                                     G_BUS_NAME_WATCHER_FLAGS_NONE,
                                     on_name_appeared_cb,
                                     on_name_vanished_cb,
                                     self,
                                     NULL);
}

static void
pc_client_dispose (GObject *object)
{
  PcClient *self = PC_CLIENT (object);

  g_clear_handle_id (&self->watch_id, g_bus_unwatch_name);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->modules != NULL)
    pc_client_clear (self);
  g_clear_object (&self->modules);

  G_OBJECT_CLASS (pc_client_parent_class)->dispose (object);
}

static void
pc_client_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  PcClient *self = PC_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BUS_TYPE:
      g_value_set_enum (value, self->bus_type);
      break;

    case PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;

    case PROP_MANAGER:
      g_value_set_object (value, self->manager);
      break;

    case PROP_MODULES:
      g_value_set_object (value, self->modules);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_client_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  PcClient *self = PC_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BUS_TYPE:
      self->bus_type = g_value_get_enum (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_client_class_init (PcClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  /* Register the io.github.Portcullis1.Error names before any reply. */
  (void) pc_error_quark ();

  object_class->constructed = pc_client_constructed;
  object_class->dispose = pc_client_dispose;
  object_class->get_property = pc_client_get_property;
  object_class->set_property = pc_client_set_property;

  properties[PROP_BUS_TYPE] =
    g_param_spec_enum ("bus-type", NULL, NULL,
                       G_TYPE_BUS_TYPE, G_BUS_TYPE_SYSTEM,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /* TRUE while the service is on the bus and its objects are known. */
  properties[PROP_AVAILABLE] =
    g_param_spec_boolean ("available", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL,
                         PC_DBUS_TYPE_MANAGER,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_MODULES] =
    g_param_spec_object ("modules", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Anything changed: availability, a module, a manager property. */
  signals[CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  /* The service is not on the bus: at start, once the watch on its name
   * is in place and found it absent, and each time it leaves. */
  signals[VANISHED] =
    g_signal_new ("vanished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  signals[MODULE_CHANGED] =
    g_signal_new ("module-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, PC_DBUS_TYPE_MODULE);
}

static void
pc_client_init (PcClient *self)
{
  self->modules = g_list_store_new (PC_DBUS_TYPE_MODULE);
}

PcClient *
pc_client_new (GBusType bus_type)
{
  return g_object_new (PC_TYPE_CLIENT, "bus-type", bus_type, NULL);
}

GBusType
pc_client_get_bus_type (PcClient *self)
{
  g_return_val_if_fail (PC_IS_CLIENT (self), G_BUS_TYPE_NONE);

  return self->bus_type;
}

gboolean
pc_client_get_available (PcClient *self)
{
  g_return_val_if_fail (PC_IS_CLIENT (self), FALSE);

  return self->available;
}

/* The Manager proxy, or NULL while the service is unavailable. */
PcDbusManager *
pc_client_get_manager (PcClient *self)
{
  g_return_val_if_fail (PC_IS_CLIENT (self), NULL);

  return self->manager;
}

/* The module's proxy, or NULL when the service does not export it. */
PcDbusModule *
pc_client_get_module (PcClient     *self,
                      PcModuleKind  kind)
{
  guint n;

  g_return_val_if_fail (PC_IS_CLIENT (self), NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->modules));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PcDbusModule) module = g_list_model_get_item (G_LIST_MODEL (self->modules), i);

      if (pc_dbus_module_get_kind_enum (module) == kind)
        return module;
    }

  return NULL;
}

/* A list of PcDbusModule proxies, in display order. */
GListModel *
pc_client_get_modules (PcClient *self)
{
  g_return_val_if_fail (PC_IS_CLIENT (self), NULL);

  return G_LIST_MODEL (self->modules);
}

/* The module in the worst state, or NULL when there is none. */
PcDbusModule *
pc_client_get_worst_module (PcClient *self)
{
  PcDbusModule *worst = NULL;
  PcSeverity worst_severity = PC_SEVERITY_OK;
  guint n;

  g_return_val_if_fail (PC_IS_CLIENT (self), NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->modules));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PcDbusModule) module = g_list_model_get_item (G_LIST_MODEL (self->modules), i);
      PcSeverity severity = pc_status_get_severity (pc_dbus_module_get_status (module),
                                                    pc_dbus_module_get_error (module));

      if (worst == NULL || severity > worst_severity)
        {
          worst = module;
          worst_severity = severity;
        }
    }

  return worst;
}

/* The worst severity across modules; UNAVAILABLE without the service. */
PcSeverity
pc_client_get_severity (PcClient *self)
{
  PcDbusModule *worst;

  g_return_val_if_fail (PC_IS_CLIENT (self), PC_SEVERITY_UNAVAILABLE);

  if (!self->available)
    return PC_SEVERITY_UNAVAILABLE;

  worst = pc_client_get_worst_module (self);
  if (worst == NULL)
    return PC_SEVERITY_OFF;

  return pc_status_get_severity (pc_dbus_module_get_status (worst),
                                 pc_dbus_module_get_error (worst));
}

gboolean
pc_client_get_policy_boolean (PcClient   *self,
                              const char *key,
                              gboolean    default_value)
{
  GVariant *policy;
  gboolean value;

  g_return_val_if_fail (PC_IS_CLIENT (self), default_value);

  if (self->manager == NULL)
    return default_value;

  policy = pc_dbus_manager_get_policy (self->manager);
  if (policy == NULL || !g_variant_lookup (policy, key, "b", &value))
    return default_value;

  return value;
}

/* The policy's string for key, or NULL when unset. */
char *
pc_client_dup_policy_string (PcClient   *self,
                             const char *key)
{
  GVariant *policy;
  char *value = NULL;

  g_return_val_if_fail (PC_IS_CLIENT (self), NULL);

  if (self->manager == NULL)
    return NULL;

  policy = pc_dbus_manager_get_policy (self->manager);
  if (policy == NULL || !g_variant_lookup (policy, key, "s", &value))
    return NULL;

  if (*value == '\0')
    g_clear_pointer (&value, g_free);

  return value;
}
