/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pc-probe.h"
#include "pc-profile.h"

G_BEGIN_DECLS

typedef enum
{
  PC_AUTH_NOT_NEEDED,     /* the profile names no identity provider */
  PC_AUTH_SIGNED_OUT,     /* no token, no sign-in running */
  PC_AUTH_PENDING,        /* a device flow waits for the user */
  PC_AUTH_AUTHENTICATED,
  PC_AUTH_FAILED,
} PcAuthState;

#define PC_TYPE_AUTH (pc_auth_get_type ())

G_DECLARE_FINAL_TYPE (PcAuth, pc_auth, PC, AUTH, GObject)

PcAuth         *pc_auth_new            (const char           *state_dir);
void            pc_auth_set_profile    (PcAuth               *self,
                                        PcProfile            *profile,
                                        GTlsDatabase         *extra_roots);
PcAuthState     pc_auth_get_state      (PcAuth               *self);
PcProbeResult  *pc_auth_dup_problem    (PcAuth               *self,
                                        gboolean              internet_security);
void            pc_auth_start_async    (PcAuth               *self,
                                        const char           *user,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
char           *pc_auth_start_finish   (PcAuth               *self,
                                        GAsyncResult         *result,
                                        GError              **error);
void            pc_auth_forget         (PcAuth               *self);

G_END_DECLS
