/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "pc-client.h"

G_BEGIN_DECLS

#define PC_TYPE_MORE_WINDOW (pc_more_window_get_type ())

G_DECLARE_FINAL_TYPE (PcMoreWindow, pc_more_window, PC, MORE_WINDOW, AdwPreferencesWindow)

PcMoreWindow *pc_more_window_new  (PcClient     *client);
void          pc_more_window_sync (PcMoreWindow *self);

G_END_DECLS
