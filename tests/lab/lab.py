#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Portcullis lab: every cloud role portcullisd talks to, played on loopback.

Start it
  tests/lab/lab.py [serve] [--dir DIR] [--base-port N] [--fault NAME]...
                   [--interval S] [--expires-in S] [--slow-down-step S]
                   [--token-lifetime S] [--probe-interval S] [--auto-approve]
                   [--verification-https] [--quiet]

  It makes a lab CA, a private-access root CA and an unrelated "rogue" CA,
  one 127.0.0.1/localhost leaf from each (openssl CLI), starts every role on
  127.0.0.1 and, once every listener accepts, writes DIR/lab.json (atomically)
  and prints the same JSON as one line on stdout. Without --dir it works in a
  fresh temporary directory that it removes on exit. Ports are ephemeral
  unless --base-port N is given (then N+0 ... N+8, in the order below).
  SIGTERM / SIGINT stop it cleanly (exit status 0, DIR/lab.json removed).

Files in DIR
  lab.json             ports, URLs, files, fault names, control URL, pid
  profile.json         a portcullisd profile (DESIGN.md §6) using every role,
                       Internet Security reaching its edge through the lab's
                       upstream proxy (so chaining-407 shows)
  profile-direct.json  the same without internet_security.upstream_proxy
  lab-ca.pem           root of the edge, IdP, DX and DR certificates
                       (profile: ca_file, auth.ca_file, internet_security.ca_file)
  private-ca.pem       root of the private edge (private_access.root_ca_file)
  rogue-ca.pem         unrelated root; its leaf is what the *wrong-cert faults show
  *-leaf.pem/.key      the leaves; the keys stay in DIR

Roles (all on 127.0.0.1; lab.json "ports" keys)
  control      plain HTTP control endpoint (below)
  web          plain HTTP: captive-portal probe GET /generate_204 (204), the
               portal login page /portal/login, the device verification page
               /device, a support page /support, GET / and GET /bytes?n=N
               (N bytes, for forwarding tests)
  edge         TLS service edge (lab CA). After the handshake: CONNECT h:p ->
               "200 Connection established" then echo; another HTTP request ->
               200 text/plain naming the request; anything else -> echo
  private_edge TLS private edge (private CA), same behaviour as the edge
  idp          HTTPS OIDC issuer (lab CA), issuer URL in lab.json urls.issuer,
               discovery at <issuer>/.well-known/openid-configuration, OAuth 2.0
               device authorization grant (RFC 8628), refresh_token grant,
               userinfo; verification page also at <issuer>/device
  dx           HTTPS Digital Experience server: any path -> 200 JSON
  dr           HTTPS disaster-recovery status: GET /dr/status -> {"active": b}
  proxy        plain HTTP upstream proxy: CONNECT and absolute-URI requests,
               to loopback targets only (others get 403); 502 if the target
               refuses
  local_proxy  not bound by the lab: a free port written into the profile for
               portcullisd's own local proxy

Control endpoint (lab.json "control_url"), JSON in and out
  GET  /                  lab.json plus "faults"
  GET  /faults            {"portal": false, ...}
  POST /fault/NAME        body {"on": true|false} -> {"NAME": bool}
  POST /faults/reset      every fault off
  GET  /state             faults, options, grants, per-role counters
  GET  /options           POST /options {"interval": 1, ...} (new grants)
  POST /approve           {"user_code": "BCDF-GHJK", "user": "demo"}; both
                          optional: no code = the newest pending grant
  POST /deny              {"user_code": ...} likewise
  Errors: 400/404 with {"error": "..."}.

CLI wrapper (finds the control URL in DIR/lab.json; DIR defaults to
$PC_LAB_DIR)
  lab.py ctl [--dir DIR | --url URL] faults | state | reset
                                     | fault NAME on|off
                                     | approve [USER_CODE] [--user NAME]
                                     | deny [USER_CODE]
                                     | set KEY=VALUE...
  Prints the JSON answer; exits 1 with a message on failure.

Faults (and what portcullisd is meant to report) are listed in FAULTS below
and in README.md, section "The lab". Each one switched off returns its role
to healthy.
"""

import argparse
import http.server
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HOST = '127.0.0.1'

# name -> (role, what the lab does, what portcullisd should report)
FAULTS = {
  'portal': ('web', 'probe answers 302 to the lab login page',
             'captive-portal-detected, PortalUrl = login page'),
  'portal-200': ('web', 'probe answers 200 with an HTML body',
                 'captive-portal-detected, PortalUrl = probe URL'),
  'edge-down': ('edge', 'edge listener closed: connects refused, open connections cut',
                'connection-error (ECONNREFUSED; 502 from the proxy when chained)'),
  'wrong-cert': ('edge', 'edge presents the rogue CA leaf',
                 'connection-error (TLS error in ErrorDetail)'),
  'private-wrong-cert': ('private_edge', 'private edge presents the rogue CA leaf',
                         'untrusted-root-cert'),
  'idp-wrong-cert': ('idp', 'IdP presents the rogue CA leaf',
                     'intermediate-authentication-error'),
  'idp-reject': ('idp', 'token endpoint: access_denied (device code), invalid_grant (refresh)',
                 'authentication-error'),
  'idp-expire': ('idp', 'token endpoint: expired_token (device code), invalid_grant (refresh)',
                 'authentication-error'),
  'idp-slow-down': ('idp', 'token endpoint answers slow_down to every device-code poll',
                    'no code; the service must add the step to its interval'),
  'chaining-407': ('proxy', 'upstream proxy answers 407 Proxy Authentication Required',
                   'chaining-authentication-error'),
  'dr-active': ('dr', 'status URL answers {"active": true}', 'safe-mode'),
  'dx-down': ('dx', 'DX listener closed: connects refused',
              'installation-error before a first success, server-error after'),
  'auto-approve': ('idp', 'not a fault: new device grants are approved at once (user "demo")',
                   'none; logins complete without the browser'),
}

ROLES = ('control', 'web', 'edge', 'private_edge', 'idp', 'dx', 'dr', 'proxy', 'local_proxy')

ISSUER_PATH = '/realms/portcullis'
USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'  # RFC 8628 §6.1: no vowels
MAX_BODY = 1 << 20
HTTP_REQUEST_LINE = re.compile(rb'[A-Z]+ [^ \r\n]+ HTTP/1\.[01]\r\n')
CONNECTION_TIMEOUT = 120


class LabError(Exception):
  pass


# ---------------------------------------------------------------- PKI

def _openssl(directory, *args):
  result = subprocess.run(['openssl', *args], cwd=directory, capture_output=True, text=True)
  if result.returncode != 0:
    raise LabError(f'openssl {args[0]} failed: {result.stderr.strip()}')


def _make_ca(directory, stem, common_name):
  _openssl(directory, 'req', '-x509', '-new', '-newkey', 'ec',
           '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
           '-keyout', f'{stem}.key', '-out', f'{stem}.pem', '-days', '30', '-sha256',
           '-subj', f'/O=Portcullis Lab/CN={common_name}',
           '-addext', 'basicConstraints=critical,CA:TRUE',
           '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
           '-addext', 'subjectKeyIdentifier=hash')


def _make_leaf(directory, stem, ca_stem):
  with open(os.path.join(directory, f'{stem}.ext'), 'w') as ext:
    ext.write('basicConstraints=critical,CA:FALSE\n'
              'keyUsage=critical,digitalSignature\n'
              'extendedKeyUsage=serverAuth\n'
              'subjectAltName=IP:127.0.0.1,DNS:localhost\n'
              'subjectKeyIdentifier=hash\n'
              'authorityKeyIdentifier=keyid\n')
  _openssl(directory, 'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
           '-nodes', '-keyout', f'{stem}.key', '-out', f'{stem}.csr',
           '-subj', f'/O=Portcullis Lab/CN=127.0.0.1')
  _openssl(directory, 'x509', '-req', '-in', f'{stem}.csr', '-CA', f'{ca_stem}.pem',
           '-CAkey', f'{ca_stem}.key', '-set_serial', '0x' + secrets.token_hex(16),
           '-days', '30', '-sha256', '-extfile', f'{stem}.ext', '-out', f'{stem}.pem')
  for suffix in ('csr', 'ext'):
    os.unlink(os.path.join(directory, f'{stem}.{suffix}'))


def make_pki(directory):
  """Three unrelated roots and one leaf from each; returns the paths."""
  _make_ca(directory, 'lab-ca', 'Portcullis Lab CA')
  _make_ca(directory, 'private-ca', 'Portcullis Lab Private Access Root')
  _make_ca(directory, 'rogue-ca', 'Rogue Interception CA')
  for leaf, ca in (('lab-leaf', 'lab-ca'), ('private-leaf', 'private-ca'), ('rogue-leaf', 'rogue-ca')):
    _make_leaf(directory, leaf, ca)
  return {name: os.path.join(directory, f'{name}.pem')
          for name in ('lab-ca', 'private-ca', 'rogue-ca', 'lab-leaf', 'private-leaf', 'rogue-leaf')}


def _server_context(directory, leaf):
  context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
  context.load_cert_chain(os.path.join(directory, f'{leaf}.pem'), os.path.join(directory, f'{leaf}.key'))
  # Every connection does a full handshake, so every probe checks the chain.
  context.options |= ssl.OP_NO_TICKET
  context.num_tickets = 0
  return context


# ---------------------------------------------------------------- listeners

class Listener:
  """A TCP listener on 127.0.0.1 with a thread per connection.

  down() closes the listening socket and cuts open connections but keeps the
  port bound (not listening) so connects are refused and nobody else takes
  the port; up() listens on it again."""

  def __init__(self, lab, role, port, serve, tls=None):
    self.lab = lab
    self.role = role
    self.port = port
    self.serve = serve
    self.tls = tls
    self.lock = threading.Lock()
    self.sock = None
    self.placeholder = None
    self.conns = set()
    self.accepted = 0
    self.tls_failures = 0
    self.last_tls_error = ''
    self.bytes_in = 0
    self.bytes_out = 0

  @property
  def listening(self):
    return self.sock is not None

  def start(self):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
      sock.bind((HOST, self.port))
    except OSError as error:
      sock.close()
      raise LabError(f'{self.role}: cannot bind {HOST}:{self.port}: {error.strerror}') from error
    sock.listen(64)
    self.port = sock.getsockname()[1]
    with self.lock:
      self.sock = sock
    threading.Thread(target=self._accept_loop, args=(sock,), daemon=True,
                     name=f'{self.role}-accept').start()

  def _accept_loop(self, sock):
    while True:
      try:
        conn, address = sock.accept()
      except OSError:
        return  # down() or stop()
      with self.lock:
        self.accepted += 1
        self.conns.add(conn)
      threading.Thread(target=self._serve_connection, args=(conn, address), daemon=True,
                       name=f'{self.role}-conn').start()

  def _serve_connection(self, conn, address):
    current = conn
    try:
      conn.settimeout(CONNECTION_TIMEOUT)
      if self.tls is not None:
        current = self.tls().wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        with self.lock:
          self.conns.discard(conn)
          self.conns.add(current)
        try:
          current.do_handshake()
        except (ssl.SSLError, OSError) as error:
          with self.lock:
            self.tls_failures += 1
            self.last_tls_error = str(error)
          self.lab.log(self.role, f'TLS handshake with {address[1]} failed: {error}')
          return
      self.serve(current, address, self)
    except (ssl.SSLEOFError, ConnectionResetError, BrokenPipeError, TimeoutError):
      pass  # the peer went away: nothing to report
    except (OSError, ValueError) as error:
      self.lab.log(self.role, f'connection from port {address[1]}: {error}')
    finally:
      with self.lock:
        self.conns.discard(conn)
        self.conns.discard(current)
      try:
        current.close()
      except OSError:
        pass

  def count(self, received=0, sent=0):
    with self.lock:
      self.bytes_in += received
      self.bytes_out += sent

  def _close_listening(self):
    with self.lock:
      sock, self.sock = self.sock, None
      conns = list(self.conns)
    if sock is not None:
      try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() of _accept_loop
      except OSError:
        pass
      sock.close()
    for conn in conns:
      try:
        # The plain socket call: SSLSocket.shutdown() would tear the SSL
        # object from under the thread still reading it.
        socket.socket.shutdown(conn, socket.SHUT_RDWR)
      except OSError:
        pass
    return sock is not None

  def down(self):
    if not self._close_listening():
      return
    placeholder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    placeholder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    placeholder.bind((HOST, self.port))
    with self.lock:
      self.placeholder = placeholder
    self.lab.log(self.role, f'down: {HOST}:{self.port} refuses connections')

  def up(self):
    with self.lock:
      if self.sock is not None:
        return
      placeholder, self.placeholder = self.placeholder, None
    if placeholder is not None:
      placeholder.close()
    self.start()
    self.lab.log(self.role, f'up: listening on {HOST}:{self.port}')

  def stop(self):
    self._close_listening()
    with self.lock:
      placeholder, self.placeholder = self.placeholder, None
    if placeholder is not None:
      placeholder.close()

  def counters(self):
    with self.lock:
      return {'listening': self.sock is not None, 'accepted': self.accepted,
              'open': len(self.conns), 'tls_failures': self.tls_failures,
              'last_tls_error': self.last_tls_error,
              'bytes_in': self.bytes_in, 'bytes_out': self.bytes_out}


def _http_role(handler_class):
  def serve(conn, address, listener):
    handler_class(conn, address, listener)
  return serve


def _is_loopback(host):
  if host == 'localhost':
    return True
  try:
    return ipaddress.ip_address(host.strip('[]')).is_loopback
  except ValueError:
    return False


def _split_host_port(text, default_port):
  parsed = urllib.parse.urlsplit('//' + text)
  return parsed.hostname or '', parsed.port or default_port


# ---------------------------------------------------------------- raw TLS edges

def _recv_until(conn, data, marker, limit=65536):
  while marker not in data:
    if len(data) > limit:
      raise ValueError('request head too large')
    chunk = conn.recv(4096)
    if not chunk:
      raise ValueError('connection closed inside the request head')
    data += chunk
  return data


def _echo(conn, data, listener):
  while data:
    listener.count(received=len(data))
    conn.sendall(data)
    listener.count(sent=len(data))
    data = conn.recv(16384)


def serve_edge(conn, address, listener):
  """The edges speak whatever arrives: CONNECT opens an echo tunnel, any
  other HTTP request gets a small answer naming it, other bytes are echoed."""
  data = conn.recv(16384)
  if not data:
    return
  method = data.split(b' ', 1)[0]
  if method == b'CONNECT':
    data = _recv_until(conn, data, b'\r\n\r\n')
    head, rest = data.split(b'\r\n\r\n', 1)
    listener.count(received=len(head) + 4)
    reply = b'HTTP/1.1 200 Connection established\r\n\r\n'
    conn.sendall(reply)
    listener.count(sent=len(reply))
    listener.lab.log(listener.role, head.split(b'\r\n', 1)[0].decode('latin-1'))
    _echo(conn, rest or conn.recv(16384), listener)
  elif HTTP_REQUEST_LINE.match(data):
    data = _recv_until(conn, data, b'\r\n\r\n')
    head, rest = data.split(b'\r\n\r\n', 1)
    request_line = head.split(b'\r\n', 1)[0].decode('latin-1')
    length = 0
    for line in head.split(b'\r\n')[1:]:
      name, _, value = line.partition(b':')
      if name.strip().lower() == b'content-length':
        length = int(value.strip())
    while len(rest) < length:
      chunk = conn.recv(16384)
      if not chunk:
        break
      rest += chunk
    listener.count(received=len(head) + 4 + len(rest))
    body = f'portcullis lab {listener.role}: {request_line}\n'.encode()
    reply = (b'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n'
             b'Content-Length: ' + str(len(body)).encode() + b'\r\n\r\n' + body)
    conn.sendall(reply)
    listener.count(sent=len(reply))
    listener.lab.log(listener.role, request_line)
  else:
    _echo(conn, data, listener)


# ---------------------------------------------------------------- HTTP roles

class LabHandler(http.server.BaseHTTPRequestHandler):
  protocol_version = 'HTTP/1.1'
  server_version = 'PortcullisLab/1'
  sys_version = ''
  timeout = CONNECTION_TIMEOUT

  @property
  def lab(self):
    return self.server.lab

  def log_message(self, format, *args):
    self.lab.log(self.server.role, format % args)

  def send_body(self, status, body, content_type, headers=()):
    self.send_response(status)
    self.send_header('Content-Type', content_type)
    self.send_header('Content-Length', str(len(body)))
    self.send_header('Cache-Control', 'no-store')
    for name, value in headers:
      self.send_header(name, value)
    self.end_headers()
    if self.command != 'HEAD':
      self.wfile.write(body)

  def send_json(self, status, value, headers=()):
    self.send_body(status, (json.dumps(value, indent=1) + '\n').encode(), 'application/json', headers)

  def send_page(self, status, title, html):
    page = ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width">'
            f'<title>{title}</title><style>body{{font-family:sans-serif;max-width:32em;'
            f'margin:3em auto;padding:0 1em}}input,button{{font-size:1em;margin:.3em 0}}</style>'
            f'</head><body><h1>{title}</h1>\n{html}\n</body></html>\n')
    self.send_body(status, page.encode(), 'text/html; charset=utf-8')

  def read_body(self):
    if self.headers.get('Transfer-Encoding'):
      raise ValueError('chunked bodies are not supported; send Content-Length')
    length = int(self.headers.get('Content-Length') or 0)
    if length < 0 or length > MAX_BODY:
      raise ValueError('body too large')
    return self.rfile.read(length) if length else b''

  def read_form(self):
    fields = urllib.parse.parse_qs(self.read_body().decode('utf-8', 'replace'), keep_blank_values=True)
    return {key: values[0] for key, values in fields.items()}

  def read_json(self):
    body = self.read_body()
    if not body.strip():
      return {}
    value = json.loads(body)
    if not isinstance(value, dict):
      raise ValueError('expected a JSON object')
    return value

  def _dispatch(self):
    url = urllib.parse.urlsplit(self.path)
    query = {key: values[0] for key, values in urllib.parse.parse_qs(url.query).items()}
    try:
      self.route(self.command, url.path, query)
    except (ValueError, KeyError) as error:
      self.close_connection = True
      self.send_json(400, {'error': 'invalid_request', 'error_description': str(error)})
    except LabError as error:
      self.close_connection = True
      self.send_json(500, {'error': str(error)})

  do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _dispatch

  def route(self, method, path, query):
    self.send_json(404, {'error': f'no {method} {path} here'})

  # The device verification page, served on the web role and on the IdP.
  def verification_page(self, method, query):
    if method in ('GET', 'HEAD'):
      code = query.get('user_code', '')
      self.send_page(200, 'Portcullis Lab sign-in',
                     '<p>Enter the code shown by Portcullis to let this device sign in.</p>'
                     '<form method="post">'
                     f'<p><label>Code <input name="user_code" value="{_escape(code)}" '
                     'autocomplete="off" required></label></p>'
                     '<p><label>User <input name="user" value="demo"></label></p>'
                     '<p><button name="action" value="approve">Approve</button> '
                     '<button name="action" value="deny">Deny</button></p></form>')
      return
    form = self.read_form()
    approve = form.get('action', 'approve') != 'deny'
    status, message = self.lab.decide(form.get('user_code', ''), approve, form.get('user') or 'demo')
    title = {200: 'Device approved' if approve else 'Access denied'}.get(status, 'Cannot sign in')
    self.send_page(status, title, f'<p>{_escape(message)}</p>')


def _escape(text):
  return (text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
          .replace('"', '&quot;'))


class WebHandler(LabHandler):
  def route(self, method, path, query):
    lab = self.lab
    if path == '/generate_204' and method in ('GET', 'HEAD'):
      if lab.fault('portal'):
        self.send_body(302, b'', 'text/plain', [('Location', lab.urls['portal_login'])])
      elif lab.fault('portal-200'):
        self.send_page(200, 'Lab Hotspot', '<p>Sign in to use this network.</p>'
                       f'<p><a href="{lab.urls["portal_login"]}">Sign in</a></p>')
      else:
        self.send_body(204, b'', 'text/plain')
    elif path == '/portal/login' and method in ('GET', 'HEAD'):
      self.send_page(200, 'Lab Hotspot', '<p>Welcome to the lab network.</p>'
                     '<form method="post" action="/portal/accept">'
                     '<button>Accept the terms and connect</button></form>')
    elif path == '/portal/accept' and method == 'POST':
      self.read_body()
      lab.set_fault('portal', False)
      lab.set_fault('portal-200', False)
      self.send_page(200, 'Connected', '<p>You are online. You can close this page.</p>')
    elif path == '/device' and method in ('GET', 'HEAD', 'POST'):
      self.verification_page(method, query)
    elif path == '/support' and method in ('GET', 'HEAD'):
      self.send_page(200, 'Lab Helpdesk', '<p>This is the Portcullis lab: nobody is on call, '
                     'flip the fault back off.</p>')
    elif path == '/bytes' and method in ('GET', 'HEAD'):
      size = min(int(query.get('n', '1024')), 64 << 20)
      self.send_body(200, b'x' * size, 'application/octet-stream')
    elif path == '/' and method in ('GET', 'HEAD', 'POST'):
      self.read_body()
      self.send_body(200, b'portcullis lab web\n', 'text/plain')
    else:
      super().route(method, path, query)


class DxHandler(LabHandler):
  def route(self, method, path, query):
    self.read_body()
    self.send_json(200, {'service': 'digital-experience', 'status': 'ok', 'path': path})


class DrHandler(LabHandler):
  def route(self, method, path, query):
    if path == '/dr/status' and method in ('GET', 'HEAD'):
      self.send_json(200, {'active': self.lab.fault('dr-active')})
    else:
      super().route(method, path, query)


class IdpHandler(LabHandler):
  def oauth_error(self, error, description, status=400):
    self.send_json(status, {'error': error, 'error_description': description})

  def route(self, method, path, query):
    lab = self.lab
    if not path.startswith(ISSUER_PATH + '/'):
      return super().route(method, path, query)
    endpoint = path[len(ISSUER_PATH):]
    if endpoint == '/.well-known/openid-configuration' and method in ('GET', 'HEAD'):
      self.send_json(200, lab.discovery())
    elif endpoint == '/device/auth':
      if method != 'POST':
        return self.oauth_error('invalid_request', 'use POST', 405)
      form = self.read_form()
      if not form.get('client_id'):
        return self.oauth_error('invalid_request', 'client_id is required')
      self.send_json(200, lab.new_grant(form['client_id'], form.get('scope', '')))
    elif endpoint == '/token':
      if method != 'POST':
        return self.oauth_error('invalid_request', 'use POST', 405)
      status, answer = lab.token(self.read_form())
      self.send_json(status, answer)
    elif endpoint == '/userinfo' and method in ('GET', 'POST'):
      auth = self.headers.get('Authorization', '')
      user = lab.user_for_token(auth[7:] if auth.startswith('Bearer ') else '')
      if user is None:
        self.send_json(401, {'error': 'invalid_token'},
                       [('WWW-Authenticate', 'Bearer error="invalid_token"')])
      else:
        self.send_json(200, {'sub': user, 'preferred_username': user, 'name': user,
                             'email': f'{user}@lab.portcullis.test'})
    elif endpoint == '/device':
      self.verification_page(method, query)
    elif endpoint == '/jwks':
      self.send_json(200, {'keys': []})
    elif endpoint == '/auth':
      self.oauth_error('unsupported_response_type', 'this issuer only does the device flow')
    else:
      super().route(method, path, query)


class ProxyHandler(LabHandler):
  """An upstream HTTP proxy that never leaves loopback."""

  rbufsize = 0  # bytes after CONNECT's head must stay in the socket for the relay

  def route(self, method, path, query):
    lab = self.lab
    self.close_connection = True
    if lab.fault('chaining-407'):
      self.read_body_quietly()
      self.send_body(407, b'Proxy authentication required\n', 'text/plain',
                     [('Proxy-Authenticate', 'Basic realm="portcullis-lab"'), ('Connection', 'close')])
      return
    if method == 'CONNECT':
      host, port = _split_host_port(self.path, 443)
    else:
      url = urllib.parse.urlsplit(self.path)
      if url.scheme != 'http' or not url.hostname:
        self.read_body_quietly()
        return self.send_body(400, b'Absolute http:// URL expected\n', 'text/plain')
      host, port = url.hostname, url.port or 80
    if not _is_loopback(host):
      self.read_body_quietly()
      return self.send_body(403, b'The lab proxy only reaches loopback\n', 'text/plain')
    try:
      upstream = socket.create_connection((host, port), timeout=10)
    except OSError as error:
      self.read_body_quietly()
      return self.send_body(502, f'Cannot reach {host}:{port}: {error.strerror or error}\n'.encode(),
                            'text/plain')
    with upstream:
      upstream.settimeout(CONNECTION_TIMEOUT)
      if method == 'CONNECT':
        self.send_response(200, 'Connection established')
        self.end_headers()
        self.wfile.flush()
      else:
        target = urllib.parse.urlsplit(self.path)
        origin_form = urllib.parse.urlunsplit(('', '', target.path or '/', target.query, ''))
        head = f'{method} {origin_form} HTTP/1.1\r\n'
        for name, value in self.headers.items():
          if not name.lower().startswith('proxy-') and name.lower() not in ('connection', 'keep-alive'):
            head += f'{name}: {value}\r\n'
        upstream.sendall((head + 'Connection: close\r\n\r\n').encode('latin-1') + self.read_body())
      _relay(self.connection, upstream, self.server)

  def read_body_quietly(self):
    try:
      self.read_body()
    except ValueError:
      pass

  do_CONNECT = LabHandler._dispatch


def _relay(client, upstream, listener):
  """Copies both ways until both sides have closed."""
  def pump(source, sink, direction):
    try:
      while True:
        data = source.recv(16384)
        if not data:
          break
        sink.sendall(data)
        listener.count(**{direction: len(data)})
    except OSError:
      pass
    try:
      sink.shutdown(socket.SHUT_WR)
    except OSError:
      pass

  upward = threading.Thread(target=pump, args=(client, upstream, 'received'), daemon=True)
  upward.start()
  pump(upstream, client, 'sent')
  upward.join()


class ControlHandler(LabHandler):
  def route(self, method, path, query):
    lab = self.lab
    if path == '/' and method == 'GET':
      self.send_json(200, dict(lab.description(), faults=lab.faults_snapshot()))
    elif path == '/faults' and method == 'GET':
      self.send_json(200, lab.faults_snapshot())
    elif path == '/faults/reset' and method == 'POST':
      self.read_body()
      for name in FAULTS:
        lab.set_fault(name, False)
      self.send_json(200, lab.faults_snapshot())
    elif path.startswith('/fault/') and method == 'POST':
      name = path[len('/fault/'):]
      body = self.read_json()
      if name not in FAULTS:
        return self.send_json(404, {'error': f'unknown fault "{name}"', 'faults': sorted(FAULTS)})
      if not isinstance(body.get('on'), bool):
        return self.send_json(400, {'error': 'body must be {"on": true} or {"on": false}'})
      lab.set_fault(name, body['on'])
      self.send_json(200, {name: lab.fault(name)})
    elif path == '/state' and method == 'GET':
      self.send_json(200, lab.state())
    elif path == '/options' and method == 'GET':
      self.send_json(200, lab.options_snapshot())
    elif path == '/options' and method == 'POST':
      try:
        self.send_json(200, lab.set_options(self.read_json()))
      except LabError as error:
        self.send_json(400, {'error': str(error)})
    elif path in ('/approve', '/deny') and method == 'POST':
      body = self.read_json()
      code = body.get('user_code') or lab.newest_pending_code()
      if code is None:
        return self.send_json(404, {'error': 'no pending device grant'})
      status, message = lab.decide(code, path == '/approve', body.get('user') or 'demo')
      self.send_json(status, {'user_code': code, 'message': message} if status == 200
                     else {'error': message, 'user_code': code})
    else:
      super().route(method, path, query)


# ---------------------------------------------------------------- the lab

class Grant:
  def __init__(self, client_id, scope, user_code, expires_in, interval):
    self.device_code = secrets.token_urlsafe(32)
    self.user_code = user_code
    self.client_id = client_id
    self.scope = scope
    self.created = time.monotonic()
    self.expires_at = self.created + expires_in
    self.interval = interval
    self.last_poll = None
    self.polls = 0
    self.state = 'pending'  # approved, denied, used
    self.user = None


def _normalize_user_code(code):
  return ''.join(c for c in code.upper() if c.isalnum())


class Lab:
  OPTION_TYPES = {'interval': int, 'expires_in': int, 'slow_down_step': int, 'token_lifetime': int}

  def __init__(self, directory, options, quiet=False):
    self.directory = directory
    self.quiet = quiet
    self.lock = threading.Lock()
    self.faults = {name: False for name in FAULTS}
    self.options = {'interval': options.interval, 'expires_in': options.expires_in,
                    'slow_down_step': options.slow_down_step,
                    'token_lifetime': options.token_lifetime}
    self.probe_interval = options.probe_interval
    self.verification_https = options.verification_https
    self.grants = {}
    self.access_tokens = {}
    self.refresh_tokens = {}
    self.listeners = {}
    self.urls = {}
    self.files = {}
    self.ports = {}

  def log(self, role, message):
    if not self.quiet:
      print(f'lab[{role}] {message}', file=sys.stderr, flush=True)

  # -- setup

  def start(self, base_port):
    files = make_pki(self.directory)
    self.files = {'ca': files['lab-ca'], 'private_ca': files['private-ca'], 'rogue_ca': files['rogue-ca']}
    lab_tls = _server_context(self.directory, 'lab-leaf')
    private_tls = _server_context(self.directory, 'private-leaf')
    rogue_tls = _server_context(self.directory, 'rogue-leaf')

    def pick(good, fault):
      return lambda: rogue_tls if self.fault(fault) else good

    roles = {
      'control': (_http_role(ControlHandler), None),
      'web': (_http_role(WebHandler), None),
      'edge': (serve_edge, pick(lab_tls, 'wrong-cert')),
      'private_edge': (serve_edge, pick(private_tls, 'private-wrong-cert')),
      'idp': (_http_role(IdpHandler), pick(lab_tls, 'idp-wrong-cert')),
      'dx': (_http_role(DxHandler), lambda: lab_tls),
      'dr': (_http_role(DrHandler), lambda: lab_tls),
      'proxy': (_http_role(ProxyHandler), None),
    }
    try:
      for offset, role in enumerate(ROLES):
        port = base_port + offset if base_port else 0
        if role == 'local_proxy':
          self.ports[role] = port or _free_port()
          continue
        serve, tls = roles[role]
        listener = Listener(self, role, port, serve, tls)
        listener.start()
        self.listeners[role] = listener
        self.ports[role] = listener.port
    except LabError:
      self.stop()
      raise

    web = f'http://{HOST}:{self.ports["web"]}'
    issuer = f'https://{HOST}:{self.ports["idp"]}{ISSUER_PATH}'
    self.urls = {
      'control': f'http://{HOST}:{self.ports["control"]}',
      'probe': f'{web}/generate_204',
      'portal_login': f'{web}/portal/login',
      'verification': f'{issuer}/device' if self.verification_https else f'{web}/device',
      'support': f'{web}/support',
      'web': f'{web}/',
      'issuer': issuer,
      'dx': f'https://{HOST}:{self.ports["dx"]}/',
      'dr': f'https://{HOST}:{self.ports["dr"]}/dr/status',
      'proxy': f'http://{HOST}:{self.ports["proxy"]}',
    }
    self._write_profiles()

  def _profile(self, chained):
    security = {
      'enabled': True,
      'edge': f'{HOST}:{self.ports["edge"]}',
      'ca_file': self.files['ca'],
      'tunnel': 'proxy',
      'local_proxy': f'{HOST}:{self.ports["local_proxy"]}',
    }
    if chained:
      security['upstream_proxy'] = self.urls['proxy']
    return {
      'name': 'Portcullis Lab',
      'ca_file': self.files['ca'],
      'support': {'contact': 'the Portcullis lab helpdesk', 'url': self.urls['support']},
      'probe_interval_s': self.probe_interval,
      'fail_close': False,
      'captive_portal': {'probe_url': self.urls['probe'], 'expected_status': 204,
                         'fail_open_minutes': 10},
      'disaster_recovery': {'status_url': self.urls['dr']},
      'auth': {'issuer': self.urls['issuer'], 'client_id': 'portcullis', 'ca_file': self.files['ca']},
      'internet_security': security,
      'private_access': {'enabled': True, 'edge': f'{HOST}:{self.ports["private_edge"]}',
                         'root_ca_file': self.files['private_ca']},
      'digital_experience': {'enabled': True, 'server_url': self.urls['dx']},
    }

  def _write_profiles(self):
    self.files['profile'] = os.path.join(self.directory, 'profile.json')
    self.files['profile_direct'] = os.path.join(self.directory, 'profile-direct.json')
    _write_json(self.files['profile'], self._profile(chained=True))
    _write_json(self.files['profile_direct'], self._profile(chained=False))

  def description(self):
    return {'pid': os.getpid(), 'dir': self.directory, 'control_url': self.urls['control'],
            'ports': dict(self.ports), 'urls': dict(self.urls), 'files': dict(self.files),
            'faults': sorted(FAULTS)}

  def stop(self):
    for listener in self.listeners.values():
      listener.stop()

  # -- faults and options

  def fault(self, name):
    with self.lock:
      return self.faults[name]

  def faults_snapshot(self):
    with self.lock:
      return dict(self.faults)

  def set_fault(self, name, on):
    with self.lock:
      changed = self.faults[name] != on
      self.faults[name] = on
    if changed:
      self.log('control', f'fault {name} {"on" if on else "off"}')
    # Listener faults follow the flag even when it did not change, so a
    # repeated "off" always leaves the role listening.
    listener = {'edge-down': 'edge', 'dx-down': 'dx'}.get(name)
    if listener:
      (self.listeners[listener].down if on else self.listeners[listener].up)()

  def options_snapshot(self):
    with self.lock:
      return dict(self.options)

  def set_options(self, values):
    for key, value in values.items():
      if key not in self.OPTION_TYPES:
        raise LabError(f'unknown option "{key}" (known: {", ".join(sorted(self.OPTION_TYPES))})')
      if not isinstance(value, int) or isinstance(value, bool) or value < (0 if key == 'slow_down_step' else 1):
        raise LabError(f'option "{key}" wants a positive integer')
    with self.lock:
      self.options.update(values)
      return dict(self.options)

  def state(self):
    now = time.monotonic()
    with self.lock:
      grants = [{'user_code': g.user_code, 'state': g.state, 'client_id': g.client_id,
                 'scope': g.scope, 'user': g.user, 'interval': g.interval, 'polls': g.polls,
                 'expires_in': round(g.expires_at - now, 1)} for g in self.grants.values()]
      answer = {'faults': dict(self.faults), 'options': dict(self.options), 'grants': grants,
                'access_tokens': len(self.access_tokens), 'refresh_tokens': len(self.refresh_tokens)}
    answer['roles'] = {role: listener.counters() for role, listener in self.listeners.items()}
    return answer

  # -- the identity provider

  def discovery(self):
    issuer = self.urls['issuer']
    return {
      'issuer': issuer,
      'authorization_endpoint': f'{issuer}/auth',
      'device_authorization_endpoint': f'{issuer}/device/auth',
      'token_endpoint': f'{issuer}/token',
      'userinfo_endpoint': f'{issuer}/userinfo',
      'jwks_uri': f'{issuer}/jwks',
      'grant_types_supported': ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      'response_types_supported': ['code'],
      'subject_types_supported': ['public'],
      'id_token_signing_alg_values_supported': ['none'],
      'token_endpoint_auth_methods_supported': ['none'],
      'scopes_supported': ['openid', 'profile', 'email', 'offline_access'],
    }

  def new_grant(self, client_id, scope):
    with self.lock:
      while True:
        raw = ''.join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
        user_code = f'{raw[:4]}-{raw[4:]}'
        if all(g.user_code != user_code for g in self.grants.values()):
          break
      grant = Grant(client_id, scope, user_code, self.options['expires_in'], self.options['interval'])
      if self.faults['auto-approve']:
        grant.state, grant.user = 'approved', 'demo'
      self.grants[grant.device_code] = grant
    self.log('idp', f'device grant {user_code} for {client_id} ({grant.state})')
    verification = self.urls['verification']
    return {
      'device_code': grant.device_code,
      'user_code': user_code,
      'verification_uri': verification,
      'verification_uri_complete': f'{verification}?user_code={user_code}',
      'expires_in': self.options['expires_in'],
      'interval': grant.interval,
    }

  def newest_pending_code(self):
    with self.lock:
      pending = [g for g in self.grants.values() if g.state == 'pending' and g.expires_at > time.monotonic()]
      return max(pending, key=lambda g: g.created).user_code if pending else None

  def decide(self, user_code, approve, user):
    """The user's answer on the verification page: (HTTP status, message)."""
    wanted = _normalize_user_code(user_code)
    with self.lock:
      grant = next((g for g in self.grants.values() if _normalize_user_code(g.user_code) == wanted), None)
      if grant is None or not wanted:
        return 404, f'The code "{user_code}" is unknown.'
      if grant.expires_at <= time.monotonic():
        return 410, f'The code {grant.user_code} has expired; start the sign-in again.'
      if grant.state != 'pending':
        return 409, f'The code {grant.user_code} was already {grant.state}.'
      grant.state = 'approved' if approve else 'denied'
      grant.user = user if approve else None
    self.log('idp', f'device grant {grant.user_code} {grant.state}')
    return 200, (f'Signed in as {user}. You can close this window.' if approve
                 else 'Sign-in refused. You can close this window.')

  def _issue_tokens(self, user, scope):
    lifetime = self.options['token_lifetime']
    access = secrets.token_urlsafe(32)
    refresh = secrets.token_urlsafe(32)
    self.access_tokens[access] = (user, time.monotonic() + lifetime)
    self.refresh_tokens[refresh] = (user, scope)
    return {'access_token': access, 'token_type': 'Bearer', 'expires_in': lifetime,
            'refresh_token': refresh, 'scope': scope}

  def token(self, form):
    """The token endpoint: (HTTP status, JSON answer)."""
    grant_type = form.get('grant_type', '')
    if not form.get('client_id'):
      return 400, {'error': 'invalid_request', 'error_description': 'client_id is required'}
    if grant_type == 'urn:ietf:params:oauth:grant-type:device_code':
      return self._poll(form)
    if grant_type == 'refresh_token':
      return self._refresh(form)
    return 400, {'error': 'unsupported_grant_type', 'error_description': f'grant_type "{grant_type}"'}

  def _poll(self, form):
    def error(code, description):
      self.log('idp', f'token: {code}')
      return 400, {'error': code, 'error_description': description}

    now = time.monotonic()
    with self.lock:
      grant = self.grants.get(form.get('device_code', ''))
      if grant is None or grant.state == 'used':
        return error('invalid_grant', 'unknown or already used device_code')
      if grant.client_id != form['client_id']:
        return error('invalid_grant', 'device_code was issued to another client')
      grant.polls += 1
      too_fast = grant.last_poll is not None and now - grant.last_poll < grant.interval - 0.05
      grant.last_poll = now
      if self.faults['idp-expire'] or now >= grant.expires_at:
        return error('expired_token', 'the device code has expired')
      if self.faults['idp-reject'] or grant.state == 'denied':
        return error('access_denied', 'the user or the identity provider refused the sign-in')
      if self.faults['idp-slow-down'] or too_fast:
        grant.interval += self.options['slow_down_step']
        return error('slow_down', f'poll at most every {grant.interval} s')
      if grant.state == 'pending':
        return error('authorization_pending', 'waiting for the user')
      grant.state = 'used'
      answer = self._issue_tokens(grant.user, grant.scope)
    self.log('idp', f'token issued to {grant.user}')
    return 200, answer

  def _refresh(self, form):
    with self.lock:
      entry = self.refresh_tokens.get(form.get('refresh_token', ''))
      if self.faults['idp-reject'] or self.faults['idp-expire'] or entry is None:
        return 400, {'error': 'invalid_grant', 'error_description': 'refresh token refused'}
      # Rotation: the old refresh token is spent.
      del self.refresh_tokens[form['refresh_token']]
      answer = self._issue_tokens(*entry)
    self.log('idp', f'token refreshed for {entry[0]}')
    return 200, answer

  def user_for_token(self, token):
    with self.lock:
      entry = self.access_tokens.get(token)
      if entry is None or entry[1] <= time.monotonic():
        return None
      return entry[0]


def _free_port():
  with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
    sock.bind((HOST, 0))
    return sock.getsockname()[1]


def _write_json(path, value):
  temporary = path + '.tmp'
  with open(temporary, 'w') as file:
    json.dump(value, file, indent=2)
    file.write('\n')
  os.replace(temporary, path)


# ---------------------------------------------------------------- commands

def serve(args):
  own_directory = args.dir is None
  directory = tempfile.mkdtemp(prefix='portcullis-lab-') if own_directory else os.path.abspath(args.dir)
  os.makedirs(directory, mode=0o700, exist_ok=True)
  lab_json = os.path.join(directory, 'lab.json')
  if os.path.exists(lab_json):
    os.unlink(lab_json)  # a crashed lab's: lab.json appearing means this one is ready
  lab = Lab(directory, args, quiet=args.quiet)
  stop = threading.Event()
  for signum in (signal.SIGTERM, signal.SIGINT):
    signal.signal(signum, lambda *_: stop.set())
  try:
    lab.start(args.base_port)
    for name in args.fault:
      lab.set_fault(name, True)
    description = lab.description()
    _write_json(lab_json, description)
    print(json.dumps(description), flush=True)
    lab.log('control', f'ready; control at {lab.urls["control"]}, profile {lab.files["profile"]}')
    while not stop.wait(3600):
      pass
    lab.log('control', 'stopping')
  except LabError as error:
    print(f'lab: {error}', file=sys.stderr)
    return 1
  finally:
    lab.stop()
    if os.path.exists(lab_json):
      os.unlink(lab_json)
    if own_directory:
      shutil.rmtree(directory, ignore_errors=True)
  return 0


def _control_url(args):
  if args.url:
    return args.url.rstrip('/')
  directory = args.dir or os.environ.get('PC_LAB_DIR')
  if not directory:
    raise LabError('say where the lab is: --dir DIR, --url URL or PC_LAB_DIR')
  try:
    with open(os.path.join(directory, 'lab.json')) as file:
      return json.load(file)['control_url'].rstrip('/')
  except OSError as error:
    raise LabError(f'no lab running in {directory}: {error.strerror}') from error


def control_request(base_url, method, path, body=None):
  """One request to the control endpoint: (HTTP status, JSON answer)."""
  data = json.dumps(body).encode() if body is not None else None
  request = urllib.request.Request(base_url + path, data=data, method=method,
                                   headers={'Content-Type': 'application/json'})
  opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy
  try:
    with opener.open(request, timeout=10) as response:
      return response.status, json.load(response)
  except urllib.error.HTTPError as error:
    return error.code, json.load(error)
  except urllib.error.URLError as error:
    raise LabError(f'cannot reach the lab at {base_url}: {error.reason}') from error


def ctl(args):
  try:
    base = _control_url(args)
    command = args.command
    if command == 'faults':
      status, answer = control_request(base, 'GET', '/faults')
    elif command == 'state':
      status, answer = control_request(base, 'GET', '/state')
    elif command == 'reset':
      status, answer = control_request(base, 'POST', '/faults/reset', {})
    elif command == 'fault':
      if len(args.words) != 2 or args.words[1] not in ('on', 'off'):
        raise LabError('usage: lab.py ctl fault NAME on|off')
      status, answer = control_request(base, 'POST', f'/fault/{args.words[0]}',
                                       {'on': args.words[1] == 'on'})
    elif command in ('approve', 'deny'):
      if len(args.words) > 1:
        raise LabError(f'usage: lab.py ctl {command} [USER_CODE]')
      body = {'user': args.user}
      if args.words:
        body['user_code'] = args.words[0]
      status, answer = control_request(base, 'POST', f'/{command}', body)
    elif command == 'set':
      values = {}
      for word in args.words:
        key, sep, value = word.partition('=')
        if not sep or not value.isdigit():
          raise LabError(f'"{word}": expected KEY=NUMBER')
        values[key] = int(value)
      status, answer = control_request(base, 'POST', '/options', values)
    else:
      raise LabError(f'unknown command "{command}"')
  except LabError as error:
    print(f'lab ctl: {error}', file=sys.stderr)
    return 1
  print(json.dumps(answer, indent=1))
  if status != 200:
    print(f'lab ctl: {answer.get("error", status)}', file=sys.stderr)
    return 1
  return 0


def main(argv):
  if argv[:1] == ['ctl']:
    parser = argparse.ArgumentParser(prog='lab.py ctl', description='Drive a running Portcullis lab.')
    where = parser.add_mutually_exclusive_group()
    where.add_argument('--dir', help='the lab directory (default $PC_LAB_DIR)')
    where.add_argument('--url', help='the control URL')
    parser.add_argument('--user', default='demo', help='user name for approve')
    parser.add_argument('command', choices=['faults', 'state', 'reset', 'fault', 'approve', 'deny', 'set'])
    parser.add_argument('words', nargs='*')
    return ctl(parser.parse_args(argv[1:]))

  if argv[:1] == ['serve']:
    argv = argv[1:]
  parser = argparse.ArgumentParser(prog='lab.py', description='Play every Portcullis cloud role on loopback.',
                                   epilog='See the top of this file and README.md, "The lab".')
  parser.add_argument('--dir', help='work here instead of a temporary directory (kept on exit)')
  parser.add_argument('--base-port', type=int, default=0,
                      help=f'fixed ports N..N+{len(ROLES) - 1} ({", ".join(ROLES)})')
  parser.add_argument('--fault', action='append', default=[], choices=sorted(FAULTS),
                      help='start with this fault on (repeatable)')
  parser.add_argument('--interval', type=int, default=5, help='device-flow polling interval (s)')
  parser.add_argument('--expires-in', type=int, default=600, help='device code lifetime (s)')
  parser.add_argument('--slow-down-step', type=int, default=5, help='seconds slow_down adds to the interval')
  parser.add_argument('--token-lifetime', type=int, default=3600, help='access token lifetime (s)')
  parser.add_argument('--probe-interval', type=int, default=15, help='probe_interval_s in the profile')
  parser.add_argument('--auto-approve', action='store_true', help='same as --fault auto-approve')
  parser.add_argument('--verification-https', action='store_true',
                      help='verification_uri on the IdP (https, lab CA) instead of the plain-http web role')
  parser.add_argument('-q', '--quiet', action='store_true', help='no request log on stderr')
  args = parser.parse_args(argv)
  if args.auto_approve:
    args.fault.append('auto-approve')
  if args.base_port and not 1024 <= args.base_port <= 65535 - len(ROLES):
    parser.error('--base-port must leave room for every role below 65536')
  return serve(args)


if __name__ == '__main__':
  sys.exit(main(sys.argv[1:]))
