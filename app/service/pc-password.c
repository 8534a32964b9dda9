/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <crypt.h>
#include <string.h>

#include "pc-password.h"

/*
 * Checks a password against a crypt(3) hash (yescrypt, SHA-512, ...).
 * Called from the D-Bus authorization thread, so it may take the tens of
 * milliseconds a strong hash costs without stalling the main loop.
 */
gboolean
pc_password_check (const char *hash,
                   const char *password)
{
  g_autofree struct crypt_data *data = NULL;
  const char *computed;
  size_t len;
  unsigned char diff = 0;

  if (hash == NULL || password == NULL)
    return FALSE;

  data = g_new0 (struct crypt_data, 1);
  computed = crypt_rn (password, hash, data, sizeof *data);
  if (computed == NULL || computed[0] == '*')
    return FALSE;

  len = strlen (hash);
  if (strlen (computed) != len)
    return FALSE;

  /* Constant time, so the comparison leaks nothing about the hash. */
  for (size_t i = 0; i < len; i++)
    diff |= (unsigned char) (computed[i] ^ hash[i]);

  return diff == 0;
}
