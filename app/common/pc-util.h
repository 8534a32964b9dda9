/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_object, json_object_put)

#define PC_BUS_NAME     "io.github.Portcullis1"
#define PC_OBJECT_PATH  "/io/github/Portcullis1"
#define PC_MODULE_PATH  "/io/github/Portcullis1/module/"
#define PC_APP_ID       "io.github.Portcullis"

gboolean  pc_uri_is_web                (const char  *uri);
GBusType  pc_bus_type_from_environment (void);
gboolean  pc_file_set_contents_private (const char  *path,
                                        const char  *contents,
                                        gssize       length,
                                        GError     **error);

G_END_DECLS
