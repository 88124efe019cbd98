#!/usr/bin/python3
"""Same-machine A/B gate: builds socklab-bench at a baseline commit and from the current tree, runs
them interleaved benchmark by benchmark (A B, then B A, ...), pools each side's repetitions and
gates current vs baseline. A benchmark whose current median looks worse by half the threshold or
more but is not yet a regression gets more rounds (8 at a time, up to --max-rounds, while the --budget
lasts): most benchmarks stop after the first rounds, and a suspect one is measured until it is
settled either way.

A stored baseline from another machine says little on shared runners, and on a 2-core VM even
whole runs a minute apart drift by 20 % and more; measuring A and B of the same benchmark seconds
apart, alternating which goes first, cancels that drift. Bounded: a fixed number of rounds, each
run under a time limit.

Both sides run with the measuring thread and its peer on one CPU (--placement same-cpu) unless told
otherwise: throughput is then the inverse of the CPU work per byte, which is what a code change
moves, and on this 2-vCPU VM it is three times steadier than across CPUs, where a run lands in one
of two modes 2.5x apart (robust spread between processes, tcp_stream 64 KiB: 6 % vs 24 %;
tcp_pingpong: 0.6 % vs 16 %). The report's cross-CPU figures stay what users see; the gate asks a
narrower question, "did this change make the code slower?".

usage: ab.py --ab REF [--quick] [--rounds N] [--max-rounds N] [--budget S] [--repetitions N] [--min-time S]
             [--placement same-cpu|cross-cpu|unpinned] [--filter REGEX] [--out DIR]
             [--plant-slowdown FAMILY:PCT] [gate options: --threshold --alpha --summary --junit --json --warn-only]
"""
import argparse
import json
import math
import pathlib
import re
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent

from ci import gate
from common.results import json_text, write_atomically

# One representative size per family, socklab twins only: the raw POSIX twins measure the machine,
# which a change to socklab cannot slow, and gating them would only double the comparisons.
QUICK_FILTER = ("^(tcp_stream/socklab/size:(4096|65536)|udp_stream/socklab/size:1472|unix_stream/socklab/size:65536|"
                "(tcp|udp|unix)_pingpong/socklab/size:1|tcp_connect/socklab)$")
EXTRA_BATCH = 8  # rounds added at a time for benchmarks that look worse but are not settled
# A real slowdown of twice the threshold read as little as -3 % after 12 rounds (1 run in 9): half
# the threshold is suspicious enough to measure more.
SUSPECT_SHARE = 0.5
RUN_LIMIT = 900  # seconds for one benchmark run


class ABError(Exception):
    pass


def git(*args):
    r = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise ABError(f"git {' '.join(args)}: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else 'failed'}")
    return r.stdout.strip()


def build(source, build_dir, log):
    """Configures (once) and builds socklab-bench only, release flags; returns the binary's path."""
    with open(log, "w") as out:
        if not (build_dir / "CMakeCache.txt").exists():
            subprocess.run(["cmake", "-S", str(source), "-B", str(build_dir), "-G", "Ninja",
                            "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DSOCKLAB_BUILD_TESTS=OFF", "-DSOCKLAB_BUILD_BENCH=ON"],
                           stdout=out, stderr=subprocess.STDOUT, check=False)
        r = subprocess.run(["cmake", "--build", str(build_dir), "--target", "socklab-bench"], stdout=out,
                           stderr=subprocess.STDOUT)
    binary = build_dir / "bench" / "socklab-bench"
    if r.returncode != 0 or not binary.exists():
        raise ABError(f"building socklab-bench from {source} failed (log: {log})")
    return binary


def baseline_tree(ref):
    try:
        sha = git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except ABError:
        sha = ""
    if not sha:
        raise ABError(f"'{ref}' is not a commit in this repository")
    tree = ROOT / "build" / "ab" / f"base-{sha[:12]}"
    if not (tree / "CMakeLists.txt").exists():
        git("worktree", "prune")
        git("worktree", "add", "--detach", "--force", str(tree), sha)
    return sha, tree


def bench(binary, args, extra):
    cmd = [str(binary), "--profile=quick", f"--placement={args.placement}", *extra]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_LIMIT)
    except subprocess.TimeoutExpired:
        raise ABError(f"{binary} did not finish within {RUN_LIMIT} s") from None
    if r.returncode != 0:
        raise ABError(f"{binary} failed (exit {r.returncode}): {(r.stderr or r.stdout).strip().splitlines()[-1:]}")
    return r.stdout


def benchmark_names(binary, args):
    names = bench(binary, args, [f"--filter={args.filter}", "--list"]).split()
    if not names:
        raise ABError(f"no benchmark matches --filter {args.filter!r}")
    return names


def run_one(binary, name, out, args, plant=None):
    extra = [f"--filter=^{re.escape(name)}$", f"--repetitions={args.repetitions}", f"--rep-time={args.min_time}",
             f"--out={out}"]
    bench(binary, args, extra + ([f"--plant-slowdown={plant}"] if plant else []))
    if not out.exists():
        raise ABError(f"{binary} wrote no results for {name}")


def pool(files, dest):
    """One bench.json holding every round's repetitions, renumbered; `files` are (A/B round, path)."""
    merged, index = None, {}
    for r, f in files:
        doc = json.loads(f.read_text())
        if merged is None:
            merged = {"context": doc["context"], "benchmarks": [],
                      "socklab": {"schema_version": doc.get("socklab", {}).get("schema_version", 1),
                                  "ab_runs": len(files)}}
        for row in doc["benchmarks"]:
            if row.get("run_type", "iteration") != "iteration":
                continue
            name = row.get("run_name", row["name"])
            row["repetition_index"] = index.get(name, 0)
            row["round"] = r  # benchmarks of one A/B round ran seconds apart: they pair
            index[name] = row["repetition_index"] + 1
            merged["benchmarks"].append(row)
    for row in merged["benchmarks"]:
        row["repetitions"] = index[row.get("run_name", row["name"])]
    write_atomically(dest, json_text(merged))


def suspects(base_file, current_file, gate_args):
    """Benchmarks whose current median is worse by SUSPECT_SHARE of the threshold or more, not (yet) a
    regression."""
    gargs = gate.parser().parse_args(["--baseline", str(base_file), "--current", str(current_file), *gate_args])
    rows = gate.compare_benchmarks(gate.load(str(base_file)), gate.load(str(current_file)), gargs)
    found = []
    for row in rows:
        change = row.get("change")
        if row.get("verdict") not in ("same", "insufficient") or change is None or math.isnan(change):
            continue
        worse = -change if gate.higher_is_better(row["metric"]) else change
        if worse >= SUSPECT_SHARE * gargs.threshold and row["name"] not in found:
            found.append(row["name"])
    return found


def main(argv=None):
    p = argparse.ArgumentParser(prog="socklab gate --ab", description=__doc__.splitlines()[0])
    p.add_argument("--ab", required=True, metavar="REF", help="baseline commit (branch, tag, SHA)")
    p.add_argument("--quick", action="store_true", help="one size per family (the CI profile)")
    p.add_argument("--rounds", type=int, default=12, help="A/B rounds for every benchmark (default 12)")
    p.add_argument("--max-rounds", type=int, default=48,
                   help="rounds a benchmark that looks worse may get in all (default 48)")
    p.add_argument("--budget", type=float, default=240,
                   help="seconds of measuring after which no extra rounds start (default 240)")
    p.add_argument("--repetitions", type=int, default=1, help="repetitions per benchmark per round (default 1)")
    p.add_argument("--min-time", type=float, default=0.1, help="length of one repetition (s)")
    p.add_argument("--placement", default="same-cpu", choices=("same-cpu", "cross-cpu", "unpinned"),
                   help="where the measuring thread and its peer run, both sides (default same-cpu: steadiest)")
    p.add_argument("--filter", default=None, help="benchmark regex (default: all quick-profile benchmarks; "
                                                   "--quick: one size per family)")
    p.add_argument("--out", default=str(ROOT / "socklab-out" / "ab"), help="folder for the pooled JSON")
    p.add_argument("--plant-slowdown", metavar="FAMILY:PCT", help="testing the gate: slow the current side")
    args, gate_args = p.parse_known_args(argv)
    if not 1 <= args.rounds <= 50 or not 1 <= args.repetitions <= 50 or not 0 < args.min_time <= 10:
        p.error("--rounds and --repetitions must be 1..50, --min-time 0..10 s")
    if not args.rounds <= args.max_rounds <= 200 or not 0 <= args.budget <= 7200:
        p.error("--max-rounds must be --rounds..200, --budget 0..7200 s")
    args.filter = args.filter or (QUICK_FILTER if args.quick else ".")
    out = pathlib.Path(args.out)
    try:
        gate.parser().parse_args(["--baseline", "x", "--current", "y", *gate_args])  # reject bad gate flags early
    except SystemExit:
        return 2
    try:
        out.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        sha, tree = baseline_tree(args.ab)
        print(f"socklab gate --ab: building baseline {sha[:12]} and the current tree", file=sys.stderr)
        base_bin = build(tree, tree / "build" / "ab", out / "build-base.log")
        cur_bin = build(ROOT, ROOT / "build" / "ab-current", out / "build-current.log")
        names = benchmark_names(cur_bin, args)
        missing = set(names) - set(benchmark_names(base_bin, args))
        if missing:
            raise ABError(f"the baseline has no {', '.join(sorted(missing))}: narrow --filter")
        files = {"base": [], "current": []}
        rounds = out / "rounds"
        shutil.rmtree(rounds, ignore_errors=True)
        rounds.mkdir()

        def measure(which, first, count):
            for r in range(first, first + count):
                print(f"socklab gate --ab: round {r + 1} ({len(which)} benchmarks, each A and B)",
                      file=sys.stderr, flush=True)
                for name in which:
                    i = names.index(name)
                    order = ("base", "current") if (r + i) % 2 == 0 else ("current", "base")
                    for side in order:
                        f = rounds / f"{side}-{r}-{i}.json"
                        run_one(base_bin if side == "base" else cur_bin, name, f, args,
                                args.plant_slowdown if side == "current" else None)
                        files[side].append((r, f))
            pool(files["base"], out / "base.json")
            pool(files["current"], out / "current.json")

        measure(names, 0, args.rounds)
        done = args.rounds
        while done < args.max_rounds and time.monotonic() - started < args.budget:
            which = suspects(out / "base.json", out / "current.json", gate_args)
            if not which:
                break
            batch = min(EXTRA_BATCH, args.max_rounds - done)
            print(f"socklab gate --ab: {len(which)} benchmark(s) look worse but are not settled: "
                  f"{batch} more rounds for them", file=sys.stderr)
            measure(which, done, batch)
            done += batch
        print(f"socklab gate --ab: measured in {time.monotonic() - started:.0f} s", file=sys.stderr)
    except (ABError, OSError) as e:
        print(f"socklab gate --ab: {e}", file=sys.stderr)
        return 2
    return gate.main(["--baseline", str(out / "base.json"), "--current", str(out / "current.json"), *gate_args])


if __name__ == "__main__":
    sys.exit(main())
