#!/usr/bin/python3
"""socklab's regression gate: baseline vs current result JSON, benchmarks or conformance.

  socklab gate --baseline FILE --current FILE [options]
  socklab gate --history DB --current RUN [--window N] [--min-runs N] [--machine NAME] [options]

Benchmarks: per benchmark and gated metric (the headline, plus p99 for ping-pong), a one-sided
Mann-Whitney U test on the per-repetition samples, Holm-corrected over the comparisons (each
direction on its own), AND a minimum change of the medians (the threshold, raised for noisy rows
to 3 standard errors of the baseline's median, estimated from its MAD). Too few repetitions to
ever reach significance is "insufficient", never a pass.
A socklab row whose raw POSIX twin ran in the same rounds of both runs is gated on its ratio to
that twin, round by round: runs minutes apart on a shared machine drift by 20 % and more, and the
twin drifts with it, while a change to socklab moves socklab alone. When socklab moved and the ratio
did not, the verdict is "machine-changed": the machine moved, not the code (it does not fail).
A benchmark that errored, or that the baseline has and the current run lacks, fails.
With --history, the baseline is each benchmark's recent level in a results history (socklab history):
the runs of the same machine and configuration since the series' last change point, judged by their
run-to-run spread (ci/history_gate.py), so a slow drift and a one-off noisy run are both absorbed.
Conformance: a behaviour that passed and now fails (or vanished) fails; newly skipped behaviours
and changed observed values are listed.

Exit status: 0 no regression, 1 regression (or insufficient data, error, missing benchmark),
2 bad input or usage; --warn-only always exits 0 once the inputs are read.
"""
import argparse
import math
import pathlib
import statistics
import sys
import xml.etree.ElementTree as ET

from common import verdicts as V
from common.results import (BenchRun, ConformanceRun, InputError, bench_name, comparable, higher_is_better, json_text, load,
                            measured_values, write_atomically)
from common.units import format_value

PEER_TOOLS = ("iperf3", "sockperf")  # other tools' rows are context, not socklab's to gate
# The standard error of a median is about 1.2533 sigma / sqrt(n), and sigma about 1.4826 MAD.
MEDIAN_SE_PER_MAD = 1.2533 * 1.4826


def percent(text):
    """"5%", "5" or "0.05"-style thresholds as a fraction."""
    try:
        value = float(str(text).rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a percentage: {text!r}") from None
    if not str(text).endswith("%") and value < 1:
        value *= 100
    if not 0 < value < 1000:
        raise argparse.ArgumentTypeError(f"threshold out of range: {text!r}")
    return value / 100


def fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"alpha must be between 0 and 1, got {text!r}")
    return value


def min_attainable_p(n1, n2):
    """The smallest one-sided p-value a rank test can give with n1 and n2 samples: 1 / C(n1+n2, n1)."""
    return 1.0 / math.comb(n1 + n2, n1)


def repetitions_needed(n_base, n_cur, tests, alpha, floor):
    """The fewest repetitions k (at least floor) such that, with at least k on each side, a rank test
    can reach alpha/tests."""
    k = max(floor, 1)
    while k < 1000 and min_attainable_p(max(n_base, k), max(n_cur, k)) > alpha / tests:
        k += 1
    return k


def more_repetitions(n):
    """What to run for n repetitions a side."""
    return (f"needs {n} repetitions a side: run both with `./socklab bench -- --min-reps={n}`"
            f" (or `./socklab gate --ab REF --rounds {n}`)")


def rank_test(worse_side, other):
    """One-sided Mann-Whitney U p-value for "worse_side is stochastically smaller than other"."""
    from scipy.stats import mannwhitneyu
    ties = len(set(worse_side) | set(other)) < len(worse_side) + len(other)
    method = "asymptotic" if ties or len(worse_side) + len(other) > 40 else "exact"
    return float(mannwhitneyu(worse_side, other, alternative="less", method=method).pvalue)


def holm(pvalues):
    """Holm-adjusted p-values, in the input order."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    adjusted, running = [1.0] * len(pvalues), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def gated_metrics(bench):
    metrics = [bench.headline]
    if "p99_us" in bench.samples and bench.headline == "p50_us":
        metrics.append("p99_us")
    return metrics


def ratios(run, b, metric):
    """socklab ÷ raw of `metric`, round by round, for socklab row `b` of `run`; None without a twin
    measured in the same rounds."""
    twin = run.benchmarks.get(bench_name(b.family, "raw", b.size, b.params))
    if b.impl != "socklab" or twin is None or twin.errors:
        return None
    ours, theirs = b.by_round(metric), twin.by_round(metric)
    shared = sorted(set(ours) & set(theirs))
    return [ours[r] / theirs[r] for r in shared if theirs[r]] or None


def judge(row, xb, xc, metric, threshold, args):
    """Fills `row` with the comparison of samples xb (baseline) and xc (current) of a metric and
    returns the rank tests to Holm-correct: (row, worse, p_worse, p_better, p_min), or None when the
    row is settled without a test (too few repetitions)."""
    mb, mc = statistics.median(xb), statistics.median(xc)
    better_up = higher_is_better(metric)
    change = V.change(mb, mc)
    worse = -change if better_up else change
    # Three standard errors of the baseline median: the floor shrinks as repetitions accumulate, so
    # a real shift in a noisy benchmark can still be shown.
    mad = statistics.median([abs(x - mb) for x in xb])
    noise = 3 * MEDIAN_SE_PER_MAD * mad / math.sqrt(len(xb)) / mb if mb else 0.0
    row.update(baseline=mb, current=mc, change=change, threshold=max(threshold, noise))
    if min(len(xb), len(xc)) < args.min_reps:
        row.update(verdict=V.INSUFFICIENT, detail=f"{len(xb)} vs {len(xc)} repetitions, fewer than "
                   f"{args.min_reps} a side; {more_repetitions(args.min_reps)}")
        return None
    # Worse means smaller for higher-is-better metrics: test current < baseline, and the reverse.
    p_worse = rank_test(xc, xb) if better_up else rank_test([-x for x in xc], [-x for x in xb])
    p_better = rank_test(xb, xc) if better_up else rank_test([-x for x in xb], [-x for x in xc])
    return row, worse, p_worse, p_better, min_attainable_p(len(xb), len(xc))


def decide(tests, alpha, min_reps):
    """Holm over the regression tests (what fails a build) and, separately, over the improvement
    tests (reported only): each family-wise error stays at alpha."""
    m = len(tests)
    worse_holm, better_holm = holm([t[2] for t in tests]), holm([t[3] for t in tests])
    for (row, worse, p_worse, p_better, p_min), p_w, p_b in zip(tests, worse_holm, better_holm):
        row.update(p_value=p_worse, p_holm=p_w, p_holm_better=p_b)
        if p_min > alpha / m:
            needed = repetitions_needed(row["n_base"], row["n_cur"], m, alpha, min_reps)
            row.update(verdict=V.INSUFFICIENT, detail=f"{row['n_base']} vs {row['n_cur']} repetitions cannot reach "
                       f"alpha/{m}; {more_repetitions(needed)}")
        elif p_w < alpha and worse >= row["threshold"]:
            row["verdict"] = V.REGRESSION
        elif p_b < alpha and -worse >= row["threshold"]:
            row["verdict"] = V.IMPROVEMENT
        else:
            row["verdict"] = V.SAME


def settle(gated, moved, twin_rows, control_rows, alpha, floor):
    """Holm over the gated tests and, apart, over the tests of whether the machine moved; then the
    twin rows and the controls take their verdicts from them."""
    decide(gated, alpha, floor)
    decide(moved, alpha, floor)
    settle_twins(twin_rows)
    settle_controls(control_rows)


def settle_twins(twin_rows):
    """A socklab row gated on its ratio to the raw twin takes the ratio's verdict, and shows its own
    change beside it: moved while the ratio did not is the machine's doing (machine-changed)."""
    for row, own, ratio in twin_rows:
        row.update({k: own[k] for k in ("baseline", "current", "change")})
        row.update({k: ratio[k] for k in ("threshold", "n_base", "n_cur", "p_value", "p_holm", "p_holm_better",
                                          "detail", "run_spread") if k in ratio})
        row.update(ratio_baseline=ratio["baseline"], ratio_current=ratio["current"], ratio_change=ratio["change"],
                   gated_on="ratio to the raw twin", verdict=ratio["verdict"])
        if ratio["verdict"] == V.SAME and own.get("verdict") in (V.REGRESSION, V.IMPROVEMENT):
            row.update(verdict=V.MACHINE_CHANGED,
                       detail=f"socklab moved {100 * own['change']:+.1f} % and its raw twin with it "
                              f"(ratio {100 * ratio['change']:+.1f} %)")


def settle_controls(control_rows):
    """The raw twin is the control: it measures the machine, which no change to socklab can slow.
    Its move is reported, never failed; too little data only means nothing to say."""
    for row in control_rows:
        if row["verdict"] in (V.REGRESSION, V.IMPROVEMENT):
            row.update(verdict=V.MACHINE_CHANGED, detail=f"the raw POSIX twin moved {100 * row['change']:+.1f} %")
        elif row["verdict"] == V.INSUFFICIENT:
            row.update(verdict=V.SAME, detail=f"the control has too little data to tell ({row['detail']})")


def compare_benchmarks(base, cur, args):
    rows, gated, moved = [], [], []
    twin_rows = []  # (row, the socklab row's own comparison, its ratio's comparison)
    control_rows = []
    for name, b in base.benchmarks.items():
        if b.impl in PEER_TOOLS:
            continue
        c = cur.benchmarks.get(name)
        if c is None:
            rows.append({"name": name, "metric": b.headline, "verdict": V.MISSING,
                         "detail": "in the baseline, absent from the current run"})
            continue
        if c.errors:
            rows.append({"name": name, "metric": b.headline, "verdict": V.ERROR, "detail": c.errors[0]})
            continue
        for metric in gated_metrics(b):
            xb, xc = b.samples.get(metric, []), c.samples.get(metric, [])
            row = {"name": name, "metric": metric, "n_base": len(xb), "n_cur": len(xc)}
            rows.append(row)
            if not xb or not xc:
                row.update(verdict=V.MISSING, detail=f"no {metric} samples")
                continue
            threshold = args.p99_threshold if metric == "p99_us" else args.threshold
            rb, rc = ratios(base, b, metric), ratios(cur, c, metric)
            if b.impl == "raw":
                # The raw POSIX twin is the control: it measures the machine, which no change to socklab
                # can slow. Its move is reported, never failed.
                test = judge(row, xb, xc, metric, threshold, args)
                if test:
                    moved.append(test)
                control_rows.append(row)
            elif rb and rc:
                # Gated on the ratio to the twin; its own change only says whether the machine moved.
                own = {"n_base": len(xb), "n_cur": len(xc)}
                test = judge(own, xb, xc, metric, threshold, args)
                if test:
                    moved.append(test)
                ratio = {"n_base": len(rb), "n_cur": len(rc)}
                test = judge(ratio, rb, rc, metric, threshold, args)
                if test:
                    gated.append(test)
                twin_rows.append((row, own, ratio))
            else:
                test = judge(row, xb, xc, metric, threshold, args)
                if test:
                    gated.append(test)
    settle(gated, moved, twin_rows, control_rows, args.alpha, args.min_reps)
    for name, c in cur.benchmarks.items():
        if name not in base.benchmarks and c.impl not in PEER_TOOLS:
            rows.append({"name": name, "metric": c.headline, "verdict": V.ERROR if c.errors else V.NEW,
                         "detail": c.errors[0] if c.errors else "not in the baseline"})
    return rows


def compare_conformance(base, cur, measured):
    """A row per behaviour: its status then and now, and its observed values but the `measured`
    ones ({ID: names}). Runs on two kernels say which kernel each difference is on."""
    now = {b["id"]: b for b in cur.behaviours}
    rows = []
    for b in base.behaviours:
        c = now.get(b["id"])
        row = {"name": b["id"], "baseline": b["status"], "current": c["status"] if c else "absent"}
        if c is None:
            row.update(verdict=V.MISSING if b["status"] == "pass" else V.SAME, detail="not in the current report")
        elif b["status"] == "pass" and c["status"] == "fail":
            row.update(verdict=V.REGRESSION, detail=c.get("message") or "passed in the baseline, fails now")
        elif b["status"] == "pass" and c["status"] != "pass":
            row.update(verdict=V.NEWLY_SKIPPED, detail=f"passed in the baseline, {c['status']} now")
        elif b["status"] != "pass" and c["status"] == "pass":
            row.update(verdict=V.IMPROVEMENT, detail=f"{b['status']} in the baseline, passes now")
        elif c["status"] == "fail":
            row.update(verdict=V.STILL_FAILING, detail="failed in the baseline too")
        else:
            row["verdict"] = V.SAME
        compared = [{k: v for k, v in (x.get("observed") or {}).items() if k not in measured.get(b["id"], ())}
                    for x in (b, c or {})]
        if c is not None and compared[0] != compared[1]:
            row["observed_change"] = {"baseline": compared[0], "current": compared[1]}
            if row["verdict"] == V.SAME:
                row.update(verdict=V.CHANGED, detail="observed values changed")
        rows.append(row)
    known = {b["id"] for b in base.behaviours}
    rows += [{"name": i, "baseline": "absent", "current": c["status"], "verdict": V.NEW, "detail": "not in the baseline"}
             for i, c in now.items() if i not in known]
    kernels = base.context.get("kernel"), cur.context.get("kernel")
    if all(kernels) and kernels[0] != kernels[1]:
        for row in rows:
            if row["verdict"] != V.SAME:
                row["detail"] = (f"on {kernels[1]} this behaviour is different (the baseline ran on {kernels[0]}): "
                                 + row.get("detail", "observed values changed"))
    return rows


def overall(rows):
    return V.overall(r["verdict"] for r in rows)


def markdown(verdict, kind, rows, settings):
    lines = [f"## socklab gate: {verdict.upper()} ({kind})", "",
             "Settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()), ""]
    rows = sorted(rows, key=lambda r: V.rank(r["verdict"]))
    if kind == "benchmarks":
        lines += ["| benchmark | metric | n | baseline | current | change | ÷ raw twin, change | p (Holm) | verdict |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            change = "–" if "change" not in r or math.isnan(r["change"]) else f"{100 * r['change']:+.1f} %"
            ratio = "–" if "ratio_change" not in r else f"{100 * r['ratio_change']:+.1f} %"
            p = "–" if "p_holm" not in r else f"{r['p_holm']:.2g}"
            n = f"{r['n_base']}/{r['n_cur']}" if "n_base" in r else "–"
            verdict_cell = r["verdict"].upper() if r["verdict"] in V.FAILING else r["verdict"]
            lines.append(f"| {r['name'].removesuffix('/real_time')} | {r['metric']} | {n} | {format_value(r['metric'], r.get('baseline'))} | "
                         f"{format_value(r['metric'], r.get('current'))} | {change} | {ratio} | {p} | {verdict_cell} |")
    else:
        lines += ["| behaviour | baseline | current | verdict | detail |", "|---|---|---|---|---|"]
        for r in rows:
            detail = r.get("detail", "")
            if "observed_change" in r:
                detail += f" (observed {r['observed_change']['baseline']} → {r['observed_change']['current']})"
            verdict_cell = r["verdict"].upper() if r["verdict"] in V.FAILING else r["verdict"]
            lines.append(f"| {r['name']} | {r['baseline']} | {r['current']} | {verdict_cell} | {detail.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def junit(kind, rows):
    suite = ET.Element("testsuite", name=f"socklab-gate-{kind}", tests=str(len(rows)))
    failures = errors = skipped = 0
    for r in rows:
        case = ET.SubElement(suite, "testcase", classname=f"socklab.gate.{kind}",
                             name=r["name"] + (f" [{r['metric']}]" if "metric" in r else ""))
        text = r.get("detail") or f"{r['verdict']}: change {100 * r.get('change', 0):+.1f} %"
        if r["verdict"] == V.REGRESSION:
            failures += 1
            ET.SubElement(case, "failure", message=text)
        elif r["verdict"] in V.FAILING:
            errors += 1
            ET.SubElement(case, "error", message=text)
        elif r["verdict"] in V.UNDECIDED:
            skipped += 1
            ET.SubElement(case, "skipped", message=text)
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)


def parser():
    p = argparse.ArgumentParser(
        prog="socklab gate", description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="A/B of two commits on this machine, interleaved (builds both, then gates as above):\n"
               "  socklab gate --ab REF [--quick] [--rounds N] [--max-rounds N] [--budget S] [--placement P]\n"
               "               [--filter REGEX] [--out DIR] [gate options]\n"
               "  (all its options: socklab gate --ab REF --help)")
    against = p.add_mutually_exclusive_group(required=True)
    against.add_argument("--baseline", metavar="FILE", help="the run to compare with")
    against.add_argument("--history", metavar="DB", help="compare with the recent runs of the same machine and "
                         "configuration in this results history (socklab history), not one run")
    p.add_argument("--current", required=True, metavar="FILE", help="the run to judge (with --history: its "
                   "bench.json, or its folder)")
    p.add_argument("--threshold", type=percent, default=percent("5%"),
                   help="minimum worsening of a median to count (default 5%%)")
    p.add_argument("--p99-threshold", type=percent, default=percent("20%"),
                   help="the same for p99 latency (default 20%%)")
    p.add_argument("--alpha", type=fraction, default=0.01, help="family-wise significance level (default 0.01)")
    p.add_argument("--min-reps", type=int, default=6, help="repetitions a side below which a row is insufficient")
    p.add_argument("--force", action="store_true", help="compare runs from different machines or settings")
    p.add_argument("--window", type=int, default=20, help="with --history: runs since the last change point the "
                   "baseline is made of (default 20)")
    p.add_argument("--min-runs", type=int, default=5, help="with --history: runs below which a row is insufficient")
    p.add_argument("--machine", help="with --history: the machine's name in the history (default: the run's host)")
    p.add_argument("--warn-only", action="store_true", help="report, but exit 0")
    p.add_argument("--summary", metavar="FILE", help="Markdown table (CI job summary)")
    p.add_argument("--junit", metavar="FILE", help="JUnit XML, one test case per benchmark/behaviour")
    p.add_argument("--json", metavar="FILE", help="the verdict as JSON")
    return p


def against_baseline(args):
    """(kind, current run, the baseline's description, differences forced past, rows) of --baseline."""
    base, cur = load(args.baseline), load(args.current)
    if type(base) is not type(cur):
        raise InputError("the baseline and the current file are different kinds of results")
    kind = "benchmarks" if isinstance(base, BenchRun) else "conformance"
    if isinstance(base, ConformanceRun) and base.implementation != cur.implementation and not args.force:
        raise InputError(f"comparing {base.implementation} with {cur.implementation} results; --force to do it anyway")
    if kind == "benchmarks" and base.schema_version != cur.schema_version:
        raise InputError(f"{args.baseline} is bench.json schema {base.schema_version}, {args.current} schema "
                         f"{cur.schema_version}: the benchmarks' shapes changed between them; measure the baseline again")
    differences = comparable(base.context, cur.context) if kind == "benchmarks" else []
    if differences and not args.force:
        raise InputError(f"runs are not comparable ({'; '.join(differences)}); --force to compare anyway")
    rows = (compare_benchmarks(base, cur, args) if kind == "benchmarks"
            else compare_conformance(base, cur, measured_values()))
    return kind, cur, {"path": args.baseline, "context": base.context}, differences, rows


def against_history(args):
    """The same for --history: the current run's benchmarks against the history's recent runs."""
    from ci import history_gate  # it builds on this module's verdicts
    path = pathlib.Path(args.current)
    cur = load(str(path / "bench.json" if path.is_dir() else path))
    if not isinstance(cur, BenchRun):
        raise InputError(f"{args.current}: gate --history judges benchmark results; this is a conformance report")
    rows, base_doc = history_gate.compare(args.history, cur, args)
    return "benchmarks", cur, base_doc, [], rows


def main(argv=None):
    p = parser()
    args = p.parse_args(argv)
    if not 2 <= args.min_reps <= 1000:
        p.error("--min-reps must be 2..1000")
    if not 2 <= args.min_runs <= args.window:
        p.error("--min-runs must be 2 or more and at most --window")
    try:
        kind, cur, base_doc, differences, rows = (against_history if args.history else against_baseline)(args)
    except InputError as e:
        print(f"socklab gate: {e}", file=sys.stderr)
        return 2
    except ImportError:
        print("socklab gate: scipy is missing (Debian: apt-get install python3-scipy; run with /usr/bin/python3)",
              file=sys.stderr)
        return 2
    verdict = overall(rows)
    settings = {"threshold": f"{100 * args.threshold:g}%", "p99_threshold": f"{100 * args.p99_threshold:g}%",
                "alpha": args.alpha, "min_reps": args.min_reps, "forced": bool(differences)}
    if args.history:
        settings.update(window=args.window, min_runs=args.min_runs)
    doc = {"schema": "socklab-gate-verdict", "schema_version": 1, "kind": kind, "verdict": verdict, "settings": settings,
           "not_comparable": differences, "baseline": base_doc,
           "current": {"path": args.current, "context": cur.context}, "benchmarks" if kind == "benchmarks" else
           "behaviours": rows}
    if kind == "conformance":
        doc["benchmarks"] = []  # the report reads benchmark verdicts from here
    summary = markdown(verdict, kind, rows, settings)
    try:
        for path, text in ((args.summary, summary), (args.junit, junit(kind, rows)),
                           (args.json, json_text(doc))):
            if path:
                write_atomically(path, text)
    except OSError as e:
        print(f"socklab gate: cannot write {e.filename}: {e.strerror}", file=sys.stderr)
        return 2
    print(summary)
    counts = {v: sum(r["verdict"] == v for r in rows) for v in V.ORDER if any(r["verdict"] == v for r in rows)}
    print(f"socklab gate: {verdict.upper()} — " + ", ".join(f"{n} {v}" for v, n in counts.items()), file=sys.stderr)
    return 0 if args.warn_only or verdict == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
