#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""portcullis-tray's popups, as python3-dbusmock's notification daemon
receives them, for every notification rule, and what their buttons do.

Each scenario starts a fresh tray (its rate windows start empty) against
one running portcullisd."""

import os
import time

from trayharness import Desktop, GLib, check, check_equal, compiled_schema_dir, run_tap

ICON = 'io.github.Portcullis-%s-symbolic'
MODULES = ('internet_security', 'private_access', 'digital_experience')

desktop = None


def module_path(module):
    return '/io/github/Portcullis1/module/' + module


def reset_service():
    """All modules on, network online, no error: a quiet starting point."""
    for module in MODULES:
        desktop.clear_error(module)
        desktop.pc_call('Module', 'SetEnabled', '(bss)', (True, '', ''), path=module_path(module))
        desktop.set_module_property(module, 'AuthStatus', GLib.Variant('s', 'authenticated'))
        desktop.set_module_property(module, 'PortalUrl', GLib.Variant('s', ''))
    desktop.set_network('online')


def fresh_tray(extra_env=None):
    """Restarts the tray against the current state; returns when it shows it."""
    if desktop.tray is not None:
        desktop.tray.terminate()
        desktop.tray.wait(10)
        desktop.procs.remove(desktop.tray)
        desktop.tray = None
    before = len(desktop.items)
    desktop.start_tray(extra_env)
    desktop.wait_until(lambda: len(desktop.items) > before, 10, 'the tray never registered')
    desktop.wait_until(lambda: desktop.item_properties()['Title'] != 'Portcullis: Service Unavailable',
                       10, 'the tray never saw the service')
    desktop.iterate(0.3)
    desktop.clear_notifications()


def new_notifications(timeout=5, at_least=1):
    desktop.wait_until(lambda: len(desktop.notifications()) >= at_least, timeout,
                       'no notification arrived')
    return desktop.notifications()


def settle(seconds=0.5):
    desktop.iterate(seconds)


def test_setup():
    global desktop
    desktop = Desktop('notify')
    desktop.start_service()
    desktop.login()
    reset_service()
    fresh_tray()


def test_quiet_start():
    settle()
    check_equal(desktop.notifications(), [], 'popups when everything is fine at start')


def test_error_appearing_and_retry():
    desktop.set_error('internet_security', 'connection-error')
    popup = new_notifications()[0]
    check_equal(popup['app_name'], 'Portcullis', 'app name')
    check_equal(popup['summary'], 'Internet Security: Connection Error', 'summary')
    check_equal(popup['body'], 'Click Retry, next to Status.', 'body: the first guidance step')
    check_equal(popup['icon'], ICON % 'error', 'the state’s icon')
    check_equal(popup['urgency'], 1, 'normal urgency')
    check_equal(popup['actions'].get('retry'), 'Retry', 'a Retry button')
    check('open-browser' not in popup['actions'], 'no Open Browser for a connection error')
    check_equal(popup['hints'].get('desktop-entry'), 'io.github.Portcullis', 'desktop-entry hint')

    desktop.reset_service_calls()
    desktop.invoke_notification_action(popup['id'], 'retry')
    desktop.wait_until(lambda: 'internet_security.Retry' in desktop.service_calls(), 5,
                       'Retry in the popup never reached the service')


def test_replaced_not_stacked():
    first = desktop.notifications()[0]
    desktop.set_module_property('internet_security', 'PortalUrl',
                                GLib.Variant('s', 'http://portal.example/'))
    desktop.set_error('internet_security', 'captive-portal-detected')
    popups = new_notifications(at_least=2)
    check_equal(popups[1]['summary'], 'Internet Security: Captive Portal Detected', 'next state')
    check_equal(popups[1]['replaces_id'], first['id'], 'the module’s popup is replaced')


def test_captive_portal_open_browser():
    reset_service()
    url = 'http://portal.example/login?via=popup'
    desktop.set_module_property('internet_security', 'PortalUrl', GLib.Variant('s', url))
    fresh_tray()
    desktop.set_error('internet_security', 'captive-portal-detected')
    popup = new_notifications()[0]
    check_equal(popup['summary'], 'Internet Security: Captive Portal Detected', 'summary')
    check_equal(popup['urgency'], 2, 'critical urgency')
    check_equal(popup['icon'], ICON % 'warning', 'warning icon')
    check_equal(popup['actions'].get('open-browser'), 'Open Browser', 'an Open Browser button')
    check_equal(popup['actions'].get('retry'), 'Retry', 'a Retry button')
    check(popup['body'].startswith('Click Open Browser'), f'guidance: {popup["body"]}')

    desktop.invoke_notification_action(popup['id'], 'open-browser')
    desktop.wait_until(lambda: url in desktop.browser_urls(), 10,
                       'the URL handler never got the portal URL')
    check_equal(desktop.browser_urls().count(url), 1, 'opened once')


def test_captive_portal_not_web():
    reset_service()
    desktop.set_module_property('internet_security', 'PortalUrl',
                                GLib.Variant('s', 'javascript:alert(1)'))
    fresh_tray()
    opened_before = list(desktop.browser_urls())
    desktop.set_error('internet_security', 'captive-portal-detected')
    popup = new_notifications()[0]
    check('open-browser' not in popup['actions'], f'Open Browser for a non-web URL: {popup}')
    # Even a forged click does not open it.
    desktop.invoke_notification_action(popup['id'], 'open-browser')
    settle(1.0)
    check_equal(desktop.browser_urls(), opened_before, 'a non-web URL reached the browser')


def test_turned_off_and_connected():
    reset_service()
    desktop.pc_call('Module', 'SetEnabled', '(bss)', (False, '', 'test'),
                    path=module_path('private_access'))
    fresh_tray()
    desktop.pc_call('Module', 'SetEnabled', '(bss)', (True, '', ''),
                    path=module_path('private_access'))
    popup = new_notifications()[0]
    check_equal(popup['summary'], 'Private Access is connected', 'turning on')
    check_equal(popup['icon'], ICON % 'on', 'on icon')
    check_equal(popup['urgency'], 0, 'low urgency')

    desktop.pc_call('Module', 'SetEnabled', '(bss)', (False, '', 'test'),
                    path=module_path('digital_experience'))
    popups = new_notifications(at_least=2)
    check_equal(popups[1]['summary'], 'Digital Experience is turned off', 'turning off')
    check_equal(popups[1]['icon'], ICON % 'off', 'off icon')


def test_network_disconnected():
    reset_service()
    fresh_tray()
    desktop.set_network('none')
    popup = new_notifications()[0]
    check_equal(popup['summary'], 'Network disconnected', 'summary')
    check_equal(popup['icon'], ICON % 'error', 'icon')


def test_safe_mode():
    reset_service()
    fresh_tray()
    desktop.set_error('internet_security', 'safe-mode')
    started = new_notifications()[0]
    check_equal(started['summary'], 'Safe mode started', 'safe mode start')
    check_equal(started['icon'], ICON % 'warning', 'warning icon')
    desktop.clear_error('internet_security')
    popups = new_notifications(at_least=2)
    check_equal(popups[1]['summary'], 'Safe mode stopped', 'safe mode stop')
    # Again within twelve hours: not repeated.
    desktop.set_error('internet_security', 'safe-mode')
    desktop.clear_error('internet_security')
    settle(1.0)
    summaries = [n['summary'] for n in desktop.notifications()]
    check_equal(summaries.count('Safe mode started'), 1, f'safe mode repeated: {summaries}')
    check_equal(summaries.count('Safe mode stopped'), 1, f'safe mode repeated: {summaries}')


def test_authentication_required():
    reset_service()
    fresh_tray()
    desktop.set_module_property('private_access', 'AuthStatus', GLib.Variant('s', 'required'))
    popup = new_notifications()[0]
    check_equal(popup['summary'], 'Private Access: Authentication Required', 'summary')
    check_equal(popup['actions'].get('authenticate'), 'Authenticate', 'an Authenticate button')
    desktop.reset_service_calls()
    desktop.invoke_notification_action(popup['id'], 'authenticate')
    desktop.wait_until(lambda: 'private_access.Authenticate' in desktop.service_calls(), 5,
                       'Authenticate in the popup never reached the service')


def test_default_action_opens_window():
    desktop.app_calls.clear()
    popup = desktop.notifications()[0]
    desktop.invoke_notification_action(popup['id'], 'default')
    desktop.wait_until(lambda: desktop.app_calls, 5, 'clicking the popup did not open the window')
    check_equal(desktop.app_calls[0][0], 'Activate', 'the window app was activated')


def test_duplicates_suppressed():
    reset_service()
    fresh_tray()
    desktop.set_error('digital_experience', 'server-error')
    new_notifications()
    desktop.clear_error('digital_experience')
    desktop.set_error('digital_experience', 'server-error')
    settle(1.0)
    summaries = [n['summary'] for n in desktop.notifications()]
    check_equal(summaries, ['Digital Experience: Server Error'], 'duplicates within a minute')


def test_flapping():
    reset_service()
    fresh_tray()
    started = time.monotonic()
    for flip in range(100):
        for module in MODULES:
            if flip % 2 == 0:
                desktop.set_error(module, 'internal-error' if module == 'internet_security'
                                  else 'network-error')
            else:
                desktop.clear_error(module)
    elapsed = time.monotonic() - started
    settle(1.5)
    popups = desktop.notifications()
    per_module = {}
    for popup in popups:
        module = popup['summary'].split(':')[0].replace(' is connected', '')
        per_module[module] = per_module.get(module, 0) + 1
    check(all(count <= 1 for count in per_module.values()),
          f'{len(popups)} popups for 100 flips in {elapsed:.2f} s: {per_module}')
    check_equal(sorted(per_module), ['Digital Experience', 'Internet Security', 'Private Access'],
                'each module said something once')
    print(f'# 100 flips x 3 modules in {elapsed:.2f} s -> {len(popups)} popups')


def test_settings_switch():
    check(compiled_schema_dir() is not None,
          'the io.github.Portcullis GSettings schema is not compiled in the build tree')
    reset_service()
    keyfile_dir = os.path.join(desktop.tmp, 'config', 'glib-2.0', 'settings')
    os.makedirs(keyfile_dir, exist_ok=True)
    with open(os.path.join(keyfile_dir, 'keyfile'), 'w') as f:
        f.write('[io/github/Portcullis]\nnotifications=false\n')
    fresh_tray()
    desktop.set_error('digital_experience', 'installation-error')
    settle(1.0)
    check_equal(desktop.notifications(), [], 'a popup with notifications switched off')

    # Critical ones still come.
    desktop.set_module_property('internet_security', 'PortalUrl',
                                GLib.Variant('s', 'https://portal.example/'))
    desktop.set_error('internet_security', 'captive-portal-detected')
    popup = new_notifications()[0]
    check_equal(popup['summary'], 'Internet Security: Captive Portal Detected', 'critical popup')

    # Switched back on while running: popups come again.
    with open(os.path.join(keyfile_dir, 'keyfile'), 'w') as f:
        f.write('[io/github/Portcullis]\nnotifications=true\n')
    settle(1.0)
    desktop.set_error('private_access', 'untrusted-root-cert')
    popups = new_notifications(at_least=2)
    check_equal(popups[-1]['summary'], 'Private Access: Untrusted Root Cert', 'switched back on')


def test_no_warnings():
    log = desktop.tray_output()
    check('CRITICAL' not in log and 'Gtk-WARNING' not in log, 'tray log:\n' + log)


if __name__ == '__main__':
    try:
        run_tap([
            ('setup', test_setup),
            ('quiet start', test_quiet_start),
            ('error appearing, Retry', test_error_appearing_and_retry),
            ('replaced, not stacked', test_replaced_not_stacked),
            ('captive portal, Open Browser', test_captive_portal_open_browser),
            ('captive portal with a non-web URL', test_captive_portal_not_web),
            ('turned off and connected', test_turned_off_and_connected),
            ('network disconnected', test_network_disconnected),
            ('safe mode', test_safe_mode),
            ('authentication required, Authenticate', test_authentication_required),
            ('clicking a popup opens the window', test_default_action_opens_window),
            ('duplicates suppressed', test_duplicates_suppressed),
            ('flapping', test_flapping),
            ('settings switch', test_settings_switch),
            ('no warnings', test_no_warnings),
        ])
    finally:
        if desktop is not None:
            desktop.stop()
