#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""portcullis-tray as a panel sees it: the StatusNotifierItem's properties
and its dbusmenu, for every state of the real portcullisd, and what its
menu items do when clicked."""

import os
import subprocess
import tarfile
import time

from trayharness import (Desktop, GLib, TRAY, check, check_equal,
                         run_tap)

ICON = 'io.github.Portcullis-%s-symbolic'
TITLES = {'internet_security': 'Internet Security', 'private_access': 'Private Access',
          'digital_experience': 'Digital Experience'}
APP_ITEMS = ['Open Portcullis', 'Export Logs…', 'Report an Issue…', 'Quit']

# DESIGN §4, written out independently of app/common/pc-catalog.c:
# code -> (title, severity, {module: contextual menu items})
STATUS_TABLE = {
    'intermediate-authentication-error': ('Intermediate Authentication Error', 'warning',
                                          {'internet_security': []}),
    'authenticating': ('Authenticating...', 'connecting',
                       {'internet_security': [], 'private_access': []}),
    'authentication-error': ('Authentication Error', 'error',
                             {'internet_security': ['Retry'], 'private_access': ['Authenticate']}),
    'captive-portal-detected': ('Captive Portal Detected', 'warning',
                                {'internet_security': ['Open Browser', 'Retry']}),
    'captive-portal-error': ('Captive Portal Error', 'error', {'internet_security': ['Retry']}),
    'chaining-authentication-error': ('Chaining Authentication Error', 'error',
                                      {'internet_security': ['Retry'],
                                       'private_access': ['Authenticate']}),
    'connection-error': ('Connection Error', 'error', {'internet_security': ['Retry']}),
    'driver-error': ('Driver Error', 'error', {'internet_security': []}),
    'endpoint-fw-av-error': ('Endpoint FW/AV Error', 'error', {'internet_security': []}),
    'fail-open': ('Fail Open', 'warning', {'internet_security': []}),
    'fail-close': ('Fail Close (Driver Error)', 'error', {'internet_security': ['Retry']}),
    'internal-error': ('Internal Error', 'error', {'internet_security': ['Retry']}),
    'installation-error': ('Installation Error', 'error', {'digital_experience': ['Retry']}),
    'network-error': ('Network Error', 'error',
                      {'internet_security': ['Retry'], 'private_access': ['Retry'],
                       'digital_experience': ['Retry']}),
    'safe-mode': ('Safe Mode', 'warning', {'internet_security': []}),
    'server-error': ('Server Error', 'error', {'digital_experience': ['Retry']}),
    'untrusted-root-cert': ('Untrusted Root Cert', 'error', {'private_access': []}),
}

desktop = None


def status_lines(labels):
    return [label for label in labels if ': ' in label]


def contextual(labels):
    return [label for label in labels
            if ': ' not in label and label not in APP_ITEMS]


def test_unavailable_at_start():
    global desktop
    desktop = Desktop('sni')
    desktop.start_tray()
    desktop.wait_for_item()
    props = desktop.item_properties()
    check_equal(props['IconName'], ICON % 'unavailable', 'icon without the service')
    check_equal(props['Title'], 'Portcullis: Service Unavailable', 'title without the service')
    check_equal(props['Id'], 'io.github.Portcullis', 'item id')
    check_equal(props['Category'], 'ApplicationStatus', 'item category')
    check(props['IconThemePath'].endswith('/resources/icons'),
          f'IconThemePath points at the uninstalled icons: {props["IconThemePath"]}')
    check(os.path.exists(os.path.join(props['IconThemePath'], 'hicolor', 'symbolic', 'apps',
                                      ICON % 'unavailable' + '.svg')),
          'the icon is where IconThemePath says')
    check_equal(desktop.menu_labels(), ['Portcullis service is not running'] + APP_ITEMS,
                'menu without the service')
    check(not desktop.menu_item('Export Logs…')['enabled'],
          'Export Logs is insensitive without the service')
    check(desktop.menu_item('Open Portcullis')['enabled'], 'Open Portcullis stays sensitive')
    check(not desktop.menu_item('Portcullis service is not running')['enabled'],
          'a status line is not a button')


def test_logged_out_then_all_on():
    desktop.start_service()
    desktop.wait_for_title('Internet Security: Off')
    check_equal(desktop.item_properties()['IconName'], ICON % 'off', 'icon when logged out')
    check(desktop.menu_item('Export Logs…')['enabled'], 'Export Logs sensitive with the service')

    desktop.login()
    desktop.wait_for_title('Internet Security: On')
    props = desktop.item_properties()
    check_equal(props['IconName'], ICON % 'on', 'icon when all on')
    check_equal(props['Status'], 'Active', 'item status when all on')
    labels = desktop.menu_labels()
    check_equal(status_lines(labels), ['Internet Security: On', 'Private Access: On',
                                       'Digital Experience: On'], 'status lines')
    check_equal(contextual(labels), [], 'no contextual action when all is well')


def test_every_status_code():
    desktop.set_module_property('internet_security', 'PortalUrl',
                                GLib.Variant('s', 'http://portal.example/login'))
    for code, (title, severity, modules) in STATUS_TABLE.items():
        for module, actions in modules.items():
            detail = 'Driver Error' if code == 'fail-close' else ''
            desktop.set_error(module, code, detail)
            expected_title = f'{TITLES[module]}: {title}'
            desktop.wait_for_title(expected_title)
            props = desktop.item_properties()
            check_equal(props['IconName'], ICON % severity, f'icon for {code} on {module}')
            check_equal(props['Status'],
                        'NeedsAttention' if severity in ('warning', 'error') else 'Active',
                        f'item status for {code}')
            labels = desktop.menu_labels()
            check(expected_title in status_lines(labels), f'status line for {code}: {labels}')
            check_equal(contextual(labels), actions, f'contextual items for {code} on {module}')
            for action in actions:
                check(desktop.menu_item(action)['enabled'], f'{action} is sensitive')
            desktop.clear_error(module)
            desktop.wait_for_title('Internet Security: On')


def test_worst_module_wins():
    desktop.set_error('digital_experience', 'server-error')
    desktop.set_error('internet_security', 'captive-portal-detected')
    # error (DX) is worse than warning (IS)
    desktop.wait_for_title('Digital Experience: Server Error')
    check_equal(desktop.item_properties()['IconName'], ICON % 'error', 'worst severity icon')
    check_equal(contextual(desktop.menu_labels()), ['Retry'], 'the worst problem’s action')
    desktop.clear_error('digital_experience')
    desktop.wait_for_title('Internet Security: Captive Portal Detected')
    check_equal(desktop.item_properties()['IconName'], ICON % 'warning', 'next worst')
    desktop.clear_error('internet_security')
    desktop.wait_for_title('Internet Security: On')


def test_turned_off():
    for module in TITLES:
        desktop.pc_call('Module', 'SetEnabled', '(bss)', (False, '', 'test'),
                        path='/io/github/Portcullis1/module/' + module)
    desktop.wait_for_title('Internet Security: Turned Off')
    check_equal(desktop.item_properties()['IconName'], ICON % 'off', 'icon when turned off')
    for module in TITLES:
        desktop.pc_call('Module', 'SetEnabled', '(bss)', (True, '', ''),
                        path='/io/github/Portcullis1/module/' + module)
    desktop.wait_for_title('Internet Security: On')


def test_connecting():
    desktop.set_module_property('private_access', 'Status', GLib.Variant('s', 'connecting'))
    desktop.wait_for_title('Private Access: Connecting…')
    check_equal(desktop.item_properties()['IconName'], ICON % 'connecting', 'connecting icon')
    desktop.set_module_property('private_access', 'Status', GLib.Variant('s', 'on'))
    desktop.wait_for_title('Internet Security: On')


def test_click_retry():
    desktop.set_error('internet_security', 'connection-error')
    desktop.wait_for_title('Internet Security: Connection Error')
    desktop.reset_service_calls()
    desktop.click('Retry')
    desktop.wait_until(lambda: 'internet_security.Retry' in desktop.service_calls(), 5,
                       'the service never received Retry')
    desktop.clear_error('internet_security')
    desktop.wait_for_title('Internet Security: On')


def test_click_authenticate():
    desktop.set_error('private_access', 'authentication-error')
    desktop.wait_for_title('Private Access: Authentication Error')
    desktop.reset_service_calls()
    desktop.click('Authenticate')
    desktop.wait_until(lambda: 'private_access.Authenticate' in desktop.service_calls(), 5,
                       'the service never received Authenticate')
    desktop.clear_error('private_access')
    desktop.wait_for_title('Internet Security: On')


def test_click_open_browser():
    url = 'http://portal.example/login?from=tray'
    desktop.set_module_property('internet_security', 'PortalUrl', GLib.Variant('s', url))
    desktop.set_error('internet_security', 'captive-portal-detected')
    desktop.wait_for_title('Internet Security: Captive Portal Detected')
    desktop.click('Open Browser')
    desktop.wait_until(lambda: url in desktop.browser_urls(), 10,
                       'the browser never got the portal URL')
    check_equal(set(desktop.browser_gdk_gl()), {'unset'},
                'the browser inherited the tray’s GDK_GL=disable')

    # A portal address that is not a web address is never offered.
    desktop.set_module_property('internet_security', 'PortalUrl',
                                GLib.Variant('s', 'file:///etc/passwd'))
    desktop.wait_until(lambda: 'Open Browser' not in desktop.menu_labels(), 5,
                       'Open Browser still offered for a file: URL')
    check_equal(contextual(desktop.menu_labels()), ['Retry'], 'only Retry for a file: portal')
    desktop.clear_error('internet_security')
    desktop.wait_for_title('Internet Security: On')


def test_click_open_window_and_report_issue():
    desktop.app_calls.clear()
    desktop.click('Open Portcullis')
    desktop.wait_until(lambda: desktop.app_calls, 5, 'the window app was never activated')
    check_equal(desktop.app_calls[0][0], 'Activate', 'Open Portcullis activates the window')

    desktop.app_calls.clear()
    desktop.click('Report an Issue…')
    desktop.wait_until(lambda: desktop.app_calls, 5, 'the window app got no ActivateAction')
    method, action, parameter, _platform = desktop.app_calls[0]
    check_equal((method, action, parameter), ('ActivateAction', 'report-issue', []),
                'Report an Issue opens the window’s form')


def test_click_export_logs():
    target = os.path.join(desktop.tmp, 'exported-logs.tar.gz')
    desktop.portal_answer = target
    desktop.reset_service_calls()
    desktop.click('Export Logs…')
    desktop.wait_until(lambda: 'Manager.ExportLogs' in desktop.service_calls(), 10,
                       'the service never received ExportLogs')
    method, title, options = desktop.portal_calls[-1]
    check_equal(method, 'SaveFile', 'Export Logs asks where to save')
    check(str(options.get('current_name', '')).startswith('portcullis-logs-'),
          f'a suggested file name: {options.get("current_name")!r}')
    desktop.wait_until(lambda: os.path.exists(target) and os.path.getsize(target) > 0, 10,
                       'the exported bundle is empty')
    check_equal(os.stat(target).st_mode & 0o777, 0o600, 'the bundle is private')
    with tarfile.open(target, 'r:gz') as bundle:
        check(bundle.getnames(), 'the bundle has files')
    desktop.wait_until(lambda: any(n['summary'] == 'Logs exported' and target in n['body']
                                   for n in desktop.notifications()), 5,
                       'no “Logs exported” popup naming the file')

    # Cancelled in the chooser: nothing is written, nothing is called.
    desktop.portal_answer = None
    desktop.reset_service_calls()
    calls_before = len(desktop.portal_calls)
    desktop.click('Export Logs…')
    desktop.wait_until(lambda: len(desktop.portal_calls) > calls_before, 5, 'no chooser the second time')
    desktop.iterate(1.0)
    check('Manager.ExportLogs' not in desktop.service_calls(), 'exported although cancelled')


def test_service_restart():
    tray_pid = desktop.tray.pid
    item = desktop.items[-1]
    desktop.stop_service()
    desktop.wait_for_title('Portcullis: Service Unavailable')
    check_equal(desktop.item_properties()['IconName'], ICON % 'unavailable', 'icon after a kill')
    check(not desktop.menu_item('Export Logs…')['enabled'], 'service actions insensitive')
    desktop.start_service()
    desktop.wait_for_title('Internet Security: On')   # the state dir keeps alice logged in
    check_equal(desktop.item_properties()['IconName'], ICON % 'on', 'icon after the restart')
    check_equal(desktop.tray.pid, tray_pid, 'the same tray process')
    check_equal(desktop.items[-1], item, 'the same item')


def test_single_instance():
    second = subprocess.run([TRAY], env=desktop.env(), timeout=20,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check_equal(second.returncode, 0, 'a second tray exits cleanly')
    check(desktop.tray.poll() is None, 'the first tray is still running')
    check_equal(len(desktop.items), 1, 'no second item registered')


def test_quit():
    desktop.click('Quit')
    started = time.monotonic()
    while desktop.tray.poll() is None and time.monotonic() - started < 10:
        desktop.iterate(0.05)
    check_equal(desktop.tray.returncode, 0, 'Quit ends the tray')
    log = desktop.tray_output()
    check('CRITICAL' not in log and 'Gtk-WARNING' not in log, 'no criticals or warnings:\n' + log)
    desktop.tray = None
    desktop.stop()


def test_policy_hides_export_logs():
    other = Desktop('policy')
    try:
        other.start_service(other.write_profile({'user_access.export_logs': False}))
        other.start_tray()
        other.wait_for_item()
        other.wait_for_title('Internet Security: Off')
        check('Export Logs…' not in other.menu_labels(),
              f'Export Logs offered against the policy: {other.menu_labels()}')
        check('Open Portcullis' in other.menu_labels(), 'the rest of the menu is there')
    finally:
        other.stop()


if __name__ == '__main__':
    try:
        run_tap([
            ('unavailable at start', test_unavailable_at_start),
            ('logged out, then all on', test_logged_out_then_all_on),
            ('every status code', test_every_status_code),
            ('worst module wins', test_worst_module_wins),
            ('turned off', test_turned_off),
            ('connecting', test_connecting),
            ('click Retry', test_click_retry),
            ('click Authenticate', test_click_authenticate),
            ('click Open Browser', test_click_open_browser),
            ('click Open Portcullis, Report an Issue', test_click_open_window_and_report_issue),
            ('click Export Logs', test_click_export_logs),
            ('service killed and restarted', test_service_restart),
            ('single instance', test_single_instance),
            ('Quit', test_quit),
            ('policy hides Export Logs', test_policy_hides_export_logs),
        ])
    finally:
        if desktop is not None and desktop.tray is not None:
            desktop.stop()
