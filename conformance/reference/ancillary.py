# SPDX-License-Identifier: MIT
"""O. Messages and ancillary data (ANC-*) through CPython's socket module."""

import os
import socket

from conformance.reference.support import scenario


@scenario("ANC-01")
def sendmsg_gathers_and_recvmsg_into_scatters(t):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with a, b:
        b.settimeout(10)
        t.observe("sent", a.sendmsg([b"abc", b"defgh"]))
        x, y = bytearray(2), bytearray(10)
        nbytes, ancdata, flags, _ = b.recvmsg_into([x, y])
        t.observe("received", nbytes)
        t.observe("scattered", x.decode() + "|" + y[:nbytes - 2].decode())
        t.observe("msg_flags", flags)


@scenario("ANC-02")
def descriptors_pass_over_unix_sockets(t):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    read_end, write_end = os.pipe()
    try:
        b.settimeout(10)
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
    finally:
        a.close()
        b.close()
        os.close(read_end)
        os.close(write_end)


@scenario("ANC-03")
def more_descriptors_than_room_sets_ctrunc(t):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    read_end, write_end = os.pipe()
    try:
        b.settimeout(10)
        socket.send_fds(a, [b"x"], [write_end, read_end, write_end])
        _, fds, flags, _ = socket.recv_fds(b, 16, 1)
        for fd in fds:
            os.close(fd)
        t.observe("ctrunc", bool(flags & socket.MSG_CTRUNC))
        t.observe("fds_received", len(fds))
    finally:
        a.close()
        b.close()
        os.close(read_end)
        os.close(write_end)


@scenario("ANC-04")
def recvmsg_of_a_long_datagram_sets_trunc(t):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        server.settimeout(10)
        server.bind(("127.0.0.1", 0))
        client.sendto(b"0123456789", server.getsockname())
        data, _, flags, _ = server.recvmsg(4)
        t.observe("data", data.decode())
        t.observe("trunc", bool(flags & socket.MSG_TRUNC))
