#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A stand-in xdg-desktop-portal FileChooser for the window tests.

Owns org.freedesktop.portal.Desktop on the session bus and answers
OpenFile / SaveFile with the path written in ANSWER_FILE (a folder for
Report an Issue, a file for Export Logs), as the real portal does: the
Response signal on the request object, a moment after the call. Each
call is appended to CALLS_FILE as "Method<TAB>title".

OpenURI (what GTK uses to open a web page when it goes through portals)
appends the URI to URLS_FILE, like the test's browser.

Usage: fake-portal.py ANSWER_FILE CALLS_FILE URLS_FILE
"""

import sys

import gi
gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

XML = '''
<node>
  <interface name="org.freedesktop.portal.FileChooser">
    <method name="OpenFile">
      <arg type="s" direction="in"/><arg type="s" direction="in"/>
      <arg type="a{sv}" direction="in"/><arg type="o" direction="out"/>
    </method>
    <method name="SaveFile">
      <arg type="s" direction="in"/><arg type="s" direction="in"/>
      <arg type="a{sv}" direction="in"/><arg type="o" direction="out"/>
    </method>
    <property name="version" type="u" access="read"/>
  </interface>
  <interface name="org.freedesktop.portal.OpenURI">
    <method name="OpenURI">
      <arg type="s" direction="in"/><arg type="s" direction="in"/>
      <arg type="a{sv}" direction="in"/><arg type="o" direction="out"/>
    </method>
    <property name="version" type="u" access="read"/>
  </interface>
</node>'''

answer_file, calls_file, urls_file = sys.argv[1], sys.argv[2], sys.argv[3]


def method_call(connection, sender, path, interface, method, params, invocation):
    parent, title, options = params.unpack()
    with open(calls_file, 'a') as f:
        f.write(f'{method}\t{title}\n')
    token = options.get('handle_token', 'pc')
    request = '/org/freedesktop/portal/desktop/request/%s/%s' % (
        sender[1:].replace('.', '_'), token)
    invocation.return_value(GLib.Variant('(o)', (request,)))
    if method == 'OpenURI':
        with open(urls_file, 'a') as f:
            f.write(title + '\n')  # the second argument is the URI
        GLib.timeout_add(50, lambda: connection.emit_signal(
            sender, request, 'org.freedesktop.portal.Request', 'Response',
            GLib.Variant('(ua{sv})', (0, {}))) and False)
        return
    try:
        with open(answer_file) as f:
            answer = f.read().strip()
    except FileNotFoundError:
        answer = ''
    if answer:
        response, results = 0, {'uris': GLib.Variant('as', ['file://' + answer])}
    else:
        response, results = 1, {}  # the user cancelled

    def respond():
        connection.emit_signal(sender, request, 'org.freedesktop.portal.Request', 'Response',
                               GLib.Variant('(ua{sv})', (response, results)))
        return False
    GLib.timeout_add(50, respond)


def get_property(connection, sender, path, interface, name):
    return GLib.Variant('u', 3) if name == 'version' else None


def on_bus(connection, name):
    for info in Gio.DBusNodeInfo.new_for_xml(XML).interfaces:
        connection.register_object('/org/freedesktop/portal/desktop', info, method_call,
                                   get_property, None)


def on_name(connection, name):
    print('ready', flush=True)


Gio.bus_own_name(Gio.BusType.SESSION, 'org.freedesktop.portal.Desktop',
                 Gio.BusNameOwnerFlags.NONE, on_bus, on_name, None)
GLib.MainLoop().run()
