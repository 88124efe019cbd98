# SPDX-License-Identifier: MIT
"""X. TCP's own options (TCP-INFO-*, TCP-OPT-*) through CPython's socket module."""

import socket

from conformance.reference.support import (LOOPBACK_TIMEOUT, listener, outcome_of, scenario, setting_outcomes,
                                           tcp_pair)

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
