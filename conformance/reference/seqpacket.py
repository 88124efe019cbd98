# SPDX-License-Identifier: MIT
"""K. AF_UNIX SOCK_SEQPACKET (SEQ-*) through CPython's socket module."""

import errno
import os
import socket

from conformance.reference.support import scenario, socketpair, temp_dir


def seqpacket_available(t):
    try:
        socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).close()
    except OSError as e:
        t.skip(f"AF_UNIX SOCK_SEQPACKET is not available: {e}")


@scenario("SEQ-01")
def records_keep_their_boundaries(t):
    seqpacket_available(t)
    with temp_dir() as d, socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as server, \
            socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as client:
        where = os.path.join(d, "seq.sock")
        server.bind(where)
        server.listen()
        client.connect(where)
        conn, _ = server.accept()
        with conn:
            client.sendall(b"12345")
            client.sendall(b"678")
            t.equal(conn.recv(64), b"12345", "first record")
            t.equal(conn.recv(64), b"678", "second record")
        server.listen(5)  # relisten is allowed


@scenario("SEQ-02")
def small_buffer_truncates_the_record(t):
    seqpacket_available(t)
    with socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) as (a, b):
        a.sendall(b"0123456789")
        a.sendall(b"next")
        t.equal(b.recv(4), b"0123", "truncated record")
        t.equal(b.recv(64), b"next", "the next record")


@scenario("SEQ-03")
def empty_record_and_eof_both_read_empty(t):
    seqpacket_available(t)
    with socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) as (a, b):
        t.equal(a.send(b""), 0, "send of an empty record")
        t.equal(b.recv(16), b"", "the empty record")
        a.sendall(b"after")
        t.equal(b.recv(16), b"after", "the empty record was a record, not EOF")
        a.close()
        t.equal(b.recv(16), b"", "EOF")


@scenario("SEQ-04")
def send_on_an_unconnected_socket_is_enotconn(t):
    seqpacket_available(t)
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        t.raises(OSError, s.send, b"x", errno=errno.ENOTCONN)
