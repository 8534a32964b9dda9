/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "pc-ctl-format.h"

/* Accepted beside the full names, so `portcullisctl retry is` works. */
static const struct
{
  const char   *alias;
  PcModuleKind  kind;
} module_aliases[] = {
  { "is", PC_MODULE_INTERNET_SECURITY },
  { "pa", PC_MODULE_PRIVATE_ACCESS },
  { "dx", PC_MODULE_DIGITAL_EXPERIENCE },
  { "internet-security", PC_MODULE_INTERNET_SECURITY },
  { "private-access", PC_MODULE_PRIVATE_ACCESS },
  { "digital-experience", PC_MODULE_DIGITAL_EXPERIENCE },
};

/* Status values that are not problems: they have no buttons. */
static const char * const plain_statuses[] = {
  "on", "connecting", "off", "disabled",
};

gboolean
pc_ctl_parse_module_name (const char   *name,
                          PcModuleKind *kind)
{
  if (name == NULL)
    return FALSE;

  if (pc_module_kind_from_string (name, kind))
    return TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (module_aliases); i++)
    if (g_ascii_strcasecmp (name, module_aliases[i].alias) == 0)
      {
        if (kind != NULL)
          *kind = module_aliases[i].kind;
        return TRUE;
      }

  return FALSE;
}

/* In the order the window shows them: Open Browser before Retry. */
static const struct
{
  PcActions   action;
  const char *id;
  const char *label;
} action_names[] = {
  { PC_ACTION_OPEN_BROWSER, "open-browser", N_("Open Browser") },
  { PC_ACTION_RETRY,        "retry",        N_("Retry") },
  { PC_ACTION_AUTHENTICATE, "authenticate", N_("Authenticate") },
};

char *
pc_ctl_format_actions (PcActions actions)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (action_names); i++)
    if (actions & action_names[i].action)
      {
        if (text->len > 0)
          g_string_append (text, ", ");
        g_string_append (text, _(action_names[i].label));
      }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

GStrv
pc_ctl_dup_action_ids (PcActions actions)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < G_N_ELEMENTS (action_names); i++)
    if (actions & action_names[i].action)
      g_strv_builder_add (builder, action_names[i].id);

  return g_strv_builder_end (builder);
}

/* Every cached property, in the order the interface declares them. */
GVariant *
pc_ctl_proxy_dup_properties (GDBusProxy *proxy)
{
  GDBusInterfaceInfo *info = g_dbus_proxy_get_interface_info (proxy);
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  for (guint i = 0; info != NULL && info->properties != NULL && info->properties[i] != NULL; i++)
    {
      g_autoptr(GVariant) value =
        g_dbus_proxy_get_cached_property (proxy, info->properties[i]->name);

      if (value != NULL)
        g_variant_builder_add (&builder, "{sv}", info->properties[i]->name, value);
    }

  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static const char *
lookup_string (GVariant   *dictionary,
               const char *key)
{
  const char *value = NULL;

  if (dictionary == NULL ||
      !g_variant_lookup (dictionary, key, "&s", &value))
    return "";

  return value;
}

static PcModuleKind
module_get_kind (GVariant *module_properties)
{
  PcModuleKind kind = PC_MODULE_INTERNET_SECURITY;

  pc_module_kind_from_string (lookup_string (module_properties, "Kind"), &kind);
  return kind;
}

static gboolean
module_kind_is_known (GVariant *module_properties)
{
  return pc_module_kind_from_string (lookup_string (module_properties, "Kind"), NULL);
}

PcActions
pc_ctl_module_get_actions (GVariant *module_properties)
{
  const char *status = lookup_string (module_properties, "Status");
  const char *error = lookup_string (module_properties, "Error");

  if (*error != '\0')
    return pc_catalog_get_actions (error, module_get_kind (module_properties));

  /* "error" without a code, or a status from a newer service: the
   * catalog's unknown entry, as the title shows it. */
  if (*status == '\0' || g_strv_contains (plain_statuses, status))
    return PC_ACTION_NONE;

  return pc_catalog_get_actions (status, module_get_kind (module_properties));
}

char *
pc_ctl_module_dup_title (GVariant *module_properties)
{
  return pc_status_dup_title (lookup_string (module_properties, "Status"),
                              lookup_string (module_properties, "Error"),
                              lookup_string (module_properties, "ErrorDetail"));
}

PcSeverity
pc_ctl_module_get_severity (GVariant *module_properties)
{
  return pc_status_get_severity (lookup_string (module_properties, "Status"),
                                 lookup_string (module_properties, "Error"));
}

static const char *
module_get_display_name (GVariant *module_properties)
{
  if (module_kind_is_known (module_properties))
    return pc_module_kind_get_title (module_get_kind (module_properties));

  /* A module kind from a newer service: its raw name is all we have. */
  return lookup_string (module_properties, "Kind");
}

static const char *
bus_type_label (const char *bus_name)
{
  if (g_strcmp0 (bus_name, "session") == 0)
    return _("session bus");
  return _("system bus");
}

static const char *
or_dash (const char *text)
{
  return (text != NULL && *text != '\0') ? text : "-";
}

static void
append_padded (GString    *out,
               const char *text,
               gsize       width)
{
  gsize len = g_utf8_strlen (text, -1);

  g_string_append (out, text);
  for (gsize i = len; i < width; i++)
    g_string_append_c (out, ' ');
}

/* Columns separated by two spaces, each as wide as its widest cell; the
 * last column is not padded, so lines carry no trailing blanks. */
static void
append_table (GString   *out,
              GPtrArray *rows,
              guint      n_columns)
{
  g_autofree gsize *widths = g_new0 (gsize, n_columns);

  for (guint r = 0; r < rows->len; r++)
    {
      const char * const *cells = g_ptr_array_index (rows, r);

      for (guint c = 0; c < n_columns; c++)
        widths[c] = MAX (widths[c], g_utf8_strlen (cells[c], -1));
    }

  for (guint r = 0; r < rows->len; r++)
    {
      const char * const *cells = g_ptr_array_index (rows, r);

      for (guint c = 0; c < n_columns; c++)
        {
          if (c + 1 < n_columns)
            {
              append_padded (out, cells[c], widths[c]);
              g_string_append (out, "  ");
            }
          else
            g_string_append (out, cells[c]);
        }
      g_string_append_c (out, '\n');
    }
}

char *
pc_ctl_format_status (GVariant   *manager_properties,
                      GPtrArray  *module_properties,
                      const char *bus_name)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GPtrArray) header = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autofree char *service = NULL;
  const char *user;

  g_return_val_if_fail (module_properties != NULL, NULL);

  /* Translators: "Portcullis 0.1.0 (session bus)" */
  service = g_strdup_printf (_("Portcullis %s (%s)"),
                             or_dash (lookup_string (manager_properties, "Version")),
                             bus_type_label (bus_name));
  user = lookup_string (manager_properties, "User");

#define HEADER_ROW(label, value) \
  g_ptr_array_add (header, g_strdupv ((char *[]) { (char *) (label), (char *) (value), NULL }))

  HEADER_ROW (_("Service:"), service);
  HEADER_ROW (_("User:"), *user != '\0' ? user : _("(logged out)"));
  HEADER_ROW (_("Profile:"), or_dash (lookup_string (manager_properties, "Profile")));
  HEADER_ROW (_("Network:"), or_dash (lookup_string (manager_properties, "Network")));
  HEADER_ROW (_("Network type:"), or_dash (lookup_string (manager_properties, "NetworkType")));
  HEADER_ROW (_("Log level:"), or_dash (lookup_string (manager_properties, "LogLevel")));

#undef HEADER_ROW

  append_table (out, header, 2);
  g_string_append_c (out, '\n');

  if (module_properties->len == 0)
    {
      g_string_append (out, _("No modules are enabled in this profile."));
      g_string_append_c (out, '\n');
      return g_string_free (g_steal_pointer (&out), FALSE);
    }

  g_ptr_array_add (rows, g_strdupv ((char *[]) {
                     _("MODULE"), _("STATUS"), _("MESSAGE"), _("DETAIL"),
                     _("FAIL MODE"), _("BUTTONS"), NULL }));

  for (guint i = 0; i < module_properties->len; i++)
    {
      GVariant *module = g_ptr_array_index (module_properties, i);
      g_autofree char *title = pc_ctl_module_dup_title (module);
      g_autofree char *actions = pc_ctl_format_actions (pc_ctl_module_get_actions (module));

      g_ptr_array_add (rows, g_strdupv ((char *[]) {
                         (char *) or_dash (module_get_display_name (module)),
                         (char *) or_dash (lookup_string (module, "Status")),
                         (char *) or_dash (title),
                         (char *) or_dash (lookup_string (module, "ErrorDetail")),
                         (char *) or_dash (lookup_string (module, "FailMode")),
                         (char *) or_dash (actions),
                         NULL }));
    }

  append_table (out, rows, 6);

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static json_object *
strv_to_json (const char * const *strv)
{
  json_object *array = json_object_new_array ();

  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_object_array_add (array, json_object_new_string (strv[i]));

  return array;
}

static void
add_derived_module_fields (json_object *object,
                           GVariant    *module)
{
  g_autofree char *title = pc_ctl_module_dup_title (module);
  g_auto(GStrv) actions = pc_ctl_dup_action_ids (pc_ctl_module_get_actions (module));

  json_object_object_add (object, "module",
                          json_object_new_string (lookup_string (module, "Kind")));
  json_object_object_add (object, "name",
                          json_object_new_string (module_get_display_name (module)));
  json_object_object_add (object, "title", json_object_new_string (title));
  json_object_object_add (object, "severity",
                          json_object_new_string (pc_severity_to_string (pc_ctl_module_get_severity (module))));
  json_object_object_add (object, "actions", strv_to_json ((const char * const *) actions));
}

/*
 * { "bus": ..., "service": ..., "severity": worst of the modules,
 *   "manager": { every Manager property },
 *   "modules": [ { every Module property (D-Bus names), plus the derived
 *                  "module", "name", "title", "severity", "actions" } ] }
 */
json_object *
pc_ctl_status_to_json (GVariant   *manager_properties,
                       GPtrArray  *module_properties,
                       const char *bus_name)
{
  g_autoptr(json_object) root = json_object_new_object ();
  json_object *modules = json_object_new_array ();
  PcSeverity worst = PC_SEVERITY_OFF;

  g_return_val_if_fail (module_properties != NULL, NULL);

  for (guint i = 0; i < module_properties->len; i++)
    {
      GVariant *module = g_ptr_array_index (module_properties, i);
      json_object *object = pc_ctl_variant_to_json (module);

      add_derived_module_fields (object, module);
      json_object_array_add (modules, object);

      if (i == 0)
        worst = pc_ctl_module_get_severity (module);
      else
        worst = MAX (worst, pc_ctl_module_get_severity (module));
    }

  json_object_object_add (root, "bus", json_object_new_string (bus_name));
  json_object_object_add (root, "service", json_object_new_string ("io.github.Portcullis1"));
  json_object_object_add (root, "severity",
                          json_object_new_string (pc_severity_to_string (worst)));
  json_object_object_add (root, "manager",
                          manager_properties != NULL
                          ? pc_ctl_variant_to_json (manager_properties)
                          : json_object_new_object ());
  json_object_object_add (root, "modules", modules);

  return g_steal_pointer (&root);
}

static gboolean
is_string_keyed_dictionary (GVariant *value)
{
  const GVariantType *type = g_variant_get_type (value);

  return g_variant_type_is_dict_entry (g_variant_type_element (type)) &&
         g_variant_type_equal (g_variant_type_key (g_variant_type_element (type)),
                               G_VARIANT_TYPE_STRING);
}

json_object *
pc_ctl_variant_to_json (GVariant *value)
{
  g_return_val_if_fail (value != NULL, NULL);

  switch (g_variant_classify (value))
    {
    case G_VARIANT_CLASS_BOOLEAN:
      return json_object_new_boolean (g_variant_get_boolean (value));
    case G_VARIANT_CLASS_BYTE:
      return json_object_new_int64 (g_variant_get_byte (value));
    case G_VARIANT_CLASS_INT16:
      return json_object_new_int64 (g_variant_get_int16 (value));
    case G_VARIANT_CLASS_UINT16:
      return json_object_new_int64 (g_variant_get_uint16 (value));
    case G_VARIANT_CLASS_INT32:
      return json_object_new_int64 (g_variant_get_int32 (value));
    case G_VARIANT_CLASS_UINT32:
      return json_object_new_int64 (g_variant_get_uint32 (value));
    case G_VARIANT_CLASS_HANDLE:
      return json_object_new_int64 (g_variant_get_handle (value));
    case G_VARIANT_CLASS_INT64:
      return json_object_new_int64 (g_variant_get_int64 (value));
    case G_VARIANT_CLASS_UINT64:
      return json_object_new_uint64 (g_variant_get_uint64 (value));
    case G_VARIANT_CLASS_DOUBLE:
      return json_object_new_double (g_variant_get_double (value));
    case G_VARIANT_CLASS_STRING:
    case G_VARIANT_CLASS_OBJECT_PATH:
    case G_VARIANT_CLASS_SIGNATURE:
      return json_object_new_string (g_variant_get_string (value, NULL));
    case G_VARIANT_CLASS_VARIANT:
      {
        g_autoptr(GVariant) inner = g_variant_get_variant (value);
        return pc_ctl_variant_to_json (inner);
      }
    case G_VARIANT_CLASS_MAYBE:
      {
        g_autoptr(GVariant) inner = g_variant_get_maybe (value);
        return inner != NULL ? pc_ctl_variant_to_json (inner) : NULL;
      }
    case G_VARIANT_CLASS_ARRAY:
      if (is_string_keyed_dictionary (value))
        {
          json_object *object = json_object_new_object ();
          GVariantIter iter;
          const char *key;
          GVariant *item;

          g_variant_iter_init (&iter, value);
          while (g_variant_iter_next (&iter, "{&s@*}", &key, &item))
            {
              json_object_object_add (object, key, pc_ctl_variant_to_json (item));
              g_variant_unref (item);
            }
          return object;
        }
      G_GNUC_FALLTHROUGH;
    case G_VARIANT_CLASS_TUPLE:
    case G_VARIANT_CLASS_DICT_ENTRY:
    default:
      {
        json_object *array = json_object_new_array ();
        gsize n = g_variant_n_children (value);

        for (gsize i = 0; i < n; i++)
          {
            g_autoptr(GVariant) child = g_variant_get_child_value (value, i);
            json_object_array_add (array, pc_ctl_variant_to_json (child));
          }
        return array;
      }
    }
}

/* One value the way a person reads it: strings bare, booleans as yes/no,
 * lists comma-separated; anything else in GVariant text form. */
char *
pc_ctl_format_value (GVariant *value)
{
  g_autoptr(GVariant) unboxed = NULL;

  g_return_val_if_fail (value != NULL, NULL);

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT))
    {
      unboxed = g_variant_get_variant (value);
      return pc_ctl_format_value (unboxed);
    }

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) ||
      g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH))
    {
      const char *text = g_variant_get_string (value, NULL);
      return g_strdup (*text != '\0' ? text : _("(empty)"));
    }

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    return g_strdup (g_variant_get_boolean (value) ? _("yes") : _("no"));

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING_ARRAY))
    {
      g_autofree const char **strv = g_variant_get_strv (value, NULL);

      if (strv[0] == NULL)
        return g_strdup (_("(none)"));
      return g_strjoinv (", ", (char **) strv);
    }

  return g_variant_print (value, FALSE);
}

static void
append_dictionary (GString  *out,
                   GVariant *dictionary,
                   guint     indent)
{
  GVariantIter iter;
  const char *key;
  GVariant *item;
  gsize width = 0;

  g_variant_iter_init (&iter, dictionary);
  while (g_variant_iter_next (&iter, "{&s@*}", &key, &item))
    {
      width = MAX (width, g_utf8_strlen (key, -1) + 1);
      g_variant_unref (item);
    }

  g_variant_iter_init (&iter, dictionary);
  while (g_variant_iter_next (&iter, "{&s@*}", &key, &item))
    {
      g_autoptr(GVariant) owned = item;
      g_autoptr(GVariant) unboxed = NULL;
      g_autofree char *label = g_strconcat (key, ":", NULL);

      if (g_variant_is_of_type (item, G_VARIANT_TYPE_VARIANT))
        unboxed = g_variant_get_variant (item);
      else
        unboxed = g_variant_ref (item);

      for (guint i = 0; i < indent; i++)
        g_string_append_c (out, ' ');

      if (g_variant_is_of_type (unboxed, G_VARIANT_TYPE ("a{s*}")) &&
          g_variant_n_children (unboxed) > 0)
        {
          g_string_append (out, label);
          g_string_append_c (out, '\n');
          append_dictionary (out, unboxed, indent + 2);
        }
      else if (g_variant_is_of_type (unboxed, G_VARIANT_TYPE_STRING_ARRAY) &&
               g_variant_n_children (unboxed) > 1)
        {
          g_autofree const char **items = g_variant_get_strv (unboxed, NULL);

          /* Sentences may hold commas: one item per line. */
          g_string_append (out, label);
          g_string_append_c (out, '\n');
          for (guint i = 0; items[i] != NULL; i++)
            {
              for (guint j = 0; j < indent + 2; j++)
                g_string_append_c (out, ' ');
              g_string_append_printf (out, "- %s\n", items[i]);
            }
        }
      else
        {
          g_autofree char *text = pc_ctl_format_value (unboxed);

          append_padded (out, label, width);
          g_string_append_c (out, ' ');
          g_string_append (out, text);
          g_string_append_c (out, '\n');
        }
    }
}

/* An a{sv} (the Policy, a repair report) as aligned "key: value" lines,
 * nested dictionaries indented below their key. */
char *
pc_ctl_format_dictionary (GVariant *dictionary)
{
  g_autoptr(GString) out = g_string_new (NULL);

  g_return_val_if_fail (dictionary != NULL, NULL);
  g_return_val_if_fail (g_variant_is_of_type (dictionary, G_VARIANT_TYPE ("a{s*}")), NULL);

  if (g_variant_n_children (dictionary) == 0)
    {
      g_string_append (out, _("(empty)"));
      g_string_append_c (out, '\n');
    }
  else
    append_dictionary (out, dictionary, 0);

  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
pc_ctl_format_timestamp (GDateTime *time)
{
  g_autofree char *seconds = g_date_time_format (time, "%Y-%m-%d %H:%M:%S");

  return g_strdup_printf ("%s.%03d", seconds, g_date_time_get_microsecond (time) / 1000);
}

static gboolean
property_changes_title (const char *property)
{
  return g_str_equal (property, "Status") ||
         g_str_equal (property, "Error") ||
         g_str_equal (property, "ErrorDetail");
}

/* "2026-11-26 10:20:31.123  internet_security.Error = 'connection-error'  (now: Connection Error)" */
char *
pc_ctl_format_change (GDateTime  *time,
                      const char *object,
                      const char *property,
                      GVariant   *value,
                      GVariant   *module_properties)
{
  g_autofree char *stamp = pc_ctl_format_timestamp (time);
  g_autofree char *printed = NULL;
  g_autoptr(GString) out = g_string_new (NULL);

  /* Since is µs of realtime: shown as a time a person can read. */
  if (g_str_equal (property, "Since") && g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
    {
      gint64 usec = (gint64) g_variant_get_uint64 (value);
      g_autoptr(GDateTime) seconds = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);
      g_autoptr(GDateTime) since = NULL;

      if (seconds != NULL)
        since = g_date_time_add (seconds, usec % G_USEC_PER_SEC);
      if (since != NULL)
        printed = pc_ctl_format_timestamp (since);
    }
  if (printed == NULL)
    printed = g_variant_print (value, FALSE);

  g_string_append_printf (out, "%s  %s.%s = %s", stamp, object, property, printed);

  if (module_properties != NULL && property_changes_title (property))
    {
      g_autofree char *title = pc_ctl_module_dup_title (module_properties);

      /* Translators: appended to a watch line, the module's status message */
      g_string_append_printf (out, _("  (now: %s)"), title);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

json_object *
pc_ctl_change_to_json (GDateTime  *time,
                       const char *object,
                       const char *property,
                       GVariant   *value,
                       GVariant   *module_properties)
{
  g_autoptr(json_object) line = json_object_new_object ();
  g_autofree char *stamp = g_date_time_format_iso8601 (time);

  json_object_object_add (line, "time", json_object_new_string (stamp));
  json_object_object_add (line, "event", json_object_new_string ("changed"));
  json_object_object_add (line, "object", json_object_new_string (object));
  json_object_object_add (line, "property", json_object_new_string (property));
  json_object_object_add (line, "value", pc_ctl_variant_to_json (value));

  if (module_properties != NULL)
    add_derived_module_fields (line, module_properties);

  return g_steal_pointer (&line);
}
