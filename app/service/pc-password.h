/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean pc_password_check (const char  *hash,
                            const char  *password);

G_END_DECLS
