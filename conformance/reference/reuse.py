# SPDX-License-Identifier: MIT
"""V. Sharing an address (REUSE-*) through CPython's socket module."""

import select
import socket

from conformance.reference.kinds import LOOPBACK
from conformance.reference.support import LOOPBACK_TIMEOUT, ipv6_available, outcome_of, scenario

TRANSPORTS = (("tcp4", socket.AF_INET, socket.SOCK_STREAM), ("udp4", socket.AF_INET, socket.SOCK_DGRAM),
              ("tcp6", socket.AF_INET6, socket.SOCK_STREAM), ("udp6", socket.AF_INET6, socket.SOCK_DGRAM))
SPREAD_COUNT = 32  # all 32 on one socket by chance: 2 in 2**32


def sharing_socket(family, kind, reuse_addr=False, reuse_port=False):
    s = socket.socket(family, kind)
    if reuse_addr:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return s


def bound_first(family, kind, **sharing):
    s = sharing_socket(family, kind, **sharing)
    s.bind((LOOPBACK[family], 0))
    return s


def transports(kind=None):
    return [(name, family, k) for name, family, k in TRANSPORTS
            if (kind is None or k == kind) and (family != socket.AF_INET6 or ipv6_available())]


@scenario("REUSE-01")
def without_sharing_a_second_bind_fails(t):
    for name, family, kind in transports():
        with bound_first(family, kind) as first, socket.socket(family, kind) as second:
            t.observe(name, outcome_of(second.bind, first.getsockname()))


@scenario("REUSE-02")
def reuse_addr_shares_a_tcp_port_until_one_listens(t):
    for name, family, kind in transports(socket.SOCK_STREAM):
        with bound_first(family, kind, reuse_addr=True) as first, \
                sharing_socket(family, kind, reuse_addr=True) as second:
            t.observe(f"{name}_second_bind", outcome_of(second.bind, first.getsockname()))
            t.observe(f"{name}_first_listen", outcome_of(first.listen))
            t.observe(f"{name}_second_listen", outcome_of(second.listen))


@scenario("REUSE-03")
def reuse_addr_does_not_share_a_listening_port(t):
    with bound_first(socket.AF_INET, socket.SOCK_STREAM, reuse_addr=True) as listening, \
            sharing_socket(socket.AF_INET, socket.SOCK_STREAM, reuse_addr=True) as same, \
            sharing_socket(socket.AF_INET, socket.SOCK_STREAM, reuse_addr=True) as wildcard:
        listening.listen()
        port = listening.getsockname()[1]
        t.observe("same_address", outcome_of(same.bind, ("127.0.0.1", port)))
        t.observe("wildcard", outcome_of(wildcard.bind, ("0.0.0.0", port)))


@scenario("REUSE-04")
def reuse_addr_shares_a_udp_port(t):
    for name, family, kind in transports(socket.SOCK_DGRAM):
        with bound_first(family, kind, reuse_addr=True) as first, \
                sharing_socket(family, kind, reuse_addr=True) as second:
            t.observe(name, outcome_of(second.bind, first.getsockname()))


@scenario("REUSE-05")
def reuse_port_lets_two_sockets_listen_on_one_port(t):
    for name, family, kind in transports():
        with bound_first(family, kind, reuse_port=True) as first, \
                sharing_socket(family, kind, reuse_port=True) as second:
            got = outcome_of(second.bind, first.getsockname())
            if kind == socket.SOCK_STREAM and got == "none":
                first.listen()
                got = outcome_of(second.listen)
            t.observe(name, got)


@scenario("REUSE-06")
def reuse_port_must_be_set_on_every_socket(t):
    for first_port, second_port, name in ((True, False, "second_without"), (False, True, "first_without")):
        with bound_first(socket.AF_INET, socket.SOCK_STREAM, reuse_port=first_port) as first, \
                sharing_socket(socket.AF_INET, socket.SOCK_STREAM, reuse_port=second_port) as second:
            t.observe(name, outcome_of(second.bind, first.getsockname()))


def arrivals(receivers, take):
    """Takes SPREAD_COUNT arrivals from `receivers` with `take`; how many each got."""
    got = [0] * len(receivers)
    for _ in range(SPREAD_COUNT):
        ready, _, _ = select.select(receivers, [], [], LOOPBACK_TIMEOUT)
        if not ready:
            break
        take(ready[0])
        got[receivers.index(ready[0])] += 1
    return got


def observe_spread(t, got, total, used):
    t.observe(total, sum(got))
    t.observe(used, sum(1 for n in got if n))
    t.equal(sum(got), SPREAD_COUNT, "arrivals")
    t.expect(min(got) > 0, f"one socket got none: {got}")


@scenario("REUSE-07")
def reuse_port_spreads_connections_over_the_listeners(t):
    with bound_first(socket.AF_INET, socket.SOCK_STREAM, reuse_port=True) as one, \
            sharing_socket(socket.AF_INET, socket.SOCK_STREAM, reuse_port=True) as two:
        two.bind(one.getsockname())
        one.listen(SPREAD_COUNT)
        two.listen(SPREAD_COUNT)
        clients, accepted = [], []
        try:
            for _ in range(SPREAD_COUNT):
                clients.append(socket.create_connection(one.getsockname(), timeout=LOOPBACK_TIMEOUT))
            got = arrivals([one, two], lambda listener: accepted.append(listener.accept()[0]))
        finally:
            for s in clients + accepted:
                s.close()
        observe_spread(t, got, "accepted", "listeners_used")


@scenario("REUSE-08")
def reuse_port_spreads_datagrams_by_sender(t):
    with bound_first(socket.AF_INET, socket.SOCK_DGRAM, reuse_port=True) as one, \
            sharing_socket(socket.AF_INET, socket.SOCK_DGRAM, reuse_port=True) as two:
        two.bind(one.getsockname())
        for _ in range(SPREAD_COUNT):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.sendto(b"x", one.getsockname())
        got = arrivals([one, two], lambda r: r.recv(16, socket.MSG_DONTWAIT))
        observe_spread(t, got, "received", "receivers_used")


@scenario("REUSE-09")
def a_closed_connection_holds_its_port_unless_both_sides_share(t):
    for old_shares in (False, True):
        for new_shares in (False, True):
            with bound_first(socket.AF_INET, socket.SOCK_STREAM, reuse_addr=old_shares) as listening:
                listening.listen()
                at = listening.getsockname()
                with socket.create_connection(at, timeout=LOOPBACK_TIMEOUT) as client:
                    listening.settimeout(LOOPBACK_TIMEOUT)
                    server, _ = listening.accept()
                    server.close()
                    t.equal(client.recv(1), b"", "the client reads the server's FIN")
            with sharing_socket(socket.AF_INET, socket.SOCK_STREAM, reuse_addr=new_shares) as again:
                name = f"{'old_shares' if old_shares else 'old_alone'}_{'new_shares' if new_shares else 'new_alone'}"
                t.observe(name, outcome_of(again.bind, at))


@scenario("REUSE-10")
def the_wildcard_conflicts_with_every_address(t):
    stream = (socket.AF_INET, socket.SOCK_STREAM)  # never listening: reachable from nowhere
    with socket.socket(*stream) as wildcard, socket.socket(*stream) as specific:
        wildcard.bind(("0.0.0.0", 0))
        t.observe("specific_after_wildcard", outcome_of(specific.bind, ("127.0.0.1", wildcard.getsockname()[1])))
    with socket.socket(*stream) as one, socket.socket(*stream) as two, socket.socket(*stream) as wildcard:
        # 127.0.0.1 first: its ephemeral ports are busy with other tests' connections, while nothing
        # that runs beside this test binds 127.0.0.2, so the second bind fails only for the rule.
        one.bind(("127.0.0.1", 0))
        port = one.getsockname()[1]
        t.observe("another_loopback_address", outcome_of(two.bind, ("127.0.0.2", port)))
        t.observe("wildcard_after_specific", outcome_of(wildcard.bind, ("0.0.0.0", port)))
