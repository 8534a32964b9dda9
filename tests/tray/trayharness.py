# SPDX-License-Identifier: GPL-3.0-or-later
"""A private desktop for portcullis-tray tests.

One private session bus (dbus-daemon), one Xvfb, the real portcullisd in
testing mode, and the desktop pieces the tray talks to, played by this
process or by tools made for it:

- a StatusNotifierWatcher (org.kde.StatusNotifierWatcher) of our own that
  records RegisterStatusNotifierItem, or Debian's status-notifier-watcher;
- the window app, io.github.Portcullis (org.freedesktop.Application), that
  records Activate / ActivateAction;
- python3-dbusmock's notification_daemon template, which records Notify;
- a web browser: a .desktop handler for http/https in a temporary
  XDG_DATA_HOME that appends each URL it is given to a file;
- an xdg-desktop-portal FileChooser (GTK_USE_PORTAL=1) answering SaveFile
  with a file in the temporary directory, so Export Logs runs end to end.

Needs /usr/bin/python3 (python3-gi).
"""

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import gi
gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

BUILD_DIR = os.environ.get('PC_BUILD_DIR') or os.path.abspath(
    os.path.join(os.path.dirname(__file__), '..', '..', '_build-tray'))
SOURCE_DIR = os.environ.get('PC_SOURCE_DIR') or os.path.abspath(
    os.path.join(os.path.dirname(__file__), '..', '..'))
TRAY = os.path.join(BUILD_DIR, 'app', 'tray', 'portcullis-tray')
SERVICE = os.path.join(BUILD_DIR, 'app', 'service', 'portcullisd')
DEMO_PROFILE = os.path.join(SOURCE_DIR, 'resources', 'service', 'demo-profile.json')
MODULES = ('internet_security', 'private_access', 'digital_experience')

PC_NAME = 'io.github.Portcullis1'
PC_PATH = '/io/github/Portcullis1'

WATCHER_XML = '''
<node>
  <interface name="org.kde.StatusNotifierWatcher">
    <method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
    <method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
    <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
    <signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
    <signal name="StatusNotifierHostRegistered"/>
  </interface>
</node>'''

APPLICATION_XML = '''
<node>
  <interface name="org.freedesktop.Application">
    <method name="Activate"><arg name="platform_data" type="a{sv}" direction="in"/></method>
    <method name="Open">
      <arg name="uris" type="as" direction="in"/>
      <arg name="platform_data" type="a{sv}" direction="in"/>
    </method>
    <method name="ActivateAction">
      <arg name="action_name" type="s" direction="in"/>
      <arg name="parameter" type="av" direction="in"/>
      <arg name="platform_data" type="a{sv}" direction="in"/>
    </method>
  </interface>
</node>'''

PORTAL_XML = '''
<node>
  <interface name="org.freedesktop.portal.FileChooser">
    <method name="OpenFile">
      <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="a{sv}" direction="in"/>
      <arg type="o" direction="out"/>
    </method>
    <method name="SaveFile">
      <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="a{sv}" direction="in"/>
      <arg type="o" direction="out"/>
    </method>
    <property name="version" type="u" access="read"/>
  </interface>
</node>'''


class TestFailure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def check_equal(actual, expected, what):
    if actual != expected:
        raise TestFailure(f'{what}: expected {expected!r}, got {actual!r}')


class Desktop:
    """Everything the tray runs against; stop() tears it all down."""

    def __init__(self, name, watcher='own', notifications=True, window_app=True,
                 profile=None, portal=True):
        self.tmp = tempfile.mkdtemp(prefix=f'pc-tray-{name}-')
        self.procs = []
        self.tray = None
        self.service = None
        self.watcher_kind = watcher
        self.items = []            # (sender, path) registered with our watcher
        self.app_calls = []        # ("Activate", ...) received by the fake window app
        self.portal_calls = []
        self.portal_answer = None  # path SaveFile answers with
        self.registration_ids = []
        self.profile = profile or self.write_profile()

        for sub in ('data', 'config', 'cache', 'runtime', 'state'):
            os.makedirs(os.path.join(self.tmp, sub), exist_ok=True)
        os.chmod(os.path.join(self.tmp, 'runtime'), 0o700)

        self._start_bus()
        self._start_xvfb()
        self._install_browser()
        if watcher == 'own':
            self._export_watcher()
        elif watcher == 'debian':
            self._spawn(['status-notifier-watcher'], 'watcher.log')
            self.wait_for_name('org.kde.StatusNotifierWatcher')
        if window_app:
            self._export_window_app()
        if portal:
            self._export_portal()
        self.notify_mock = None
        self.notifications_seen = 0
        if notifications:
            self._start_notification_daemon()

    # --- plumbing ---

    def _spawn(self, argv, log, env=None):
        out = open(os.path.join(self.tmp, log), 'ab')
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                env=env or self.env(), start_new_session=True)
        self.procs.append(proc)
        return proc

    def env(self):
        env = dict(os.environ)
        env.update({
            'DBUS_SESSION_BUS_ADDRESS': self.bus_address,
            'DISPLAY': self.display,
            'PORTCULLIS_BUS': 'session',
            'XDG_DATA_HOME': os.path.join(self.tmp, 'data'),
            'XDG_CONFIG_HOME': os.path.join(self.tmp, 'config'),
            'XDG_CACHE_HOME': os.path.join(self.tmp, 'cache'),
            'XDG_RUNTIME_DIR': os.path.join(self.tmp, 'runtime'),
            'XDG_DATA_DIRS': os.path.join(BUILD_DIR, 'resources') + ':/usr/local/share:/usr/share',
            'XDG_CURRENT_DESKTOP': 'GNOME',
            'GSETTINGS_BACKEND': 'keyfile',
            'GTK_USE_PORTAL': '1',
            'NO_AT_BRIDGE': '1',
        })
        schema_dir = compiled_schema_dir()
        if schema_dir:
            env['GSETTINGS_SCHEMA_DIR'] = schema_dir
        env.pop('DBUS_SYSTEM_BUS_ADDRESS', None)
        return env

    def _start_bus(self):
        proc = subprocess.Popen(['dbus-daemon', '--session', '--nofork', '--print-address=1'],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        self.procs.append(proc)
        self.bus_address = proc.stdout.readline().decode().strip()
        check(self.bus_address, 'dbus-daemon gave no address')
        self.bus = Gio.DBusConnection.new_for_address_sync(
            self.bus_address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)

    def _start_xvfb(self):
        read_fd, write_fd = os.pipe()
        proc = subprocess.Popen(['Xvfb', '-displayfd', str(write_fd), '-screen', '0', '800x600x24',
                                 '-nolisten', 'tcp'],
                                pass_fds=[write_fd], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(write_fd)
        self.procs.append(proc)
        number = b''
        while not number.endswith(b'\n'):
            chunk = os.read(read_fd, 16)
            check(chunk, 'Xvfb did not start')
            number += chunk
        os.close(read_fd)
        self.display = ':' + number.decode().strip()

    def _install_browser(self):
        """A URL handler that appends each URL it is given to browser.log."""
        self.browser_log = os.path.join(self.tmp, 'browser.log')
        apps = os.path.join(self.tmp, 'data', 'applications')
        os.makedirs(apps, exist_ok=True)
        script = os.path.join(self.tmp, 'browser.sh')
        with open(script, 'w') as f:
            # Also records GDK_GL, which the tray must not pass on.
            f.write(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{self.browser_log}"\n'
                    f'printf "%s\\n" "${{GDK_GL-unset}}" >> "{self.browser_log}.env"\n')
        os.chmod(script, 0o755)
        with open(os.path.join(apps, 'pc-test-browser.desktop'), 'w') as f:
            f.write('[Desktop Entry]\nType=Application\nName=Test Browser\n'
                    f'Exec={script} %u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;\n')
        with open(os.path.join(self.tmp, 'config', 'mimeapps.list'), 'w') as f:
            f.write('[Default Applications]\nx-scheme-handler/http=pc-test-browser.desktop\n'
                    'x-scheme-handler/https=pc-test-browser.desktop\n')

    def write_profile(self, changes=None):
        """A profile whose modules are on once logged in: no edge, portal,
        DX server or DR to probe, so only the Testing interface sets problems.
        changes: {"user_access.export_logs": False, ...}"""
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            local_proxy = '127.0.0.1:%d' % s.getsockname()[1]
        profile = {
            'name': 'Tray Test',
            'support': {'contact': 'the tray test desk',
                        'url': 'https://support.example.org/help'},
            'user_access': {'restart_service': True, 'repair_app': True, 'export_logs': True},
            'probe_interval_s': 3600,
            'internet_security': {'enabled': True, 'tunnel': 'proxy', 'local_proxy': local_proxy},
            'private_access': {'enabled': True},
            'digital_experience': {'enabled': True},
        }
        for key, value in (changes or {}).items():
            node = profile
            *parents, leaf = key.split('.')
            for parent in parents:
                node = node.setdefault(parent, {})
            node[leaf] = value
        path = os.path.join(self.tmp, 'profile-%d.json' % len(os.listdir(self.tmp)))
        with open(path, 'w') as f:
            json.dump(profile, f)
        return path

    def browser_gdk_gl(self):
        with open(self.browser_log + '.env') as f:
            return [line.strip() for line in f]

    def browser_urls(self):
        try:
            with open(self.browser_log) as f:
                return [line.strip() for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def own_name(self, name):
        reply = self.bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                   'org.freedesktop.DBus', 'RequestName',
                                   GLib.Variant('(su)', (name, 4)), GLib.VariantType('(u)'),
                                   Gio.DBusCallFlags.NONE, 5000, None)
        check_equal(reply.unpack()[0], 1, f'owning {name}')

    def release_name(self, name):
        self.bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus',
                           'org.freedesktop.DBus', 'ReleaseName',
                           GLib.Variant('(s)', (name,)), GLib.VariantType('(u)'),
                           Gio.DBusCallFlags.NONE, 5000, None)

    def _export(self, path, xml, method_call, get_property=None):
        info = Gio.DBusNodeInfo.new_for_xml(xml).interfaces[0]
        reg = self.bus.register_object(path, info, method_call, get_property, None)
        self.registration_ids.append(reg)

    # --- the StatusNotifierWatcher ---

    def _export_watcher(self):
        def method_call(conn, sender, path, iface, method, params, invocation):
            if method == 'RegisterStatusNotifierItem':
                service = params.unpack()[0]
                # libayatana passes its object path; others pass a bus name.
                if service.startswith('/'):
                    item = (sender, service)
                else:
                    item = (service, '/StatusNotifierItem')
                self.items.append(item)
                invocation.return_value(None)
                conn.emit_signal(None, '/StatusNotifierWatcher', 'org.kde.StatusNotifierWatcher',
                                 'StatusNotifierItemRegistered',
                                 GLib.Variant('(s)', (item[0] + item[1],)))
            else:
                invocation.return_value(None)

        def get_property(conn, sender, path, iface, name):
            if name == 'RegisteredStatusNotifierItems':
                return GLib.Variant('as', [s + p for s, p in self.items])
            if name == 'IsStatusNotifierHostRegistered':
                return GLib.Variant('b', True)
            return GLib.Variant('i', 0)

        self._export('/StatusNotifierWatcher', WATCHER_XML, method_call, get_property)
        self.own_name('org.kde.StatusNotifierWatcher')

    # --- the window app ---

    def _export_window_app(self):
        def method_call(conn, sender, path, iface, method, params, invocation):
            self.app_calls.append((method,) + tuple(params.unpack()))
            invocation.return_value(None)

        self._export('/io/github/Portcullis', APPLICATION_XML, method_call)
        self.own_name('io.github.Portcullis')

    # --- the file chooser portal ---

    def _export_portal(self):
        def method_call(conn, sender, path, iface, method, params, invocation):
            parent, title, options = params.unpack()
            self.portal_calls.append((method, title, options))
            token = options.get('handle_token', 'pc')
            request = '/org/freedesktop/portal/desktop/request/%s/%s' % (
                sender[1:].replace('.', '_'), token)
            invocation.return_value(GLib.Variant('(o)', (request,)))
            if self.portal_answer:
                results = {'uris': GLib.Variant('as', ['file://' + self.portal_answer])}
                response = 0
            else:
                # GTK 3.24 reads "uris" even from a cancelled answer.
                results = {'uris': GLib.Variant('as', [])}
                response = 1

            # As the real portal does, answer later: GTK 3 subscribes to
            # Response only once it has the reply.
            def respond():
                conn.emit_signal(sender, request, 'org.freedesktop.portal.Request', 'Response',
                                 GLib.Variant('(ua{sv})', (response, results)))
                return GLib.SOURCE_REMOVE
            GLib.timeout_add(100, respond)

        def get_property(conn, sender, path, iface, name):
            return GLib.Variant('u', 3)

        self._export('/org/freedesktop/portal/desktop', PORTAL_XML, method_call, get_property)
        self.own_name('org.freedesktop.portal.Desktop')

    # --- notifications ---

    def _start_notification_daemon(self):
        self._spawn([sys.executable, '-m', 'dbusmock', '--template', 'notification_daemon',
                     '-p', '{"capabilities": "body actions icon-static persistence"}'],
                    'notifications.log')
        self.wait_for_name('org.freedesktop.Notifications')
        self.notify_mock = True

    def _mock_call(self, method, args, sig, reply_sig=None):
        return self.bus.call_sync('org.freedesktop.Notifications', '/org/freedesktop/Notifications',
                                  'org.freedesktop.DBus.Mock', method,
                                  GLib.Variant(sig, args) if sig else None,
                                  GLib.VariantType(reply_sig) if reply_sig else None,
                                  Gio.DBusCallFlags.NONE, 5000, None)

    def notifications(self):
        """Every Notify since clear_notifications(), as dicts with the id
        the daemon returned (counted over all calls, as the daemon does)."""
        calls = self._mock_call('GetMethodCalls', ('Notify',), '(s)', '(a(tav))').unpack()[0]
        result = []
        next_id = 1
        for _timestamp, args in calls:
            app_name, replaces_id, icon, summary, body, actions, hints, timeout = args
            if replaces_id:
                nid = replaces_id
            else:
                nid = next_id
                next_id += 1
            result.append({
                'id': nid, 'app_name': app_name, 'replaces_id': replaces_id, 'icon': icon,
                'summary': summary, 'body': body,
                'actions': dict(zip(actions[0::2], actions[1::2])),
                'urgency': hints.get('urgency'), 'hints': hints,
            })
        return result[self.notifications_seen:]

    def clear_notifications(self):
        self.notifications_seen = 0
        self.notifications_seen = len(self.notifications())

    def invoke_notification_action(self, nid, action):
        self._mock_call('EmitSignal',
                        ('org.freedesktop.Notifications', 'ActionInvoked', 'us',
                         [GLib.Variant('u', nid), GLib.Variant('s', action)]),
                        '(sssav)')

    # --- the service ---

    def start_service(self, profile=None):
        self.service = self._spawn([SERVICE, '--session', '--testing',
                                    '--profile', profile or self.profile,
                                    '--state-dir', os.path.join(self.tmp, 'state')],
                                   'service.log')
        self.wait_for_name(PC_NAME)
        return self.service

    def stop_service(self):
        self.service.terminate()
        self.service.wait(10)
        self.procs.remove(self.service)
        self.service = None

    def pc_call(self, iface, method, sig=None, args=None, path=PC_PATH, reply=None):
        return self.bus.call_sync(PC_NAME, path, 'io.github.Portcullis1.' + iface, method,
                                  GLib.Variant(sig, args) if sig else None,
                                  GLib.VariantType(reply) if reply else None,
                                  Gio.DBusCallFlags.NONE, 10000, None)

    def login(self, user='alice'):
        self.pc_call('Manager', 'Login', '(s)', (user,))

    def set_error(self, module, code, detail=''):
        self.pc_call('Testing', 'SetError', '(sss)', (module, code, detail))

    def clear_error(self, module):
        self.pc_call('Testing', 'ClearError', '(s)', (module,))

    def set_network(self, state):
        self.pc_call('Testing', 'SetNetwork', '(s)', (state,))

    def set_module_property(self, module, name, value):
        self.pc_call('Testing', 'SetModuleProperty', '(ssv)', (module, name, value))

    def service_calls(self):
        return self.pc_call('Testing', 'GetCalls', reply='(as)').unpack()[0]

    def reset_service_calls(self):
        self.pc_call('Testing', 'ResetCalls')

    # --- the tray ---

    def lsan_options(self, options):
        """LSAN_OPTIONS with lsan-tray.supp added to the suite's suppressions."""
        parts = [p for p in options.split(':') if p]
        suppressions = [p.split('=', 1)[1] for p in parts if p.startswith('suppressions=')]
        combined = os.path.join(self.tmp, 'lsan.supp')
        with open(combined, 'w') as out:
            for path in suppressions + [os.path.join(os.path.dirname(__file__), 'lsan-tray.supp')]:
                with open(path) as f:
                    out.write(f.read() + '\n')
        return ':'.join([p for p in parts if not p.startswith('suppressions=')]
                        + ['suppressions=' + combined])

    def start_tray(self, extra_env=None, args=()):
        env = self.env()
        env.update(extra_env or {})
        if 'LSAN_OPTIONS' in env:   # meson test --setup sanitize
            env['LSAN_OPTIONS'] = self.lsan_options(env['LSAN_OPTIONS'])
        if 'ASAN_OPTIONS' in env and 'fast_unwind_on_malloc' not in env['ASAN_OPTIONS']:
            # Debian's GLib and GTK have no frame pointers: without the slow
            # unwinder a leak's stack stops at g_malloc and no suppression
            # can name the library function behind it.
            env['ASAN_OPTIONS'] += ':fast_unwind_on_malloc=0'
        self.tray_log = os.path.join(self.tmp, 'tray.log')
        # PC_TRAY_WRAPPER="valgrind --leak-check=full" (or heaptrack) to profile it.
        wrapper = shlex.split(os.environ.get('PC_TRAY_WRAPPER', ''))
        self.tray = self._spawn(wrapper + [TRAY] + list(args), 'tray.log', env=env)
        return self.tray

    def tray_output(self):
        with open(self.tray_log, errors='replace') as f:
            return f.read()

    def wait_for_item(self, timeout=10):
        self.wait_until(lambda: self.items, timeout, 'the tray never registered its StatusNotifierItem')
        return self.items[-1]

    def item_properties(self):
        sender, path = self.items[-1]
        reply = self.bus.call_sync(sender, path, 'org.freedesktop.DBus.Properties', 'GetAll',
                                   GLib.Variant('(s)', ('org.kde.StatusNotifierItem',)),
                                   GLib.VariantType('(a{sv})'), Gio.DBusCallFlags.NONE, 5000, None)
        return reply.unpack()[0]

    def menu_layout(self):
        """The visible menu items, flattened: dicts with id, label, enabled, type."""
        sender, _path = self.items[-1]
        menu_path = self.item_properties()['Menu']
        reply = self.bus.call_sync(sender, menu_path, 'com.canonical.dbusmenu', 'GetLayout',
                                   GLib.Variant('(iias)', (0, -1, [])),
                                   GLib.VariantType('(u(ia{sv}av))'),
                                   Gio.DBusCallFlags.NONE, 5000, None)
        _revision, root = reply.unpack()
        items = []

        def walk(node):
            node_id, props, children = node
            for child in children:
                walk(child)
            if node_id != 0:
                items.append({'id': node_id,
                              'label': props.get('label', ''),
                              'enabled': props.get('enabled', True),
                              'visible': props.get('visible', True),
                              'type': props.get('type', 'standard')})
        walk(root)
        # dbusmenu lists children in order; walk() appended parents last.
        return [i for i in items if i['visible']]

    def menu_labels(self):
        return [i['label'] for i in self.menu_layout() if i['type'] != 'separator']

    def menu_item(self, label):
        for item in self.menu_layout():
            if item['label'] == label:
                return item
        raise TestFailure(f'no visible menu item “{label}” in {self.menu_labels()}')

    def click(self, label):
        item = self.menu_item(label)
        check(item['enabled'], f'menu item “{label}” is insensitive')
        sender, _path = self.items[-1]
        menu_path = self.item_properties()['Menu']
        self.bus.call_sync(sender, menu_path, 'com.canonical.dbusmenu', 'Event',
                           GLib.Variant('(isvu)', (item['id'], 'clicked', GLib.Variant('s', ''), 0)),
                           None, Gio.DBusCallFlags.NONE, 5000, None)

    # --- waiting ---

    def iterate(self, seconds=0.0):
        """Runs our main loop (the fake watcher, app and portal answer calls)."""
        context = GLib.MainContext.default()
        deadline = time.monotonic() + seconds
        while True:
            while context.pending():
                context.iteration(False)
            if time.monotonic() >= deadline:
                break
            time.sleep(0.005)

    def wait_until(self, predicate, timeout, message):
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            self.iterate()
            try:
                if predicate():
                    return
                last_error = None
            except GLib.Error as e:
                last_error = e
            if self.tray is not None and self.tray.poll() is not None:
                raise TestFailure(f'{message}: the tray exited with {self.tray.returncode}\n'
                                  + self.tray_output())
            time.sleep(0.02)
        raise TestFailure(message + (f' ({last_error.message})' if last_error else ''))

    def wait_for_name(self, name, timeout=10):
        def has_owner():
            reply = self.bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                       'org.freedesktop.DBus', 'NameHasOwner',
                                       GLib.Variant('(s)', (name,)), GLib.VariantType('(b)'),
                                       Gio.DBusCallFlags.NONE, 5000, None)
            return reply.unpack()[0]
        self.wait_until(has_owner, timeout, f'{name} never appeared on the bus')

    def wait_for_title(self, title, timeout=5):
        self.wait_until(lambda: self.item_properties()['Title'] == title, timeout,
                        f'the tray title never became “{title}”')

    def stop(self):
        for reg in self.registration_ids:
            self.bus.unregister_object(reg)
        for proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in self.procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        try:
            self.bus.close_sync(None)
        except GLib.Error:
            pass  # the bus went first
        if os.environ.get('PC_KEEP_TMP'):
            print(f'# kept {self.tmp}')
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def compiled_schema_dir():
    """Where the build compiled the io.github.Portcullis schema, if it did."""
    for candidate in (os.path.join(BUILD_DIR, 'resources', 'desktop'),
                      os.path.join(BUILD_DIR, 'data')):
        if os.path.exists(os.path.join(candidate, 'gschemas.compiled')):
            return candidate
    return None


def run_tap(tests):
    """Runs (name, function) pairs and prints TAP; exits 1 if any failed."""
    print(f'1..{len(tests)}', flush=True)
    failed = 0
    for number, (name, function) in enumerate(tests, 1):
        started = time.monotonic()
        try:
            function()
            print(f'ok {number} - {name} ({time.monotonic() - started:.1f} s)', flush=True)
        except Exception:  # noqa: BLE001 - every failure is reported, not just assertions
            failed += 1
            print(f'not ok {number} - {name}', flush=True)
            for line in traceback.format_exc().splitlines():
                print('# ' + line, flush=True)
    sys.exit(1 if failed else 0)
