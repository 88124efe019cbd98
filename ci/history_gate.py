"""The gate against a results history: the current run's benchmarks compared with the recent runs
of the same machine and configuration, not with one baseline file.

For each benchmark the baseline is its level now: the runs since the last change point found in its
series (history.changes), at most `window` of them. A one-off noisy run among them moves their
median little, and a slow drift or a step the history has already seen becomes the baseline instead
of being flagged on every run after it. The current run's median is then judged against the spread
of those runs' medians, run to run (1.4826 MAD, robust to an outlier run): the one-sided p of a
Student t prediction for a new run, Holm-corrected over the rows as the file gate does, AND a
minimum change (the threshold). As there, a socklab row with a raw POSIX twin is judged on its
ratio to the twin (both kept in each run), so a machine that got slower moves both and fails
nothing: that row is "machine-changed"; the twin itself is reported, never failed. The history keeps
each benchmark's headline series, so that is what is gated (the file gate also gates a ping-pong's
p99). A benchmark the history's latest run had and this run lacks is missing (it fails)."""
import math
import statistics

from common import verdicts as V
from common.results import bench_name, higher_is_better
from ci.gate import PEER_TOOLS, settle
from history import trends
from history.changes import find_changes
from history.store import History

WINDOW = 20      # runs at the current level the baseline is made of
MIN_RUNS = 5     # fewer runs at the current level cannot say what a run's spread is
LOOKBACK = 120   # runs searched for the last change point
MAD_TO_SIGMA = 1.4826


def baseline_runs(medians, window):
    """The medians of the runs since the last change point, the last `window` of them."""
    recent = medians[-LOOKBACK:]
    changes = find_changes(recent)
    return recent[changes[-1].index if changes else 0:][-window:]


def judge(row, runs, current, metric, threshold, min_runs):
    """Fills `row` with the current value against the runs' medians and returns the test for
    gate.decide: (row, worse, p_worse, p_better, p_min), or None when there are too few runs."""
    from scipy.stats import t as student
    k = len(runs)
    level = statistics.median(runs)
    change = V.change(level, current)
    worse = -change if higher_is_better(metric) else change
    row.update(baseline=level, current=current, change=change, threshold=threshold, n_base=k, n_cur=1)
    if k < min_runs:
        row.update(verdict=V.INSUFFICIENT, detail=f"{k} runs at the current level in the history, fewer than "
                   f"{min_runs}: run the main job with --history a few more times (or a change point was recent)")
        return None
    spread = MAD_TO_SIGMA * statistics.median(abs(x - level) for x in runs) / level
    # A run's spread of zero (identical medians) would make any move significant: one ulp-sized floor.
    scale = max(spread, 1e-9) * math.sqrt(1 + 1 / k)
    row["run_spread"] = spread
    return row, worse, float(student.sf(worse / scale, k - 1)), float(student.sf(-worse / scale, k - 1)), 0.0


def compare(db, cur, args):
    """(rows, description of the baseline) for the current run against the history at `db`."""
    machine = args.machine or cur.context.get("host_name", "unknown")
    with History(db, create=False) as h:
        config = h.config_of(cur.context)
        current_id = h.run_id_of(cur.context, machine=args.machine)
        series = {t.benchmark: t for t in trends.read(h, machine=machine, search=False, ratios=False)
                  if t.config == config}
    rows, gated, moved, twin_rows, control_rows = [], [], [], [], []
    used_runs = set()

    def history_of(name, metric):
        t = series.get(name)
        if t is None or t.metric != metric:
            return None
        # the current run, if it was kept already, is not its own baseline
        return [p for p in t.points if p.run_id != current_id]

    for name, c in cur.benchmarks.items():
        if c.impl in PEER_TOOLS:
            continue
        if c.errors:
            rows.append({"name": name, "metric": c.headline, "verdict": V.ERROR, "detail": c.errors[0]})
            continue
        metric, threshold = c.headline, args.threshold
        past = history_of(name, metric)
        row = {"name": name, "metric": metric}
        rows.append(row)
        if not past:
            row.update(verdict=V.NEW, detail=f"not in the history of {machine} with this configuration")
            continue
        runs = baseline_runs([p.median for p in past], args.window)
        used_runs.update(p.run_id for p in past[-len(runs):])
        twin = cur.benchmarks.get(bench_name(c.family, "raw", c.size, c.params)) if c.impl == "socklab" else None
        twin_past = history_of(twin.name, metric) if twin is not None and not twin.errors else None
        if c.impl == "raw":
            test = judge(row, runs, c.median(metric), metric, threshold, args.min_runs)
            if test:
                moved.append(test)
            control_rows.append(row)
        elif twin_past:
            own = {}
            test = judge(own, runs, c.median(metric), metric, threshold, args.min_runs)
            if test:
                moved.append(test)
            theirs = {p.run_id: p.median for p in twin_past}
            ratios = [p.median / theirs[p.run_id] for p in past if theirs.get(p.run_id)]
            ratio = {}
            test = judge(ratio, baseline_runs(ratios, args.window), c.median(metric) / twin.median(metric), metric,
                         threshold, args.min_runs)
            if test:
                gated.append(test)
            twin_rows.append((row, own, ratio))
        else:
            test = judge(row, runs, c.median(metric), metric, threshold, args.min_runs)
            if test:
                gated.append(test)
    settle(gated, moved, twin_rows, control_rows, args.alpha, args.min_runs)
    # what the latest run in the history measured and this run did not
    latest = max(((p.date, p.run_id) for t in series.values() for p in t.points if p.run_id != current_id),
                 default=None)
    rows += [{"name": name, "metric": t.metric, "verdict": V.MISSING,
              "detail": f"in the history's latest run ({t.points[-1].commit}), absent from the current run"}
             for name, t in sorted(series.items())
             if name not in cur.benchmarks and t.impl not in PEER_TOOLS and latest
             and (t.points[-1].date, t.points[-1].run_id) == latest]
    return rows, {"history": h.db, "machine": machine, "config": config, "runs_used": len(used_runs)}
