# SPDX-License-Identifier: MIT
"""AD. Streams (STREAM-*) through CPython's socket module, over every stream kind."""

import select
import socket
import threading

from conformance.reference.kinds import pair_of
from conformance.reference.support import (Peer, outcome_of, polls_within, queued_bytes, queued_within, recv_all,
                                           scenario, wait_until_blocked)


@scenario("STREAM-01", over_kinds=True)
def sends_merge_in_the_stream(t, kind):
    with pair_of(kind) as (a, b):
        a.send(b"ab")
        a.send(b"cd")
        t.require(queued_within(b, 4), "the four bytes never arrived")
        t.observe("read", b.recv(64).decode())


@scenario("STREAM-02", over_kinds=True)
def msg_oob_sends_one_urgent_byte(t, kind):
    with pair_of(kind) as (a, b):
        a.send(b"ab")
        a.send(b"!", socket.MSG_OOB)
        t.require(polls_within(b, select.POLLPRI), "the urgent byte never polled POLLPRI")
        t.observe("urgent", b.recv(1, socket.MSG_OOB).decode())
        t.observe("ordinary", b.recv(64).decode())


@scenario("STREAM-03", over_kinds=True)
def oobinline_keeps_the_urgent_byte_in_the_stream(t, kind):
    with pair_of(kind) as (a, b):
        b.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
        a.send(b"ab")
        a.send(b"!", socket.MSG_OOB)
        t.require(queued_within(b, 3), "the three bytes never arrived")
        stream = b""
        for _ in range(3):
            if len(stream) >= 3:
                break
            stream += b.recv(64)
        t.observe("stream", stream.decode())
        b.setblocking(True)  # in timeout mode CPython would first wait for data (TMO-12)
        t.observe("oob_read", outcome_of(b.recv, 1, socket.MSG_OOB))


@scenario("STREAM-04", over_kinds=True)
def waitall_waits_for_the_whole_buffer(t, kind):
    with pair_of(kind) as (a, b):
        b.setblocking(True)
        a.sendall(b"a" * 100)
        reader = threading.get_native_id()

        def send_rest():
            blocked = wait_until_blocked(reader)
            a.sendall(b"b" * 100)  # sent either way, so the recv returns
            if not blocked:
                raise RuntimeError("the reader was never seen blocked in recv")

        sender = Peer(send_rest)
        got = b.recv(200, socket.MSG_WAITALL)
        sender.join()
        t.observe("received", len(got))


@scenario("STREAM-05", over_kinds=True)
def both_ends_send_at_once(t, kind):
    with pair_of(kind) as (a, b):
        from_a, from_b = b"a" * (1 << 20), b"b" * (1 << 20)

        def send_then_close(s, data):
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)

        a_sends = Peer(lambda: send_then_close(a, from_a))
        b_sends = Peer(lambda: send_then_close(b, from_b))
        a_got = []
        a_reads = Peer(lambda: a_got.append(recv_all(a)))
        b_got = recv_all(b)
        for p in (a_reads, a_sends, b_sends):
            p.join()
        t.observe("a_read_all", a_got == [from_b])
        t.observe("b_read_all", b_got == from_a)


@scenario("STREAM-06", over_kinds=True)
def msg_trunc_discards_stream_bytes(t, kind):
    with pair_of(kind) as (a, b):
        a.sendall(b"0123456789")
        t.require(queued_within(b, 10), "the bytes never arrived")
        buffer = bytearray(b"----")
        t.observe("returned", b.recv_into(buffer, 0, socket.MSG_TRUNC))
        t.observe("buffer_after", buffer.decode())
        t.observe("left", queued_bytes(b))
        t.observe("rest", b.recv(16).decode())
