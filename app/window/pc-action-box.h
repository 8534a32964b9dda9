/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PC_TYPE_ACTION_BOX (pc_action_box_get_type ())

G_DECLARE_FINAL_TYPE (PcActionBox, pc_action_box, PC, ACTION_BOX, GtkWidget)

G_END_DECLS
