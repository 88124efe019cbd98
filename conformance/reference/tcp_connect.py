# SPDX-License-Identifier: MIT
"""C. TCP connect and accept (TCP-CONN-*, TCP-ACCEPT-*) through CPython's socket module."""

import errno
import select
import socket

from conformance.reference.support import (LOOPBACK_TIMEOUT, default_timeout, errno_name, fill_accept_queue, ipv6_available,
                                           listener, nonblocking, outcome_of, poll_events, polls_within, scenario,
                                           seconds_taken, unused_port)


@scenario("TCP-CONN-01")
def closed_port_is_refused_at_once(t):
    where = unused_port()
    with socket.socket() as s, socket.socket() as u:
        elapsed = seconds_taken(t.raises, ConnectionRefusedError, s.connect, where)
        t.observe("refusal_ms", elapsed * 1000)
        t.window(elapsed, 0, 2.0, "a refused connect")
        t.equal(u.connect_ex(where), errno.ECONNREFUSED, "connect_ex to a closed port")


@scenario("TCP-CONN-02")
def non_blocking_connect_completes_through_so_error(t):
    with listener() as lst, socket.socket() as ok, socket.socket() as refused, socket.socket() as raising:
        ok.setblocking(False)
        rc = ok.connect_ex(lst.getsockname())
        t.require(rc in (0, errno.EINPROGRESS), f"connect_ex returned {rc}")
        t.require(polls_within(ok, select.POLLOUT, 10), "the connect never completed")
        t.equal(ok.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0, "SO_ERROR after success")
        refused.setblocking(False)
        rc = refused.connect_ex(unused_port())
        if rc == errno.EINPROGRESS:
            t.require(polls_within(refused, select.POLLOUT, 10), "the refused connect never completed")
            t.equal(refused.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), errno.ECONNREFUSED, "SO_ERROR")
        else:
            t.equal(rc, errno.ECONNREFUSED, "connect_ex to a closed port")
        raising.setblocking(False)
        try:
            raising.connect(lst.getsockname())
        except BlockingIOError as e:
            t.equal(e.errno, errno.EINPROGRESS, "errno of the in-progress connect")


@scenario("TCP-CONN-03")
def timeout_mode_connect_times_out(t):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        clients = []
        try:
            fill_accept_queue(server, clients)
            with socket.socket() as s, socket.socket() as u:
                s.settimeout(0.3)
                elapsed = seconds_taken(t.raises, TimeoutError, s.connect, server.getsockname())
                t.observe("connect_timeout_elapsed_s", elapsed)
                t.window(elapsed, 0.298, 2.3, "connect with a 300 ms timeout")
                u.settimeout(0.1)
                t.equal(u.connect_ex(server.getsockname()), errno.EWOULDBLOCK, "connect_ex in timeout mode")
        finally:
            for c in clients:
                c.close()


@scenario("TCP-CONN-04")
def create_connection_tries_all_and_keeps_the_last_error(t):
    with default_timeout(None):
        where = unused_port()
        t.raises(ConnectionRefusedError, socket.create_connection, ("localhost", where[1]), LOOPBACK_TIMEOUT)
        with listener() as lst:
            port = lst.getsockname()[1]
            socket.setdefaulttimeout(42)
            with socket.create_connection(("127.0.0.1", port)) as c:
                t.equal(c.gettimeout(), 42.0, "timeout taken from the default")
            with socket.create_connection(("127.0.0.1", port), None) as c:
                t.equal(c.gettimeout(), None, "explicit None timeout")
            source = unused_port()
            with socket.create_connection(("127.0.0.1", port), LOOPBACK_TIMEOUT, source) as c:
                t.equal(c.getsockname(), source, "source_address")


@scenario("TCP-ACCEPT-01")
def accept_returns_the_client_address_and_a_new_socket(t):
    with listener() as lst, socket.socket() as c:
        c.connect(lst.getsockname())
        conn, addr = lst.accept()
        with conn:
            t.equal(addr, c.getsockname(), "accepted address")
            t.equal(conn.getpeername(), addr, "getpeername of the accepted socket")
            t.equal(conn.family, lst.family, "family")
            t.expect(conn.fileno() != lst.fileno(), "accept returned the listener's descriptor")
            t.expect(not conn.get_inheritable(), "the accepted socket is inheritable")


@scenario("TCP-ACCEPT-02")
def non_blocking_accept_fails_at_once_then_succeeds_when_readable(t):
    with listener() as lst, socket.socket() as c:
        lst.setblocking(False)
        elapsed = seconds_taken(t.raises, BlockingIOError, lst.accept)
        t.window(elapsed, 0, 1.0, "a non-blocking accept")
        c.connect(lst.getsockname())
        t.require(select.select([lst], [], [], 10)[0], "the listener never polled readable")
        conn, addr = lst.accept()
        with conn:
            t.equal(addr, c.getsockname(), "accepted address")


def accept_one(lst):
    c = socket.socket()
    c.connect(lst.getsockname())
    if not select.select([lst], [], [], 10)[0]:
        c.close()
        raise TimeoutError("the listener never polled readable")
    conn, _ = lst.accept()
    return c, conn


@scenario("TCP-ACCEPT-03")
def accepted_socket_takes_the_default_timeout(t):
    with default_timeout(None):
        for mode in (None, 10.0, 0.0):
            with listener() as lst:
                lst.settimeout(mode)
                c, conn = accept_one(lst)
                with c, conn:
                    t.equal(conn.gettimeout(), None, f"accepted timeout (listener {mode})")
                    t.expect(not nonblocking(conn), f"accepted socket is O_NONBLOCK (listener {mode})")
        socket.setdefaulttimeout(20)
        with listener() as lst:
            lst.settimeout(0)
            c, conn = accept_one(lst)
            with c, conn:
                t.equal(conn.gettimeout(), 20.0, "accepted timeout with a default of 20 s")
                t.expect(nonblocking(conn), "timeout mode without O_NONBLOCK")


@scenario("TCP-ACCEPT-04")
def accept_on_a_non_listening_socket_is_einval(t):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        t.raises(OSError, s.accept, errno=errno.EINVAL)


# ---- listen backlog -------------------------------------------------------------------------------


@scenario("TCP-CONN-05")
def all_errors_raises_a_group_of_every_candidates_error(t):
    where = unused_port()
    candidates = len(socket.getaddrinfo("localhost", where[1], type=socket.SOCK_STREAM))
    try:
        socket.create_connection(("localhost", where[1]), LOOPBACK_TIMEOUT, all_errors=True).close()
        t.equal("connected", "refused", "a closed port")
    except ExceptionGroup as group:  # noqa: F821 (a builtin from Python 3.11)
        t.observe("group_size_is_candidates", len(group.exceptions) == candidates)
        kinds = {type(e).__name__ for e in group.exceptions}
        t.observe("each", "ConnectionRefusedError" if kinds == {"ConnectionRefusedError"} else f"other: {kinds}")
        t.equal(isinstance(group, OSError), False, "an ExceptionGroup is not an OSError")


@scenario("TCP-CONN-06")
def a_socket_can_connect_to_itself(t):
    # TCP's simultaneous open: bound to a port and connected to that same address.
    for family, host, name in ((socket.AF_INET, "127.0.0.1", "inet"), (socket.AF_INET6, "::1", "inet6")):
        if family == socket.AF_INET6 and not ipv6_available():
            continue
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(LOOPBACK_TIMEOUT)
            s.bind((host, 0))
            s.connect(s.getsockname())
            t.observe(f"{name}_peer_is_itself", s.getpeername() == s.getsockname())
            s.sendall(b"echo")
            t.observe(f"{name}_reads", s.recv(16).decode())


@scenario("TCP-CONN-07")
def a_refused_non_blocking_connect_then_a_retry(t):
    with socket.socket() as s, listener() as lst:
        s.setblocking(False)
        started = errno_name(s.connect_ex(unused_port()))
        t.require(polls_within(s, select.POLLERR), "the refusal never showed")
        t.observe("connect", started)
        t.observe("events", poll_events(s))
        t.observe("so_error", errno_name(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
        t.observe("so_error_again", errno_name(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
        s.settimeout(LOOPBACK_TIMEOUT)
        t.observe("retry", outcome_of(s.connect, lst.getsockname()))
        t.observe("again", outcome_of(s.connect, lst.getsockname()))


@scenario("TCP-CONN-08")
def a_listener_cannot_connect(t):
    with listener() as lst, listener() as other:
        t.observe("connect", outcome_of(lst.connect, other.getsockname()))
        t.observe("connect_ex", errno_name(lst.connect_ex(other.getsockname())))
        t.observe("still_listening", lst.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
