"""socklab-bench end to end: a tiny filtered run produces Google-Benchmark JSON with our context,
per-repetition entries, sane counters and the overhead table; misuse exits non-zero."""
import json
import subprocess

import pytest

TINY = ["--profile=quick", "--benchmark_min_time=0.01", "--benchmark_repetitions=2"]
FILTER = "--benchmark_filter=^(tcp_stream/.*/4096|udp_stream/.*/1472|unix_pingpong/.*/1|tcp_connect/.*)/"


def run(bench, *args, timeout=240):
    return subprocess.run([str(bench), *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module", params=["thread", "process"])
def result(request, bench, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    r = run(bench, *TINY, FILTER, f"--peer={request.param}", f"--out={out}")
    assert r.returncode == 0, r.stdout + r.stderr
    def reject(constant):
        raise AssertionError(f"{constant} in the output: not valid JSON")

    return json.loads(out.read_text(), parse_constant=reject), r.stdout


def test_context_records_the_run(result):
    ctx = result[0]["context"]
    for key in ("os", "kernel", "cpu_model", "compiler", "build_type", "socklab_version", "socklab_commit",
                "placement", "placement_effective", "peer_mode", "tcp_congestion", "sysctl.net/core/somaxconn",
                "sysctl.net/core/rmem_default", "sysctl.net/core/wmem_default", "num_cpus", "library_build_type"):
        assert key in ctx, key
    assert ctx["placement"] == "cross-cpu"


def test_every_repetition_is_kept_and_none_failed(result):
    runs = [b for b in result[0]["benchmarks"] if b["run_type"] == "iteration"]
    names = {b["run_name"] for b in runs}
    assert names == {
        f"{family}/{impl}{size}/real_time"
        for family, size in [("tcp_stream", "/4096"), ("udp_stream", "/1472"), ("unix_pingpong", "/1"), ("tcp_connect", "")]
        for impl in ("socklab", "raw")
    }
    for name in names:
        assert sum(b["run_name"] == name for b in runs) == 2, name
    assert not any(b.get("error_occurred") for b in result[0]["benchmarks"])


def test_counters_are_sane(result):
    runs = {b["run_name"]: b for b in result[0]["benchmarks"] if b["run_type"] == "iteration"}
    tcp = runs["tcp_stream/socklab/4096/real_time"]
    assert tcp["bytes_per_second"] > 1e6 and tcp["recv_bytes_per_second"] > 1e6
    udp = runs["udp_stream/raw/1472/real_time"]
    assert 0.0 <= udp["loss_ratio"] < 1.0 and udp["items_per_second"] > 0
    pp = runs["unix_pingpong/socklab/1/real_time"]
    assert 0 < pp["p50_us"] <= pp["p90_us"] <= pp["p99_us"] <= pp["p999_us"] <= pp["max_us"]
    assert runs["tcp_connect/raw/real_time"]["items_per_second"] > 0


def test_overhead_table_pairs_the_twins(result):
    rows = {r["benchmark"]: r for r in result[0]["socklab"]["overhead"]}
    assert set(rows) == {"tcp_stream/4096", "udp_stream/1472", "unix_pingpong/1", "tcp_connect"}
    assert rows["unix_pingpong/1"]["metric"] == "p50_us"
    assert all(r["ratio"] > 0 for r in rows.values())
    assert "socklab / raw POSIX" in result[1]


def test_no_match_is_an_error_and_writes_nothing(bench, tmp_path):
    out = tmp_path / "none.json"
    r = run(bench, *TINY, "--benchmark_filter=no_such_benchmark", f"--out={out}")
    assert r.returncode == 2
    assert "no benchmark matched the filter" in r.stderr
    assert not out.exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize("flag", ["--placement=sideways", "--no-such-flag", "--sndbuf=1", "--out=/nonexistent/b.json",
                                  "--watchdog-ms=99999999999999999999999", "--plant-slowdown=tcp_stream:"])
def test_bad_flags_exit_2_with_one_line(bench, flag):
    r = run(bench, flag)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("socklab-bench: ")
