# SPDX-License-Identifier: MIT
"""T. shutdown() in each direction and state (SHUT-*) through CPython's socket module."""

import socket

from conformance.reference.kinds import pair_of
from conformance.reference.support import LOOPBACK_TIMEOUT, listener, outcome_of, scenario


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
