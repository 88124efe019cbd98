# SPDX-License-Identifier: MIT
"""What the Python reference scenarios share: the registry, the checker each scenario reports
through, and loopback fixtures (pairs, listeners, free ports, peer threads, a signal storm).

Standard library only: this runs under any CPython 3.8+, Debian's /usr/bin/python3 included."""

import contextlib
import errno
import fcntl
import os
import random
import select
import shutil
import signal
import socket
import struct
import tempfile
import termios
import threading
import time

LOOPBACK_TIMEOUT = 10.0  # bounds every wait that should end in microseconds on loopback

SCENARIOS = []  # (behaviour id, test name, function), in registration order


def scenario(behaviour_id, variant=None, over_kinds=False):
    """Registers `fn(t)` as a check of catalog entry `behaviour_id`; with over_kinds, `fn(t, kind)`
    runs once per socket kind the catalog gives the entry (conformance/reference/kinds.py)."""

    def register(fn):
        name = fn.__name__ + (f"/{variant}" if variant else "")
        check = (lambda t: fn(t, variant)) if variant else fn
        check.over_kinds = over_kinds
        check.defined_in = fn.__module__  # where a reader finds it (one module per group)
        SCENARIOS.append((behaviour_id, name, check))
        return fn

    return register


class Skipped(Exception):
    pass


class Failed(Exception):
    pass


class Check:
    """Collects one scenario's failures (non-fatal, like EXPECT_*) and observed values."""

    def __init__(self):
        self.failures = []
        self.observed = {}

    def expect(self, condition, message):
        if not condition:
            self.failures.append(message)
        return bool(condition)

    def equal(self, got, want, what):
        return self.expect(got == want, f"{what}: got {got!r}, expected {want!r}")

    def require(self, condition, message):
        if not condition:
            raise Failed(message)

    def skip(self, reason):
        raise Skipped(reason)

    def observe(self, key, value):
        self.observed[key] = value

    def raises(self, expected, call, *args, errno=None, what=None):
        """Runs call(*args) and checks it raises `expected` (with `errno` when given); returns the
        exception, or None. Any other exception is a failure, not an error of the run."""
        what = what or getattr(call, "__name__", "call")
        try:
            call(*args)
        except expected as e:
            if errno is not None and getattr(e, "errno", None) != errno:
                self.failures.append(f"{what} raised errno {getattr(e, 'errno', None)}, expected {errno}: {e}")
            return e
        except Exception as e:  # the wrong exception is a finding, reported like any other
            names = expected.__name__ if isinstance(expected, type) else "/".join(x.__name__ for x in expected)
            self.failures.append(f"{what} raised {type(e).__name__}: {e}, expected {names}")
            return None
        self.failures.append(f"{what} did not raise")
        return None

    def succeeds(self, call, *args, what=None):
        """Runs call(*args) and checks it raises no OSError (EXPECT_NO_THROW)."""
        try:
            call(*args)
        except OSError as e:
            self.failures.append(f"{what or getattr(call, '__name__', 'call')} raised {e}")

    def window(self, elapsed, at_least, under, what):
        """at_least <= elapsed < under (seconds) of `what`. Late on an emulated platform (the
        platform runner's TCG guests, SOCKLAB_EMULATED=1: CPU work 40-60x slower) is too slow to
        judge, a skip; early is the library's everywhere (socklab's timing_window.hpp)."""
        self.expect(elapsed >= at_least, f"{what} took {elapsed:.3f} s: before its window ({at_least} s)")
        if elapsed >= under and os.environ.get("SOCKLAB_EMULATED") == "1":
            self.skip(f"too slow to judge on an emulated platform: {what} took {elapsed:.3f} s, "
                      f"its window ends at {under} s")
        self.expect(elapsed < under, f"{what} took {elapsed:.3f} s (window ends at {under} s)")

    def deadline(self, elapsed, t):
        """A timeout fired near its deadline: never early, at most 2 s late (a noisy machine)."""
        self.window(elapsed, t - 0.002, t + 2.0, f"a call with a {t} s timeout")


def seconds_taken(call, *args):
    start = time.monotonic()
    call(*args)
    return time.monotonic() - start


# ---- fixtures -------------------------------------------------------------------------------------


def listener(family=socket.AF_INET, backlog=None):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
    s.listen() if backlog is None else s.listen(backlog)
    return s


@contextlib.contextmanager
def tcp_pair(family=socket.AF_INET):
    """(client, accepted server end), both blocking, closed on exit."""
    with listener(family) as lst:
        c = socket.create_connection(lst.getsockname()[:2], timeout=LOOPBACK_TIMEOUT)
        lst.settimeout(LOOPBACK_TIMEOUT)
        conn, _ = lst.accept()
    c.settimeout(None)
    with c, conn:
        yield c, conn


@contextlib.contextmanager
def socketpair(*args):
    a, b = socket.socketpair(*args)
    with a, b:
        yield a, b


@contextlib.contextmanager
def datagram_waiting(payload):
    """A UDP server on 127.0.0.1 (10 s timeout) with `payload` sent to it by a client; both closed
    on exit."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        server.settimeout(LOOPBACK_TIMEOUT)
        server.bind(("127.0.0.1", 0))
        client.sendto(payload, server.getsockname())
        yield server, client


def unused_port(kind=socket.SOCK_STREAM):
    """A loopback address nothing listens on, below the ephemeral range (so that no connection
    the system makes meanwhile takes it)."""
    low = 32768
    with contextlib.suppress(OSError, ValueError), open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
    first = max(1024, low - 10000)
    for _ in range(200):
        port = random.randrange(first, low)
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()
    raise RuntimeError("no unused loopback port found in 200 tries")


def ipv6_available():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@contextlib.contextmanager
def temp_dir():
    path = tempfile.mkdtemp(prefix="socklab-ref-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def default_timeout(value):
    """setdefaulttimeout(value) for the block; the previous default comes back on every path."""
    saved = socket.getdefaulttimeout()
    socket.setdefaulttimeout(value)
    try:
        yield
    finally:
        socket.setdefaulttimeout(saved)


class Peer:
    """A helper thread whose exception is re-raised by join(); join is bounded."""

    def __init__(self, target):
        self.error = None

        def run():
            try:
                target()
            except BaseException as e:  # handed to join(), which re-raises in the scenario
                self.error = e

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def join(self, limit=2 * LOOPBACK_TIMEOUT):
        self.thread.join(limit)
        if self.thread.is_alive():
            raise Failed(f"a peer thread did not finish within {limit} s")
        if self.error is not None:
            raise self.error


def wait_until_blocked(tid, limit=LOOPBACK_TIMEOUT):
    """Whether thread `tid` (a native id) is seen asleep in a system call within `limit` (Linux)."""
    path = f"/proc/self/task/{tid}/stat"
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            with open(path) as f:
                stat = f.read()
        except OSError:
            return False
        close = stat.rfind(")")
        if close != -1 and stat[close + 2 : close + 3] == "S":
            return True
        time.sleep(0)  # a yield, as in the C++ suite's bounded poll
    return False


class SignalStorm:
    """SIGUSR1 at the main thread about every millisecond while active; Python installs its
    handlers without SA_RESTART, so blocked calls see EINTR (and PEP 475 retries them)."""

    delivered = 0

    def __init__(self, handler=None, period=0.001):
        self.period = period
        self.handler = handler
        self.stop = threading.Event()

    def _count(self, signum, frame):
        SignalStorm.delivered += 1
        if self.handler:
            self.handler()

    def __enter__(self):
        self.previous = signal.signal(signal.SIGUSR1, self._count)
        target = threading.main_thread().ident

        def fire():
            while not self.stop.is_set():
                signal.pthread_kill(target, signal.SIGUSR1)
                self.stop.wait(self.period)

        self.thread = threading.Thread(target=fire, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(LOOPBACK_TIMEOUT)
        signal.signal(signal.SIGUSR1, self.previous)


def storm_reached(start, n, limit=LOOPBACK_TIMEOUT):
    end = time.monotonic() + limit
    while SignalStorm.delivered - start < n:
        if time.monotonic() > end:
            return False
        time.sleep(0.001)  # polled with a bound; the signals arrive at the main thread
    return True


def fd_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def nonblocking(s):
    return bool(fcntl.fcntl(s.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK)


def eventually_raises(expected, attempts, call):
    """Repeats call() (at most `attempts` times) until it raises `expected`; False if it never does.
    Buffers grow under autotuning, so 'the next call fails' only holds as 'some call soon fails'."""
    for _ in range(attempts):
        try:
            call()
        except expected:
            return True
    return False


def open_fds():
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None


POLL_BITS = (("POLLIN", select.POLLIN), ("POLLOUT", select.POLLOUT), ("POLLERR", select.POLLERR),
             ("POLLHUP", select.POLLHUP), ("POLLRDHUP", select.POLLRDHUP))


def poll_events(s):
    """What poll() reports for `s` now, asked for reading, writing and the peer's half-close, as the
    names of the bits set, in socklab-conform's order."""
    p = select.poll()
    p.register(s, select.POLLIN | select.POLLOUT | select.POLLRDHUP)
    ready = p.poll(0)
    mask = ready[0][1] if ready else 0
    return [name for name, bit in POLL_BITS if mask & bit]


def polls_within(s, events, limit=LOOPBACK_TIMEOUT):
    """Whether poll() reports any of `events` for `s` within `limit` seconds."""
    p = select.poll()
    p.register(s, events)
    ready = p.poll(int(limit * 1000))
    return bool(ready and ready[0][1] & events)


def errno_name(value):
    """An errno's name ("ECONNRESET"), or the number as text when it has none (0), as
    socklab-conform's errno_name_of() writes it."""
    return errno.errorcode.get(value, str(value))


def outcome_of(call, *args):
    """The class and errno name of what call(*args) raised ("BrokenPipeError EPIPE"), or "none"."""
    try:
        call(*args)
    except OSError as e:
        return f"{type(e).__name__} {errno.errorcode.get(e.errno, e.errno) if e.errno is not None else None}"
    return "none"


def fill_accept_queue(server, clients):
    """listen(0) admits one connection on Linux: connect until one does not complete."""
    for _ in range(4):
        c = socket.socket()
        c.settimeout(0.2)
        clients.append(c)
        if c.connect_ex(server.getsockname()) != 0:
            break


def queued_bytes(s):
    """FIONREAD: the bytes waiting to be read (a stream's and SEQPACKET's all, a datagram socket's
    next datagram)."""
    return struct.unpack("i", fcntl.ioctl(s, termios.FIONREAD, b"\0\0\0\0"))[0]


def queued_within(s, n, limit=LOOPBACK_TIMEOUT):
    """Whether at least `n` bytes are waiting in `s` within `limit` seconds (a bounded poll)."""
    end = time.monotonic() + limit
    while queued_bytes(s) < n:
        if time.monotonic() > end:
            return False
        time.sleep(0)
    return True


def setting_outcomes(s, level, name, values):
    """What setting option (level, name) of `s` to each of `values` does, as socklab-conform's
    setting_outcomes() writes it: "value:outcome" joined by spaces."""
    return " ".join(f"{v}:{outcome_of(s.setsockopt, level, name, v)}" for v in values)


def read_backs(s, level, name, values):
    """What option (level, name) of `s` reads back after setting it to each of `values`, as
    socklab-conform's read_backs() writes it: "value:read" joined by spaces, or the outcome of a
    setting that fails."""
    def one(v):
        outcome = outcome_of(s.setsockopt, level, name, v)
        return f"{v}:{s.getsockopt(level, name) if outcome == 'none' else outcome}"
    return " ".join(one(v) for v in values)


def sysctl_numbers(name):
    """The numbers of a sysctl ("net/ipv4/tcp_rmem" gives its three)."""
    with open(f"/proc/sys/{name}") as f:
        return [int(v) for v in f.read().split()]


def items_of_a_datagram(sender, receiver):
    """The ancillary items of one datagram `sender` sends to `receiver`."""
    sender.sendto(b"x", receiver.getsockname())
    receiver.settimeout(LOOPBACK_TIMEOUT)
    return receiver.recvmsg(16, 256)[1]


def item_names(items):
    """Ancillary items as "level/type:size", as socklab-conform's item_names() writes them."""
    return [f"{level}/{kind}:{len(data)}" for level, kind, data in items]


def item_data(items, level, kind):
    """The data of the first item of (level, kind), or empty."""
    return next((data for lv, k, data in items if (lv, k) == (level, kind)), b"")


def int_at(data, offset=0):
    """The native-endian int at `offset` of an ancillary item's data, or -1 if it is short."""
    return struct.unpack_from("i", data, offset)[0] if len(data) >= offset + 4 else -1


def recv_all(s):
    """Reads until EOF (each read bounded by the socket's timeout), as test_support's recv_all()."""
    chunks = []
    while chunk := s.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)
