#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every status code on every module it applies to, as the window shows it.

For each (code, module) pair of DESIGN §4 the real service is put into
that state over its Testing interface; the test then reads the window
through AT-SPI: the exact title in the Service Status row, an explanation
that says what the vendor's does, the support contact substituted in the
guidance, and exactly the contextual buttons DESIGN §4 lists beside
Status (and beside Authentication Status for Private Access): no more,
no fewer. One screenshot per state goes to the build dir.
"""

import winharness as h

IS, PA, DX = 'internet_security', 'private_access', 'digital_experience'
RETRY, BROWSER, AUTH = 'Retry', 'Open Browser', 'Authenticate'

# DESIGN §4, written out here rather than read from the catalog, so a
# catalog mistake fails the test. (code, detail, title, {module: buttons},
# words the explanation must contain)
CASES = [
    ('intermediate-authentication-error', '', 'Intermediate Authentication Error',
     {IS: ()}, ['proxy']),
    ('authenticating', '', 'Authenticating...', {IS: (), PA: ()}, ['configuration']),
    ('authentication-error', '', 'Authentication Error',
     {IS: (RETRY,), PA: (AUTH,)}, ['authenticated']),
    ('captive-portal-detected', '', 'Captive Portal Detected',
     {IS: (BROWSER, RETRY)}, ['captive portal', 'fail-open']),
    ('captive-portal-error', '', 'Captive Portal Error', {IS: (RETRY,)}, ['sign-in page']),
    ('chaining-authentication-error', '', 'Chaining Authentication Error',
     {IS: (RETRY,), PA: (AUTH,)}, ['proxy']),
    ('connection-error', 'Connection refused', 'Connection Error', {IS: (RETRY,)},
     ['cannot be reached']),
    ('driver-error', '', 'Driver Error', {IS: ()}, ['driver', 'fail-open', 'fail-close']),
    ('endpoint-fw-av-error', '', 'Endpoint FW/AV Error', {IS: ()},
     ['firewall', 'fail-open', 'fail-close']),
    ('fail-open', '', 'Fail Open', {IS: ()}, ['rescue']),
    ('fail-close', 'Driver Error', 'Fail Close (Driver Error)', {IS: (RETRY,)}, ['fail-close']),
    ('internal-error', '', 'Internal Error', {IS: (RETRY,)}, ['socket']),
    ('installation-error', '', 'Installation Error', {DX: (RETRY,)}, ['Digital Experience']),
    ('network-error', '', 'Network Error', {IS: (RETRY,), PA: (RETRY,), DX: (RETRY,)},
     ['network interface']),
    ('safe-mode', '', 'Safe Mode', {IS: ()}, ['critical resources']),
    ('server-error', '', 'Server Error', {DX: (RETRY,)}, ['Digital Experience']),
    ('untrusted-root-cert', '', 'Untrusted Root Cert', {PA: ()}, ['root certificate']),
]

CONTEXTUAL = (RETRY, BROWSER, AUTH)
SUPPORT = 'the Portcullis demo help desk'

desktop = h.Desktop()


def setup():
    desktop.start_service()
    desktop.manager_call('Login', '(s)', 'alice')
    desktop.start_window()
    desktop.main_frame()


def status_row_texts(page):
    return h.texts(page)


def contextual_buttons(page):
    return sorted(b.name for b in h.find_all(page, role='push button') if b.name in CONTEXTUAL)


def check_state(code, detail, title, module, expected, words):
    desktop.set_error(module, code, detail)
    page = desktop.show_module(module)

    def shown():
        labels = h.texts(page)
        # The Service Status row's value comes right after its title.
        index = labels.index('Service Status')
        return labels[index + 1] == title

    h.wait_until(shown, 5, f'“{title}” on the {module} page')

    explanation = h.wait_until(
        lambda: [n for n in h.find_all(page, role='label') if h.description_of(n) == 'Explanation'],
        3, 'the explanation')[0].name
    for word in words:
        h.check(word.lower() in explanation.lower(),
                f'{code}: the explanation “{explanation}” does not mention “{word}”')

    buttons = contextual_buttons(page)
    h.check(buttons == sorted(expected),
            f'{code} on {module}: buttons {buttons}, DESIGN §4 lists {sorted(expected)}')

    labels = h.texts(page)
    if code not in ('intermediate-authentication-error', 'authenticating', 'fail-open', 'safe-mode'):
        h.check(any(SUPPORT in text for text in labels),
                f'{code}: the support contact is not substituted in {labels}')
    h.check(not any('{support}' in text for text in labels), f'{code}: a raw placeholder is shown')

    h.screenshot(f'state-{module}-{code}')
    desktop.clear_error(module)


def make_case(code, detail, title, module, expected, words):
    return (f'{code} on {module}',
            lambda: check_state(code, detail, title, module, expected, words))


def test_no_error_no_buttons():
    for module in h.MODULES:
        desktop.clear_error(module)
        page = desktop.show_module(module)
        h.wait_until(lambda: not [b for b in h.find_all(page, role='push button')
                                  if b.name in (RETRY, BROWSER)],
                     3, f'no contextual buttons on {module} without an error')


def test_unknown_code():
    desktop.set_error(IS, 'tunnel-quota-error', '')
    page = desktop.show_module(IS)
    h.wait_until(lambda: 'Unknown Error (tunnel-quota-error)' in h.texts(page), 5,
                 'the unknown error with its code')
    h.check(contextual_buttons(page) == [RETRY], 'an unknown code offers Retry')
    h.screenshot('state-internet_security-unknown')
    desktop.clear_error(IS)


tests = [('start the service and the window', setup)]
for code, detail, title, modules, words in CASES:
    for module, expected in modules.items():
        tests.append(make_case(code, detail, title, module, expected, words))
tests.append(('no error, no contextual buttons', test_no_error_no_buttons))
tests.append(('a code from a newer service', test_unknown_code))
tests.append(('stop', desktop.close))

if __name__ == '__main__':
    h.run_tap(tests)
