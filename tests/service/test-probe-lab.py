#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""portcullisd's real detection against the lab (tests/lab/lab.py) on
loopback: every code the lab's faults produce, each asserted with its
ErrorDetail and FailMode, and cleared when the fault is switched off."""

import os
import shutil
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe_harness import (IS, PA, DX, Lab, Service, check, check_equal,  # noqa: E402
                           free_port, run_tests, wait_for)


def with_lab(function, *lab_args):
  def run(directory):
    lab = Lab(directory, *lab_args)
    try:
      function(directory, lab)
    finally:
      lab.stop()
  return run


def with_service(function, *lab_args, direct=False, env=None, **changes):
  def run(directory, lab):
    service = Service(directory, lab.profile(direct=direct, **changes), env=env)
    try:
      function(lab, service)
    finally:
      service.stop()
  return with_lab(run, *lab_args)


def all_on(lab, service):
  for module in (IS, PA, DX):
    state = service.wait_error(module, '')
    check_equal(state, {'Status': 'on', 'Error': '', 'ErrorDetail': '', 'FailMode': ''}, module)
  check_equal(service.get(IS, 'Server'), f'127.0.0.1:{lab.info["ports"]["edge"]}', 'IS Server')
  check_equal(service.get(PA, 'Server'), f'127.0.0.1:{lab.info["ports"]["private_edge"]}', 'PA Server')
  check_equal(service.get(IS, 'AuthStatus'), 'authenticated', 'IS AuthStatus')
  check_equal(service.get(IS, 'ClientAddress'), '127.0.0.1', 'IS ClientAddress')
  check_equal(service.get(PA, 'ClientAddress'), '127.0.0.1', 'PA ClientAddress')
  check_equal(service.get(None, 'Network'), 'online', 'Network')
  check(service.login_url.startswith(lab.info['urls']['verification']), f'Login URL: {service.login_url!r}')


def edge_down_direct(lab, service):
  service.wait_error(IS, '')
  lab.fault('edge-down')
  service.retry(IS)
  state = service.wait_error(IS, 'connection-error')
  check_equal(state['Status'], 'error', 'Status')
  check_equal(state['FailMode'], '', 'FailMode')
  check('Connection refused' in state['ErrorDetail'], f'ErrorDetail names the errno: {state}')
  check(str(lab.info['ports']['edge']) in state['ErrorDetail'], f'ErrorDetail names the edge: {state}')
  lab.fault('edge-down', False)
  service.retry(IS)
  service.wait_error(IS, '')


def edge_down_chained(lab, service):
  service.wait_error(IS, '')
  lab.fault('edge-down')
  service.retry(IS)
  state = service.wait_error(IS, 'connection-error')
  check('HTTP 502' in state['ErrorDetail'] and 'upstream proxy' in state['ErrorDetail'],
        f'ErrorDetail says the proxy could not reach the edge: {state}')
  lab.fault('edge-down', False)
  service.retry(IS)
  service.wait_error(IS, '')


def edge_wrong_cert(lab, service):
  service.wait_error(IS, '')
  lab.fault('wrong-cert')
  service.retry(IS)
  state = service.wait_error(IS, 'connection-error')
  check_equal(state['ErrorDetail'], 'TLS certificate not issued by a trusted authority', 'ErrorDetail')
  check_equal(state['FailMode'], '', 'FailMode')
  lab.fault('wrong-cert', False)
  service.retry(IS)
  service.wait_error(IS, '')


def private_wrong_cert(lab, service):
  service.wait_error(PA, '')
  service.wait_error(IS, '')
  lab.fault('private-wrong-cert')
  service.retry(PA)
  state = service.wait_error(PA, 'untrusted-root-cert')
  check_equal(state['Status'], 'error', 'Status')
  check_equal(state['ErrorDetail'], 'TLS certificate not issued by a trusted authority', 'ErrorDetail')
  check_equal(state['FailMode'], '', 'FailMode')
  # The other modules do not care.
  check_equal(service.state(IS)['Error'], '', 'IS Error')
  lab.fault('private-wrong-cert', False)
  service.retry(PA)
  service.wait_error(PA, '')


def chaining_407(lab, service):
  service.wait_error(IS, '')
  lab.fault('chaining-407')
  service.retry(IS)
  state = service.wait_error(IS, 'chaining-authentication-error')
  check(state['ErrorDetail'].startswith('HTTP 407 Proxy Authentication Required from the upstream proxy'),
        f'ErrorDetail: {state}')
  check_equal(state['FailMode'], '', 'FailMode')
  check_equal(service.get(IS, 'AuthStatus'), 'error', 'AuthStatus')
  lab.fault('chaining-407', False)
  service.retry(IS)
  service.wait_error(IS, '')
  check_equal(service.get(IS, 'AuthStatus'), 'authenticated', 'AuthStatus')


def dr_active(lab, service):
  service.wait_error(IS, '')
  lab.fault('dr-active')
  service.retry(IS)
  state = service.wait_error(IS, 'safe-mode')
  check_equal(state['ErrorDetail'], 'Disaster recovery is active', 'ErrorDetail')
  check_equal(state['FailMode'], '', 'FailMode')
  # The cloud is away: the local proxy sends traffic straight to the target.
  head, body = proxy_get(lab.info['ports']['local_proxy'], lab.info['urls']['web'] + '/bytes?n=7')
  check(b' 200 ' in head and len(body) == 7, f'direct in safe mode: {head!r} {body[:80]!r}')
  lab.fault('dr-active', False)
  service.retry(IS)
  service.wait_error(IS, '')
  head, body = proxy_get(lab.info['ports']['local_proxy'], lab.info['urls']['web'] + '/bytes?n=7')
  check(b'/bytes?n=7' in body, f'through the edge again: {body[:200]!r}')


def dx_server_error(lab, service):
  service.wait_error(DX, '')
  lab.fault('dx-down')
  service.retry(DX)
  state = service.wait_error(DX, 'server-error')
  check('Connection refused' in state['ErrorDetail'], f'ErrorDetail: {state}')
  check_equal(state['FailMode'], '', 'FailMode')
  lab.fault('dx-down', False)
  service.retry(DX)
  service.wait_error(DX, '')


def dx_installation_error(directory, lab):
  lab.fault('dx-down')
  service = Service(directory, lab.profile())
  try:
    state = service.wait_error(DX, 'installation-error')
    check('Connection refused' in state['ErrorDetail'], f'ErrorDetail: {state}')
    check_equal(state['FailMode'], '', 'FailMode')
    lab.fault('dx-down', False)
    service.retry(DX)
    service.wait_error(DX, '')
    # Once registered, the same failure is a server error.
    lab.fault('dx-down')
    service.retry(DX)
    service.wait_error(DX, 'server-error')
    # Registration is remembered across a restart.
    state_dir = service.state_dir
    service.stop()
    service = Service(directory, lab.profile(), state_dir=state_dir)
    service.wait_error(DX, 'server-error')
    lab.fault('dx-down', False)
  finally:
    service.stop()


def dx_system_roots(directory, lab):
  # No top-level ca_file: the DX server must chain to the system roots,
  # which are the lab CA here (SSL_CERT_FILE), and then to nothing known.
  profile = lab.profile(ca_file=None)
  service = Service(directory, profile, env={'SSL_CERT_FILE': lab.info['files']['ca']})
  try:
    service.wait_error(DX, '')
    check('Loaded the system CA bundle' in service.read_log(), 'the system roots were read when needed')
  finally:
    service.stop()
  service = Service(directory, profile, env={'SSL_CERT_FILE': lab.info['files']['private_ca']})
  try:
    state = service.wait_error(DX, 'installation-error')
    check('TLS' in state['ErrorDetail'] or 'certificate' in state['ErrorDetail'].lower(),
          f'ErrorDetail names the certificate: {state}')
  finally:
    service.stop()


def portal_redirect(lab, service):
  service.wait_error(IS, '')
  lab.fault('portal')
  service.retry(IS)
  state = service.wait_error(IS, 'captive-portal-detected')
  check_equal(state['FailMode'], 'fail-open', 'FailMode')
  check('HTTP 302' in state['ErrorDetail'], f'ErrorDetail: {state}')
  check_equal(service.get(IS, 'PortalUrl'), lab.info['urls']['portal_login'], 'PortalUrl')
  check_equal(service.get(None, 'Network'), 'captive-portal', 'Network')
  lab.fault('portal', False)
  service.retry(IS)
  service.wait_error(IS, '')
  check_equal(service.get(IS, 'PortalUrl'), '', 'PortalUrl after')
  check_equal(service.get(None, 'Network'), 'online', 'Network after')


def portal_200(lab, service):
  service.wait_error(IS, '')
  lab.fault('portal-200')
  service.retry(IS)
  state = service.wait_error(IS, 'captive-portal-detected')
  check_equal(state['FailMode'], 'fail-open', 'FailMode')
  check('HTTP 200 where 204 was expected' in state['ErrorDetail'], f'ErrorDetail: {state}')
  check_equal(service.get(IS, 'PortalUrl'), lab.info['urls']['probe'], 'PortalUrl')
  lab.fault('portal-200', False)
  service.retry(IS)
  service.wait_error(IS, '')


def portal_error(lab, service):
  # fail_open_minutes is 1, and a minute is 2 s here (PORTCULLIS_MINUTE_SECONDS).
  service.wait_error(IS, '')
  lab.fault('portal')
  service.retry(IS)
  service.wait_error(IS, 'captive-portal-detected')
  state = service.wait_error(IS, 'captive-portal-error', timeout=8)
  check_equal(state['FailMode'], '', 'FailMode')
  check('HTTP 302' in state['ErrorDetail'], f'ErrorDetail: {state}')
  lab.fault('portal', False)
  service.retry(IS)
  service.wait_error(IS, '')


def interval_picks_up(lab, service):
  # No Retry: the probe_interval_s timer (1 s here) finds the change.
  service.wait_error(IS, '')
  lab.fault('dr-active')
  service.wait_error(IS, 'safe-mode', timeout=5)
  lab.fault('dr-active', False)
  service.wait_error(IS, '', timeout=5)


def internal_error(directory, lab):
  port = lab.info['ports']['local_proxy']
  blocker = socket.socket()
  blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
  blocker.bind(('127.0.0.1', port))
  blocker.listen()
  service = Service(directory, lab.profile())
  try:
    state = service.wait_error(IS, 'internal-error')
    check('Address already in use' in state['ErrorDetail'], f'ErrorDetail: {state}')
    check(f'127.0.0.1:{port}' in state['ErrorDetail'], f'ErrorDetail names the port: {state}')
    check_equal(state['FailMode'], '', 'FailMode')
    blocker.close()
    service.retry(IS)
    service.wait_error(IS, '')
  finally:
    blocker.close()
    service.stop()


def proxy_get(port, url):
  """GET through the local proxy: (status line, body)."""
  with socket.create_connection(('127.0.0.1', port), timeout=15) as sock:
    sock.sendall(f'GET {url} HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n'.encode())
    answer = b''
    while chunk := sock.recv(4096):
      answer += chunk
  head, _, body = answer.partition(b'\r\n\r\n')
  return head.split(b'\r\n')[0], body


def local_proxy_forwards(lab, service):
  service.wait_error(IS, '')
  port = lab.info['ports']['local_proxy']
  web = lab.info['urls']['web']

  # A plain HTTP request with an absolute URI: carried to the edge.
  with socket.create_connection(('127.0.0.1', port), timeout=10) as sock:
    request = f'GET {web}/hello HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n'.encode()
    sock.sendall(request)
    answer = b''
    while chunk := sock.recv(4096):
      answer += chunk
  check(answer.startswith(b'HTTP/1.1 200') or answer.startswith(b'HTTP/1.0 200'), f'answer: {answer[:200]!r}')
  check(b'/hello' in answer, f'the edge saw the request: {answer[:300]!r}')

  # CONNECT: a tunnel through the edge, which echoes.
  with socket.create_connection(('127.0.0.1', port), timeout=10) as sock:
    sock.sendall(b'CONNECT intranet.example:443 HTTP/1.1\r\nHost: intranet.example:443\r\n\r\n')
    reply = b''
    while b'\r\n\r\n' not in reply:
      chunk = sock.recv(4096)
      check(chunk, f'CONNECT answer cut: {reply!r}')
      reply += chunk
    check(b' 200 ' in reply.split(b'\r\n')[0], f'CONNECT reply: {reply!r}')
    sock.sendall(b'ping through the tunnel')
    echoed = b''
    while len(echoed) < len(b'ping through the tunnel'):
      chunk = sock.recv(4096)
      check(chunk, 'echo cut')
      echoed += chunk
    check_equal(echoed, b'ping through the tunnel', 'echo')

  sent = len(request) + len(b'CONNECT intranet.example:443 HTTP/1.1\r\nHost: intranet.example:443\r\n\r\n') + 23
  wait_for(lambda: service.get(IS, 'BytesSent') >= sent, 5, f'BytesSent >= {sent}')
  received = len(answer) + len(reply) + 23
  try:
    wait_for(lambda: service.get(IS, 'BytesReceived') >= received, 5, f'BytesReceived >= {received}')
  except Exception:
    print(f'# BytesSent {service.get(IS, "BytesSent")} BytesReceived {service.get(IS, "BytesReceived")}')
    raise


class Tinyproxy:
  """Debian's tinyproxy on loopback, with or without Basic authentication."""

  def __init__(self, directory, port, basic_auth):
    self.config = os.path.join(directory, f'tinyproxy-{port}.conf')
    with open(self.config, 'w') as file:
      file.write(f'Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\nAllow 127.0.0.1\n'
                 f'LogFile "{directory}/tinyproxy.log"\nLogLevel Info\nDisableViaHeader Yes\n')
      if basic_auth:
        file.write('BasicAuth portcullis s3cret\n')
    self.process = subprocess.Popen([shutil.which('tinyproxy') or '/usr/bin/tinyproxy', '-d', '-c', self.config],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: self._accepts(port), 10, 'tinyproxy listening')

  def _accepts(self, port):
    check(self.process.poll() is None, f'tinyproxy exited with {self.process.returncode}')
    try:
      socket.create_connection(('127.0.0.1', port), timeout=1).close()
      return True
    except OSError:
      return False

  def stop(self):
    self.process.terminate()
    self.process.wait(10)


def tinyproxy_407(directory, lab):
  port = free_port()
  proxy = Tinyproxy(directory, port, basic_auth=True)
  service = Service(directory, lab.profile(internet_security__upstream_proxy=f'http://127.0.0.1:{port}'))
  try:
    state = service.wait_error(IS, 'chaining-authentication-error')
    check_equal(state['ErrorDetail'],
                f'HTTP 407 Proxy Authentication Required from the upstream proxy 127.0.0.1:{port}', 'ErrorDetail')
    check_equal(state['FailMode'], '', 'FailMode')
    check_equal(service.get(IS, 'AuthStatus'), 'error', 'AuthStatus')

    # The proxy stops asking for credentials.
    proxy.stop()
    proxy = Tinyproxy(directory, port, basic_auth=False)
    service.retry(IS)
    service.wait_error(IS, '')
  finally:
    proxy.stop()
    service.stop()


TESTS = [
  ('all modules on against a healthy lab', with_service(all_on)),
  ('edge down, direct: connection-error with the errno', with_service(edge_down_direct, direct=True)),
  ('edge down, through the upstream proxy: connection-error', with_service(edge_down_chained)),
  ('edge with a certificate from another CA: connection-error', with_service(edge_wrong_cert, direct=True)),
  ('private edge from another CA: untrusted-root-cert', with_service(private_wrong_cert)),
  ('upstream proxy answers 407: chaining-authentication-error', with_service(chaining_407)),
  ('tinyproxy with BasicAuth answers 407: chaining-authentication-error', with_lab(tinyproxy_407)),
  ('disaster recovery active: safe-mode', with_service(dr_active)),
  ('DX server down after registration: server-error', with_service(dx_server_error)),
  ('DX server down from the start: installation-error', with_lab(dx_installation_error)),
  ('DX trusts the system roots when the profile names no CA', with_lab(dx_system_roots)),
  ('portal redirect: captive-portal-detected, PortalUrl = login page', with_service(portal_redirect)),
  ('portal answering 200: captive-portal-detected, PortalUrl = probe URL', with_service(portal_200)),
  ('portal not passed in time: captive-portal-error',
   with_service(portal_error, env={'PORTCULLIS_MINUTE_SECONDS': '2'}, captive_portal__fail_open_minutes=1)),
  ('the probe interval finds a change without Retry', with_service(interval_picks_up, probe_interval_s=1)),
  ('local proxy port taken: internal-error', with_lab(internal_error)),
  ('local proxy forwards HTTP and CONNECT through the edge, counting bytes',
   with_service(local_proxy_forwards)),
]

if __name__ == '__main__':
  sys.exit(run_tests(TESTS))
