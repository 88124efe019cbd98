# SPDX-License-Identifier: MIT
"""M. EINTR and signals (SIG-*) through CPython's socket module: SIGUSR1 about every millisecond
at the main thread, whose Python handler is installed without SA_RESTART."""

import socket
import threading
import time

from conformance.reference.support import LOOPBACK_TIMEOUT, Peer, SignalStorm, scenario, socketpair, storm_reached, wait_until_blocked


@scenario("SIG-01")
def blocking_recv_is_retried_transparently(t):
    with socketpair() as (a, b):
        receiver = threading.get_native_id()
        before = SignalStorm.delivered
        seen = {}
        with SignalStorm():

            def send_later():
                seen["ok"] = wait_until_blocked(receiver) and storm_reached(before, 50)
                b.sendall(b"after the storm")  # sent either way, so recv returns

            sender = Peer(send_later)
            got = a.recv(64)
            sender.join()
        during = SignalStorm.delivered - before
        t.observe("signals_delivered", during)
        t.require(seen["ok"], "the receiver was never seen blocked under the storm")
        t.equal(got, b"after the storm", "the data")
        t.expect(during >= 50, f"only {during} signals")


class Interrupted(Exception):
    pass


@scenario("SIG-02")
def a_raising_handler_propagates(t):
    with socketpair() as (a, b):
        before = SignalStorm.delivered

        raised = []

        def raise_after_some():  # once: later signals (until the storm stops) must not raise again
            if not raised and SignalStorm.delivered - before >= 20:
                raised.append(True)
                raise Interrupted()

        start = time.monotonic()
        a.settimeout(LOOPBACK_TIMEOUT)  # the bound if the exception never came
        with SignalStorm(handler=raise_after_some):
            t.raises(Interrupted, a.recv, 16, what="recv under a raising handler")
        t.expect(time.monotonic() - start < LOOPBACK_TIMEOUT / 2, "the exception came only with the timeout")


@scenario("SIG-03")
def sendall_under_signals_delivers_every_byte(t):
    payload = bytes((i * 131 >> 7) & 0xFF for i in range(1 << 16)) * 512  # 32 MiB
    with socketpair() as (a, b):
        result = {"received": 0, "in_order": True}
        pause = threading.Event()

        def read():
            b.settimeout(LOOPBACK_TIMEOUT)
            buf = bytearray(64 << 10)
            view = memoryview(buf)
            while n := b.recv_into(buf):
                r = result["received"]
                if result["in_order"] and view[:n] != payload[r : r + n]:
                    result["in_order"] = False
                result["received"] = r + n
                pause.wait(0.0002)  # pacing only: nothing sets it

        reader = Peer(read)
        before = SignalStorm.delivered
        try:
            with SignalStorm():
                a.sendall(payload)
        finally:
            a.close()
            reader.join()
        during = SignalStorm.delivered - before
        t.observe("signals_delivered", during)
        t.expect(during > 0, "no signal arrived during sendall")
        t.equal(result["received"], len(payload), "bytes received")
        t.expect(result["in_order"], "a chunk was lost, repeated or reordered")


@scenario("SIG-04")
def signals_do_not_stretch_timeouts(t):
    with socketpair() as (a, b):
        before = SignalStorm.delivered
        with SignalStorm():
            a.settimeout(0.3)
            start = time.monotonic()
            t.raises(TimeoutError, a.recv, 16)
            recv_elapsed = time.monotonic() - start
            start = time.monotonic()
            t.raises(TimeoutError, a.sendall, bytes(64 << 20))
            sendall_elapsed = time.monotonic() - start
        t.observe("signals_delivered", SignalStorm.delivered - before)
        t.expect(SignalStorm.delivered - before > 10, "too few signals")
        for what, elapsed in (("recv", recv_elapsed), ("sendall", sendall_elapsed)):
            t.window(elapsed, 0.298, 2.3, f"{what} with a 300 ms timeout under signals")


@scenario("SIG-05")
def interrupted_connect_waits_for_the_connection_in_flight(t):
    with socket.socket() as server, socket.socket() as first, socket.socket() as c:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        first.connect(server.getsockname())  # fills the queue: Linux admits backlog + 1 = 1
        connector = threading.get_native_id()
        before = SignalStorm.delivered
        seen = {}
        with SignalStorm():

            def drain():
                seen["ok"] = wait_until_blocked(connector) and storm_reached(before, 20)
                server.setblocking(False)
                conn, _ = server.accept()  # frees the queue: the SYN retransmit completes the connect
                conn.close()

            drainer = Peer(drain)
            try:
                c.connect(server.getsockname())
            finally:
                drainer.join()
        t.observe("signals_delivered", SignalStorm.delivered - before)
        t.require(seen["ok"], "the connect was never seen blocked under the storm")
        t.equal(c.getpeername(), server.getsockname(), "the connected peer")
