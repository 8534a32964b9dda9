/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pc-catalog.h"

G_BEGIN_DECLS

typedef void (*PcStateSavedFunc) (gpointer user_data);

#define PC_TYPE_STATE (pc_state_get_type ())

G_DECLARE_FINAL_TYPE (PcState, pc_state, PC, STATE, GObject)

PcState    *pc_state_new                (const char    *path);
const char *pc_state_get_path           (PcState       *self);
gboolean    pc_state_load               (PcState       *self,
                                         GError       **error);
void        pc_state_save               (PcState       *self);
void        pc_state_flush              (PcState       *self);
void        pc_state_when_saved         (PcState          *self,
                                         PcStateSavedFunc  func,
                                         gpointer          user_data);
gboolean    pc_state_save_sync          (PcState       *self,
                                         GError       **error);
char       *pc_state_serialize          (PcState       *self);

const char *pc_state_get_user           (PcState       *self);
void        pc_state_set_user           (PcState       *self,
                                         const char    *user);
gboolean    pc_state_get_module_enabled (PcState       *self,
                                         PcModuleKind   kind);
void        pc_state_set_module_enabled (PcState       *self,
                                         PcModuleKind   kind,
                                         gboolean       enabled,
                                         const char    *reason);
const char *pc_state_get_log_level      (PcState       *self);
void        pc_state_set_log_level      (PcState       *self,
                                         const char    *level);
gint64      pc_state_get_last_restart   (PcState       *self);
void        pc_state_set_last_restart   (PcState       *self,
                                         gint64         realtime_us);

G_END_DECLS
