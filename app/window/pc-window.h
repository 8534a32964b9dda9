/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "pc-client.h"

G_BEGIN_DECLS

#define PC_TYPE_WINDOW (pc_window_get_type ())

G_DECLARE_FINAL_TYPE (PcWindow, pc_window, PC, WINDOW, AdwApplicationWindow)

PcWindow *pc_window_new          (AdwApplication *application,
                                  PcClient       *client);
void      pc_window_add_toast    (PcWindow       *self,
                                  AdwToast       *toast);
gboolean  pc_window_show_module  (PcWindow       *self,
                                  const char     *kind);

/* Opens uri in the user's browser when it is http(s); otherwise tells the
 * user it was refused. Shared with the More window's Report an Issue. */
void      pc_show_web_uri        (GtkWindow      *parent,
                                  const char     *uri,
                                  void          (*report) (GtkWindow *, const char *));

G_END_DECLS
