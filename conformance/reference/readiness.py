# SPDX-License-Identifier: MIT
"""S. Readiness (POLL-*) through CPython's socket and select modules."""

import select
import socket

from conformance.reference.kinds import LOOPBACK, fresh_abstract_name, pair_of, unconnected_of
from conformance.reference.support import LOOPBACK_TIMEOUT, poll_events, polls_within, scenario


@scenario("POLL-01", over_kinds=True)
def a_fresh_pair_is_writable_not_readable(t, kind):
    with pair_of(kind) as (a, b):
        events = poll_events(b)
        t.observe("events", events)
        t.expect("POLLOUT" in events and "POLLIN" not in events, f"a fresh pair polls {events}")


@scenario("POLL-02", over_kinds=True)
def data_makes_it_readable(t, kind):
    with pair_of(kind) as (a, b):
        a.send(b"x")
        t.require(polls_within(b, select.POLLIN), "never readable")
        t.observe("events", poll_events(b))


@scenario("POLL-03", over_kinds=True)
def the_peers_half_close_is_readable_and_rdhup(t, kind):
    with pair_of(kind) as (a, b):
        a.shutdown(socket.SHUT_WR)
        t.require(polls_within(b, select.POLLRDHUP), "the half-close never polled POLLRDHUP")
        t.observe("peer", poll_events(b))
        t.observe("self", poll_events(a))


@scenario("POLL-04", over_kinds=True)
def a_peer_that_closed(t, kind):
    with pair_of(kind) as (a, b):
        a.close()
        t.require(polls_within(b, select.POLLRDHUP), "the close never polled POLLRDHUP")
        t.observe("events", poll_events(b))


@scenario("POLL-05", over_kinds=True)
def after_its_own_shutdown_of_both_directions(t, kind):
    with pair_of(kind) as (a, b):
        b.shutdown(socket.SHUT_RDWR)
        events = poll_events(b)
        t.observe("events", events)
        t.expect("POLLHUP" in events, f"after shutdown(SHUT_RDWR) poll gives {events}")


@scenario("POLL-06", over_kinds=True)
def a_reset(t, kind):
    with pair_of(kind) as (a, b):
        b.send(b"unread")
        a.close()  # with unread data: TCP sends RST, AF_UNIX flags ECONNRESET
        t.require(polls_within(b, select.POLLERR), "the reset never polled POLLERR")
        t.observe("events", poll_events(b))


@scenario("POLL-07", over_kinds=True)
def an_unconnected_socket(t, kind):
    with socket.socket(kind.family, kind.type) as fresh, unconnected_of(kind) as bound:
        t.observe("fresh", poll_events(fresh))
        t.observe("bound", poll_events(bound))


@scenario("POLL-08")
def a_listener_polls_readable_only_with_a_connection_waiting(t):
    for name, family, kind_type in (("tcp4", socket.AF_INET, socket.SOCK_STREAM),
                                    ("tcp6", socket.AF_INET6, socket.SOCK_STREAM),
                                    ("unix_stream", socket.AF_UNIX, socket.SOCK_STREAM),
                                    ("unix_seqpacket", socket.AF_UNIX, socket.SOCK_SEQPACKET)):
        with socket.socket(family, kind_type) as lst, socket.socket(family, kind_type) as client:
            lst.bind(fresh_abstract_name() if family == socket.AF_UNIX else (LOOPBACK[family], 0))
            lst.listen(1)
            idle = poll_events(lst)
            client.settimeout(LOOPBACK_TIMEOUT)
            client.connect(lst.getsockname())
            t.require(polls_within(lst, select.POLLIN), f"{name}: the connection never showed")
            t.observe(f"{name}_idle", idle)
            t.observe(f"{name}_waiting", poll_events(lst))
