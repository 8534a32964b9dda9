/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-state"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "pc-state.h"
#include "pc-util.h"

/*
 * PcState: what must survive a restart of the service (the logged-in user,
 * the modules the user turned off and why, the log level, the time of the
 * last restart for its rate limit), kept as JSON under the state dir.
 *
 * Every change is written atomically (temporary file, fsync, rename) off
 * the main loop; writes are serialized so the newest state always lands
 * last, and a SIGKILL at any moment leaves the old or the new file.
 */

struct _PcState
{
  GObject      parent_instance;

  char        *path;
  char        *user;
  char        *log_level;
  gint64       last_restart;
  gboolean     disabled[PC_N_MODULES];
  char        *disable_reason[PC_N_MODULES];

  gboolean     saving;
  gboolean     dirty;
  gboolean     flushing;

  /* Closures waiting for the write in flight, and for the one after it. */
  GArray      *in_flight;
  GArray      *next;
};

typedef struct
{
  PcStateSavedFunc  func;
  gpointer          user_data;
} Waiter;

G_DEFINE_FINAL_TYPE (PcState, pc_state, G_TYPE_OBJECT)

static void
pc_state_finalize (GObject *object)
{
  PcState *self = PC_STATE (object);

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->user, g_free);
  g_clear_pointer (&self->log_level, g_free);
  for (guint i = 0; i < PC_N_MODULES; i++)
    g_clear_pointer (&self->disable_reason[i], g_free);
  g_clear_pointer (&self->in_flight, g_array_unref);
  g_clear_pointer (&self->next, g_array_unref);

  G_OBJECT_CLASS (pc_state_parent_class)->finalize (object);
}

static void
pc_state_class_init (PcStateClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pc_state_finalize;
}

static void
pc_state_init (PcState *self)
{
  self->user = g_strdup ("");
  self->log_level = g_strdup ("info");
  self->in_flight = g_array_new (FALSE, FALSE, sizeof (Waiter));
  self->next = g_array_new (FALSE, FALSE, sizeof (Waiter));
}

static void
run_waiters (GArray *waiters)
{
  g_autoptr(GArray) run = g_array_copy (waiters);

  g_array_set_size (waiters, 0);
  for (guint i = 0; i < run->len; i++)
    {
      Waiter *waiter = &g_array_index (run, Waiter, i);
      waiter->func (waiter->user_data);
    }
}

PcState *
pc_state_new (const char *path)
{
  PcState *self = g_object_new (PC_TYPE_STATE, NULL);

  self->path = g_strdup (path);
  return self;
}

const char *
pc_state_get_path (PcState *self)
{
  return self->path;
}

char *
pc_state_serialize (PcState *self)
{
  g_autoptr(json_object) root = json_object_new_object ();
  json_object *modules = json_object_new_object ();

  json_object_object_add (root, "version", json_object_new_int (1));
  json_object_object_add (root, "user", json_object_new_string (self->user));
  json_object_object_add (root, "log_level", json_object_new_string (self->log_level));
  json_object_object_add (root, "last_restart_us", json_object_new_int64 (self->last_restart));

  for (guint i = 0; i < PC_N_MODULES; i++)
    {
      json_object *module = json_object_new_object ();

      json_object_object_add (module, "enabled", json_object_new_boolean (!self->disabled[i]));
      if (self->disable_reason[i] != NULL)
        json_object_object_add (module, "disable_reason",
                                json_object_new_string (self->disable_reason[i]));
      json_object_object_add (modules, pc_module_kind_to_string (i), module);
    }
  json_object_object_add (root, "modules", modules);

  return g_strdup (json_object_to_json_string_ext (root, JSON_C_TO_STRING_PRETTY));
}

static const char *
get_string (json_object *object,
            const char  *key,
            const char  *fallback)
{
  json_object *value;

  if (json_object_object_get_ex (object, key, &value) &&
      json_object_is_type (value, json_type_string))
    return json_object_get_string (value);

  return fallback;
}

/*
 * Reads the state file. A missing file is a first start; a corrupt one is
 * moved aside (so nothing is lost for a post-mortem) and the service starts
 * from defaults.
 */
gboolean
pc_state_load (PcState  *self,
               GError  **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(json_object) root = NULL;
  g_autoptr(GError) local_error = NULL;
  json_object *modules;
  json_object *value;

  if (!g_file_get_contents (self->path, &contents, NULL, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  root = json_tokener_parse (contents);
  if (root == NULL || !json_object_is_type (root, json_type_object))
    {
      g_autofree char *aside = g_strconcat (self->path, ".corrupt", NULL);

      g_rename (self->path, aside);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s is not valid state JSON; moved it to %s and started afresh",
                   self->path, aside);
      return FALSE;
    }

  g_free (self->user);
  self->user = g_strdup (get_string (root, "user", ""));
  g_free (self->log_level);
  self->log_level = g_strdup (get_string (root, "log_level", "info"));
  if (json_object_object_get_ex (root, "last_restart_us", &value))
    self->last_restart = json_object_get_int64 (value);

  if (json_object_object_get_ex (root, "modules", &modules))
    for (guint i = 0; i < PC_N_MODULES; i++)
      {
        json_object *module;

        if (!json_object_object_get_ex (modules, pc_module_kind_to_string (i), &module))
          continue;
        if (json_object_object_get_ex (module, "enabled", &value))
          self->disabled[i] = !json_object_get_boolean (value);
        g_free (self->disable_reason[i]);
        self->disable_reason[i] = g_strdup (get_string (module, "disable_reason", NULL));
      }

  return TRUE;
}

static void pc_state_write_async (PcState *self);

static void
on_state_written_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(PcState) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    g_warning ("Cannot save the service state to %s: %s", self->path, error->message);

  self->saving = FALSE;
  run_waiters (self->in_flight);
  if (self->dirty && !self->flushing)
    pc_state_write_async (self);
}

static void
pc_state_write_async (PcState *self)
{
  g_autoptr(GFile) file = g_file_new_for_path (self->path);
  g_autoptr(GBytes) bytes = NULL;
  char *contents = pc_state_serialize (self);

  bytes = g_bytes_new_take (contents, strlen (contents));
  self->saving = TRUE;
  self->dirty = FALSE;
  g_array_append_vals (self->in_flight, self->next->data, self->next->len);
  g_array_set_size (self->next, 0);
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE,
                                       G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                       NULL, on_state_written_cb, g_object_ref (self));
}

/* Schedules an atomic write; a write already running is followed by one more. */
void
pc_state_save (PcState *self)
{
  g_return_if_fail (PC_IS_STATE (self));

  if (self->saving)
    self->dirty = TRUE;
  else
    pc_state_write_async (self);
}

/*
 * Before the process exits: lets a write in flight land, then writes
 * what changed since, so the last change is not lost nor overwritten.
 */
void
pc_state_flush (PcState *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (PC_IS_STATE (self));

  self->flushing = TRUE;
  while (self->saving)
    g_main_context_iteration (NULL, TRUE);
  self->flushing = FALSE;

  if (self->dirty && !pc_state_save_sync (self, &error))
    g_warning ("Cannot save the service state to %s: %s", self->path, error->message);
  self->dirty = FALSE;
  run_waiters (self->next);
}

/*
 * Calls func once every change made so far is on disk: a method that
 * changes the state replies only then, so what a client was told has
 * happened survives a SIGKILL the moment after.
 */
void
pc_state_when_saved (PcState          *self,
                     PcStateSavedFunc  func,
                     gpointer          user_data)
{
  Waiter waiter = { func, user_data };

  g_return_if_fail (PC_IS_STATE (self));

  if (self->dirty)
    g_array_append_val (self->next, waiter);
  else if (self->saving)
    g_array_append_val (self->in_flight, waiter);
  else
    func (user_data);
}

/* For the moment before the process re-executes itself. */
gboolean
pc_state_save_sync (PcState  *self,
                    GError  **error)
{
  g_autofree char *contents = pc_state_serialize (self);

  return pc_file_set_contents_private (self->path, contents, -1, error);
}

const char *
pc_state_get_user (PcState *self)
{
  return self->user;
}

void
pc_state_set_user (PcState    *self,
                   const char *user)
{
  if (g_strcmp0 (self->user, user) == 0)
    return;
  g_free (self->user);
  self->user = g_strdup (user ? user : "");
  pc_state_save (self);
}

gboolean
pc_state_get_module_enabled (PcState      *self,
                             PcModuleKind  kind)
{
  g_return_val_if_fail (kind < PC_N_MODULES, FALSE);

  return !self->disabled[kind];
}

void
pc_state_set_module_enabled (PcState      *self,
                             PcModuleKind  kind,
                             gboolean      enabled,
                             const char   *reason)
{
  g_return_if_fail (kind < PC_N_MODULES);

  self->disabled[kind] = !enabled;
  g_free (self->disable_reason[kind]);
  self->disable_reason[kind] = enabled ? NULL : g_strdup (reason);
  pc_state_save (self);
}

const char *
pc_state_get_log_level (PcState *self)
{
  return self->log_level;
}

void
pc_state_set_log_level (PcState    *self,
                        const char *level)
{
  if (g_strcmp0 (self->log_level, level) == 0)
    return;
  g_free (self->log_level);
  self->log_level = g_strdup (level);
  pc_state_save (self);
}

gint64
pc_state_get_last_restart (PcState *self)
{
  return self->last_restart;
}

void
pc_state_set_last_restart (PcState *self,
                           gint64   realtime_us)
{
  /* Saved by the caller, synchronously, right before it re-executes. */
  self->last_restart = realtime_us;
}
