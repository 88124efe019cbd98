#!/usr/bin/python3
"""Measures what a CI user of the main job gets: runs `./socklab run` N+1 times, gates each run's
bench.json against the previous run's (N A/A pairs of the same build, minutes apart), and every
K-th time also gates a planted run — the main job's benchmark step (socklab-bench --profile=quick)
with --plant-slowdown — against the run before it. It also counts the overhead rows each run's
report calls "slower". One JSON line per comparison goes to FILE.

usage: main_job_accuracy.py --pairs N [--plant tcp_stream:15] [--plant-every K] --log FILE
       main_job_accuracy.py --summarize FILE      (the README's table, from a log)

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
BENCH = ROOT / "build" / "release" / "bench" / "socklab-bench"


def main_job(out):
    """`./socklab run --out OUT`; its seconds and the overhead rows its report calls slower."""
    start = time.monotonic()
    r = subprocess.run([str(ROOT / "socklab"), "run", "--out", str(out)], capture_output=True, text=True, timeout=1800)
    doc = json.loads((out / "bench.json").read_text())
    return {"exit": r.returncode, "seconds": round(time.monotonic() - start),
            "slower": [row["benchmark"] for row in doc["socklab"]["overhead"] if row["verdict"] == "slower"]}


def planted_step(plant, out):
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(BENCH), "--profile=quick", f"--plant-slowdown={plant}", f"--out={out / 'bench.json'}"],
                   capture_output=True, text=True, timeout=1800, check=True)


def gate(base, cur, out):
    verdict = out / "verdict.json"
    r = subprocess.run([str(ROOT / "socklab"), "gate", "--baseline", str(base / "bench.json"),
                        "--current", str(cur / "bench.json"), "--json", str(verdict)],
                       capture_output=True, text=True, timeout=300)
    rows = json.loads(verdict.read_text())["benchmarks"] if r.returncode in (0, 1) else []
    pick = lambda v: [f"{row['name']} {row['metric']} {100 * row.get('change', 0):+.1f}%"  # noqa: E731
                      for row in rows if row.get("verdict") == v]
    return {"gate_exit": r.returncode, "flagged": pick("regression"), "machine_changed": pick("machine-changed"),
            "insufficient": pick("insufficient")}


def summarize(records, family):
    aa = [r for r in records if r["kind"] == "aa"]
    planted = [r for r in records if r["kind"] == "planted"]
    runs = [r for r in records if r["kind"] in ("first", "aa")]
    detected = [r for r in planted if any(f.startswith(family + "/socklab/") for f in r["flagged"])]
    others = sum(1 for r in planted if any(not f.startswith(family + "/") for f in r["flagged"]))
    seconds = [r["seconds"] for r in runs]
    moved = statistics.median([len(r["machine_changed"]) for r in aa]) if aa else 0
    return "\n".join([
        "| measured | runs | result | notes |", "| --- | --- | --- | --- |",
        f"| A/A: one `./socklab run` gated against the one before | {len(aa)} pairs | "
        f"**{sum(1 for r in aa if r['flagged'])} of {len(aa)}** flagged a regression | "
        f"{sum(1 for r in aa if r['insufficient'])} had an insufficient row; median {moved:g} rows machine-changed |",
        f"| planted {family} slowdown in the second | {len(planted)} | **{len(detected)} of {len(planted)}** failed the "
        f"gate on {family} | another benchmark flagged in {others} |",
        f"| overhead rows the report calls slower | {len(runs)} runs | **{sum(1 for r in runs if r['slower'])} of "
        f"{len(runs)}** runs called any | {', '.join(sorted({s for r in runs for s in r['slower']})) or 'none'} |",
        f"| time of `./socklab run` | {len(seconds)} | median {statistics.median(seconds) if seconds else 0:.0f} s, "
        f"longest {max(seconds, default=0)} s | no build to do |"])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--summarize", metavar="LOG", help="print the README table from a log, run nothing")
    p.add_argument("--pairs", type=int)
    p.add_argument("--plant", default="tcp_stream:15")
    p.add_argument("--plant-every", type=int, default=4)
    p.add_argument("--log")
    args = p.parse_args(argv)
    if args.summarize:
        try:
            records = [json.loads(line) for line in pathlib.Path(args.summarize).read_text().splitlines() if line.strip()]
            print(summarize(records, args.plant.split(":")[0]))
        except (OSError, ValueError, KeyError, TypeError) as e:
            print(f"main_job_accuracy.py: cannot read {args.summarize}: {e}", file=sys.stderr)
            return 2
        return 0
    if args.pairs is None or not args.log or not 1 <= args.pairs <= 100 or not 1 <= args.plant_every <= 100:
        p.error("--pairs (1..100) and --log are needed to measure (or --summarize LOG)")
    out = ROOT / "socklab-out" / "main-job-accuracy"
    with open(args.log, "a") as log:
        def record(entry):
            log.write(json.dumps(entry) + "\n")
            log.flush()
            print(json.dumps(entry), flush=True)

        previous = out / "run-0"
        record({"kind": "first", **main_job(previous)})
        for i in range(1, args.pairs + 1):
            current = out / f"run-{i}"
            entry = {"kind": "aa", "pair": i, **main_job(current)}
            record({**entry, **gate(previous, current, current)})
            if i % args.plant_every == 0:
                planted = out / f"planted-{i}"
                planted_step(args.plant, planted)
                record({"kind": "planted", "pair": i, **gate(current, planted, planted)})
            previous = current
    return 0


if __name__ == "__main__":
    sys.exit(main())
