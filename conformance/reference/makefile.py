# SPDX-License-Identifier: MIT
"""R. Buffered files over sockets (FILE-*) through CPython's socket.makefile()."""

import socket
import threading

from conformance.reference.support import LOOPBACK_TIMEOUT, Peer, scenario, socketpair, wait_until_blocked


def pair():
    """A stream socketpair, both ends with the loopback timeout."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    a.settimeout(LOOPBACK_TIMEOUT)
    b.settimeout(LOOPBACK_TIMEOUT)
    return a, b


def value_error_of(call):
    try:
        call()
    except ValueError:  # io.UnsupportedOperation is a ValueError too
        return "ValueError"
    except OSError as e:
        return f"OSError: {e}"
    return "none"


@scenario("FILE-01")
def read_n_waits_for_all_n(t):
    a, other = pair()
    with a, other, a.makefile("rb") as f:
        other.send(b"abc")
        reader = threading.get_native_id()
        seen = {}

        def send_rest():
            seen["blocked"] = wait_until_blocked(reader)
            other.sendall(b"defgh")  # sent either way, so the read returns
            other.shutdown(socket.SHUT_WR)

        writer = Peer(send_rest)
        first = f.read(6)
        writer.join()
        t.require(seen["blocked"], "read(6) was never seen waiting for the rest")
        t.observe("first", first.decode())
        t.observe("rest", f.read(10).decode())
        t.observe("after_end", f.read(10).decode())


@scenario("FILE-02")
def readline_across_buffer_boundaries(t):
    a, other = pair()
    with a, other, a.makefile("rb", buffering=4) as f:
        other.sendall(b"hello world\nx\nsecond line\nlast")
        other.shutdown(socket.SHUT_WR)
        lines = [f.readline(), f.readline(), f.readline(3), f.readline(), f.readline(), f.readline()]
        t.observe("lines", [line.decode() for line in lines])


@scenario("FILE-03")
def writes_wait_for_flush(t):
    a, other = pair()
    with a, other:
        f = a.makefile("wb")
        f.write(b"ab")
        other.setblocking(False)
        try:
            other.recv(10)
            t.observe("before_flush", "data")
        except BlockingIOError:
            t.observe("before_flush", "BlockingIOError")
        f.flush()
        other.settimeout(LOOPBACK_TIMEOUT)
        t.observe("after_flush", other.recv(10).decode())
        f.write(b"cd")
        f.close()
        t.observe("after_close", other.recv(10).decode())


@scenario("FILE-04")
def a_timed_out_file_reads_no_more(t):
    a, other = pair()
    with a, other, a.makefile("rb") as f:
        a.settimeout(0.05)
        t.observe("first_read", "TimeoutError" if t.raises(TimeoutError, f.read, 1) else "none")
        other.sendall(b"late")
        e = t.raises(OSError, f.read, 1, what="read after a timeout")
        t.observe("second_read", str(e) if e else "none")
        t.observe("errno", e.errno if e else "none")
        a.settimeout(LOOPBACK_TIMEOUT)
        t.observe("socket_recv", a.recv(10).decode())


@scenario("FILE-05")
def readinto_fills_and_read_reads_to_the_end(t):
    a, other = pair()
    with a, other, a.makefile("rb", buffering=16) as f:
        other.sendall(b"0123456789abcdefghijklmnopqrstuvwxyz")
        other.shutdown(socket.SHUT_WR)
        small, big = bytearray(5), bytearray(20)
        t.observe("first", f.readinto(small))
        t.observe("second", f.readinto(big))
        t.observe("rest", f.read().decode())
        t.observe("at_end", f.readinto(big))


@scenario("FILE-06")
def modes_are_checked(t):
    with socketpair(socket.AF_UNIX, socket.SOCK_STREAM) as (a, _):
        t.observe("bad_mode", value_error_of(lambda: a.makefile("rx")))
        with a.makefile("rb") as reading:
            t.observe("write_on_read_only", value_error_of(lambda: reading.write(b"x")))
        with a.makefile("wb") as writing:
            t.observe("read_on_write_only", value_error_of(lambda: writing.read(1)))
        closed = a.makefile("rb")
        closed.close()
        t.observe("read_after_close", value_error_of(lambda: closed.read(1)))
