#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""portcullisd's sign-in: the OAuth 2.0 device authorization grant
(RFC 8628) with OIDC discovery against the lab's identity provider,
end to end: approval, denial, expiry, slow_down, a refreshed token,
an interception (IdP certificate from another CA), the saved token."""

import json
import os
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe_harness import (IS, PA, DX, Lab, Service, check, check_equal,  # noqa: E402
                           run_tests, wait_for)

from gi.repository import GLib  # noqa: E402


def with_lab(function, *lab_args):
  def run(directory):
    lab = Lab(directory, '--interval', '1', *lab_args)
    try:
      function(directory, lab)
    finally:
      lab.stop()
  return run


def login(service):
  return service.manager_call('Login', GLib.Variant('(s)', ('demo',)))[0]


def authenticate(service, module):
  return service.module_call(module, 'Authenticate')[0]


def newest_grant(lab):
  grants = lab.state()['grants']
  check(grants, 'the lab saw a device grant')
  return grants[-1]


def check_authenticating(service, url, lab):
  check(url.startswith(lab.info['urls']['verification'] + '?user_code='), f'verification URL: {url!r}')
  for module in (IS, PA):
    state = service.wait_error(module, 'authenticating', timeout=5)
    check_equal(state['Status'], 'connecting', f'{module} Status')
    check_equal(state['FailMode'], '', f'{module} FailMode')
    check_equal(service.get(module, 'AuthStatus'), 'authenticating', f'{module} AuthStatus')
  # Digital Experience does not sign in.
  service.wait_error(DX, '')


def check_token_file(service):
  path = os.path.join(service.state_dir, 'token.json')
  wait_for(lambda: os.path.exists(path), 5, 'token.json')
  check_equal(stat.S_IMODE(os.stat(path).st_mode), 0o600, 'token.json mode')
  with open(path) as file:
    return json.load(file)


def approve(directory, lab):
  service = Service(directory, lab.profile(), login=False)
  try:
    for module in (IS, PA):
      check_equal(service.get(module, 'AuthStatus'), 'required', f'{module} AuthStatus before login')
    url = login(service)
    check_authenticating(service, url, lab)
    user_code = url.split('user_code=')[1]
    check_equal(newest_grant(lab)['user_code'], user_code, 'user code')

    lab.control_call('POST', '/approve', {'user_code': user_code, 'user': 'demo'})
    for module in (IS, PA, DX):
      service.wait_error(module, '', timeout=5)
      check_equal(service.get(module, 'AuthStatus'), 'authenticated', f'{module} AuthStatus')
    token = check_token_file(service)
    check(token['access_token'] and token['refresh_token'], f'tokens kept: {sorted(token)}')
    check_equal(newest_grant(lab)['state'], 'used', 'grant state')
  finally:
    service.stop()


def reload_while_waiting(directory, lab):
  service = Service(directory, lab.profile(), login=False)
  try:
    url = login(service)
    check_authenticating(service, url, lab)
    # A new profile (the same issuer) while the device flow waits.
    service.manager_call('UpdatePolicy')
    time.sleep(1.5)
    lab.control_call('POST', '/approve', {'user_code': url.split('user_code=')[1]})
    for module in (IS, PA):
      service.wait_error(module, '', timeout=8)
  finally:
    service.stop()


def deny(directory, lab):
  service = Service(directory, lab.profile(), login=False)
  try:
    url = login(service)
    check_authenticating(service, url, lab)
    lab.control_call('POST', '/deny', {'user_code': url.split('user_code=')[1]})
    for module in (IS, PA):
      state = service.wait_error(module, 'authentication-error', timeout=5)
      check_equal(state['ErrorDetail'], 'The identity provider refused the sign-in (access_denied)',
                  f'{module} ErrorDetail')
      check_equal(state['FailMode'], '', f'{module} FailMode')
      check_equal(service.get(module, 'AuthStatus'), 'error', f'{module} AuthStatus')

    # Authenticate starts over; approval clears it.
    url = authenticate(service, PA)
    check_authenticating(service, url, lab)
    lab.control_call('POST', '/approve', {'user_code': url.split('user_code=')[1]})
    for module in (IS, PA):
      service.wait_error(module, '', timeout=5)
  finally:
    service.stop()


def expire(directory, lab):
  lab.control_call('POST', '/options', {'expires_in': 2})
  service = Service(directory, lab.profile(), login=False)
  try:
    url = login(service)
    check_authenticating(service, url, lab)
    state = service.wait_error(IS, 'authentication-error', timeout=6)
    check(state['ErrorDetail'].startswith('The sign-in code expired before it was approved'),
          f'ErrorDetail: {state}')
    lab.control_call('POST', '/options', {'expires_in': 600})
    url = authenticate(service, IS)
    lab.control_call('POST', '/approve', {'user_code': url.split('user_code=')[1]})
    service.wait_error(IS, '', timeout=5)
  finally:
    service.stop()


def slow_down(directory, lab):
  service = Service(directory, lab.profile(), login=False)
  try:
    lab.fault('idp-slow-down')
    url = login(service)
    check_authenticating(service, url, lab)
    wait_for(lambda: newest_grant(lab)['polls'] >= 1, 5, 'a first poll')
    lab.fault('idp-slow-down', False)
    lab.control_call('POST', '/approve', {'user_code': url.split('user_code=')[1]})
    # The service now waits 1 + 5 s between polls; polling faster would
    # earn another slow_down from the lab, and never a token.
    started = time.monotonic()
    service.wait_error(IS, '', timeout=15)
    waited = time.monotonic() - started
    grant = newest_grant(lab)
    check(grant['interval'] >= 6, f'the lab raised the interval: {grant}')
    check(grant['polls'] <= 3, f'no poll came too early: {grant}')
    check(waited > 3, f'the next poll honoured slow_down (after {waited:.1f} s)')
  finally:
    service.stop()


def refresh(directory, lab):
  service = Service(directory, lab.profile(), login=False)
  try:
    url = login(service)
    lab.control_call('POST', '/approve', {'user_code': url.split('user_code=')[1]})
    service.wait_error(IS, '', timeout=5)
    first = check_token_file(service)

    # Tokens live 2 s here: refreshed at half-life, again and again.
    wait_for(lambda: check_token_file(service)['access_token'] != first['access_token'], 5, 'a refreshed token')
    second = check_token_file(service)
    check(second['refresh_token'] != first['refresh_token'], 'the refresh token rotated')
    check_equal(service.state(IS)['Error'], '', 'IS stays on')

    # The IdP stops accepting the token.
    lab.fault('idp-reject')
    for module in (IS, PA):
      state = service.wait_error(module, 'authentication-error', timeout=5)
      check_equal(state['ErrorDetail'], 'The identity provider rejected the session token (invalid_grant)',
                  f'{module} ErrorDetail')
    lab.fault('idp-reject', False)
    url = authenticate(service, IS)
    lab.control_call('POST', '/approve', {'user_code': url.split('user_code=')[1]})
    service.wait_error(IS, '', timeout=5)
    service.wait_error(PA, '', timeout=5)
  finally:
    service.stop()


def interception(directory, lab):
  lab.fault('idp-wrong-cert')
  service = Service(directory, lab.profile(), login=False)
  try:
    try:
      login(service)
      raise AssertionError('Login succeeded through an intercepting peer')
    except GLib.Error as error:
      check('io.github.Portcullis1.Error.Failed' in error.message, f'D-Bus error: {error.message}')
      check('identity provider' in error.message, f'says what failed: {error.message}')
    state = service.wait_error(IS, 'intermediate-authentication-error', timeout=5)
    check(state['ErrorDetail'].startswith('Reaching the identity provider: '), f'ErrorDetail: {state}')
    check_equal(state['FailMode'], '', 'FailMode')
    check_equal(service.get(IS, 'AuthStatus'), 'error', 'AuthStatus')
    # Private Access has no interception code of its own.
    state = service.wait_error(PA, 'authentication-error', timeout=5)
    check(state['ErrorDetail'].startswith('Reaching the identity provider: '), f'PA ErrorDetail: {state}')

    lab.fault('idp-wrong-cert', False)
    url = authenticate(service, IS)
    lab.control_call('POST', '/approve', {'user_code': url.split('user_code=')[1]})
    service.wait_error(IS, '', timeout=5)
  finally:
    service.stop()


def saved_token(directory, lab):
  service = Service(directory, lab.profile(), login=False)
  state_dir = service.state_dir
  try:
    url = login(service)
    lab.control_call('POST', '/approve', {'user_code': url.split('user_code=')[1]})
    service.wait_error(IS, '', timeout=5)
    check_token_file(service)
  finally:
    service.stop()

  grants = len(lab.state()['grants'])
  service = Service(directory, lab.profile(), login=False, state_dir=state_dir)
  try:
    for module in (IS, PA):
      service.wait_error(module, '', timeout=5)
    check_equal(len(lab.state()['grants']), grants, 'no new sign-in was needed')

    # Logging out drops the token.
    service.manager_call('Logout', GLib.Variant('(s)', ('',)))
    wait_for(lambda: not os.path.exists(os.path.join(state_dir, 'token.json')), 5, 'token.json removed')
    for module in (IS, PA):
      wait_for(lambda: service.state(module)['Status'] == 'off', 5, f'{module} off')
      check_equal(service.state(module)['Error'], '', f'{module} Error after logout')
  finally:
    service.stop()


TESTS = [
  ('login shows authenticating, approval brings everything on, token kept 0600', with_lab(approve)),
  ('a profile reload while the sign-in waits keeps polling', with_lab(reload_while_waiting)),
  ('the user denies: authentication-error, Authenticate starts over', with_lab(deny)),
  ('the code expires unapproved: authentication-error', with_lab(expire)),
  ('slow_down lengthens the polling interval', with_lab(slow_down)),
  ('the token is refreshed; a refused refresh is an authentication-error', with_lab(refresh, '--token-lifetime', '2')),
  ('IdP certificate from another CA: intermediate-authentication-error', with_lab(interception)),
  ('a saved token survives a restart; logout drops it', with_lab(saved_token)),
]

if __name__ == '__main__':
  sys.exit(run_tests(TESTS))
