/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "pc-profile.h"
#include "pc-util.h"

/*
 * The profile loader: a full profile read through every getter, the
 * defaults of a minimal one, and bad profiles, each refused with its
 * exact message. Bad profiles are written into a temporary folder at
 * test time; @FILE@ and @DIR@ in the expected messages stand for the
 * profile's path and that folder.
 */

#define YESCRYPT_HASH "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$GmcwIgvdUC9qLWcKCi6gklUa1dM3ziD43YxYNURLKy0"
#define SHA512_HASH   "$6$testsalt123$n4p38yjJGYN.em1zWlqd59UrdwvIuaBMKgSnHKNG0J4m697AxNy0AcU5S91vJ9e1RLqfoh1VQDsbeVFmD0iZI0"
#define MD5_HASH      "$1$abcdefgh$vhxKZ/s1ygZHyCEDPyqtQ/"

static char *tmp_dir;

static char *
profiles_dir (void)
{
  return g_build_filename (PC_SOURCE_DIR, "tests", "unit", "profiles", NULL);
}

static char *
substitute (const char *template,
            const char *file)
{
  g_auto(GStrv) by_file = g_strsplit (template, "@FILE@", -1);
  g_autofree char *with_file = g_strjoinv (file, by_file);
  g_auto(GStrv) by_dir = g_strsplit (with_file, "@DIR@", -1);

  return g_strjoinv (tmp_dir, by_dir);
}

static char *
write_profile (const char *name,
               const char *data,
               gssize      length)
{
  g_autofree char *file_name = g_strconcat (name, ".json", NULL);
  char *path = g_build_filename (tmp_dir, file_name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, data, length, &error);
  g_assert_no_error (error);
  return path;
}

static PcProfile *
load_source_profile (const char *name)
{
  g_autofree char *dir = profiles_dir ();
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  PcProfile *profile;

  profile = pc_profile_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (profile);
  return profile;
}

/* A good profile. */

static void
test_full (void)
{
  g_autoptr(PcProfile) profile = load_source_profile ("full.json");
  g_autofree char *dir = profiles_dir ();
  g_autofree char *ca = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *idp_ca = g_build_filename (dir, "certs", "idp-ca.pem", NULL);
  g_autofree char *root_ca = g_build_filename (dir, "certs", "private-root.pem", NULL);
  const char *domains[] = { "corp.example", "office.corp.example", NULL };
  GHashTable *resolve;

  g_assert_cmpstr (pc_profile_get_name (profile), ==, "Full");
  g_assert_cmpstr (pc_profile_get_string (profile, "name"), ==, "Full");
  g_assert_true (g_str_has_suffix (pc_profile_get_path (profile), "/full.json"));
  g_assert_cmpstrv (pc_profile_get_warnings (profile), ((const char *[]) { NULL }));

  g_assert_cmpstr (pc_profile_get_string (profile, "ca_file"), ==, ca);
  g_assert_cmpint (pc_profile_get_int (profile, "probe_interval_s"), ==, 30);
  g_assert_true (pc_profile_get_boolean (profile, "fail_close"));

  g_assert_cmpstr (pc_profile_get_string (profile, "support.contact"), ==,
                   "the Example IT Service Desk (+1 555 0100)");
  g_assert_cmpstr (pc_profile_get_string (profile, "support.url"), ==,
                   "https://help.example/portcullis");

  g_assert_false (pc_profile_get_boolean (profile, "user_access.restart_service"));
  g_assert_false (pc_profile_get_boolean (profile, "user_access.repair_app"));
  g_assert_false (pc_profile_get_boolean (profile, "user_access.export_logs"));
  g_assert_cmpstr (pc_profile_get_string (profile, "user_access.logout_password_hash"), ==, YESCRYPT_HASH);
  g_assert_cmpstr (pc_profile_get_string (profile, "user_access.disable_password_hash"), ==, SHA512_HASH);

  g_assert_cmpstr (pc_profile_get_string (profile, "captive_portal.probe_url"), ==,
                   "http://127.0.0.1:8080/generate_204");
  g_assert_cmpint (pc_profile_get_int (profile, "captive_portal.expected_status"), ==, 200);
  g_assert_cmpint (pc_profile_get_int (profile, "captive_portal.fail_open_minutes"), ==, 0);

  g_assert_cmpstr (pc_profile_get_string (profile, "disaster_recovery.status_url"), ==,
                   "https://dr.example/status");

  g_assert_cmpstr (pc_profile_get_string (profile, "auth.issuer"), ==, "https://idp.example/realms/corp");
  g_assert_cmpstr (pc_profile_get_string (profile, "auth.client_id"), ==, "portcullis-desktop");
  g_assert_cmpstr (pc_profile_get_string (profile, "auth.ca_file"), ==, idp_ca);

  g_assert_true (pc_profile_get_boolean (profile, "internet_security.enabled"));
  g_assert_cmpstr (pc_profile_get_string (profile, "internet_security.edge"), ==, "edge.example:443");
  g_assert_cmpstr (pc_profile_get_string (profile, "internet_security.ca_file"), ==, ca);
  g_assert_cmpstr (pc_profile_get_string (profile, "internet_security.upstream_proxy"), ==, "http://[::1]:3128");
  g_assert_cmpstr (pc_profile_get_string (profile, "internet_security.tunnel"), ==, "tun");
  g_assert_cmpint (pc_profile_get_tunnel_mode (profile), ==, PC_TUNNEL_TUN);
  g_assert_cmpstr (pc_profile_get_string (profile, "internet_security.tun_device"), ==, "pc-test0");
  g_assert_cmpstr (pc_profile_get_string (profile, "internet_security.local_proxy"), ==, "[::1]:9100");

  g_assert_false (pc_profile_get_boolean (profile, "private_access.enabled"));
  g_assert_cmpstr (pc_profile_get_string (profile, "private_access.edge"), ==, "[2001:db8::7]:8443");
  g_assert_cmpstr (pc_profile_get_string (profile, "private_access.root_ca_file"), ==, root_ca);

  g_assert_true (pc_profile_get_boolean (profile, "digital_experience.enabled"));
  g_assert_cmpstr (pc_profile_get_string (profile, "digital_experience.server_url"), ==,
                   "https://dx.example:9443/api");

  g_assert_cmpstrv (pc_profile_get_strv (profile, "trusted_network.dns_search_domains"), domains);
  resolve = pc_profile_get_resolve_table (profile);
  g_assert_cmpuint (g_hash_table_size (resolve), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (resolve, "intranet.corp.example"), ==, "10.1.2.3");
  g_assert_cmpstr (g_hash_table_lookup (resolve, "wiki.corp.example"), ==, "2001:db8::53");

  /* Present and enabled, present and disabled, present without "enabled". */
  g_assert_true (pc_profile_get_module_enabled (profile, PC_MODULE_INTERNET_SECURITY));
  g_assert_false (pc_profile_get_module_enabled (profile, PC_MODULE_PRIVATE_ACCESS));
  g_assert_true (pc_profile_get_module_enabled (profile, PC_MODULE_DIGITAL_EXPERIENCE));
}

static void
test_defaults (void)
{
  g_autoptr(PcProfile) profile = load_source_profile ("minimal.json");

  g_assert_cmpstr (pc_profile_get_name (profile), ==, "Minimal");
  g_assert_cmpstrv (pc_profile_get_warnings (profile), ((const char *[]) { NULL }));

  g_assert_null (pc_profile_get_string (profile, "ca_file"));
  g_assert_cmpint (pc_profile_get_int (profile, "probe_interval_s"), ==, 60);
  g_assert_false (pc_profile_get_boolean (profile, "fail_close"));
  g_assert_null (pc_profile_get_string (profile, "support.contact"));
  g_assert_null (pc_profile_get_string (profile, "support.url"));
  g_assert_true (pc_profile_get_boolean (profile, "user_access.restart_service"));
  g_assert_true (pc_profile_get_boolean (profile, "user_access.repair_app"));
  g_assert_true (pc_profile_get_boolean (profile, "user_access.export_logs"));
  g_assert_null (pc_profile_get_string (profile, "user_access.logout_password_hash"));
  g_assert_null (pc_profile_get_string (profile, "user_access.disable_password_hash"));
  g_assert_null (pc_profile_get_string (profile, "captive_portal.probe_url"));
  g_assert_cmpint (pc_profile_get_int (profile, "captive_portal.expected_status"), ==, 204);
  g_assert_cmpint (pc_profile_get_int (profile, "captive_portal.fail_open_minutes"), ==, 10);
  g_assert_null (pc_profile_get_string (profile, "disaster_recovery.status_url"));
  g_assert_null (pc_profile_get_string (profile, "auth.issuer"));
  g_assert_cmpstr (pc_profile_get_string (profile, "auth.client_id"), ==, "portcullis");
  g_assert_null (pc_profile_get_string (profile, "auth.ca_file"));
  g_assert_true (pc_profile_get_boolean (profile, "internet_security.enabled"));
  g_assert_null (pc_profile_get_string (profile, "internet_security.edge"));
  g_assert_null (pc_profile_get_string (profile, "internet_security.ca_file"));
  g_assert_null (pc_profile_get_string (profile, "internet_security.upstream_proxy"));
  g_assert_cmpstr (pc_profile_get_string (profile, "internet_security.tunnel"), ==, "proxy");
  g_assert_cmpint (pc_profile_get_tunnel_mode (profile), ==, PC_TUNNEL_PROXY);
  g_assert_cmpstr (pc_profile_get_string (profile, "internet_security.tun_device"), ==, "portcullis0");
  g_assert_cmpstr (pc_profile_get_string (profile, "internet_security.local_proxy"), ==, "127.0.0.1:9000");
  g_assert_true (pc_profile_get_boolean (profile, "private_access.enabled"));
  g_assert_null (pc_profile_get_string (profile, "private_access.edge"));
  g_assert_null (pc_profile_get_string (profile, "private_access.root_ca_file"));
  g_assert_true (pc_profile_get_boolean (profile, "digital_experience.enabled"));
  g_assert_null (pc_profile_get_string (profile, "digital_experience.server_url"));
  g_assert_cmpstrv (pc_profile_get_strv (profile, "trusted_network.dns_search_domains"),
                    ((const char *[]) { NULL }));
  g_assert_cmpuint (g_hash_table_size (pc_profile_get_resolve_table (profile)), ==, 0);

  /* No section, no module. */
  for (PcModuleKind kind = 0; kind < PC_N_MODULES; kind++)
    g_assert_false (pc_profile_get_module_enabled (profile, kind));
}

static void
test_module_sections (void)
{
  static const char data[] =
    "{ \"name\": \"Modules\","
    "  \"internet_security\": {},"
    "  \"private_access\": { \"enabled\": true },"
    "  \"digital_experience\": { \"enabled\": false } }";
  g_autoptr(GError) error = NULL;
  g_autoptr(PcProfile) profile = NULL;

  profile = pc_profile_new_from_data ("/etc/portcullis/modules.json", data, sizeof data - 1, &error);
  g_assert_no_error (error);

  g_assert_true (pc_profile_get_module_enabled (profile, PC_MODULE_INTERNET_SECURITY));
  g_assert_true (pc_profile_get_module_enabled (profile, PC_MODULE_PRIVATE_ACCESS));
  g_assert_false (pc_profile_get_module_enabled (profile, PC_MODULE_DIGITAL_EXPERIENCE));
}

static void
test_relative_path (void)
{
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *path = NULL;
  g_autofree char *expected = g_build_filename (tmp_dir, "ca.pem", NULL);
  g_autoptr(PcProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  path = write_profile ("relative", "{\"name\": \"Relative\", \"auth\": {\"ca_file\": \"ca.pem\"}}", -1);
  g_assert_cmpint (g_chdir (tmp_dir), ==, 0);
  profile = pc_profile_new_from_file ("relative.json", &error);
  g_assert_cmpint (g_chdir (cwd), ==, 0);

  g_assert_no_error (error);
  g_assert_cmpstr (pc_profile_get_path (profile), ==, "relative.json");
  g_assert_cmpstr (pc_profile_get_string (profile, "auth.ca_file"), ==, expected);
}

static void
test_policy (void)
{
  g_autoptr(PcProfile) full = load_source_profile ("full.json");
  g_autoptr(PcProfile) minimal = load_source_profile ("minimal.json");
  g_autoptr(GVariant) full_policy = g_variant_ref_sink (pc_profile_build_policy (full));
  g_autoptr(GVariant) minimal_policy = g_variant_ref_sink (pc_profile_build_policy (minimal));
  g_autofree char *full_text = NULL;
  g_autofree char *minimal_text = NULL;

  g_assert_true (g_variant_is_of_type (full_policy, G_VARIANT_TYPE_VARDICT));

  full_text = g_variant_print (full_policy, FALSE);
  g_assert_cmpstr (full_text, ==,
                   "{'restart-service': <false>, 'repair-app': <false>, 'export-logs': <false>, "
                   "'logout-password': <true>, 'disable-password': <true>, 'fail-close': <true>, "
                   "'support-contact': <'the Example IT Service Desk (+1 555 0100)'>, "
                   "'support-url': <'https://help.example/portcullis'>}");

  minimal_text = g_variant_print (minimal_policy, FALSE);
  g_assert_cmpstr (minimal_text, ==,
                   "{'restart-service': <true>, 'repair-app': <true>, 'export-logs': <true>, "
                   "'logout-password': <false>, 'disable-password': <false>, 'fail-close': <false>, "
                   "'support-contact': <''>, 'support-url': <''>}");
}

/* Values at the edges of what each check accepts. */
typedef struct
{
  const char *key;
  const char *json_value;
  const char *expected;  /* as the getter returns it; integers in decimal */
} GoodValue;

static const GoodValue good_values[] = {
  { "probe_interval_s", "1", "1" },
  { "probe_interval_s", "86400", "86400" },
  { "captive_portal.expected_status", "100", "100" },
  { "captive_portal.expected_status", "599", "599" },
  { "captive_portal.fail_open_minutes", "1440", "1440" },
  { "internet_security.edge", "\"192.0.2.1:1\"", "192.0.2.1:1" },
  { "internet_security.edge", "\"[::1]:65535\"", "[::1]:65535" },
  { "internet_security.edge", "\"edge_1.corp-example.test:443\"", "edge_1.corp-example.test:443" },
  { "private_access.edge", "\"bücher.example:8443\"", "bücher.example:8443" },
  { "support.url", "\"mailto:help@example.com\"", "mailto:help@example.com" },
  { "support.url", "\"http://help.example\"", "http://help.example" },
  { "support.contact", "\"\"", "" },
  { "captive_portal.probe_url", "\"http://[::1]:8080/204\"", "http://[::1]:8080/204" },
  { "auth.issuer", "\"https://192.0.2.5/realms/corp\"", "https://192.0.2.5/realms/corp" },
  { "internet_security.upstream_proxy", "\"http://proxy.example:3128/\"", "http://proxy.example:3128/" },
  { "internet_security.upstream_proxy", "\"http://192.0.2.1:8080\"", "http://192.0.2.1:8080" },
  { "internet_security.local_proxy", "\"127.0.0.53:1\"", "127.0.0.53:1" },
  { "internet_security.tun_device", "\"tun0\"", "tun0" },
  { "internet_security.tunnel", "\"proxy\"", "proxy" },
  { "user_access.logout_password_hash",
    "\"$6$rounds=6000$abcdefgh$A83ACoVCcgl/etNkUwxRjVDuxlny38agOzSGshZB7PYcFuYI1GNcjym5ENtBKRAmbUP00/LJbbI5HXYpmC3Kb1\"",
    "$6$rounds=6000$abcdefgh$A83ACoVCcgl/etNkUwxRjVDuxlny38agOzSGshZB7PYcFuYI1GNcjym5ENtBKRAmbUP00/LJbbI5HXYpmC3Kb1" },
  { "user_access.disable_password_hash",
    "\"$2b$04$UYVeKWaGcR8txDBRKE0MjurIj/GQXL3sjX5aoHRmXtjm5nS9hA/Om\"",
    "$2b$04$UYVeKWaGcR8txDBRKE0MjurIj/GQXL3sjX5aoHRmXtjm5nS9hA/Om" },
  { "auth.client_id", "\"desktop \\u00e9\"", "desktop é" },
};

static void
test_good_values (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (good_values); i++)
    {
      const GoodValue *good = &good_values[i];
      g_auto(GStrv) parts = g_strsplit (good->key, ".", 2);
      g_autofree char *data = NULL;
      g_autoptr(PcProfile) profile = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *actual = NULL;

      if (parts[1] != NULL)
        data = g_strdup_printf ("{\"name\": \"Good\", \"%s\": {\"%s\": %s}}\r\n\t ",
                                parts[0], parts[1], good->json_value);
      else
        data = g_strdup_printf ("{\"name\": \"Good\", \"%s\": %s}\r\n\t ",
                                parts[0], good->json_value);

      g_test_message ("%s = %s", good->key, good->json_value);
      profile = pc_profile_new_from_data ("/etc/portcullis/good.json", data, strlen (data), &error);
      g_assert_no_error (error);

      if (g_ascii_isdigit (good->json_value[0]))
        actual = g_strdup_printf ("%" G_GINT64_FORMAT, pc_profile_get_int (profile, good->key));
      else
        actual = g_strdup (pc_profile_get_string (profile, good->key));

      g_assert_cmpstr (actual, ==, good->expected);
    }
}

/* Unknown keys are warnings, logged and collected, never errors. */
static void
test_unknown_keys (void)
{
  static const char data[] =
    "{ \"name\": \"Extra\", \"colour\": \"blue\","
    "  \"internet_security\": { \"edgee\": \"edge.example:443\", \"tunnel\": \"tun\" },"
    "  \"support.contact\": \"x\","
    "  \"future\": { \"anything\": [1, 2] } }";
  const char *expected[] = {
    "/etc/portcullis/extra.json: unknown key “colour” ignored",
    "/etc/portcullis/extra.json: unknown key “internet_security.edgee” ignored",
    "/etc/portcullis/extra.json: unknown key “support.contact” ignored "
      "(sections are objects: write {\"a\": {\"b\": …}}, not \"a.b\")",
    "/etc/portcullis/extra.json: unknown key “future” ignored",
    NULL
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PcProfile) profile = NULL;

  for (guint i = 0; expected[i] != NULL; i++)
    g_test_expect_message ("pc-profile", G_LOG_LEVEL_MESSAGE, expected[i]);

  profile = pc_profile_new_from_data ("/etc/portcullis/extra.json", data, sizeof data - 1, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  g_assert_cmpstrv (pc_profile_get_warnings (profile), expected);
  /* The known keys beside them still count. */
  g_assert_cmpint (pc_profile_get_tunnel_mode (profile), ==, PC_TUNNEL_TUN);
  g_assert_null (pc_profile_get_string (profile, "support.contact"));
  g_assert_null (pc_profile_get_string (profile, "internet_security.edge"));
}

static void
test_redaction (void)
{
  g_autofree char *dir = profiles_dir ();
  g_autofree char *full_path = g_build_filename (dir, "full.json", NULL);
  g_autofree char *text = NULL;
  g_autofree char *path = NULL;
  g_autoptr(json_object) source = NULL;
  g_autoptr(json_object) redacted = NULL;
  g_autoptr(PcProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  json_object *section;
  json_object *node;
  const char *output;

  /* The full profile, plus secrets an administrator might add under
   * keys Portcullis does not know (yet). */
  source = json_object_from_file (full_path);
  g_assert_nonnull (source);
  json_object_object_add (source, "client_secret", json_object_new_string ("s3cr3t-client"));
  json_object_object_add (source, "Proxy_Password", json_object_new_int (424242));
  json_object_object_add (source, "extensions",
                          json_tokener_parse ("[{\"api_token\": \"tok-123456\", \"keep\": \"visible\"},"
                                              " {\"nested\": {\"refresh_token\": {\"a\": \"tok-654321\"}}}]"));
  path = g_build_filename (dir, "full-with-secrets.json", NULL);
  text = g_strdup (json_object_to_json_string_ext (source, JSON_C_TO_STRING_PRETTY));

  g_test_expect_message ("pc-profile", G_LOG_LEVEL_MESSAGE, "*unknown key “client_secret” ignored");
  g_test_expect_message ("pc-profile", G_LOG_LEVEL_MESSAGE, "*unknown key “Proxy_Password” ignored");
  g_test_expect_message ("pc-profile", G_LOG_LEVEL_MESSAGE, "*unknown key “extensions” ignored");
  profile = pc_profile_new_from_data (path, text, strlen (text), &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  redacted = pc_profile_dup_redacted_json (profile);
  output = json_object_to_json_string_ext (redacted, JSON_C_TO_STRING_PLAIN);

  g_assert_null (strstr (output, YESCRYPT_HASH));
  g_assert_null (strstr (output, SHA512_HASH));
  g_assert_null (strstr (output, "$y$"));
  g_assert_null (strstr (output, "$6$"));
  g_assert_null (strstr (output, "s3cr3t"));
  g_assert_null (strstr (output, "424242"));
  g_assert_null (strstr (output, "tok-"));

  g_assert_true (json_object_object_get_ex (redacted, "user_access", &section));
  g_assert_true (json_object_object_get_ex (section, "logout_password_hash", &node));
  g_assert_cmpstr (json_object_get_string (node), ==, "(redacted)");
  g_assert_true (json_object_object_get_ex (section, "disable_password_hash", &node));
  g_assert_cmpstr (json_object_get_string (node), ==, "(redacted)");
  g_assert_true (json_object_object_get_ex (section, "restart_service", &node));
  g_assert_true (json_object_is_type (node, json_type_boolean));
  g_assert_true (json_object_object_get_ex (redacted, "Proxy_Password", &node));
  g_assert_cmpstr (json_object_get_string (node), ==, "(redacted)");

  /* Everything else is kept, for support. */
  g_assert_nonnull (strstr (output, "\"keep\":\"visible\""));
  g_assert_nonnull (strstr (output, "\"edge\":\"edge.example:443\""));
  g_assert_nonnull (strstr (output, "\"name\":\"Full\""));

  /* The profile itself is untouched. */
  g_assert_cmpstr (pc_profile_get_string (profile, "user_access.logout_password_hash"), ==, YESCRYPT_HASH);
}

static void
test_getter_misuse (void)
{
  g_autoptr(PcProfile) profile = load_source_profile ("minimal.json");

  g_test_expect_message ("pc-profile", G_LOG_LEVEL_CRITICAL,
                         "Profile key “probe_interval_s” is not a key of this type in the schema");
  g_assert_null (pc_profile_get_string (profile, "probe_interval_s"));
  g_test_assert_expected_messages ();

  g_test_expect_message ("pc-profile", G_LOG_LEVEL_CRITICAL,
                         "Profile key “no_such_key” is not a key of this type in the schema");
  g_assert_false (pc_profile_get_boolean (profile, "no_such_key"));
  g_test_assert_expected_messages ();
}

/* Bad profiles. */

typedef struct
{
  const char     *name;
  const char     *data;
  PcProfileError  code;
  const char     *message;
} BadProfile;

#define INVALID PC_PROFILE_ERROR_INVALID
#define PARSE   PC_PROFILE_ERROR_PARSE

static const BadProfile bad_profiles[] = {
  /* name */
  { "missing-name", "{\"support\": {\"contact\": \"IT\"}}", INVALID,
    "@FILE@: “name”: expected a non-empty string, found nothing (the key is required)" },
  { "empty-name", "{\"name\": \"\"}", INVALID,
    "@FILE@: “name”: expected a non-empty string, found “”" },
  { "name-number", "{\"name\": 42}", INVALID,
    "@FILE@: “name”: expected a non-empty string, found 42" },
  { "name-nul", "{\"name\": \"a\\u0000b\"}", INVALID,
    "@FILE@: “name”: expected a non-empty string, found a string containing U+0000" },

  /* integers */
  { "probe-interval-string", "{\"name\": \"x\", \"probe_interval_s\": \"60\"}", INVALID,
    "@FILE@: “probe_interval_s”: expected an integer from 1 to 86400, found “60”" },
  { "probe-interval-zero", "{\"name\": \"x\", \"probe_interval_s\": 0}", INVALID,
    "@FILE@: “probe_interval_s”: expected an integer from 1 to 86400, found 0" },
  { "probe-interval-fraction", "{\"name\": \"x\", \"probe_interval_s\": 60.5}", INVALID,
    "@FILE@: “probe_interval_s”: expected an integer from 1 to 86400, found 60.5" },
  { "probe-interval-huge", "{\"name\": \"x\", \"probe_interval_s\": 99999999999999999999}", INVALID,
    "@FILE@: “probe_interval_s”: expected an integer from 1 to 86400, found 18446744073709551615" },
  { "expected-status-600", "{\"name\": \"x\", \"captive_portal\": {\"expected_status\": 600}}", INVALID,
    "@FILE@: “captive_portal.expected_status”: expected an integer from 100 to 599, found 600" },
  { "fail-open-negative", "{\"name\": \"x\", \"captive_portal\": {\"fail_open_minutes\": -1}}", INVALID,
    "@FILE@: “captive_portal.fail_open_minutes”: expected an integer from 0 to 1440, found -1" },

  /* booleans and sections */
  { "restart-service-yes", "{\"name\": \"x\", \"user_access\": {\"restart_service\": \"yes\"}}", INVALID,
    "@FILE@: “user_access.restart_service”: expected true or false, found “yes”" },
  { "fail-close-null", "{\"name\": \"x\", \"fail_close\": null}", INVALID,
    "@FILE@: “fail_close”: expected true or false, found null" },
  { "enabled-string", "{\"name\": \"x\", \"internet_security\": {\"enabled\": \"false\"}}", INVALID,
    "@FILE@: “internet_security.enabled”: expected true or false, found “false”" },
  { "section-boolean", "{\"name\": \"x\", \"user_access\": true}", INVALID,
    "@FILE@: “user_access”: expected an object, found true" },
  { "section-array", "{\"name\": \"x\", \"private_access\": [\"edge.example:443\"]}", INVALID,
    "@FILE@: “private_access”: expected an object, found an array" },

  /* host:port */
  { "edge-no-port", "{\"name\": \"x\", \"internet_security\": {\"edge\": \"edge.example\"}}", INVALID,
    "@FILE@: “internet_security.edge”: expected “host:port” with a port from 1 to 65535, found “edge.example”" },
  { "edge-port-0", "{\"name\": \"x\", \"internet_security\": {\"edge\": \"edge.example:0\"}}", INVALID,
    "@FILE@: “internet_security.edge”: expected “host:port” with a port from 1 to 65535, found “edge.example:0”" },
  { "edge-port-70000", "{\"name\": \"x\", \"internet_security\": {\"edge\": \"edge.example:70000\"}}", INVALID,
    "@FILE@: “internet_security.edge”: expected “host:port” with a port from 1 to 65535, found “edge.example:70000”" },
  { "edge-port-name", "{\"name\": \"x\", \"internet_security\": {\"edge\": \"edge.example:https\"}}", INVALID,
    "@FILE@: “internet_security.edge”: expected “host:port” with a port from 1 to 65535, found “edge.example:https”" },
  { "edge-empty-host", "{\"name\": \"x\", \"private_access\": {\"edge\": \":443\"}}", INVALID,
    "@FILE@: “private_access.edge”: expected “host:port” with a port from 1 to 65535, found “:443”" },
  { "edge-ipv6-unbracketed", "{\"name\": \"x\", \"private_access\": {\"edge\": \"2001:db8::1:443\"}}", INVALID,
    "@FILE@: “private_access.edge”: expected “host:port” with a port from 1 to 65535, found “2001:db8::1:443”" },
  { "edge-bad-bracket", "{\"name\": \"x\", \"private_access\": {\"edge\": \"[edge.example]:443\"}}", INVALID,
    "@FILE@: “private_access.edge”: expected “host:port” with a port from 1 to 65535, found “[edge.example]:443”" },
  { "edge-space", "{\"name\": \"x\", \"private_access\": {\"edge\": \"edge example:443\"}}", INVALID,
    "@FILE@: “private_access.edge”: expected “host:port” with a port from 1 to 65535, found “edge example:443”" },
  { "edge-number", "{\"name\": \"x\", \"private_access\": {\"edge\": 443}}", INVALID,
    "@FILE@: “private_access.edge”: expected “host:port” with a port from 1 to 65535, found 443" },

  /* URLs */
  { "probe-url-https", "{\"name\": \"x\", \"captive_portal\": {\"probe_url\": \"https://probe.example/\"}}", INVALID,
    "@FILE@: “captive_portal.probe_url”: expected a URL starting with “http://”, found “https://probe.example/”" },
  { "status-url-http", "{\"name\": \"x\", \"disaster_recovery\": {\"status_url\": \"http://dr.example/status\"}}", INVALID,
    "@FILE@: “disaster_recovery.status_url”: expected a URL starting with “https://”, found “http://dr.example/status”" },
  { "issuer-no-scheme", "{\"name\": \"x\", \"auth\": {\"issuer\": \"idp.example/realms/corp\"}}", INVALID,
    "@FILE@: “auth.issuer”: expected a URL starting with “https://”, found “idp.example/realms/corp”" },
  { "issuer-no-host", "{\"name\": \"x\", \"auth\": {\"issuer\": \"https:/idp.example\"}}", INVALID,
    "@FILE@: “auth.issuer”: expected a URL starting with “https://”, found “https:/idp.example”" },
  { "server-url-ftp", "{\"name\": \"x\", \"digital_experience\": {\"server_url\": \"ftp://dx.example/\"}}", INVALID,
    "@FILE@: “digital_experience.server_url”: expected a URL starting with “https://”, found “ftp://dx.example/”" },
  { "support-url-javascript", "{\"name\": \"x\", \"support\": {\"url\": \"javascript:alert(1)\"}}", INVALID,
    "@FILE@: “support.url”: expected a URL starting with “http://”, “https://” or “mailto:”, found “javascript:alert(1)”" },
  { "upstream-proxy-https", "{\"name\": \"x\", \"internet_security\": {\"upstream_proxy\": \"https://proxy.example:3128\"}}", INVALID,
    "@FILE@: “internet_security.upstream_proxy”: expected “http://host:port” with a port from 1 to 65535, found “https://proxy.example:3128”" },
  { "upstream-proxy-no-port", "{\"name\": \"x\", \"internet_security\": {\"upstream_proxy\": \"http://proxy.example\"}}", INVALID,
    "@FILE@: “internet_security.upstream_proxy”: expected “http://host:port” with a port from 1 to 65535, found “http://proxy.example”" },
  { "upstream-proxy-path", "{\"name\": \"x\", \"internet_security\": {\"upstream_proxy\": \"http://proxy.example:3128/pac\"}}", INVALID,
    "@FILE@: “internet_security.upstream_proxy”: expected “http://host:port” with a port from 1 to 65535, found “http://proxy.example:3128/pac”" },
  { "upstream-proxy-credentials", "{\"name\": \"x\", \"internet_security\": {\"upstream_proxy\": \"http://me:pa55word@proxy.example:3128\"}}", INVALID,
    "@FILE@: “internet_security.upstream_proxy”: expected “http://host:port” with a port from 1 to 65535, found a URL with a user name or password (not shown)" },

  /* enum, local proxy, interface */
  { "tunnel-wireguard", "{\"name\": \"x\", \"internet_security\": {\"tunnel\": \"wireguard\"}}", INVALID,
    "@FILE@: “internet_security.tunnel”: expected “proxy” or “tun”, found “wireguard”" },
  { "tunnel-uppercase", "{\"name\": \"x\", \"internet_security\": {\"tunnel\": \"TUN\"}}", INVALID,
    "@FILE@: “internet_security.tunnel”: expected “proxy” or “tun”, found “TUN”" },
  { "local-proxy-lan", "{\"name\": \"x\", \"internet_security\": {\"local_proxy\": \"192.0.2.1:9000\"}}", INVALID,
    "@FILE@: “internet_security.local_proxy”: expected a loopback “address:port” such as “127.0.0.1:9000”, found “192.0.2.1:9000”" },
  { "local-proxy-any", "{\"name\": \"x\", \"internet_security\": {\"local_proxy\": \"0.0.0.0:9000\"}}", INVALID,
    "@FILE@: “internet_security.local_proxy”: expected a loopback “address:port” such as “127.0.0.1:9000”, found “0.0.0.0:9000”" },
  { "local-proxy-name", "{\"name\": \"x\", \"internet_security\": {\"local_proxy\": \"localhost:9000\"}}", INVALID,
    "@FILE@: “internet_security.local_proxy”: expected a loopback “address:port” such as “127.0.0.1:9000”, found “localhost:9000”" },
  { "tun-device-long", "{\"name\": \"x\", \"internet_security\": {\"tun_device\": \"portcullis-tunnel0\"}}", INVALID,
    "@FILE@: “internet_security.tun_device”: expected a network interface name of 1 to 15 characters without “/”, “:” or spaces, found “portcullis-tunnel0”" },
  { "tun-device-slash", "{\"name\": \"x\", \"internet_security\": {\"tun_device\": \"../tun\"}}", INVALID,
    "@FILE@: “internet_security.tun_device”: expected a network interface name of 1 to 15 characters without “/”, “:” or spaces, found “../tun”" },

  /* crypt(3) hashes: the value is never repeated */
  { "hash-plain-password", "{\"name\": \"x\", \"user_access\": {\"logout_password_hash\": \"hunter2\"}}", INVALID,
    "@FILE@: “user_access.logout_password_hash”: expected a crypt(3) hash such as “$y$…” (yescrypt) or “$6$…” (SHA-512), "
    "found a 7-character string that is not one (not shown: it may be a password)" },
  { "hash-md5", "{\"name\": \"x\", \"user_access\": {\"disable_password_hash\": \"" MD5_HASH "\"}}", INVALID,
    "@FILE@: “user_access.disable_password_hash”: expected a crypt(3) hash such as “$y$…” (yescrypt) or “$6$…” (SHA-512), "
    "found a 34-character string that is not one (not shown: it may be a password)" },
  { "hash-sha256-legacy", "{\"name\": \"x\", \"user_access\": {\"logout_password_hash\": \"$5$tSyGhGUqfHQIwvCy$KLLquG0ip1I5T3Ho9NYgmnGFpRU.mh9qOiqfIhNVWO5\"}}", INVALID,
    "@FILE@: “user_access.logout_password_hash”: expected a crypt(3) hash such as “$y$…” (yescrypt) or “$6$…” (SHA-512), "
    "found a 63-character string that is not one (not shown: it may be a password)" },
  { "hash-truncated", "{\"name\": \"x\", \"user_access\": {\"logout_password_hash\": \"$y$j9T$F5Jx5fExrKuPp53xLKQ..1$GmcwIgvdUC9qLW\"}}", INVALID,
    "@FILE@: “user_access.logout_password_hash”: expected a crypt(3) hash such as “$y$…” (yescrypt) or “$6$…” (SHA-512), "
    "found a 44-character string that is not one (not shown: it may be a password)" },
  { "hash-setting-only", "{\"name\": \"x\", \"user_access\": {\"logout_password_hash\": \"$6$saltsalt$\"}}", INVALID,
    "@FILE@: “user_access.logout_password_hash”: expected a crypt(3) hash such as “$y$…” (yescrypt) or “$6$…” (SHA-512), "
    "found a 12-character string that is not one (not shown: it may be a password)" },
  { "hash-number", "{\"name\": \"x\", \"user_access\": {\"logout_password_hash\": 123456}}", INVALID,
    "@FILE@: “user_access.logout_password_hash”: expected a crypt(3) hash such as “$y$…” (yescrypt) or “$6$…” (SHA-512), "
    "found a number (not shown)" },

  /* files, resolved against the profile's folder */
  { "ca-file-missing", "{\"name\": \"x\", \"ca_file\": \"missing.pem\"}", INVALID,
    "@FILE@: “ca_file”: expected the path of a readable file, found “@DIR@/missing.pem” (No such file or directory)" },
  { "ca-file-directory", "{\"name\": \"x\", \"auth\": {\"ca_file\": \"certs\"}}", INVALID,
    "@FILE@: “auth.ca_file”: expected the path of a readable file, found “@DIR@/certs” (Is a directory)" },
  { "ca-file-through-file", "{\"name\": \"x\", \"internet_security\": {\"ca_file\": \"ca.pem/extra.pem\"}}", INVALID,
    "@FILE@: “internet_security.ca_file”: expected the path of a readable file, found “@DIR@/ca.pem/extra.pem” (Not a directory)" },
  { "ca-file-device", "{\"name\": \"x\", \"private_access\": {\"root_ca_file\": \"/dev/null\"}}", INVALID,
    "@FILE@: “private_access.root_ca_file”: expected the path of a readable file, found “/dev/null” (not a regular file)" },
  { "ca-file-empty", "{\"name\": \"x\", \"private_access\": {\"root_ca_file\": \"\"}}", INVALID,
    "@FILE@: “private_access.root_ca_file”: expected the path of a readable file, found “”" },

  /* trusted network */
  { "search-domains-string", "{\"name\": \"x\", \"trusted_network\": {\"dns_search_domains\": \"corp.example\"}}", INVALID,
    "@FILE@: “trusted_network.dns_search_domains”: expected an array of domain names, found “corp.example”" },
  { "search-domains-number", "{\"name\": \"x\", \"trusted_network\": {\"dns_search_domains\": [\"corp.example\", 42]}}", INVALID,
    "@FILE@: “trusted_network.dns_search_domains[1]”: expected a domain name such as “corp.example”, found 42" },
  { "search-domains-empty", "{\"name\": \"x\", \"trusted_network\": {\"dns_search_domains\": [\"\"]}}", INVALID,
    "@FILE@: “trusted_network.dns_search_domains[0]”: expected a domain name such as “corp.example”, found “”" },
  { "resolve-array", "{\"name\": \"x\", \"trusted_network\": {\"resolve\": [\"10.0.0.1\"]}}", INVALID,
    "@FILE@: “trusted_network.resolve”: expected an object of host names and IP addresses, found an array" },
  { "resolve-bad-address", "{\"name\": \"x\", \"trusted_network\": {\"resolve\": {\"wiki.corp.example\": \"banana\"}}}", INVALID,
    "@FILE@: “trusted_network.resolve[\"wiki.corp.example\"]”: expected an IP address such as “192.0.2.10”, found “banana”" },
  { "resolve-bad-host", "{\"name\": \"x\", \"trusted_network\": {\"resolve\": {\"wiki corp\": \"10.0.0.1\"}}}", INVALID,
    "@FILE@: “trusted_network.resolve”: expected host names as keys, such as “intranet.corp.example”, found “wiki corp”" },

  /* not JSON, or not an object */
  { "truncated", "{\n  \"name\": \"x\",\n  \"support\": {", PARSE,
    "@FILE@: not valid JSON: unexpected end of data at line 3, column 15 (byte offset 31)" },
  { "single-quotes", "{\"name\": 'x'}", PARSE,
    "@FILE@: not valid JSON: unexpected character at line 1, column 10 (byte offset 9)" },
  { "trailing-comma", "{\n\"name\": \"x\",\n}", PARSE,
    "@FILE@: not valid JSON: unexpected character at line 3, column 1 (byte offset 15)" },
  { "comment", "{\"name\": \"é\" /* c */}", PARSE,
    "@FILE@: not valid JSON: object value separator ',' expected at line 1, column 14 (byte offset 14)" },
  { "trailing-text", "{\"name\": \"x\"}\n}", PARSE,
    "@FILE@: not valid JSON: unexpected character at line 2, column 1 (byte offset 14)" },
  { "empty-file", "", PARSE,
    "@FILE@: not valid JSON: the file is empty" },
  { "top-level-array", "[{\"name\": \"x\"}]", PARSE,
    "@FILE@: expected a JSON object at the top level, found an array" },
  { "top-level-string", "\"name\"", PARSE,
    "@FILE@: expected a JSON object at the top level, found “name”" },
  { "invalid-utf8", "{\"name\": \"caf\xe9\"}", PARSE,
    "@FILE@: not valid UTF-8: byte 0xe9 at byte offset 13" },
  { "overlong-utf8", "{\"name\": \"x\", \"support\": {\"contact\": \"\xc0\xaf\"}}", PARSE,
    "@FILE@: not valid UTF-8: byte 0xc0 at byte offset 38" },
};

static void
test_bad_profile (gconstpointer data)
{
  const BadProfile *bad = data;
  g_autofree char *path = write_profile (bad->name, bad->data, -1);
  g_autofree char *expected = substitute (bad->message, path);
  g_autoptr(GError) error = NULL;
  g_autoptr(PcProfile) profile = NULL;

  profile = pc_profile_new_from_file (path, &error);
  g_assert_null (profile);
  g_assert_error (error, PC_PROFILE_ERROR, bad->code);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_nul_byte (void)
{
  static const char data[] = "{\"name\": \"x\"\0}";
  g_autofree char *path = write_profile ("nul-byte", data, sizeof data - 1);
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PcProfile) profile = NULL;

  profile = pc_profile_new_from_file (path, &error);
  expected = g_strdup_printf ("%s: not valid UTF-8: a NUL byte at byte offset 12", path);
  g_assert_null (profile);
  g_assert_error (error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_PARSE);
  g_assert_cmpstr (error->message, ==, expected);
}

/* Reading. */

static void
test_missing_file (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "no-such-profile.json", NULL);
  g_autofree char *expected = g_strdup_printf ("%s: cannot read the profile: No such file or directory", path);
  g_autoptr(GError) error = NULL;

  g_assert_null (pc_profile_new_from_file (path, &error));
  g_assert_error (error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_READ);
  g_assert_cmpstr (error->message, ==, expected);
}

/* Root can read any file, so unreadable means a folder, or a path
 * that goes through a plain file. */
static void
test_unreadable_file (void)
{
  g_autofree char *folder = g_build_filename (tmp_dir, "certs", NULL);
  g_autofree char *through = g_build_filename (tmp_dir, "ca.pem", "profile.json", NULL);
  g_autofree char *folder_message = g_strdup_printf ("%s: cannot read the profile: Is a directory", folder);
  g_autofree char *through_message = g_strdup_printf ("%s: cannot read the profile: Not a directory", through);
  g_autoptr(GError) folder_error = NULL;
  g_autoptr(GError) through_error = NULL;

  g_assert_null (pc_profile_new_from_file (folder, &folder_error));
  g_assert_error (folder_error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_READ);
  g_assert_cmpstr (folder_error->message, ==, folder_message);

  g_assert_null (pc_profile_new_from_file (through, &through_error));
  g_assert_error (through_error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_READ);
  g_assert_cmpstr (through_error->message, ==, through_message);
}

static void
test_too_large (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "huge.json", NULL);
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;
  int fd;

  /* Ten megabytes, sparse: a loader that read it all would still take
   * its time parsing it. */
  fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, "{\"name\": \"", 10), ==, 10);
  g_assert_cmpint (ftruncate (fd, 10 * 1000 * 1000), ==, 0);
  g_assert_true (g_close (fd, NULL));

  start = g_get_monotonic_time ();
  g_assert_null (pc_profile_new_from_file (path, &error));
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);

  expected = g_strdup_printf ("%s: the profile is too large: 10000000 bytes, the limit is 1048576 bytes (1 MiB)", path);
  g_assert_error (error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_READ);
  g_assert_cmpstr (error->message, ==, expected);
}

/* A device never ends; only the limit and one byte are read. */
static void
test_endless_device (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (pc_profile_new_from_file ("/dev/zero", &error));
  g_assert_error (error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_READ);
  g_assert_cmpstr (error->message, ==,
                   "/dev/zero: the profile is too large: more than 1048576 bytes, the limit is 1048576 bytes (1 MiB)");
}

/* Exactly 1 MiB loads; one byte more is refused, from a file and from
 * memory. */
static void
test_size_limit (void)
{
  static const char head[] = "{\"name\": \"Big\", \"support\": {\"contact\": \"";
  static const char tail[] = "\"}}";
  g_autofree char *data = g_malloc (PC_PROFILE_MAX_SIZE + 1);
  g_autofree char *path = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(PcProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  gsize fill = PC_PROFILE_MAX_SIZE - strlen (head) - strlen (tail);

  memcpy (data, head, strlen (head));
  memset (data + strlen (head), 'a', fill);
  memcpy (data + strlen (head) + fill, tail, strlen (tail));

  path = write_profile ("one-mib", data, PC_PROFILE_MAX_SIZE);
  profile = pc_profile_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (pc_profile_get_string (profile, "support.contact")), ==, fill);
  g_clear_object (&profile);

  /* One space more after the object. */
  data[PC_PROFILE_MAX_SIZE] = ' ';
  g_free (path);
  path = write_profile ("one-mib-and-a-byte", data, PC_PROFILE_MAX_SIZE + 1);
  g_assert_null (pc_profile_new_from_file (path, &error));
  expected = g_strdup_printf ("%s: the profile is too large: 1048577 bytes, the limit is 1048576 bytes (1 MiB)", path);
  g_assert_error (error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_READ);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  g_assert_null (pc_profile_new_from_data ("/etc/portcullis/big.json", data, PC_PROFILE_MAX_SIZE + 1, &error));
  g_assert_error (error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_READ);
  g_assert_cmpstr (error->message, ==,
                   "/etc/portcullis/big.json: the profile is too large: 1048577 bytes, the limit is 1048576 bytes (1 MiB)");
}

/* Fixture for the whole run: a folder with a CA file and a sub-folder. */

static void
make_tmp_dir (void)
{
  g_autofree char *source_dir = profiles_dir ();
  g_autofree char *source_ca = g_build_filename (source_dir, "ca.pem", NULL);
  g_autofree char *ca = NULL;
  g_autofree char *certs = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  tmp_dir = g_dir_make_tmp ("test-profile-XXXXXX", &error);
  g_assert_no_error (error);

  g_file_get_contents (source_ca, &contents, &length, &error);
  g_assert_no_error (error);
  ca = g_build_filename (tmp_dir, "ca.pem", NULL);
  g_file_set_contents (ca, contents, length, &error);
  g_assert_no_error (error);

  certs = g_build_filename (tmp_dir, "certs", NULL);
  g_assert_cmpint (g_mkdir (certs, 0755), ==, 0);
}

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children = NULL;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  if (children != NULL)
    {
      GFileInfo *info;
      GFile *child;

      while (g_file_enumerator_iterate (children, &info, &child, NULL, NULL) && info != NULL)
        remove_tree (child);
    }

  g_file_delete (file, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GFile) tmp = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  make_tmp_dir ();

  g_test_add_func ("/profile/full", test_full);
  g_test_add_func ("/profile/defaults", test_defaults);
  g_test_add_func ("/profile/module-sections", test_module_sections);
  g_test_add_func ("/profile/relative-path", test_relative_path);
  g_test_add_func ("/profile/good-values", test_good_values);
  g_test_add_func ("/profile/policy", test_policy);
  g_test_add_func ("/profile/unknown-keys", test_unknown_keys);
  g_test_add_func ("/profile/redaction", test_redaction);
  g_test_add_func ("/profile/getter-misuse", test_getter_misuse);
  g_test_add_func ("/profile/read/missing", test_missing_file);
  g_test_add_func ("/profile/read/unreadable", test_unreadable_file);
  g_test_add_func ("/profile/read/too-large", test_too_large);
  g_test_add_func ("/profile/read/endless-device", test_endless_device);
  g_test_add_func ("/profile/read/size-limit", test_size_limit);
  g_test_add_func ("/profile/bad/nul-byte", test_nul_byte);

  for (gsize i = 0; i < G_N_ELEMENTS (bad_profiles); i++)
    {
      g_autofree char *test_path = g_strconcat ("/profile/bad/", bad_profiles[i].name, NULL);

      g_test_add_data_func (test_path, &bad_profiles[i], test_bad_profile);
    }

  status = g_test_run ();

  tmp = g_file_new_for_path (tmp_dir);
  remove_tree (tmp);
  g_free (tmp_dir);

  return status;
}
