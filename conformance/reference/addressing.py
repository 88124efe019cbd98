# SPDX-License-Identifier: MIT
"""B. Addressing and bind (ADDR-*) through CPython's socket module."""

import errno
import socket
import struct

from conformance.reference.kinds import pair_of, unconnected_of
from conformance.reference.support import LOOPBACK_TIMEOUT, ipv6_available, listener, outcome_of, scenario


def has_dualstack_ipv6():
    return socket.has_dualstack_ipv6()


@scenario("ADDR-01")
def port_zero_picks_an_ephemeral_port(t):
    with listener() as a, socket.socket() as b:
        port = a.getsockname()[1]
        t.expect(port != 0, "bound port is 0")
        t.observe("ephemeral_port", port)
        t.raises(OSError, b.bind, ("127.0.0.1", port), errno=errno.EADDRINUSE, what="bind to a taken port")


@scenario("ADDR-02")
def empty_host_is_any_and_broadcast_is_all_ones(t):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("", 0))
        t.equal(s.getsockname()[0], "0.0.0.0", "'' binds")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b:
        # Python has no address object to ask: binding shows what the name became (local only).
        b.bind(("<broadcast>", 0))
        t.equal(b.getsockname()[0], "255.255.255.255", "'<broadcast>' binds")


@scenario("ADDR-03")
def ipv6_address_is_a_four_tuple(t):
    if not ipv6_available():
        t.skip("IPv6 loopback (::1) is not available here")
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
        s.bind(("::1", 0))
        local = s.getsockname()
        t.equal(len(local), 4, "length of an AF_INET6 address")
        t.equal((local[0], local[2], local[3]), ("::1", 0, 0), "host, flowinfo, scope_id")
        t.expect(local[1] != 0, "port is 0")
        t.raises(OverflowError, s.bind, ("::1", 0, -10), what="bind with flowinfo -10")
        t.raises(OverflowError, s.bind, ("::1", 0, 1 << 20), what="bind with flowinfo 2**20")


@scenario("ADDR-04")
def port_out_of_range_is_an_argument_error(t):
    with socket.socket() as s, socket.socket(socket.AF_INET6) as s6:
        t.raises(OverflowError, s.bind, ("127.0.0.1", 65536), what="port 65536")
        t.raises(OverflowError, s.bind, ("127.0.0.1", -1), what="port -1")
        t.raises(OverflowError, s6.bind, ("::1", 65536), what="IPv6 port 65536")
        t.raises(OverflowError, s6.bind, ("::1", -65536), what="IPv6 port -65536")
        t.equal(s.getsockname(), ("0.0.0.0", 0), "the socket after rejected binds")


@scenario("ADDR-07")
def text_and_packed_addresses_convert_both_ways(t):
    t.equal(socket.inet_ntop(socket.AF_INET, socket.inet_pton(socket.AF_INET, "1.2.3.4")), "1.2.3.4", "IPv4")
    t.observe("pton_v6", socket.inet_pton(socket.AF_INET6, "::ffff:1.2.3.4").hex())
    t.observe("ntop_v6", socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, "2001:0db8:0:0:0:0:0:1")))
    t.observe("aton_shorthand", socket.inet_ntoa(socket.inet_aton("127.1")))
    t.raises(OSError, socket.inet_pton, socket.AF_INET, "1.2.3", what="inet_pton of '1.2.3'")
    t.raises(OSError, socket.inet_pton, socket.AF_INET6, "::g", what="inet_pton of '::g'")
    t.raises(OSError, socket.inet_aton, "1.2.3.4.5", what="inet_aton of five parts")
    t.raises(ValueError, socket.inet_ntop, socket.AF_INET, b"\x00\x00\x00", what="inet_ntop of 3 bytes")
    t.raises(OSError, socket.inet_ntoa, b"\x00\x00\x00", what="inet_ntoa of 3 bytes")


@scenario("ADDR-05")
def a_socket_binds_only_once(t):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        t.raises(OSError, s.bind, ("127.0.0.1", 0), errno=errno.EINVAL, what="second bind")


@scenario("ADDR-06")
def dual_stack_listener_sees_mapped_ipv4_clients(t):
    if not ipv6_available() or not has_dualstack_ipv6():
        t.skip("no dual-stack IPv6 here")
    with socket.create_server(("::1", 0), family=socket.AF_INET6) as single:
        t.equal(single.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY), 1, "IPV6_V6ONLY of a v6 server")
    with socket.create_server(("::", 0), family=socket.AF_INET6, dualstack_ipv6=True) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=LOOPBACK_TIMEOUT) as client:
            server.settimeout(LOOPBACK_TIMEOUT)
            conn, addr = server.accept()
            with conn:
                t.equal(addr[0], "::ffff:127.0.0.1", "the client's address")
                t.equal(addr[1], client.getsockname()[1], "the client's port")


def bound_host_or_error(host, family):
    """The host create_server((host, 0), family=family) bound, or the class and errno it raised."""
    try:
        with socket.create_server((host, 0), family=family) as s:
            return s.getsockname()[0]
    except OSError as e:
        return f"{type(e).__name__} {e.errno}"


@scenario("ADDR-08")
def create_server_resolves_within_its_family(t):
    if not ipv6_available():
        t.skip("no IPv6 loopback here")
    t.observe("inet6_numeric", bound_host_or_error("::1", socket.AF_INET6))
    t.observe("inet_localhost", bound_host_or_error("localhost", socket.AF_INET))
    t.observe("inet_with_ipv6_host", bound_host_or_error("::1", socket.AF_INET))
    t.observe("inet6_with_ipv4_host", bound_host_or_error("127.0.0.1", socket.AF_INET6))


@scenario("ADDR-09")
def network_byte_order(t):
    t.observe("htons_0x1234", socket.htons(0x1234))
    t.observe("htonl_0x12345678", socket.htonl(0x12345678))
    t.observe("round_trip", socket.ntohs(socket.htons(0xBEEF)) == 0xBEEF
              and socket.ntohl(socket.htonl(0xDEADBEEF)) == 0xDEADBEEF)
    # In memory, a value in network order is its big-endian bytes.
    t.observe("in_memory_big_endian", struct.pack("=H", socket.htons(0x1234)) == b"\x12\x34"
              and struct.pack("=I", socket.htonl(0x12345678)) == b"\x12\x34\x56\x78")


@scenario("ADDR-10", over_kinds=True)
def the_two_ends_names_mirror_each_other(t, kind):
    with pair_of(kind) as (a, b):
        t.observe("mine_is_the_peers_peer", a.getsockname() == b.getpeername())
        t.observe("the_peers_is_my_peer", b.getsockname() == a.getpeername())


@scenario("ADDR-11", over_kinds=True)
def an_unbound_sockets_name_is_the_wildcard(t, kind):
    with socket.socket(kind.family, kind.type) as fresh:
        name = fresh.getsockname()
        if kind.family == socket.AF_UNIX:
            t.observe("host", name.decode() if isinstance(name, bytes) else name)
        else:
            t.observe("host", name[0])
            t.observe("port", name[1])


@scenario("ADDR-12", over_kinds=True)
def an_unconnected_socket_has_no_peer_name(t, kind):
    with socket.socket(kind.family, kind.type) as fresh, unconnected_of(kind) as bound, pair_of(kind) as (a, b):
        t.observe("fresh", outcome_of(fresh.getpeername))
        t.observe("bound", outcome_of(bound.getpeername))
        b.close()
        t.observe("after_the_peer_closed", outcome_of(a.getpeername))
