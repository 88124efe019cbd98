"""gate --history: the current run judged against the recent runs of its machine and configuration
in a results history. A socklab slowdown its raw twin does not share fails; a machine that slowed
both twins is machine-changed; a step the history has already seen is the new level, not a
regression on every run after it; a one-off wild run in the history changes nothing; too short a
history is insufficient; bad input is one line and exit 2."""
import json
import pathlib
import subprocess
import sys

import numpy as np

from common import schemas
from history.cli import main as history_main
from history.tests.test_store import bench_file, conformance_file

GATE = pathlib.Path(__file__).resolve().parents[1] / "gate.py"
RUNS = 30


def make_history(tmp_path, levels_of, runs=RUNS):
    """A history of `runs` runs: levels_of(r) gives run r's {(family, impl): level}, times 2 % noise
    per twin per run. Returns its file."""
    rng = np.random.default_rng(11)
    db = tmp_path / "h.sqlite"
    folders = []
    for r in range(runs):
        levels = {k: v * float(np.exp(rng.normal(0, 0.02))) for k, v in levels_of(r).items()}
        folders.append(str(bench_file(tmp_path / f"run{r}", r, commit=f"c{r:02d}", reps=6, levels=levels).parent))
    assert history_main(["add", "--db", str(db), *folders]) == 0
    return db


def steady(r):
    return {("tcp_stream", "socklab"): 100.0, ("tcp_stream", "raw"): 100.0, ("udp_stream", "socklab"): 100.0}


def gate(tmp_path, db, levels, *flags):
    current = bench_file(tmp_path / "current", 999, commit="new", reps=6, levels=levels)
    out = tmp_path / "gate.json"
    r = subprocess.run([sys.executable, GATE, "--history", db, "--current", current, "--json", out, *flags],
                       capture_output=True, text=True, timeout=120)
    doc = json.loads(out.read_text()) if out.exists() else None
    assert doc is None or schemas.violations(doc, "gate") == []
    return r, {row["name"]: row for row in doc["benchmarks"]} if doc else None


def test_a_socklab_slowdown_its_twin_does_not_share_fails(tmp_path):
    db = make_history(tmp_path, steady)
    r, rows = gate(tmp_path, db, {("tcp_stream", "socklab"): 85.0, ("tcp_stream", "raw"): 100.0,
                                  ("udp_stream", "socklab"): 100.0})
    assert r.returncode == 1, r.stdout + r.stderr
    tcp = rows["tcp_stream/socklab/size:64"]
    assert tcp["verdict"] == "regression" and tcp["gated_on"] == "ratio to the raw twin"
    assert tcp["n_base"] == 20 and abs(tcp["ratio_change"] + 0.15) < 0.04, tcp
    assert rows["tcp_stream/raw/size:64"]["verdict"] == "same"
    assert rows["udp_stream/socklab/size:64"]["verdict"] == "same"  # no twin: judged on its own level


def test_a_machine_that_slowed_both_twins_is_machine_changed_and_passes(tmp_path):
    db = make_history(tmp_path, steady)
    r, rows = gate(tmp_path, db, {("tcp_stream", "socklab"): 75.0, ("tcp_stream", "raw"): 75.0,
                                  ("udp_stream", "socklab"): 100.0})
    assert r.returncode == 0, r.stdout + r.stderr
    assert rows["tcp_stream/socklab/size:64"]["verdict"] == "machine-changed"
    assert rows["tcp_stream/raw/size:64"]["verdict"] == "machine-changed"


def test_a_step_the_history_has_seen_is_the_new_level(tmp_path):
    # udp_stream (no twin) fell 12 % at run 18 and stayed there: a run at that level passes, judged
    # against the 12 runs since the step only ...
    db = make_history(tmp_path, lambda r: steady(r) | {("udp_stream", "socklab"): 88.0 if r >= 18 else 100.0})
    at_new_level = steady(0) | {("udp_stream", "socklab"): 88.0}
    r, rows = gate(tmp_path, db, at_new_level)
    assert r.returncode == 0 and rows["udp_stream/socklab/size:64"]["n_base"] == RUNS - 18, r.stdout
    # ... where the same run against a history that never stepped is a regression
    (tmp_path / "steady").mkdir()
    r, rows = gate(tmp_path, make_history(tmp_path / "steady", steady), at_new_level)
    assert r.returncode == 1 and rows["udp_stream/socklab/size:64"]["verdict"] == "regression"


def test_one_wild_run_in_the_history_changes_nothing(tmp_path):
    db = make_history(tmp_path, lambda r: {k: v * (0.6 if r == 25 else 1.0) for k, v in steady(r).items()}
                      | {("udp_stream", "socklab"): 60.0 if r == 27 else 100.0})
    r, rows = gate(tmp_path, db, steady(0))
    assert r.returncode == 0 and {row["verdict"] for row in rows.values()} == {"same"}, r.stdout


def test_too_short_a_history_is_insufficient_and_a_new_benchmark_is_new(tmp_path):
    db = make_history(tmp_path, steady, runs=4)
    r, rows = gate(tmp_path, db, steady(0) | {("unix_stream", "socklab"): 5.0})
    assert r.returncode == 1 and doc_verdict(r) == "INSUFFICIENT"
    assert rows["tcp_stream/socklab/size:64"]["verdict"] == "insufficient"
    assert "4 runs at the current level" in rows["tcp_stream/socklab/size:64"]["detail"]
    assert rows["unix_stream/socklab/size:64"]["verdict"] == "new"


def doc_verdict(r):
    return r.stdout.split("## socklab gate: ", 1)[1].split(" ")[0]


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    db = make_history(tmp_path, steady, runs=2)
    current = bench_file(tmp_path / "current", 999)
    for args, message in (
            (["--history", tmp_path / "none.sqlite", "--current", current], "none.sqlite: no such history"),
            (["--history", db, "--current", conformance_file(tmp_path)], "judges benchmark results"),
            (["--history", db, "--baseline", current, "--current", current], "not allowed with argument"),
            (["--history", db, "--current", current, "--min-runs", "30"], "--min-runs must be")):
        r = subprocess.run([sys.executable, GATE, *map(str, args)], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and message in r.stderr, (args, r.stderr)
    assert not (tmp_path / "none.sqlite").exists()


def test_a_benchmark_the_latest_run_had_and_this_one_lacks_is_missing(tmp_path):
    db = make_history(tmp_path, steady)
    r, rows = gate(tmp_path, db, {k: v for k, v in steady(0).items() if k[0] != "udp_stream"})
    assert r.returncode == 1 and rows["udp_stream/socklab/size:64"]["verdict"] == "missing", r.stdout
