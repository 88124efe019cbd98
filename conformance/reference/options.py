# SPDX-License-Identifier: MIT
"""U. Socket options (OPT-*) through CPython's socket module."""

import select
import socket
import struct

from conformance.reference.kinds import pair_of
from conformance.reference.support import (Peer, errno_name, listener, outcome_of, poll_events, polls_within, queued_bytes,
                                           queued_within, read_backs, recv_all, scenario, sysctl_numbers, tcp_pair)

INT_MAX = 2**31 - 1

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


@scenario("OPT-09")
def forced_buffers_go_past_the_maximum_with_privilege(t):
    rmem_max = sysctl_numbers("net/core/rmem_max")[0]
    wmem_max = sysctl_numbers("net/core/wmem_max")[0]
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


@scenario("OPT-11", over_kinds=True)
def sndlowat_reads_one_and_cannot_be_set(t, kind):
    with pair_of(kind) as (a, b):
        t.observe("set", outcome_of(b.setsockopt, socket.SOL_SOCKET, socket.SO_SNDLOWAT, 4096))
        t.observe("value", b.getsockopt(socket.SOL_SOCKET, socket.SO_SNDLOWAT))


@scenario("OPT-12", over_kinds=True)
def rcvlowat_takes_any_count_up_to_a_cap(t, kind):
    with pair_of(kind) as (a, b):
        t.observe("default", b.getsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT))
        settings = read_backs(b, socket.SOL_SOCKET, socket.SO_RCVLOWAT, (0, 10, -1, INT_MAX))
        t.observe("settings", settings)
        tcp = kind.family != socket.AF_UNIX and kind.type == socket.SOCK_STREAM
        cap = sysctl_numbers("net/ipv4/tcp_rmem")[2] // 2 if tcp else INT_MAX
        t.observe("most_is_the_cap", settings.endswith(f":{cap}"))


@scenario("OPT-13", over_kinds=True)
def what_a_socket_is_cannot_be_set(t, kind):
    with pair_of(kind) as (a, b):
        t.observe("setting", ", ".join(
            f"{name}: {outcome_of(b.setsockopt, socket.SOL_SOCKET, getattr(socket, name), 1)}"
            for name in ("SO_TYPE", "SO_DOMAIN", "SO_PROTOCOL", "SO_ACCEPTCONN", "SO_ERROR")))


SO_BINDTOIFINDEX = getattr(socket, "SO_BINDTOIFINDEX", 62)  # CPython 3.11 lacks it
IFNAMSIZ = 16  # net/if.h


def bound_device(s):
    return s.getsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, IFNAMSIZ).split(b"\0")[0].decode()


@scenario("OPT-14")
def bind_to_device_names_an_interface(t):
    with socket.socket() as s, listener() as lst, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as by_index:
        t.observe("default", bound_device(s))
        t.observe("unknown", outcome_of(s.setsockopt, socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"socklab-none"))
        t.observe("lo", outcome_of(s.setsockopt, socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo"))
        t.observe("lo_reads", bound_device(s))
        t.observe("connect_over_lo", outcome_of(s.connect, lst.getsockname()))
        t.observe("by_index", outcome_of(by_index.setsockopt, socket.SOL_SOCKET, SO_BINDTOIFINDEX,
                                         socket.if_nametoindex("lo")))
        t.observe("by_index_reads", bound_device(by_index))
        t.observe("empty", outcome_of(by_index.setsockopt, socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b""))
        t.observe("empty_reads", bound_device(by_index))


SO_PEEK_OFF = getattr(socket, "SO_PEEK_OFF", 42)  # CPython 3.11 lacks it


@scenario("OPT-15", over_kinds=True)
def peek_offset_makes_peeks_continue(t, kind):
    with pair_of(kind) as (a, b):
        t.observe("default", b.getsockopt(socket.SOL_SOCKET, SO_PEEK_OFF))
        b.setsockopt(socket.SOL_SOCKET, SO_PEEK_OFF, 0)
        a.send(b"abcdef")
        if kind.type != socket.SOCK_STREAM:
            a.send(b"ghij")
        t.observe("peeks", [b.recv(2, socket.MSG_PEEK).decode(), b.recv(2, socket.MSG_PEEK).decode()])
        t.observe("offset", b.getsockopt(socket.SOL_SOCKET, SO_PEEK_OFF))
        t.observe("read", b.recv(3).decode())
        t.observe("offset_after_read", b.getsockopt(socket.SOL_SOCKET, SO_PEEK_OFF))
        t.observe("peek_after_read", b.recv(2, socket.MSG_PEEK).decode())


@scenario("OPT-16", over_kinds=True)
def linger_reads_back_what_was_set(t, kind):
    with pair_of(kind) as (a, b):
        def linger_of():
            return "{},{}".format(*struct.unpack("ii", b.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8)))

        def reading_after(onoff, seconds):
            b.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", onoff, seconds))
            return linger_of()

        t.observe("default", linger_of())
        t.observe("on_5", reading_after(1, 5))
        t.observe("off_7", reading_after(0, 7))
        t.observe("on_2_3", reading_after(2, 3))
        t.observe("on_minus_1", reading_after(1, -1))
        t.observe("short_value", outcome_of(b.setsockopt, socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("i", 1)))
