"""The peer-tool runner: sizes taken from the bench JSON, server readiness read from /proc, bad
input refused without touching the file, and (when iperf3/sockperf are installed) a real run."""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
RUNNER = HERE.parent / "peers" / "run_peers.py"
from bench.peers import run_peers


def bench_doc(names):
    return {"context": {"placement": "cross-cpu", "placement_effective": "cross-cpu", "tcp_congestion": "cubic",
                        "profile": "quick"},
            "benchmarks": [{"name": n, "run_name": n, "run_type": "iteration"} for n in names]}


def test_sizes_come_from_the_socklab_and_raw_rows_of_a_family():
    doc = bench_doc(["tcp_stream/socklab/size:4096", "tcp_stream/raw/size:64", "tcp_stream/iperf3/size:131072",
                     "udp_stream/raw/1472/real_time",  # a schema-1 name reads the same
                     "tcp_connect/socklab"])
    assert run_peers.sizes_of(doc, "tcp_stream") == [64, 4096]
    assert run_peers.sizes_of(doc, "udp_stream") == [1472]
    assert run_peers.sizes_of(doc, "tcp_connect") == []


def test_flow_shapes_come_with_their_params():
    doc = bench_doc(["tcp_stream_flows/socklab/size:16384/flows:64/threads:2",
                     "tcp_stream_flows/raw/size:16384/flows:64/threads:2",
                     "tcp_stream_flows/raw/size:16384/flows:8/threads:2",
                     "tcp_stream_flows/iperf3/size:16384/flows:64/threads:1"])
    assert run_peers.shapes_of(doc, "tcp_stream_flows") == [(16384, {"flows": 8, "threads": 2}),
                                                             (16384, {"flows": 64, "threads": 2})]
    assert run_peers.sizes_of(doc, "tcp_stream_flows") == [16384]


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
def test_bad_input_is_one_line_exit_2_and_leaves_the_file(tmp_path, bench, content, message):
    path = tmp_path / "bench.json"
    if content is not None:
        path.write_text(content)
    r = subprocess.run([sys.executable, RUNNER, path, "--bench", str(bench)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert (path.read_text() if content is not None else None) == content


def test_bad_flags_exit_2(tmp_path, bench):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(bench_doc([])))
    for flags in (["--tools", "netperf"], ["--seconds", "0"], ["--rounds", "x"], ["--rounds", "3"]):
        r = subprocess.run([sys.executable, RUNNER, path, "--bench", str(bench), *flags], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 2, flags
    r = subprocess.run([sys.executable, RUNNER, path], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--bench (none given)" in r.stderr
    r = subprocess.run([sys.executable, RUNNER, path, "--bench", str(tmp_path)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and "not an executable" in r.stderr


def test_a_ratio_is_only_a_verdict_beyond_the_threshold_with_confidence():
    assert run_peers.stats.verdict((1.06, 1.20, 0.96), 0.05, True) == "faster"
    assert run_peers.stats.verdict((1.02, 1.20, 0.96), 0.05, True) == "no measurable difference"
    assert run_peers.stats.verdict((1.06, 1.20, 0.96), 0.05, False) == "slower"  # a longer latency
    assert run_peers.stats.verdict(None, 0.05, True) == "too few rounds"


@pytest.mark.skipif(not (shutil.which("iperf3") and shutil.which("sockperf")), reason="iperf3/sockperf not installed")
def test_a_real_run_interleaves_socklab_and_the_peers_round_by_round(tmp_path, bench):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(bench_doc(["tcp_stream/socklab/size:4096", "tcp_pingpong/raw/size:1",
                                          "tcp_stream_flows/raw/size:16384/flows:4/threads:2"])))
    flags = ["--bench", str(bench), "--seconds", "1", "--rounds", "6", "--max-rounds", "6"]
    r = subprocess.run([sys.executable, RUNNER, path, *flags], capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr
    doc = json.loads(path.read_text())
    rows = [b for b in doc["benchmarks"] if b.get("implementation") in ("iperf3", "sockperf")]
    assert sorted((b["name"], b["round"]) for b in rows) == sorted(
        [("tcp_pingpong/sockperf/size:14", k) for k in range(6)] + [("tcp_stream/iperf3/size:4096", k) for k in range(6)]
        + [("tcp_stream_flows/iperf3/size:16384/flows:4/threads:1", k) for k in range(6)])
    assert all(b["bytes_per_second"] > 0 for b in rows if b["family"] == "tcp_stream")
    assert all(0 < b["p50_us"] <= b["p99_us"] for b in rows if b["family"] == "tcp_pingpong")
    peers = doc["socklab"]["peers"]
    assert peers["tcp_congestion"] == "cubic"
    by = {c["benchmark"]: c for c in peers["comparisons"]}
    assert set(by) == {"tcp_stream/size:4096", "tcp_pingpong/size:1", "tcp_stream_flows/size:16384/flows:4/threads:2"}
    assert by["tcp_stream_flows/size:16384/flows:4/threads:2"]["params"] == {"flows": 4, "threads": 2}
    for c in by.values():
        assert c["rounds"] == 6 and len(c["socklab_samples"]) == len(c["peer_samples"]) == 6
        assert c["ratio_ci_low"] <= c["ratio"] <= c["ratio_ci_high"]
    assert by["tcp_pingpong/size:1"]["peer_size"] == 14 and by["tcp_pingpong/size:1"]["tool"] == "sockperf"
    # A second run replaces the peer rows instead of piling up duplicates (here: with no tool on PATH).
    empty = tmp_path / "empty-path"
    empty.mkdir()
    r = subprocess.run([sys.executable, RUNNER, path, *flags], capture_output=True, text=True, timeout=60,
                       env={"PATH": str(empty), "PYTHONPATH": os.environ["PYTHONPATH"]})
    assert r.returncode == 0 and "not installed; skipped" in r.stderr, r.stderr
    doc = json.loads(path.read_text())
    assert not [b for b in doc["benchmarks"] if b.get("implementation") in ("iperf3", "sockperf")]
    assert doc["socklab"]["peers"]["comparisons"] == []
