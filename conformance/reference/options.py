# SPDX-License-Identifier: MIT
"""U. Socket options (OPT-*) through CPython's socket module."""

import socket
import struct

from conformance.reference.kinds import pair_of
from conformance.reference.support import outcome_of, scenario

FAMILIES = {socket.AF_INET: "AF_INET", socket.AF_INET6: "AF_INET6", socket.AF_UNIX: "AF_UNIX"}
TYPES = {socket.SOCK_STREAM: "SOCK_STREAM", socket.SOCK_DGRAM: "SOCK_DGRAM", socket.SOCK_SEQPACKET: "SOCK_SEQPACKET"}


@scenario("OPT-01", over_kinds=True)
def linger_zero_then_close(t, kind):
    with pair_of(kind) as (a, b):
        a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        a.close()
        got = []
        t.observe("peer_recv", outcome_of(lambda: got.append(b.recv(16).decode())))
        t.observe("peer_recv_returned", got[0] if got else "")


@scenario("OPT-02", over_kinds=True)
def buffer_sizes_are_doubled_and_clamped(t, kind):
    with pair_of(kind) as (a, b):
        for opt, name in ((socket.SO_RCVBUF, "rcvbuf"), (socket.SO_SNDBUF, "sndbuf")):
            for value in (65536, 1, 1 << 30):
                b.setsockopt(socket.SOL_SOCKET, opt, value)
                t.observe(f"{name}_set_{value}", b.getsockopt(socket.SOL_SOCKET, opt))


@scenario("OPT-03", over_kinds=True)
def the_socket_says_what_it_is(t, kind):
    with pair_of(kind) as (a, b):
        t.observe("so_domain", FAMILIES.get(b.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN), "?"))
        t.observe("so_type", TYPES.get(b.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE), "?"))
        t.observe("so_protocol", b.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL))
        t.observe("family", FAMILIES.get(b.family, "?"))
        t.observe("type", TYPES.get(b.type, "?"))


@scenario("OPT-04", over_kinds=True)
def tcp_nodelay_and_keepalive(t, kind):
    with pair_of(kind) as (a, b):
        nodelay = outcome_of(b.setsockopt, socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t.observe("nodelay", str(b.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)) if nodelay == "none" else nodelay)
        b.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        t.observe("keepalive", b.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE))
