#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""portcullis-tray with the trays people actually have: Debian's
status-notifier-watcher (haskell-status-notifier-item-utils), no
StatusNotifierItem host at all (plain GNOME: libayatana's XEmbed fallback
and notifications), and a host that appears after the tray started."""

import os
import subprocess

from trayharness import TRAY, Desktop, GLib, check, check_equal, run_tap

NO_HOST_MESSAGE = 'No StatusNotifierItem host (tray) found'


def watcher_entries(desktop):
    reply = desktop.bus.call_sync('org.kde.StatusNotifierWatcher', '/StatusNotifierWatcher',
                                  'org.freedesktop.DBus.Properties', 'Get',
                                  GLib.Variant('(ss)', ('org.kde.StatusNotifierWatcher',
                                                        'RegisteredSNIEntries')),
                                  GLib.VariantType('(v)'), 0, 5000, None)
    return reply.unpack()[0]


def test_debian_watcher():
    desktop = Desktop('debian-watcher', watcher='debian')
    try:
        desktop.start_service()
        desktop.login()
        desktop.start_tray()
        desktop.wait_until(lambda: watcher_entries(desktop), 10,
                           'the tray never registered with status-notifier-watcher')
        sender, path = watcher_entries(desktop)[0]
        check_equal(path, '/org/ayatana/NotificationItem/io_github_Portcullis', 'item path')
        desktop.items.append((sender, path))

        desktop.wait_for_title('Internet Security: On')
        check_equal(desktop.item_properties()['IconName'], 'io.github.Portcullis-on-symbolic',
                    'icon through the Debian watcher')
        desktop.set_error('internet_security', 'internal-error')
        desktop.wait_for_title('Internet Security: Internal Error')

        desktop.app_calls.clear()
        desktop.click('Open Portcullis')
        desktop.wait_until(lambda: desktop.app_calls, 5, 'the window app was never activated')
        check(NO_HOST_MESSAGE not in desktop.tray_output(), 'fell back despite a watcher')
    finally:
        desktop.stop()


def test_no_host():
    desktop = Desktop('no-host', watcher=None)
    try:
        desktop.start_service()
        desktop.login()
        desktop.start_tray()
        desktop.wait_until(lambda: NO_HOST_MESSAGE in desktop.tray_output(), 10,
                           'the tray never said that no tray host was found')
        # Still useful: the popups come.
        desktop.clear_notifications()
        desktop.set_error('internet_security', 'connection-error')
        desktop.wait_until(lambda: desktop.notifications(), 5, 'no popup without a tray host')
        check_equal(desktop.notifications()[0]['summary'], 'Internet Security: Connection Error',
                    'popup without a tray host')
        desktop.iterate(0.5)
        check_equal(desktop.tray_output().count(NO_HOST_MESSAGE), 1, 'said once, not more')
        check(desktop.tray.poll() is None, 'the tray keeps running without a host')

        # A host appearing later gets the item (libayatana leaves the fallback).
        desktop._export_watcher()
        desktop.wait_for_item()
        desktop.wait_for_title('Internet Security: Connection Error')
        check_equal(desktop.item_properties()['IconName'], 'io.github.Portcullis-error-symbolic',
                    'icon once a host appeared')
        log = desktop.tray_output()
        check('CRITICAL' not in log and 'Gtk-WARNING' not in log, 'tray log:\n' + log)
    finally:
        desktop.stop()


def test_window_app_missing():
    desktop = Desktop('no-window', window_app=False)
    try:
        desktop.start_service()
        desktop.login()
        desktop.start_tray()
        desktop.wait_for_item()
        desktop.wait_for_title('Internet Security: On')
        desktop.clear_notifications()
        desktop.click('Open Portcullis')
        desktop.wait_until(lambda: desktop.notifications(), 5, 'no popup saying the window failed')
        popup = desktop.notifications()[0]
        check_equal(popup['summary'], 'Cannot open Portcullis', 'failure popup')
        check('io.github.Portcullis' in popup['body'], f'the reason: {popup["body"]}')
        check(desktop.tray.poll() is None, 'the tray keeps running')
    finally:
        desktop.stop()


def test_start_at_login():
    desktop = Desktop('autostart', notifications=False)
    try:
        keyfile_dir = os.path.join(desktop.tmp, 'config', 'glib-2.0', 'settings')
        os.makedirs(keyfile_dir)
        with open(os.path.join(keyfile_dir, 'keyfile'), 'w') as f:
            f.write('[io/github/Portcullis]\nstart-at-login=false\n')
        skipped = subprocess.run([TRAY, '--autostart'], env=desktop.env(), timeout=20,
                                 capture_output=True, text=True)
        check_equal(skipped.returncode, 0, 'exit status with start-at-login off')
        check('Start at login' in skipped.stderr, f'says why: {skipped.stderr!r}')
        desktop.iterate(0.3)
        check_equal(desktop.items, [], 'an item registered although start-at-login is off')

        # Started by hand, the setting does not matter.
        desktop.start_tray()
        desktop.wait_for_item()

        with open(os.path.join(keyfile_dir, 'keyfile'), 'w') as f:
            f.write('[io/github/Portcullis]\nstart-at-login=true\n')
        desktop.tray.terminate()
        desktop.tray.wait(10)
        desktop.items.clear()
        desktop.start_tray(args=['--autostart'])
        desktop.wait_for_item()
    finally:
        desktop.stop()


if __name__ == '__main__':
    run_tap([
        ('Debian status-notifier-watcher', test_debian_watcher),
        ('no StatusNotifierItem host', test_no_host),
        ('window app missing', test_window_app_missing),
        ('start at login', test_start_at_login),
    ])
