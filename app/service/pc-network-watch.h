/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PC_TYPE_NETWORK_WATCH (pc_network_watch_get_type ())

G_DECLARE_FINAL_TYPE (PcNetworkWatch, pc_network_watch, PC, NETWORK_WATCH, GObject)

PcNetworkWatch *pc_network_watch_new        (void);
gboolean        pc_network_watch_get_usable (PcNetworkWatch *self);
const char     *pc_network_watch_get_reason (PcNetworkWatch *self);

G_END_DECLS
