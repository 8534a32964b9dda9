/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pc-notification-rules.h"

/*
 * The notification rules, with the clock in the test's hands: which popup
 * each change calls for, and what the minute / twelve-hour windows, the
 * flapping limit and the Settings switch hold back.
 */

#define SECOND G_GINT64_CONSTANT (1000000)
#define MINUTE (60 * SECOND)
#define HOUR   (60 * MINUTE)
#define T0     (1000 * SECOND)

#define IS PC_MODULE_INTERNET_SECURITY
#define PA PC_MODULE_PRIVATE_ACCESS
#define DX PC_MODULE_DIGITAL_EXPERIENCE

typedef struct
{
  PcNotificationRules *rules;
  PcStateSnapshot      state;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->rules = pc_notification_rules_new ();
  fixture->state.available = TRUE;
  fixture->state.user = "alice";
  fixture->state.network = "online";
  fixture->state.support_contact = "the help desk";
  for (guint i = 0; i < PC_N_MODULES; i++)
    {
      PcModuleSnapshot *module = &fixture->state.modules[i];

      module->present = TRUE;
      module->status = "on";
      module->error = "";
      module->error_detail = "";
      module->auth_status = "authenticated";
      module->portal_url = "";
    }
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->rules);
}

static void
set_error (Fixture      *fixture,
           PcModuleKind  kind,
           const char   *code)
{
  fixture->state.modules[kind].status = (code && *code) ? "error" : "on";
  fixture->state.modules[kind].error = code ? code : "";
}

static GPtrArray *
update (Fixture *fixture,
        gint64   now)
{
  return pc_notification_rules_update (fixture->rules, &fixture->state, now);
}

static PcNotification *
only (GPtrArray *shown)
{
  g_assert_nonnull (shown);
  g_assert_cmpuint (shown->len, ==, 1);
  return g_ptr_array_index (shown, 1 - 1);
}

static void
assert_none (GPtrArray *shown)
{
  g_autoptr(GPtrArray) owned = shown;

  g_assert_nonnull (owned);
  if (owned->len > 0)
    g_error ("Expected no popup, got “%s”", ((PcNotification *) owned->pdata[0])->summary);
}

static void
test_first_look_is_quiet (Fixture       *fixture,
                          gconstpointer  data)
{
  /* Everything on at login: nothing to say. */
  assert_none (update (fixture, T0));
  assert_none (update (fixture, T0 + SECOND));
}

static void
test_error_appearing (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) shown = NULL;
  PcNotification *popup;

  assert_none (update (fixture, T0));

  set_error (fixture, IS, "connection-error");
  shown = update (fixture, T0 + SECOND);
  popup = only (shown);
  g_assert_cmpstr (popup->key, ==, "internet_security");
  g_assert_cmpstr (popup->summary, ==, "Internet Security: Connection Error");
  g_assert_cmpstr (popup->body, ==, "Click Retry, next to Status.");
  g_assert_cmpstr (popup->icon_name, ==, "io.github.Portcullis-error-symbolic");
  g_assert_cmpint (popup->urgency, ==, PC_NOTIFICATION_URGENCY_NORMAL);
  g_assert_cmpint (popup->actions, ==, PC_ACTION_RETRY);
  g_assert_cmpint (popup->kind, ==, IS);

  /* The same state again is not news. */
  assert_none (update (fixture, T0 + 2 * SECOND));
}

static void
test_error_present_at_start (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GPtrArray) shown = NULL;

  set_error (fixture, PA, "untrusted-root-cert");
  shown = update (fixture, T0);
  g_assert_cmpstr (only (shown)->summary, ==, "Private Access: Untrusted Root Cert");
  /* {support} is the profile's contact */
  g_assert_cmpstr (only (shown)->body, ==, "Contact the help desk.");
  g_assert_cmpint (only (shown)->actions, ==, PC_ACTION_NONE);
}

static void
test_captive_portal (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) shown = NULL;
  g_autoptr(GPtrArray) shown_no_url = NULL;
  g_autoptr(GPtrArray) shown_bad_url = NULL;
  PcNotification *popup;

  assert_none (update (fixture, T0));

  fixture->state.modules[IS].portal_url = "http://portal.example/login";
  set_error (fixture, IS, "captive-portal-detected");
  shown = update (fixture, T0 + SECOND);
  popup = only (shown);
  g_assert_cmpstr (popup->summary, ==, "Internet Security: Captive Portal Detected");
  g_assert_cmpint (popup->urgency, ==, PC_NOTIFICATION_URGENCY_CRITICAL);
  g_assert_cmpint (popup->actions, ==, PC_ACTION_OPEN_BROWSER | PC_ACTION_RETRY);
  g_assert_cmpstr (popup->icon_name, ==, "io.github.Portcullis-warning-symbolic");

  /* No web address: nothing for Open Browser to open. */
  g_clear_object (&fixture->rules);
  fixture->rules = pc_notification_rules_new ();
  fixture->state.modules[IS].portal_url = "";
  shown_no_url = update (fixture, T0);
  g_assert_cmpint (only (shown_no_url)->actions, ==, PC_ACTION_RETRY);

  g_clear_object (&fixture->rules);
  fixture->rules = pc_notification_rules_new ();
  fixture->state.modules[IS].portal_url = "file:///etc/passwd";
  shown_bad_url = update (fixture, T0);
  g_assert_cmpint (only (shown_bad_url)->actions, ==, PC_ACTION_RETRY);
}

static void
test_fail_close_and_unknown (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GPtrArray) fail_close = NULL;
  g_autoptr(GPtrArray) unknown = NULL;

  assert_none (update (fixture, T0));

  set_error (fixture, IS, "fail-close");
  fixture->state.modules[IS].error_detail = "Driver Error";
  fail_close = update (fixture, T0 + SECOND);
  g_assert_cmpstr (only (fail_close)->summary, ==, "Internet Security: Fail Close (Driver Error)");
  g_assert_cmpint (only (fail_close)->urgency, ==, PC_NOTIFICATION_URGENCY_CRITICAL);

  fixture->state.modules[DX].error = "tunnel-quota-error";
  fixture->state.modules[DX].status = "error";
  unknown = update (fixture, T0 + 2 * SECOND);
  g_assert_cmpstr (only (unknown)->summary, ==, "Digital Experience: Unknown Error (tunnel-quota-error)");
  g_assert_cmpint (only (unknown)->actions, ==, PC_ACTION_RETRY);
}

static void
test_no_popup_for_progress (Fixture       *fixture,
                            gconstpointer  data)
{
  assert_none (update (fixture, T0));

  /* "Authenticating..." clears by itself. */
  set_error (fixture, IS, "authenticating");
  fixture->state.modules[IS].status = "connecting";
  assert_none (update (fixture, T0 + SECOND));
}

static void
test_connected_and_turned_off (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(GPtrArray) off = NULL;
  g_autoptr(GPtrArray) on = NULL;

  assert_none (update (fixture, T0));

  fixture->state.modules[PA].status = "disabled";
  off = update (fixture, T0 + SECOND);
  g_assert_cmpstr (only (off)->summary, ==, "Private Access is turned off");
  g_assert_cmpstr (only (off)->icon_name, ==, "io.github.Portcullis-off-symbolic");

  fixture->state.modules[PA].status = "connecting";
  assert_none (update (fixture, T0 + 2 * MINUTE));

  fixture->state.modules[PA].status = "on";
  on = update (fixture, T0 + 3 * MINUTE);
  g_assert_cmpstr (only (on)->summary, ==, "Private Access is connected");
  g_assert_cmpstr (only (on)->icon_name, ==, "io.github.Portcullis-on-symbolic");
  g_assert_cmpint (only (on)->urgency, ==, PC_NOTIFICATION_URGENCY_LOW);
}

static void
test_duplicates_within_a_minute (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) later = NULL;

  assert_none (update (fixture, T0));

  set_error (fixture, IS, "internal-error");
  first = update (fixture, T0 + SECOND);
  g_assert_cmpuint (first->len, ==, 1);

  /* Gone and back within the minute: the same popup is not repeated... */
  set_error (fixture, IS, NULL);
  assert_none (update (fixture, T0 + 10 * SECOND));
  set_error (fixture, IS, "internal-error");
  assert_none (update (fixture, T0 + 20 * SECOND));
  /* ...and the held-back "connected" was dropped, the module being back
   * where the last popup left it. */
  g_assert_cmpint (pc_notification_rules_get_next_due (fixture->rules), ==, -1);

  /* After the minute it is news again. */
  set_error (fixture, IS, NULL);
  assert_none (update (fixture, T0 + 30 * SECOND));
  set_error (fixture, IS, "internal-error");
  later = update (fixture, T0 + 2 * MINUTE);
  g_assert_cmpstr (only (later)->summary, ==, "Internet Security: Internal Error");
}

static void
test_flapping (Fixture       *fixture,
               gconstpointer  data)
{
  guint popups[PC_N_MODULES] = { 0 };
  g_autoptr(GPtrArray) flushed = NULL;
  g_autoptr(GPtrArray) early = NULL;

  assert_none (update (fixture, T0));

  /* 100 flips of every module within one second. */
  for (guint flip = 0; flip < 100; flip++)
    {
      g_autoptr(GPtrArray) shown = NULL;

      for (guint i = 0; i < PC_N_MODULES; i++)
        set_error (fixture, i, flip % 2 == 0 ? "network-error" : NULL);
      shown = update (fixture, T0 + SECOND + flip * 10000);
      for (guint j = 0; j < shown->len; j++)
        popups[((PcNotification *) shown->pdata[j])->kind]++;
    }

  for (guint i = 0; i < PC_N_MODULES; i++)
    g_assert_cmpuint (popups[i], ==, 1);

  /* The last flip left the modules on: that is said once the minute ends. */
  g_assert_cmpint (pc_notification_rules_get_next_due (fixture->rules), ==, T0 + SECOND + MINUTE);
  early = pc_notification_rules_flush (fixture->rules, T0 + 30 * SECOND);
  g_assert_cmpuint (early->len, ==, 0);
  flushed = pc_notification_rules_flush (fixture->rules, T0 + SECOND + MINUTE);
  g_assert_cmpuint (flushed->len, ==, PC_N_MODULES);
  for (guint i = 0; i < flushed->len; i++)
    g_assert_true (g_str_has_suffix (((PcNotification *) flushed->pdata[i])->summary, " is connected"));
  g_assert_cmpint (pc_notification_rules_get_next_due (fixture->rules), ==, -1);
}

static void
test_escalation_goes_through (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GPtrArray) connected = NULL;
  g_autoptr(GPtrArray) portal = NULL;

  fixture->state.modules[IS].status = "connecting";
  assert_none (update (fixture, T0));
  fixture->state.modules[IS].status = "on";
  connected = update (fixture, T0 + SECOND);
  g_assert_cmpuint (connected->len, ==, 1);

  /* A captive portal right after connecting does not wait a minute. */
  set_error (fixture, IS, "captive-portal-detected");
  portal = update (fixture, T0 + 5 * SECOND);
  g_assert_cmpint (only (portal)->urgency, ==, PC_NOTIFICATION_URGENCY_CRITICAL);

  /* A normal one after it does. */
  set_error (fixture, IS, "connection-error");
  assert_none (update (fixture, T0 + 6 * SECOND));
  g_assert_cmpint (pc_notification_rules_get_next_due (fixture->rules), ==, T0 + 5 * SECOND + MINUTE);
}

static void
test_safe_mode (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GPtrArray) started = NULL;
  g_autoptr(GPtrArray) stopped = NULL;
  g_autoptr(GPtrArray) next_day = NULL;

  assert_none (update (fixture, T0));

  set_error (fixture, IS, "safe-mode");
  started = update (fixture, T0 + SECOND);
  g_assert_cmpstr (only (started)->key, ==, "safe-mode");
  g_assert_cmpstr (only (started)->summary, ==, "Safe mode started");

  /* Stopping right after starting is said at once. */
  set_error (fixture, IS, NULL);
  stopped = update (fixture, T0 + 2 * SECOND);
  g_assert_cmpstr (only (stopped)->summary, ==, "Safe mode stopped");

  /* Twelve hours before safe mode is announced again. */
  set_error (fixture, IS, "safe-mode");
  assert_none (update (fixture, T0 + 2 * HOUR));
  set_error (fixture, IS, NULL);
  assert_none (update (fixture, T0 + 3 * HOUR));

  set_error (fixture, IS, "safe-mode");
  next_day = update (fixture, T0 + 13 * HOUR);
  g_assert_cmpstr (only (next_day)->summary, ==, "Safe mode started");
}

static void
test_settings_switch (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) critical = NULL;

  pc_notification_rules_set_enabled (fixture->rules, FALSE);
  g_assert_false (pc_notification_rules_get_enabled (fixture->rules));
  assert_none (update (fixture, T0));

  set_error (fixture, DX, "server-error");
  assert_none (update (fixture, T0 + SECOND));
  g_assert_cmpint (pc_notification_rules_get_next_due (fixture->rules), ==, -1);

  /* Critical ones still come. */
  fixture->state.modules[IS].portal_url = "https://portal.example/";
  set_error (fixture, IS, "captive-portal-detected");
  critical = update (fixture, T0 + 2 * SECOND);
  g_assert_cmpstr (only (critical)->summary, ==, "Internet Security: Captive Portal Detected");
}

static void
test_network_disconnected (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GPtrArray) shown = NULL;

  assert_none (update (fixture, T0));

  fixture->state.network = "none";
  for (guint i = 0; i < PC_N_MODULES; i++)
    set_error (fixture, i, "network-error");
  shown = update (fixture, T0 + SECOND);

  /* One popup says it, not one per module. */
  g_assert_cmpstr (only (shown)->key, ==, "network");
  g_assert_cmpstr (only (shown)->summary, ==, "Network disconnected");
}

static void
test_authentication_required (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GPtrArray) shown = NULL;

  assert_none (update (fixture, T0));

  fixture->state.modules[PA].auth_status = "required";
  fixture->state.modules[DX].auth_status = "required";
  shown = update (fixture, T0 + SECOND);
  g_assert_cmpstr (only (shown)->summary, ==, "Private Access: Authentication Required");
  g_assert_cmpint (only (shown)->actions, ==, PC_ACTION_AUTHENTICATE);
  g_assert_cmpint (only (shown)->kind, ==, PA);
}

static void
test_logged_out_is_quiet (Fixture       *fixture,
                          gconstpointer  data)
{
  fixture->state.user = "";
  for (guint i = 0; i < PC_N_MODULES; i++)
    {
      fixture->state.modules[i].status = "off";
      fixture->state.modules[i].auth_status = "required";
    }
  assert_none (update (fixture, T0));
}

static void
test_logging_out_is_quiet (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GPtrArray) back = NULL;

  assert_none (update (fixture, T0));

  fixture->state.user = "";
  for (guint i = 0; i < PC_N_MODULES; i++)
    {
      fixture->state.modules[i].status = "off";
      fixture->state.modules[i].auth_status = "required";
    }
  assert_none (update (fixture, T0 + SECOND));

  /* Logging in again: each module says it is connected. */
  fixture->state.user = "alice";
  for (guint i = 0; i < PC_N_MODULES; i++)
    {
      fixture->state.modules[i].status = "on";
      fixture->state.modules[i].auth_status = "authenticated";
    }
  back = update (fixture, T0 + 2 * SECOND);
  g_assert_cmpuint (back->len, ==, PC_N_MODULES);
}

static void
test_service_restart (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) back = NULL;
  g_autoptr(GPtrArray) error = NULL;

  assert_none (update (fixture, T0));

  fixture->state.available = FALSE;
  assert_none (update (fixture, T0 + SECOND));

  /* Back, connecting then on: the user hears it is connected again. */
  fixture->state.available = TRUE;
  for (guint i = 0; i < PC_N_MODULES; i++)
    fixture->state.modules[i].status = "connecting";
  assert_none (update (fixture, T0 + 2 * SECOND));
  fixture->state.modules[IS].status = "on";
  back = update (fixture, T0 + 3 * SECOND);
  g_assert_cmpstr (only (back)->summary, ==, "Internet Security is connected");

  /* A module the service stops exporting is forgotten. */
  fixture->state.modules[DX].present = FALSE;
  assert_none (update (fixture, T0 + 4 * SECOND));
  fixture->state.modules[DX].present = TRUE;
  set_error (fixture, DX, "installation-error");
  error = update (fixture, T0 + 5 * SECOND);
  g_assert_cmpstr (only (error)->summary, ==, "Digital Experience: Installation Error");
}

static void
test_copy (void)
{
  PcNotification original = {
    .key = (char *) "network", .kind = IS, .summary = (char *) "S", .body = (char *) "B",
    .icon_name = "x", .urgency = PC_NOTIFICATION_URGENCY_LOW, .actions = PC_ACTION_RETRY,
  };
  g_autoptr(PcNotification) copy = pc_notification_copy (&original);

  g_assert_true (copy->key != original.key);
  g_assert_cmpstr (copy->key, ==, "network");
  g_assert_cmpstr (copy->summary, ==, "S");
  g_assert_cmpstr (copy->body, ==, "B");
  g_assert_cmpint (copy->actions, ==, PC_ACTION_RETRY);
  g_assert_true (G_TYPE_IS_BOXED (PC_TYPE_NOTIFICATION));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/tray/rules/first-look-is-quiet", test_first_look_is_quiet);
  ADD ("/tray/rules/error-appearing", test_error_appearing);
  ADD ("/tray/rules/error-present-at-start", test_error_present_at_start);
  ADD ("/tray/rules/captive-portal", test_captive_portal);
  ADD ("/tray/rules/fail-close-and-unknown", test_fail_close_and_unknown);
  ADD ("/tray/rules/no-popup-for-progress", test_no_popup_for_progress);
  ADD ("/tray/rules/connected-and-turned-off", test_connected_and_turned_off);
  ADD ("/tray/rules/duplicates-within-a-minute", test_duplicates_within_a_minute);
  ADD ("/tray/rules/flapping", test_flapping);
  ADD ("/tray/rules/escalation-goes-through", test_escalation_goes_through);
  ADD ("/tray/rules/safe-mode", test_safe_mode);
  ADD ("/tray/rules/settings-switch", test_settings_switch);
  ADD ("/tray/rules/network-disconnected", test_network_disconnected);
  ADD ("/tray/rules/authentication-required", test_authentication_required);
  ADD ("/tray/rules/logged-out-is-quiet", test_logged_out_is_quiet);
  ADD ("/tray/rules/logging-out-is-quiet", test_logging_out_is_quiet);
  ADD ("/tray/rules/service-restart", test_service_restart);
  g_test_add_func ("/tray/rules/copy", test_copy);

  return g_test_run ();
}
