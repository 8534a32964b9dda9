# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared pieces of the test-probe-* scripts: the lab, a real portcullisd
on a private session bus (never --testing: every state comes from a real
condition), property reads and waits, and TAP output."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

import gi
gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

SOURCE_DIR = os.environ.get('PC_SOURCE_DIR', os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..')))
BUILD_DIR = os.environ.get('PC_BUILD_DIR', os.path.join(SOURCE_DIR, '_build'))
PORTCULLISD = os.path.join(BUILD_DIR, 'app', 'service', 'portcullisd')
LAB = os.path.join(SOURCE_DIR, 'tests', 'lab', 'lab.py')
BUS_NAME = 'io.github.Portcullis1'
ROOT = '/io/github/Portcullis1'
MODULE_IFACE = 'io.github.Portcullis1.Module'
MANAGER_IFACE = 'io.github.Portcullis1.Manager'

IS = 'internet_security'
PA = 'private_access'
DX = 'digital_experience'


class TestFailure(Exception):
  pass


def check(condition, message):
  if not condition:
    raise TestFailure(message)


def check_equal(actual, expected, what):
  if actual != expected:
    raise TestFailure(f'{what}: expected {expected!r}, got {actual!r}')


def free_port():
  with socket.socket() as sock:
    sock.bind(('127.0.0.1', 0))
    return sock.getsockname()[1]


# Sign-ins complete by themselves unless a test says otherwise, and the
# device flow polls every second.
LAB_DEFAULTS = ('--auto-approve', '--interval', '1')


class Lab:
  """tests/lab/lab.py in a temporary directory."""

  def __init__(self, directory, *args):
    self.directory = os.path.join(directory, 'lab')
    os.makedirs(self.directory)
    if not args:
      args = LAB_DEFAULTS
    self.process = subprocess.Popen([sys.executable, LAB, 'serve', '--dir', self.directory, '--quiet', *args],
                                    stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
    line = self.process.stdout.readline()
    if not line:
      raise TestFailure('the lab did not start')
    self.info = json.loads(line)
    self.control = self.info['control_url']

  def control_call(self, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f'{self.control}{path}', method=method, data=data,
                                     headers={'Content-Type': 'application/json'})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
      return json.load(response)

  def fault(self, name, on=True):
    check_equal(self.control_call('POST', f'/fault/{name}', {'on': on}), {name: on}, f'lab fault {name}')

  def state(self):
    return self.control_call('GET', '/state')

  def profile(self, direct=False, **changes):
    """The lab's profile with dotted-key changes, written beside it."""
    with open(self.info['files']['profile_direct' if direct else 'profile']) as file:
      profile = json.load(file)
    for key, value in changes.items():
      node = profile
      parts = key.split('__')
      for part in parts[:-1]:
        node = node.setdefault(part, {})
      if value is None:
        node.pop(parts[-1], None)
      else:
        node[parts[-1]] = value
    path = os.path.join(self.directory, f'profile-{len(os.listdir(self.directory))}.json')
    with open(path, 'w') as file:
      json.dump(profile, file)
    return path

  def stop(self):
    if self.process.poll() is None:
      self.process.send_signal(signal.SIGTERM)
      try:
        self.process.wait(10)
      except subprocess.TimeoutExpired:
        self.process.kill()
        self.process.wait()


def write_profile(directory, name, profile):
  path = os.path.join(directory, name)
  with open(path, 'w') as file:
    json.dump(profile, file)
  return path


class Service:
  """portcullisd --session on the private bus, logged in as "demo"."""

  def __init__(self, directory, profile, sysroot=None, env=None, login=True, state_dir=None):
    self.state_dir = state_dir or tempfile.mkdtemp(dir=directory, prefix='state-')
    self.log_path = os.path.join(self.state_dir, 'portcullisd.log')
    argv = [PORTCULLISD, '--session', '--profile', profile, '--state-dir', self.state_dir]
    if sysroot:
      argv += ['--sysroot', sysroot]
    environment = dict(os.environ)
    environment['G_MESSAGES_DEBUG'] = 'all'
    if 'ASAN_OPTIONS' in environment:
      # GCC 12's LeakSanitizer crashes in its tracer ("Tracer caught signal
      # 11") reading the dynamic TLS of the dlopen'd GIO TLS module when it
      # tracks __tls_get_addr; without that tracking the leak check runs.
      environment['ASAN_OPTIONS'] += ':intercept_tls_get_addr=0'
      # The first TLS connection makes glib-networking parse the system CA
      # bundle: a quarter million allocations, each costing a full DWARF
      # unwind under fast_unwind_on_malloc=0 (seconds of CPU per start).
      environment['ASAN_OPTIONS'] += ':fast_unwind_on_malloc=1'
    environment.update(env or {})
    self.log = open(self.log_path, 'w')
    self.process = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=environment)
    self.bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    self.login_url = None
    try:
      wait_for(lambda: self._has_owner(), 10, 'portcullisd on the bus')
      if login:
        self.login_url = self.manager_call('Login', GLib.Variant('(s)', ('demo',)))[0]
    except Exception as error:
      # Never leave a service holding the bus name for the next test.
      self.process.kill()
      self.process.wait()
      self.log.close()
      raise TestFailure(f'{error}; portcullisd said:\n{self.read_log()}') from error

  def _has_owner(self):
    if self.process.poll() is not None:
      raise TestFailure(f'portcullisd exited with {self.process.returncode}:\n{self.read_log()}')
    reply = self.bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                               'NameHasOwner', GLib.Variant('(s)', (BUS_NAME,)), None,
                               Gio.DBusCallFlags.NONE, 2000, None)
    if not reply.unpack()[0]:
      return False
    # Ours, not one an earlier test left behind.
    reply = self.bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                               'GetConnectionUnixProcessID', GLib.Variant('(s)', (BUS_NAME,)), None,
                               Gio.DBusCallFlags.NONE, 2000, None)
    check_equal(reply.unpack()[0], self.process.pid, 'the pid owning the bus name')
    return True

  def read_log(self):
    if not self.log.closed:
      self.log.flush()
    with open(self.log_path) as file:
      return file.read()

  def manager_call(self, method, args=None):
    return self.bus.call_sync(BUS_NAME, ROOT, MANAGER_IFACE, method, args, None,
                              Gio.DBusCallFlags.NONE, int(30000 * TIME_SCALE), None).unpack()

  def module_call(self, module, method, args=None):
    return self.bus.call_sync(BUS_NAME, f'{ROOT}/module/{module}', MODULE_IFACE, method, args, None,
                              Gio.DBusCallFlags.NONE, int(30000 * TIME_SCALE), None).unpack()

  def get(self, module, prop):
    path = ROOT if module is None else f'{ROOT}/module/{module}'
    iface = MANAGER_IFACE if module is None else MODULE_IFACE
    reply = self.bus.call_sync(BUS_NAME, path, 'org.freedesktop.DBus.Properties', 'Get',
                               GLib.Variant('(ss)', (iface, prop)), None, Gio.DBusCallFlags.NONE, 5000, None)
    return reply.unpack()[0]

  def state(self, module):
    return {name: self.get(module, name) for name in ('Status', 'Error', 'ErrorDetail', 'FailMode')}

  def retry(self, module):
    self.module_call(module, 'Retry')

  def wait_error(self, module, code, timeout=10):
    """Waits for Error == code (or, with code '', for Status on) and returns the state."""
    matched = {}

    def reached():
      # Keep the state that matched: a later read may already see the next
      # round starting (connecting), which is not what was waited for.
      state = self.state(module)
      matched.update(state)
      if code:
        return state['Error'] == code
      return state['Status'] == 'on' and state['Error'] == ''
    try:
      wait_for(reached, timeout, f'{module} Error {code!r}')
    except TestFailure as failure:
      tail = '\n'.join(self.read_log().splitlines()[-40:])
      raise TestFailure(f'{failure}; state is {self.state(module)}; portcullisd said:\n{tail}') from None
    return matched

  def stop(self):
    if self.process.poll() is None:
      self.process.send_signal(signal.SIGTERM)
      try:
        self.process.wait(10)
      except subprocess.TimeoutExpired:
        self.process.kill()
        self.process.wait()
    self.log.close()
    if self.process.returncode not in (0, -signal.SIGTERM):
      raise TestFailure(f'portcullisd exited with {self.process.returncode}:\n{self.read_log()}')
    log = self.read_log()
    if 'CRITICAL' in log or 'WARNING **' in log:
      raise TestFailure(f'portcullisd logged a critical or warning:\n{log}')


# Sanitizer builds run slower; the waits (never the assertions) stretch.
TIME_SCALE = 3 if 'ASAN_OPTIONS' in os.environ else 1


def wait_for(predicate, timeout, what):
  timeout *= TIME_SCALE
  deadline = time.monotonic() + timeout
  while True:
    if predicate():
      return
    if time.monotonic() > deadline:
      raise TestFailure(f'timed out after {timeout} s waiting for {what}')
    time.sleep(0.05)


class Bus:
  """A private session bus for the whole script."""

  def __enter__(self):
    self.test_dbus = Gio.TestDBus.new(Gio.TestDBusFlags.NONE)
    self.test_dbus.up()
    os.environ['DBUS_SESSION_BUS_ADDRESS'] = self.test_dbus.get_bus_address()
    return self

  def __exit__(self, *exc):
    self.test_dbus.down()


NETNS_LINK = 'pc0'


def ip(*args):
  subprocess.run(['ip', *args], check=True)


def enter_private_network():
  """Re-runs this script in a network namespace of its own: loopback, and a
  veth pair carrying the default route so the service sees a network.
  Nothing the tests send can leave the namespace."""
  if os.environ.get('PC_PROBE_NETNS') == '1':
    return
  if os.geteuid() != 0:
    print('1..0 # SKIP network namespaces need root')
    sys.exit(0)
  os.environ['PC_PROBE_NETNS'] = '1'
  os.execvp('unshare', ['unshare', '--net', '--', sys.executable, os.path.abspath(sys.argv[0]), *sys.argv[1:]])


def network_up():
  ip('link', 'set', 'lo', 'up')
  ip('link', 'add', NETNS_LINK, 'type', 'veth', 'peer', 'name', 'pc1')
  ip('addr', 'add', '198.18.0.1/24', 'dev', NETNS_LINK)
  ip('link', 'set', 'pc1', 'up')
  ip('link', 'set', NETNS_LINK, 'up')
  ip('route', 'add', 'default', 'via', '198.18.0.2', 'dev', NETNS_LINK)


def run_tests(tests):
  """Runs (name, function(tmpdir)) pairs as TAP in a private network
  namespace; returns the exit status."""
  enter_private_network()
  network_up()
  os.environ.setdefault('GSETTINGS_BACKEND', 'memory')
  for key in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'):
    os.environ.pop(key, None)
  only = os.environ.get('PC_PROBE_ONLY')
  if only:
    tests = [test for test in tests if only in test[0]]
  print(f'1..{len(tests)}', flush=True)
  failed = 0
  with Bus():
    for number, (name, function) in enumerate(tests, 1):
      directory = tempfile.mkdtemp(prefix='pc-probe-')
      try:
        function(directory)
        print(f'ok {number} - {name}', flush=True)
      except Exception:  # noqa: BLE001 - every failure is reported as TAP
        failed += 1
        print(f'not ok {number} - {name}', flush=True)
        for line in traceback.format_exc().splitlines():
          print(f'# {line}', flush=True)
      finally:
        shutil.rmtree(directory, ignore_errors=True)
  return 1 if failed else 0
