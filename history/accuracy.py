"""How well the change-point search does on synthetic histories whose changes are known, and how
long it takes: the measurement behind the README's history targets.

  python3 -m history.accuracy [--histories 40] [--runs 200] [--sigma 0.03 | --noise-of DB] [--seed 1]

Each history has `runs` run medians: a level that steps 1 to 4 times (sizes 3-20 %, either way,
at least 10 runs from an end and from each other), times log-normal noise of `sigma` and, in 2 %
of runs, an outlier 20-50 % off (a run on a preempted vCPU). A step counts as found when a change
is reported within 2 runs of it. The same number of noise-only histories count false changes.
Then the timing: `changes` over 1,000 runs of 40 benchmarks. With --noise-of, the noise is this
machine's: the run-to-run spread of the run medians in a real history (1.4826 MAD of their logs,
per series, and of each socklab series' ratio to its raw twin), whose median is then the sigma."""
import argparse
import sys
import time

import numpy as np

from common.errors import InputError
from history import trends
from history.changes import find_changes
from history.store import History


def history(rng, runs, sigma, steps):
    """(values, [(index, size)]) with `steps` planted steps."""
    planted = []
    while len(planted) < steps:
        at = int(rng.integers(10, runs - 10))
        if all(abs(at - p) >= 10 for p, _ in planted):
            planted.append((at, float(rng.uniform(0.03, 0.20) * rng.choice([-1, 1]))))
    level = np.ones(runs)
    for at, size in sorted(planted):
        level[at:] *= 1 + size
    values = 100 * level * np.exp(rng.normal(0, sigma, runs))
    outliers = rng.random(runs) < 0.02
    values[outliers] *= 1 + rng.uniform(0.2, 0.5, outliers.sum()) * rng.choice([-1, 1], outliers.sum())
    return list(values), sorted(planted)


def machine_noise(db):
    """{series: run-to-run sigma of its log run medians} of a real history's series of 5 runs or
    more: each benchmark's, and each socklab benchmark's ratio to its raw twin."""
    with History(db, create=False) as h:
        found = trends.read(h, search=False)
    noise = {}
    for t in found:
        if len(t.points) >= 5:
            logs = np.log([p.median for p in t.points])
            noise[f"{t.name} on {t.machine}"] = float(1.4826 * np.median(np.abs(logs - np.median(logs))))
    return noise


def measure(histories, runs, sigma, seed):
    rng = np.random.default_rng(seed)
    found = missed = small_found = small = 0
    for _ in range(histories):
        values, planted = history(rng, runs, sigma, int(rng.integers(1, 5)))
        reported = [c.index for c in find_changes(values)]
        for at, size in planted:
            hit = any(abs(r - at) <= 2 for r in reported)
            if abs(size) >= 0.05:
                found, missed = found + hit, missed + (not hit)
            else:
                small_found, small = small_found + hit, small + 1
    false = sum(len(find_changes(history(rng, runs, sigma, 0)[0])) for _ in range(histories))
    return {"steps_5pct_or_more": found + missed, "found_within_2": found,
            "found_share": found / max(1, found + missed), "steps_under_5pct": small,
            "small_found": small_found, "noise_runs": histories * runs, "false_changes": false,
            "false_per_1000_runs": 1000 * false / (histories * runs)}


def timing(seed):
    rng = np.random.default_rng(seed)
    series = [history(rng, 1000, 0.03, int(rng.integers(0, 4)))[0] for _ in range(40)]
    start = time.perf_counter()
    for s in series:
        find_changes(s)
    return time.perf_counter() - start


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m history.accuracy", description=__doc__.splitlines()[0])
    p.add_argument("--histories", type=int, default=40)
    p.add_argument("--runs", type=int, default=200)
    noise = p.add_mutually_exclusive_group()
    noise.add_argument("--sigma", type=float, default=0.03, help="run-to-run noise of a run's median (log scale)")
    noise.add_argument("--noise-of", metavar="DB", help="use the median run-to-run noise of this real history")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    if args.noise_of:
        try:
            noise = machine_noise(args.noise_of)
        except InputError as e:
            print(f"history.accuracy: {e}", file=sys.stderr)
            return 2
        if not noise:
            print(f"history.accuracy: {args.noise_of}: no series of 5 runs or more to measure noise on", file=sys.stderr)
            return 2
        for name, sigma in sorted(noise.items()):
            print(f"run-to-run noise of {name}: {sigma:.1%}")
        args.sigma = float(np.median(list(noise.values())))
        print(f"median over {len(noise)} series: {args.sigma:.1%}")
    r = measure(args.histories, args.runs, args.sigma, args.seed)
    print(f"sigma {args.sigma:.1%}: {r['found_within_2']} of {r['steps_5pct_or_more']} steps of 5 % or more found "
          f"within 2 runs ({r['found_share']:.1%}); {r['small_found']} of {r['steps_under_5pct']} smaller ones; "
          f"{r['false_changes']} false changes in {r['noise_runs']} runs of noise "
          f"({r['false_per_1000_runs']:.2f} per 1,000 runs)")
    print(f"changes over 1,000 runs x 40 benchmarks: {timing(args.seed):.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
