/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "pc-catalog.h"
#include "pc-util.h"

#define SEED_TABLE PC_SOURCE_DIR "/../shared/seeds/000_5eb5a76c41226699.txt"
#define TITLES_FILE PC_SOURCE_DIR "/tests/data/status-titles.txt"

/* DESIGN §4, written out independently of the catalog: the buttons beside
 * Status (or Authentication Status) per module, "-" where the code does
 * not apply to the module. R Retry, B Open Browser, A Authenticate. */
static const struct {
  const char *code;
  const char *is, *pa, *dx;
} expected_buttons[] = {
  { "intermediate-authentication-error", "",   "-",  "-" },
  { "authenticating",                    "",   "",   "-" },
  { "authentication-error",              "R",  "A",  "-" },
  { "captive-portal-detected",           "BR", "-",  "-" },
  { "captive-portal-error",              "R",  "-",  "-" },
  { "chaining-authentication-error",     "R",  "A",  "-" },
  /* Also on Private Access (unreachable private edge): README, Decisions. */
  { "connection-error",                  "R",  "R",  "-" },
  { "driver-error",                      "",   "-",  "-" },
  { "endpoint-fw-av-error",              "",   "-",  "-" },
  { "fail-open",                         "",   "-",  "-" },
  { "fail-close",                        "R",  "-",  "-" },
  { "internal-error",                    "R",  "-",  "-" },
  { "installation-error",                "-",  "-",  "R" },
  { "network-error",                     "R",  "R",  "R" },
  { "safe-mode",                         "",   "-",  "-" },
  { "server-error",                      "-",  "-",  "R" },
  { "untrusted-root-cert",               "-",  "",   "-" },
};

static GPtrArray *
read_titles_file (const char *path)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *titles = g_ptr_array_new_with_free_func (g_free);

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (*lines[i] != '\0' && *lines[i] != '#')
      g_ptr_array_add (titles, g_strdup (lines[i]));

  return titles;
}

/* The first column of the seed's markdown table, without the header rows. */
static GPtrArray *
read_seed_titles (const char *path)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *titles = g_ptr_array_new_with_free_func (g_free);

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_auto(GStrv) cells = NULL;
      char *title;

      if (!g_str_has_prefix (lines[i], "| "))
        continue;
      cells = g_strsplit (lines[i], "|", 3);
      title = g_strstrip (g_strdup (cells[1]));
      if (g_str_has_prefix (title, "**") || g_str_has_prefix (title, "---"))
        {
          g_free (title);
          continue;
        }
      g_ptr_array_add (titles, title);
    }

  return titles;
}

static void
assert_catalog_titles_equal (GPtrArray *titles)
{
  gsize n;
  const PcStatusInfo *all = pc_catalog_get_all (&n);

  g_assert_cmpuint (titles->len, ==, 17);
  g_assert_cmpuint (n, ==, titles->len);
  for (guint i = 0; i < titles->len; i++)
    {
      gboolean found = FALSE;

      for (gsize j = 0; j < n; j++)
        if (g_str_equal (all[j].title, g_ptr_array_index (titles, i)))
          found = TRUE;
      if (!found)
        g_error ("The catalog lacks the title “%s”", (char *) g_ptr_array_index (titles, i));
    }
}

static void
test_titles_match_table (void)
{
  g_autoptr(GPtrArray) titles = read_titles_file (TITLES_FILE);

  assert_catalog_titles_equal (titles);
}

static void
test_titles_match_seed (void)
{
  g_autoptr(GPtrArray) seed = read_seed_titles (SEED_TABLE);
  g_autoptr(GPtrArray) titles = read_titles_file (TITLES_FILE);

  g_assert_nonnull (seed);
  assert_catalog_titles_equal (seed);
  g_assert_cmpuint (seed->len, ==, titles->len);
  for (guint i = 0; i < seed->len; i++)
    g_assert_cmpstr (g_ptr_array_index (seed, i), ==, g_ptr_array_index (titles, i));
}

static char *
buttons_to_string (PcActions actions)
{
  GString *s = g_string_new (NULL);

  if (actions & PC_ACTION_OPEN_BROWSER)
    g_string_append_c (s, 'B');
  if (actions & PC_ACTION_RETRY)
    g_string_append_c (s, 'R');
  if (actions & PC_ACTION_AUTHENTICATE)
    g_string_append_c (s, 'A');
  return g_string_free (s, FALSE);
}

static void
test_buttons (void)
{
  gsize n;

  pc_catalog_get_all (&n);
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (expected_buttons));

  for (guint i = 0; i < G_N_ELEMENTS (expected_buttons); i++)
    {
      const PcStatusInfo *info = pc_catalog_lookup (expected_buttons[i].code);
      const char *per_module[] = { expected_buttons[i].is, expected_buttons[i].pa, expected_buttons[i].dx };

      g_assert_nonnull (info);
      for (guint kind = 0; kind < PC_N_MODULES; kind++)
        {
          g_autofree char *got = buttons_to_string (pc_catalog_get_actions (info->code, kind));
          gboolean applies = (info->modules & PC_MODULE_MASK (kind)) != 0;

          if (g_str_equal (per_module[kind], "-"))
            {
              g_assert_false (applies);
              continue;
            }
          g_assert_true (applies);
          if (!g_str_equal (got, per_module[kind]))
            g_error ("%s on %s: buttons “%s”, DESIGN says “%s”", info->code,
                     pc_module_kind_to_string (kind), got, per_module[kind]);
        }
    }
}

static void
test_guidance (void)
{
  gsize n;
  const PcStatusInfo *all = pc_catalog_get_all (&n);

  for (gsize i = 0; i < n; i++)
    {
      g_autofree char *explanation = pc_catalog_dup_explanation (all[i].code);

      g_assert_cmpuint (strlen (explanation), >, 20);
      for (guint kind = 0; kind < PC_N_MODULES; kind++)
        {
          g_auto(GStrv) steps = NULL;
          gboolean mentions_contact = FALSE;

          if (!(all[i].modules & PC_MODULE_MASK (kind)))
            continue;

          steps = pc_catalog_dup_guidance (all[i].code, kind, "Help Desk (x123)");
          g_assert_cmpuint (g_strv_length (steps), >=, 1);
          for (guint s = 0; steps[s]; s++)
            {
              g_assert_null (strstr (steps[s], "{support}"));
              g_assert_null (strstr (steps[s], "Zscaler"));
              if (strstr (steps[s], "Help Desk (x123)"))
                mentions_contact = TRUE;
            }

          /* Every code whose escalation ends at support names the contact. */
          for (guint e = 0; e < PC_MAX_ESCALATION && all[i].escalation[e]; e++)
            if (all[i].escalation[e] == PC_STEP_CONTACT_SUPPORT ||
                all[i].escalation[e] == PC_STEP_CONTACT_ADMIN)
              g_assert_true (mentions_contact);
        }
    }
}

static void
test_guidance_per_module (void)
{
  g_auto(GStrv) is = pc_catalog_dup_guidance ("authentication-error", PC_MODULE_INTERNET_SECURITY, NULL);
  g_auto(GStrv) pa = pc_catalog_dup_guidance ("authentication-error", PC_MODULE_PRIVATE_ACCESS, NULL);

  g_assert_cmpstr (is[0], ==, "Click Retry, next to Status.");
  g_assert_cmpstr (pa[0], ==, "Click Authenticate, next to Authentication Status.");
  /* Without a contact in the profile, a generic one. */
  g_assert_nonnull (strstr (is[g_strv_length (is) - 1], "your IT support"));
}

static void
test_escalation (void)
{
  const PcEscalation *auth = pc_catalog_get_escalation ("authentication-error");
  const PcEscalation *driver = pc_catalog_get_escalation ("driver-error");
  const PcEscalation *server = pc_catalog_get_escalation ("server-error");

  g_assert_cmpint (auth[0], ==, PC_STEP_RESTART_SERVICE);
  g_assert_cmpint (auth[1], ==, PC_STEP_LOG_OUT_AND_IN);
  g_assert_cmpint (auth[2], ==, PC_STEP_CONTACT_SUPPORT);
  g_assert_cmpint (driver[0], ==, PC_STEP_REPAIR_APP);
  g_assert_cmpint (server[0], ==, PC_STEP_CHECK_NETWORK);
  g_assert_cmpint (pc_catalog_get_escalation ("safe-mode")[0], ==, PC_STEP_END);
  g_assert_cmpstr (pc_escalation_get_label (PC_STEP_REPAIR_APP), ==, "Repair App");
}

static void
test_titles (void)
{
  g_autofree char *fail_close = pc_catalog_dup_title ("fail-close", "Driver Error");
  g_autofree char *fail_close_bare = pc_catalog_dup_title ("fail-close", "");
  g_autofree char *unknown = pc_catalog_dup_title ("quota-error", NULL);
  g_autofree char *on = pc_status_dup_title ("on", "", "");
  g_autofree char *disabled = pc_status_dup_title ("disabled", "", "");
  g_autofree char *network = pc_status_dup_title ("error", "network-error", "ENETUNREACH");

  g_assert_cmpstr (fail_close, ==, "Fail Close (Driver Error)");
  g_assert_cmpstr (fail_close_bare, ==, "Fail Close");
  g_assert_cmpstr (unknown, ==, "Unknown Error (quota-error)");
  g_assert_cmpstr (on, ==, "On");
  g_assert_cmpstr (disabled, ==, "Turned Off");
  g_assert_cmpstr (network, ==, "Network Error");

  /* A newer service's code gets a Retry everywhere. */
  g_assert_false (pc_catalog_is_known ("quota-error"));
  for (guint kind = 0; kind < PC_N_MODULES; kind++)
    g_assert_cmpint (pc_catalog_get_actions ("quota-error", kind), ==, PC_ACTION_RETRY);
}

static void
test_severity (void)
{
  g_assert_cmpint (pc_status_get_severity ("on", ""), ==, PC_SEVERITY_OK);
  g_assert_cmpint (pc_status_get_severity ("disabled", ""), ==, PC_SEVERITY_OFF);
  g_assert_cmpint (pc_status_get_severity ("connecting", ""), ==, PC_SEVERITY_CONNECTING);
  g_assert_cmpint (pc_status_get_severity ("connecting", "authenticating"), ==, PC_SEVERITY_CONNECTING);
  g_assert_cmpint (pc_status_get_severity ("error", "captive-portal-detected"), ==, PC_SEVERITY_WARNING);
  g_assert_cmpint (pc_status_get_severity ("error", "safe-mode"), ==, PC_SEVERITY_WARNING);
  g_assert_cmpint (pc_status_get_severity ("error", "connection-error"), ==, PC_SEVERITY_ERROR);
  g_assert_cmpint (pc_status_get_severity ("error", "brand-new-code"), ==, PC_SEVERITY_ERROR);
  g_assert_cmpint (PC_SEVERITY_ERROR, <, PC_SEVERITY_UNAVAILABLE);
  g_assert_cmpstr (pc_severity_get_icon_name (PC_SEVERITY_WARNING), ==,
                   "io.github.Portcullis-warning-symbolic");
}

static void
test_module_kinds (void)
{
  PcModuleKind kind;

  g_assert_true (pc_module_kind_from_string ("private_access", &kind));
  g_assert_cmpint (kind, ==, PC_MODULE_PRIVATE_ACCESS);
  g_assert_false (pc_module_kind_from_string ("private-access", &kind));
  g_assert_cmpstr (pc_module_kind_get_title (PC_MODULE_DIGITAL_EXPERIENCE), ==, "Digital Experience");
}

static void
test_uri_is_web (void)
{
  g_assert_true (pc_uri_is_web ("http://portal.example/login"));
  g_assert_true (pc_uri_is_web ("HTTPS://idp.example/device?code=1"));
  g_assert_false (pc_uri_is_web ("file:///etc/passwd"));
  g_assert_false (pc_uri_is_web ("javascript:alert(1)"));
  g_assert_false (pc_uri_is_web ("ftp://example.org/"));
  g_assert_false (pc_uri_is_web ("http://"));
  g_assert_false (pc_uri_is_web ("not a url"));
  g_assert_false (pc_uri_is_web (""));
  g_assert_false (pc_uri_is_web (NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/catalog/titles/table", test_titles_match_table);
  /* The seed lives in the project's shared folder beside the checkout
   * (as in CI); a bare clone checks against the copied table alone. */
  if (g_file_test (SEED_TABLE, G_FILE_TEST_EXISTS))
    g_test_add_func ("/catalog/titles/seed", test_titles_match_seed);
  g_test_add_func ("/catalog/buttons", test_buttons);
  g_test_add_func ("/catalog/guidance", test_guidance);
  g_test_add_func ("/catalog/guidance-per-module", test_guidance_per_module);
  g_test_add_func ("/catalog/escalation", test_escalation);
  g_test_add_func ("/catalog/titles/formatting", test_titles);
  g_test_add_func ("/catalog/severity", test_severity);
  g_test_add_func ("/catalog/module-kinds", test_module_kinds);
  g_test_add_func ("/util/uri-is-web", test_uri_is_web);

  return g_test_run ();
}
