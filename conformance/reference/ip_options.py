# SPDX-License-Identifier: MIT
"""Y. IP-level options (IP-*) through CPython's socket module. CPython 3.11 lacks some of the
names (IP_PKTINFO, IP_RECVTTL, IP_MTU, ...): their Linux values are spelled out, as a program would."""

import errno
import select
import socket
import struct

from conformance.reference.kinds import LOOPBACK
from conformance.reference.support import (int_at, ipv6_available, item_data, item_names, items_of_a_datagram,
                                           outcome_of, polls_within, scenario, setting_outcomes, unused_port)

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)
IP_MTU = getattr(socket, "IP_MTU", 14)
IP_MTU_DISCOVER = getattr(socket, "IP_MTU_DISCOVER", 10)
IP_RECVERR = getattr(socket, "IP_RECVERR", 11)
MSG_ERRQUEUE = getattr(socket, "MSG_ERRQUEUE", 0x2000)


def receiver(family, options):
    r = socket.socket(family, socket.SOCK_DGRAM)
    r.bind((LOOPBACK[family], 0))
    for o in options:
        r.setsockopt(socket.IPPROTO_IPV6 if family == socket.AF_INET6 else socket.IPPROTO_IP, o, 1)
    return r


def address_at(family, data, offset):
    size = 16 if family == socket.AF_INET6 else 4
    return socket.inet_ntop(family, data[offset:offset + size]) if len(data) >= offset + size else "short"


@scenario("IP-01")
def ttl_takes_one_to_255_and_minus_one_restores_the_default(t):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        t.observe("default", s.getsockopt(socket.IPPROTO_IP, socket.IP_TTL))
        t.observe("settings", setting_outcomes(s, socket.IPPROTO_IP, socket.IP_TTL, (-2, -1, 0, 1, 255, 256)))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 7)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, -1)
        t.observe("after_minus_one", s.getsockopt(socket.IPPROTO_IP, socket.IP_TTL))


@scenario("IP-02")
def tos_keeps_tcps_ecn_bits_and_cuts_to_one_byte(t):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
        udp.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0xff)
        tcp.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0xff)
        t.observe("udp", udp.getsockopt(socket.IPPROTO_IP, socket.IP_TOS))
        t.observe("tcp", tcp.getsockopt(socket.IPPROTO_IP, socket.IP_TOS))
        udp.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 256)
        t.observe("udp_256", udp.getsockopt(socket.IPPROTO_IP, socket.IP_TOS))


@scenario("IP-03")
def pktinfo_names_the_interface_and_the_destination(t):
    with receiver(socket.AF_INET, [IP_PKTINFO]) as r, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as w:
        items = items_of_a_datagram(w, r)
        info = item_data(items, socket.IPPROTO_IP, IP_PKTINFO)
        t.observe("items", item_names(items))
        t.observe("on_lo", int_at(info) == socket.if_nametoindex("lo"))
        t.observe("spec_dst", address_at(socket.AF_INET, info, 4))
        t.observe("addr", address_at(socket.AF_INET, info, 8))


@scenario("IP-04")
def recvttl_gives_the_senders_ttl(t):
    with receiver(socket.AF_INET, [IP_RECVTTL]) as r, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as w:
        w.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 7)
        items = items_of_a_datagram(w, r)
        t.observe("items", item_names(items))
        t.observe("ttl", int_at(item_data(items, socket.IPPROTO_IP, socket.IP_TTL)))


@scenario("IP-05")
def recvtos_gives_the_senders_tos_in_one_byte(t):
    with receiver(socket.AF_INET, [socket.IP_RECVTOS]) as r, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as w:
        w.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0x28)
        items = items_of_a_datagram(w, r)
        tos = item_data(items, socket.IPPROTO_IP, socket.IP_TOS)
        t.observe("items", item_names(items))
        t.observe("size", len(tos))
        t.observe("tos", tos[0] if tos else -1)


def require_ipv6(t):
    if not ipv6_available():
        t.skip("no IPv6 loopback (::1) here")


@scenario("IP-06")
def unicast_hops_takes_minus_one_to_255(t):
    require_ipv6(t)
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        t.observe("default", s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS))
        t.observe("settings", setting_outcomes(s, socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, (-2, -1, 0, 255, 256)))


@scenario("IP-07")
def ipv6_pktinfo_names_the_destination_and_the_interface(t):
    require_ipv6(t)
    with receiver(socket.AF_INET6, [socket.IPV6_RECVPKTINFO]) as r, \
            socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as w:
        items = items_of_a_datagram(w, r)
        info = item_data(items, socket.IPPROTO_IPV6, socket.IPV6_PKTINFO)
        t.observe("items", item_names(items))
        t.observe("addr", address_at(socket.AF_INET6, info, 0))
        t.observe("on_lo", int_at(info, 16) == socket.if_nametoindex("lo"))


@scenario("IP-08")
def hop_limit_and_traffic_class_arrive_as_ints(t):
    require_ipv6(t)
    with receiver(socket.AF_INET6, [socket.IPV6_RECVHOPLIMIT, socket.IPV6_RECVTCLASS]) as r, \
            socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as w:
        w.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 9)
        w.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, 0x28)
        items = items_of_a_datagram(w, r)
        t.observe("items", item_names(items))
        t.observe("hoplimit", int_at(item_data(items, socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT)))
        t.observe("tclass", int_at(item_data(items, socket.IPPROTO_IPV6, socket.IPV6_TCLASS)))


@scenario("IP-09")
def inet6_takes_ip_options_inet_does_not_take_ipv6_ones(t):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as v4:
        t.observe("ipv6_on_inet", outcome_of(v4.setsockopt, socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 5))
    require_ipv6(t)
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as v6:
        t.observe("ip_on_inet6", outcome_of(v6.setsockopt, socket.IPPROTO_IP, socket.IP_TTL, 5))


@scenario("IP-10")
def multicast_stays_local_and_loops_back_by_default(t):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        t.observe("multicast_ttl", s.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL))
        t.observe("multicast_loop", s.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP))
        t.observe("ttl_256", outcome_of(s.setsockopt, socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 256))


@scenario("IP-11")
def mtu_is_the_connected_routes(t):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        t.observe("unconnected", outcome_of(s.getsockopt, socket.IPPROTO_IP, IP_MTU))
        s.connect(("127.0.0.1", 9))
        t.observe("connected", s.getsockopt(socket.IPPROTO_IP, IP_MTU))
        t.observe("discover", s.getsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER))


@scenario("IP-12")
def recverr_keeps_icmp_errors_in_an_error_queue(t):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
        s.sendto(b"x", unused_port(socket.SOCK_DGRAM))
        t.require(polls_within(s, select.POLLERR), "the ICMP error never came back")
        s.setblocking(False)  # the error queue never blocks; a wait in timeout mode would be for data
        data, items, flags, _ = s.recvmsg(16, 512, MSG_ERRQUEUE)
        err = item_data(items, socket.IPPROTO_IP, IP_RECVERR)
        ee_errno, ee_origin, ee_type, ee_code = struct.unpack_from("IBBB", err) if len(err) >= 16 else (0, 0, 0, 0)
        t.observe("data", data.decode())
        t.observe("items", item_names(items))
        t.observe("ee_errno", errno.errorcode.get(ee_errno, str(ee_errno)))
        t.observe("ee_origin", ee_origin)
        t.observe("ee_type", ee_type)
        t.observe("ee_code", ee_code)
        t.observe("errqueue_flag", bool(flags & MSG_ERRQUEUE))
        t.observe("then", outcome_of(s.recvmsg, 16, 512, MSG_ERRQUEUE))
