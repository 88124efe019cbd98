# SPDX-License-Identifier: MIT
"""AB. Resolution (GAI-*) through CPython's socket.getaddrinfo, on the machine's own hosts and
services files (every name here is local or numeric)."""

import socket

from conformance.reference.support import scenario

FAMILY_NAMES = {socket.AF_INET: "inet", socket.AF_INET6: "inet6"}
TYPE_NAMES = {socket.SOCK_STREAM: "stream", socket.SOCK_DGRAM: "dgram", socket.SOCK_RAW: "raw",
              socket.SOCK_SEQPACKET: "seqpacket"}


def answer(*args, **kwargs):
    """getaddrinfo's results as "family type proto host port", or the exception ("gaierror -2"),
    as socklab-conform's answer() writes them."""
    try:
        rows = socket.getaddrinfo(*args, **kwargs)
    except socket.gaierror as e:
        return [f"gaierror {e.errno}"]
    return [f"{FAMILY_NAMES[f]} {TYPE_NAMES[t]} {proto} {addr[0]} {addr[1]}" for f, t, proto, _, addr in rows]


STREAM = {"type": socket.SOCK_STREAM}


@scenario("GAI-01")
def no_host_means_loopback_or_with_passive_the_wildcard(t):
    t.observe("plain", answer(None, 80, **STREAM))
    t.observe("passive", answer(None, 80, flags=socket.AI_PASSIVE, **STREAM))


@scenario("GAI-02")
def numerichost_refuses_names_and_takes_shorthands(t):
    t.observe("a_name", answer("localhost", 80, socket.AF_INET, flags=socket.AI_NUMERICHOST, **STREAM))
    t.observe("numeric", answer("127.0.0.1", 80, socket.AF_INET, flags=socket.AI_NUMERICHOST, **STREAM))
    t.observe("shorthand", answer("127.1", 80, socket.AF_INET, flags=socket.AI_NUMERICHOST, **STREAM))


@scenario("GAI-03")
def canonname_names_the_first_result(t):
    def canonical(host, flags):
        return socket.getaddrinfo(host, 80, socket.AF_INET, socket.SOCK_STREAM, 0, flags)[0][3]

    t.observe("hosts_name", canonical("localhost", socket.AI_CANONNAME))
    t.observe("numeric", canonical("127.0.0.1", socket.AI_CANONNAME))
    t.observe("without", canonical("localhost", 0))


@scenario("GAI-04")
def numericserv_refuses_service_names(t):
    t.observe("service_name", answer("127.0.0.1", "http", socket.AF_INET, flags=socket.AI_NUMERICSERV, **STREAM))
    t.observe("number", answer("127.0.0.1", "80", socket.AF_INET, flags=socket.AI_NUMERICSERV, **STREAM))


@scenario("GAI-05")
def without_a_type_each_address_comes_once_per_type(t):
    t.observe("any_type", answer("127.0.0.1", 80, socket.AF_INET))
    t.observe("dgram", answer("127.0.0.1", 80, socket.AF_INET, socket.SOCK_DGRAM))


@scenario("GAI-06")
def services_are_looked_up_per_type(t):
    t.observe("http", answer("127.0.0.1", "http", socket.AF_INET, **STREAM))
    t.observe("domain", answer("127.0.0.1", "domain", socket.AF_INET, socket.SOCK_DGRAM))
    t.observe("unknown", answer("127.0.0.1", "no-such-service", socket.AF_INET, **STREAM))


@scenario("GAI-07")
def v4mapped_maps_ipv4_answers_for_an_ipv6_question(t):
    t.observe("mapped", answer("127.0.0.1", 80, socket.AF_INET6, flags=socket.AI_V4MAPPED, **STREAM))
    t.observe("unmapped", answer("127.0.0.1", 80, socket.AF_INET6, **STREAM))
    t.observe("v6_as_inet", answer("::1", 80, socket.AF_INET, **STREAM))


@scenario("GAI-08")
def an_empty_host_is_no_name(t):
    t.observe("empty", answer("", 80, socket.AF_INET, **STREAM))


@scenario("GAI-09")
def an_interface_suffix_becomes_the_scope_id(t):
    scope = socket.getaddrinfo("fe80::1%lo", 80, socket.AF_INET6, socket.SOCK_STREAM)[0][4][3]
    t.observe("scope_is_lo", scope == socket.if_nametoindex("lo"))
    t.observe("unknown_interface", answer("fe80::1%no-such-if", 80, socket.AF_INET6, **STREAM))


@scenario("GAI-10")
def what_cannot_go_together_is_refused(t):
    t.observe("stream_with_udp", answer("127.0.0.1", 80, socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_UDP))
    t.observe("unix", answer("127.0.0.1", 80, socket.AF_UNIX))


@scenario("GAI-11")
def addrconfig_leaves_numeric_addresses_alone(t):
    t.observe("numeric_v6", answer("::1", 80, flags=socket.AI_ADDRCONFIG, **STREAM))
    t.observe("numeric_v4", answer("127.0.0.1", 80, flags=socket.AI_ADDRCONFIG, **STREAM))
    t.observe("localhost", answer("localhost", 80, flags=socket.AI_ADDRCONFIG, **STREAM))
