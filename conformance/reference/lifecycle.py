# SPDX-License-Identifier: MIT
"""I. close / fileno / detach / dup / shutdown (LIFE-*) through CPython's socket module."""

import errno
import os
import socket
import struct

from conformance.reference.kinds import pair_of
from conformance.reference.support import LOOPBACK_TIMEOUT, fd_open, scenario, tcp_pair


@scenario("LIFE-01")
def close_is_idempotent(t):
    s = socket.socket()
    for _ in range(3):
        t.succeeds(s.close)


@scenario("LIFE-02")
def closed_sockets_raise_ebadf(t):
    with tcp_pair() as (s, _):
        s.settimeout(1)
        s.close()
        t.equal(s.fileno(), -1, "fileno after close")
        t.expect("[closed]" in repr(s), f"repr after close: {s!r}")
        for name, call in (("send", lambda: s.send(b"x")), ("recv", lambda: s.recv(1)),
                           ("getsockname", s.getsockname), ("listen", s.listen),
                           ("shutdown", lambda: s.shutdown(socket.SHUT_RDWR))):
            t.raises(OSError, call, errno=errno.EBADF, what=f"{name} after close")


@scenario("LIFE-03")
def close_reports_ebadf_but_not_reset(t):
    s = socket.socket()
    socket.socket(fileno=s.fileno()).close()  # another object closes the same descriptor
    t.raises(OSError, s.close, errno=errno.EBADF, what="close of a descriptor closed elsewhere")
    with tcp_pair() as (c, srv):
        srv.sendall(b"unread")
        c.close()  # RST to the server side
        srv.settimeout(LOOPBACK_TIMEOUT)
        t.raises(ConnectionResetError, srv.recv, 1)
        t.succeeds(srv.close, what="close after a reset")


@scenario("LIFE-04")
def detach_and_adopt(t):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    fd = s.detach()
    t.equal(s.fileno(), -1, "fileno after detach")
    t.expect(fd_open(fd), "detach closed the descriptor")
    t.raises(OSError, s.recv, 1, what="recv after detach")
    with socket.socket(fileno=fd) as adopted:
        t.equal((adopted.family, adopted.type, adopted.proto), (socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_UDP),
                "the adopted socket's kind")
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with socket.socket(fileno=u.detach()) as adopted:
        t.equal(adopted.family, socket.AF_UNIX, "family of an adopted AF_UNIX socket")
    with tcp_pair() as (c, srv):
        with socket.socket(fileno=srv.detach()) as rebuilt:
            c.sendall(b"still works")
            t.equal(rebuilt.recv(64), b"still works", "data through the rebuilt socket")
    r, w = os.pipe()
    try:
        t.raises(OSError, lambda: socket.socket(fileno=r), errno=errno.ENOTSOCK, what="socket(fileno=a pipe)")
    finally:
        os.close(r)
        os.close(w)
    t.raises(OSError, lambda: socket.socket(fileno=r), errno=errno.EBADF, what="socket(fileno=a closed descriptor)")


@scenario("LIFE-05")
def dup_is_independent(t):
    with tcp_pair() as (c, srv):
        with srv.dup() as d:
            srv.close()
            c.sendall(b"to the dup")
            d.settimeout(LOOPBACK_TIMEOUT)
            t.equal(d.recv(64), b"to the dup", "data through the dup")


@scenario("LIFE-06")
def scope_exit_closes(t):
    with socket.socket() as s:
        fd = s.fileno()
    t.expect(not fd_open(fd), "leaving the with block left the descriptor open")
    try:
        with socket.socket() as s:
            fd = s.fileno()
            raise RuntimeError("leave the scope by exception")
    except RuntimeError:
        pass
    t.expect(not fd_open(fd), "an exception leaving the block left the descriptor open")
    with socket.socket() as s:
        fd = s.fileno()
        s.close()
    t.expect(not fd_open(fd), "close inside the block, then its exit")


@scenario("LIFE-07", over_kinds=True)
def shutdown_half_closes(t, kind):
    with pair_of(kind) as (c, s):
        c.shutdown(socket.SHUT_WR)
        t.observe("peer_reads", s.recv(16).decode())
        s.sendall(b"still open")
        t.observe("half_closed_side_reads", c.recv(16).decode())
    with socket.socket(kind.family, kind.type) as fresh:
        try:
            fresh.shutdown(socket.SHUT_RDWR)
            t.observe("unconnected_shutdown", "none")  # Linux AF_UNIX accepts it
        except OSError as e:
            t.observe("unconnected_shutdown", "ENOTCONN" if e.errno == errno.ENOTCONN else str(e))
    with pair_of(kind) as (c, s):
        other = c.dup()
        with other:
            c.close()
            s.setblocking(False)
            t.raises(BlockingIOError, s.recv, 1, what="recv after close() of one of two descriptors")
            other.shutdown(socket.SHUT_WR)
            s.settimeout(LOOPBACK_TIMEOUT)
            t.observe("after_the_dups_shutdown", s.recv(1).decode())


@scenario("LIFE-08", over_kinds=True)
def a_dup_is_the_same_endpoint(t, kind):
    with pair_of(kind) as (a, b), b.dup() as d:
        d.settimeout(LOOPBACK_TIMEOUT)
        a.send(b"to dup")
        t.observe("dup_read", d.recv(64).decode())
        d.send(b"from dup")
        t.observe("peer_read", a.recv(64).decode())


@scenario("LIFE-09", over_kinds=True)
def a_rebuilt_socket_knows_what_it_is(t, kind):
    with pair_of(kind) as (a, b), socket.socket(fileno=os.dup(b.fileno())) as rebuilt:
        t.observe("same_kind", (rebuilt.family, rebuilt.type) == (b.family, b.type))
        t.observe("original_proto", b.proto)
        t.observe("rebuilt_proto", rebuilt.proto)
        t.observe("same_names", (rebuilt.getsockname(), rebuilt.getpeername()) == (b.getsockname(), b.getpeername()))


SO_COOKIE = getattr(socket, "SO_COOKIE", 57)  # CPython 3.11 lacks it


def cookie_of(s):
    return struct.unpack("Q", s.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8))[0]


@scenario("LIFE-10", over_kinds=True)
def the_cookie_names_the_socket_not_the_descriptor(t, kind):
    with pair_of(kind) as (a, b), b.dup() as d:
        first_read = cookie_of(b)
        t.observe("set", cookie_of(b) != 0)
        t.observe("the_dups_is_the_same", cookie_of(d) == cookie_of(b))
        t.observe("the_peers_differs", cookie_of(a) != cookie_of(b))
        t.observe("stable", cookie_of(b) == first_read)


@scenario("LIFE-11", over_kinds=True)
def neither_end_nor_a_dup_is_inheritable(t, kind):
    with pair_of(kind) as (a, b), b.dup() as d:
        t.observe("first", a.get_inheritable())
        t.observe("second", b.get_inheritable())
        t.observe("dup", d.get_inheritable())
