# SPDX-License-Identifier: MIT
"""Q. Flags on recv (FLAG-*) through CPython's socket module."""

import select
import socket
import struct
import time

from conformance.reference.kinds import pair_of
from conformance.reference.support import datagram_waiting, outcome_of, polls_within, queued_bytes, scenario


def raised(call):
    try:
        call()
    except TimeoutError:
        return "TimeoutError"
    except BlockingIOError:
        return "BlockingIOError"
    except OSError:
        return "OSError"
    return "none"


@scenario("FLAG-01", over_kinds=True)
def peek_leaves_the_data_for_the_next_recv(t, kind):
    with pair_of(kind) as (a, b):
        a.send(b"hello")
        t.observe("peeked", b.recv(3, socket.MSG_PEEK).decode())
        t.observe("then", b.recv(10).decode())


@scenario("FLAG-02", over_kinds=True)
def dontwait_never_blocks_but_a_timeout_still_waits(t, kind):
    with pair_of(kind) as (a, b):
        b.settimeout(None)
        t.observe("blocking_socket", raised(lambda: b.recv(10, socket.MSG_DONTWAIT)))
        b.settimeout(0.2)
        start = time.monotonic()
        t.observe("timeout_socket", raised(lambda: b.recv(10, socket.MSG_DONTWAIT)))
        t.observe("timeout_waited_s", time.monotonic() - start)


@scenario("FLAG-03", over_kinds=True)
def waitall_in_timeout_mode_returns_what_is_there(t, kind):
    with pair_of(kind) as (a, b):
        b.settimeout(0.2)
        a.send(b"ab")
        t.observe("got", b.recv(10, socket.MSG_WAITALL).decode())


@scenario("FLAG-04")
def trunc_reports_the_datagrams_real_length(t):
    with datagram_waiting(b"0123456789") as (server, client):
        buf = bytearray(4)
        t.observe("recv_into_returns", server.recv_into(buf, 0, socket.MSG_TRUNC))
        t.observe("recv_into_filled", buf.decode())
        client.sendto(b"0123456789", server.getsockname())
        t.observe("recv_length", len(server.recv(4, socket.MSG_TRUNC)))


@scenario("FLAG-05")
def peek_on_a_datagram_leaves_it_whole(t):
    with datagram_waiting(b"abcdef") as (server, client):
        t.observe("peeked", server.recv(3, socket.MSG_PEEK).decode())
        data, sender = server.recvfrom(100)
        t.observe("then", data.decode())
        t.observe("same_sender", sender[1] == client.getsockname()[1])  # the client bound 0.0.0.0:port


SEND_FILL_LIMIT = 10_000  # 64 KiB sends: far past any socket buffer, so the loop always ends


@scenario("FLAG-06", over_kinds=True)
def dontwait_on_send_never_waits_for_room(t, kind):
    with pair_of(kind) as (a, b):
        a.settimeout(None)
        chunk = b"x" * 65536
        what = "none"
        for _ in range(SEND_FILL_LIMIT):
            try:
                a.send(chunk, socket.MSG_DONTWAIT)
            except BlockingIOError:
                what = "BlockingIOError"
                break
        t.observe("raised", what)
        t.observe("still_blocking", a.getblocking() and a.gettimeout() is None)


@scenario("FLAG-07", over_kinds=True)
def errqueue_reads_only_the_error_queue(t, kind):
    with pair_of(kind) as (a, b):
        a.send(b"data")
        t.require(polls_within(b, select.POLLIN), "the data never arrived")
        b.setblocking(True)
        b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 2, 0))  # a bound, were it to wait
        got = []
        t.observe("errqueue", outcome_of(lambda: got.append(b.recvmsg(16, 0, socket.MSG_ERRQUEUE)[0].decode())))
        t.observe("returned", got[0] if got else "")
        t.observe("data_still_waiting", queued_bytes(b) > 0)
