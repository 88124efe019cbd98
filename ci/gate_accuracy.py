#!/usr/bin/python3
"""Measures the A/B gate itself: false alarms in A/A runs (the current tree against its own
commit) and detection of a planted slowdown, alternating the two kinds so that both see the same
machine. Each run is `ab.py --ab REF --quick`; the verdicts go to FILE as JSON lines.

usage: gate_accuracy.py --pairs N [--ref HEAD] [--plant tcp_stream:15] [--until EPOCH_SECONDS] --log FILE

Exit status: 0 when the runs completed (whatever they found), 2 on bad arguments.
"""
import argparse
import json
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def one_run(kind, ref, plant, out):
    verdict = out / "verdict.json"
    cmd = [sys.executable, str(ROOT / "ci" / "ab.py"), "--ab", ref, "--quick", "--out", str(out), "--json", str(verdict)]
    if kind == "planted":
        cmd += ["--plant-slowdown", plant]
    start = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    doc = json.loads(verdict.read_text()) if verdict.exists() and r.returncode in (0, 1) else {}
    rows = doc.get("benchmarks", [])
    return {"kind": kind, "exit": r.returncode, "seconds": round(time.monotonic() - start),
            "flagged": [f"{row['name']} {row['metric']} {100 * row.get('change', 0):+.1f}%"
                        for row in rows if row.get("verdict") == "regression"],
            "not_same": [f"{row['name']} {row['metric']} {row.get('verdict')}"
                         for row in rows if row.get("verdict") not in ("same", "improvement", "regression")],
            "planted_rows": [{"name": row["name"], "metric": row["metric"], "change": row.get("change"),
                              "p_holm": row.get("p_holm"), "n": row.get("n_cur"), "verdict": row.get("verdict")}
                             for row in rows if plant.split(":")[0] in row["name"]]}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, required=True)
    p.add_argument("--ref", default="HEAD")
    p.add_argument("--plant", default="tcp_stream:15")
    p.add_argument("--until", type=float, default=None, help="start no run after this time (epoch seconds)")
    p.add_argument("--log", required=True)
    args = p.parse_args(argv)
    if not 1 <= args.pairs <= 100:
        p.error("--pairs must be 1..100")
    out = ROOT / "socklab-out" / "gate-accuracy"
    out.mkdir(parents=True, exist_ok=True)
    with open(args.log, "a") as log:
        for i in range(args.pairs):
            for kind in (("aa", "planted") if i % 2 == 0 else ("planted", "aa")):
                if args.until and time.time() > args.until:
                    return 0
                result = one_run(kind, args.ref, args.plant, out / kind)
                result["pair"] = i
                log.write(json.dumps(result) + "\n")
                log.flush()
                print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
