# SPDX-License-Identifier: MIT
"""P. The name databases (NAME-*) through CPython's socket module, on this machine's files only."""

import errno
import socket

from conformance.reference.support import ipv6_available, scenario


@scenario("NAME-01")
def services_map_names_and_ports(t):
    t.observe("http_tcp", socket.getservbyname("http", "tcp"))
    t.observe("domain_any", socket.getservbyname("domain"))
    t.observe("port_80_tcp", socket.getservbyport(80, "tcp"))
    t.raises(OSError, socket.getservbyname, "no-such-service", "tcp", what="an unknown service")
    t.raises(OverflowError, socket.getservbyport, 70000, what="a port over 65535")


@scenario("NAME-02")
def getnameinfo_is_numeric_or_named_as_asked(t):
    host, port = socket.getnameinfo(("127.0.0.1", 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)
    t.observe("numeric", f"{host}:{port}")
    host, port = socket.getnameinfo(("127.0.0.1", 80), 0)
    t.observe("named", f"{host}:{port}")
    if ipv6_available():
        t.observe("numeric_v6", socket.getnameinfo(("::1", 80, 0, 0), socket.NI_NUMERICHOST)[0])


@scenario("NAME-03")
def the_hosts_resolver_knows_localhost(t):
    t.observe("gethostbyname", socket.gethostbyname("localhost"))
    t.observe("special_names", socket.gethostbyname("") + " " + socket.gethostbyname("<broadcast>"))
    _, _, addresses = socket.gethostbyname_ex("localhost")
    t.observe("ex_has_loopback", "127.0.0.1" in addresses)
    name, _, addresses = socket.gethostbyaddr("127.0.0.1")
    t.observe("byaddr_name", name)
    t.observe("byaddr_addresses", len(addresses))


@scenario("NAME-04")
def interfaces_look_up_both_ways(t):
    t.observe("lo_listed", any(name == "lo" for _, name in socket.if_nameindex()))
    t.observe("lo_round_trip", socket.if_indextoname(socket.if_nametoindex("lo")))
    t.raises(OSError, socket.if_nametoindex, "no-such-if0", what="an unknown interface")
    t.raises(OSError, socket.if_indextoname, 999999, errno=errno.ENXIO, what="an unknown index")
