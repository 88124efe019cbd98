"""The regression gate on fixture JSON: a clear regression, a clear improvement, noise only, missing and
errored benchmarks, too few repetitions, runs from another machine, malformed input, conformance;
and Google Benchmark's own compare.py reading socklab-bench's JSON."""
import json
import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from common import schemas

HERE = pathlib.Path(__file__).resolve().parent
FIX = HERE / "fixtures"
GATE = HERE.parent / "gate.py"
COMPARE = pathlib.Path("/usr/share/benchmark/compare.py")  # Debian's libbenchmark-tools


def gate(base, cur, *flags, tmp=None):
    outputs = []
    if tmp is not None:
        outputs = ["--json", tmp / "gate.json", "--junit", tmp / "gate.xml", "--summary", tmp / "gate.md"]
    r = subprocess.run([sys.executable, GATE, "--baseline", FIX / base if isinstance(base, str) else base,
                        "--current", FIX / cur if isinstance(cur, str) else cur, *flags, *outputs],
                       capture_output=True, text=True, timeout=120)
    doc = json.loads((tmp / "gate.json").read_text()) if tmp is not None and r.returncode != 2 else None
    assert doc is None or schemas.violations(doc, "gate") == []  # what the gate writes is its schema
    return r, doc


def verdicts(doc):
    key = "benchmarks" if doc["kind"] == "benchmarks" else "behaviours"
    return {(row["name"], row.get("metric")): row["verdict"] for row in doc[key]}


def test_noise_only_passes(tmp_path):
    r, doc = gate("base.json", "noise.json", tmp=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert doc["verdict"] == "pass" and set(verdicts(doc).values()) == {"same"}


def test_a_twenty_percent_throughput_drop_is_the_only_regression(tmp_path):
    r, doc = gate("base.json", "regression.json", tmp=tmp_path)
    assert r.returncode == 1
    v = verdicts(doc)
    assert v.pop(("tcp_stream/socklab/65536/real_time", "bytes_per_second")) == "regression"
    assert set(v.values()) == {"same"}
    row = next(x for x in doc["benchmarks"] if x["verdict"] == "regression")
    assert row["change"] == pytest.approx(-0.2, abs=0.04) and row["p_holm"] < 0.01
    # JUnit: one test case per gated benchmark/metric, one failure; Markdown lists it first.
    suite = ET.parse(tmp_path / "gate.xml").getroot()
    assert suite.get("tests") == "5" and suite.get("failures") == "1"
    assert [c.get("name") for c in suite if c.find("failure") is not None] == [
        "tcp_stream/socklab/65536/real_time [bytes_per_second]"]
    md = (tmp_path / "gate.md").read_text().splitlines()
    assert md[0] == "## socklab gate: FAIL (benchmarks)"
    assert md[6].startswith("| tcp_stream/socklab/65536 | bytes_per_second | 10/10 |") and "REGRESSION" in md[6]
    # The report's units (bit/s with an SI prefix), not bytes per second.
    base_cell, current_cell = md[6].split(" | ")[3:5]
    assert base_cell.endswith(" Gbit/s") and current_cell.endswith(" Gbit/s"), md[6]


def test_improvements_are_reported_and_never_fail(tmp_path):
    r, doc = gate("base.json", "improvement.json", tmp=tmp_path)
    assert r.returncode == 0
    v = verdicts(doc)
    assert v[("tcp_stream/socklab/4096/real_time", "bytes_per_second")] == "improvement"
    assert v[("tcp_pingpong/socklab/1/real_time", "p50_us")] == "improvement"  # lower latency is better
    assert v[("tcp_pingpong/socklab/1/real_time", "p99_us")] == "same"


def test_the_same_drop_within_the_threshold_is_not_a_regression(tmp_path):
    r, doc = gate("base.json", "regression.json", "--threshold", "25%", tmp=tmp_path)
    assert r.returncode == 0 and doc["verdict"] == "pass"


def test_missing_and_errored_benchmarks_fail(tmp_path):
    r, doc = gate("base.json", "missing_and_error.json", tmp=tmp_path)
    assert r.returncode == 1
    v = verdicts(doc)
    assert v[("tcp_connect/socklab/real_time", "items_per_second")] == "missing"
    assert v[("tcp_stream/socklab/65536/real_time", "bytes_per_second")] == "error"
    assert "peer stalled" in (tmp_path / "gate.xml").read_text()


def test_too_few_repetitions_is_insufficient_never_a_pass(tmp_path):
    r, doc = gate("base.json", "few_reps.json", tmp=tmp_path)
    assert r.returncode == 1 and doc["verdict"] == "insufficient"
    assert set(verdicts(doc).values()) == {"insufficient"}
    # It says how many repetitions would do and which command gives them.
    assert all("needs 6 repetitions a side: run both with `./socklab bench -- --min-reps=6`" in r["detail"]
               for r in doc["benchmarks"]), doc["benchmarks"]
    # Enough repetitions to count, but too few for a rank test to ever reach alpha over 5 tests: with
    # the baseline's 10, 1/C(10 + n, n) <= 0.01/5 first holds at n = 4 (C(13, 3) = 286, C(14, 4) = 1001).
    r, doc = gate("base.json", "few_reps.json", "--min-reps", "3", tmp=tmp_path)
    row = doc["benchmarks"][0]
    assert doc["verdict"] == "insufficient" and "cannot reach" in row["detail"]
    assert "needs 4 repetitions a side" in row["detail"], row["detail"]


def test_warn_only_reports_but_exits_0(tmp_path):
    r, doc = gate("base.json", "regression.json", "--warn-only", tmp=tmp_path)
    assert r.returncode == 0 and doc["verdict"] == "fail" and "FAIL" in r.stderr


def test_runs_from_another_machine_are_refused_unless_forced(tmp_path):
    r, _ = gate("base.json", "other_machine.json", tmp=tmp_path)
    assert r.returncode == 2 and "not comparable" in r.stderr and "host_name" in r.stderr
    assert not (tmp_path / "gate.json").exists()
    r, doc = gate("base.json", "other_machine.json", "--force", tmp=tmp_path)
    assert r.returncode == 0 and doc["not_comparable"]


def test_conformance_regressions_skips_and_changed_values(tmp_path):
    r, doc = gate("conf_base.json", "conf_current.json", tmp=tmp_path)
    assert r.returncode == 1
    assert verdicts(doc) == {("CON-01", None): "same", ("TCP-01", None): "regression",
                             ("BACKLOG-01", None): "changed", ("IPV6-01", None): "newly-skipped",
                             ("UDP-01", None): "improvement"}
    md = (tmp_path / "gate.md").read_text()
    assert "{'capacity': 6} → {'capacity': 7}" in md
    r, doc = gate("conf_base.json", "conf_base.json", tmp=tmp_path)
    assert r.returncode == 0 and doc["verdict"] == "pass"


def conformance_report(path, kernel, behaviours):
    doc = json.loads((FIX / "conf_base.json").read_text())
    doc["context"]["kernel"] = kernel
    doc["behaviours"] = behaviours
    path.write_text(json.dumps(doc))
    return path


def test_across_kernels_the_gate_says_which_kernel_differs_and_skips_measured_values(tmp_path):
    # TMO-05's accept_timeout_elapsed_s is measured in the catalog; TCP-OPT-05's default is not.
    def entries(elapsed, congestion, peek):
        return [{"id": "TMO-05", "group": "g", "statement": "s", "status": "pass", "tests": [],
                 "observed": {"accept_timeout_elapsed_s": elapsed}},
                {"id": "TCP-OPT-05", "group": "g", "statement": "s", "status": "pass", "tests": [],
                 "observed": {"default": congestion}},
                {"id": "OPT-15", "group": "g", "statement": "s", "status": peek, "tests": [], "observed": {}}]
    base = conformance_report(tmp_path / "host.json", "6.18.44", entries(0.301, "bbr", "pass"))
    cur = conformance_report(tmp_path / "k61.json", "6.1.0-57-amd64", entries(9.7, "cubic", "fail"))
    r, doc = gate(base, cur, tmp=tmp_path)
    assert r.returncode == 1
    rows = {row["name"]: row for row in doc["behaviours"]}
    assert rows["TMO-05"]["verdict"] == "same"  # 0.301 s vs 9.7 s: a measurement, not compared
    assert rows["TCP-OPT-05"]["verdict"] == "changed"
    assert rows["OPT-15"]["verdict"] == "regression"
    for name in ("TCP-OPT-05", "OPT-15"):
        assert rows[name]["detail"].startswith("on 6.1.0-57-amd64 this behaviour is different (the baseline ran on "
                                               "6.18.44): ")
    assert "{'default': 'bbr'} → {'default': 'cubic'}" in (tmp_path / "gate.md").read_text()


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("{\"benchmarks\": [", "not valid JSON"),
    ("[]", "not a JSON object"),
    ("{\"context\": {}, \"benchmarks\": []}", "no benchmark results"),
    ("{\"benchmarks\": {\"a\": 1}}", "'benchmarks' is not a list"),
])
def test_malformed_input_is_one_line_and_exit_2_and_keeps_old_outputs(tmp_path, content, message):
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    (tmp_path / "gate.json").write_text("previous verdict")
    r, _ = gate("base.json", bad, tmp=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and message in r.stderr, r.stderr
    assert (tmp_path / "gate.json").read_text() == "previous verdict"


@pytest.mark.parametrize("flags", [["--threshold", "abc"], ["--alpha", "2"], ["--min-reps", "1"], ["--bogus"]])
def test_bad_flags_exit_2(flags):
    r, _ = gate("base.json", "noise.json", *flags)
    assert r.returncode == 2 and "usage:" in r.stderr


def test_mixing_benchmark_and_conformance_results_is_refused():
    r, _ = gate("base.json", "conf_base.json")
    assert r.returncode == 2 and "different kinds" in r.stderr


def test_googles_own_a_a_sample_passes(tmp_path):
    """The reference's A/A pair (10 interleaved repetitions each, Google Benchmark's own JSON)."""
    r, doc = gate("tcp_A.json", "tcp_B.json", tmp=tmp_path)
    assert r.returncode == 0, r.stdout
    assert doc["verdict"] == "pass"


@pytest.mark.skipif(not COMPARE.exists(), reason="libbenchmark-tools (compare.py) not installed")
@pytest.mark.parametrize("name", ["base.json", "tcp_A.json"])
def test_google_benchmark_compare_py_reads_our_json(name):
    r = subprocess.run([sys.executable, COMPARE, "benchmarks", FIX / name, FIX / "noise.json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "OVERALL_GEOMEAN" in r.stdout or "Comparing" in r.stdout


def test_compare_py_reads_a_real_socklab_bench_file(tmp_path, request):
    bench = request.config.getoption("--bench", default=None)
    if not COMPARE.exists() or not bench:
        pytest.skip("needs compare.py and the socklab-bench binary (--bench)")
    out = tmp_path / "b.json"
    subprocess.run([bench, "--profile=quick", "--filter=^tcp_connect/socklab$", "--rep-time=0.01",
                    "--repetitions=2", f"--out={out}"], check=True, capture_output=True, timeout=120)
    r = subprocess.run([sys.executable, COMPARE, "benchmarks", out, out], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "tcp_connect/socklab" in r.stdout
