#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# portcullisctl end to end: a private session bus, the real portcullisd
# with --testing, a temporary profile and state dir, and the real
# portcullisctl for every command, checking its output and exit status.
# TAP on stdout. Every wait has a deadline, so a hang fails instead of
# blocking.

import json
import os
import pty
import select
import signal
import socket
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback

from gi.repository import Gio, GLib

BUILD_DIR = os.environ.get('PC_BUILD_DIR')
if not BUILD_DIR:
    print('Bail out! PC_BUILD_DIR is not set (run through meson test)')
    sys.exit(1)

CTL = os.path.join(BUILD_DIR, 'app', 'ctl', 'portcullisctl')
SERVICE = os.path.join(BUILD_DIR, 'app', 'service', 'portcullisd')
BUS_NAME = 'io.github.Portcullis1'
OBJECT_PATH = '/io/github/Portcullis1'
TESTING = 'io.github.Portcullis1.Testing'
PASSWORD = 'open sesame'
COMMAND_TIMEOUT = 20

NOT_RUNNING = ('portcullisctl: the Portcullis service is not running '
               '(io.github.Portcullis1 is not on the session bus)\n')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def check_in(needle, haystack, what='output'):
    if needle not in haystack:
        raise Failure('%r not in %s:\n%s' % (needle, what, haystack))


class LineReader:
    '''Reads lines from a pipe with a deadline, without blocking past it.'''

    def __init__(self, pipe):
        self.fd = pipe.fileno()
        self.buffer = b''
        self.lines = []

    def read_until(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            while b'\n' in self.buffer:
                line, self.buffer = self.buffer.split(b'\n', 1)
                text = line.decode('utf-8')
                self.lines.append(text)
                if predicate(text):
                    return text
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Failure('no matching line within %ds; got:\n%s'
                              % (timeout, '\n'.join(self.lines)))
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    raise Failure('the pipe closed; got:\n%s' % '\n'.join(self.lines))
                self.buffer += chunk


class Harness:
    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix='pc-ctl-e2e-')
        self.bus = None
        self.service = None
        self.connection = None
        self.env = None
        self.results = []

    # The private bus and the service

    def start_bus(self):
        self.bus = subprocess.Popen(['dbus-daemon', '--session', '--nofork',
                                     '--print-address=1'],
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL)
        ready, _, _ = select.select([self.bus.stdout], [], [], 10)
        if not ready:
            raise Failure('dbus-daemon did not start')
        address = self.bus.stdout.readline().decode().strip()
        self.env = dict(os.environ,
                        DBUS_SESSION_BUS_ADDRESS=address,
                        PORTCULLIS_BUS='session',
                        LC_ALL='C.UTF-8',
                        LANGUAGE='')
        self.env.pop('DBUS_SYSTEM_BUS_ADDRESS', None)
        self.connection = Gio.DBusConnection.new_for_address_sync(
            address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
            None, None)

    def write_profile(self):
        hashed = subprocess.run(['openssl', 'passwd', '-6', PASSWORD],
                                check=True, capture_output=True,
                                text=True).stdout.strip()
        check(hashed.startswith('$6$'), 'openssl did not make a $6$ hash')
        profile = {
            'name': 'CTL Test',
            'support': {'contact': 'the test desk',
                        'url': 'https://support.example.org/help'},
            'user_access': {
                'restart_service': True,
                'repair_app': True,
                'export_logs': True,
                'logout_password_hash': hashed,
                'disable_password_hash': hashed,
            },
            'probe_interval_s': 3600,
            'fail_close': True,
            # No edge, portal, DX server or DR to probe: only the Testing
            # interface sets problems. The local proxy gets a free port.
            'internet_security': {'enabled': True, 'tunnel': 'proxy',
                                  'local_proxy': '127.0.0.1:%d' % free_port()},
            'private_access': {'enabled': True},
            'digital_experience': {'enabled': True},
        }
        path = os.path.join(self.tmp.name, 'profile.json')
        with open(path, 'w') as f:
            json.dump(profile, f)
        return path

    def name_has_owner(self):
        reply = self.connection.call_sync(
            'org.freedesktop.DBus', '/org/freedesktop/DBus',
            'org.freedesktop.DBus', 'NameHasOwner',
            GLib.Variant('(s)', (BUS_NAME,)), GLib.VariantType('(b)'),
            Gio.DBusCallFlags.NONE, 5000, None)
        return reply.unpack()[0]

    def wait_for_name(self, present, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.name_has_owner() == present:
                return
            time.sleep(0.05)
        raise Failure('%s did not %s the bus within %ds'
                      % (BUS_NAME, 'join' if present else 'leave', timeout))

    def start_service(self):
        state_dir = os.path.join(self.tmp.name, 'state')
        self.service_log = open(os.path.join(self.tmp.name, 'service.log'), 'w')
        self.service = subprocess.Popen(
            [SERVICE, '--session', '--testing',
             '--profile', self.write_profile(), '--state-dir', state_dir],
            env=self.env, stdin=subprocess.DEVNULL,
            stdout=self.service_log, stderr=subprocess.STDOUT)
        self.wait_for_name(True)

    def stop(self):
        for process in (self.service, self.bus):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def testing(self, method, *args, signature=None):
        params = GLib.Variant(signature, args) if signature else None
        reply = self.connection.call_sync(BUS_NAME, OBJECT_PATH, TESTING, method,
                                          params, None, Gio.DBusCallFlags.NONE,
                                          5000, None)
        return reply.unpack() if reply is not None else None

    def set_error(self, module, code, detail=''):
        self.testing('SetError', module, code, detail, signature='(sss)')

    def calls(self):
        return self.testing('GetCalls')[0]

    # portcullisctl

    def ctl(self, *args, stdin=None, env=None):
        started = time.monotonic()
        result = subprocess.run([CTL] + list(args),
                                env=env or self.env,
                                input=stdin,
                                stdin=None if stdin is not None else subprocess.DEVNULL,
                                capture_output=True, text=True,
                                timeout=COMMAND_TIMEOUT)
        result.elapsed = time.monotonic() - started
        return result

    def ctl_ok(self, *args, stdin=None):
        result = self.ctl(*args, stdin=stdin)
        if result.returncode != 0:
            raise Failure('portcullisctl %s exited %d\nstdout: %s\nstderr: %s'
                          % (' '.join(args), result.returncode, result.stdout,
                             result.stderr))
        return result.stdout

    def ctl_fails(self, code, *args, stdin=None):
        result = self.ctl(*args, stdin=stdin)
        if result.returncode != code:
            raise Failure('portcullisctl %s exited %d, expected %d\nstdout: %s\nstderr: %s'
                          % (' '.join(args), result.returncode, code,
                             result.stdout, result.stderr))
        return result

    def module_row(self, status_text, title):
        for line in status_text.splitlines():
            if line.startswith(title + '  '):
                return line.split()
        raise Failure('no %s row in:\n%s' % (title, status_text))

    def status_json(self):
        return json.loads(self.ctl_ok('status', '--json'))


h = Harness()
tests = []


def test(function):
    tests.append(function)
    return function


@test
def no_service_is_one_line_and_exit_3():
    result = h.ctl_fails(3, 'status')
    check(result.stdout == '', 'stdout not empty: %r' % result.stdout)
    check(result.stderr == NOT_RUNNING, 'stderr: %r' % result.stderr)
    check(result.elapsed < 3, 'took %.1fs' % result.elapsed)
    for args in (['retry', 'is'], ['logout'], ['export-logs', os.path.join(h.tmp.name, 'none.tgz')]):
        result = h.ctl_fails(3, *args)
        check(result.stderr == NOT_RUNNING, '%s: %r' % (args, result.stderr))
    check(not os.path.exists(os.path.join(h.tmp.name, 'none.tgz')),
          'export-logs created a file without a service')


@test
def usage_errors_exit_2():
    for args in (['frobnicate'], ['retry'], ['retry', 'nonsense'], ['status', '--bogus'],
                 ['export-logs'], ['login', 'a', 'b'], ['--session', '--system', 'status'], []):
        result = h.ctl_fails(2, *args)
        check(result.stderr.strip() != '', '%s: no message' % args)
    check_in('unknown module “nonsense”', h.ctl('retry', 'nonsense').stderr)


@test
def help_and_version():
    text = h.ctl_ok('--help')
    for needle in ('status', 'watch', 'retry MODULE', 'authenticate MODULE', 'login USER',
                   'logout', 'enable MODULE', 'disable MODULE', 'restart-service',
                   'repair-app', 'export-logs FILE', 'clear-logs', 'log-level',
                   'policy', 'Exit status:', '3  the service is not running'):
        check_in(needle, text, '--help')
    text = h.ctl_ok('disable', '--help')
    for needle in ('--reason', '--password-stdin', 'Exit status:'):
        check_in(needle, text, 'disable --help')
    check_in('--force', h.ctl_ok('export-logs', '--help'), 'export-logs --help')
    check_in('portcullisctl ', h.ctl_ok('--version'))


@test
def watch_waits_for_the_service_and_exits_4_when_the_bus_goes():
    bus = subprocess.Popen(['dbus-daemon', '--session', '--nofork', '--print-address=1'],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    watch = None
    try:
        ready, _, _ = select.select([bus.stdout], [], [], 10)
        check(ready, 'second dbus-daemon did not start')
        address = bus.stdout.readline().decode().strip()
        env = dict(h.env, DBUS_SESSION_BUS_ADDRESS=address)
        watch = subprocess.Popen([CTL, 'watch'], env=env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        reader = LineReader(watch.stdout)
        reader.read_until(lambda l: 'service is not running' in l and 'waiting' in l)
        check(watch.poll() is None, 'watch ended without a service')
        bus.terminate()
        bus.wait(5)
        try:
            reader.read_until(lambda l: 'the bus connection closed' in l)
        except Failure as error:
            watch.wait(5)
            raise Failure('%s\nexit status %s, stderr: %r'
                          % (error, watch.returncode, watch.stderr.read()))
        check(watch.wait(10) == 4, 'watch did not exit 4 when the bus went')
    finally:
        for process in (watch, bus):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()


BUS_CONFIG = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=%(tmp)s</listen>
  <servicedir>%(services)s</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
'''


@test
def never_starts_the_service_by_activation():
    # A bus that could activate io.github.Portcullis1 (the "service"
    # only leaves a mark); portcullisctl must not trigger it.
    services = os.path.join(h.tmp.name, 'services')
    marker = os.path.join(h.tmp.name, 'activated')
    os.makedirs(services)
    with open(os.path.join(services, BUS_NAME + '.service'), 'w') as f:
        # exits non-zero, so the bus gives up at once instead of waiting
        f.write("[D-BUS Service]\nName=%s\nExec=/bin/sh -c 'touch %s; exit 1'\n"
                % (BUS_NAME, marker))
    config = os.path.join(h.tmp.name, 'activating-bus.conf')
    with open(config, 'w') as f:
        f.write(BUS_CONFIG % {'tmp': h.tmp.name, 'services': services})
    bus = subprocess.Popen(['dbus-daemon', '--config-file=' + config, '--nofork',
                            '--print-address=1'],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        ready, _, _ = select.select([bus.stdout], [], [], 10)
        check(ready, 'activating dbus-daemon did not start')
        address = bus.stdout.readline().decode().strip()
        env = dict(h.env, DBUS_SESSION_BUS_ADDRESS=address)
        for args in (['status'], ['retry', 'is'], ['policy'], ['restart-service']):
            result = h.ctl(*args, env=env)
            check(result.returncode == 3, '%s exited %d' % (args, result.returncode))
            check(result.stderr == NOT_RUNNING, result.stderr)
        result = h.ctl('watch', '--timeout', '1', env=env)
        check(result.returncode == 0, 'watch --timeout 1 exited %d' % result.returncode)
        time.sleep(0.3)
        check(not os.path.exists(marker), 'portcullisctl started the service by activation')

        # The bus does activate when asked to, so the check above can fail.
        connection = Gio.DBusConnection.new_for_address_sync(
            address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        try:
            connection.call_sync(BUS_NAME, OBJECT_PATH, 'org.freedesktop.DBus.Peer', 'Ping',
                                 None, None, Gio.DBusCallFlags.NONE, 5000, None)
        except GLib.Error:
            pass
        connection.close_sync(None)
        check(os.path.exists(marker), 'the activating bus did not activate')
    finally:
        bus.terminate()
        bus.wait(5)


@test
def service_starts():
    h.start_service()


@test
def status_table_header_and_modules():
    text = h.ctl_ok('status')
    check_in('Service:       Portcullis ', text)
    check_in('(session bus)', text)
    check_in('User:          (logged out)', text)
    check_in('Profile:       CTL Test', text)
    check_in('Network:       ', text)
    check_in('Network type:  ', text)
    for title in ('Internet Security', 'Private Access', 'Digital Experience'):
        h.module_row(text, title)
    # --session picks the same bus explicitly; PORTCULLIS_BUS picked it above
    check(h.ctl_ok('--session', 'status') == text, '--session differs')


@test
def status_titles_and_buttons_from_the_catalog():
    h.set_error('internet_security', 'fail-close', 'Driver Error')
    h.set_error('private_access', 'authentication-error')
    h.set_error('digital_experience', 'server-error', 'HTTP 503')
    text = h.ctl_ok('status')
    lines = {line.split('  ')[0]: line for line in text.splitlines()}
    header = lines['MODULE']
    message_at = header.index('MESSAGE')
    buttons_at = header.index('BUTTONS')

    row = lines['Internet Security']
    check(row[message_at:].startswith('Fail Close (Driver Error)'), row)
    check(row[buttons_at:] == 'Retry', row)
    check_in('  Driver Error  ', row)
    row = lines['Private Access']
    check(row[message_at:].startswith('Authentication Error'), row)
    check(row[buttons_at:] == 'Authenticate', row)
    row = lines['Digital Experience']
    check(row[message_at:].startswith('Server Error'), row)
    check_in('  HTTP 503  ', row)
    check(row[buttons_at:] == 'Retry', row)

    h.set_error('internet_security', 'captive-portal-detected')
    text = h.ctl_ok('status')
    row = [line for line in text.splitlines() if line.startswith('Internet Security')][0]
    check(row[message_at:].startswith('Captive Portal Detected'), row)
    check(row.endswith('Open Browser, Retry'), row)

    h.set_error('internet_security', 'connection-error')
    text = h.ctl_ok('status')
    row = [line for line in text.splitlines() if line.startswith('Internet Security')][0]
    check_in('Connection Error', row)
    check(row.endswith('  Retry'), row)

    h.set_error('internet_security', 'driver-error')
    text = h.ctl_ok('status')
    row = [line for line in text.splitlines() if line.startswith('Internet Security')][0]
    check_in('Driver Error', row)
    check(row.endswith('  -'), 'driver-error has no button: ' + row)


@test
def status_json_has_every_property_and_the_derived_fields():
    h.set_error('internet_security', 'fail-close', 'Driver Error')
    h.set_error('private_access', 'authentication-error')
    h.testing('ClearError', 'digital_experience', signature='(s)')
    data = h.status_json()
    check(data['bus'] == 'session', data['bus'])
    check(data['severity'] == 'error', data['severity'])
    manager = data['manager']
    for key in ('Version', 'User', 'Profile', 'Network', 'NetworkType', 'Policy', 'LogLevel'):
        check(key in manager, 'manager lacks ' + key)
    check(manager['Profile'] == 'CTL Test', manager['Profile'])
    check(manager['Policy']['logout-password'] is True, manager['Policy'])
    check(manager['Policy']['support-contact'] == 'the test desk', manager['Policy'])
    modules = {m['module']: m for m in data['modules']}
    check(sorted(modules) == ['digital_experience', 'internet_security', 'private_access'],
          sorted(modules))
    check([m['module'] for m in data['modules']] ==
          ['internet_security', 'private_access', 'digital_experience'], 'display order')
    for module in modules.values():
        for key in ('Kind', 'Status', 'Error', 'ErrorDetail', 'FailMode', 'AuthStatus',
                    'PortalUrl', 'Server', 'ClientAddress', 'Since', 'BytesSent',
                    'BytesReceived', 'name', 'title', 'severity', 'actions'):
            check(key in module, '%s lacks %s' % (module['module'], key))
        check(isinstance(module['Since'], int), 'Since is not a number')
    check(modules['internet_security']['title'] == 'Fail Close (Driver Error)',
          modules['internet_security']['title'])
    check(modules['internet_security']['Error'] == 'fail-close', 'Error')
    check(modules['internet_security']['actions'] == ['retry'],
          modules['internet_security']['actions'])
    check(modules['private_access']['actions'] == ['authenticate'],
          modules['private_access']['actions'])
    check(modules['private_access']['name'] == 'Private Access', 'name')
    check(modules['digital_experience']['Error'] == '', 'DX error not cleared')
    check(modules['digital_experience']['actions'] == [], 'DX actions')


@test
def watch_prints_changes_as_they_happen():
    h.set_error('internet_security', 'connection-error')
    watch = subprocess.Popen([CTL, 'watch'], env=h.env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        reader = LineReader(watch.stdout)
        reader.read_until(lambda l: 'service is running: Portcullis' in l)
        line = reader.read_until(lambda l: 'internet_security:' in l)
        check_in('error (Connection Error)', line)
        check_in('[Retry]', line)
        reader.read_until(lambda l: 'digital_experience:' in l)

        h.set_error('internet_security', 'network-error')
        line = reader.read_until(lambda l: 'internet_security.Error' in l)
        check_in("= 'network-error'", line)
        check_in('(now: Network Error)', line)
        # "YYYY-MM-DD HH:MM:SS.mmm  " in front
        time.strptime(line[:19], '%Y-%m-%d %H:%M:%S')

        h.testing('SetNetwork', 'captive-portal', signature='(s)')
        line = reader.read_until(lambda l: 'manager.Network' in l)
        check_in("= 'captive-portal'", line)

        # The service goes away and comes back (the same process,
        # re-executed): restart-service waits for it, watch says so and
        # goes on.
        before = h.service.pid
        out = h.ctl_ok('restart-service')
        check_in('restarted', out)
        check(h.service.poll() is None and h.service.pid == before, 'service process gone')
        reader.read_until(lambda l: 'service stopped' in l)
        reader.read_until(lambda l: 'service is running: Portcullis' in l)
        h.set_error('private_access', 'untrusted-root-cert')
        line = reader.read_until(lambda l: 'private_access.Error' in l)
        check_in('(now: Untrusted Root Cert)', line)

        watch.send_signal(signal.SIGTERM)
        check(watch.wait(5) == 0, 'watch did not exit 0 on SIGTERM')
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait()


@test
def watch_json_is_one_object_per_line():
    watch = subprocess.Popen([CTL, 'watch', '--json'],
                             env=h.env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        reader = LineReader(watch.stdout)
        first = json.loads(reader.read_until(lambda l: True))
        check(first['event'] == 'service-appeared', first)
        check(first['manager']['Profile'] == 'CTL Test', first)
        module = json.loads(reader.read_until(lambda l: 'private_access' in l))
        check(module['event'] == 'module', module)
        check(module['title'] == 'Untrusted Root Cert', module)
        check(module['properties']['Error'] == 'untrusted-root-cert', module)
        reader.read_until(lambda l: 'digital_experience' in l)

        h.set_error('digital_experience', 'installation-error', 'no route')
        changes = []
        while not any(c.get('property') == 'Error' for c in changes):
            changes.append(json.loads(reader.read_until(lambda l: True)))
        change = [c for c in changes if c.get('property') == 'Error'][0]
        check(change['event'] == 'changed', change)
        check(change['object'] == 'digital_experience', change)
        check(change['value'] == 'installation-error', change)
        check(change['title'] == 'Installation Error', change)
        check(change['actions'] == ['retry'], change)
        check('T' in change['time'], change['time'])

        watch.send_signal(signal.SIGINT)
        check(watch.wait(5) == 0, 'watch did not exit 0 on SIGINT')
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait()


@test
def watch_count_stops_after_that_many_changes():
    watch = subprocess.Popen([CTL, 'watch', '--json', '--count', '1', '--timeout', '15'],
                             env=h.env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        reader = LineReader(watch.stdout)
        reader.read_until(lambda l: 'digital_experience' in l)
        h.set_error('digital_experience', 'server-error', 'HTTP 502')
        check(watch.wait(10) == 0, 'watch --count 1 did not exit 0')
        rest = watch.stdout.read().decode()
        lines = [json.loads(l) for l in (reader.buffer.decode() + rest).splitlines() if l]
        check(len(lines) == 1 and lines[0]['event'] == 'changed', lines)
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait()


@test
def watch_timeout_before_count_exits_4():
    result = h.ctl_fails(4, 'watch', '--count', '5', '--timeout', '1')
    check_in('0 of 5 changes within 1 seconds', result.stderr)


@test
def retry_reaches_the_module():
    h.testing('ResetCalls')
    out = h.ctl_ok('retry', 'is')
    check_in('Internet Security', out)
    h.ctl_ok('retry', 'digital_experience')
    calls = h.calls()
    check('internet_security.Retry' in calls, calls)
    check('digital_experience.Retry' in calls, calls)


@test
def authenticate_and_login():
    # Refused while logged out: the service's human message, exit 1
    result = h.ctl_fails(1, 'authenticate', 'pa')
    check(result.stderr.startswith('portcullisctl authenticate: '), result.stderr)
    check('GDBus.Error' not in result.stderr and 'io.github' not in result.stderr,
          result.stderr)
    check(len(result.stderr.splitlines()) == 1, result.stderr)

    h.testing('ResetCalls')
    out = h.ctl_ok('login', 'alice')
    check(out.strip() != '', 'login printed nothing')
    check('Manager.Login' in h.calls(), h.calls())
    check_in('User:          alice', h.ctl_ok('status'))

    h.ctl_ok('authenticate', 'pa')
    data = json.loads(h.ctl_ok('authenticate', 'pa', '--json'))
    check('url' in data, data)
    check('private_access.Authenticate' in h.calls(), h.calls())


@test
def logout_needs_the_password():
    # No terminal, no --password-stdin: the service's message and a hint
    result = h.ctl_fails(1, 'logout')
    check(result.stderr.startswith('portcullisctl logout: '), result.stderr)
    check_in('--password-stdin', result.stderr)
    check(len(result.stderr.splitlines()) == 1, result.stderr)

    result = h.ctl_fails(1, 'logout', '--password-stdin', stdin='wrong\n')
    check(result.stderr.startswith('portcullisctl logout: '), result.stderr)
    check('GDBus.Error' not in result.stderr, result.stderr)
    check_in('password', result.stderr.lower())
    check_in('User:          alice', h.ctl_ok('status'))

    out = h.ctl_ok('logout', '--password-stdin', stdin=PASSWORD + '\n')
    check_in('Logged out', out)
    check_in('User:          (logged out)', h.ctl_ok('status'))


def run_on_terminal(args, answer, timeout=COMMAND_TIMEOUT):
    '''Runs portcullisctl on a pseudo-terminal, types answer at the
    password prompt; returns (exit status, everything the terminal showed).'''
    master, slave = pty.openpty()
    process = subprocess.Popen([CTL] + args, env=h.env, stdin=slave, stdout=slave,
                               stderr=slave, close_fds=True, start_new_session=True)
    os.close(slave)
    shown = b''
    answered = False
    deadline = time.monotonic() + timeout
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Failure('no end within %ds; terminal showed: %r' % (timeout, shown))
            ready, _, _ = select.select([master], [], [], min(remaining, 0.2))
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    chunk = b''
                if not chunk and process.poll() is not None:
                    break
                shown += chunk
            elif process.poll() is not None:
                break
            if not answered and b'Password' in shown:
                os.write(master, answer.encode() + b'\n')
                answered = True
        return process.wait(5), shown.decode('utf-8', 'replace'), answered
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()


@test
def logout_prompts_on_a_terminal_without_echo():
    h.ctl_ok('login', 'bob')
    status, shown, answered = run_on_terminal(['logout'], 'not it')
    check(answered, 'no prompt: %r' % shown)
    check(status == 1, 'wrong password exit %d: %r' % (status, shown))
    check('not it' not in shown, 'the password was echoed: %r' % shown)
    check_in('User:          bob', h.ctl_ok('status'))

    status, shown, answered = run_on_terminal(['logout'], PASSWORD)
    check(answered and status == 0, 'exit %d: %r' % (status, shown))
    check(PASSWORD not in shown, 'the password was echoed: %r' % shown)
    check_in('Logged out', shown)
    check_in('User:          (logged out)', h.ctl_ok('status'))


@test
def disable_and_enable():
    result = h.ctl_fails(1, 'disable', 'dx')
    check_in('--password-stdin', result.stderr)
    h.ctl_fails(1, 'disable', 'dx', '--password-stdin', stdin='nope\n')

    h.testing('ResetCalls')
    out = h.ctl_ok('disable', 'dx', '--reason', 'testing the CLI', '--password-stdin',
                   stdin=PASSWORD + '\n')
    check_in('Digital Experience', out)
    check('digital_experience.SetEnabled' in h.calls(), h.calls())
    modules = {m['module']: m for m in h.status_json()['modules']}
    check(modules['digital_experience']['Status'] == 'disabled',
          modules['digital_experience']['Status'])
    check_in('Turned Off', h.ctl_ok('status'))

    h.ctl_ok('enable', 'digital_experience')
    modules = {m['module']: m for m in h.status_json()['modules']}
    check(modules['digital_experience']['Status'] != 'disabled', 'still disabled')


@test
def policy_prints_every_key():
    text = h.ctl_ok('policy')
    for key in ('restart-service:', 'repair-app:', 'export-logs:', 'logout-password:',
                'disable-password:', 'fail-close:', 'support-contact:', 'support-url:'):
        check_in(key, text, 'policy')
    check([l for l in text.splitlines() if l.startswith('logout-password:')][0].endswith('yes'),
          text)
    check_in('the test desk', text)
    data = json.loads(h.ctl_ok('policy', '--json'))
    check(data['logout-password'] is True and data['restart-service'] is True, data)


@test
def log_level_and_clear_logs():
    h.ctl_ok('log-level', 'debug')
    check(h.ctl_ok('log-level').strip() == 'debug', 'level not debug')
    result = h.ctl_fails(1, 'log-level', 'loud')
    check(result.stderr.startswith('portcullisctl log-level: '), result.stderr)
    check('GDBus.Error' not in result.stderr, result.stderr)
    h.ctl_ok('log-level', 'info')
    h.testing('ResetCalls')
    h.ctl_ok('clear-logs')
    check('Manager.ClearLogs' in h.calls(), h.calls())


@test
def repair_app_prints_the_report():
    out = h.ctl_ok('repair-app')
    lines = out.splitlines()
    check(len(lines) >= 2, out)
    check(any(':' in l for l in lines[1:]), out)
    check('{' not in out and '<' not in out, 'report printed raw: ' + out)


@test
def restart_service_is_rate_limited():
    # watch_prints_changes_as_they_happen restarted it moments ago
    result = h.ctl_fails(1, 'restart-service')
    check(result.stderr.startswith('portcullisctl restart-service: '), result.stderr)
    check('GDBus.Error' not in result.stderr, result.stderr)
    check(len(result.stderr.splitlines()) == 1, result.stderr)
    h.ctl_ok('status')


@test
def export_logs_writes_a_private_gzip_bundle():
    path = os.path.join(h.tmp.name, 'logs.tar.gz')
    out = h.ctl_ok('export-logs', path)
    check_in(path, out)
    info = os.stat(path)
    check(stat.S_IMODE(info.st_mode) == 0o600, oct(info.st_mode))
    check(info.st_size > 0, 'empty bundle')
    with open(path, 'rb') as f:
        check(f.read(2) == b'\x1f\x8b', 'not gzip')
    with tarfile.open(path, 'r:gz') as bundle:
        check(len(bundle.getnames()) > 0, 'empty tar')

    result = h.ctl_fails(1, 'export-logs', path)
    check_in('already exists', result.stderr)
    check(os.stat(path).st_size == info.st_size, 'overwritten without --force')

    os.chmod(path, 0o644)
    h.ctl_ok('export-logs', '--force', path)
    check(stat.S_IMODE(os.stat(path).st_mode) == 0o600, 'not 0600 after --force')


@test
def service_gone_again_exit_3():
    h.service.terminate()
    h.service.wait(10)
    h.wait_for_name(False)
    result = h.ctl_fails(3, 'status')
    check(result.stderr == NOT_RUNNING, result.stderr)


def main():
    failed = 0
    try:
        h.start_bus()
    except Exception as error:
        print('Bail out! cannot start a private bus: %s' % error)
        return 1

    print('1..%d' % len(tests))
    sys.stdout.flush()
    try:
        for number, function in enumerate(tests, 1):
            name = function.__name__.replace('_', ' ')
            started = time.monotonic()
            try:
                function()
                print('ok %d - %s # %.1fs' % (number, name, time.monotonic() - started))
            except Exception:
                failed += 1
                print('not ok %d - %s' % (number, name))
                for line in traceback.format_exc().splitlines():
                    print('# ' + line)
                if function is service_starts:
                    print('Bail out! the service did not start')
                    return 1
            sys.stdout.flush()
    finally:
        h.stop()
        if failed and h.service is not None:
            with open(os.path.join(h.tmp.name, 'service.log')) as f:
                for line in f.read().splitlines()[-30:]:
                    print('# service: ' + line)
        h.tmp.cleanup()

    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
