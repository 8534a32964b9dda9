/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-logbook"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <gio/gunixoutputstream.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pc-error.h"
#include "pc-logbook.h"

/*
 * PcLogbook: the service's structured log. Every message at or above the
 * LogLevel goes to a rotating file under the state dir (portcullisd.log,
 * .1, .2, .3; 1 MiB each) and to the journal when stderr is connected to
 * it, else to stderr. ExportLogs packs the files, a status snapshot and
 * the redacted profile into a gzip-compressed tar written off the main
 * loop into the descriptor the client opened.
 */

#define LOG_FILE_NAME   "portcullisd.log"
#define LOG_MAX_SIZE    (1024 * 1024)
#define LOG_KEEP        3

struct _PcLogbook
{
  GObject      parent_instance;

  GMutex       lock;
  char        *dir;
  char        *path;
  int          fd;
  gsize        size;
  int          level;
  gboolean     to_journal;
};

G_DEFINE_FINAL_TYPE (PcLogbook, pc_logbook, G_TYPE_OBJECT)

static const char * const level_names[] = { "error", "warn", "info", "debug" };

/* The logbook the GLib log writer feeds; set once by pc_logbook_install(). */
static PcLogbook *installed_logbook;

static int
level_from_string (const char *level)
{
  for (guint i = 0; i < G_N_ELEMENTS (level_names); i++)
    if (g_strcmp0 (level, level_names[i]) == 0)
      return i;
  return -1;
}

gboolean
pc_log_level_is_valid (const char *level)
{
  return level_from_string (level) >= 0;
}

static int
level_from_flags (GLogLevelFlags flags)
{
  if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return 0;
  if (flags & G_LOG_LEVEL_WARNING)
    return 1;
  if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
    return 2;
  return 3;
}

static void
pc_logbook_open_locked (PcLogbook *self)
{
  struct stat st;

  g_mkdir_with_parents (self->dir, 0700);
  self->fd = g_open (self->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  self->size = (self->fd >= 0 && fstat (self->fd, &st) == 0) ? st.st_size : 0;
}

static void
pc_logbook_rotate_locked (PcLogbook *self)
{
  if (self->fd >= 0)
    {
      close (self->fd);
      self->fd = -1;
    }

  for (int i = LOG_KEEP - 1; i >= 1; i--)
    {
      g_autofree char *from = g_strdup_printf ("%s.%d", self->path, i);
      g_autofree char *to = g_strdup_printf ("%s.%d", self->path, i + 1);

      g_rename (from, to);
    }
  {
    g_autofree char *first = g_strdup_printf ("%s.1", self->path);
    g_rename (self->path, first);
  }

  pc_logbook_open_locked (self);
}

static void
pc_logbook_write_line (PcLogbook      *self,
                       GLogLevelFlags  flags,
                       const char     *domain,
                       const char     *message)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
  g_autofree char *line = NULL;
  gsize len;

  line = g_strdup_printf ("%s %-5s %s: %s\n", stamp,
                          level_names[level_from_flags (flags)],
                          domain ? domain : "portcullisd", message);
  len = strlen (line);

  g_mutex_lock (&self->lock);
  if (self->fd < 0)
    pc_logbook_open_locked (self);
  if (self->fd >= 0 && write (self->fd, line, len) == (gssize) len)
    {
      self->size += len;
      if (self->size > LOG_MAX_SIZE)
        pc_logbook_rotate_locked (self);
    }
  g_mutex_unlock (&self->lock);
}

static GLogWriterOutput
pc_logbook_writer (GLogLevelFlags   flags,
                   const GLogField *fields,
                   gsize            n_fields,
                   gpointer         user_data)
{
  PcLogbook *self = installed_logbook;
  const char *domain = NULL;
  const char *message = NULL;

  if (self == NULL)
    return g_log_writer_default (flags, fields, n_fields, user_data);

  if (level_from_flags (flags) > g_atomic_int_get (&self->level))
    return G_LOG_WRITER_HANDLED;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }

  if (message != NULL)
    pc_logbook_write_line (self, flags, domain, message);

  if (self->to_journal &&
      g_log_writer_journald (flags, fields, n_fields, NULL) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;

  /* A daemon's stdout is not for logs: everything goes to stderr. */
  {
    g_autofree char *text = g_log_writer_format_fields (flags, fields, n_fields,
                                                        g_log_writer_supports_color (fileno (stderr)));

    fprintf (stderr, "%s\n", text);
    fflush (stderr);
  }
  return G_LOG_WRITER_HANDLED;
}

static void
pc_logbook_finalize (GObject *object)
{
  PcLogbook *self = PC_LOGBOOK (object);

  if (installed_logbook == self)
    installed_logbook = NULL;
  if (self->fd >= 0)
    close (self->fd);
  g_clear_pointer (&self->dir, g_free);
  g_clear_pointer (&self->path, g_free);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (pc_logbook_parent_class)->finalize (object);
}

static void
pc_logbook_class_init (PcLogbookClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pc_logbook_finalize;
}

static void
pc_logbook_init (PcLogbook *self)
{
  g_mutex_init (&self->lock);
  self->fd = -1;
  self->level = level_from_string ("info");
}

PcLogbook *
pc_logbook_new (const char *log_dir)
{
  PcLogbook *self = g_object_new (PC_TYPE_LOGBOOK, NULL);

  self->dir = g_strdup (log_dir);
  self->path = g_build_filename (log_dir, LOG_FILE_NAME, NULL);
  return self;
}

/* Routes every GLib log message of the process through this logbook. */
void
pc_logbook_install (PcLogbook *self)
{
  g_return_if_fail (PC_IS_LOGBOOK (self));

  self->to_journal = g_log_writer_is_journald (fileno (stderr));
  installed_logbook = self;
  g_log_set_writer_func (pc_logbook_writer, NULL, NULL);
}

const char *
pc_logbook_get_dir (PcLogbook *self)
{
  return self->dir;
}

const char *
pc_logbook_get_level (PcLogbook *self)
{
  return level_names[g_atomic_int_get (&self->level)];
}

gboolean
pc_logbook_set_level (PcLogbook   *self,
                      const char  *level,
                      GError     **error)
{
  int value = level_from_string (level);

  if (value < 0)
    {
      g_set_error (error, PC_ERROR, PC_ERROR_INVALID_ARGS,
                   "“%s” is not a log level; use error, warn, info or debug", level);
      return FALSE;
    }

  g_atomic_int_set (&self->level, value);
  return TRUE;
}

/* Empties the current file and removes the rotated ones. */
gboolean
pc_logbook_clear (PcLogbook  *self,
                  GError    **error)
{
  gboolean ok = TRUE;

  g_mutex_lock (&self->lock);
  for (int i = 1; i <= LOG_KEEP; i++)
    {
      g_autofree char *rotated = g_strdup_printf ("%s.%d", self->path, i);

      if (g_unlink (rotated) != 0 && errno != ENOENT)
        {
          int saved = errno;
          g_set_error (error, PC_ERROR, PC_ERROR_FAILED, "Cannot remove %s: %s",
                       rotated, g_strerror (saved));
          ok = FALSE;
          break;
        }
    }
  if (ok && self->fd >= 0 && ftruncate (self->fd, 0) != 0)
    {
      int saved = errno;
      g_set_error (error, PC_ERROR, PC_ERROR_FAILED, "Cannot empty %s: %s",
                   self->path, g_strerror (saved));
      ok = FALSE;
    }
  if (ok)
    self->size = 0;
  g_mutex_unlock (&self->lock);

  return ok;
}

/* --- the export bundle: a ustar archive, gzip-compressed --- */

typedef struct
{
  int    fd;
  char  *path;
  char  *status_json;
  char  *profile_json;
} ExportData;

static void
export_data_free (ExportData *data)
{
  if (data->fd >= 0)
    close (data->fd);
  g_free (data->path);
  g_free (data->status_json);
  g_free (data->profile_json);
  g_free (data);
}

static gboolean
tar_write_entry (GOutputStream  *out,
                 const char     *name,
                 const char     *contents,
                 gsize           size,
                 gint64          mtime,
                 GError        **error)
{
  static const char zeros[512] = { 0 };
  char header[512] = { 0 };
  guint checksum = 0;
  gsize padding;

  g_return_val_if_fail (strlen (name) < 100, FALSE);

  memcpy (header, name, strlen (name));
  g_snprintf (header + 100, 8, "%07o", 0644);
  g_snprintf (header + 108, 8, "%07o", 0);
  g_snprintf (header + 116, 8, "%07o", 0);
  g_snprintf (header + 124, 12, "%011lo", (unsigned long) size);
  g_snprintf (header + 136, 12, "%011lo", (unsigned long) mtime);
  memset (header + 148, ' ', 8);
  header[156] = '0';
  memcpy (header + 257, "ustar", 6);
  memcpy (header + 263, "00", 2);
  memcpy (header + 265, "portcullis", 10);
  memcpy (header + 297, "portcullis", 10);

  for (gsize i = 0; i < sizeof header; i++)
    checksum += (guchar) header[i];
  g_snprintf (header + 148, 8, "%06o", checksum);
  header[155] = ' ';

  padding = (512 - size % 512) % 512;

  return g_output_stream_write_all (out, header, sizeof header, NULL, NULL, error) &&
         g_output_stream_write_all (out, contents, size, NULL, NULL, error) &&
         g_output_stream_write_all (out, zeros, padding, NULL, NULL, error);
}

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  PcLogbook *self = source_object;
  ExportData *data = task_data;
  g_autoptr(GOutputStream) raw = NULL;
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(GZlibCompressor) compressor = NULL;
  g_autoptr(GError) error = NULL;
  static const char zeros[1024] = { 0 };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  raw = g_unix_output_stream_new (data->fd, TRUE);
  data->fd = -1;
  compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1);
  out = g_converter_output_stream_new (raw, G_CONVERTER (compressor));

  if (!tar_write_entry (out, "portcullis/status.json", data->status_json,
                        strlen (data->status_json), now, &error) ||
      !tar_write_entry (out, "portcullis/profile.json", data->profile_json,
                        strlen (data->profile_json), now, &error))
    goto failed;

  /* Oldest first, so the bundle reads in time order. */
  for (int i = LOG_KEEP; i >= 0; i--)
    {
      g_autofree char *path = i ? g_strdup_printf ("%s.%d", data->path, i) : g_strdup (data->path);
      g_autofree char *name = i ? g_strdup_printf ("portcullis/logs/%s.%d", LOG_FILE_NAME, i)
                                : g_strdup_printf ("portcullis/logs/%s", LOG_FILE_NAME);
      g_autofree char *contents = NULL;
      gsize length;
      struct stat st;

      g_mutex_lock (&self->lock);
      if (!g_file_get_contents (path, &contents, &length, NULL))
        {
          g_mutex_unlock (&self->lock);
          continue;
        }
      g_mutex_unlock (&self->lock);

      if (g_stat (path, &st) != 0)
        st.st_mtime = now;
      if (!tar_write_entry (out, name, contents, length, st.st_mtime, &error))
        goto failed;
    }

  if (!g_output_stream_write_all (out, zeros, sizeof zeros, NULL, NULL, &error) ||
      !g_output_stream_close (out, NULL, &error))
    goto failed;

  g_task_return_boolean (task, TRUE);
  return;

failed:
  g_task_return_new_error (task, PC_ERROR, PC_ERROR_FAILED,
                           "Cannot write the log bundle: %s", error->message);
}

/* Takes ownership of fd. */
void
pc_logbook_export_async (PcLogbook           *self,
                         int                  fd,
                         const char          *status_json,
                         const char          *profile_json,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ExportData *data;

  g_return_if_fail (PC_IS_LOGBOOK (self));

  data = g_new0 (ExportData, 1);
  data->fd = fd;
  data->path = g_strdup (self->path);
  data->status_json = g_strdup (status_json);
  data->profile_json = g_strdup (profile_json);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pc_logbook_export_async);
  g_task_set_task_data (task, data, (GDestroyNotify) export_data_free);
  g_task_run_in_thread (task, export_thread);
}

gboolean
pc_logbook_export_finish (PcLogbook     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
