"""Cross-host mode: `socklab-bench --serve` and `--peer=HOST:PORT`.

On loopback: a table of malformed and hostile control messages, after each of which the server
still serves. Across two network namespaces that the test creates (a veth pair with addresses
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
import time
import uuid

import pytest

from common import schemas
from common.results import load_bench

LIMIT = 60  # seconds: the bound on any one command here


class Server:
    """A `socklab-bench --serve` started by this test, ended by its own PID on every path."""

    def __init__(self, bench, bind, prefix=()):
        self.proc = subprocess.Popen([*prefix, str(bench), "--serve", f"--bind={bind}", "--port=0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline() if ready else ""
        if "serving on" not in line:
            self.stop()
            raise AssertionError(f"the server did not start: {line!r} {self.proc.stderr.read()}")
        self.port = int(line.split()[3].rsplit(":", 1)[1])

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def loopback_server(bench):
    server = Server(bench, "127.0.0.1")
    yield server
    server.stop()


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def exchange(port, data, read_reply=True):
    """Sends raw bytes on a fresh control connection; the decoded reply, or None when the server
    closed the connection instead of answering."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        if not read_reply:
            return None
        header = s.recv(4, socket.MSG_WAITALL)
        if len(header) < 4:
            return None
        (n,) = struct.unpack(">I", header)
        body = b""
        while len(body) < n:
            chunk = s.recv(n - len(body))
            if not chunk:
                break
            body += chunk
        return json.loads(body)


def msg(**fields):
    return frame(json.dumps({"version": 1, **fields}).encode())


HOSTILE = [
    ("wrong version", frame(b'{"version": 2, "type": "hello"}'), "unsupported protocol version 2"),
    ("no version", frame(b'{"type": "hello"}'), "unsupported protocol version (none)"),
    ("not an object", frame(b"[1, 2, 3]"), "must be a JSON object"),
    ("not JSON", frame(b"\x00\xffnot json at all"), "invalid JSON"),
    ("truncated JSON", frame(b'{"version": 1, "type": "te'), "invalid JSON"),
    ("unknown type", msg(type="dance"), "unknown message type 'dance'"),
    ("unknown test", msg(type="test", family="sctp_stream", size=1, duration_s=1), "unknown test family"),
    ("huge size", msg(type="test", family="tcp_stream", size=10**12, duration_s=1), "'size' must be from 1 to"),
    ("UDP size over the limit", msg(type="test", family="udp_stream", size=70000, duration_s=1), "65507"),
    ("huge duration", msg(type="test", family="tcp_stream", size=1, duration_s=1e9), "'duration_s'"),
    ("negative duration", msg(type="test", family="tcp_stream", size=1, duration_s=-1), "'duration_s'"),
    ("string size", msg(type="test", family="tcp_stream", size="big", duration_s=1), "'size' must be an integer"),
    ("huge buffer", msg(type="test", family="tcp_stream", size=1, duration_s=1, sndbuf=2**40), "'sndbuf'"),
    ("done out of turn", msg(type="done", sent=5), "unknown message type 'done'"),
    ("over-limit frame", struct.pack(">I", 1 << 30) + b"{", None),  # the stream is lost: closed
    ("cut-short frame", struct.pack(">I", 100) + b'{"version"', None),
    ("nothing at all", b"", None),
]


@pytest.mark.parametrize("name, data, reply", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_control_messages_get_an_error_and_the_server_survives(loopback_server, name, data, reply):
    got = exchange(loopback_server.port, data, read_reply=reply is not None)
    if reply is not None:
        assert got["type"] == "error" and reply in got["message"], got
        assert schemas.violations(got, "remote-control") == []
    # Whatever happened, the server answers the next client properly.
    hello = exchange(loopback_server.port, msg(type="hello", context={}))
    assert hello["type"] == "hello" and hello["version"] == 1 and "kernel" in hello["context"]
    assert schemas.violations(hello, "remote-control") == []
    assert loopback_server.alive()


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
    assert families == {"tcp_stream", "udp_stream", "tcp_pingpong", "udp_pingpong"}
    for row in doc["benchmarks"]:
        assert not row.get("error_occurred"), row
    for b in run.benchmarks.values():
        metric = "bytes_per_second" if b.family.endswith("stream") else "p50_us"
        assert len(b.samples[metric]) == expected_reps and min(b.samples[metric]) > 0, b.name
    return doc


# ---- two network namespaces ------------------------------------------------------------------------


def run(*cmd, timeout=LIMIT):
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, check=True)


@pytest.fixture(scope="module")
def hosts():
    """Two namespaces joined by a veth pair: (client ns, server ns, client's veth, server address)."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    if not (shutil.which("ip") and shutil.which("tc")):
        pytest.skip("iproute2 (ip, tc) is not installed")
    tag = uuid.uuid4().hex[:6]
    a, b, va, vb = f"sl-a-{tag}", f"sl-b-{tag}", f"sla{tag}", f"slb{tag}"
    made = []
    try:
        for ns in (a, b):
            run("ip", "netns", "add", ns)
            made.append(ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
        run("ip", "link", "add", va, "netns", a, "type", "veth", "peer", "name", vb, "netns", b)
        run("ip", "-n", a, "addr", "add", "10.250.0.1/30", "dev", va)
        run("ip", "-n", b, "addr", "add", "10.250.0.2/30", "dev", vb)
        run("ip", "-n", a, "link", "set", va, "up")
        run("ip", "-n", b, "link", "set", vb, "up")
        yield a, b, va, "10.250.0.2"
    except subprocess.CalledProcessError as e:
        pytest.skip(f"cannot create network namespaces here: {e.stderr.strip()}")
    finally:
        for ns in made:  # deleting a namespace deletes its end of the veth pair, and the pair with it
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=LIMIT)


@pytest.fixture
def capped(hosts):
    """Sets a tbf rate cap (Mbit/s) on the client's side of the link; removed afterwards."""
    a, _, va, _ = hosts
    applied = []

    def cap(mbit):
        run("ip", "netns", "exec", a, "tc", "qdisc", "replace", "dev", va, "root", "tbf", "rate", f"{mbit}mbit",
            "burst", "32kb", "latency", "50ms")
        applied.append(va)

    yield cap
    for dev in applied:
        subprocess.run(["ip", "netns", "exec", a, "tc", "qdisc", "del", "dev", dev, "root"], capture_output=True,
                       timeout=LIMIT)


@pytest.fixture
def far_server(bench, hosts):
    _, b, _, address = hosts
    server = Server(bench, address, prefix=("ip", "netns", "exec", b))
    yield server
    server.stop()


def client(bench, hosts, server, out, *args):
    a, _, _, address = hosts
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
    a, b, _, address = hosts
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


def test_every_family_runs_between_namespaces(bench, hosts, far_server, tmp_path):
    doc = client(bench, hosts, far_server, tmp_path / "remote.json", "--profile=quick", "--duration=0.3",
                 "--repetitions=2")
    check_results(tmp_path / "remote.json", expected_reps=2)
    assert doc["context"]["peer_address"] == f"10.250.0.2:{far_server.port}"


@pytest.mark.parametrize("mbit", [50, 200])
def test_tcp_goodput_matches_the_token_bucket_rate(bench, hosts, capped, far_server, tmp_path, mbit):
    capped(mbit)
    doc = client(bench, hosts, far_server, tmp_path / "tcp.json", "--tests=tcp_stream:65536", "--duration=4",
                 "--repetitions=1")
    expected = mbit * 1e6 * 1448 / 1514  # bits/s of payload: the cap counts whole Ethernet frames
    measured = doc["benchmarks"][0]["bytes_per_second"] * 8
    iperf3 = iperf3_goodput(hosts, mbit, udp=False)
    record({"proto": "tcp", "mbit": mbit, "expected_mbit": expected / 1e6, "socklab_mbit": measured / 1e6,
            "iperf3_mbit": iperf3 and iperf3 / 1e6})
    assert abs(measured / expected - 1) < 0.02, f"{measured / 1e6:.2f} Mbit/s, expected {expected / 1e6:.2f}"


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
