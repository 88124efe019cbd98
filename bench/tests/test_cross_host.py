"""Cross-host mode: `socklab-bench --serve` and `--peer=HOST:PORT`.

On loopback: a table of malformed and hostile control messages, after each of which the server
still serves; a third party from another loopback address (127.0.0.2) whose data connection or
datagrams the server refuses, never counts and never answers; authentication with a pre-shared
key (wrong, missing, replayed, too readable); --allow and the per-client limits. Across two network namespaces that the test creates (a veth pair with addresses
of its own; needs root and iproute2, skipped otherwise, removed on every path): every family runs
and its JSON validates, and with a token-bucket cap on the link the measured rates match the
ground truth within 2 % (TCP: rate x 1448/1514; UDP: rate x 1472/1514), with iperf3 measured
beside when it is installed. SOCKLAB_CROSS_HOST_FIGURES=FILE appends the figures there as JSON lines."""
import json
import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import time
import uuid

import pytest

from bench.tests.remote_client import LIMIT as CALL_LIMIT, Control, Intruder, frame, message, read_key
from common import schemas
from common.results import load_bench

LIMIT = 60  # seconds: the bound on any one command here


class Server:
    """A `socklab-bench --serve` started by this test, ended by its own PID on every path."""

    def __init__(self, bench, bind, prefix=(), args=()):
        self.proc = subprocess.Popen([*prefix, str(bench), "--serve", f"--bind={bind}", "--port=0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline() if ready else ""
        if "serving on" not in line:
            self.stop()
            raise AssertionError(f"the server did not start: {line!r} {self.proc.stderr.read()}")
        self.port = int(line.split()[3].rsplit(":", 1)[1])

    def alive(self):
        return self.proc.poll() is None

    def log(self):
        """Stops the server; its log lines (stderr)."""
        self.stop(close=False)
        text = self.proc.stderr.read()
        self.proc.stderr.close()
        return text.splitlines()

    def stop(self, close=True):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if close:
            self.proc.stderr.close()
        self.proc.stdout.close()


@pytest.fixture
def loopback_server(bench):
    server = Server(bench, "127.0.0.1")
    yield server
    server.stop()


@pytest.fixture
def control(loopback_server):
    """A control connection to the loopback server, past its hello; closed afterwards."""
    c = Control("127.0.0.1", loopback_server.port)
    hello = c.hello()
    assert hello["type"] == "hello" and hello["auth"] == "none", hello
    yield c
    c.close()


def serves_the_next_client(server):
    c = Control("127.0.0.1", server.port)
    try:
        hello = c.hello()
    finally:
        c.close()
    assert hello["type"] == "hello" and hello["version"] == 2 and "kernel" in hello["context"]
    assert schemas.violations(hello, "remote-control") == []
    return server.alive()


def raw(**fields):
    return frame(json.dumps(fields).encode())


# First messages that cannot start a session: an error names why, and the connection ends.
BEFORE_HELLO = [
    ("wrong version", raw(version=1, type="hello", context={}), "unsupported protocol version 1"),
    ("no version", raw(type="hello"), "unsupported protocol version (none)"),
    ("not an object", frame(b"[1, 2, 3]"), "must be a JSON object"),
    ("not JSON", frame(b"\x00\xffnot json at all"), "invalid JSON"),
    ("truncated JSON", frame(b'{"version": 2, "type": "he'), "invalid JSON"),
    ("a test before hello", message("test", family="tcp_stream", size=1, duration_s=1), "expected 'hello' first"),
    ("hello without a nonce", message("hello", context={}), "'nonce' must be a string of 64 hex digits"),
    ("hello with a short nonce", message("hello", context={}, nonce="ab"), "'nonce'"),
    ("over-limit frame", struct.pack(">I", 1 << 30) + b"{", "frame"),
]


@pytest.mark.parametrize("name, data, reply", BEFORE_HELLO, ids=[h[0] for h in BEFORE_HELLO])
def test_a_session_starts_with_a_proper_hello_or_not_at_all(loopback_server, name, data, reply):
    c = Control("127.0.0.1", loopback_server.port)
    try:
        c.send_raw(data)
        got = c.receive()
        assert got["type"] == "error" and reply in got["message"], got
        assert schemas.violations(got, "remote-control") == []
        assert c.receive() is None  # and the server hung up
    finally:
        c.close()
    assert serves_the_next_client(loopback_server)


# Bad requests within a session: an error reply, and the session goes on.
IN_SESSION = [
    ("unknown type", message("dance"), "unknown message type 'dance'"),
    ("unknown test", message("test", family="sctp_stream", size=1, duration_s=1), "unknown test family"),
    ("huge size", message("test", family="tcp_stream", size=10**12, duration_s=1), "'size' must be from 1 to"),
    ("UDP size over the limit", message("test", family="udp_stream", size=70000, duration_s=1), "65507"),
    ("huge duration", message("test", family="tcp_stream", size=1, duration_s=1e9), "'duration_s'"),
    ("negative duration", message("test", family="tcp_stream", size=1, duration_s=-1), "'duration_s'"),
    ("string size", message("test", family="tcp_stream", size="big", duration_s=1), "'size' must be an integer"),
    ("huge buffer", message("test", family="tcp_stream", size=1, duration_s=1, sndbuf=2**40), "'sndbuf'"),
    ("datagrams from nowhere", message("test", family="udp_stream", size=1, duration_s=1), "must announce 'data_port'"),
    ("done out of turn", message("done", sent=5), "unknown message type 'done'"),
]


@pytest.mark.parametrize("name, data, reply", IN_SESSION, ids=[h[0] for h in IN_SESSION])
def test_hostile_control_messages_get_an_error_and_the_server_survives(loopback_server, control, name, data, reply):
    control.send_raw(data)
    got = control.receive()
    assert got["type"] == "error" and reply in got["message"], got
    assert schemas.violations(got, "remote-control") == []
    ready, dgram = control.start("tcp_stream", 100, duration_s=1)  # the session still serves
    assert ready["type"] == "ready", ready
    assert control.stream(ready["port"], b"s" * 1000)["bytes"] == 1000
    control.send("bye")
    control.close()  # one client at a time: the next waits for this one
    assert serves_the_next_client(loopback_server)


@pytest.mark.parametrize("name, data", [
    ("cut-short frame", struct.pack(">I", 100) + b'{"version"'),
    ("nothing at all", b""),
])
def test_a_client_that_vanishes_costs_only_its_connection(loopback_server, name, data):
    with socket.create_connection(("127.0.0.1", loopback_server.port), timeout=CALL_LIMIT) as s:
        s.sendall(data)
    assert serves_the_next_client(loopback_server)


# ---- admission: the data phase is the control peer's alone --------------------------------------


def test_a_foreign_data_connection_is_refused_and_the_client_is_counted_exactly(control):
    ready, _ = control.start("tcp_stream", 1000)
    # The intruder comes first, from another host, and sends: the server must close it unread.
    assert Intruder("127.0.0.1", ready["port"], source="127.0.0.2").connect()
    result = control.stream(ready["port"], b"s" * 50_000)
    assert result["type"] == "result", result
    assert (result["bytes"], result["foreign"]) == (50_000, 1)


@pytest.mark.parametrize("family", ["udp_stream", "udp_pingpong"])
def test_foreign_datagrams_are_neither_counted_nor_echoed(control, family):
    ready, dgram = control.start(family, 200)
    intruder = Intruder("127.0.0.1", ready["port"], source="127.0.0.2")
    intruder.send_datagrams(20, 200)
    result, echoes = control.datagrams(dgram, ready["port"], 200, 30, echoed=family == "udp_pingpong")
    assert result["type"] == "result", result
    assert (result["messages"], result["foreign"]) == (30, 20)
    assert echoes == (30 if family == "udp_pingpong" else 0)
    assert intruder.echoes() == 0


def udp_packet(source, destination, payload):
    """An IPv4/UDP packet with any source (the kernel fills in the IP checksum; UDP's may be 0)."""
    (src, sport), (dst, dport) = source, destination
    udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, socket.IPPROTO_UDP, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip + udp


def test_a_spoofed_source_gets_no_echo(control):
    # A datagram claiming to come from a victim (127.0.0.3, where a socket listens) must not turn
    # the server into a reflector towards it.
    try:
        spoofer = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    except PermissionError:
        pytest.skip("sending a spoofed datagram needs CAP_NET_RAW (root)")
    with spoofer, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as victim:
        victim.bind(("127.0.0.3", 0))
        ready, dgram = control.start("udp_pingpong", 64)
        for _ in range(10):
            spoofer.sendto(udp_packet(victim.getsockname(), ("127.0.0.1", ready["port"]), b"v" * 64), ("127.0.0.1", 0))
        result, echoes = control.datagrams(dgram, ready["port"], 64, 5, echoed=True)
        assert (result["messages"], result["foreign"], echoes) == (5, 10, 5)
        victim.setblocking(False)
        with pytest.raises(BlockingIOError):
            victim.recv(100)


# ---- authentication and the owner's limits ----------------------------------------------------------


@pytest.fixture
def keys(tmp_path):
    """Two key files only their owner can read, and one others can."""
    def write(name, text, mode=0o600):
        path = tmp_path / name
        path.write_text(text)
        path.chmod(mode)
        return path
    return write("k1", "first key, 0123456789\n"), write("k2", "second key, 0123456789\n"), \
        write("open", "a readable key 0123456789\n", 0o644)


def run_client(bench, port, *args):
    return subprocess.run([str(bench), f"--peer=127.0.0.1:{port}", "--tests=tcp_stream:65536", "--duration=0.2",
                           "--repetitions=1", *args], capture_output=True, text=True, timeout=LIMIT)


def test_the_same_key_runs_a_wrong_or_missing_one_runs_nothing(bench, keys):
    k1, k2, _ = keys
    server = Server(bench, "127.0.0.1", args=[f"--auth-key={k1}"])
    try:
        wrong = run_client(bench, server.port, f"--auth-key={k2}")
        missing = run_client(bench, server.port)
        right = run_client(bench, server.port, "--auth-key", str(k1))
    finally:
        log = server.log()
    assert wrong.returncode == 2 and wrong.stderr.strip().splitlines() == [
        f"socklab-bench: --peer=127.0.0.1:{server.port}: server: authentication failed: the client's proof does not "
        "match this server's key"]
    assert missing.returncode == 2 and "requires authentication: give --auth-key=FILE" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    assert right.returncode == 0, right.stderr
    clients = [line for line in log if ": client " in line]
    assert len(clients) == 3, log  # one line per client
    assert "authentication failed, 0 tests" in clients[0] and "unauthenticated, 0 tests" in clients[1]
    assert "authenticated, 1 tests" in clients[2] and clients[2].endswith("ended: bye")


def test_a_client_with_a_key_refuses_a_server_without_one(bench, loopback_server, keys):
    r = run_client(bench, loopback_server.port, f"--auth-key={keys[0]}")
    assert r.returncode == 2 and "the server does not authenticate" in r.stderr


def test_a_replayed_handshake_is_refused(bench, keys):
    k1 = keys[0]
    server = Server(bench, "127.0.0.1", args=[f"--auth-key={k1}"])
    try:
        # A recording of a good handshake: the client's nonce and proof.
        good = Control("127.0.0.1", server.port)
        hello = good.hello()
        assert hello["auth"] == "hmac-sha256"
        welcome = good.authenticate(read_key(k1), hello)
        assert welcome["type"] == "welcome" and schemas.violations(welcome, "remote-control") == []
        recorded_nonce, recorded_proof = good.nonce, good.sent_proof
        good.send("bye")
        good.close()
        # Replayed without the key: the server's fresh nonce makes the recorded proof worthless.
        replay = Control("127.0.0.1", server.port)
        try:
            second = replay.hello(nonce=recorded_nonce)
            assert second["nonce"] != hello["nonce"]
            replay.send("auth", proof=recorded_proof)
            refused = replay.receive()
            assert refused["type"] == "error" and "authentication failed" in refused["message"]
            assert replay.receive() is None
        finally:
            replay.close()
        # Nor can a client skip the handshake.
        skip = Control("127.0.0.1", server.port)
        try:
            skip.hello()
            skip.send("test", family="tcp_stream", size=1, duration_s=1)
            got = skip.receive()
            assert got["type"] == "error" and "requires authentication" in got["message"]
            assert skip.receive() is None
        finally:
            skip.close()
    finally:
        server.stop()


@pytest.mark.parametrize("end", [["--serve", "--port=0"], ["--peer=127.0.0.1:1"]])
def test_a_key_others_can_read_is_refused(bench, keys, end):
    r = subprocess.run([str(bench), *end, f"--auth-key={keys[2]}"], capture_output=True, text=True, timeout=LIMIT)
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        f"socklab-bench: --auth-key={keys[2]}: permissions 0644 are too open: the key must be readable by its owner "
        "only (chmod 600)"]


def test_allow_admits_its_ranges_only(bench):
    server = Server(bench, "127.0.0.1", args=["--allow=127.0.0.2/32,10.0.0.0/8"])
    try:
        outside = Control("127.0.0.1", server.port, source="127.0.0.1")
        try:
            outside.send("hello", context={}, nonce="0" * 64)
            assert outside.receive() is None  # closed unread
        finally:
            outside.close()
        inside = Control("127.0.0.1", server.port, source="127.0.0.2")
        try:
            assert inside.hello()["type"] == "hello"
        finally:
            inside.close()
    finally:
        log = server.log()
    assert any("client 127.0.0.1:" in line and "refused, not in --allow" in line for line in log), log


def test_the_owners_limits_are_told_to_the_client(bench):
    server = Server(bench, "127.0.0.1", args=["--max-duration=1", "--max-rate=8M", "--max-tests=1"])
    c = Control("127.0.0.1", server.port)
    try:
        c.hello()
        for fields, told in [
            (dict(duration_s=5, rate_bps=1_000_000), "tests of at most 1 s (--max-duration); this one asks for 5 s"),
            (dict(duration_s=1, rate_bps=0), "at most 8000000 bit/s per test (--max-rate); ask with --rate=8000000 or "
                                             "less (this test asks for no limit)"),
            (dict(duration_s=1, rate_bps=9_000_000), "at most 8000000 bit/s per test"),
        ]:
            reply, _ = c.start("tcp_stream", 1000, **fields)
            assert reply["type"] == "error" and told in reply["message"], reply
        # Within the limits: the server reads no faster than the rate asked for (TCP's flow control
        # slows the sender), so 1 MB at 8 Mbit/s takes about a second, not a millisecond.
        ready, _ = c.start("tcp_stream", 1000, duration_s=1, rate_bps=8_000_000)
        result = c.stream(ready["port"], b"s" * 1_000_000)
        assert result["bytes"] == 1_000_000
        assert result["bytes"] * 8 / result["seconds"] < 8_000_000 * 1.25
        reply, _ = c.start("tcp_stream", 1000, duration_s=1, rate_bps=1_000_000)
        assert reply["type"] == "error" and "this server allows 1 tests per client (--max-tests)" in reply["message"]
    finally:
        c.close()
        server.stop()


def test_a_real_run_on_loopback_writes_valid_results(bench, loopback_server, tmp_path):
    out = tmp_path / "remote.json"
    r = subprocess.run([str(bench), f"--peer=127.0.0.1:{loopback_server.port}", "--profile=quick", "--duration=0.3",
                        "--repetitions=2", f"--out={out}"], capture_output=True, text=True, timeout=LIMIT)
    assert r.returncode == 0, r.stderr
    check_results(out, expected_reps=2)


@pytest.mark.parametrize("args, message", [
    (["--peer=127.0.0.1:1", "--duration=0.1"], "--peer=127.0.0.1:1: "),
    (["--peer=nonsense:port"], "--peer=nonsense:port: "),
    (["--peer=127.0.0.1:5301", "--tests=tcp_stream"], "--tests: 'tcp_stream' is not FAMILY:SIZE"),
    (["--peer=127.0.0.1:5301", "--tests=smoke:5"], "unknown test family 'smoke'"),
    (["--peer=127.0.0.1:5301", "--duration=0"], "--duration needs seconds"),
    (["--peer=127.0.0.1:5301", "--rate=fast"], "--rate needs bits per second"),
    (["--serve", "--bind=256.0.0.1"], "--serve on 256.0.0.1"),
    (["--serve", "--peer=127.0.0.1:5301"], "give one"),
])
def test_bad_cross_host_arguments_are_one_line_and_exit_2(bench, args, message):
    r = subprocess.run([str(bench), *args], capture_output=True, text=True, timeout=LIMIT)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def check_results(path, expected_reps):
    run = load_bench(str(path))  # the readers of the report and the gate accept it
    doc = json.loads(path.read_text())
    assert doc["context"]["path"] == "remote" and doc["context"]["peer_context"]["kernel"]
    families = {b.family for b in run.benchmarks.values()}
    assert families == {"tcp_stream", "tcp_stream_reverse", "tcp_stream_bidir", "udp_stream", "tcp_pingpong",
                        "udp_pingpong"}
    for row in doc["benchmarks"]:
        assert not row.get("error_occurred"), row
    for b in run.benchmarks.values():
        metric = "bytes_per_second" if "_stream" in b.family else "p50_us"
        assert len(b.samples[metric]) == expected_reps and min(b.samples[metric]) > 0, b.name
    return doc


# ---- two network namespaces ------------------------------------------------------------------------


def run(*cmd, timeout=LIMIT):
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, check=True)


@pytest.fixture(scope="module")
def hosts():
    """Two namespaces joined by a veth pair, and a third, the intruder's (10.250.1.1), with a link of
    its own to the server's namespace: (client ns, server ns, client's veth, server address,
    intruder ns)."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    if not (shutil.which("ip") and shutil.which("tc")):
        pytest.skip("iproute2 (ip, tc) is not installed")
    tag = uuid.uuid4().hex[:6]
    a, b, c, va, vb = f"sl-a-{tag}", f"sl-b-{tag}", f"sl-c-{tag}", f"sla{tag}", f"slb{tag}"
    made = []
    try:
        for ns in (a, b, c):
            run("ip", "netns", "add", ns)
            made.append(ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
        run("ip", "link", "add", va, "netns", a, "type", "veth", "peer", "name", vb, "netns", b)
        run("ip", "-n", a, "addr", "add", "10.250.0.1/30", "dev", va)
        run("ip", "-n", b, "addr", "add", "10.250.0.2/30", "dev", vb)
        run("ip", "-n", a, "link", "set", va, "up")
        run("ip", "-n", b, "link", "set", vb, "up")
        vc, vd = f"slc{tag}", f"sld{tag}"
        run("ip", "link", "add", vc, "netns", c, "type", "veth", "peer", "name", vd, "netns", b)
        run("ip", "-n", c, "addr", "add", "10.250.1.1/30", "dev", vc)
        run("ip", "-n", b, "addr", "add", "10.250.1.2/30", "dev", vd)
        run("ip", "-n", c, "link", "set", vc, "up")
        run("ip", "-n", b, "link", "set", vd, "up")
        run("ip", "-n", c, "route", "add", "10.250.0.0/30", "via", "10.250.1.2")
        yield a, b, va, "10.250.0.2", c
    except subprocess.CalledProcessError as e:
        pytest.skip(f"cannot create network namespaces here: {e.stderr.strip()}")
    finally:
        for ns in made:  # deleting a namespace deletes its end of the veth pair, and the pair with it
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=LIMIT)


@pytest.fixture
def capped(hosts):
    """Sets a tbf rate cap (Mbit/s) on the egress of the client's side of the link (what the client
    sends) or of the server's (what the server sends); removed afterwards."""
    a, b, va, _, _ = hosts
    ends = {"client": (a, va), "server": (b, "slb" + va[len("sla"):])}
    applied = []

    def cap(mbit, side="client"):
        ns, dev = ends[side]
        run("ip", "netns", "exec", ns, "tc", "qdisc", "replace", "dev", dev, "root", "tbf", "rate", f"{mbit}mbit",
            "burst", "32kb", "latency", "50ms")
        applied.append((ns, dev))

    yield cap
    for ns, dev in applied:
        subprocess.run(["ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", dev, "root"], capture_output=True,
                       timeout=LIMIT)


@pytest.fixture
def far_server(bench, hosts):
    _, b, _, address, _ = hosts
    server = Server(bench, address, prefix=("ip", "netns", "exec", b))
    yield server
    server.stop()


def client(bench, hosts, server, out, *args):
    a, _, _, address, _ = hosts
    r = subprocess.run(["ip", "netns", "exec", a, str(bench), f"--peer={address}:{server.port}", f"--out={out}", *args],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text())


def record(figures):
    path = os.environ.get("SOCKLAB_CROSS_HOST_FIGURES")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(figures) + "\n")


def iperf3_goodput(hosts, mbit, udp):
    """iperf3 across the same link (bits/s at the receiver), or None when it is not installed."""
    if not shutil.which("iperf3"):
        return None
    a, b, _, address, _ = hosts
    # `ip netns exec` execs the command: the PID is iperf3's own, ended below by that PID.
    srv = subprocess.Popen(["ip", "netns", "exec", b, "iperf3", "-s", "-B", address, "-p", "5399"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):  # a bounded poll of the server's listening socket
            if run("ip", "netns", "exec", b, "ss", "-ltnH", "sport = :5399").stdout.strip():
                break
            time.sleep(0.02)
        cmd = ["ip", "netns", "exec", a, "iperf3", "-c", address, "-p", "5399", "-t", "4", "-J"]
        cmd += ["-u", "-b", f"{int(mbit * 1.2)}M", "-l", "1472"] if udp else []
        doc = json.loads(run(*cmd).stdout)
        return doc["end"]["sum"]["bits_per_second"] if udp else doc["end"]["sum_received"]["bits_per_second"]
    finally:
        srv.terminate()
        try:
            srv.wait(5)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait(5)


class InNamespace:
    """`python3 -m bench.tests.remote_client ROLE ...` in a namespace, spoken to line by line; ended
    by its PID on every path (`ip netns exec` execs the command, so the PID is Python's)."""

    def __init__(self, ns, *args):
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-m", "bench.tests.remote_client",
                                      *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)

    def line(self):
        ready, _, _ = select.select([self.proc.stdout], [], [], LIMIT)
        text = self.proc.stdout.readline() if ready else ""
        if not text:
            raise AssertionError(f"no answer from {self.proc.args}: {self.stop()}")
        return json.loads(text)

    def go(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def stop(self):
        """Ends the process if it still runs; its stderr."""
        if self.proc.poll() is None:
            self.proc.kill()
        _, err = self.proc.communicate(timeout=LIMIT)
        return err


@pytest.mark.parametrize("family", ["tcp_stream", "udp_pingpong"])
def test_an_intruder_from_a_third_host_is_refused_and_the_client_counted_exactly(hosts, far_server, family):
    a, _, _, address, intruder_ns = hosts
    client = InNamespace(a, "client", f"--server={address}:{far_server.port}", f"--family={family}",
                         "--size=1000", "--count=40")
    try:
        port = client.line()["port"]
        intruder = InNamespace(intruder_ns, "intruder", f"--server={address}:{port}", f"--family={family}",
                               "--size=1000", "--count=25")
        try:
            first = intruder.line()
            client.go()
            done = client.line()
            result = done["result"]
            if family == "tcp_stream":
                assert first == {"closed": True}  # closed unread, before the client's connection
                assert (result["bytes"], result["foreign"]) == (40_000, 1), result
            else:
                assert first == {"sent": 25}
                assert (result["messages"], result["foreign"], done["echoes"]) == (40, 25, 40), done
                intruder.go()
                assert intruder.line() == {"echoes": 0}
        finally:
            intruder.stop()
    finally:
        client.stop()


def test_every_family_runs_between_namespaces(bench, hosts, far_server, tmp_path):
    doc = client(bench, hosts, far_server, tmp_path / "remote.json", "--profile=quick", "--duration=0.3",
                 "--repetitions=2")
    check_results(tmp_path / "remote.json", expected_reps=2)
    assert doc["context"]["peer_address"] == f"10.250.0.2:{far_server.port}"


@pytest.mark.parametrize("mbit", [50, 200])
def test_tcp_goodput_matches_the_token_bucket_rate(bench, hosts, capped, far_server, tmp_path, mbit):
    capped(mbit)
    out = tmp_path / "tcp.json"
    client(bench, hosts, far_server, out, "--tests=tcp_stream:65536", "--duration=3", "--repetitions=3")
    expected = mbit * 1e6 * 1448 / 1514  # bits/s of payload: the cap counts whole Ethernet frames
    (only,) = load_bench(str(out)).benchmarks.values()
    measured = [bps * 8 for bps in only.samples["bytes_per_second"]]
    assert len(measured) == 3
    iperf3 = iperf3_goodput(hosts, mbit, udp=False)
    record({"proto": "tcp", "mbit": mbit, "expected_mbit": expected / 1e6,
            "socklab_mbit": [m / 1e6 for m in measured], "iperf3_mbit": iperf3 and iperf3 / 1e6})
    # Counting more than the cap lets through is an accounting error: every repetition is held to
    # +2 %. Reaching less is what a busy machine does to any sender, even with the test run alone
    # (CI runs read -2 %, -11 % and -13 %): the best of three is held to -10 %, which still catches a
    # sender that stalls, since that one stalls every time.
    shown = ", ".join(f"{m / 1e6:.2f}" for m in measured)
    assert max(measured) / expected < 1.02, f"{shown} Mbit/s, expected {expected / 1e6:.2f}"
    assert max(measured) / expected > 0.90, f"{shown} Mbit/s, expected {expected / 1e6:.2f}"


@pytest.mark.parametrize("family", ["tcp_stream_reverse", "tcp_stream_bidir"])
def test_each_direction_matches_the_token_bucket_on_its_own_way(bench, hosts, capped, far_server, tmp_path, family):
    # Different caps each way, so that a direction measured on the wrong side of the link, or the two
    # directions mixed up, cannot pass: the client's egress (forward) 50, the server's (reverse) 120.
    forward_mbit, reverse_mbit = 50, 120
    capped(forward_mbit, side="client")
    capped(reverse_mbit, side="server")
    out = tmp_path / "directions.json"
    client(bench, hosts, far_server, out, f"--tests={family}:65536", "--duration=3", "--repetitions=3")
    (only,) = load_bench(str(out)).benchmarks.values()
    record({"proto": family, "forward_mbit": forward_mbit, "reverse_mbit": reverse_mbit,
            "samples": {k: [v * 8 / 1e6 for v in vs] for k, vs in only.samples.items() if k.endswith("bytes_per_second")}})

    def held_to_cap(metric, mbit, low):
        # +2 % on every repetition (more than the cap lets through is an accounting error, or the
        # other direction counted here), `low` on the best one
        measured = [bps * 8 for bps in only.samples[metric]]
        expected = mbit * 1e6 * 1448 / 1514
        shown = ", ".join(f"{m / 1e6:.2f}" for m in measured)
        assert max(measured) / expected < 1.02, f"{metric}: {shown} Mbit/s, over the cap's {expected / 1e6:.2f}"
        assert max(measured) / expected > low, f"{metric}: {shown} Mbit/s, expected {expected / 1e6:.2f}"
        return max(measured)

    if family == "tcp_stream_reverse":
        held_to_cap("reverse_bytes_per_second", reverse_mbit, 0.90)  # as the forward test
        assert "forward_bytes_per_second" not in only.samples
        assert only.samples["bytes_per_second"] == only.samples["reverse_bytes_per_second"]
        return
    # Both at once: each direction's acknowledgements queue behind the other direction's data in
    # that side's 50 ms token-bucket buffer, which slows both (runs here read 52-74 % of the 120
    # Mbit/s cap and 81 % of the 50): a property of the link, not of the measurement. What must hold
    # is that each direction is counted on its own side: neither over its own cap, both moving, and
    # the one with the wider cap clearly ahead.
    reverse = held_to_cap("reverse_bytes_per_second", reverse_mbit, 0.4)
    forward = held_to_cap("forward_bytes_per_second", forward_mbit, 0.4)
    assert reverse > 1.2 * forward, f"reverse {reverse / 1e6:.2f} Mbit/s is not clearly ahead of forward {forward / 1e6:.2f}"
    for total, forward, back in zip(only.samples["bytes_per_second"], only.samples["forward_bytes_per_second"],
                                    only.samples["reverse_bytes_per_second"]):
        assert total == pytest.approx(forward + back)


def test_udp_receiver_rate_and_loss_match_the_token_bucket_rate(bench, hosts, capped, far_server, tmp_path):
    # Offered above the cap. On the sender's own egress a full queue pushes back through the socket
    # buffer (so loss may be nil); on a real path the excess is dropped. Either way the receiver sees
    # the cap's payload share, and the loss is what the sender managed minus what arrived.
    mbit, offered = 50, 60
    capped(mbit)
    doc = client(bench, hosts, far_server, tmp_path / "udp.json", "--tests=udp_stream:1472", "--duration=4",
                 "--repetitions=1", f"--rate={offered}M")
    row = doc["benchmarks"][0]
    expected = mbit * 1e6 * 1472 / 1514
    measured = row["bytes_per_second"] * 8
    sent, received = row["datagrams_sent"], row["server_messages"]
    iperf3 = iperf3_goodput(hosts, mbit, udp=True)
    record({"proto": "udp", "mbit": mbit, "expected_mbit": expected / 1e6, "socklab_mbit": measured / 1e6,
            "loss_ratio": row["loss_ratio"], "iperf3_mbit": iperf3 and iperf3 / 1e6})
    assert abs(measured / expected - 1) < 0.02, f"{measured / 1e6:.2f} Mbit/s, expected {expected / 1e6:.2f}"
    assert row["loss_ratio"] == pytest.approx(1 - received / sent)
    offered_real = sent * 1472 * 8 / 4.0  # what the sender managed, bits/s
    assert row["loss_ratio"] == pytest.approx(1 - expected / offered_real, abs=0.03)
