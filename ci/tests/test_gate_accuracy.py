"""The gate-accuracy log's summary: what the README's table is made from."""
import json
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
TOOL = HERE.parent / "gate_accuracy.py"


def run(kind, flagged, change, seconds=40):
    return {"kind": kind, "exit": 1 if flagged else 0, "seconds": seconds, "flagged": flagged, "not_same": [],
            "planted_rows": [{"name": "tcp_stream/socklab/4096/real_time", "metric": "bytes_per_second",
                              "change": change, "p_holm": 0.5, "n": 12, "verdict": "same"}]}


def summarize(tmp_path, runs):
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in runs))
    return subprocess.run([sys.executable, TOOL, "--summarize", log], capture_output=True, text=True, timeout=30)


def test_counts_false_alarms_detections_and_other_benchmarks_flagged(tmp_path):
    hit = ["tcp_stream/socklab/4096/real_time bytes_per_second -15.0%"]
    other = ["udp_stream/socklab/1472/real_time bytes_per_second -6.0%"]
    r = summarize(tmp_path, [run("aa", [], 0.01, 30), run("aa", other, -0.06, 50), run("planted", hit, -0.15, 60),
                             run("planted", [], -0.02), run("planted", hit + other, -0.2)])
    assert r.returncode == 0, r.stderr
    assert "| A/A | 2 | **1 of 2** |" in r.stdout
    assert "| planted in tcp_stream | 3 | **2 of 3** | another benchmark flagged in 1 of 3 runs" in r.stdout
    assert "-20.0 … -2.0 % (median -15.0 %)" in r.stdout
    assert "median 40 s, longest 60 s" in r.stdout


def test_an_unreadable_log_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "log.jsonl").write_text("{not json\n")
    r = subprocess.run([sys.executable, TOOL, "--summarize", tmp_path / "log.jsonl"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""


MAIN_JOB = HERE.parent / "main_job_accuracy.py"


def test_the_main_job_summary_counts_pairs_detections_slower_rows_and_time(tmp_path):
    def entry(kind, flagged=(), slower=(), seconds=170, moved=()):
        return {"kind": kind, "exit": 0, "seconds": seconds, "slower": list(slower), "flagged": list(flagged),
                "machine_changed": list(moved), "insufficient": []}
    hit = ["tcp_stream/socklab/size:4096 bytes_per_second -14.0%"]
    records = [entry("first", seconds=200), entry("aa", moved=["a", "b"]), entry("aa", flagged=["x/socklab y -6%"]),
               entry("planted", flagged=hit), entry("aa", slower=["udp_sendto/size:1472"], seconds=150),
               entry("planted")]
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    r = subprocess.run([sys.executable, MAIN_JOB, "--summarize", log], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "| 3 pairs | **1 of 3** flagged a regression |" in r.stdout
    assert "| 2 | **1 of 2** failed the gate on tcp_stream |" in r.stdout
    assert "| 4 runs | **1 of 4** runs called any | udp_sendto/size:1472 |" in r.stdout
    assert "median 170 s, longest 200 s" in r.stdout
