#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""portcullisd's detection against its budgets (issue 3):

  network  the link carrying the default route goes down -> network-error
           on D-Bus (PropertiesChanged): under 1 s
  portal   a captive portal appears and the network changes ->
           captive-portal-detected: under one probe timeout (5 s)
  retry    Retry of a healthy module -> back to on: under 200 ms
  idle     between probe rounds no wakeups (context switches of every
           thread, from /proc, over --idle-seconds) and memory under 10 MB,
           judged on PSS (shared library pages counted once per sharer,
           as tray-bench.py does); RSS is printed beside it

Runs the real portcullisd (no --testing) against the lab on loopback, in a
private network namespace (as the service tests do; needs root).
Usage: service-budgets.py [network] [portal] [retry] [idle] [--rounds N]
                          [--idle-seconds N]
Prints the figures; exits 1 when one is over budget.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'service'))

from probe_harness import (IS, NETNS_LINK, Bus, Lab, Service, enter_private_network,  # noqa: E402
                           ip, network_up, wait_for)

from gi.repository import Gio, GLib  # noqa: E402

NETWORK_BUDGET_MS = 1000.0
PORTAL_BUDGET_MS = 5000.0
RETRY_BUDGET_MS = 200.0
MEMORY_BUDGET_KB = 10 * 1024


class PropertyWatch:
  """Times PropertiesChanged of one module property reaching a value."""

  def __init__(self, service, module, prop):
    self.bus = service.bus
    self.prop = prop
    self.seen = []
    self.context = GLib.MainContext.default()
    self.id = self.bus.signal_subscribe(
      'io.github.Portcullis1', 'org.freedesktop.DBus.Properties', 'PropertiesChanged',
      f'/io/github/Portcullis1/module/{module}', 'io.github.Portcullis1.Module',
      Gio.DBusSignalFlags.NONE, self._on_changed)

  def _on_changed(self, connection, sender, path, iface, signal, params):
    changed = params.unpack()[1]
    if self.prop in changed:
      self.seen.append((time.monotonic(), changed[self.prop]))

  def wait(self, value, since, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
      self.context.iteration(False)
      for when, seen in self.seen:
        if seen == value and when >= since:
          return (when - since) * 1000
      time.sleep(0.001)
    raise RuntimeError(f'{self.prop} never became {value!r}')

  def close(self):
    self.bus.signal_unsubscribe(self.id)


def summary(name, figures, budget, unit='ms'):
  worst = max(figures)
  verdict = 'ok' if worst < budget else 'OVER BUDGET'
  print(f'{name}: median {statistics.median(figures):.1f} {unit}, worst {worst:.1f} {unit} '
        f'over {len(figures)} (budget {budget:.0f} {unit}) {verdict}', flush=True)
  return worst < budget


def bench_network(directory, lab, rounds):
  service = Service(directory, lab.profile())
  figures = []
  try:
    for _ in range(rounds):
      service.wait_error(IS, '', timeout=10)
      watch = PropertyWatch(service, IS, 'Error')
      started = time.monotonic()
      ip('link', 'set', NETNS_LINK, 'down')
      figures.append(watch.wait('network-error', started, 5))
      watch.close()
      ip('link', 'set', NETNS_LINK, 'up')
      ip('route', 'replace', 'default', 'via', '198.18.0.2', 'dev', NETNS_LINK)
  finally:
    service.stop()
  return summary('network loss -> network-error', figures, NETWORK_BUDGET_MS)


def bench_portal(directory, lab, rounds):
  service = Service(directory, lab.profile(probe_interval_s=3600))
  figures = []
  try:
    for i in range(rounds):
      service.wait_error(IS, '', timeout=10)
      watch = PropertyWatch(service, IS, 'Error')
      lab.fault('portal')
      started = time.monotonic()
      # Joining a network: a new address and route on the link.
      ip('addr', 'add', f'198.18.1.{i + 1}/32', 'dev', NETNS_LINK)
      figures.append(watch.wait('captive-portal-detected', started, 10))
      watch.close()
      lab.fault('portal', False)
      service.retry(IS)
  finally:
    service.stop()
  return summary('portal appears -> captive-portal-detected', figures, PORTAL_BUDGET_MS)


def bench_retry(directory, lab, rounds):
  service = Service(directory, lab.profile(probe_interval_s=3600))
  figures = []
  try:
    service.wait_error(IS, '', timeout=10)
    for _ in range(rounds):
      watch = PropertyWatch(service, IS, 'Status')
      started = time.monotonic()
      service.retry(IS)
      watch.wait('connecting', started, 5)
      figures.append(watch.wait('on', started, 5))
      watch.close()
  finally:
    service.stop()
  return summary('Retry of a healthy module -> on', figures, RETRY_BUDGET_MS)


def context_switches(pid):
  """Per thread: {tid: switches}."""
  counts = {}
  for task in os.listdir(f'/proc/{pid}/task'):
    try:
      with open(f'/proc/{pid}/task/{task}/status') as file:
        counts[task] = sum(int(line.split()[1]) for line in file
                           if line.startswith(('voluntary_ctxt_switches', 'nonvoluntary_ctxt_switches')))
    except FileNotFoundError:
      pass
  return counts


def wakeups_between(before, after):
  """Switches of threads alive throughout, all of a new one's, and one
  for each thread that ended (it had to wake up to end)."""
  total = 0
  for tid, count in after.items():
    total += count - before.get(tid, 0)
  total += sum(1 for tid in before if tid not in after)
  return total


def memory_kb(pid):
  figures = {}
  with open(f'/proc/{pid}/status') as file:
    for line in file:
      if line.startswith(('VmRSS:', 'RssAnon:', 'RssFile:')):
        figures[line.split(':')[0]] = int(line.split()[1])
  with open(f'/proc/{pid}/smaps_rollup') as file:
    for line in file:
      if line.startswith('Pss:'):
        figures['Pss'] = int(line.split()[1])
  return figures


def bench_idle(directory, lab, seconds):
  service = Service(directory, lab.profile(probe_interval_s=3600))
  try:
    service.wait_error(IS, '', timeout=10)
    # The idle timeouts of the last requests run out, and GLib retires the
    # unused thread-pool workers of the file and resolver calls (15 s).
    time.sleep(20)
    pid = service.process.pid
    before = context_switches(pid)
    time.sleep(seconds)
    after = context_switches(pid)
    wakeups = wakeups_between(before, after)
    memory = memory_kb(pid)
  finally:
    service.stop()
  ok_wakeups = wakeups == 0
  ok_memory = memory['Pss'] < MEMORY_BUDGET_KB
  print(f'idle: {wakeups} wakeups in {seconds} s over {len(after)} threads (budget 0) '
        f'{"ok" if ok_wakeups else "OVER BUDGET"}', flush=True)
  print(f'idle: PSS {memory["Pss"] / 1024:.1f} MB (budget {MEMORY_BUDGET_KB / 1024:.0f} MB) '
        f'{"ok" if ok_memory else "OVER BUDGET"}; RSS {memory["VmRSS"] / 1024:.1f} MB = anonymous '
        f'{memory["RssAnon"] / 1024:.1f} MB + file-backed (shared libraries) {memory["RssFile"] / 1024:.1f} MB',
        flush=True)
  return ok_wakeups and ok_memory


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('which', nargs='*', choices=['network', 'portal', 'retry', 'idle', []], default=[])
  parser.add_argument('--rounds', type=int, default=10)
  parser.add_argument('--idle-seconds', type=int, default=30)
  args = parser.parse_args()
  which = args.which or ['network', 'portal', 'retry', 'idle']

  enter_private_network()
  network_up()
  for key in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'):
    os.environ.pop(key, None)

  ok = True
  with Bus():
    for name in which:
      directory = tempfile.mkdtemp(prefix='pc-bench-')
      lab = Lab(directory)
      try:
        if name == 'network':
          ok &= bench_network(directory, lab, args.rounds)
        elif name == 'portal':
          ok &= bench_portal(directory, lab, args.rounds)
        elif name == 'retry':
          ok &= bench_retry(directory, lab, args.rounds * 5)
        elif name == 'idle':
          ok &= bench_idle(directory, lab, args.idle_seconds)
      finally:
        lab.stop()
        shutil.rmtree(directory, ignore_errors=True)
  return 0 if ok else 1


if __name__ == '__main__':
  sys.exit(main())
