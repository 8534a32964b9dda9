#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Suite 'lab' (TAP): starts tests/lab/lab.py, checks that every role answers
healthy with TLS verified against the lab's own roots, that each fault changes
the role's behaviour and that switching it off heals it, walks the device flow
(pending, slow_down, approval, token, refresh, denial, expiry) and stops the
lab with SIGTERM."""

import http.client
import json
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = os.path.join(HERE, 'lab.py')
HOST = '127.0.0.1'
DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'


class Tap:
  def __init__(self):
    self.count = 0
    self.failures = 0

  def ok(self, condition, name, diagnostic=''):
    self.count += 1
    print(f'{"ok" if condition else "not ok"} {self.count} - {name}', flush=True)
    if not condition:
      self.failures += 1
      for line in str(diagnostic).splitlines():
        print(f'#   {line}', flush=True)
    return condition

  def equal(self, got, expected, name):
    return self.ok(got == expected, name, f'got {got!r}, expected {expected!r}')


tap = Tap()


# ---------------------------------------------------------------- clients

def tls_context(cafile):
  context = ssl.create_default_context(cafile=cafile)
  context.minimum_version = ssl.TLSVersion.TLSv1_2
  return context


def request(url, method='GET', body=None, headers=None, cafile=None):
  """(status, headers, body) of one request, no proxy, never following redirects."""
  parts = urllib.parse.urlsplit(url)
  if parts.scheme == 'https':
    conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=5, context=tls_context(cafile))
  else:
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
  try:
    if isinstance(body, dict):
      body = urllib.parse.urlencode(body)
      headers = dict(headers or {}, **{'Content-Type': 'application/x-www-form-urlencoded'})
    conn.request(method, urllib.parse.urlunsplit(('', '', parts.path or '/', parts.query, '')),
                 body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), response.read()
  finally:
    conn.close()


def tls_connect(port, cafile, sock=None):
  if sock is None:
    sock = socket.create_connection((HOST, port), timeout=5)
  return tls_context(cafile).wrap_socket(sock, server_hostname=HOST)


def recv_exactly(sock, size):
  data = b''
  while len(data) < size:
    chunk = sock.recv(size - len(data))
    if not chunk:
      break
    data += chunk
  return data


def proxy_connect(proxy_port, target):
  """Sends CONNECT target through the lab proxy: (status line, socket)."""
  sock = socket.create_connection((HOST, proxy_port), timeout=5)
  sock.sendall(f'CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n'.encode())
  head = b''
  while b'\r\n\r\n' not in head:
    chunk = sock.recv(1)
    if not chunk:
      break
    head += chunk
  return head.split(b'\r\n', 1)[0].decode(), head, sock


class Lab:
  def __init__(self, directory):
    self.directory = directory
    self.process = subprocess.Popen([sys.executable, LAB, '--dir', directory, '--quiet',
                                     '--interval', '1', '--slow-down-step', '1'],
                                    stdout=subprocess.PIPE, text=True)
    ready, _, _ = select.select([self.process.stdout], [], [], 20)
    if not ready:
      self.process.kill()
      raise RuntimeError('the lab did not become ready within 20 s')
    line = self.process.stdout.readline()
    if not line:
      raise RuntimeError(f'the lab exited with status {self.process.wait()}')
    self.info = json.loads(line)
    self.ports = self.info['ports']
    self.urls = self.info['urls']
    self.files = self.info['files']
    self.ca = self.files['ca']

  def control(self, method, path, body=None):
    status, _, data = request(self.info['control_url'] + path, method,
                              json.dumps(body) if body is not None else None,
                              {'Content-Type': 'application/json'})
    return status, json.loads(data)

  def fault(self, name, on):
    status, answer = self.control('POST', f'/fault/{name}', {'on': on})
    if status != 200 or answer != {name: on}:
      raise RuntimeError(f'switching {name} failed: {status} {answer}')

  def ctl(self, *words):
    return subprocess.run([sys.executable, LAB, 'ctl', '--dir', self.directory, *words],
                          capture_output=True, text=True, timeout=10)

  def discovery(self):
    status, _, body = request(self.urls['issuer'] + '/.well-known/openid-configuration', cafile=self.ca)
    assert status == 200, status
    return json.loads(body)

  def new_grant(self, client_id='portcullis'):
    status, _, body = request(self.discovery()['device_authorization_endpoint'], 'POST',
                              {'client_id': client_id, 'scope': 'openid offline_access'}, cafile=self.ca)
    return status, json.loads(body)

  def token(self, form):
    form = dict(form, client_id=form.get('client_id', 'portcullis'))
    status, headers, body = request(self.discovery()['token_endpoint'], 'POST', form, cafile=self.ca)
    return status, json.loads(body)

  def poll(self, grant):
    return self.token({'grant_type': DEVICE_GRANT, 'device_code': grant['device_code']})

  def grant_state(self, user_code):
    return next(g for g in self.control('GET', '/state')[1]['grants'] if g['user_code'] == user_code)


def expect_refused(port):
  try:
    socket.create_connection((HOST, port), timeout=2).close()
  except ConnectionRefusedError:
    return True
  return False


def expect_untrusted(port, cafile):
  try:
    tls_connect(port, cafile).close()
  except ssl.SSLCertVerificationError as error:
    return error.verify_message
  return None


# ---------------------------------------------------------------- checks

def check_files(lab):
  with open(os.path.join(lab.directory, 'lab.json')) as file:
    tap.equal(json.load(file), lab.info, 'lab.json matches the readiness line')
  for role in ('control', 'web', 'edge', 'private_edge', 'idp', 'dx', 'dr', 'proxy', 'local_proxy'):
    tap.ok(1024 <= lab.ports.get(role, 0) <= 65535, f'port for {role}')
  with open(lab.files['profile']) as file:
    profile = json.load(file)
  with open(lab.files['profile_direct']) as file:
    direct = json.load(file)
  security = profile['internet_security']
  tap.equal(security['edge'], f'{HOST}:{lab.ports["edge"]}', 'profile: internet_security.edge')
  tap.equal(security['upstream_proxy'], lab.urls['proxy'], 'profile: internet_security.upstream_proxy')
  tap.equal(security['local_proxy'], f'{HOST}:{lab.ports["local_proxy"]}', 'profile: local_proxy')
  tap.ok('upstream_proxy' not in direct['internet_security'], 'profile-direct.json has no upstream proxy')
  tap.equal(profile['private_access']['edge'], f'{HOST}:{lab.ports["private_edge"]}',
            'profile: private_access.edge')
  tap.equal(profile['private_access']['root_ca_file'], lab.files['private_ca'], 'profile: root_ca_file')
  tap.equal(profile['auth']['issuer'], lab.urls['issuer'], 'profile: auth.issuer')
  tap.equal(profile['digital_experience']['server_url'], lab.urls['dx'], 'profile: server_url')
  tap.equal(profile['disaster_recovery']['status_url'], lab.urls['dr'], 'profile: status_url')
  tap.equal(profile['captive_portal']['probe_url'], lab.urls['probe'], 'profile: probe_url')
  tap.equal(profile['ca_file'], lab.ca, 'profile: ca_file')
  for key, path in (('ca_file', profile['ca_file']), ('auth.ca_file', profile['auth']['ca_file']),
                    ('internet_security.ca_file', security['ca_file']),
                    ('private_access.root_ca_file', profile['private_access']['root_ca_file'])):
    tap.ok(os.path.isfile(path), f'profile: {key} exists')


def check_edge_healthy(lab, name='edge healthy'):
  with tls_connect(lab.ports['edge'], lab.ca) as conn:
    conn.sendall(b'GET /probe HTTP/1.1\r\nHost: edge\r\n\r\n')
    answer = conn.recv(4096)
  tap.ok(answer.startswith(b'HTTP/1.1 200 ') and b'GET /probe' in answer, f'{name}: TLS verified, HTTP answered',
         answer)


def check_healthy(lab):
  check_edge_healthy(lab)
  with tls_connect(lab.ports['edge'], lab.ca) as conn:
    conn.sendall(b'CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n')
    head = conn.recv(4096)
    conn.sendall(b'ping through the tunnel')
    echo = recv_exactly(conn, len(b'ping through the tunnel'))
  tap.ok(head.startswith(b'HTTP/1.1 200') and echo == b'ping through the tunnel', 'edge: CONNECT then echo',
         (head, echo))
  with tls_connect(lab.ports['edge'], lab.ca) as conn:
    conn.sendall(b'\x00raw bytes')
    tap.equal(recv_exactly(conn, 10), b'\x00raw bytes', 'edge: other bytes are echoed')
  tap.ok(expect_untrusted(lab.ports['edge'], lab.files['private_ca']) is not None,
         'edge does not chain to the private root')

  with tls_connect(lab.ports['private_edge'], lab.files['private_ca']) as conn:
    conn.sendall(b'hello private edge')
    tap.equal(recv_exactly(conn, 18), b'hello private edge', 'private edge: TLS verified against its own root')
  tap.ok(expect_untrusted(lab.ports['private_edge'], lab.ca) is not None,
         'private edge does not chain to the lab CA')

  status, headers, body = request(lab.urls['dx'] + 'v1/register', 'POST', '{}', cafile=lab.ca)
  tap.ok(status == 200 and json.loads(body)['status'] == 'ok'
         and headers['Content-Type'] == 'application/json', 'DX answers 200 JSON', (status, body))
  status, _, body = request(lab.urls['dr'], cafile=lab.ca)
  tap.ok(status == 200 and json.loads(body) == {'active': False}, 'DR status inactive', (status, body))
  status, _, body = request(lab.urls['probe'])
  tap.ok(status == 204 and body == b'', 'portal probe answers 204', (status, body))

  discovery = lab.discovery()
  issuer = lab.urls['issuer']
  tap.equal(discovery['issuer'], issuer, 'OIDC discovery: issuer')
  tap.ok(all(discovery[key].startswith(issuer + '/') for key in
             ('device_authorization_endpoint', 'token_endpoint', 'userinfo_endpoint')),
         'OIDC discovery: endpoints under the issuer', discovery)
  tap.ok(DEVICE_GRANT in discovery['grant_types_supported'], 'OIDC discovery: device grant listed')

  status_line, _, sock = proxy_connect(lab.ports['proxy'], f'{HOST}:{lab.ports["edge"]}')
  with sock:
    tap.ok(status_line.startswith('HTTP/1.1 200'), 'proxy: CONNECT to the edge', status_line)
    with tls_connect(None, lab.ca, sock) as conn:
      conn.sendall(b'through the proxy')
      tap.equal(recv_exactly(conn, 17), b'through the proxy', 'proxy: TLS to the edge verified through it')
  sock = socket.create_connection((HOST, lab.ports['proxy']), timeout=5)
  with sock:
    sock.sendall(f'GET {lab.urls["web"]} HTTP/1.1\r\nHost: {HOST}\r\n\r\n'.encode())
    answer = b''
    while chunk := sock.recv(4096):
      answer += chunk
  tap.ok(answer.startswith(b'HTTP/1.') and b' 200 ' in answer.split(b'\r\n', 1)[0]
         and answer.endswith(b'portcullis lab web\n'), 'proxy: plain HTTP forwarded', answer)
  status_line, _, sock = proxy_connect(lab.ports['proxy'], 'example.com:443')
  sock.close()
  tap.ok(status_line.startswith('HTTP/1.1 403'), 'proxy: refuses to leave loopback', status_line)


def check_faults(lab):
  # portal: redirect to the lab's login page
  lab.fault('portal', True)
  status, headers, _ = request(lab.urls['probe'])
  tap.ok(status == 302 and headers.get('Location') == lab.urls['portal_login'], 'portal: probe redirects',
         (status, headers))
  status, _, body = request(lab.urls['portal_login'])
  tap.ok(status == 200 and b'<form' in body, 'portal: login page served', status)
  lab.fault('portal', False)
  tap.equal(request(lab.urls['probe'])[0], 204, 'portal off: 204 again')

  # portal-200: a page instead of the empty 204, cleared by the login page
  lab.fault('portal-200', True)
  status, _, body = request(lab.urls['probe'])
  tap.ok(status == 200 and len(body) > 0, 'portal-200: probe answers 200 with a body', status)
  status, _, _ = request(lab.urls['web'] + 'portal/accept', 'POST', {})
  tap.equal(status, 200, 'portal: accepting on the login page answers 200')
  tap.equal(lab.control('GET', '/faults')[1]['portal-200'], False, 'portal: accepting clears the fault')
  tap.equal(request(lab.urls['probe'])[0], 204, 'portal accepted: 204 again')

  # edge-down: refused, open tunnels cut, port kept, proxy says 502
  tunnel = tls_connect(lab.ports['edge'], lab.ca)
  tunnel.sendall(b'CONNECT a:1 HTTP/1.1\r\n\r\n')
  tunnel.recv(4096)
  lab.fault('edge-down', True)
  tap.ok(expect_refused(lab.ports['edge']), 'edge-down: connect refused')
  try:
    cut = tunnel.recv(100) == b''
  except (OSError, ssl.SSLError):
    cut = True
  tunnel.close()
  tap.ok(cut, 'edge-down: open connection cut')
  squatter = socket.socket()
  try:
    squatter.bind((HOST, lab.ports['edge']))
    kept = False
  except OSError:
    kept = True
  squatter.close()
  tap.ok(kept, 'edge-down: the port stays reserved')
  status_line, _, sock = proxy_connect(lab.ports['proxy'], f'{HOST}:{lab.ports["edge"]}')
  sock.close()
  tap.ok(status_line.startswith('HTTP/1.1 502'), 'edge-down: proxy answers 502', status_line)
  lab.fault('edge-down', False)
  check_edge_healthy(lab, 'edge-down off')

  # wrong-cert: the rogue leaf
  lab.fault('wrong-cert', True)
  error = expect_untrusted(lab.ports['edge'], lab.ca)
  tap.ok(error is not None, 'wrong-cert: edge fails verification against the lab CA', error)
  tls_connect(lab.ports['edge'], lab.files['rogue_ca']).close()
  tap.ok(True, 'wrong-cert: edge chains to the rogue CA')
  _, state = lab.control('GET', '/state')
  tap.ok('unknown ca' in state['roles']['edge']['last_tls_error'].lower(),
         'wrong-cert: the lab saw the client reject it', state['roles']['edge'])
  lab.fault('wrong-cert', False)
  check_edge_healthy(lab, 'wrong-cert off')

  lab.fault('private-wrong-cert', True)
  tap.ok(expect_untrusted(lab.ports['private_edge'], lab.files['private_ca']) is not None,
         'private-wrong-cert: fails against the private root')
  lab.fault('private-wrong-cert', False)
  tls_connect(lab.ports['private_edge'], lab.files['private_ca']).close()
  tap.ok(True, 'private-wrong-cert off: verified again')

  lab.fault('idp-wrong-cert', True)
  try:
    lab.discovery()
    intercepted = False
  except ssl.SSLCertVerificationError:
    intercepted = True
  tap.ok(intercepted, 'idp-wrong-cert: discovery fails verification against auth CA')
  lab.fault('idp-wrong-cert', False)
  tap.equal(lab.discovery()['issuer'], lab.urls['issuer'], 'idp-wrong-cert off: discovery verified')

  # chaining-407
  lab.fault('chaining-407', True)
  status_line, head, sock = proxy_connect(lab.ports['proxy'], f'{HOST}:{lab.ports["edge"]}')
  sock.close()
  tap.ok(status_line.startswith('HTTP/1.1 407') and b'Proxy-Authenticate: Basic' in head,
         'chaining-407: CONNECT answered 407 with Proxy-Authenticate', head)
  lab.fault('chaining-407', False)
  status_line, _, sock = proxy_connect(lab.ports['proxy'], f'{HOST}:{lab.ports["edge"]}')
  sock.close()
  tap.ok(status_line.startswith('HTTP/1.1 200'), 'chaining-407 off: CONNECT established', status_line)

  # dr-active, through the CLI wrapper
  result = lab.ctl('fault', 'dr-active', 'on')
  tap.ok(result.returncode == 0 and json.loads(result.stdout) == {'dr-active': True},
         'ctl fault dr-active on', result.stderr)
  tap.equal(json.loads(request(lab.urls['dr'], cafile=lab.ca)[2]), {'active': True}, 'dr-active: active')
  result = lab.ctl('faults')
  tap.ok(result.returncode == 0 and json.loads(result.stdout)['dr-active'] is True, 'ctl faults lists it')
  tap.equal(lab.ctl('fault', 'dr-active', 'off').returncode, 0, 'ctl fault dr-active off')
  tap.equal(json.loads(request(lab.urls['dr'], cafile=lab.ca)[2]), {'active': False}, 'dr-active off: inactive')
  result = lab.ctl('fault', 'no-such-fault', 'on')
  tap.ok(result.returncode == 1 and 'unknown fault' in result.stderr, 'ctl: unknown fault fails', result.stderr)
  status, answer = lab.control('POST', '/fault/dx-down', {'on': 'yes'})
  tap.equal(status, 400, 'control: a non-boolean "on" is refused')

  # dx-down
  lab.fault('dx-down', True)
  tap.ok(expect_refused(lab.ports['dx']), 'dx-down: connect refused')
  lab.fault('dx-down', False)
  tap.equal(request(lab.urls['dx'], cafile=lab.ca)[0], 200, 'dx-down off: 200 again')

  result = lab.ctl('reset')
  tap.ok(result.returncode == 0 and not any(json.loads(result.stdout).values()), 'ctl reset: every fault off')


def check_device_flow(lab):
  status, answer = lab.control('POST', '/options', {'interval': 1, 'expires_in': 30, 'slow_down_step': 1})
  tap.equal(status, 200, 'options set through the control endpoint')

  status, _, body = request(lab.discovery()['device_authorization_endpoint'], 'POST', {'scope': 'openid'},
                            cafile=lab.ca)
  tap.ok(status == 400 and json.loads(body)['error'] == 'invalid_request', 'device auth needs client_id')

  status, grant = lab.new_grant()
  tap.ok(status == 200 and all(key in grant for key in ('device_code', 'user_code', 'verification_uri',
                                                          'verification_uri_complete', 'expires_in', 'interval')),
         'device authorization answer', grant)
  tap.ok(grant['interval'] == 1 and grant['expires_in'] == 30
         and grant['user_code'] in grant['verification_uri_complete'], 'short interval and expiry applied', grant)

  tap.equal(lab.poll(grant), (400, {'error': 'authorization_pending', 'error_description': 'waiting for the user'}),
            'first poll: authorization_pending')
  status, answer = lab.poll(grant)
  tap.equal(answer['error'], 'slow_down', 'polling too fast: slow_down')
  tap.equal(lab.grant_state(grant['user_code'])['interval'], 2, 'slow_down added the step to the interval')
  time.sleep(2.05)
  tap.equal(lab.poll(grant)[1]['error'], 'authorization_pending', 'polling at the new interval: pending')

  # The verification page, as a browser would use it.
  status, _, page = request(grant['verification_uri_complete'])
  tap.ok(status == 200 and grant['user_code'].encode() in page and b'<form' in page,
         'verification page shows the code', status)
  status, _, page = request(grant['verification_uri'], 'POST',
                            {'user_code': grant['user_code'].lower().replace('-', ''), 'user': 'alice',
                             'action': 'approve'})
  tap.ok(status == 200 and b'alice' in page, 'verification page approves', page)
  status, _, _ = request(grant['verification_uri'], 'POST', {'user_code': grant['user_code'], 'action': 'deny'})
  tap.equal(status, 409, 'a decided code cannot be decided again')
  time.sleep(2.05)
  status, tokens = lab.poll(grant)
  tap.ok(status == 200 and tokens['token_type'] == 'Bearer' and tokens['access_token'] and tokens['refresh_token'],
         'approved: tokens issued', tokens)
  tap.equal(lab.poll(grant)[1]['error'], 'invalid_grant', 'a used device code is refused')

  userinfo = lab.discovery()['userinfo_endpoint']
  status, _, body = request(userinfo, headers={'Authorization': f'Bearer {tokens["access_token"]}'}, cafile=lab.ca)
  tap.ok(status == 200 and json.loads(body)['preferred_username'] == 'alice', 'userinfo names the user', body)
  tap.equal(request(userinfo, headers={'Authorization': 'Bearer nope'}, cafile=lab.ca)[0], 401,
            'userinfo refuses an unknown token')

  status, refreshed = lab.token({'grant_type': 'refresh_token', 'refresh_token': tokens['refresh_token']})
  tap.ok(status == 200 and refreshed['access_token'] != tokens['access_token']
         and refreshed['refresh_token'] != tokens['refresh_token'], 'refresh_token grant: new tokens', refreshed)
  tap.equal(lab.token({'grant_type': 'refresh_token', 'refresh_token': tokens['refresh_token']})[1]['error'],
            'invalid_grant', 'the spent refresh token is refused (rotation)')
  tap.equal(lab.token({'grant_type': 'password'})[1]['error'], 'unsupported_grant_type', 'other grants refused')

  # idp-reject
  lab.fault('idp-reject', True)
  tap.equal(lab.token({'grant_type': 'refresh_token', 'refresh_token': refreshed['refresh_token']})[1]['error'],
            'invalid_grant', 'idp-reject: refresh refused')
  _, rejected = lab.new_grant()
  tap.equal(lab.poll(rejected)[1]['error'], 'access_denied', 'idp-reject: device poll access_denied')
  lab.fault('idp-reject', False)
  status, again = lab.token({'grant_type': 'refresh_token', 'refresh_token': refreshed['refresh_token']})
  tap.equal(status, 200, 'idp-reject off: refresh works again')
  time.sleep(1.05)
  tap.equal(lab.poll(rejected)[1]['error'], 'authorization_pending', 'idp-reject off: poll pending again')

  # idp-expire
  lab.fault('idp-expire', True)
  _, expiring = lab.new_grant()
  tap.equal(lab.poll(expiring)[1]['error'], 'expired_token', 'idp-expire: expired_token')
  tap.equal(lab.token({'grant_type': 'refresh_token', 'refresh_token': again['refresh_token']})[1]['error'],
            'invalid_grant', 'idp-expire: refresh refused')
  lab.fault('idp-expire', False)
  time.sleep(1.05)
  tap.equal(lab.poll(expiring)[1]['error'], 'authorization_pending', 'idp-expire off: pending again')

  # idp-slow-down, even for a client keeping its interval
  lab.fault('idp-slow-down', True)
  _, slowed = lab.new_grant()
  tap.equal(lab.poll(slowed)[1]['error'], 'slow_down', 'idp-slow-down: slow_down')
  tap.equal(lab.grant_state(slowed['user_code'])['interval'], 2, 'idp-slow-down: interval grew')
  lab.fault('idp-slow-down', False)
  time.sleep(2.05)
  tap.equal(lab.poll(slowed)[1]['error'], 'authorization_pending', 'idp-slow-down off: pending again')

  # denial, through the control endpoint and through the CLI
  _, denied = lab.new_grant()
  status, answer = lab.control('POST', '/deny', {'user_code': denied['user_code']})
  tap.equal(status, 200, 'control: deny')
  tap.equal(lab.poll(denied)[1]['error'], 'access_denied', 'denied: access_denied')
  _, approved = lab.new_grant()
  result = lab.ctl('approve', approved['user_code'], '--user', 'bob')
  tap.equal(result.returncode, 0, 'ctl approve USER_CODE')
  status, tokens = lab.poll(approved)
  tap.equal(status, 200, 'approved through the CLI: token')
  result = lab.ctl('approve', 'ZZZZ-ZZZZ')
  tap.ok(result.returncode == 1, 'ctl approve of an unknown code fails', result.stdout)

  # expiry
  lab.control('POST', '/options', {'expires_in': 1})
  _, short = lab.new_grant()
  tap.equal(short['expires_in'], 1, 'short expiry applied')
  time.sleep(1.1)
  tap.equal(lab.poll(short)[1]['error'], 'expired_token', 'past expires_in: expired_token')
  status, _, _ = request(short['verification_uri'], 'POST', {'user_code': short['user_code']})
  tap.equal(status, 410, 'an expired code cannot be approved')

  # auto-approve
  lab.control('POST', '/options', {'expires_in': 30})
  lab.fault('auto-approve', True)
  _, automatic = lab.new_grant()
  tap.equal(lab.poll(automatic)[0], 200, 'auto-approve: the first poll gets a token')
  lab.fault('auto-approve', False)
  _, manual = lab.new_grant()
  tap.equal(lab.poll(manual)[1]['error'], 'authorization_pending', 'auto-approve off: pending')


def check_stop(lab):
  lab.process.send_signal(signal.SIGTERM)
  try:
    status = lab.process.wait(timeout=5)
  except subprocess.TimeoutExpired:
    lab.process.kill()
    status = None
  tap.equal(status, 0, 'SIGTERM: the lab exits 0')
  tap.ok(not os.path.exists(os.path.join(lab.directory, 'lab.json')), 'SIGTERM: lab.json removed')
  tap.ok(expect_refused(lab.ports['edge']) and expect_refused(lab.ports['control']), 'SIGTERM: ports closed')


def main():
  started = time.monotonic()
  with tempfile.TemporaryDirectory(prefix='pc-lab-test-') as directory:
    lab = Lab(directory)
    try:
      for check in (check_files, check_healthy, check_faults, check_device_flow, check_stop):
        try:
          check(lab)
        except Exception:  # one broken check must not hide the others
          tap.ok(False, f'{check.__name__} raised', traceback.format_exc())
    finally:
      if lab.process.poll() is None:
        lab.process.kill()
        lab.process.wait()
  print(f'# {time.monotonic() - started:.1f} s')
  print(f'1..{tap.count}')
  return 1 if tap.failures else 0


if __name__ == '__main__':
  sys.exit(main())
