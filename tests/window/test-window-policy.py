#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the profile's policy changes in the window.

With restart and repair forbidden, neither the status pages nor More
offer them. With a logout password, Log Out asks for it: a wrong one says
so and keeps the dialog, the right one logs out. With a disable password,
Turn Off asks for it and a reason. Also the More window's pages and the
Settings switches backed by GSettings.
"""

import subprocess
import time

import winharness as h

IS, PA = 'internet_security', 'private_access'
# crypt(3) yescrypt of "secret"
SECRET_HASH = '$y$j9T$abcdefghijklmnop$3dL1LkYnZM.OVXuVdnnaKVDlLYT92dRwOzDZ5XiVCe.'

desktop = h.Desktop(extra_profile={
    'user_access.restart_service': False,
    'user_access.repair_app': False,
    'user_access.logout_password_hash': SECRET_HASH,
    'user_access.disable_password_hash': SECRET_HASH,
})


def setup():
    desktop.start_service()
    desktop.manager_call('Login', '(s)', 'alice')
    desktop.start_window()
    desktop.main_frame()


def test_forbidden_hidden_on_page():
    desktop.set_error(IS, 'connection-error')
    page = desktop.show_module(IS)
    h.wait_until(lambda: 'Connection Error' in h.texts(page), 5, 'Connection Error')
    h.check(h.find_button(page, 'Restart Service') is None,
            'Restart Service is offered although the policy forbids it')
    h.check(h.find_button(page, 'Contact Support') is not None, 'Contact Support is missing')
    desktop.set_error(IS, 'driver-error')
    h.wait_until(lambda: 'Driver Error' in h.texts(page), 5, 'Driver Error')
    h.check(h.find_button(page, 'Repair App') is None,
            'Repair App is offered although the policy forbids it')
    h.screenshot('policy-forbidden-page')
    desktop.clear_error(IS)


def open_more():
    subprocess.run(['gapplication', 'action', 'io.github.Portcullis', 'more'], check=True)
    return desktop.window_with('label', 'App Version')


def test_more_window():
    more = open_more()
    texts = h.texts(more)
    h.check('App Policy' in texts, 'no App Policy row')
    profile = desktop.manager_property('Profile')
    h.check(profile in texts, f'the app policy “{profile}” is not shown: {texts}')
    version = desktop.manager_property('Version')
    h.check(version in texts, f'the service version “{version}” is not shown')
    h.screenshot('more-about')

    tab = h.wait_until(lambda: h.find(more, role='page tab', name='Troubleshoot'), 5, 'Troubleshoot')
    h.click(tab)
    h.wait_until(lambda: h.find_button(more, 'Export Logs'), 5, 'Export Logs')
    h.check(h.find_button(more, 'Restart Service') is None, 'More offers Restart Service')
    h.check(h.find_button(more, 'Repair App') is None, 'More offers Repair App')
    h.check(h.find_button(more, 'Clear Logs') is not None, 'More lacks Clear Logs')
    h.screenshot('more-troubleshoot')

    tab = h.find(more, role='page tab', name='Settings')
    h.click(tab)
    switch = h.wait_until(lambda: h.find(more, name='Notifications', role='check box'),
                          5, 'the Notifications switch')
    h.check(h.is_sensitive(switch), 'the Notifications switch is insensitive (schema not found?)')
    h.screenshot('more-settings')
    close = h.find_button(more, 'Close')
    h.click(close)


def password_entry(dialog):
    return h.wait_until(lambda: h.find(dialog, role='password text')
                        or h.find(dialog, role='text'), 5, 'the password entry')


def test_logout_password():
    frame = desktop.main_frame()
    desktop.reset_calls()
    desktop.click_button(frame, 'Log Out')
    dialog = desktop.window_with('label', 'Log Out of Portcullis?')
    submit = desktop.button(dialog, 'Log Out')
    h.check(not h.is_sensitive(submit), 'Log Out is possible with an empty password')

    h.type_text(password_entry(dialog), 'wrong')
    desktop.click_button(dialog, 'Log Out')
    h.wait_until(lambda: 'The password is not correct' in h.texts(dialog), 5,
                 'the wrong password message')
    h.check(desktop.manager_property('User') == 'alice', 'a wrong password logged out')
    h.screenshot('policy-logout-wrong-password')

    entry = password_entry(dialog)
    h.type_text(entry, 'secret', replace=True)
    desktop.click_button(dialog, 'Log Out')
    h.wait_until(lambda: desktop.manager_property('User') == '', 5, 'the right password to log out')
    h.wait_until(lambda: h.find(dialog, role='label', name='Log Out of Portcullis?') is None
                 or dialog not in desktop.windows(), 5, 'the dialog to close')
    desktop.manager_call('Login', '(s)', 'alice')


def test_turn_off_password():
    page = desktop.show_module(PA)
    desktop.click_button(page, 'Turn Off')
    dialog = desktop.window_with('label', 'Turn Off Private Access?')
    entries = h.wait_until(lambda: [n for n in h.find_all(dialog)
                                    if h.role_name(n) in ('password text', 'text')], 5, 'the entries')
    h.check(len(entries) >= 2, f'the dialog asks for a password and a reason: {len(entries)} entries')
    h.type_text(entries[0], 'secret')
    submit = desktop.button(dialog, 'Turn Off')
    h.check(not h.is_sensitive(submit), 'Turn Off is possible without a reason')
    h.type_text(entries[-1], 'Testing the VPN vendor')
    desktop.click_button(dialog, 'Turn Off')
    h.wait_until(lambda: desktop.module_property(PA, 'Status') == 'disabled', 5,
                 'Private Access turned off')
    h.wait_until(lambda: h.find_button(desktop.page(PA), 'Turn On'), 5, 'the Turn On button')
    desktop.click_button(desktop.page(PA), 'Turn On')
    h.wait_until(lambda: desktop.module_property(PA, 'Status') != 'disabled', 5,
                 'Private Access turned on again')


tests = [
    ('start the service and the window', setup),
    ('forbidden steps are not offered on the page', test_forbidden_hidden_on_page),
    ('More: About, Troubleshoot without forbidden options, Settings', test_more_window),
    ('Log Out asks for the password; a wrong one says so', test_logout_password),
    ('Turn Off asks for the password and a reason', test_turn_off_password),
    ('stop', desktop.close),
]

if __name__ == '__main__':
    h.run_tap(tests)
