/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>

#include "pc-error.h"

static const GDBusErrorEntry error_entries[] = {
  { PC_ERROR_NOT_ALLOWED,       "io.github.Portcullis1.Error.NotAllowed" },
  { PC_ERROR_PASSWORD_REQUIRED, "io.github.Portcullis1.Error.PasswordRequired" },
  { PC_ERROR_WRONG_PASSWORD,    "io.github.Portcullis1.Error.WrongPassword" },
  { PC_ERROR_INVALID_ARGS,      "io.github.Portcullis1.Error.InvalidArgs" },
  { PC_ERROR_RATE_LIMITED,      "io.github.Portcullis1.Error.RateLimited" },
  { PC_ERROR_FAILED,            "io.github.Portcullis1.Error.Failed" },
};

GQuark
pc_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("portcullis-error-quark",
                                      &quark,
                                      error_entries,
                                      G_N_ELEMENTS (error_entries));
  return (GQuark) quark;
}

/*
 * The message to show a person: without the "GDBus.Error:name: " prefix
 * that remote errors carry. Free with g_free().
 */
char *
pc_error_dup_message (const GError *error)
{
  g_autoptr(GError) copy = NULL;

  g_return_val_if_fail (error != NULL, NULL);

  copy = g_error_copy (error);
  g_dbus_error_strip_remote_error (copy);
  return g_strdup (copy->message);
}
