#!/usr/bin/python3
"""Measures the A/B gate itself: false alarms in A/A runs (the current tree against its own
commit) and detection of a planted slowdown, alternating the two kinds so that both see the same
machine. Each run is `./socklab gate --ab REF --quick`; the verdicts go to FILE as JSON lines.

usage: gate_accuracy.py --pairs N [--ref HEAD] [--plant tcp_stream:15] [--until EPOCH_SECONDS] --log FILE
       gate_accuracy.py --summarize FILE      (the README's table, from a log)

Exit status: 0 when the runs completed (whatever they found), 2 on bad arguments or an unreadable log.
"""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def one_run(kind, ref, plant, out):
    verdict = out / "verdict.json"
    cmd = [str(ROOT / "socklab"), "gate", "--ab", ref, "--quick", "--out", str(out), "--json", str(verdict)]
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


def summarize(runs, family):
    """Markdown rows: A/A false alarms, planted detections (and anything else they flagged), time."""
    aa = [r for r in runs if r["kind"] == "aa"]
    planted = [r for r in runs if r["kind"] == "planted"]
    detected = [r for r in planted if any(f.startswith(family + "/") for f in r["flagged"])]
    others = sum(1 for r in planted if any(not f.startswith(family + "/") for f in r["flagged"]))
    changes = [100 * row["change"] for r in planted for row in r["planted_rows"] if row.get("change") is not None]
    seconds = [r["seconds"] for r in runs]
    lines = ["| comparison | runs | flagged a regression | notes |", "| --- | --- | --- | --- |",
             f"| A/A | {len(aa)} | **{sum(1 for r in aa if r['flagged'])} of {len(aa)}** | |",
             f"| planted in {family} | {len(planted)} | **{len(detected)} of {len(planted)}** | "
             f"another benchmark flagged in {others} of {len(planted)} runs; the planted family read "
             f"{min(changes, default=0):+.1f} … {max(changes, default=0):+.1f} % "
             f"(median {statistics.median(changes) if changes else 0:+.1f} %) |",
             f"| time per quick A/B | {len(seconds)} | median {statistics.median(seconds) if seconds else 0:.0f} s, "
             f"longest {max(seconds, default=0)} s | |"]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--summarize", metavar="LOG", help="print the README table from a log, run nothing")
    p.add_argument("--pairs", type=int)
    p.add_argument("--ref", default="HEAD")
    p.add_argument("--plant", default="tcp_stream:15")
    p.add_argument("--until", type=float, default=None, help="start no run after this time (epoch seconds)")
    p.add_argument("--log")
    args = p.parse_args(argv)
    if args.summarize:
        try:
            runs = [json.loads(line) for line in pathlib.Path(args.summarize).read_text().splitlines() if line.strip()]
            family = next((row["name"].split("/")[0] for r in runs for row in r["planted_rows"]), "tcp_stream")
            print(summarize(runs, family))
        except (OSError, ValueError, KeyError, TypeError) as e:
            print(f"gate_accuracy.py: cannot read {args.summarize}: {e}", file=sys.stderr)
            return 2
        return 0
    if args.pairs is None or not args.log:
        p.error("--pairs and --log are needed to measure (or --summarize LOG)")
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
