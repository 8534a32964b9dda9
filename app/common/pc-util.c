/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "pc-util.h"

/*
 * URLs come from the service (portal redirect targets, IdP verification
 * pages); only web URLs are handed to a browser, never file:, javascript:
 * or a custom scheme that could start another program.
 */
gboolean
pc_uri_is_web (const char *uri)
{
  g_autoptr(GUri) parsed = NULL;
  const char *scheme;

  if (uri == NULL || *uri == '\0')
    return FALSE;

  parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  if (parsed == NULL)
    return FALSE;

  scheme = g_uri_get_scheme (parsed);
  if (g_ascii_strcasecmp (scheme, "http") != 0 &&
      g_ascii_strcasecmp (scheme, "https") != 0)
    return FALSE;

  return g_uri_get_host (parsed) != NULL && *g_uri_get_host (parsed) != '\0';
}

/*
 * The service lives on the system bus in production; development, the
 * demo and tests run it on the session bus and set PORTCULLIS_BUS=session.
 */
GBusType
pc_bus_type_from_environment (void)
{
  const char *bus = g_getenv ("PORTCULLIS_BUS");

  if (g_strcmp0 (bus, "session") == 0)
    return G_BUS_TYPE_SESSION;

  return G_BUS_TYPE_SYSTEM;
}

/*
 * Writes atomically (temporary file, fsync, rename) with mode 0600, so a
 * crash leaves either the old or the new contents and secrets stay private.
 */
gboolean
pc_file_set_contents_private (const char  *path,
                              const char  *contents,
                              gssize       length,
                              GError     **error)
{
  return g_file_set_contents_full (path, contents, length,
                                   G_FILE_SET_CONTENTS_CONSISTENT,
                                   0600, error);
}
