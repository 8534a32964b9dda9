#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# portcullisctl login / authenticate against a real sign-in: the lab's
# OIDC issuer (tests/lab/lab.py, device authorization grant) on loopback,
# the real portcullisd (without --testing, so every state comes from the
# sign-in itself) on a private session bus. TAP on stdout; every wait has
# a deadline.

import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

BUILD_DIR = os.environ.get('PC_BUILD_DIR')
SOURCE_DIR = os.environ.get('PC_SOURCE_DIR')
if not BUILD_DIR or not SOURCE_DIR:
    print('Bail out! PC_BUILD_DIR / PC_SOURCE_DIR are not set (run through meson test)')
    sys.exit(1)

CTL = os.path.join(BUILD_DIR, 'app', 'ctl', 'portcullisctl')
SERVICE = os.path.join(BUILD_DIR, 'app', 'service', 'portcullisd')
LAB = os.path.join(SOURCE_DIR, 'tests', 'lab', 'lab.py')
BUS_NAME = 'io.github.Portcullis1'
TIMEOUT = 20


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_for(predicate, what, timeout=15):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        ok, last = predicate()
        if ok:
            return last
        time.sleep(0.1)
    raise Failure('%s within %ds; last seen:\n%s' % (what, timeout, last))


class World:
    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix='pc-ctl-login-')
        self.processes = []

    def spawn(self, args, **kwargs):
        process = subprocess.Popen(args, **kwargs)
        self.processes.append(process)
        return process

    def start(self):
        lab_dir = os.path.join(self.tmp.name, 'lab')
        os.makedirs(lab_dir)
        # No auto-approve: each sign-in waits for the test's verdict.
        lab = self.spawn([sys.executable, LAB, 'serve', '--dir', lab_dir, '--quiet',
                          '--interval', '1'],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        ready, _, _ = select.select([lab.stdout], [], [], 30)
        check(ready, 'the lab did not start')
        self.lab = json.loads(lab.stdout.readline())

        bus = self.spawn(['dbus-daemon', '--session', '--nofork', '--print-address=1'],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        ready, _, _ = select.select([bus.stdout], [], [], 10)
        check(ready, 'dbus-daemon did not start')
        self.env = dict(os.environ,
                        DBUS_SESSION_BUS_ADDRESS=bus.stdout.readline().strip(),
                        PORTCULLIS_BUS='session', LC_ALL='C.UTF-8', LANGUAGE='')

        profile = {
            'name': 'CTL Login',
            'probe_interval_s': 3600,
            'auth': {'issuer': self.lab['urls']['issuer'],
                     'ca_file': self.lab['files']['ca']},
            'internet_security': {'enabled': True, 'tunnel': 'proxy',
                                  'local_proxy': '127.0.0.1:%d' % free_port()},
            'private_access': {'enabled': True},
        }
        profile_path = os.path.join(self.tmp.name, 'profile.json')
        with open(profile_path, 'w') as f:
            json.dump(profile, f)
        self.log = open(os.path.join(self.tmp.name, 'service.log'), 'w')
        self.spawn([SERVICE, '--session', '--profile', profile_path,
                    '--state-dir', os.path.join(self.tmp.name, 'state')],
                   env=self.env, stdin=subprocess.DEVNULL, stdout=self.log,
                   stderr=subprocess.STDOUT)
        wait_for(lambda: (self.ctl('status').returncode == 0, None), 'the service on the bus')

    def stop(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def control(self, path, body):
        request = urllib.request.Request(self.lab['control_url'] + path, method='POST',
                                         data=json.dumps(body).encode(),
                                         headers={'Content-Type': 'application/json'})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as response:
            return json.load(response)

    def ctl(self, *args):
        return subprocess.run([CTL] + list(args), env=self.env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=TIMEOUT)

    def ctl_ok(self, *args):
        result = self.ctl(*args)
        if result.returncode != 0:
            raise Failure('portcullisctl %s exited %d\nstdout: %s\nstderr: %s'
                          % (' '.join(args), result.returncode, result.stdout, result.stderr))
        return result.stdout

    def modules(self):
        data = json.loads(self.ctl_ok('status', '--json'))
        return {m['module']: m for m in data['modules']}, data

    def row(self, text, title):
        for line in text.splitlines():
            if line.startswith(title + '  '):
                return line
        raise Failure('no %s row in:\n%s' % (title, text))

    def verification_url(self, text):
        prefix = self.lab['urls']['verification'] + '?user_code='
        urls = [word for line in text.splitlines() for word in line.split()
                if word.startswith(prefix)]
        check(len(urls) == 1, 'no verification URL (%s...) in:\n%s' % (prefix, text))
        return urls[0], urls[0][len(prefix):]


world = World()
tests = []


def test(function):
    tests.append(function)
    return function


@test
def login_prints_the_verification_url():
    out = world.ctl_ok('login', 'alice')
    check('open this address in a web browser' in out, out)
    world.url, world.user_code = world.verification_url(out)

    def authenticating():
        text = world.ctl_ok('status')
        return ('Authenticating...' in world.row(text, 'Internet Security') and
                'Authenticating...' in world.row(text, 'Private Access'), text)
    text = wait_for(authenticating, 'both modules Authenticating...')
    check('User:          alice' in text, text)


@test
def a_refused_sign_in_shows_authentication_error_with_its_buttons():
    world.control('/deny', {'user_code': world.user_code})

    def refused():
        text = world.ctl_ok('status')
        return ('Authentication Error' in world.row(text, 'Internet Security') and
                'Authentication Error' in world.row(text, 'Private Access'), text)
    text = wait_for(refused, 'Authentication Error on both modules')
    check(world.row(text, 'Internet Security').endswith('  Retry'), text)
    check(world.row(text, 'Private Access').endswith('  Authenticate'), text)
    modules, data = world.modules()
    check(modules['private_access']['actions'] == ['authenticate'], modules['private_access'])
    check(modules['internet_security']['actions'] == ['retry'], modules['internet_security'])
    check(modules['private_access']['AuthStatus'] == 'error', modules['private_access'])


@test
def authenticate_prints_a_new_url_and_approval_clears_the_error():
    data = json.loads(world.ctl_ok('authenticate', 'pa', '--json'))
    url, user_code = world.verification_url(data['url'])
    check(user_code != world.user_code, 'the same user code again')
    world.control('/approve', {'user_code': user_code, 'user': 'alice'})

    def signed_in():
        modules, _ = world.modules()
        return (all(modules[m]['Error'] == '' and modules[m]['AuthStatus'] == 'authenticated'
                    for m in ('internet_security', 'private_access')), modules)
    wait_for(signed_in, 'both modules signed in')
    text = world.ctl_ok('status')
    check(world.row(text, 'Private Access').endswith('  -'), text)


@test
def authenticate_text_form_prints_the_url_on_its_own_line():
    out = world.ctl_ok('authenticate', 'is')
    lines = out.splitlines()
    check(len(lines) == 2, out)
    check(lines[0].startswith('To authenticate, open this address'), out)
    url, _ = world.verification_url(lines[1])
    check(lines[1].strip() == url, out)


def main():
    failed = 0
    print('1..%d' % len(tests))
    sys.stdout.flush()
    try:
        try:
            world.start()
        except Exception as error:
            print('Bail out! cannot start the lab, bus or service: %s' % error)
            return 1
        for number, function in enumerate(tests, 1):
            name = function.__name__.replace('_', ' ')
            try:
                function()
                print('ok %d - %s' % (number, name))
            except Exception:
                failed += 1
                print('not ok %d - %s' % (number, name))
                for line in traceback.format_exc().splitlines():
                    print('# ' + line)
            sys.stdout.flush()
    finally:
        world.stop()
        if failed:
            with open(os.path.join(world.tmp.name, 'service.log')) as f:
                for line in f.read().splitlines()[-30:]:
                    print('# service: ' + line)
        world.tmp.cleanup()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
