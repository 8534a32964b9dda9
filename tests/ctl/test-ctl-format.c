/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "pc-ctl-format.h"

/* What portcullisctl prints, from property snapshots, without a bus. */

static GVariant *
module_snapshot (const char *kind,
                 const char *status,
                 const char *error,
                 const char *detail,
                 const char *fail_mode)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_variant_builder_add (&builder, "{sv}", "Kind", g_variant_new_string (kind));
  g_variant_builder_add (&builder, "{sv}", "Status", g_variant_new_string (status));
  g_variant_builder_add (&builder, "{sv}", "Error", g_variant_new_string (error));
  g_variant_builder_add (&builder, "{sv}", "ErrorDetail", g_variant_new_string (detail));
  g_variant_builder_add (&builder, "{sv}", "FailMode", g_variant_new_string (fail_mode));
  g_variant_builder_add (&builder, "{sv}", "Since", g_variant_new_uint64 (G_GUINT64_CONSTANT (1795688431913389)));
  g_variant_builder_add (&builder, "{sv}", "BytesSent", g_variant_new_uint64 (G_MAXUINT64));

  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static GVariant *
manager_snapshot (const char *user)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_auto(GVariantBuilder) policy = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_variant_builder_add (&policy, "{sv}", "restart-service", g_variant_new_boolean (TRUE));
  g_variant_builder_add (&policy, "{sv}", "support-contact", g_variant_new_string ("the help desk"));

  g_variant_builder_add (&builder, "{sv}", "Version", g_variant_new_string ("9.8.7"));
  g_variant_builder_add (&builder, "{sv}", "User", g_variant_new_string (user));
  g_variant_builder_add (&builder, "{sv}", "Profile", g_variant_new_string ("Lab"));
  g_variant_builder_add (&builder, "{sv}", "Network", g_variant_new_string ("captive-portal"));
  g_variant_builder_add (&builder, "{sv}", "NetworkType", g_variant_new_string ("trusted"));
  g_variant_builder_add (&builder, "{sv}", "Policy", g_variant_builder_end (&policy));
  g_variant_builder_add (&builder, "{sv}", "LogLevel", g_variant_new_string ("debug"));

  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static void
test_module_names (void)
{
  static const struct { const char *name; PcModuleKind kind; } good[] = {
    { "internet_security", PC_MODULE_INTERNET_SECURITY },
    { "private_access", PC_MODULE_PRIVATE_ACCESS },
    { "digital_experience", PC_MODULE_DIGITAL_EXPERIENCE },
    { "is", PC_MODULE_INTERNET_SECURITY },
    { "PA", PC_MODULE_PRIVATE_ACCESS },
    { "dx", PC_MODULE_DIGITAL_EXPERIENCE },
    { "private-access", PC_MODULE_PRIVATE_ACCESS },
  };
  static const char * const bad[] = { "", "internet", "i", "security", "dxx", "zia" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      PcModuleKind kind = PC_N_MODULES;

      g_assert_true (pc_ctl_parse_module_name (good[i].name, &kind));
      g_assert_cmpint (kind, ==, good[i].kind);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (pc_ctl_parse_module_name (bad[i], NULL));
  g_assert_false (pc_ctl_parse_module_name (NULL, NULL));
}

static void
test_actions (void)
{
  g_autofree char *none = pc_ctl_format_actions (PC_ACTION_NONE);
  g_autofree char *all = pc_ctl_format_actions (PC_ACTION_RETRY | PC_ACTION_OPEN_BROWSER | PC_ACTION_AUTHENTICATE);
  g_auto(GStrv) ids = pc_ctl_dup_action_ids (PC_ACTION_RETRY | PC_ACTION_OPEN_BROWSER);

  g_assert_cmpstr (none, ==, "");
  /* Open Browser first, as DESIGN §4 lists it for a captive portal. */
  g_assert_cmpstr (all, ==, "Open Browser, Retry, Authenticate");
  g_assert_cmpuint (g_strv_length (ids), ==, 2);
  g_assert_cmpstr (ids[0], ==, "open-browser");
  g_assert_cmpstr (ids[1], ==, "retry");
}

static void
test_module_derived (void)
{
  static const struct
  {
    const char *kind, *status, *error, *detail;
    const char *title;
    const char *actions;
    const char *severity;
  } cases[] = {
    { "internet_security", "error", "fail-close", "Driver Error",
      "Fail Close (Driver Error)", "Retry", "error" },
    { "internet_security", "error", "captive-portal-detected", "",
      "Captive Portal Detected", "Open Browser, Retry", NULL },
    { "internet_security", "error", "authentication-error", "",
      "Authentication Error", "Retry", "error" },
    { "private_access", "error", "authentication-error", "",
      "Authentication Error", "Authenticate", "error" },
    { "internet_security", "error", "driver-error", "",
      "Driver Error", "", "error" },
    { "digital_experience", "error", "server-error", "HTTP 503",
      "Server Error", "Retry", "error" },
    { "internet_security", "on", "", "", "On", "", "ok" },
    { "private_access", "disabled", "", "", "Turned Off", "", "off" },
    { "internet_security", "connecting", "authenticating", "",
      "Authenticating...", "", "connecting" },
    /* A code from a newer service: its code and a Retry button. */
    { "internet_security", "error", "tunnel-quota-error", "",
      "Unknown Error (tunnel-quota-error)", "Retry", "error" },
    /* "error" without a code still offers Retry. */
    { "private_access", "error", "", "", "Unknown Error (error)", "Retry", "error" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GVariant) module = module_snapshot (cases[i].kind, cases[i].status,
                                                    cases[i].error, cases[i].detail, "");
      g_autofree char *title = pc_ctl_module_dup_title (module);
      g_autofree char *actions = pc_ctl_format_actions (pc_ctl_module_get_actions (module));

      g_assert_cmpstr (title, ==, cases[i].title);
      g_assert_cmpstr (actions, ==, cases[i].actions);
      if (cases[i].severity != NULL)
        g_assert_cmpstr (pc_severity_to_string (pc_ctl_module_get_severity (module)), ==,
                         cases[i].severity);
    }
}

static GPtrArray *
three_modules (void)
{
  GPtrArray *modules = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  g_ptr_array_add (modules, module_snapshot ("internet_security", "error", "fail-close",
                                             "Driver Error", "fail-close"));
  g_ptr_array_add (modules, module_snapshot ("private_access", "error", "authentication-error",
                                             "", ""));
  g_ptr_array_add (modules, module_snapshot ("digital_experience", "on", "", "", ""));
  return modules;
}

static void
test_status_table (void)
{
  g_autoptr(GVariant) manager = manager_snapshot ("alice@example.org");
  g_autoptr(GPtrArray) modules = three_modules ();
  g_autofree char *text = pc_ctl_format_status (manager, modules, "session");
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  const char *header = NULL;
  const char *is_row = NULL;
  const char *pa_row = NULL;
  const char *dx_row = NULL;
  gsize message_column;
  gsize buttons_column;

  g_test_message ("%s", text);

  g_assert_nonnull (strstr (text, "Service:       Portcullis 9.8.7 (session bus)\n"));
  g_assert_nonnull (strstr (text, "User:          alice@example.org\n"));
  g_assert_nonnull (strstr (text, "Profile:       Lab\n"));
  g_assert_nonnull (strstr (text, "Network:       captive-portal\n"));
  g_assert_nonnull (strstr (text, "Network type:  trusted\n"));
  g_assert_nonnull (strstr (text, "Log level:     debug\n"));

  for (guint i = 0; lines[i] != NULL; i++)
    {
      /* Columns are padded, never the end of a line. */
      gsize len = strlen (lines[i]);
      g_assert_true (len == 0 || lines[i][len - 1] != ' ');

      if (g_str_has_prefix (lines[i], "MODULE"))
        header = lines[i];
      else if (g_str_has_prefix (lines[i], "Internet Security"))
        is_row = lines[i];
      else if (g_str_has_prefix (lines[i], "Private Access"))
        pa_row = lines[i];
      else if (g_str_has_prefix (lines[i], "Digital Experience"))
        dx_row = lines[i];
    }

  g_assert_nonnull (header);
  g_assert_nonnull (is_row);
  g_assert_nonnull (pa_row);
  g_assert_nonnull (dx_row);

  /* Every cell starts under its heading. */
  message_column = strstr (header, "MESSAGE") - header;
  buttons_column = strstr (header, "BUTTONS") - header;
  g_assert_cmpuint (strstr (is_row, "Fail Close (Driver Error)") - is_row, ==, message_column);
  g_assert_cmpuint (strstr (pa_row, "Authentication Error") - pa_row, ==, message_column);
  g_assert_cmpuint (strstr (dx_row, "On ") - dx_row, ==, message_column);
  g_assert_cmpuint (strstr (is_row, "Retry") - is_row, ==, buttons_column);
  g_assert_cmpuint (strstr (pa_row, "Authenticate") - pa_row, ==, buttons_column);
  g_assert_true (g_str_has_suffix (dx_row, "-"));
  g_assert_nonnull (strstr (is_row, "  Driver Error  fail-close  "));
}

static void
test_status_table_logged_out_no_modules (void)
{
  g_autoptr(GVariant) manager = manager_snapshot ("");
  g_autoptr(GPtrArray) modules = g_ptr_array_new ();
  g_autofree char *text = pc_ctl_format_status (manager, modules, "system");

  g_assert_nonnull (strstr (text, "(system bus)"));
  g_assert_nonnull (strstr (text, "User:          (logged out)\n"));
  g_assert_nonnull (strstr (text, "No modules are enabled in this profile.\n"));
  g_assert_null (strstr (text, "MODULE"));
}

static void
test_status_json (void)
{
  g_autoptr(GVariant) manager = manager_snapshot ("alice");
  g_autoptr(GPtrArray) modules = three_modules ();
  g_autoptr(json_object) root = pc_ctl_status_to_json (manager, modules, "session");
  g_autoptr(json_object) reparsed = json_tokener_parse (json_object_to_json_string (root));
  json_object *object;
  json_object *module;
  json_object *actions;

  g_assert_nonnull (reparsed);
  g_assert_true (json_object_object_get_ex (reparsed, "bus", &object));
  g_assert_cmpstr (json_object_get_string (object), ==, "session");
  g_assert_true (json_object_object_get_ex (reparsed, "severity", &object));
  g_assert_cmpstr (json_object_get_string (object), ==, "error");

  g_assert_true (json_object_object_get_ex (reparsed, "manager", &object));
  g_assert_cmpstr (json_object_get_string (json_object_object_get (object, "User")), ==, "alice");
  g_assert_true (json_object_get_boolean (json_object_object_get (json_object_object_get (object, "Policy"),
                                                                  "restart-service")));

  g_assert_true (json_object_object_get_ex (reparsed, "modules", &object));
  g_assert_cmpuint (json_object_array_length (object), ==, 3);
  module = json_object_array_get_idx (object, 0);
  g_assert_cmpstr (json_object_get_string (json_object_object_get (module, "Kind")), ==, "internet_security");
  g_assert_cmpstr (json_object_get_string (json_object_object_get (module, "module")), ==, "internet_security");
  g_assert_cmpstr (json_object_get_string (json_object_object_get (module, "name")), ==, "Internet Security");
  g_assert_cmpstr (json_object_get_string (json_object_object_get (module, "title")), ==, "Fail Close (Driver Error)");
  g_assert_cmpstr (json_object_get_string (json_object_object_get (module, "ErrorDetail")), ==, "Driver Error");
  g_assert_cmpstr (json_object_get_string (json_object_object_get (module, "severity")), ==, "error");
  /* A t keeps its full range. */
  g_assert_cmpuint (json_object_get_uint64 (json_object_object_get (module, "BytesSent")), ==, G_MAXUINT64);
  actions = json_object_object_get (module, "actions");
  g_assert_cmpuint (json_object_array_length (actions), ==, 1);
  g_assert_cmpstr (json_object_get_string (json_object_array_get_idx (actions, 0)), ==, "retry");

  module = json_object_array_get_idx (object, 2);
  g_assert_cmpstr (json_object_get_string (json_object_object_get (module, "title")), ==, "On");
  g_assert_cmpuint (json_object_array_length (json_object_object_get (module, "actions")), ==, 0);
}

static void
test_variant_to_json (void)
{
  g_autoptr(GVariant) value =
    g_variant_ref_sink (g_variant_new_parsed ("{'flag': <true>, 'count': <int32 -3>, "
                                              "'big': <uint64 18446744073709551615>, "
                                              "'ratio': <0.5>, 'list': <['a', 'b']>, "
                                              "'nested': <{'inner': <'x'>}>, "
                                              "'pair': <('s', uint32 7)>, 'boxed': <<'deep'>>}"));
  g_autoptr(json_object) object = pc_ctl_variant_to_json (value);

  g_assert_true (json_object_is_type (json_object_object_get (object, "flag"), json_type_boolean));
  g_assert_cmpint (json_object_get_int64 (json_object_object_get (object, "count")), ==, -3);
  g_assert_cmpuint (json_object_get_uint64 (json_object_object_get (object, "big")), ==, G_MAXUINT64);
  g_assert_cmpfloat (json_object_get_double (json_object_object_get (object, "ratio")), ==, 0.5);
  g_assert_cmpuint (json_object_array_length (json_object_object_get (object, "list")), ==, 2);
  g_assert_cmpstr (json_object_get_string (json_object_object_get (json_object_object_get (object, "nested"),
                                                                   "inner")), ==, "x");
  g_assert_cmpuint (json_object_array_length (json_object_object_get (object, "pair")), ==, 2);
  g_assert_cmpstr (json_object_get_string (json_object_object_get (object, "boxed")), ==, "deep");
}

static void
test_dictionary (void)
{
  g_autoptr(GVariant) report =
    g_variant_ref_sink (g_variant_new_parsed ("{'state-dir': <'/var/lib/portcullis'>, "
                                              "'probe-round': <true>, 'fixed': <['Made it private, again', 'Rewrote state']>, "
                                              "'checked': <['Logs']>, 'none': <@as []>, "
                                              "'files': <uint32 2>, 'details': <{'tun': <false>}>, "
                                              "'note': <''>}"));
  g_autoptr(GVariant) empty = g_variant_ref_sink (g_variant_new_parsed ("@a{sv} {}"));
  g_autofree char *text = pc_ctl_format_dictionary (report);
  g_autofree char *empty_text = pc_ctl_format_dictionary (empty);

  g_test_message ("%s", text);
  g_assert_cmpstr (text, ==,
                   "state-dir:   /var/lib/portcullis\n"
                   "probe-round: yes\n"
                   "fixed:\n"
                   "  - Made it private, again\n"
                   "  - Rewrote state\n"
                   "checked:     Logs\n"
                   "none:        (none)\n"
                   "files:       2\n"
                   "details:\n"
                   "  tun: no\n"
                   "note:        (empty)\n");
  g_assert_cmpstr (empty_text, ==, "(empty)\n");
}

static void
test_change_lines (void)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) whole = g_date_time_new (utc, 2026, 11, 26, 10, 20, 31);
  g_autoptr(GDateTime) time = g_date_time_add (whole, 123456);
  g_autoptr(GVariant) module = module_snapshot ("internet_security", "error",
                                                "captive-portal-detected", "", "fail-open");
  g_autoptr(GVariant) value = g_variant_ref_sink (g_variant_new_string ("captive-portal-detected"));
  g_autoptr(GVariant) network = g_variant_ref_sink (g_variant_new_string ("none"));
  g_autoptr(GVariant) bytes = g_variant_ref_sink (g_variant_new_uint64 (42));
  g_autofree char *line = pc_ctl_format_change (time, "internet_security", "Error", value, module);
  g_autofree char *manager_line = pc_ctl_format_change (time, "manager", "Network", network, NULL);
  g_autofree char *bytes_line = pc_ctl_format_change (time, "internet_security", "BytesSent", bytes, module);
  g_autoptr(json_object) object = pc_ctl_change_to_json (time, "internet_security", "Error", value, module);
  g_autoptr(json_object) reparsed = json_tokener_parse (json_object_to_json_string (object));

  g_assert_cmpstr (line, ==,
                   "2026-11-26 10:20:31.123  internet_security.Error = 'captive-portal-detected'"
                   "  (now: Captive Portal Detected)");
  g_assert_cmpstr (manager_line, ==, "2026-11-26 10:20:31.123  manager.Network = 'none'");
  /* Only Status, Error and ErrorDetail change the message. */
  g_assert_cmpstr (bytes_line, ==, "2026-11-26 10:20:31.123  internet_security.BytesSent = 42");

  g_assert_nonnull (reparsed);
  g_assert_cmpstr (json_object_get_string (json_object_object_get (reparsed, "event")), ==, "changed");
  g_assert_cmpstr (json_object_get_string (json_object_object_get (reparsed, "object")), ==, "internet_security");
  g_assert_cmpstr (json_object_get_string (json_object_object_get (reparsed, "property")), ==, "Error");
  g_assert_cmpstr (json_object_get_string (json_object_object_get (reparsed, "value")), ==, "captive-portal-detected");
  g_assert_cmpstr (json_object_get_string (json_object_object_get (reparsed, "title")), ==, "Captive Portal Detected");
  g_assert_true (g_str_has_prefix (json_object_get_string (json_object_object_get (reparsed, "time")),
                                   "2026-11-26T10:20:31.123456"));
  g_assert_cmpuint (json_object_array_length (json_object_object_get (reparsed, "actions")), ==, 2);
}

static void
test_since_is_a_time (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) since = g_date_time_new_local (2026, 1, 2, 3, 4, 5.25);
  g_autoptr(GVariant) value =
    g_variant_ref_sink (g_variant_new_uint64 ((guint64) g_date_time_to_unix (since) * G_USEC_PER_SEC + 250000));
  g_autofree char *line = pc_ctl_format_change (now, "private_access", "Since", value, NULL);

  g_assert_true (g_str_has_suffix (line, "private_access.Since = 2026-01-02 03:04:05.250"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ctl/format/module-names", test_module_names);
  g_test_add_func ("/ctl/format/actions", test_actions);
  g_test_add_func ("/ctl/format/module-derived", test_module_derived);
  g_test_add_func ("/ctl/format/status-table", test_status_table);
  g_test_add_func ("/ctl/format/status-table-empty", test_status_table_logged_out_no_modules);
  g_test_add_func ("/ctl/format/status-json", test_status_json);
  g_test_add_func ("/ctl/format/variant-to-json", test_variant_to_json);
  g_test_add_func ("/ctl/format/dictionary", test_dictionary);
  g_test_add_func ("/ctl/format/change-lines", test_change_lines);
  g_test_add_func ("/ctl/format/since", test_since_is_a_time);

  return g_test_run ();
}
