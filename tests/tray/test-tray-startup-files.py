#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The files that start the tray at login: the XDG autostart entry and the
systemd user unit, checked with desktop-file-validate and systemd-analyze."""

import configparser
import os
import shutil
import subprocess
import tempfile

from trayharness import BUILD_DIR, TRAY, check, check_equal, run_tap

AUTOSTART = os.path.join(BUILD_DIR, 'resources', 'tray', 'io.github.Portcullis.Tray.desktop')
UNIT = os.path.join(BUILD_DIR, 'resources', 'tray', 'portcullis-tray.service')


def test_autostart_entry():
    result = subprocess.run(['desktop-file-validate', AUTOSTART], capture_output=True, text=True)
    check_equal(result.returncode, 0, 'desktop-file-validate: ' + result.stdout + result.stderr)
    check('error' not in result.stdout.lower(), result.stdout)
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(AUTOSTART)
    group = entry['Desktop Entry']
    check(group['Exec'].endswith('/portcullis-tray --autostart'), f'Exec: {group["Exec"]}')
    check_equal(group['X-GNOME-Autostart-Condition'],
                'GSettings io.github.Portcullis start-at-login', 'honours start-at-login')
    check_equal(group['NoDisplay'], 'true', 'not in the application menu')


def test_user_unit():
    with tempfile.TemporaryDirectory() as tmp:
        runtime = os.path.join(tmp, 'runtime')
        os.mkdir(runtime, 0o700)
        # The installed unit names the installed binary; verify a copy
        # that points at the one just built.
        with open(UNIT) as f:
            text = f.read()
        exec_line = [line for line in text.splitlines() if line.startswith('ExecStart=')]
        check_equal(len(exec_line), 1, 'one ExecStart')
        unit = os.path.join(tmp, 'portcullis-tray.service')
        with open(unit, 'w') as f:
            f.write(text.replace(exec_line[0], 'ExecStart=' + TRAY + ' --autostart'))
        env = dict(os.environ, XDG_RUNTIME_DIR=runtime, XDG_CONFIG_HOME=os.path.join(tmp, 'config'))
        result = subprocess.run(['systemd-analyze', '--user', 'verify', unit],
                                capture_output=True, text=True, env=env)
        check_equal(result.returncode, 0, 'systemd-analyze verify: ' + result.stdout + result.stderr)
        check('Restart=on-failure' in text, 'restarted if it crashes')


if __name__ == '__main__':
    check(shutil.which('desktop-file-validate'), 'desktop-file-validate (desktop-file-utils) is missing')
    check(shutil.which('systemd-analyze'), 'systemd-analyze is missing')
    run_tap([
        ('autostart entry', test_autostart_entry),
        ('systemd user unit', test_user_unit),
    ])
