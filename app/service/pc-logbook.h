/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PC_TYPE_LOGBOOK (pc_logbook_get_type ())

G_DECLARE_FINAL_TYPE (PcLogbook, pc_logbook, PC, LOGBOOK, GObject)

PcLogbook  *pc_logbook_new             (const char           *log_dir);
void        pc_logbook_install         (PcLogbook            *self);
const char *pc_logbook_get_dir         (PcLogbook            *self);
const char *pc_logbook_get_level       (PcLogbook            *self);
gboolean    pc_logbook_set_level       (PcLogbook            *self,
                                        const char           *level,
                                        GError              **error);
gboolean    pc_logbook_clear           (PcLogbook            *self,
                                        GError              **error);
void        pc_logbook_export_async    (PcLogbook            *self,
                                        int                   fd,
                                        const char           *status_json,
                                        const char           *profile_json,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
gboolean    pc_logbook_export_finish   (PcLogbook            *self,
                                        GAsyncResult         *result,
                                        GError              **error);
gboolean    pc_log_level_is_valid      (const char           *level);

G_END_DECLS
