# SPDX-License-Identifier: MIT
"""Z. Receive timestamps (TS-*) through CPython's socket module, which names neither SO_TIMESTAMP
nor SO_TIMESTAMPNS: their Linux values (x86-64 and most architectures) are spelled out."""

import contextlib
import socket
import struct
import time

from conformance.reference.kinds import pair_of
from conformance.reference.support import (LOOPBACK_TIMEOUT, item_data, item_names, items_of_a_datagram, scenario,
                                           tcp_pair)

SO_TIMESTAMP = SCM_TIMESTAMP = getattr(socket, "SO_TIMESTAMP", 29)
SO_TIMESTAMPNS = SCM_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
WINDOW = 1.0  # seconds either side: the realtime clock may be stepped


def stamp_of(data, kind):
    seconds, fraction = struct.unpack("qq", data[:16])
    return seconds + fraction / (1e6 if kind == SCM_TIMESTAMP else 1e9)


@contextlib.contextmanager
def timestamping_switched_on():
    """Linux switches receive timestamping on for the whole system lazily, from a work queue: a TCP
    segment that arrives before that carries no stamp. This holds a TCP pair with SO_TIMESTAMP on
    (which keeps it on) until one of its segments comes stamped, a bounded wait."""
    with tcp_pair() as (client, server):
        server.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
        deadline = time.monotonic() + LOOPBACK_TIMEOUT
        while True:
            client.send(b"w")
            if server.recvmsg(16, 256)[1]:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("receive timestamping never came on")
        yield


def check_stamps(t, a, b, option, item):
    with timestamping_switched_on():
        b.setsockopt(socket.SOL_SOCKET, option, 1)
        before = time.time()
        a.send(b"t")
        items = b.recvmsg(16, 256)[1]
        after = time.time()
    data = item_data(items, socket.SOL_SOCKET, item)
    t.observe("items", item_names(items))
    t.observe("in_window", len(data) == 16 and before - WINDOW <= stamp_of(data, item) <= after + WINDOW)


@scenario("TS-01", over_kinds=True)
def so_timestamp_stamps_each_message(t, kind):
    with pair_of(kind) as (a, b):
        check_stamps(t, a, b, SO_TIMESTAMP, SCM_TIMESTAMP)


@scenario("TS-02", over_kinds=True)
def so_timestampns_stamps_each_message_in_nanoseconds(t, kind):
    with pair_of(kind) as (a, b):
        check_stamps(t, a, b, SO_TIMESTAMPNS, SCM_TIMESTAMPNS)


@scenario("TS-03")
def timestamp_and_timestampns_are_one_setting(t):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as r, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as w:
        r.bind(("127.0.0.1", 0))

        def both():
            return f"{r.getsockopt(socket.SOL_SOCKET, SO_TIMESTAMP)} {r.getsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS)}"

        t.observe("new", both())
        r.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 7)
        t.observe("after_timestamp", both())
        r.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        t.observe("after_both", both())
        t.observe("items", item_names(items_of_a_datagram(w, r)))
