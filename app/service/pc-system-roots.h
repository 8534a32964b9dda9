/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PC_TYPE_SYSTEM_ROOTS (pc_system_roots_get_type ())

G_DECLARE_FINAL_TYPE (PcSystemRoots, pc_system_roots, PC, SYSTEM_ROOTS, GTlsDatabase)

void pc_system_roots_install (void);

G_END_DECLS
