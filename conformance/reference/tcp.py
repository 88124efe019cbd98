# SPDX-License-Identifier: MIT
"""C/D. TCP connect, accept, listen backlog, send and sendall (TCP-*) through CPython's socket."""

import errno
import mmap
import os
import random
import select
import socket
import threading
import time
import zlib

from conformance.reference.kinds import pair_of
from conformance.reference.support import (ipv6_available, LOOPBACK_TIMEOUT, Peer, default_timeout, eventually_raises, listener, nonblocking,
                     scenario, seconds_taken, socketpair, tcp_pair, temp_dir, unused_port)


def writable_within(s, limit):
    p = select.poll()  # not select(): the backlog probes hold descriptors above FD_SETSIZE
    p.register(s, select.POLLOUT)
    return bool(p.poll(limit * 1000))


def fill_accept_queue(server, clients):
    """listen(0) admits one connection on Linux: connect until one does not complete."""
    for _ in range(4):
        c = socket.socket()
        c.settimeout(0.2)
        clients.append(c)
        if c.connect_ex(server.getsockname()) != 0:
            break


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
            writable_within(c, max(0.0, end - time.monotonic()))
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


def small_buffer_pair():
    """A pair with 4 KiB buffers (set before listen/connect so the window scale stays small)."""
    with socket.socket() as lst:
        lst.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        lst.bind(("127.0.0.1", 0))
        lst.listen()
        c = socket.socket()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        c.connect(lst.getsockname())
        lst.settimeout(LOOPBACK_TIMEOUT)
        conn, _ = lst.accept()
    return c, conn


class SlowReader:
    """Drains `s` in `chunk` reads about every `period` seconds until stopped."""

    def __init__(self, s, chunk, period):
        self.stop = threading.Event()

        def run():
            s.settimeout(period)
            while not self.stop.is_set():
                try:
                    if not s.recv(chunk):
                        return
                except TimeoutError:
                    continue
                except OSError:
                    return
                self.stop.wait(period)

        self.peer = Peer(run)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.peer.join()


def drain(s, limit_bytes=None):
    """(bytes received until EOF, crc32 of them)."""
    s.settimeout(LOOPBACK_TIMEOUT)
    total, crc = 0, 0
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            return total, crc
        total += len(chunk)
        crc = zlib.crc32(chunk, crc)


# ---- connect and accept ---------------------------------------------------------------------------


@scenario("TCP-CONN-01")
def closed_port_is_refused_at_once(t):
    where = unused_port()
    with socket.socket() as s, socket.socket() as u:
        elapsed = seconds_taken(t.raises, ConnectionRefusedError, s.connect, where)
        t.observe("refusal_ms", elapsed * 1000)
        t.expect(elapsed < 2.0, f"refusal took {elapsed:.3f} s")
        t.equal(u.connect_ex(where), errno.ECONNREFUSED, "connect_ex to a closed port")


@scenario("TCP-CONN-02")
def non_blocking_connect_completes_through_so_error(t):
    with listener() as lst, socket.socket() as ok, socket.socket() as refused, socket.socket() as raising:
        ok.setblocking(False)
        rc = ok.connect_ex(lst.getsockname())
        t.require(rc in (0, errno.EINPROGRESS), f"connect_ex returned {rc}")
        t.require(writable_within(ok, 10), "the connect never completed")
        t.equal(ok.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0, "SO_ERROR after success")
        refused.setblocking(False)
        rc = refused.connect_ex(unused_port())
        if rc == errno.EINPROGRESS:
            t.require(writable_within(refused, 10), "the refused connect never completed")
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
                t.expect(0.298 <= elapsed < 2.3, f"connect timed out after {elapsed:.3f} s")
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
        t.expect(elapsed < 1.0, f"a non-blocking accept took {elapsed:.3f} s")
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


@scenario("TCP-SEND-01")
def send_returns_what_the_kernel_took(t):
    payload = random.Random(1).randbytes(1 << 20)
    with tcp_pair() as (c, s):
        result = {}
        reader = Peer(lambda: result.update(got=drain(s)))
        c.setblocking(False)
        sent = calls = 0
        try:
            while sent < len(payload) and calls < 100000:
                calls += 1
                try:
                    n = c.send(payload[sent:])
                except BlockingIOError:
                    t.require(writable_within(c, 10), "never writable again")
                    continue
                t.require(0 < n <= len(payload) - sent, f"send returned {n} with {len(payload) - sent} left")
                sent += n
        finally:
            c.shutdown(socket.SHUT_WR)
            reader.join()
        t.equal(result["got"], (len(payload), zlib.crc32(payload)), "(bytes, crc32) received")


@scenario("TCP-SEND-02")
def partial_send_is_forced_in_timeout_and_non_blocking_mode(t):
    big = bytes(4_000_000)
    for mode in (0.2, 0.0):
        c, conn = small_buffer_pair()
        with c, conn:
            c.settimeout(mode)
            n = c.send(big)
            t.expect(0 < n < len(big), f"send of 4 MB returned {n}")
            t.observe("partial_send_bytes[nonblocking]" if mode == 0 else "partial_send_bytes[timeout]", n)
            expected = BlockingIOError if mode == 0 else TimeoutError
            t.expect(eventually_raises(expected, 1000, lambda: c.send(big)), f"no {expected.__name__} came")


@scenario("TCP-SEND-03", over_kinds=True)
def empty_sends_are_no_ops(t, kind):
    with pair_of(kind) as (c, s):
        t.observe("send_returns", c.send(b""))
        c.sendall(b"")
        s.setblocking(False)
        t.raises(BlockingIOError, s.recv, 16, what="recv after empty sends")
        c.sendall(b"x")
        s.settimeout(LOOPBACK_TIMEOUT)
        t.observe("then", s.recv(16).decode())


@scenario("TCP-SEND-04")
def closed_peer_raises_instead_of_killing(t):
    import signal

    # CPython's guard is process-wide: the interpreter starts with SIGPIPE ignored (socklab instead
    # passes MSG_NOSIGNAL, which holds under any disposition).
    t.equal(signal.getsignal(signal.SIGPIPE), signal.SIG_IGN, "SIGPIPE disposition at startup")
    with tcp_pair() as (c, s):
        s.close()
        raised = eventually_raises((BrokenPipeError, ConnectionResetError), 1000, lambda: c.send(b"x" * 1024))
        t.expect(raised, "1000 sends to a closed peer all succeeded")
    with socketpair() as (a, b):
        b.close()
        t.raises(BrokenPipeError, a.sendall, b"x")


@scenario("TCP-SEND-05")
def send_on_a_never_connected_socket_fails(t):
    with socket.socket() as s:
        want = errno.EPIPE if os.uname().sysname == "Linux" else errno.ENOTCONN
        t.raises(OSError, s.sendall, b"foo", errno=want)


@scenario("TCP-SENDALL-01", over_kinds=True)
def every_byte_arrives_in_order(t, kind):
    payload = random.Random(2).randbytes(10_000_000)
    t.observe("payload_bytes", len(payload))
    with pair_of(kind) as (c, s):
        got = bytearray()

        def read():
            while chunk := s.recv(1 << 16):
                got.extend(chunk)

        reader = Peer(read)
        try:
            c.sendall(payload)
        finally:
            c.close()
            reader.join()
        t.equal(len(got), len(payload), "bytes received")
        t.expect(got == payload, "the bytes received differ from those sent")


@scenario("TCP-SENDALL-02")
def timeout_is_one_total_deadline(t):
    c, conn = small_buffer_pair()
    with c, conn, SlowReader(conn, 16384, 0.01):
        c.settimeout(0.3)
        big = bytes(64 << 20)
        start = time.monotonic()
        try:
            c.sendall(big)
            t.require(False, "sendall of 64 MiB to a slow reader did not time out")
        except TimeoutError:
            pass
        elapsed = time.monotonic() - start
        t.observe("sendall_timeout_elapsed_s", elapsed)
        # Python does not say how much went out (socklab observes bytes_sent_before_timeout).
        t.expect(0.298 <= elapsed < 2.3, f"sendall timed out after {elapsed:.3f} s")


@scenario("TCP-SENDALL-03")
def a_failed_sendall_raises_after_an_unknown_prefix(t):
    c, conn = small_buffer_pair()
    with c, conn:
        c.settimeout(0.1)
        big = bytes(8_000_000)
        t.raises(TimeoutError, c.sendall, big, what="sendall of 8 MB into 4 KiB buffers")
        c.shutdown(socket.SHUT_WR)
        received, _ = drain(conn)
        t.expect(received < len(big), f"all {received} bytes arrived, yet sendall raised")


@scenario("TCP-SENDALL-04")
def payloads_over_two_gibibytes_are_not_truncated(t):
    size = 9 << 28  # 2.25 GiB of untouched anonymous memory: reads as zeros, costs no RAM
    try:
        mem = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_NORESERVE", 0),
                        prot=mmap.PROT_READ)
    except (OSError, OverflowError) as e:
        t.skip(f"cannot map 2.25 GiB here: {e}")
    with mem, socketpair() as (a, b):
        result = {}

        def read():
            b.settimeout(LOOPBACK_TIMEOUT)
            buf = bytearray(1 << 20)
            total = 0
            while n := b.recv_into(buf):
                total += n
            result["received"] = total

        reader = Peer(read)
        try:
            with memoryview(mem) as view:
                a.sendall(view)
        finally:
            a.close()
            reader.join(120)
        t.observe("large_payload_bytes", result["received"])
        t.equal(result["received"], size, "bytes received")


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


@scenario("TCP-SENDFILE-01")
def a_file_from_an_offset_for_a_count_then_the_position_after_it(t):
    content = bytes(ord("a") + i % 26 for i in range(100000))
    with temp_dir() as d, tcp_pair() as (a, b):
        path = os.path.join(d, "data")
        with open(path, "wb") as f:
            f.write(content)
        with open(path, "rb") as f:
            b.settimeout(10)
            t.observe("sent", a.sendfile(f, 10, 1000))
            t.observe("position", f.tell())
            got = b""
            while len(got) < 1000:
                chunk = b.recv(1000 - len(got))
                if not chunk:
                    break
                got += chunk
            t.observe("data_is_the_slice", got == content[10:1010])
            t.observe("to_the_end", a.sendfile(f, 99000))
