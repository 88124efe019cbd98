# SPDX-License-Identifier: MIT
"""U. Socket options (OPT-*) through CPython's socket module."""

import errno
import select
import socket
import struct

from conformance.reference.kinds import pair_of
from conformance.reference.support import (Peer, outcome_of, poll_events, polls_within, queued_bytes, queued_within,
                                           recv_all, scenario, tcp_pair)

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


def errno_name(value):
    return errno.errorcode.get(value, str(value))


@scenario("OPT-05", over_kinds=True)
def rcvlowat_holds_back_tcp_readiness_only(t, kind):
    with pair_of(kind) as (a, b):
        b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, 10)
        a.send(b"12345")
        t.require(queued_within(b, 5), "the 5 bytes never arrived")
        t.observe("events_with_5_of_10", poll_events(b))
        a.send(b"67890")
        t.require(polls_within(b, select.POLLIN), "never readable")
        t.observe("events_with_10", poll_events(b))
        b.settimeout(0.2)
        t.observe("recv", b.recv(100).decode())


@scenario("OPT-06", over_kinds=True)
def fionread_counts_what_waits(t, kind):
    with pair_of(kind) as (a, b):
        t.observe("empty", queued_bytes(b))
        a.send(b"abc")
        a.send(b"defgh")
        if kind.type == socket.SOCK_STREAM:
            t.require(queued_within(b, 8), "the 8 bytes never arrived")
        else:
            t.require(polls_within(b, select.POLLIN), "never readable")
        t.observe("queued", queued_bytes(b))


@scenario("OPT-07", over_kinds=True)
def so_error_holds_a_reset_once(t, kind):
    with pair_of(kind) as (a, b):
        t.observe("fresh", errno_name(b.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
        b.send(b"unread")
        a.close()
        t.require(polls_within(b, select.POLLERR), "the reset never polled POLLERR")
        t.observe("after_reset", errno_name(b.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
        t.observe("read_again", errno_name(b.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))


@scenario("OPT-08", over_kinds=True)
def connected_sockets_are_not_listening(t, kind):
    with pair_of(kind) as (a, b):
        t.observe("first", a.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
        t.observe("second", b.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))


SO_SNDBUFFORCE = getattr(socket, "SO_SNDBUFFORCE", 32)
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)


def sysctl_number(path):
    with open(path) as f:
        return int(f.read())


@scenario("OPT-09")
def forced_buffers_go_past_the_maximum_with_privilege(t):
    rmem_max = sysctl_number("/proc/sys/net/core/rmem_max")
    wmem_max = sysctl_number("/proc/sys/net/core/wmem_max")
    with socket.socket() as forced, socket.socket() as plain:
        forced_rcvbuf = outcome_of(forced.setsockopt, socket.SOL_SOCKET, SO_RCVBUFFORCE, rmem_max * 4)
        forced_sndbuf = outcome_of(forced.setsockopt, socket.SOL_SOCKET, SO_SNDBUFFORCE, wmem_max * 4)
        plain.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rmem_max * 4)

        def reading(outcome, got, most):  # in units of the maximum, whatever the sysctl
            return f"{outcome} {got // most}x max"

        t.observe("forced_rcvbuf", reading(forced_rcvbuf, forced.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), rmem_max))
        t.observe("forced_sndbuf", reading(forced_sndbuf, forced.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF), wmem_max))
        t.observe("plain_rcvbuf", reading("none", plain.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), rmem_max))


@scenario("OPT-10")
def setting_rcvbuf_turns_off_autotuning(t):
    with tcp_pair() as (client, server), tcp_pair() as (c2, untouched):
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        before = server.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        untouched_before = untouched.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        data = b"x" * (8 << 20)

        def send_then_close(s):
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)

        first, second = Peer(lambda: send_then_close(client)), Peer(lambda: send_then_close(c2))
        got = len(recv_all(server)) + len(recv_all(untouched))
        first.join()
        second.join()
        t.require(got == 2 * len(data), f"received {got} bytes")
        t.observe("locked_before", before)
        t.observe("locked_after", server.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
        t.observe("untouched_grew", untouched.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) > untouched_before)
