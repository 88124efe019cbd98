# SPDX-License-Identifier: MIT
"""C. The listen backlog (TCP-BACKLOG-*) through CPython's socket module."""

import errno
import os
import select
import socket
import time

from conformance.reference.support import polls_within, scenario


def accept_queue_capacity(server, attempts):
    """Connections `server` (never accepting meanwhile) admits, counted on its side: non-blocking
    connects, a bounded 300 ms wait for handshakes (dropped SYNs retry after ~1 s), then
    non-blocking accepts. Returns (accepted, clients whose handshake completed)."""
    clients = []
    try:
        for _ in range(attempts):
            c = socket.socket()
            clients.append(c)
            c.setblocking(False)
            c.connect_ex(server.getsockname())
        end = time.monotonic() + 0.3
        for c in clients:
            polls_within(c, select.POLLOUT, max(0.0, end - time.monotonic()))
        server.setblocking(False)
        accepted = 0
        while True:
            try:
                conn, _ = server.accept()
            except BlockingIOError:
                break
            conn.close()
            accepted += 1
        connected = 0
        for c in clients:
            try:
                c.getpeername()
                connected += 1
            except OSError:
                pass
        return accepted, connected
    finally:
        for c in clients:
            c.close()


def measure(backlog, attempts):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen() if backlog is None else server.listen(backlog)
        return accept_queue_capacity(server, attempts)


def expect_capacity(t, capacity, backlog):
    if os.uname().sysname == "Linux":
        t.equal(capacity, backlog + 1, f"accept queue capacity for backlog {backlog} (Linux admits backlog + 1)")
    else:
        t.expect(capacity >= max(backlog, 1), f"capacity {capacity} below backlog {backlog}")


@scenario("TCP-BACKLOG-01")
def negative_is_clamped_and_default_exists(t):
    for backlog in (None, 0, -1):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            t.succeeds(s.listen, *(() if backlog is None else (backlog,)), what=f"listen({backlog})")
    accepted, _ = measure(-1, 3)
    t.observe("accept_queue_capacity[backlog=-1]", accepted)
    expect_capacity(t, accepted, 0)


def read_somaxconn():
    try:
        with open("/proc/sys/net/core/somaxconn") as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


@scenario("TCP-BACKLOG-02")
def huge_backlog_is_capped_by_somaxconn(t):
    import resource

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1_000_000)
    somaxconn = read_somaxconn()
    if somaxconn is None:
        t.skip("net.core.somaxconn is not readable here")
    t.observe("somaxconn", somaxconn)
    needed = 2 * somaxconn + 64  # a client and an accepted end per admitted connection
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed and (hard == resource.RLIM_INFINITY or hard >= needed):
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
        soft = needed
    if somaxconn > 8192 or soft < needed:
        t.skip(f"somaxconn {somaxconn} needs {needed} descriptors; the limit is {soft}")
    accepted, _ = measure(1_000_000, somaxconn + 2)
    t.observe("accept_queue_capacity[backlog=huge]", accepted)
    expect_capacity(t, accepted, somaxconn)


@scenario("TCP-BACKLOG-03")
def queue_holds_backlog_plus_one(t):
    for backlog in (0, 1, 4, 16):
        accepted, connected = measure(backlog, backlog + 3)
        t.observe(f"accept_queue_capacity[backlog={backlog}]", accepted)
        expect_capacity(t, accepted, backlog)
        if os.uname().sysname == "Linux":
            t.equal(connected, accepted, "clients beyond the queue must not complete")


@scenario("TCP-BACKLOG-04")
def listen_needs_a_connection_oriented_socket(t):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        t.raises(OSError, s.listen, errno=errno.EOPNOTSUPP)


@scenario("TCP-BACKLOG-05")
def unbound_listen_autobinds_tcp_but_not_unix(t):
    with socket.socket() as tcp, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as unix_stream:
        tcp.listen()
        t.expect(tcp.getsockname()[1] != 0, "an unbound TCP listener has port 0")
        t.raises(OSError, unix_stream.listen, errno=errno.EINVAL)


# ---- send and sendall -----------------------------------------------------------------------------
