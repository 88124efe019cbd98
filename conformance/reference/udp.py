# SPDX-License-Identifier: MIT
"""F. Datagrams: sendto / recvfrom (UDP-*) through CPython's socket module."""

import contextlib
import errno
import os
import socket
import struct

from conformance.reference.support import (LOOPBACK_TIMEOUT, int_at, ipv6_available, item_data, item_names, outcome_of,
                                           scenario, temp_dir, unused_port)

FAMILIES = {"inet": socket.AF_INET, "inet6": socket.AF_INET6, "unix": socket.AF_UNIX}


class Datagrams:
    """Bound datagram sockets of one family, closed (and their files removed) together."""

    def __init__(self, t, family):
        if family == "inet6" and not ipv6_available():
            t.skip("IPv6 loopback (::1) is not available here")
        self.family = FAMILIES[family]
        self.cleanup = contextlib.ExitStack()
        self.path = self.cleanup.enter_context(temp_dir())

    def make(self, name):
        s = self.cleanup.enter_context(socket.socket(self.family, socket.SOCK_DGRAM))
        s.settimeout(LOOPBACK_TIMEOUT)
        s.bind({socket.AF_INET: ("127.0.0.1", 0), socket.AF_INET6: ("::1", 0)}.get(self.family)
               or os.path.join(self.path, name))
        return s

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup.close()


def each_family(behaviour_id):
    def register(fn):
        for name in FAMILIES:
            scenario(behaviour_id, name)(fn)
        return fn

    return register


@each_family("UDP-01")
def sendto_returns_the_length_and_the_datagram_arrives_whole(t, family):
    with Datagrams(t, family) as d:
        server, client = d.make("srv"), d.make("cli")
        msg = b"m" * 1000
        t.equal(client.sendto(msg, server.getsockname()), len(msg), "sendto's result")
        t.equal(server.recv(len(msg)), msg, "the datagram")


@each_family("UDP-02")
def recvfrom_returns_the_senders_address(t, family):
    with Datagrams(t, family) as d:
        server, one, two = d.make("srv"), d.make("one"), d.make("two")
        one.sendto(b"from one", server.getsockname())
        two.sendto(b"from two", server.getsockname())
        first, second = server.recvfrom(64), server.recvfrom(64)
        t.equal(first, (b"from one", one.getsockname()), "first recvfrom")
        t.equal(second, (b"from two", two.getsockname()), "second recvfrom")
        t.expect(first[1] != second[1], "two senders, one address")
        buf = bytearray(16)
        one.sendto(b"into", server.getsockname())
        n, addr = server.recvfrom_into(buf)
        t.equal((bytes(buf[:n]), addr), (b"into", one.getsockname()), "recvfrom_into")
        if family == "inet6":
            t.equal((len(addr), addr[2], addr[3]), (4, 0, 0), "a 4-tuple with flowinfo and scope_id 0")


@scenario("UDP-02")
def unbound_unix_sender_has_no_address(t):
    with Datagrams(t, "unix") as d, socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as unbound:
        server = d.make("srv")
        unbound.sendto(b"anon", server.getsockname())
        data, addr = server.recvfrom(16)
        # None, not '' (which getsockname() gives the unbound socket itself): socklab's std::nullopt.
        t.expect(addr is None, f"an unbound sender's address is {addr!r}")


@each_family("UDP-03")
def boundaries_are_kept(t, family):
    with Datagrams(t, family) as d:
        server, client = d.make("srv"), d.make("cli")
        client.sendto(b"bacon", server.getsockname())
        client.sendto(b"egg", server.getsockname())
        t.equal(server.recvfrom(8192)[0], b"bacon", "first datagram")
        t.equal(server.recvfrom(8192)[0], b"egg", "second datagram")


@each_family("UDP-04")
def truncation_discards_the_rest_of_the_datagram(t, family):
    with Datagrams(t, family) as d:
        server, client = d.make("srv"), d.make("cli")
        client.sendto(b"0123456789", server.getsockname())
        client.sendto(b"next", server.getsockname())
        t.equal(server.recv(3), b"012", "truncated datagram")
        t.equal(server.recv(64), b"next", "the next datagram")
        if os.uname().sysname == "Linux":
            client.sendto(b"0123456789", server.getsockname())
            buf = bytearray(4)
            t.equal(server.recv_into(buf, 0, socket.MSG_TRUNC), 10, "MSG_TRUNC returns the real length")


@each_family("UDP-05")
def zero_length_datagram_is_not_eof(t, family):
    with Datagrams(t, family) as d:
        server, client = d.make("srv"), d.make("cli")
        t.equal(client.sendto(b"", server.getsockname()), 0, "sendto of nothing")
        t.equal(server.recvfrom(64), (b"", client.getsockname()), "the empty datagram")


@scenario("UDP-06")
def oversized_datagram_is_emsgsize(t):
    with Datagrams(t, "inet") as d:
        server, client = d.make("srv"), d.make("cli")
        t.equal(client.sendto(bytes(65507), server.getsockname()), 65507, "sendto of the largest payload")
        t.equal(len(server.recv(70000)), 65507, "the largest datagram")
        t.observe("max_udp_payload", 65507)
        t.raises(OSError, client.sendto, bytes(65508), server.getsockname(), errno=errno.EMSGSIZE)


@scenario("UDP-07")
def connected_socket_filters_peers_and_reports_refusal(t):
    with Datagrams(t, "inet") as d:
        peer, other, s = d.make("p"), d.make("o"), d.make("s")
        s.connect(peer.getsockname())
        other.sendto(b"stranger", s.getsockname())  # dropped: not from the connected peer
        peer.sendto(b"friend", s.getsockname())
        t.equal(s.recv(64), b"friend", "a connected socket's first datagram")
        s.send(b"no address needed")
        t.equal(peer.recv(64), b"no address needed", "send on a connected socket")
        closed = unused_port(socket.SOCK_DGRAM)
        c = d.make("c")
        c.connect(closed)
        c.send(b"x")
        t.raises(ConnectionRefusedError, c.recv, 8, what="recv after sending to a closed port")
        u = d.make("u")
        u.sendto(b"x", closed)
        u.setblocking(False)
        try:
            u.recv(8)
        except ConnectionRefusedError:
            t.expect(False, "an unconnected UDP socket reported the port-unreachable error")
        except BlockingIOError:
            pass


@scenario("UDP-08")
def send_without_a_destination_fails(t):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        t.raises(OSError, s.send, b"x", errno=errno.EDESTADDRREQ)


@scenario("UDP-09")
def first_sendto_binds_implicitly(t):
    with Datagrams(t, "inet") as d, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        server = d.make("srv")
        client.settimeout(LOOPBACK_TIMEOUT)
        t.equal(client.getsockname()[1], 0, "port before the first sendto")
        client.sendto(b"hello", server.getsockname())
        t.expect(client.getsockname()[1] != 0, "no port after the first sendto")
        _, sender = server.recvfrom(16)
        server.sendto(b"reply", sender)
        t.equal(client.recv(16), b"reply", "the reply")


@scenario("UDP-10")
def an_unconnected_socket_is_not_told_of_unreachable_ports(t):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        nobody = unused_port(socket.SOCK_DGRAM)
        s.sendto(b"x", nobody)
        s.settimeout(0.2)
        t.observe("recv", outcome_of(s.recv, 1))
        t.observe("so_error", s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
        t.observe("next_sendto", outcome_of(s.sendto, b"y", nobody))


def loopback_dgram():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(LOOPBACK_TIMEOUT)
    s.bind(("127.0.0.1", 0))
    return s


@scenario("UDP-11")
def broadcast_needs_so_broadcast(t):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver, loopback_dgram() as sender:
        receiver.settimeout(LOOPBACK_TIMEOUT)
        receiver.bind(("127.255.255.255", 0))  # loopback's broadcast address
        t.observe("default", sender.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST))
        t.observe("without", outcome_of(sender.sendto, b"b", receiver.getsockname()))
        t.observe("connect_without", outcome_of(sender.connect, receiver.getsockname()))
        sender.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        t.observe("with", outcome_of(sender.sendto, b"b", receiver.getsockname()))
        data, sent_from = receiver.recvfrom(16)
        t.observe("received", data.decode())
        t.observe("from_the_sender", sent_from == sender.getsockname())


@scenario("UDP-12")
def connecting_again_changes_the_peer(t):
    with loopback_dgram() as a, loopback_dgram() as old_peer, loopback_dgram() as new_peer:
        a.connect(old_peer.getsockname())
        old_peer.sendto(b"queued", a.getsockname())
        a.connect(new_peer.getsockname())
        old_peer.sendto(b"from the old peer", a.getsockname())
        new_peer.sendto(b"from the new peer", a.getsockname())
        first, second = a.recv(64).decode(), a.recv(64).decode()
        t.observe("peer_is_the_new_one", a.getpeername() == new_peer.getsockname())
        t.observe("first", first)
        t.observe("second", second)


@scenario("UDP-13")
def connecting_to_port_zero(t):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
        t.observe("connect", outcome_of(udp.connect, ("127.0.0.1", 0)))
        t.observe("peer", outcome_of(udp.getpeername))
        t.observe("send", outcome_of(udp.send, b"x"))
        tcp.settimeout(LOOPBACK_TIMEOUT)
        t.observe("tcp_connect", outcome_of(tcp.connect, ("127.0.0.1", 0)))


SO_RXQ_OVFL = getattr(socket, "SO_RXQ_OVFL", 40)  # CPython 3.11 lacks these two
SO_MEMINFO = getattr(socket, "SO_MEMINFO", 55)
SK_MEMINFO_VARS, SK_MEMINFO_DROPS = 9, 8  # linux/sock_diag.h


@scenario("UDP-14")
def rxq_ovfl_counts_the_datagrams_dropped(t):
    with loopback_dgram() as receiver, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)  # the minimum: room for a few datagrams
        receiver.setsockopt(socket.SOL_SOCKET, SO_RXQ_OVFL, 1)
        sent = 100
        for _ in range(sent):
            sender.sendto(b"x" * 100, receiver.getsockname())
        receiver.setblocking(False)
        read, first_items = 0, []
        with contextlib.suppress(BlockingIOError):
            while read < sent:
                items = receiver.recvmsg(200, 64)[1]
                if read == 0:
                    first_items = item_names(items)
                read += 1
        t.require(0 < read < sent, f"read {read} of {sent}: the buffer did not overflow")
        receiver.settimeout(LOOPBACK_TIMEOUT)
        sender.sendto(b"after", receiver.getsockname())
        counter = int_at(item_data(receiver.recvmsg(200, 64)[1], socket.SOL_SOCKET, SO_RXQ_OVFL))
        drops = struct.unpack(f"{SK_MEMINFO_VARS}I", receiver.getsockopt(
            socket.SOL_SOCKET, SO_MEMINFO, 4 * SK_MEMINFO_VARS))[SK_MEMINFO_DROPS]
        t.observe("items_before_a_drop", first_items)
        t.observe("dropped_plus_read", counter + read)
        t.observe("counter_is_the_drop_count", counter == drops)
