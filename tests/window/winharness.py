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


# GTK 4.8 goes through portals (file chooser, opening URLs) only in a
# sandbox or with this debug flag.
PORTAL_ENV = {'GDK_DEBUG': 'portals'}


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

def name_of(node):
    """The accessible name, or None for an object that went away meanwhile."""
    try:
        return node.name
    except Exception:
        return None


def description_of(node):
    try:
        return node.description
    except Exception:
        return None


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
        if name is not None and name_of(node) != name:
            continue
        found.append(node)
    return found


def find(root, role=None, name=None, showing_only=True):
    for node in walk(root, showing_only):
        if role is not None and role_name(node) != role:
            continue
        if name is not None and name_of(node) != name:
            continue
        return node
    return None


def find_button(root, name):
    """A push button by accessible name. libadwaita 1.2's AdwMessageDialog
    names its response buttons "<mnemonic label> <label>" ("_Log Out Log
    Out"), so a button whose own label reads name also counts."""
    for node in walk(root):
        if role_name(node) != 'push button':
            continue
        if name_of(node) == name:
            return node
        labels = [name_of(child) for child in children(node) if role_name(child) == 'label']
        if labels == [name]:
            return node
    return None


def texts(root):
    """Every label's text under root, in tree order."""
    return [text for text in (name_of(node) for node in find_all(root, role='label')) if text]


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


def type_text(node, text, replace=False):
    """Puts text into an entry through AT-SPI EditableText (which the
    entry rows' GtkText implements); the keyboard otherwise."""
    try:
        editable = node.queryEditableText()
    except NotImplementedError:
        editable = None
    if editable is not None:
        editable.setTextContents(text)
        return
    node.queryComponent().grabFocus()
    time.sleep(0.2)
    if replace:
        pyatspi.Registry.generateKeyboardEvent(37, None, pyatspi.KEY_PRESS)    # Control_L
        pyatspi.Registry.generateKeyboardEvent(38, None, pyatspi.KEY_PRESSRELEASE)  # a
        pyatspi.Registry.generateKeyboardEvent(37, None, pyatspi.KEY_RELEASE)
        time.sleep(0.1)
    for ch in text:
        pyatspi.Registry.generateKeyboardEvent(0, ch, pyatspi.KEY_STRING)
    time.sleep(0.2)


def extents(node):
    """(x, y, width, height) on the screen."""
    return tuple(node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS))


def resize_toplevels(width, height):
    """Resizes every viewable top-level X window (there is no window
    manager on the test display) the way a user dragging its edge would."""
    import ctypes
    import ctypes.util
    from ctypes import POINTER, byref, c_int, c_uint, c_ulong, c_long, c_void_p

    class XWindowAttributes(ctypes.Structure):
        _fields_ = [('x', c_int), ('y', c_int), ('width', c_int), ('height', c_int),
                    ('border_width', c_int), ('depth', c_int), ('visual', c_void_p),
                    ('root', c_ulong), ('class_', c_int), ('bit_gravity', c_int),
                    ('win_gravity', c_int), ('backing_store', c_int), ('backing_planes', c_ulong),
                    ('backing_pixel', c_ulong), ('save_under', c_int), ('colormap', c_ulong),
                    ('map_installed', c_int), ('map_state', c_int), ('all_event_masks', c_long),
                    ('your_event_mask', c_long), ('do_not_propagate_mask', c_long),
                    ('override_redirect', c_int), ('screen', c_void_p)]

    xlib = ctypes.cdll.LoadLibrary(ctypes.util.find_library('X11'))
    xlib.XOpenDisplay.restype = c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XDefaultRootWindow.restype = c_ulong
    xlib.XDefaultRootWindow.argtypes = [c_void_p]
    xlib.XQueryTree.argtypes = [c_void_p, c_ulong, POINTER(c_ulong), POINTER(c_ulong),
                                POINTER(POINTER(c_ulong)), POINTER(c_uint)]
    xlib.XGetWindowAttributes.argtypes = [c_void_p, c_ulong, POINTER(XWindowAttributes)]
    xlib.XResizeWindow.argtypes = [c_void_p, c_ulong, c_uint, c_uint]
    xlib.XFlush.argtypes = [c_void_p]
    xlib.XCloseDisplay.argtypes = [c_void_p]
    xlib.XFree.argtypes = [c_void_p]

    display = xlib.XOpenDisplay(None)
    if not display:
        raise RuntimeError('cannot open the X display')
    root, parent = c_ulong(), c_ulong()
    windows, count = POINTER(c_ulong)(), c_uint()
    xlib.XQueryTree(display, xlib.XDefaultRootWindow(display), byref(root), byref(parent),
                    byref(windows), byref(count))
    resized = 0
    for i in range(count.value):
        attributes = XWindowAttributes()
        xlib.XGetWindowAttributes(display, windows[i], byref(attributes))
        if attributes.map_state == 2 and not attributes.override_redirect:  # IsViewable
            xlib.XResizeWindow(display, windows[i], width, height)
            resized += 1
    if windows:
        xlib.XFree(windows)
    xlib.XFlush(display)
    xlib.XCloseDisplay(display)
    return resized


def mean_luminance(path, x, y, width, height):
    """Mean brightness (0..1) of a rectangle of a screenshot."""
    out = subprocess.run(['convert', path, '-crop', f'{width}x{height}+{x}+{y}', '+repage',
                          '-colorspace', 'Gray', '-format', '%[fx:mean]', 'info:'],
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


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

    def watch_owner_changes(self):
        """Records every change of the service's bus name owner, in order,
        with dbus-monitor: this process's main context belongs to pyatspi."""
        log = os.path.join(_TMP, 'owner-changes-%d' % time.monotonic_ns())
        monitor = subprocess.Popen(['stdbuf', '-oL', 'dbus-monitor', '--session',
                                    "type='signal',sender='org.freedesktop.DBus',"
                                    f"member='NameOwnerChanged',arg0='{PC_NAME}'"],
                                   stdout=open(log, 'w'), stderr=subprocess.DEVNULL)
        self.monitors = getattr(self, 'monitors', []) + [monitor]
        time.sleep(0.3)  # until its match rule is in place

        def changes():
            import re
            with open(log) as f:
                blocks = f.read().split('\nsignal ')
            found = []
            for block in blocks:
                if 'member=NameOwnerChanged' not in block:
                    continue
                strings = re.findall(r'^\s+string "([^"]*)"', block, re.M)
                if len(strings) == 3 and strings[0] == PC_NAME:
                    found.append((strings[1], strings[2]))
            return found
        return changes

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

    def module_property(self, module, name):
        reply = self.bus.call_sync(PC_NAME, f'{PC_PATH}/module/{module}',
                                   'org.freedesktop.DBus.Properties', 'Get',
                                   GLib.Variant('(ss)', ('io.github.Portcullis1.Module', name)),
                                   None, Gio.DBusCallFlags.NONE, 5000, None)
        return reply.unpack()[0]

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
        self._main_frame = None
        # PC_WINDOW_WRAPPER="gdb -batch -ex run -ex bt --args" to debug a crash.
        wrapper = os.environ.get('PC_WINDOW_WRAPPER', '').split()
        self.window = subprocess.Popen(wrapper + [WINDOW] + list(args), env=full_env,
                                       stdout=self.window_log, stderr=subprocess.STDOUT)
        self.app = wait_until(self.find_app, 15, 'the portcullis window on the AT-SPI bus')
        return self.app

    def find_app(self):
        desktop = pyatspi.Registry.getDesktop(0)
        for app in children(desktop):
            try:
                if name_of(app) == 'portcullis' and (app.get_process_id() == self.window.pid
                                                     or os.environ.get('PC_WINDOW_WRAPPER')):
                    if find(app, role='frame') is not None:
                        return app
            except Exception:
                continue
        return None

    def frame(self, title='Portcullis'):
        # Looked up afresh each time: libatspi sometimes drops a cached
        # application ("The application no longer exists") while it lives.
        self.app = self.find_app() or self.app
        for frame in children(self.app):
            if name_of(frame) == title and is_showing(frame):
                return frame
        return None

    def main_frame(self):
        # Cached: enumerating the application's windows right after one was
        # destroyed can crash GTK 4.8's AT-SPI root, so it is done rarely.
        cached = getattr(self, '_main_frame', None)
        if cached is not None and name_of(cached) == 'Portcullis' and self.window.poll() is None:
            return cached
        try:
            self._main_frame = wait_until(lambda: self.frame('Portcullis'), 5, 'the Portcullis window')
            return self._main_frame
        except TestFailure:
            desktop = pyatspi.Registry.getDesktop(0)
            seen = []
            for app in children(desktop):
                try:
                    seen.append((name_of(app), app.get_process_id(),
                                 [(role_name(w), name_of(w)) for w in children(app)]))
                except Exception as error:  # noqa: BLE001
                    seen.append(('?', str(error)))
            raise TestFailure(f'no Portcullis window; window process {self.window.pid} '
                              f'exit status {self.window.poll()}; on the AT-SPI bus: {seen}')

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

    def windows(self):
        self.app = self.find_app() or self.app
        return [w for w in children(self.app) if is_showing(w)]

    def window_with(self, role=None, name=None, timeout=5):
        """The first top-level window holding a widget of that role and name."""
        def lookup():
            for window in self.windows():
                if find(window, role=role, name=name) is not None:
                    return window
            return None
        return wait_until(lookup, timeout, f'a window with {role} “{name}”')

    def button(self, root, name, timeout=5):
        return wait_until(lambda: find_button(root, name), timeout, f'the “{name}” button')

    def click_button(self, root, name, timeout=5):
        button = self.button(root, name, timeout)
        wait_until(lambda: is_sensitive(button), timeout, f'the “{name}” button sensitive')
        click(button)
        return button

    def toast_text(self, prefix, timeout=5):
        """Waits for a toast (or any label) starting with prefix in the main window."""
        return wait_until(lambda: next((t for t in texts(self.main_frame())
                                        if t.startswith(prefix)), None),
                          timeout, f'a message starting “{prefix}”')

    def any_text(self, prefix, timeout=5):
        """Waits for a label starting with prefix in any of the app's windows."""
        def lookup():
            for window in self.windows():
                for text in texts(window):
                    if text.startswith(prefix):
                        return text
            return None
        return wait_until(lookup, timeout, f'a message starting “{prefix}”')

    def wait_call(self, call, timeout=5):
        wait_until(lambda: call in self.calls(), timeout, f'the service to receive {call}')

    def start_portal(self):
        """The portal stand-in (file chooser, and OpenURI recording to the
        browser's list); windows started with PORTAL_ENV use it. Set the
        chooser's answer with portal_answer()."""
        self.portal_answer_file = os.path.join(_TMP, 'portal-answer')
        self.portal_calls_file = os.path.join(_TMP, 'portal-calls')
        self.portal = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(
            os.path.abspath(__file__)), 'fake-portal.py'), self.portal_answer_file,
            self.portal_calls_file, os.path.join(_TMP, 'opened-urls')],
            stdout=subprocess.PIPE, text=True)
        line = self.portal.stdout.readline().strip()
        if line != 'ready':
            raise TestFailure(f'the fake portal did not start: {line!r}, status {self.portal.poll()}')

    def portal_answer(self, path):
        with open(self.portal_answer_file, 'w') as f:
            f.write(path)

    def portal_calls(self):
        try:
            with open(self.portal_calls_file) as f:
                return [line.rstrip('\n').split('\t') for line in f]
        except FileNotFoundError:
            return []

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
        portal = getattr(self, 'portal', None)
        if portal is not None:
            portal.terminate()
            portal.wait()
        for monitor in getattr(self, 'monitors', []):
            monitor.terminate()
            monitor.wait()
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
    """Runs (name, function) pairs and prints TAP; exits 1 if any failed.
    PC_TEST_ONLY=word,word runs the first test and those whose names hold a word."""
    only = [w for w in os.environ.get('PC_TEST_ONLY', '').split(',') if w]
    if only:
        tests = tests[:1] + [t for t in tests[1:] if any(w in t[0] for w in only)]
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
