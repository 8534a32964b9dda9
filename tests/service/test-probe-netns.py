#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""portcullisd's detection of this machine's own conditions, in a private
network namespace (the harness re-runs the script under `unshare --net`):
the network going away, a local firewall rule, the tun driver, rescue mode.
Each code is asserted with ErrorDetail and FailMode, and cleared when the
condition is removed."""

import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe_harness import (IS, PA, DX, NETNS_LINK, Lab, Service, check, check_equal,  # noqa: E402
                           ip, run_tests, wait_for)


def with_lab(function):
  def run(directory):
    lab = Lab(directory)
    try:
      function(directory, lab)
    finally:
      lab.stop()
  return run


def network_error(directory, lab):
  service = Service(directory, lab.profile())
  try:
    for module in (IS, PA, DX):
      service.wait_error(module, '')
    check_equal(service.get(None, 'Network'), 'online', 'Network')

    # The link carrying the default route goes down.
    started = time.monotonic()
    ip('link', 'set', NETNS_LINK, 'down')
    for module in (IS, PA, DX):
      service.wait_error(module, 'network-error', timeout=1)
    # The kernel may announce the route's removal before the link's: the
    # detail settles on the link, within the same second.
    for module in (IS, PA, DX):
      wait_for(lambda: service.state(module)['ErrorDetail'] == 'No network interface is up',
               max(0.0, 1.0 - (time.monotonic() - started)), f'{module} ErrorDetail')
      state = service.state(module)
      check_equal(state['Status'], 'error', f'{module} Status')
      check_equal(state['ErrorDetail'], 'No network interface is up', f'{module} ErrorDetail')
      check_equal(state['FailMode'], '', f'{module} FailMode')
    elapsed = time.monotonic() - started
    check(elapsed < 1.0, f'network-error after {elapsed:.3f} s')
    print(f'# network-error {elapsed * 1000:.0f} ms after the link went down', flush=True)
    check_equal(service.get(None, 'Network'), 'none', 'Network')

    # The kernel dropped the route with the link; both come back.
    ip('link', 'set', NETNS_LINK, 'up')
    ip('route', 'replace', 'default', 'via', '198.18.0.2', 'dev', NETNS_LINK)
    for module in (IS, PA, DX):
      service.wait_error(module, '', timeout=5)
    check_equal(service.get(None, 'Network'), 'online', 'Network')

    # The link stays, the default route goes.
    ip('route', 'del', 'default')
    state = service.wait_error(IS, 'network-error', timeout=1)
    check_equal(state['ErrorDetail'], 'No default route', 'ErrorDetail')
    ip('route', 'add', 'default', 'via', '198.18.0.2', 'dev', NETNS_LINK)
    service.wait_error(IS, '', timeout=5)
  finally:
    ip('link', 'set', NETNS_LINK, 'up')
    subprocess.run(['ip', 'route', 'replace', 'default', 'via', '198.18.0.2', 'dev', NETNS_LINK])
    service.stop()


def nft(script):
  subprocess.run(['nft', '-f', '-'], input=script, text=True, check=True)


def block_edge(port, verdict):
  # "th dport": TCP and UDP alike, as a real endpoint firewall rule would.
  nft(f'''table inet pc_test {{
  chain output {{
    type filter hook output priority 0; policy accept;
    ip daddr 127.0.0.1 th dport {port} {verdict}
  }}
}}
''')


def unblock_edge():
  subprocess.run(['nft', 'delete', 'table', 'inet', 'pc_test'], check=False,
                 stderr=subprocess.DEVNULL)


def proxy_get(port, url):
  with socket.create_connection(('127.0.0.1', port), timeout=15) as sock:
    sock.sendall(f'GET {url} HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n'.encode())
    answer = b''
    while chunk := sock.recv(4096):
      answer += chunk
  return answer


def firewall(verdict, fail_close):
  def run(directory, lab):
    edge_port = lab.info['ports']['edge']
    proxy_port = lab.info['ports']['local_proxy']
    service = Service(directory, lab.profile(direct=True, fail_close=fail_close))
    try:
      service.wait_error(IS, '')
      block_edge(edge_port, verdict)
      service.retry(IS)
      if fail_close:
        state = service.wait_error(IS, 'fail-close', timeout=10)
        check_equal(state['ErrorDetail'], 'Endpoint FW/AV Error', 'ErrorDetail')
        check_equal(state['FailMode'], 'fail-close', 'FailMode')
        # Nothing is forwarded.
        answer = proxy_get(proxy_port, lab.info['urls']['web'] + '/')
        check(answer.startswith(b'HTTP/1.1 403'), f'fail-close blocks: {answer[:120]!r}')
      else:
        state = service.wait_error(IS, 'endpoint-fw-av-error', timeout=10)
        check_equal(state['ErrorDetail'],
                    f'Traffic to 127.0.0.1:{edge_port} is blocked on this computer: Operation not permitted',
                    'ErrorDetail')
        check_equal(state['FailMode'], 'fail-open', 'FailMode')
        # Fail-open: the local proxy goes straight to the target, not the edge.
        answer = proxy_get(proxy_port, lab.info['urls']['web'] + '/')
        check(answer.startswith(b'HTTP/1.') and b' 200 ' in answer.split(b'\r\n')[0],
              f'fail-open forwards: {answer[:200]!r}')
      # The private edge is another port: Private Access does not care.
      check_equal(service.state(PA)['Error'], '', 'PA Error')

      unblock_edge()
      service.retry(IS)
      service.wait_error(IS, '')
      answer = proxy_get(proxy_port, lab.info['urls']['web'] + '/via-edge')
      check(b'/via-edge' in answer and b' 200 ' in answer.split(b'\r\n')[0],
            f'through the edge again: {answer[:200]!r}')
    finally:
      unblock_edge()
      service.stop()
  return with_lab(run)


def tun_profile(lab, **changes):
  return lab.profile(direct=True, internet_security__tunnel='tun', internet_security__local_proxy=None,
                     **changes)


def driver_error_missing_device(directory, lab):
  sysroot = os.path.join(directory, 'sysroot')
  os.makedirs(os.path.join(sysroot, 'dev', 'net'))
  os.makedirs(os.path.join(sysroot, 'proc'))
  with open(os.path.join(sysroot, 'proc', 'cmdline'), 'w') as file:
    file.write('BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet\n')
  service = Service(directory, tun_profile(lab, internet_security__tun_device='pctest0'), sysroot=sysroot)
  try:
    state = service.wait_error(IS, 'driver-error')
    check_equal(state['ErrorDetail'],
                f'Cannot open the tunnel driver {sysroot}/dev/net/tun: No such file or directory', 'ErrorDetail')
    check_equal(state['FailMode'], 'fail-open', 'FailMode')

    # The driver appears: the interface is created.
    os.mknod(os.path.join(sysroot, 'dev', 'net', 'tun'), 0o600 | 0o020000, os.makedev(10, 200))
    service.retry(IS)
    service.wait_error(IS, '')
    links = subprocess.run(['ip', '-o', 'link', 'show', 'pctest0'], capture_output=True, text=True)
    check(links.returncode == 0 and 'pctest0' in links.stdout, f'tun interface: {links.stdout}{links.stderr}')

    # Someone deletes the interface: Repair App opens the device afresh.
    ip('link', 'delete', 'pctest0')
    report, = service.manager_call('RepairApp')
    check_equal(report.get('tunnel'), 'Reopened the tunnel device pctest0', 'the report on the tunnel')
    links = subprocess.run(['ip', '-o', 'link', 'show', 'pctest0'], capture_output=True, text=True)
    check(links.returncode == 0 and 'pctest0' in links.stdout, f'tun interface after repair: {links.stdout}{links.stderr}')
  finally:
    service.stop()


def driver_fail_close(directory, lab):
  # An interface of that name that is no tun device: the driver refuses.
  ip('link', 'add', 'pcbusy0', 'type', 'veth', 'peer', 'name', 'pcbusy1')
  service = Service(directory, tun_profile(lab, fail_close=True, internet_security__tun_device='pcbusy0'))
  try:
    state = service.wait_error(IS, 'fail-close')
    check_equal(state['ErrorDetail'], 'Driver Error', 'ErrorDetail')
    check_equal(state['FailMode'], 'fail-close', 'FailMode')
    check('Cannot create the tunnel interface pcbusy0' in service.read_log(), 'the reason is logged')

    ip('link', 'del', 'pcbusy0')
    service.retry(IS)
    service.wait_error(IS, '')
  finally:
    subprocess.run(['ip', 'link', 'del', 'pcbusy0'], stderr=subprocess.DEVNULL)
    service.stop()


def rescue_mode(directory, lab):
  sysroot = os.path.join(directory, 'sysroot')
  os.makedirs(os.path.join(sysroot, 'proc'))
  cmdline = os.path.join(sysroot, 'proc', 'cmdline')
  with open(cmdline, 'w') as file:
    file.write('BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro systemd.unit=rescue.target\n')
  service = Service(directory, lab.profile(), sysroot=sysroot)
  try:
    state = service.wait_error(IS, 'fail-open')
    check_equal(state['ErrorDetail'], 'The kernel command line asks for “systemd.unit=rescue.target”',
                'ErrorDetail')
    check_equal(state['FailMode'], 'fail-open', 'FailMode')
    check_equal(service.state(DX)['Error'], '', 'DX is not concerned')

    with open(cmdline, 'w') as file:
      file.write('BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro single\n')
    service.retry(IS)
    wait_for(lambda: service.get(IS, 'ErrorDetail') == 'The kernel command line asks for “single”', 5,
             'the new reason')
    check_equal(service.state(IS)['FailMode'], 'fail-open', 'FailMode')

    with open(cmdline, 'w') as file:
      file.write('BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet\n')
    service.retry(IS)
    service.wait_error(IS, '')
  finally:
    service.stop()


def no_network_at_start(directory, lab):
  ip('route', 'del', 'default')
  try:
    service = Service(directory, lab.profile())
    try:
      for module in (IS, PA, DX):
        state = service.wait_error(module, 'network-error', timeout=2)
        check_equal(state['ErrorDetail'], 'No default route', f'{module} ErrorDetail')
      ip('route', 'add', 'default', 'via', '198.18.0.2', 'dev', NETNS_LINK)
      for module in (IS, PA, DX):
        service.wait_error(module, '', timeout=5)
    finally:
      service.stop()
  finally:
    subprocess.run(['ip', 'route', 'replace', 'default', 'via', '198.18.0.2', 'dev', NETNS_LINK])


def trusted_network(directory, lab):
  sysroot = os.path.join(directory, 'sysroot')
  os.makedirs(os.path.join(sysroot, 'etc'))
  resolv_conf = os.path.join(sysroot, 'etc', 'resolv.conf')
  with open(resolv_conf, 'w') as file:
    file.write('nameserver 127.0.0.53\nsearch lan corp.example.\n')
  profile = lab.profile(direct=True, trusted_network__dns_search_domains=['corp.example'],
                        trusted_network__resolve={'localhost': '127.0.0.1'})
  service = Service(directory, profile, sysroot=sysroot)
  proxy_port = lab.info['ports']['local_proxy']
  try:
    wait_for(lambda: service.get(None, 'NetworkType') == 'trusted', 5, 'NetworkType trusted')
    service.wait_error(IS, '')
    # No tunnel: the local proxy goes straight to the target.
    answer = proxy_get(proxy_port, lab.info['urls']['web'] + '/bytes?n=7')
    head, _, body = answer.partition(b'\r\n\r\n')
    check(b' 200 ' in head.split(b'\r\n')[0] and len(body) == 7, f'direct answer: {answer[:300]!r}')
    # Nor is the edge looked at.
    lab.fault('edge-down')
    service.retry(IS)
    time.sleep(0.5)
    check_equal(service.state(IS)['Error'], '', 'IS on a trusted network with the edge down')

    # Another network: the search domain is gone.
    with open(resolv_conf, 'w') as file:
      file.write('nameserver 127.0.0.53\nsearch lan\n')
    service.retry(IS)
    state = service.wait_error(IS, 'connection-error')
    check_equal(service.get(None, 'NetworkType'), 'off-trusted', 'NetworkType')
    check('Connection refused' in state['ErrorDetail'], f'ErrorDetail: {state}')
    lab.fault('edge-down', False)
    service.retry(IS)
    service.wait_error(IS, '')
  finally:
    service.stop()


def trusted_network_needs_every_criterion(directory, lab):
  sysroot = os.path.join(directory, 'sysroot')
  os.makedirs(os.path.join(sysroot, 'etc'))
  with open(os.path.join(sysroot, 'etc', 'resolv.conf'), 'w') as file:
    file.write('search corp.example\n')
  profile = lab.profile(direct=True, trusted_network__dns_search_domains=['corp.example'],
                        trusted_network__resolve={'localhost': '127.0.0.2'})
  service = Service(directory, profile, sysroot=sysroot)
  try:
    service.wait_error(IS, '')
    check_equal(service.get(None, 'NetworkType'), 'off-trusted', 'NetworkType')
    # One criterion fewer: trusted.
    service.stop()
    profile = lab.profile(direct=True, trusted_network__dns_search_domains=['corp.example'])
    service = Service(directory, profile, sysroot=sysroot)
    service.wait_error(IS, '')
    wait_for(lambda: service.get(None, 'NetworkType') == 'trusted', 5, 'NetworkType trusted')
  finally:
    service.stop()


TESTS = [
  ('the network goes and comes back: network-error within 1 s', with_lab(network_error)),
  ('no default route at start: network-error', with_lab(no_network_at_start)),
  ('a local rule rejects the edge: endpoint-fw-av-error, fail-open forwarding',
   firewall('reject with icmp type admin-prohibited', False)),
  ('a local rule drops the edge (connect times out): endpoint-fw-av-error', firewall('drop', False)),
  ('a local rule with fail_close: fail-close (Endpoint FW/AV Error), proxy blocks',
   firewall('reject with icmp type admin-prohibited', True)),
  ('no tun driver in the sysroot: driver-error, cleared when it appears', with_lab(driver_error_missing_device)),
  ('tun device refused with fail_close: fail-close (Driver Error)', with_lab(driver_fail_close)),
  ('rescue mode on the kernel command line: fail-open', with_lab(rescue_mode)),
  ('trusted network: NetworkType trusted, no tunnel; gone when the search domain goes',
   with_lab(trusted_network)),
  ('a trusted network needs every criterion', with_lab(trusted_network_needs_every_criterion)),
]

if __name__ == '__main__':
  sys.exit(run_tests(TESTS))
