#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The window's buttons reach the real service, and what comes back shows.

Retry, Open Browser (and the refusal of a file: URL), Authenticate, Log
Out, Restart Service (the window goes unavailable and recovers), the rate
limit, Repair App's report, Export Logs (by action with a path, and
through the file chooser), Report an Issue, and the unavailable page when
the service is killed and comes back.

The file chooser is xdg-desktop-portal's, played by fake-portal.py: the
window is restarted with GDK_DEBUG=portals for those tests (GTK 4.8 uses
portals only in a sandbox or with that flag), which also sends opened
URLs through the portal's OpenURI, recorded in the same list as the
test browser's.
"""

import os
import signal
import tarfile
import time
import subprocess

import winharness as h

IS, PA, DX = 'internet_security', 'private_access', 'digital_experience'
desktop = h.Desktop()


def setup():
    desktop.start_portal()
    desktop.start_service()
    desktop.manager_call('Login', '(s)', 'alice')
    desktop.start_window()
    desktop.main_frame()


def test_retry():
    desktop.set_error(IS, 'connection-error', 'Connection refused')
    page = desktop.show_module(IS)
    desktop.reset_calls()
    desktop.click_button(page, 'Retry')
    desktop.wait_call('internet_security.Retry')
    h.check('private_access.Retry' not in desktop.calls(), 'Retry went to the wrong module')


def test_retry_dx():
    desktop.set_error(DX, 'server-error')
    page = desktop.show_module(DX)
    desktop.reset_calls()
    desktop.click_button(page, 'Retry')
    desktop.wait_call('digital_experience.Retry')


def test_open_browser():
    url = 'http://127.0.0.1:9/portal/login?from=portcullis'
    desktop.set_error(IS, 'captive-portal-detected')
    desktop.set_module_property(IS, 'PortalUrl', h.GLib.Variant('s', url))
    page = desktop.show_module(IS)
    desktop.click_button(page, 'Open Browser')
    h.wait_until(lambda: url in desktop.opened_urls(), 10, 'the browser to get the portal URL')


def test_open_browser_refuses_file():
    before = desktop.opened_urls()
    desktop.set_module_property(IS, 'PortalUrl', h.GLib.Variant('s', 'file:///etc/passwd'))
    page = desktop.show_module(IS)
    desktop.click_button(page, 'Open Browser')
    desktop.toast_text('Refused to open “file:///etc/passwd”')
    time.sleep(1)
    h.check(desktop.opened_urls() == before, f'a file: URL reached the browser: {desktop.opened_urls()}')
    h.screenshot('action-open-browser-refused')
    desktop.clear_error(IS)


def test_authenticate():
    url = 'http://127.0.0.1:9/device?user_code=WDJB-MJHT'
    desktop.set_error(PA, 'authentication-error')
    desktop.testing('SetAuthenticateUrl', '(ss)', PA, url)
    page = desktop.show_module(PA)
    desktop.reset_calls()
    desktop.click_button(page, 'Authenticate')
    desktop.wait_call('private_access.Authenticate')
    h.wait_until(lambda: url in desktop.opened_urls(), 10, 'the browser to get the verification URL')

    # A verification "page" that is not a web address is refused.
    before = desktop.opened_urls()
    desktop.testing('SetAuthenticateUrl', '(ss)', PA, 'file:///etc/shadow')
    desktop.click_button(page, 'Authenticate')
    desktop.toast_text('Refused to open “file:///etc/shadow”')
    time.sleep(1)
    h.check(desktop.opened_urls() == before, f'a file: URL reached the browser: {desktop.opened_urls()}')
    desktop.testing('SetAuthenticateUrl', '(ss)', PA, '')
    desktop.clear_error(PA)


def test_logout_without_password():
    frame = desktop.main_frame()
    desktop.reset_calls()
    desktop.click_button(frame, 'Log Out')
    dialog = desktop.window_with('label', 'Log Out of Portcullis?')
    h.screenshot('action-logout-confirm')
    desktop.click_button(dialog, 'Log Out')
    desktop.wait_call('Manager.Logout')
    h.wait_until(lambda: desktop.manager_property('User') == '', 5, 'the user logged out')
    h.wait_until(lambda: h.find(desktop.main_frame(), role='push button', name='Log Out') is None,
                 5, 'Log Out to leave the header bar once logged out')
    desktop.manager_call('Login', '(s)', 'alice')
    desktop.button(desktop.main_frame(), 'Log Out')


def test_restart_service():
    desktop.set_error(IS, 'connection-error')
    page = desktop.show_module(IS)
    pid = desktop.service.pid
    owners = desktop.watch_owner_changes()
    desktop.click_button(page, 'Restart Service')
    dialog = desktop.window_with('label', 'Restart the Portcullis Service?')
    desktop.click_button(dialog, 'Restart')
    desktop.toast_text('The service is restarting')
    # The service re-executes itself in about 10 ms: the name leaves the
    # bus and comes back. The window must follow by itself; a state set on
    # the new process shows up in it.
    h.wait_until(lambda: len(owners()) >= 2 and owners()[-1][1] != '', 10,
                 'the service to leave the bus and come back')
    h.check(owners()[0][1] == '', f'the service did not leave the bus first: {owners()}')
    h.check(desktop.service.poll() is None and desktop.service.pid == pid,
            'the service process did not restart in place')
    desktop.set_error(IS, 'internal-error')
    h.wait_until(lambda: 'Internal Error' in h.texts(desktop.page(IS)), 5,
                 'the window to show the restarted service\'s state')
    h.screenshot('action-restart-recovered')


def test_restart_rate_limited():
    page = desktop.show_module(IS)
    desktop.set_error(IS, 'connection-error')
    desktop.click_button(page, 'Restart Service')
    dialog = desktop.window_with('label', 'Restart the Portcullis Service?')
    desktop.click_button(dialog, 'Restart')
    text = desktop.toast_text('Could not restart the service')
    h.check('try again' in text, f'the rate limit message is not shown: {text}')
    h.screenshot('action-restart-rate-limited')


def test_repair_app():
    desktop.set_error(IS, 'driver-error')
    page = desktop.show_module(IS)
    desktop.click_button(page, 'Repair App')
    dialog = desktop.window_with('label', 'Repair Portcullis?')
    desktop.click_button(dialog, 'Repair')
    report = desktop.window_with('label', 'Repair Finished', timeout=15)
    labels = h.texts(report)
    h.check(any(':' in text for text in labels if text != 'Repair Finished'),
            f'the report is not shown: {labels}')
    h.screenshot('action-repair-report')
    desktop.click_button(report, 'Close')
    desktop.clear_error(IS)


def test_export_logs():
    path = os.path.join(desktop.tmp, 'exported-logs.tar.gz')
    subprocess.run(['gapplication', 'action', 'io.github.Portcullis', 'export-logs-to',
                    f"'{path}'"], check=True)
    desktop.toast_text('Logs exported to “exported-logs.tar.gz”', timeout=15)
    h.check(os.path.getsize(path) > 0, 'the exported file is empty')
    with tarfile.open(path, 'r:gz') as bundle:
        names = bundle.getnames()
    h.check(len(names) > 0, 'the bundle has no files')
    h.check(os.stat(path).st_mode & 0o077 == 0, 'the bundle is readable by others')
    h.screenshot('action-export-logs')


def restart_window_with_portals():
    desktop.stop_window()
    desktop.start_window(env=h.PORTAL_ENV)
    desktop.main_frame()


def test_export_logs_chooser():
    path = os.path.join(desktop.tmp, 'chosen-logs.tar.gz')
    desktop.portal_answer(path)
    calls = len(desktop.portal_calls())
    subprocess.run(['gapplication', 'action', 'io.github.Portcullis', 'export-logs'], check=True)
    try:
        desktop.any_text('Logs exported to “chosen-logs.tar.gz”', timeout=15)
    except h.TestFailure as error:
        raise h.TestFailure(f'{error}; file chooser calls {desktop.portal_calls()}')
    h.check(['SaveFile', 'Export Logs'] in desktop.portal_calls()[calls:],
            f'the file chooser was not asked: {desktop.portal_calls()}')
    with tarfile.open(path, 'r:gz') as bundle:
        h.check(len(bundle.getnames()) > 0, 'the bundle has no files')
    h.screenshot('action-export-logs-chooser')


def test_report_issue():
    folder = os.path.join(desktop.tmp, 'reports')
    os.makedirs(folder)
    desktop.portal_answer(folder)
    restart_window_with_portals()
    before = desktop.opened_urls()
    subprocess.run(['gapplication', 'action', 'io.github.Portcullis', 'report-issue'], check=True)
    dialog = desktop.window_with('label', 'What Happened?')
    save = desktop.button(dialog, 'Save Report…')
    text = h.wait_until(lambda: h.find(dialog, role='text', name='Description'), 5, 'the description')
    desktop.click_button(dialog, 'Save Report…')
    desktop.any_text('Describe what happened first.')
    h.type_text(text, 'The VPN drops every time I join the hotel Wi-Fi.')
    h.screenshot('action-report-issue')
    desktop.click_button(dialog, 'Save Report…')
    h.wait_until(lambda: os.listdir(folder), 10, 'the report folder')
    report = os.path.join(folder, os.listdir(folder)[0])
    h.wait_until(lambda: os.path.exists(os.path.join(report, 'logs.tar.gz')) and
                 os.path.getsize(os.path.join(report, 'logs.tar.gz')) > 0, 15, 'the logs in the report')
    with open(os.path.join(report, 'description.txt')) as f:
        description = f.read()
    h.check('hotel Wi-Fi' in description and 'App policy: Demo' in description,
            f'the description file lacks the text or the facts: {description!r}')
    # The demo profile's support.url
    h.wait_until(lambda: 'https://support.example.org/portcullis' in desktop.opened_urls()[len(before):],
                 10, 'the support page opened')
    h.check(save is not None, 'no Save Report button')


def test_started_for_an_action():
    """As the tray does: the app is D-Bus activated (--gapplication-service)
    and asked for an action; the dialog shows over the main window."""
    desktop.stop_window()
    desktop._main_frame = None
    desktop.window = subprocess.Popen([h.WINDOW, '--gapplication-service'],
                                      stdout=desktop.window_log, stderr=subprocess.STDOUT)

    def app_on_bus():
        reply = desktop.bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                      'org.freedesktop.DBus', 'NameHasOwner',
                                      h.GLib.Variant('(s)', ('io.github.Portcullis',)),
                                      h.GLib.VariantType('(b)'), h.Gio.DBusCallFlags.NONE,
                                      2000, None)
        return reply.unpack()[0]
    h.wait_until(app_on_bus, 10, 'io.github.Portcullis on the bus')
    subprocess.run(['gapplication', 'action', 'io.github.Portcullis', 'report-issue'], check=True)
    desktop.app = h.wait_until(desktop.find_app, 10, 'the app on the AT-SPI bus')
    dialog = desktop.window_with('label', 'What Happened?')
    desktop.main_frame()
    desktop.click_button(dialog, 'Cancel')
    h.wait_until(lambda: all(h.find(w, role='label', name='What Happened?') is None
                             for w in desktop.windows()), 5, 'the dialog closed')


def test_service_killed():
    desktop.stop_service(signal.SIGKILL)
    started = time.monotonic()
    h.wait_until(lambda: 'Service Unavailable' in h.texts(desktop.main_frame()), 1.0,
                 'the unavailable page within 1 s of SIGKILL')
    gone = time.monotonic() - started
    frame = desktop.main_frame()
    h.check(h.find(frame, role='push button', name='Log Out') is None,
            'Log Out is offered without a service')
    h.screenshot('state-service-unavailable')

    desktop.start_service()
    started = time.monotonic()
    h.wait_until(lambda: h.find(desktop.main_frame(), role='panel', name='Internet Security')
                 is not None, 1.0, 'the modules back within 1 s of the service')
    back = time.monotonic() - started
    print(f'# unavailable shown after {gone * 1000:.0f} ms, modules back after {back * 1000:.0f} ms')


tests = [
    ('start the service and the window', setup),
    ('Retry reaches the service for that module', test_retry),
    ('Retry on Digital Experience', test_retry_dx),
    ('Open Browser opens the portal URL', test_open_browser),
    ('Open Browser refuses a file: URL', test_open_browser_refuses_file),
    ('Authenticate', test_authenticate),
    ('Log Out without a password policy', test_logout_without_password),
    ('Restart Service: unavailable, then back', test_restart_service),
    ('Restart Service is rate limited, and says so', test_restart_rate_limited),
    ('Repair App shows its report', test_repair_app),
    ('Export Logs writes the bundle', test_export_logs),
    ('Report an Issue saves the description and logs, opens support', test_report_issue),
    ('Export Logs through the file chooser', test_export_logs_chooser),
    ('started by D-Bus for an action, as the tray does', test_started_for_an_action),
    ('SIGKILL: unavailable within 1 s, back within 1 s', test_service_killed),
    ('stop', desktop.close),
]

if __name__ == '__main__':
    h.run_tap(tests)
