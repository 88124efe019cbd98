# SPDX-License-Identifier: MIT
"""T. shutdown() in each direction and state (SHUT-*) through CPython's socket module."""

import select
import socket

from conformance.reference.kinds import pair_of, unconnected_of
from conformance.reference.support import LOOPBACK_TIMEOUT, errno_name, listener, outcome_of, poll_events, polls_within, scenario


@scenario("SHUT-01", over_kinds=True)
def sending_after_shut_wr_is_a_broken_pipe(t, kind):
    with pair_of(kind) as (a, b):
        a.shutdown(socket.SHUT_WR)
        t.observe("send", outcome_of(a.send, b"x"))


@scenario("SHUT-02", over_kinds=True)
def a_second_shutdown_is_no_error(t, kind):
    with pair_of(kind) as (a, b):
        a.shutdown(socket.SHUT_WR)
        t.observe("second_wr", outcome_of(a.shutdown, socket.SHUT_WR))
        t.observe("then_rdwr", outcome_of(a.shutdown, socket.SHUT_RDWR))


@scenario("SHUT-03", over_kinds=True)
def after_shut_rd(t, kind):
    with pair_of(kind) as (a, b):
        b.shutdown(socket.SHUT_RD)
        b.settimeout(0.2)
        got = []
        t.observe("recv", outcome_of(lambda: got.append(b.recv(16).decode())))
        t.observe("recv_returned", got[0] if got else "")
        t.observe("peer_send", outcome_of(a.send, b"x"))


@scenario("SHUT-04")
def shutting_down_a_listener_stops_it_listening(t):
    with listener() as lst:
        t.observe("shutdown", outcome_of(lst.shutdown, socket.SHUT_RD))
        lst.settimeout(LOOPBACK_TIMEOUT)
        t.observe("accept", outcome_of(lst.accept))


@scenario("SHUT-05", over_kinds=True)
def shutting_down_an_unconnected_socket(t, kind):
    with socket.socket(kind.family, kind.type) as fresh, unconnected_of(kind) as bound:
        t.observe("fresh", outcome_of(fresh.shutdown, socket.SHUT_RDWR))
        t.observe("bound", outcome_of(bound.shutdown, socket.SHUT_RDWR))


@scenario("SHUT-06")
def shutting_down_while_connecting_aborts_the_attempt(t):
    with listener(backlog=0) as full, socket.socket() as admitted, socket.socket() as s, listener() as other:
        admitted.settimeout(LOOPBACK_TIMEOUT)
        admitted.connect(full.getsockname())
        s.setblocking(False)
        started = errno_name(s.connect_ex(full.getsockname()))
        writable = polls_within(s, select.POLLOUT, 0.1)
        t.require(started == "EINPROGRESS" and not writable, "the listener's queue was not full")
        t.observe("connect", started)
        t.observe("writable_while_connecting", writable)
        t.observe("shutdown", outcome_of(s.shutdown, socket.SHUT_RDWR))
        t.observe("events", poll_events(s))
        t.observe("so_error", errno_name(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
        t.observe("peer", outcome_of(s.getpeername))
        s.settimeout(LOOPBACK_TIMEOUT)
        t.observe("connect_again", outcome_of(s.connect, other.getsockname()))
