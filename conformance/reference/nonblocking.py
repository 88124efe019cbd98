# SPDX-License-Identifier: MIT
"""AE. Non-blocking sockets and the kernel's own timeouts (NB-*) through CPython's socket module."""

import errno
import select
import socket
import struct
import time

from conformance.reference.kinds import fresh_abstract_name, pair_of
from conformance.reference.support import (LOOPBACK_TIMEOUT, outcome_of, polls_within, scenario, seconds_taken,
                                           tcp_pair, temp_dir)

FILL_ATTEMPTS = 100000  # 400 MB of 4 KiB sends: more than any buffer here holds


def fill(s):
    """Sends 4 KiB at a time until a send fails; what it raised ("none" if it never did)."""
    chunk = bytes(4096)
    for _ in range(FILL_ATTEMPTS):
        outcome = outcome_of(s.send, chunk)
        if outcome != "none":
            return outcome
    return "none"


@scenario("NB-01", over_kinds=True)
def a_non_blocking_send_to_a_full_buffer_raises(t, kind):
    with pair_of(kind) as (a, b):
        a.setblocking(False)
        t.observe("raised", fill(a))


@scenario("NB-02", over_kinds=True)
def a_socket_polls_writable_once_its_peer_reads(t, kind):
    with pair_of(kind) as (a, b):
        a.setblocking(False)
        b.setblocking(False)
        t.require(fill(a) == "BlockingIOError EAGAIN", "the buffer never filled")
        sink = bytearray(65536)
        writable = False
        deadline = time.monotonic() + LOOPBACK_TIMEOUT
        while not writable and time.monotonic() < deadline:
            while True:
                try:
                    if b.recv_into(sink) == 0:
                        break
                except BlockingIOError:
                    break
            writable = polls_within(a, select.POLLOUT, 0.01)
        t.observe("writable_again", writable)
        t.observe("send_after", outcome_of(a.send, b"x"))


@scenario("NB-03", over_kinds=True)
def connect_ex_on_a_connected_socket_is_eisconn_after_the_first(t, kind):
    with pair_of(kind) as (a, b):
        calls = []
        for mode in (None, 0, LOOPBACK_TIMEOUT):
            a.settimeout(mode)
            code = a.connect_ex(a.getpeername())
            calls.append("0" if code == 0 else errno.errorcode.get(code, str(code)))
        t.observe("calls", calls)


@scenario("NB-04", over_kinds=True)
def after_eof_a_non_blocking_recv_is_empty(t, kind):
    with pair_of(kind) as (a, b):
        a.shutdown(socket.SHUT_WR)
        t.require(polls_within(b, select.POLLRDHUP), "the EOF never arrived")
        b.setblocking(False)
        t.observe("first", b.recv(16).decode())
        t.observe("second", b.recv(16).decode())


@scenario("NB-05")
def a_unix_connect_never_waits(t):
    with temp_dir() as folder:
        for kind_type, name in ((socket.SOCK_STREAM, "stream"), (socket.SOCK_SEQPACKET, "seqpacket")):
            for abstract in (False, True):
                where = fresh_abstract_name() if abstract else f"{folder}/{name}.sock"
                with socket.socket(socket.AF_UNIX, kind_type) as listener, \
                        socket.socket(socket.AF_UNIX, kind_type) as client:
                    listener.bind(where)
                    listener.listen(1)
                    client.setblocking(False)
                    t.observe(f"{name}_{'abstract' if abstract else 'path'}", client.connect_ex(where))
                    t.equal(client.getpeername(), where.encode() if abstract else where, "the peer's name")


def set_kernel_timeout(s, option, ms):
    s.setsockopt(socket.SOL_SOCKET, option, struct.pack("ll", 0, ms * 1000))


@scenario("NB-06", over_kinds=True)
def so_rcvtimeo_is_blocking_io_error_not_timeout(t, kind):
    with pair_of(kind) as (a, b):
        b.setblocking(True)
        set_kernel_timeout(b, socket.SO_RCVTIMEO, 50)
        raised = []
        t.observe("seconds", seconds_taken(lambda: raised.append(outcome_of(b.recv, 1))))
        t.observe("raised", raised[0])


@scenario("NB-07")
def so_sndtimeo_ends_a_send_that_finds_the_buffer_full(t):
    with tcp_pair() as (client, server):
        client.setblocking(True)
        set_kernel_timeout(client, socket.SO_SNDTIMEO, 50)
        t.observe("raised", fill(client))
