/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libayatana-appindicator/app-indicator.h>

#include "pc-client.h"

G_BEGIN_DECLS

#ifndef __GI_SCANNER__
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AppIndicator, g_object_unref)
#endif

#define PC_TYPE_TRAY_INDICATOR (pc_tray_indicator_get_type ())

G_DECLARE_FINAL_TYPE (PcTrayIndicator, pc_tray_indicator, PC, TRAY_INDICATOR, AppIndicator)

PcTrayIndicator *pc_tray_indicator_new          (GtkMenu         *menu);
void             pc_tray_indicator_update       (PcTrayIndicator *self,
                                                 PcClient        *client);
char            *pc_tray_indicator_dup_summary  (PcClient        *client);
gboolean         pc_tray_indicator_is_fallback  (PcTrayIndicator *self);

G_END_DECLS
