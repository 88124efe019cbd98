# SPDX-License-Identifier: MIT
"""O. Messages and ancillary data (ANC-*) through CPython's socket module."""

import contextlib
import os
import socket

from conformance.reference.kinds import pair_of
from conformance.reference.support import datagram_waiting, outcome_of, scenario, socketpair


@contextlib.contextmanager
def unix_pair_and_pipe():
    """A connected AF_UNIX stream pair (the receiver with a 10 s timeout) and a pipe's (read, write)
    descriptors, all closed on exit."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    read_end, write_end = os.pipe()
    try:
        b.settimeout(10)
        yield a, b, read_end, write_end
    finally:
        a.close()
        b.close()
        os.close(read_end)
        os.close(write_end)


@scenario("ANC-01")
def sendmsg_gathers_and_recvmsg_into_scatters(t):
    with socketpair(socket.AF_UNIX, socket.SOCK_STREAM) as (a, b):
        b.settimeout(10)
        t.observe("sent", a.sendmsg([b"abc", b"defgh"]))
        x, y = bytearray(2), bytearray(10)
        nbytes, ancdata, flags, _ = b.recvmsg_into([x, y])
        t.observe("received", nbytes)
        t.observe("scattered", x.decode() + "|" + y[:nbytes - 2].decode())
        t.observe("msg_flags", flags)


@scenario("ANC-02")
def descriptors_pass_over_unix_sockets(t):
    with unix_pair_and_pipe() as (a, b, read_end, write_end):
        socket.send_fds(a, [b"hi"], [write_end, write_end])
        data, fds, _, _ = socket.recv_fds(b, 16, 4)
        try:
            t.observe("data", data.decode())
            t.observe("fds_received", len(fds))
            t.equal(len(set(fds)), len(fds), "one descriptor sent twice arrives as two")
            os.write(fds[0], b"!")
            t.observe("same_pipe", os.read(read_end, 1) == b"!")
        finally:
            for fd in fds:
                os.close(fd)


@scenario("ANC-03")
def more_descriptors_than_room_sets_ctrunc(t):
    with unix_pair_and_pipe() as (a, b, read_end, write_end):
        socket.send_fds(a, [b"x"], [write_end, read_end, write_end])
        _, fds, flags, _ = socket.recv_fds(b, 16, 1)
        for fd in fds:
            os.close(fd)
        t.observe("ctrunc", bool(flags & socket.MSG_CTRUNC))
        t.observe("fds_received", len(fds))


@scenario("ANC-04")
def recvmsg_of_a_long_datagram_sets_trunc(t):
    with datagram_waiting(b"0123456789") as (server, _):
        data, _, flags, _ = server.recvmsg(4)
        t.observe("data", data.decode())
        t.observe("trunc", bool(flags & socket.MSG_TRUNC))


@scenario("ANC-05", over_kinds=True)
def sendmsg_gathers_up_to_iov_max_buffers(t, kind):
    with pair_of(kind) as (a, b):
        sent = a.sendmsg([b"x"] * 1024)
        received = len(b.recv(2048))
        while kind.type == socket.SOCK_STREAM and received < sent:
            received += len(b.recv(2048))
        t.observe("sent", sent)
        t.observe("received", received)
        t.observe("over_the_limit", outcome_of(a.sendmsg, [b"x"] * 1025))
