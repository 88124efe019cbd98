# SPDX-License-Identifier: MIT
"""E. recv (RECV-*) through CPython's socket module."""

import select
import socket
import threading

from conformance.reference.kinds import pair_of
from conformance.reference.support import LOOPBACK_TIMEOUT, Peer, scenario, seconds_taken, tcp_pair, wait_until_blocked


def bound_udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(LOOPBACK_TIMEOUT)
    return s


@scenario("RECV-01")
def at_most_bufsize_and_no_boundaries(t):
    msg = b"Michael Gilfix was here\n"
    with tcp_pair() as (c, s):
        c.sendall(msg)
        s.settimeout(LOOPBACK_TIMEOUT)
        got = s.recv(len(msg) - 3)
        t.expect(len(got) <= len(msg) - 3, f"recv({len(msg) - 3}) returned {len(got)} bytes")
        while len(got) < len(msg):
            got += s.recv(1024)
        t.equal(got, msg, "the message")


@scenario("RECV-02", over_kinds=True)
def orderly_shutdown_reads_empty_repeatedly(t, kind):
    for use_shutdown in (False, True):
        with pair_of(kind) as (a, b):
            a.shutdown(socket.SHUT_WR) if use_shutdown else a.close()
            t.observe("after_shutdown" if use_shutdown else "after_close", [b.recv(16).decode() for _ in range(3)])
            t.expect(select.select([b], [], [], 0)[0], "end of stream does not poll readable")


@scenario("RECV-03")
def recv_zero_makes_no_call_but_recvfrom_zero_does(t):
    with tcp_pair() as (c, s), bound_udp() as server, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        # In timeout mode a real call with no data would wait out the 2 s: it must return at once.
        s.settimeout(2.0)
        t.window(seconds_taken(lambda: t.equal(s.recv(0), b"", "recv(0) without data")), 0, 1.0, "recv(0)")
        c.sendall(b"kept")
        t.equal(s.recv(0), b"", "recv(0) with data waiting")
        t.equal(s.recv(16), b"kept", "the data after recv(0)")
        client.sendto(b"first", server.getsockname())
        client.sendto(b"second", server.getsockname())
        t.equal(server.recv(0), b"", "recv(0) of a datagram")
        t.equal(server.recv(64), b"first", "recv(0) must not consume a datagram")
        buf = bytearray(8)
        c.sendall(b"whole")
        t.equal(s.recv_into(buf, 0), 5, "recv_into(buf, 0) uses the whole buffer")
        t.equal(server.recvfrom(0)[0], b"", "recvfrom(0)")
        server.setblocking(False)
        t.raises(BlockingIOError, server.recv, 64, what="recv after recvfrom(0) consumed the datagram")


@scenario("RECV-04")
def bad_sizes_are_rejected_before_io(t):
    with tcp_pair() as (c, s), bound_udp() as u:
        buf = bytearray(8)
        t.raises(ValueError, s.recv, -1, what="recv(-1)")
        t.raises(ValueError, u.recvfrom, -1, what="recvfrom(-1)")
        t.raises(ValueError, s.recv_into, buf, -1, what="recv_into(buf, -1)")
        t.raises(ValueError, s.recv_into, buf, 1024, what="recv_into(8-byte buf, 1024)")
        t.raises(ValueError, u.recvfrom_into, buf, 1024, what="recvfrom_into(8-byte buf, 1024)")


@scenario("RECV-05")
def peek_does_not_consume(t):
    with tcp_pair() as (c, s), bound_udp() as server, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        c.sendall(b"peekaboo")
        s.settimeout(LOOPBACK_TIMEOUT)
        t.equal(s.recv(8, socket.MSG_PEEK), b"peekaboo", "peeked stream data")
        t.equal(s.recv(8), b"peekaboo", "stream data after the peek")
        client.sendto(b"dgram", server.getsockname())
        t.equal(server.recvfrom(16, socket.MSG_PEEK)[0], b"dgram", "peeked datagram")
        t.equal(server.recvfrom(16)[0], b"dgram", "datagram after the peek")


@scenario("RECV-06")
def waitall_in_blocking_and_timeout_mode(t):
    with tcp_pair() as (c, s):
        c.sendall(b"a" * 100)
        receiver = threading.get_native_id()
        seen = {}

        def send_rest():
            seen["blocked"] = wait_until_blocked(receiver)
            c.sendall(b"b" * 100)  # sent either way, so recv returns

        sender = Peer(send_rest)
        got = s.recv(200, socket.MSG_WAITALL)
        sender.join()
        t.require(seen["blocked"], "the receiver was never seen blocked in recv")
        t.equal(len(got), 200, "bytes from a blocking MSG_WAITALL recv")
    with tcp_pair() as (c, s):
        c.sendall(b"a" * 100)
        s.settimeout(1)
        got = s.recv(200, socket.MSG_WAITALL)  # O_NONBLOCK underneath: may be short
        t.expect(100 <= len(got) <= 200, f"timeout-mode MSG_WAITALL returned {len(got)} bytes")


@scenario("RECV-07", over_kinds=True)
def non_blocking_recv_fails_at_once_then_succeeds(t, kind):
    with pair_of(kind) as (a, b):
        b.setblocking(False)
        first = {}

        def attempt():
            try:
                b.recv(16)
                first["what"] = "data"
            except BlockingIOError:
                first["what"] = "BlockingIOError"

        elapsed = seconds_taken(attempt)
        t.observe("first", first["what"])
        t.window(elapsed, 0, 1.0, "a non-blocking recv")
        a.sendall(b"now")
        t.require(select.select([b], [], [], 10)[0], "never readable")
        t.observe("once_readable", b.recv(16).decode())


@scenario("RECV-08", over_kinds=True)
def reset_is_an_error_not_eof(t, kind):
    with pair_of(kind) as (a, b):
        b.sendall(b"never read")
        a.close()  # unread data: TCP answers with RST instead of FIN, AF_UNIX flags ECONNRESET
        try:
            b.recv(16)
            t.observe("first", "data")
        except ConnectionResetError:
            t.observe("first", "ConnectionResetError")
        t.observe("then", b.recv(16).decode())  # the error is reported once; then end of stream
