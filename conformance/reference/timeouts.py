# SPDX-License-Identifier: MIT
"""G. Timeouts (TMO-*) through CPython's socket module. Deadlines are checked in a generous
window: never early, at most 2 s late."""

import errno
import os
import socket
import threading
import time

from conformance.reference.kinds import pair_of
from conformance.reference.support import (LOOPBACK_TIMEOUT, Peer, default_timeout, eventually_raises, listener, nonblocking,
                                           outcome_of, scenario, seconds_taken, socketpair, tcp_pair, temp_dir,
                                           wait_until_blocked)


@scenario("TMO-01")
def default_timeout_applies_to_later_sockets_only(t):
    with default_timeout(None):
        t.equal(socket.getdefaulttimeout(), None, "the initial default")
        with socket.socket() as before:
            socket.setdefaulttimeout(10)
            with socket.socket() as after:
                t.equal(after.gettimeout(), 10.0, "a socket made after setdefaulttimeout")
            t.equal(before.gettimeout(), None, "a socket made before setdefaulttimeout")
        t.raises(ValueError, socket.setdefaulttimeout, -1)
        t.equal(socket.getdefaulttimeout(), 10.0, "the default after a rejected value")


@scenario("TMO-02")
def settimeout_validates_and_reads_back(t):
    with socket.socket() as s:
        s.settimeout(3)
        t.equal(s.gettimeout(), 3.0, "gettimeout")
        t.raises(ValueError, s.settimeout, -1, what="settimeout(-1)")
        t.raises(ValueError, s.settimeout, -1e-9, what="settimeout(-1 ns)")
        t.equal(s.gettimeout(), 3.0, "a rejected value must leave the timeout alone")
        s.settimeout(None)
        t.equal(s.gettimeout(), None, "settimeout(None)")


@scenario("TMO-03")
def setblocking_and_settimeout_overwrite_each_other(t):
    with socket.socket() as s:
        s.settimeout(10)
        s.setblocking(True)
        t.equal((s.gettimeout(), s.getblocking()), (None, True), "after setblocking(True)")
        s.setblocking(False)
        t.equal((s.gettimeout(), s.getblocking()), (0.0, False), "after setblocking(False)")
        s.settimeout(1)
        t.equal((s.gettimeout(), s.getblocking()), (1.0, True), "after settimeout(1)")


@scenario("TMO-04")
def zero_means_non_blocking_never_timeout(t):
    with listener() as lst, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        lst.settimeout(0)
        e = t.raises(BlockingIOError, lst.accept)
        t.expect(not isinstance(e, TimeoutError), "timeout zero raised TimeoutError")
        u.bind(("127.0.0.1", 0))
        u.settimeout(0)
        e = t.raises(BlockingIOError, u.recv, 16)
        t.expect(not isinstance(e, TimeoutError), "timeout zero raised TimeoutError")


@scenario("TMO-05")
def blocked_calls_time_out_near_the_deadline(t):
    with listener() as lst, socketpair() as (a, b), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        lst.settimeout(0.3)
        elapsed = seconds_taken(t.raises, TimeoutError, lst.accept)
        t.observe("accept_timeout_elapsed_s", elapsed)
        t.deadline(elapsed, 0.3)
        a.settimeout(0.3)
        t.deadline(seconds_taken(t.raises, TimeoutError, a.recv, 16), 0.3)
        u.bind(("127.0.0.1", 0))
        u.settimeout(0.3)
        t.deadline(seconds_taken(t.raises, TimeoutError, u.recvfrom, 16), 0.3)


@scenario("TMO-06")
def sends_time_out_when_the_buffer_stays_full(t):
    chunk = bytes(200000)
    with tcp_pair() as (c, s):
        c.settimeout(0.1)
        t.expect(eventually_raises(TimeoutError, 100, lambda: c.send(chunk)), "100 sends did not time out")
        t.expect(eventually_raises(TimeoutError, 100, lambda: c.sendall(chunk)), "100 sendalls did not time out")
    with temp_dir() as d, socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver, \
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        receiver.bind(os.path.join(d, "rx.sock"))
        sender.settimeout(0.1)
        to = receiver.getsockname()
        t.expect(eventually_raises(TimeoutError, 100000, lambda: sender.sendto(chunk[:1000], to)),
                 "datagram sends to a peer that never reads did not time out")


@scenario("TMO-07")
def timeout_mode_is_non_blocking_underneath(t):
    with socket.socket() as s:
        s.settimeout(5)
        t.expect(nonblocking(s) and s.getblocking(), "timeout mode: O_NONBLOCK set, getblocking() true")
        with s.dup() as d:
            t.expect(nonblocking(d), "the flag lives on the open file description, shared by dup()")
            s.settimeout(None)
            t.expect(not nonblocking(s) and not nonblocking(d), "blocking mode left O_NONBLOCK set")


@scenario("TMO-08")
def false_wakeups_loop_until_the_deadline(t):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        s.bind(("127.0.0.1", 0))
        with s.dup() as d:
            s.settimeout(1)
            d.settimeout(1)
            tids, outcomes, lock = [], [], threading.Lock()

            def waiter(sock):
                def run():
                    with lock:
                        tids.append(threading.get_native_id())
                    try:
                        outcomes.append("data" if sock.recv(16) else "empty")
                    except TimeoutError:
                        outcomes.append("timeout")
                    except BlockingIOError:
                        outcomes.append("would-block")

                return run

            peers = [Peer(waiter(s)), Peer(waiter(d))]
            end = time.monotonic() + LOOPBACK_TIMEOUT
            while len(tids) < 2 and time.monotonic() < end:
                time.sleep(0)
            both_blocked = len(tids) == 2 and all(wait_until_blocked(tid) for tid in tids)
            sender.sendto(b"one", s.getsockname())
            for p in peers:
                p.join()
    if not both_blocked:
        t.skip("could not see both waiters blocked (needs Linux /proc)")
    t.equal(sorted(outcomes), ["data", "timeout"], "the two waiters' outcomes")


@scenario("TMO-09")
def each_call_has_its_own_deadline(t):
    with socketpair() as (a, b):
        a.settimeout(0.2)
        for _ in range(2):
            t.deadline(seconds_taken(t.raises, TimeoutError, a.recv, 1), 0.2)


@scenario("TMO-10")
def internal_timeout_says_timed_out(t):
    with socketpair() as (a, b):
        a.settimeout(0.05)
        e = t.raises(TimeoutError, a.recv, 1)
        if e is not None:
            t.equal(e.errno, None, "errno of the internal timeout")
            t.equal(str(e), "timed out", "message of the internal timeout")
    t.expect(isinstance(OSError(errno.ETIMEDOUT, "kernel"), TimeoutError), "ETIMEDOUT is not a TimeoutError")


@scenario("TMO-11", over_kinds=True)
def a_recv_times_out_on_every_kind(t, kind):
    with pair_of(kind) as (a, b):
        b.settimeout(0.1)
        start = time.monotonic()
        t.observe("raised", outcome_of(b.recv, 10))
        t.observe("waited_s", time.monotonic() - start)


@scenario("TMO-12")
def the_call_is_tried_before_the_wait(t):
    with tcp_pair() as (client, server):
        server.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
        server.settimeout(0.2)
        t.observe("outcome", outcome_of(server.recv, 1, socket.MSG_OOB))
