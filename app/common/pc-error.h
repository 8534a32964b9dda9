/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Each code travels on the bus as io.github.Portcullis1.Error.<Name>. */
typedef enum
{
  PC_ERROR_NOT_ALLOWED,
  PC_ERROR_PASSWORD_REQUIRED,
  PC_ERROR_WRONG_PASSWORD,
  PC_ERROR_INVALID_ARGS,
  PC_ERROR_RATE_LIMITED,
  PC_ERROR_FAILED,
} PcError;

#define PC_ERROR (pc_error_quark ())

GQuark      pc_error_quark        (void);
char       *pc_error_dup_message  (const GError *error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
