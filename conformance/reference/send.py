# SPDX-License-Identifier: MIT
"""D. send, sendall and sendfile (TCP-SEND-*, TCP-SENDALL-*, TCP-SENDFILE-*) through CPython's socket
module."""

import errno
import mmap
import os
import random
import select
import socket
import threading
import time
import zlib

from conformance.reference.kinds import pair_of
from conformance.reference.support import (LOOPBACK_TIMEOUT, Peer, eventually_raises, polls_within, scenario, socketpair,
                                           tcp_pair, temp_dir)


def small_buffer_pair():
    """A pair with 4 KiB buffers (set before listen/connect so the window scale stays small)."""
    with socket.socket() as lst:
        lst.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        lst.bind(("127.0.0.1", 0))
        lst.listen()
        c = socket.socket()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        c.connect(lst.getsockname())
        lst.settimeout(LOOPBACK_TIMEOUT)
        conn, _ = lst.accept()
    return c, conn


class SlowReader:
    """Drains `s` in `chunk` reads about every `period` seconds until stopped."""

    def __init__(self, s, chunk, period):
        self.stop = threading.Event()

        def run():
            s.settimeout(period)
            while not self.stop.is_set():
                try:
                    if not s.recv(chunk):
                        return
                except TimeoutError:
                    continue
                except OSError:
                    return
                self.stop.wait(period)

        self.peer = Peer(run)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.peer.join()


def drain(s, limit_bytes=None):
    """(bytes received until EOF, crc32 of them)."""
    s.settimeout(LOOPBACK_TIMEOUT)
    total, crc = 0, 0
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            return total, crc
        total += len(chunk)
        crc = zlib.crc32(chunk, crc)


# ---- connect and accept ---------------------------------------------------------------------------


@scenario("TCP-SEND-01")
def send_returns_what_the_kernel_took(t):
    payload = random.Random(1).randbytes(1 << 20)
    with tcp_pair() as (c, s):
        result = {}
        reader = Peer(lambda: result.update(got=drain(s)))
        c.setblocking(False)
        sent = calls = 0
        try:
            while sent < len(payload) and calls < 100000:
                calls += 1
                try:
                    n = c.send(payload[sent:])
                except BlockingIOError:
                    t.require(polls_within(c, select.POLLOUT, 10), "never writable again")
                    continue
                t.require(0 < n <= len(payload) - sent, f"send returned {n} with {len(payload) - sent} left")
                sent += n
        finally:
            c.shutdown(socket.SHUT_WR)
            reader.join()
        t.equal(result["got"], (len(payload), zlib.crc32(payload)), "(bytes, crc32) received")


@scenario("TCP-SEND-02")
def partial_send_is_forced_in_timeout_and_non_blocking_mode(t):
    big = bytes(4_000_000)
    for mode in (0.2, 0.0):
        c, conn = small_buffer_pair()
        with c, conn:
            c.settimeout(mode)
            n = c.send(big)
            t.expect(0 < n < len(big), f"send of 4 MB returned {n}")
            t.observe("partial_send_bytes[nonblocking]" if mode == 0 else "partial_send_bytes[timeout]", n)
            expected = BlockingIOError if mode == 0 else TimeoutError
            t.expect(eventually_raises(expected, 1000, lambda: c.send(big)), f"no {expected.__name__} came")


@scenario("TCP-SEND-03", over_kinds=True)
def empty_sends_are_no_ops(t, kind):
    with pair_of(kind) as (c, s):
        t.observe("send_returns", c.send(b""))
        c.sendall(b"")
        s.setblocking(False)
        t.raises(BlockingIOError, s.recv, 16, what="recv after empty sends")
        c.sendall(b"x")
        s.settimeout(LOOPBACK_TIMEOUT)
        t.observe("then", s.recv(16).decode())


@scenario("TCP-SEND-04")
def closed_peer_raises_instead_of_killing(t):
    import signal

    # CPython's guard is process-wide: the interpreter starts with SIGPIPE ignored (socklab instead
    # passes MSG_NOSIGNAL, which holds under any disposition).
    t.equal(signal.getsignal(signal.SIGPIPE), signal.SIG_IGN, "SIGPIPE disposition at startup")
    with tcp_pair() as (c, s):
        s.close()
        raised = eventually_raises((BrokenPipeError, ConnectionResetError), 1000, lambda: c.send(b"x" * 1024))
        t.expect(raised, "1000 sends to a closed peer all succeeded")
    with socketpair() as (a, b):
        b.close()
        t.raises(BrokenPipeError, a.sendall, b"x")


@scenario("TCP-SEND-05")
def send_on_a_never_connected_socket_fails(t):
    with socket.socket() as s:
        want = errno.EPIPE if os.uname().sysname == "Linux" else errno.ENOTCONN
        t.raises(OSError, s.sendall, b"foo", errno=want)


@scenario("TCP-SENDALL-01", over_kinds=True)
def every_byte_arrives_in_order(t, kind):
    payload = random.Random(2).randbytes(10_000_000)
    t.observe("payload_bytes", len(payload))
    with pair_of(kind) as (c, s):
        got = bytearray()

        def read():
            while chunk := s.recv(1 << 16):
                got.extend(chunk)

        reader = Peer(read)
        try:
            c.sendall(payload)
        finally:
            c.close()
            reader.join()
        t.equal(len(got), len(payload), "bytes received")
        t.expect(got == payload, "the bytes received differ from those sent")


@scenario("TCP-SENDALL-02")
def timeout_is_one_total_deadline(t):
    c, conn = small_buffer_pair()
    with c, conn, SlowReader(conn, 16384, 0.01):
        c.settimeout(0.3)
        big = bytes(64 << 20)
        start = time.monotonic()
        try:
            c.sendall(big)
            t.require(False, "sendall of 64 MiB to a slow reader did not time out")
        except TimeoutError:
            pass
        elapsed = time.monotonic() - start
        t.observe("sendall_timeout_elapsed_s", elapsed)
        # Python does not say how much went out (socklab observes bytes_sent_before_timeout).
        t.window(elapsed, 0.298, 2.3, "sendall with a 300 ms timeout")


@scenario("TCP-SENDALL-03")
def a_failed_sendall_raises_after_an_unknown_prefix(t):
    c, conn = small_buffer_pair()
    with c, conn:
        c.settimeout(0.1)
        big = bytes(8_000_000)
        t.raises(TimeoutError, c.sendall, big, what="sendall of 8 MB into 4 KiB buffers")
        c.shutdown(socket.SHUT_WR)
        received, _ = drain(conn)
        t.expect(received < len(big), f"all {received} bytes arrived, yet sendall raised")


@scenario("TCP-SENDALL-04")
def payloads_over_two_gibibytes_are_not_truncated(t):
    size = 9 << 28  # 2.25 GiB of untouched anonymous memory: reads as zeros, costs no RAM
    try:
        mem = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_NORESERVE", 0),
                        prot=mmap.PROT_READ)
    except (OSError, OverflowError) as e:
        t.skip(f"cannot map 2.25 GiB here: {e}")
    with mem, socketpair() as (a, b):
        result = {}

        def read():
            b.settimeout(LOOPBACK_TIMEOUT)
            buf = bytearray(1 << 20)
            total = 0
            while n := b.recv_into(buf):
                total += n
            result["received"] = total

        reader = Peer(read)
        try:
            with memoryview(mem) as view:
                a.sendall(view)
        finally:
            a.close()
            reader.join(120)
        t.observe("large_payload_bytes", result["received"])
        t.equal(result["received"], size, "bytes received")


@scenario("TCP-SENDFILE-01")
def a_file_from_an_offset_for_a_count_then_the_position_after_it(t):
    content = bytes(ord("a") + i % 26 for i in range(100000))
    with temp_dir() as d, tcp_pair() as (a, b):
        path = os.path.join(d, "data")
        with open(path, "wb") as f:
            f.write(content)
        with open(path, "rb") as f:
            b.settimeout(10)
            t.observe("sent", a.sendfile(f, 10, 1000))
            t.observe("position", f.tell())
            got = b""
            while len(got) < 1000:
                chunk = b.recv(1000 - len(got))
                if not chunk:
                    break
                got += chunk
            t.observe("data_is_the_slice", got == content[10:1010])
            t.observe("to_the_end", a.sendfile(f, 99000))
