"""The peer-tool runner: sizes taken from the bench JSON, server readiness read from /proc, bad
input refused without touching the file, and (when iperf3/sockperf are installed) a real run."""
import json
import pathlib
import shutil
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
RUNNER = HERE.parent / "peers" / "run_peers.py"
sys.path.insert(0, str(HERE.parent / "peers"))
import run_peers  # noqa: E402


def bench_doc(names):
    return {"context": {"placement": "cross-cpu", "placement_effective": "cross-cpu", "tcp_congestion": "cubic"},
            "benchmarks": [{"name": n, "run_name": n, "run_type": "iteration"} for n in names]}


def test_sizes_come_from_the_socklab_and_raw_rows_of_a_family():
    doc = bench_doc(["tcp_stream/socklab/4096/real_time", "tcp_stream/raw/64/real_time",
                     "tcp_stream/iperf3/131072/real_time", "udp_stream/raw/1472/real_time",
                     "tcp_connect/socklab/real_time"])
    assert run_peers.sizes_of(doc, "tcp_stream") == [64, 4096]
    assert run_peers.sizes_of(doc, "udp_stream") == [1472]
    assert run_peers.sizes_of(doc, "tcp_connect") == []


def test_placement_maps_to_client_and_server_cpus():
    assert run_peers.cpu_pair("unpinned") is None
    client, server = run_peers.cpu_pair("same-cpu")
    assert client == server
    if len(run_peers.os.sched_getaffinity(0)) >= 2:
        client, server = run_peers.cpu_pair("cross-cpu")
        assert client != server


def test_listening_reads_the_kernel_socket_table(tmp_path):
    header = "  sl  local_address rem_address   st tx_queue rx_queue\n"
    (tmp_path / "tcp").write_text(header + "   0: 0100007F:1F90 00000000:0000 0A 0:0\n"
                                           "   1: 0100007F:1F91 0100007F:1F90 01 0:0\n")
    (tmp_path / "udp").write_text(header + "   0: 0100007F:1F92 00000000:0000 07 0:0\n")
    assert run_peers.listening("tcp", 0x1F90, tmp_path)
    assert not run_peers.listening("tcp", 0x1F91, tmp_path)  # connected, not listening
    assert run_peers.listening("udp", 0x1F92, tmp_path)
    assert not run_peers.listening("udp", 0x1F90, tmp_path)


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("{not json", "not valid JSON"),
    ('{"benchmarks": []}', "not socklab-bench JSON"),
])
def test_bad_input_is_one_line_exit_2_and_leaves_the_file(tmp_path, content, message):
    path = tmp_path / "bench.json"
    if content is not None:
        path.write_text(content)
    r = subprocess.run([sys.executable, RUNNER, path], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert (path.read_text() if content is not None else None) == content


def test_bad_flags_exit_2(tmp_path):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(bench_doc([])))
    for flags in (["--tools", "netperf"], ["--seconds", "0"], ["--repetitions", "x"]):
        r = subprocess.run([sys.executable, RUNNER, path, *flags], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2, flags


@pytest.mark.skipif(not (shutil.which("iperf3") and shutil.which("sockperf")), reason="iperf3/sockperf not installed")
def test_a_real_run_merges_one_row_per_size_and_repetition(tmp_path):
    path = tmp_path / "bench.json"
    names = ["tcp_stream/socklab/4096/real_time", "udp_stream/raw/1472/real_time", "tcp_pingpong/raw/1/real_time"]
    path.write_text(json.dumps(bench_doc(names)))
    r = subprocess.run([sys.executable, RUNNER, path, "--seconds", "1", "--repetitions", "2"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    doc = json.loads(path.read_text())
    rows = [b for b in doc["benchmarks"] if "peer_tool" in b]
    assert sorted((b["name"], b["repetition_index"]) for b in rows) == [
        ("tcp_pingpong/sockperf/14/real_time", 0), ("tcp_pingpong/sockperf/14/real_time", 1),
        ("tcp_stream/iperf3/4096/real_time", 0), ("tcp_stream/iperf3/4096/real_time", 1),
        ("udp_stream/iperf3/1472/real_time", 0), ("udp_stream/iperf3/1472/real_time", 1)]
    assert all(b["bytes_per_second"] > 0 for b in rows if "stream" in b["name"])
    assert all(0 < b["p50_us"] <= b["p99_us"] for b in rows if "pingpong" in b["name"])
    assert doc["socklab"]["peers"]["tcp_congestion"] == "cubic"
    # A second run replaces the peer rows instead of piling up duplicates.
    r = subprocess.run([sys.executable, RUNNER, path, "--seconds", "1", "--repetitions", "1", "--tools", "sockperf"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    rows = [b["name"] for b in json.loads(path.read_text())["benchmarks"] if "peer_tool" in b]
    assert rows == ["tcp_pingpong/sockperf/14/real_time"]
