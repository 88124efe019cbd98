# SPDX-License-Identifier: MIT
"""X. TCP's own options (TCP-INFO-*, TCP-OPT-*) through CPython's socket module."""

import socket
import struct
import time

from conformance.reference.support import (LOOPBACK_TIMEOUT, listener, outcome_of, read_backs, scenario,
                                           setting_outcomes, sysctl_numbers, tcp_pair)

INT_MAX = 2**31 - 1

# tcpi_state by the names of Linux's include/net/tcp_states.h; FIN_WAIT1 and FIN_WAIT2 as one (a
# FIN's ACK may or may not have been processed when the state is read).
STATES = {1: "ESTABLISHED", 4: "FIN_WAIT", 5: "FIN_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 10: "LISTEN"}
TCP_INFO_SIZE = 232  # at least struct tcp_info's first byte; the kernel copies what fits


def tcp_state(s):
    state = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, TCP_INFO_SIZE)[0]
    return STATES.get(state, str(state))


@scenario("TCP-INFO-01")
def tcp_info_says_whether_a_socket_is_closed_listening_or_connected(t):
    with socket.socket() as fresh, listener() as lst, tcp_pair() as (client, server), \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        t.observe("fresh", tcp_state(fresh))
        t.observe("listener", tcp_state(lst))
        t.observe("client", tcp_state(client))
        t.observe("server", tcp_state(server))
        t.observe("on_udp", outcome_of(tcp_state, udp))


@scenario("TCP-INFO-02")
def a_half_close_shows_in_both_ends_states(t):
    with tcp_pair() as (client, server):
        client.shutdown(socket.SHUT_WR)
        server.settimeout(LOOPBACK_TIMEOUT)
        t.require(server.recv(1) == b"", "the server never read the EOF")
        t.observe("closer", tcp_state(client))
        t.observe("peer", tcp_state(server))


@scenario("TCP-OPT-01")
def keepalive_timings_have_bounds(t):
    with socket.socket() as s:
        for name, opt in (("keepidle", socket.TCP_KEEPIDLE), ("keepintvl", socket.TCP_KEEPINTVL),
                          ("keepcnt", socket.TCP_KEEPCNT)):
            t.observe(f"{name}_default", s.getsockopt(socket.IPPROTO_TCP, opt))
            t.observe(name, setting_outcomes(s, socket.IPPROTO_TCP, opt, (-1, 0, 1, 127, 128, 32767, 32768)))


@scenario("TCP-OPT-02")
def maxseg_before_connect_takes_zero_or_at_least_88(t):
    with socket.socket() as s:
        t.observe("default", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))
        t.observe("settings", setting_outcomes(s, socket.IPPROTO_TCP, socket.TCP_MAXSEG, (0, 1, 87, 88, 1460, 65535)))


@scenario("TCP-OPT-03")
def flag_options_read_back_one_for_any_non_zero_value(t):
    with socket.socket() as s:
        for name, level, opt in (("nodelay", socket.IPPROTO_TCP, socket.TCP_NODELAY),
                                 ("cork", socket.IPPROTO_TCP, socket.TCP_CORK),
                                 ("keepalive", socket.SOL_SOCKET, socket.SO_KEEPALIVE)):
            s.setsockopt(level, opt, 7)
            t.observe(name, s.getsockopt(level, opt))


@scenario("TCP-OPT-04")
def syn_retries_and_user_timeout_have_bounds(t):
    with socket.socket() as s:
        t.observe("syncnt_default", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT))
        t.observe("syncnt", setting_outcomes(s, socket.IPPROTO_TCP, socket.TCP_SYNCNT, (0, 1, 127, 128)))
        t.observe("user_timeout_default", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT))
        t.observe("user_timeout", setting_outcomes(s, socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, (-1, 0, 1000)))


def congestion_of(s):
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).split(b"\0")[0].decode()


@scenario("TCP-OPT-05")
def congestion_control_defaults_to_the_sysctl(t):
    with socket.socket() as s, open("/proc/sys/net/ipv4/tcp_congestion_control") as sysctl:
        configured = sysctl.read().strip()
        initial = congestion_of(s)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"reno")
        t.observe("default", initial)
        t.observe("default_is_sysctl", initial == configured)
        t.observe("after_reno", congestion_of(s))
        t.observe("unknown", outcome_of(s.setsockopt, socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"no-such-cc"))


# struct tcp_info's RFC 4898 byte counters, by their offsets in linux/tcp.h.
BYTES_ACKED_AT, BYTES_RECEIVED_AT, BYTES_SENT_AT = 120, 128, 200


def tcp_info_u64(s, offset):
    return struct.unpack_from("Q", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, TCP_INFO_SIZE), offset)[0]


@scenario("TCP-INFO-03")
def tcp_info_counts_the_bytes(t):
    with tcp_pair() as (client, server):
        data = b"x" * 100000
        client.sendall(data)
        server.settimeout(LOOPBACK_TIMEOUT)
        got = 0
        while got < len(data):
            got += len(server.recv(65536))
        deadline = time.monotonic() + 10  # the last ACK may follow by a delayed-ACK interval
        while tcp_info_u64(client, BYTES_ACKED_AT) < len(data) + 1 and time.monotonic() < deadline:
            time.sleep(0)
        t.observe("sender_bytes_sent", tcp_info_u64(client, BYTES_SENT_AT))
        t.observe("sender_bytes_acked", tcp_info_u64(client, BYTES_ACKED_AT))
        t.observe("receiver_bytes_received", tcp_info_u64(server, BYTES_RECEIVED_AT))
        t.observe("receiver_bytes_sent", tcp_info_u64(server, BYTES_SENT_AT))


@scenario("TCP-OPT-06")
def defer_accept_rounds_up_to_the_retransmission_schedule(t):
    with socket.socket() as s:
        t.observe("settings", read_backs(s, socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT,
                                         (0, 1, 2, 3, 4, 7, 10, 30, 100, 1000, -1)))


@scenario("TCP-OPT-07")
def linger2_is_capped_and_zero_means_the_sysctl(t):
    with socket.socket() as s:
        t.observe("default_is_sysctl", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_LINGER2)
                  == sysctl_numbers("net/ipv4/tcp_fin_timeout")[0])
        t.observe("settings", read_backs(s, socket.IPPROTO_TCP, socket.TCP_LINGER2, (1, 60, 120, 121, 1000, 0, -1, -5)))


@scenario("TCP-OPT-08")
def notsent_lowat_keeps_any_value(t):
    with socket.socket() as s:
        t.observe("default", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NOTSENT_LOWAT))
        t.observe("settings", read_backs(s, socket.IPPROTO_TCP, socket.TCP_NOTSENT_LOWAT, (1, 16384, -1, INT_MAX, 0)))


@scenario("TCP-OPT-09")
def window_clamp_has_a_floor(t):
    with socket.socket() as s, socket.socket() as smallest:
        smallest.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
        floor = smallest.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) // 2
        t.observe("default", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_WINDOW_CLAMP))
        t.observe("floor", floor)
        settings = read_backs(s, socket.IPPROTO_TCP, socket.TCP_WINDOW_CLAMP,
                              (0, 1, 100, floor - 1, floor, 5000, INT_MAX, -1))
        t.observe("settings", settings)
        t.equal(settings, f"0:0 1:{floor} 100:{floor} {floor - 1}:{floor} {floor}:{floor} 5000:5000 "
                f"{INT_MAX}:{INT_MAX} -1:{floor}", "settings")


@scenario("TCP-OPT-10")
def maxseg_before_connect_clamps_both_ends(t):
    for mss in (1000, 88):
        with listener() as lst, socket.socket() as client:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
            client.settimeout(LOOPBACK_TIMEOUT)
            client.connect(lst.getsockname())
            lst.settimeout(LOOPBACK_TIMEOUT)
            server, _ = lst.accept()
            with server:
                t.observe(f"client_{mss}", client.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))
                t.observe(f"server_{mss}", server.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))
                later = outcome_of(client.setsockopt, socket.IPPROTO_TCP, socket.TCP_MAXSEG, 500)
                t.observe(f"set_when_connected_{mss}",
                          f"{later} {client.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)}")


TCP_FASTOPEN_CONNECT = getattr(socket, "TCP_FASTOPEN_CONNECT", 30)  # CPython 3.11 lacks it


@scenario("TCP-OPT-11")
def fastopen_queue_is_capped_by_somaxconn(t):
    with socket.socket() as s:
        t.observe("queue", read_backs(s, socket.IPPROTO_TCP, socket.TCP_FASTOPEN, (0, 1, 5, 100000, -1)))
        t.observe("connect", read_backs(s, socket.IPPROTO_TCP, TCP_FASTOPEN_CONNECT, (1, 0, 2)))
