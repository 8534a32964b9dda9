/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json.h>

#include "pc-catalog.h"

G_BEGIN_DECLS

#define PC_PROFILE_ERROR (pc_profile_error_quark ())

/* A larger profile is refused without being read whole. */
#define PC_PROFILE_MAX_SIZE (1024 * 1024)

typedef enum
{
  PC_PROFILE_ERROR_READ,     /* the file cannot be read, or is too large */
  PC_PROFILE_ERROR_PARSE,    /* not UTF-8, not JSON, not an object */
  PC_PROFILE_ERROR_INVALID,  /* a key with the wrong type or a bad value */
} PcProfileError;

typedef enum
{
  PC_TUNNEL_PROXY,
  PC_TUNNEL_TUN,
} PcTunnelMode;

#define PC_TYPE_PROFILE (pc_profile_get_type ())

G_DECLARE_FINAL_TYPE (PcProfile, pc_profile, PC, PROFILE, GObject)

GQuark              pc_profile_error_quark          (void);

PcProfile          *pc_profile_new_from_file        (const char    *path,
                                                     GError       **error);
PcProfile          *pc_profile_new_from_data        (const char    *path,
                                                     const char    *data,
                                                     gsize          length,
                                                     GError       **error);

const char         *pc_profile_get_path             (PcProfile     *self);
const char * const *pc_profile_get_warnings         (PcProfile     *self);

/* Values by dotted key ("internet_security.edge"), defaults applied.
 * Strings are NULL when unset and have no default; lists are empty, never
 * NULL. File keys (ca_file, auth.ca_file, ...) come back as absolute
 * paths, resolved against the profile's folder. */
const char         *pc_profile_get_string           (PcProfile     *self,
                                                     const char    *key);
gboolean            pc_profile_get_boolean          (PcProfile     *self,
                                                     const char    *key);
gint64              pc_profile_get_int              (PcProfile     *self,
                                                     const char    *key);
const char * const *pc_profile_get_strv             (PcProfile     *self,
                                                     const char    *key);
GHashTable         *pc_profile_get_resolve_table    (PcProfile     *self);

const char         *pc_profile_get_name             (PcProfile     *self);
gboolean            pc_profile_get_module_enabled   (PcProfile     *self,
                                                     PcModuleKind   kind);
PcTunnelMode        pc_profile_get_tunnel_mode      (PcProfile     *self);

GVariant           *pc_profile_build_policy         (PcProfile     *self);
json_object        *pc_profile_dup_redacted_json    (PcProfile     *self);

G_END_DECLS
