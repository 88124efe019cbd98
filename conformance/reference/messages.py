# SPDX-License-Identifier: MIT
"""AC. Messages (MSG-*) through CPython's socket module, over every message kind."""

import select
import socket

from conformance.reference.kinds import pair_of, unconnected_of
from conformance.reference.support import LOOPBACK_TIMEOUT, outcome_of, poll_events, polls_within, scenario

TEN = b"0123456789"


@scenario("MSG-01", over_kinds=True)
def every_message_kind_keeps_boundaries(t, kind):
    with pair_of(kind) as (a, b):
        for m in (b"one", b"two", b"three"):
            a.send(m)
        t.observe("received", [b.recv(64).decode() for _ in range(3)])


@scenario("MSG-02", over_kinds=True)
def a_long_message_is_cut_and_its_rest_discarded(t, kind):
    with pair_of(kind) as (a, b):
        a.send(TEN)
        a.send(b"next")
        data, _, flags, _ = b.recvmsg(4)
        t.observe("data", data.decode())
        t.observe("trunc", bool(flags & socket.MSG_TRUNC))
        t.observe("next", b.recv(64).decode())


@scenario("MSG-03", over_kinds=True)
def a_zero_length_message_is_a_message(t, kind):
    with pair_of(kind) as (a, b):
        a.send(b"")
        a.send(b"next")
        t.observe("first", b.recv(64).decode())
        t.observe("second", b.recv(64).decode())


@scenario("MSG-04", over_kinds=True)
def recv_into_with_trunc_returns_the_real_length(t, kind):
    with pair_of(kind) as (a, b):
        a.send(TEN)
        buffer = bytearray(4)
        t.observe("returned", b.recv_into(buffer, 0, socket.MSG_TRUNC))
        t.observe("buffer", buffer.decode())


@scenario("MSG-05", over_kinds=True)
def a_peek_into_a_short_buffer_consumes_nothing(t, kind):
    with pair_of(kind) as (a, b):
        a.send(TEN)
        t.observe("peeked", b.recv(3, socket.MSG_PEEK).decode())
        t.observe("read", b.recv(64).decode())


@scenario("MSG-06", over_kinds=True)
def an_oversized_message_fails_whole(t, kind):
    with pair_of(kind) as (a, b):
        t.observe("outcome", outcome_of(a.send, bytes(1 << 20)))
        t.observe("peer_empty", poll_events(b) == ["POLLOUT"])


def readable_one(peer, elsewhere):
    """Which of two sockets becomes readable first ("peer", "elsewhere"), within the loopback timeout."""
    p = select.poll()
    p.register(peer, select.POLLIN)
    p.register(elsewhere, select.POLLIN)
    ready = dict(p.poll(LOOPBACK_TIMEOUT * 1000))
    if not ready:
        return "neither"
    return "peer" if ready.get(peer.fileno(), 0) & select.POLLIN else "elsewhere"


@scenario("MSG-07", over_kinds=True)
def sendto_on_a_connected_message_socket(t, kind):
    with pair_of(kind) as (a, b), unconnected_of(kind) as elsewhere:
        a.sendto(b"m", elsewhere.getsockname())
        t.observe("arrived_at", readable_one(b, elsewhere))


@scenario("MSG-08", over_kinds=True)
def sending_to_a_peer_that_closed(t, kind):
    with pair_of(kind) as (a, b):
        b.close()
        first = outcome_of(a.send, b"x")
        # UDP learns of the closed port from an ICMP error that comes back after the first send.
        if kind.family != socket.AF_UNIX:
            t.require(polls_within(a, select.POLLERR), "the port-unreachable error never came back")
        t.observe("first", first)
        t.observe("second", outcome_of(a.send, b"x"))


@scenario("MSG-09", over_kinds=True)
def msg_oob_is_not_for_messages(t, kind):
    with pair_of(kind) as (a, b):
        t.observe("outcome", outcome_of(a.send, b"!", socket.MSG_OOB))
