# SPDX-License-Identifier: MIT
"""W. IPv6 sockets and IPv4 (DUAL-*) through CPython's socket module."""

import socket

from conformance.reference.support import LOOPBACK_TIMEOUT, ipv6_available, listener, outcome_of, scenario, \
    unused_port

MAPPED_LOOPBACK = "::ffff:127.0.0.1"


def v6_socket(v6only, kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
    return s


def need_ipv6(t):
    if not ipv6_available():
        t.skip("no IPv6 loopback here")


@scenario("DUAL-01")
def v6only_defaults_to_off_and_is_set_before_bind(t):
    need_ipv6(t)
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as tcp, \
            socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as udp, socket.socket() as v4, \
            socket.socket(socket.AF_INET6) as bound:
        t.observe("tcp_default", tcp.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY))
        t.observe("udp_default", udp.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY))
        t.observe("on_inet", outcome_of(v4.setsockopt, socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1))
        bound.bind(("::1", 0))
        t.observe("after_bind", outcome_of(bound.setsockopt, socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1))


def unless_held_elsewhere(attempt, held_elsewhere):
    """As socklab-conform's: copies of the suite running at once take ports from one range, and an
    IPv6 socket's port says nothing of the IPv4 port of that number, which another process may
    hold. attempt() checks on fresh sockets and returns (outcome, port); once its sockets are gone,
    held_elsewhere(port) says whether someone else has the port, and then it checks again."""
    for _ in range(20):
        outcome, port = attempt()
        if not held_elsewhere(port):
            return outcome
    raise RuntimeError("20 ports in a row were held by another process")


def v4_port_taken(port):
    with socket.socket() as probe:
        return outcome_of(probe.bind, ("127.0.0.1", port)) != "none"


# Stream sockets that never listen: bound to a wildcard, they are reachable from nowhere.
@scenario("DUAL-02")
def a_dual_stack_wildcard_holds_the_ipv4_port_too(t):
    need_ipv6(t)
    for v6only in (False, True):
        def attempt():
            with v6_socket(v6only) as wildcard, socket.socket() as v4:
                wildcard.bind(("::", 0))
                port = wildcard.getsockname()[1]
                return outcome_of(v4.bind, ("127.0.0.1", port)), port
        t.observe("v6only_then_v4" if v6only else "dual_then_v4", unless_held_elsewhere(attempt, v4_port_taken))


def dual_port_taken(port):  # a dual-stack bind meets every holder of the port, of either family
    with v6_socket(False) as probe:
        return outcome_of(probe.bind, ("::", port)) != "none"


@scenario("DUAL-03")
def an_ipv4_wildcard_blocks_a_dual_stack_bind_only(t):
    need_ipv6(t)
    for v6only in (False, True):
        def attempt():
            with socket.socket() as v4, v6_socket(v6only) as v6:
                v4.bind(("0.0.0.0", 0))
                port = v4.getsockname()[1]
                return outcome_of(v6.bind, ("::", port)), port
        t.observe("v6only_after_v4" if v6only else "dual_after_v4", unless_held_elsewhere(attempt, dual_port_taken))


def v4_listener_there(port):
    with socket.socket() as probe:
        probe.settimeout(LOOPBACK_TIMEOUT)
        return outcome_of(probe.connect, ("127.0.0.1", port)) == "none"


@scenario("DUAL-04")
def a_v6only_listener_refuses_ipv4_clients(t):
    need_ipv6(t)
    for v6only in (False, True):
        def attempt():
            with v6_socket(v6only) as lst, socket.socket() as client:
                lst.bind(("::", 0))
                lst.listen()
                client.settimeout(LOOPBACK_TIMEOUT)
                port = lst.getsockname()[1]
                return outcome_of(client.connect, ("127.0.0.1", port)), port
        t.observe("v6only" if v6only else "dual", unless_held_elsewhere(attempt, v4_listener_there))


@scenario("DUAL-05")
def a_dual_stack_socket_can_bind_a_mapped_address(t):
    need_ipv6(t)
    with v6_socket(False) as lst, v6_socket(True) as v6only:
        lst.bind((MAPPED_LOOPBACK, 0))
        lst.listen()
        host, port = lst.getsockname()[:2]
        with socket.create_connection(("127.0.0.1", port), timeout=LOOPBACK_TIMEOUT):
            lst.settimeout(LOOPBACK_TIMEOUT)
            conn, peer = lst.accept()
            conn.close()
        t.observe("bound_host", host)
        t.observe("peer_host", peer[0])
        t.observe("v6only_bind", outcome_of(v6only.bind, (MAPPED_LOOPBACK, 0)))


@scenario("DUAL-06")
def only_a_dual_stack_socket_reaches_a_mapped_address(t):
    need_ipv6(t)
    discard = (MAPPED_LOOPBACK, unused_port(socket.SOCK_DGRAM)[1])
    with v6_socket(True, socket.SOCK_DGRAM) as v6only, socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as on_v6, \
            socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as on_mapped:
        t.observe("v6only_sendto", outcome_of(v6only.sendto, b"x", discard))
        t.observe("v6only_connect", outcome_of(v6only.connect, discard))
        on_v6.bind(("::1", 0))
        t.observe("bound_to_v6_sendto_mapped", outcome_of(on_v6.sendto, b"x", discard))
        on_mapped.bind((MAPPED_LOOPBACK, 0))
        t.observe("bound_to_mapped_sendto_v6", outcome_of(on_mapped.sendto, b"x", ("::1", 9)))


@scenario("DUAL-07")
def an_ipv6_client_reaches_an_ipv4_listener_through_a_mapped_address(t):
    need_ipv6(t)
    with listener(socket.AF_INET) as lst, socket.socket(socket.AF_INET6) as client:
        client.settimeout(LOOPBACK_TIMEOUT)
        client.connect((MAPPED_LOOPBACK, lst.getsockname()[1]))
        lst.settimeout(LOOPBACK_TIMEOUT)
        conn, peer = lst.accept()
        with conn:
            t.observe("listener_sees", peer[0])
            t.observe("client_name", client.getsockname()[0])
            t.observe("client_peer", client.getpeername()[0])
            t.equal(peer[1], client.getsockname()[1], "the client's port")


@scenario("DUAL-08")
def udp_over_dual_stack_speaks_to_ipv4_through_mapped_addresses(t):
    need_ipv6(t)
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as v6, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as v4:
        for s in (v6, v4):
            s.settimeout(LOOPBACK_TIMEOUT)
        v6.bind((MAPPED_LOOPBACK, 0))
        v4.bind(("127.0.0.1", 0))
        v4.sendto(b"ping", ("127.0.0.1", v6.getsockname()[1]))
        _, sender = v6.recvfrom(16)
        t.observe("v6_got_from", sender[0])
        t.equal(sender[1], v4.getsockname()[1], "the sender's port")
        v6.sendto(b"pong", sender)
        data, replier = v4.recvfrom(16)
        t.observe("v4_got", data.decode())
        t.observe("v4_got_from", replier[0])
