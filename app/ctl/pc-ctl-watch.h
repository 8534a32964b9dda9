/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Follows the service until interrupted; returns a PcCtlExit. count: stop
 * after that many property changes (0: no limit); timeout_s: stop after
 * that many seconds (0: no limit). */
int  pc_ctl_watch_run  (GBusType  bus_type,
                        gboolean  json,
                        guint     count,
                        guint     timeout_s);

G_END_DECLS
