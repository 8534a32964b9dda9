# SPDX-License-Identifier: GPL-3.0-or-later
"""A private desktop for the status window's tests.

One private session bus (dbus-daemon, which activates the accessibility
bus org.a11y.Bus and its registry on demand), one Xvfb, the real
portcullisd in testing mode, the real portcullis window, and a web
browser played by a .desktop handler for http/https in a temporary
XDG_DATA_HOME that appends each URL it is given to a file.

The window is driven the way a screen reader sees it: AT-SPI
(python3-pyatspi), finding widgets by role and accessible name.

Needs /usr/bin/python3 (python3-gi, python3-pyatspi).
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

BUILD_DIR = os.environ.get('PC_BUILD_DIR') or os.path.abspath(
    os.path.join(os.path.dirname(__file__), '..', '..', '_build-window'))
SOURCE_DIR = os.environ.get('PC_SOURCE_DIR') or os.path.abspath(
    os.path.join(os.path.dirname(__file__), '..', '..'))
WINDOW = os.path.join(BUILD_DIR, 'app', 'window', 'portcullis')
SERVICE = os.path.join(BUILD_DIR, 'app', 'service', 'portcullisd')
DEMO_PROFILE = os.path.join(SOURCE_DIR, 'resources', 'service', 'demo-profile.json')
SCHEMA_DIR = os.path.join(BUILD_DIR, 'resources', 'desktop')
MODULES = ('internet_security', 'private_access', 'digital_experience')
MODULE_TITLES = {
    'internet_security': 'Internet Security',
    'private_access': 'Private Access',
    'digital_experience': 'Digital Experience',
}

PC_NAME = 'io.github.Portcullis1'
PC_PATH = '/io/github/Portcullis1'

# The private desktop is set up before pyatspi and Gio are imported, so
# both connect to our buses and display, not the caller's.
_TMP = tempfile.mkdtemp(prefix='pc-window-test-')
_XVFB = None
_DBUS = None


def _start_xvfb():
    global _XVFB
    read_fd, write_fd = os.pipe()
    _XVFB = subprocess.Popen(['Xvfb', '-displayfd', str(write_fd), '-screen', '0', '1280x1024x24',
                              '-nolisten', 'tcp', '-noreset'],
                             pass_fds=(write_fd,), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    os.close(write_fd)
    number = b''
    with os.fdopen(read_fd, 'rb') as pipe:
        while not number.endswith(b'\n'):
            chunk = pipe.read(1)
            if not chunk:
                raise RuntimeError('Xvfb did not start')
            number += chunk
    os.environ['DISPLAY'] = ':' + number.decode().strip()


def _start_bus():
    global _DBUS
    _DBUS = subprocess.Popen(['dbus-daemon', '--session', '--nofork', '--print-address=1'],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    address = _DBUS.stdout.readline().decode().strip()
    if not address:
        raise RuntimeError('dbus-daemon did not start')
    os.environ['DBUS_SESSION_BUS_ADDRESS'] = address


def _write_browser():
    """A web browser that records the URLs it is asked to open."""
    data_home = os.path.join(_TMP, 'data')
    apps = os.path.join(data_home, 'applications')
    config = os.path.join(_TMP, 'config')
    os.makedirs(apps)
    os.makedirs(config)
    script = os.path.join(_TMP, 'browser.sh')
    with open(script, 'w') as f:
        f.write('#!/bin/sh\nprintf "%%s\\n" "$1" >> "%s"\n' % os.path.join(_TMP, 'opened-urls'))
    os.chmod(script, 0o755)
    with open(os.path.join(apps, 'test-browser.desktop'), 'w') as f:
        f.write('[Desktop Entry]\nType=Application\nName=Test Browser\n'
                'Exec=%s %%u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;\n'
                'NoDisplay=true\n' % script)
    with open(os.path.join(config, 'mimeapps.list'), 'w') as f:
        f.write('[Default Applications]\nx-scheme-handler/http=test-browser.desktop\n'
                'x-scheme-handler/https=test-browser.desktop\n')


def _setup_environment():
    for name in ('home', 'cache', 'runtime'):
        os.makedirs(os.path.join(_TMP, name), mode=0o700)
    _write_browser()
    os.environ.update({
        'HOME': os.path.join(_TMP, 'home'),
        'XDG_DATA_HOME': os.path.join(_TMP, 'data'),
        'XDG_CONFIG_HOME': os.path.join(_TMP, 'config'),
        'XDG_CACHE_HOME': os.path.join(_TMP, 'cache'),
        'XDG_RUNTIME_DIR': os.path.join(_TMP, 'runtime'),
        'XDG_DATA_DIRS': os.path.join(BUILD_DIR, 'resources') + ':/usr/local/share:/usr/share',
        'GSETTINGS_BACKEND': 'memory',
        'GSETTINGS_SCHEMA_DIR': SCHEMA_DIR,
        'PORTCULLIS_BUS': 'session',
        'GDK_BACKEND': 'x11',
        'GTK_A11Y': 'atspi',
        'LANG': 'C.UTF-8',
        'LC_ALL': 'C.UTF-8',
    })
    # GTK 4 speaks AT-SPI itself; this variable only silences GTK 3's bridge
    # and must not leak into a GTK 4 process that tests rely on.
    os.environ.pop('NO_AT_BRIDGE', None)
    os.environ.pop('DBUS_SYSTEM_BUS_ADDRESS', None)
    os.environ.pop('WAYLAND_DISPLAY', None)


_setup_environment()
_start_bus()
_start_xvfb()

import gi  # noqa: E402
gi.require_version('Gio', '2.0')
gi.require_version('Atspi', '2.0')
from gi.repository import Gio, GLib  # noqa: E402
import pyatspi  # noqa: E402


class TestFailure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def wait_until(predicate, timeout=5.0, message='condition', interval=0.02):
    """Polls predicate until it returns something truthy; returns it."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            result = predicate()
            if result:
                return result
        except (GLib.Error, LookupError, RuntimeError) as error:
            last_error = error
        if time.monotonic() > deadline:
            raise TestFailure(f'timed out after {timeout:.1f} s waiting for {message}'
                              + (f' (last error: {last_error})' if last_error else ''))
        time.sleep(interval)


# Accessibility tree

def role_name(node):
    try:
        return node.getRoleName()
    except Exception:
        return ''


def is_showing(node):
    """GTK 4.8 sets no SHOWING state and leaves hidden widgets out of the
    tree; VISIBLE is what it has."""
    try:
        return node.getState().contains(pyatspi.STATE_VISIBLE)
    except Exception:
        return False


def is_selected(node):
    try:
        return node.getState().contains(pyatspi.STATE_SELECTED)
    except Exception:
        return False


def is_sensitive(node):
    try:
        return node.getState().contains(pyatspi.STATE_SENSITIVE)
    except Exception:
        return False


def children(node):
    try:
        count = node.childCount
    except Exception:
        return []
    result = []
    for i in range(count):
        try:
            child = node.getChildAtIndex(i)
        except Exception:
            continue
        if child is not None:
            result.append(child)
    return result


def walk(node, showing_only=True):
    """Depth-first over node's descendants (not node itself)."""
    stack = list(reversed(children(node)))
    while stack:
        current = stack.pop()
        if showing_only and not is_showing(current):
            continue
        yield current
        stack.extend(reversed(children(current)))


def find_all(root, role=None, name=None, showing_only=True):
    found = []
    for node in walk(root, showing_only):
        if role is not None and role_name(node) != role:
            continue
        if name is not None and node.name != name:
            continue
        found.append(node)
    return found


def find(root, role=None, name=None, showing_only=True):
    for node in walk(root, showing_only):
        if role is not None and role_name(node) != role:
            continue
        if name is not None and node.name != name:
            continue
        return node
    return None


def texts(root):
    """Every label's text under root, in tree order."""
    return [node.name for node in find_all(root, role='label') if node.name]


def click(node):
    action = node.queryAction()
    for i in range(action.nActions):
        if action.getName(i) in ('click', 'press', 'activate'):
            action.doAction(i)
            return
    action.doAction(0)


def dump(node, depth=0, out=None):
    out = out if out is not None else sys.stdout
    state = 'S' if is_showing(node) else '-'
    out.write('%s%s [%s] %r\n' % ('  ' * depth, state, role_name(node), node.name))
    for child in children(node):
        dump(child, depth + 1, out)


def type_text(node, text):
    """Types into an entry: AT-SPI EditableText where GTK has it, else the
    keyboard, after focusing the entry."""
    try:
        editable = node.queryEditableText()
        editable.setTextContents(text)
        return
    except (NotImplementedError, AttributeError, Exception):
        pass
    node.queryComponent().grabFocus()
    time.sleep(0.1)
    for ch in text:
        pyatspi.Registry.generateKeyboardEvent(0, ch, pyatspi.KEY_STRING)
    time.sleep(0.1)


def screenshot(name):
    """Saves the whole screen to the build dir's window-screenshots/."""
    folder = os.path.join(BUILD_DIR, 'tests', 'window', 'screenshots')
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name + '.png')
    subprocess.run(['import', '-window', 'root', path], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path


class Desktop:
    """The service and the window on the private desktop."""

    def __init__(self, profile=None, extra_profile=None):
        self.tmp = _TMP
        self.bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        self.service = None
        self.window = None
        self.state_dir = tempfile.mkdtemp(prefix='state-', dir=_TMP)
        self.profile = profile or DEMO_PROFILE
        if extra_profile is not None:
            self.profile = self.write_profile(extra_profile)

    # Profiles

    def write_profile(self, changes):
        import json
        with open(DEMO_PROFILE) as f:
            profile = json.load(f)
        for key, value in changes.items():
            node = profile
            parts = key.split('.')
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            if value is None:
                node.pop(parts[-1], None)
            else:
                node[parts[-1]] = value
        fd, path = tempfile.mkstemp(prefix='profile-', suffix='.json', dir=_TMP)
        with os.fdopen(fd, 'w') as f:
            json.dump(profile, f)
        return path

    # The service

    def start_service(self, profile=None):
        if profile is not None:
            self.profile = profile
        self.service_log = open(os.path.join(_TMP, 'portcullisd.log'), 'ab')
        self.service = subprocess.Popen([SERVICE, '--session', '--testing',
                                         '--profile', self.profile,
                                         '--state-dir', self.state_dir],
                                        stdout=self.service_log, stderr=subprocess.STDOUT)
        wait_until(self.service_on_bus, 10, 'portcullisd on the bus')

    def service_on_bus(self):
        reply = self.bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                   'org.freedesktop.DBus', 'NameHasOwner',
                                   GLib.Variant('(s)', (PC_NAME,)), GLib.VariantType('(b)'),
                                   Gio.DBusCallFlags.NONE, 2000, None)
        return reply.unpack()[0]

    def stop_service(self, sig=signal.SIGTERM):
        if self.service is None:
            return
        if self.service.poll() is None:
            self.service.send_signal(sig)
            try:
                self.service.wait(5)
            except subprocess.TimeoutExpired:
                self.service.kill()
                self.service.wait()
        self.service = None

    def testing(self, method, signature=None, *args):
        params = GLib.Variant(signature, args) if signature else None
        reply = self.bus.call_sync(PC_NAME, PC_PATH, 'io.github.Portcullis1.Testing', method,
                                   params, None, Gio.DBusCallFlags.NONE, 5000, None)
        return reply.unpack() if reply is not None else None

    def set_error(self, module, code, detail=''):
        self.testing('SetError', '(sss)', module, code, detail)

    def clear_error(self, module):
        self.testing('ClearError', '(s)', module)

    def set_module_property(self, module, name, value):
        self.testing('SetModuleProperty', '(ssv)', module, name, value)

    def calls(self):
        return list(self.testing('GetCalls')[0])

    def reset_calls(self):
        self.testing('ResetCalls')

    def manager_call(self, method, signature=None, *args):
        params = GLib.Variant(signature, args) if signature else None
        reply = self.bus.call_sync(PC_NAME, PC_PATH, 'io.github.Portcullis1.Manager', method,
                                   params, None, Gio.DBusCallFlags.NONE, 10000, None)
        return reply.unpack() if reply is not None else None

    def manager_property(self, name):
        reply = self.bus.call_sync(PC_NAME, PC_PATH, 'org.freedesktop.DBus.Properties', 'Get',
                                   GLib.Variant('(ss)', ('io.github.Portcullis1.Manager', name)),
                                   None, Gio.DBusCallFlags.NONE, 5000, None)
        return reply.unpack()[0]

    # The window

    def start_window(self, *args, env=None):
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        self.window_log = open(os.path.join(_TMP, 'portcullis.log'), 'ab')
        self.window = subprocess.Popen([WINDOW] + list(args), env=full_env,
                                       stdout=self.window_log, stderr=subprocess.STDOUT)
        self.app = wait_until(self.find_app, 15, 'the portcullis window on the AT-SPI bus')
        return self.app

    def find_app(self):
        desktop = pyatspi.Registry.getDesktop(0)
        for app in children(desktop):
            try:
                if app.name == 'portcullis' and app.get_process_id() == self.window.pid:
                    if find(app, role='frame') is not None:
                        return app
            except Exception:
                continue
        return None

    def frame(self, title='Portcullis'):
        for frame in children(self.app):
            if frame.name == title and is_showing(frame):
                return frame
        return None

    def main_frame(self):
        return wait_until(lambda: self.frame('Portcullis'), 5, 'the Portcullis window')

    def page(self, module):
        """The module's page, once it is on screen."""
        title = MODULE_TITLES[module]
        return wait_until(lambda: find(self.main_frame(), role='panel', name=title), 5,
                          f'the {title} page')

    def show_module(self, module):
        """Switches to the module's page with the view switcher, as a user would."""
        title = MODULE_TITLES[module]
        frame = self.main_frame()
        tab = wait_until(lambda: find(frame, role='page tab', name=title), 5,
                         f'the {title} switcher button')
        if not is_selected(tab):
            click(tab)
            wait_until(lambda: is_selected(tab), 3, f'the {title} page selected')
        return self.page(module)

    def stop_window(self):
        if self.window is None:
            return
        if self.window.poll() is None:
            self.window.terminate()
            try:
                self.window.wait(5)
            except subprocess.TimeoutExpired:
                self.window.kill()
                self.window.wait()
        self.window = None

    def opened_urls(self):
        try:
            with open(os.path.join(_TMP, 'opened-urls')) as f:
                return [line.strip() for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def close(self):
        self.stop_window()
        self.stop_service()


def teardown():
    for proc in (_XVFB, _DBUS):
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
    if os.environ.get('PC_KEEP_TMP'):
        print(f'# kept {_TMP}')
    else:
        shutil.rmtree(_TMP, ignore_errors=True)


def run_tap(tests):
    """Runs (name, function) pairs and prints TAP; exits 1 if any failed."""
    print(f'1..{len(tests)}', flush=True)
    failed = 0
    try:
        for number, (name, function) in enumerate(tests, 1):
            started = time.monotonic()
            try:
                function()
                print(f'ok {number} - {name} # {time.monotonic() - started:.2f} s', flush=True)
            except Exception as error:  # noqa: BLE001 - report every failure as TAP
                failed += 1
                print(f'not ok {number} - {name}', flush=True)
                for line in traceback.format_exception(type(error), error, error.__traceback__):
                    for part in line.rstrip().splitlines():
                        print(f'# {part}', flush=True)
    finally:
        teardown()
    sys.exit(1 if failed else 0)
