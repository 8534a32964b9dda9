/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pc-catalog.h"

G_BEGIN_DECLS

char       *pc_format_duration          (GTimeSpan    span);
char       *pc_format_bytes             (guint64      bytes);
const char *pc_format_auth_status       (const char  *auth_status);
const char *pc_format_network_type      (const char  *network_type);
const char *pc_format_network           (const char  *network);
const char *pc_format_fail_mode         (const char  *fail_mode);
char       *pc_format_report            (GVariant    *report);
const char *pc_format_severity_icon     (PcSeverity   severity);
const char *pc_format_severity_style    (PcSeverity   severity);
gboolean    pc_format_is_email          (const char  *contact);

G_END_DECLS
