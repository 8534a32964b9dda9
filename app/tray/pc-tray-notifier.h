/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pc-client.h"

G_BEGIN_DECLS

#define PC_TYPE_TRAY_NOTIFIER (pc_tray_notifier_get_type ())

G_DECLARE_FINAL_TYPE (PcTrayNotifier, pc_tray_notifier, PC, TRAY_NOTIFIER, GObject)

PcTrayNotifier *pc_tray_notifier_new           (GActionGroup    *actions);
void            pc_tray_notifier_set_enabled   (PcTrayNotifier  *self,
                                                gboolean         enabled);
void            pc_tray_notifier_update        (PcTrayNotifier  *self,
                                                PcClient        *client);
void            pc_tray_notifier_show_message  (PcTrayNotifier  *self,
                                                const char      *icon_name,
                                                const char      *summary,
                                                const char      *body);

G_END_DECLS
