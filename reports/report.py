#!/usr/bin/python3
"""Builds socklab's report from result JSON: plots (PNG + SVG), index.html and summary.md.

usage: report.py RESULT.json... [-o DIR] [--label NAME=FILE ...] [--baseline FILE] [--verdict FILE] [--history DB]

Inputs are socklab-bench JSON (Google Benchmark format plus context, peer-tool rows included),
socklab-conform reports and behaviour x platform matrices (platforms.json), in any mix; runs are labelled from their context unless --label names them.
With --history (a results history, see `socklab history`), trends.html shows every series over time
and the changes found in it.
Every input is read and checked before anything is written; the files land in DIR only once all
of them are made, index.html last. Bad input: one line on stderr, exit 2.
"""
import argparse
import json
import os
import pathlib
import shutil
import sys
import tempfile
from dataclasses import dataclass, field

from common import schemas
from common.results import BenchRun, InputError, PlatformsMatrix, load, load_bench, read_json, run_label
from history import trends
from history.store import History
from reports import plots, render, trends_page

# "conformance" was a PNG matrix before the matrix became an HTML table; an old one is removed too.
FIGURES = ["throughput_tcp", "throughput_udp", "throughput_unix", "latency", "udp_loss", "overhead",
           "baseline", "side_by_side", "conformance"]


@dataclass
class Report:
    bench_runs: list = field(default_factory=list)
    bench_labels: list = field(default_factory=list)
    conf_runs: list = field(default_factory=list)
    conf_labels: list = field(default_factory=list)
    platforms: list = field(default_factory=list)  # PlatformsMatrix: behaviour x platform tables
    contexts: list = field(default_factory=list)  # (label, kind, path, context)
    base: BenchRun | None = None
    base_label: str = ""
    verdict: dict | None = None
    figures: list = field(default_factory=list)  # (file stem, title)
    history: str = ""  # the results history read for the trends page, if any
    trends: list = field(default_factory=list)  # history.trends.Trend
    trend_figures: list = field(default_factory=list)  # (file stem, title), on trends.html
    files: list = field(default_factory=list)  # every file the folder will hold, index.html aside


class UsageError(Exception):
    pass


def parse_labels(items):
    labels = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise UsageError(f"--label needs NAME=FILE, got {item!r}")
        labels[os.path.abspath(path)] = (name, path)
    return labels


def load_inputs(args):
    labels = parse_labels(args.label)
    paths = list(args.results)
    seen = {os.path.abspath(p) for p in paths}
    paths += [path for key, (_, path) in labels.items() if key not in seen]
    if not paths and not args.history:
        raise UsageError("no result files given")
    report, used = Report(), {}

    def unique(label, kind):
        # Bench and conformance results of one run share a label; two runs of one kind must not.
        used[kind, label] = used.get((kind, label), 0) + 1
        return label if used[kind, label] == 1 else f"{label} ({used[kind, label]})"

    for path in paths:
        run = load(path, matrix=True)
        if isinstance(run, PlatformsMatrix):
            report.platforms.append(run)
            continue
        given = labels.get(os.path.abspath(path))
        kind = "benchmarks" if isinstance(run, BenchRun) else f"conformance ({run.implementation})"
        if isinstance(run, BenchRun):
            label = given[0] if given else unique(run_label(run.context, path), "bench")
            report.bench_runs.append(run)
            report.bench_labels.append(label)
        else:
            label = given[0] if given else run_label(run.context, path)
            if not given:
                label = unique(f"{label} · {run.implementation}", "conf")
            report.conf_runs.append(run)
            report.conf_labels.append(label)
        report.contexts.append((label, kind, path, run.context))
    if args.baseline:
        if not report.bench_runs:
            raise UsageError("--baseline compares benchmark results, but no benchmark JSON was given")
        report.base = load_bench(args.baseline)
        report.base_label = run_label(report.base.context, args.baseline) + " (baseline)"
        report.contexts.append((report.base_label, "benchmarks (baseline)", args.baseline, report.base.context))
    if args.verdict:
        if not args.baseline:
            raise UsageError("--verdict is the gate's verdict on a baseline comparison: give --baseline too")
        report.verdict = load_verdict(args.verdict)
    if args.history:
        with History(args.history, create=False) as h:
            report.history, report.trends = h.db, trends.read(h)
    return report


def load_verdict(path):
    doc = read_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list) or "verdict" not in doc:
        raise InputError(f"{path}: not a gate verdict (needs 'verdict' and a 'benchmarks' list)")
    if "schema" in doc:  # the gate's own file; a hand-written one needs only the two fields
        schemas.check(doc, "gate", path)
    return doc


def build_figures(report):
    """[(stem, title, figure)] for every figure the inputs have data for."""
    runs, labels = report.bench_runs, report.bench_labels
    has_fast_paths = any(b.family in plots.FAST_PATH_FAMILIES[1:] for run in runs for b in run.benchmarks.values())
    has_tcp_paths = any(b.family in plots.TCP_STREAM_PATHS[1:] for run in runs for b in run.benchmarks.values())
    made = [
        ("throughput_tcp", "TCP stream throughput", plots.throughput(runs, labels, "TCP", ["tcp_stream"])),
        ("throughput_tcp_paths", "TCP streams: zero-copy, io_uring, reverse and both directions",
         plots.throughput(runs, labels, "TCP paths", plots.TCP_STREAM_PATHS) if has_tcp_paths else None),
        ("throughput_udp", "UDP stream throughput", plots.throughput(runs, labels, "UDP", ["udp_stream"])),
        ("throughput_udp_fast_paths", "UDP fast paths: sendmmsg batches, GSO, GSO with GRO",
         plots.throughput(runs, labels, "UDP fast paths", plots.FAST_PATH_FAMILIES) if has_fast_paths else None),
        ("throughput_unix", "Unix stream and datagram throughput",
         plots.throughput(runs, labels, "Unix", ["unix_stream", "unix_dgram"])),
        ("latency", "Ping-pong latency percentiles", plots.latency(runs, labels)),
        ("latency_vs_load", "Latency under load (open loop)", plots.latency_vs_load(runs, labels)),
        ("flows", "Many flows: aggregate throughput and fairness", plots.flows(runs, labels)),
        ("udp_loss", "Datagram loss", plots.loss(runs, labels)),
        ("overhead", "Library overhead (socklab ÷ raw POSIX)", plots.overhead(runs, labels)),
        ("baseline", "Baseline vs current",
         plots.baseline(report.base, runs[0], report.verdict) if report.base else None),
        ("side_by_side", "Runs side by side", plots.side_by_side(runs, labels)),
    ]
    return [(stem, title, fig) for stem, title, fig in made if fig is not None]


def write_report(report, out_dir):
    out = pathlib.Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"{out_dir}: cannot create the output folder ({e.strerror})") from None
    staging = pathlib.Path(tempfile.mkdtemp(prefix=".report-", dir=out))
    try:
        sidecar = {}
        for stem, title, fig in build_figures(report):
            sidecar[stem] = plots.describe(fig)
            for ext in ("png", "svg"):
                fig.savefig(staging / f"{stem}.{ext}", dpi=110, metadata={"Date": None} if ext == "svg" else None)
            plots.plt.close(fig)
            report.figures.append((stem, title))
        for stem, title, fig in trends_page.figures(report.trends):
            for ext in ("png", "svg"):
                fig.savefig(staging / f"{stem}.{ext}", dpi=110, metadata={"Date": None} if ext == "svg" else None)
            plots.plt.close(fig)
            report.trend_figures.append((stem, title))
        if report.trends:
            (staging / "trends.html").write_text(render.trends_html(report), encoding="utf-8")
        (staging / "figures.json").write_text(json.dumps(sidecar, indent=1, allow_nan=False),
                                              encoding="utf-8")
        # Figures a previous report left behind would be listed by nothing and mislead: they go.
        made = {stem for stem, _ in report.figures}
        stale = {f"{stem}.{ext}" for stem in FIGURES if stem not in made for ext in ("png", "svg")}
        # so are a previous trends page and its figures
        stale |= {p.name for p in out.iterdir() if p.name == "trends.html" or p.name.startswith("trend_")}
        stale -= {p.name for p in staging.iterdir()}
        kept = {p.name for p in out.iterdir() if p.is_file() and not p.name.startswith(".")} - stale
        report.files = sorted((kept | {p.name for p in staging.iterdir()} | {"summary.md"}) - {"index.html"})
        (staging / "summary.md").write_text(render.markdown(report), encoding="utf-8")
        (staging / "index.html").write_text(render.index_html(report), encoding="utf-8")
        for name in stale:
            (out / name).unlink(missing_ok=True)
        for item in sorted(staging.iterdir(), key=lambda p: p.name == "index.html"):
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="socklab report", description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="*", help="socklab-bench or socklab-conform JSON files")
    parser.add_argument("-o", "--out", default="socklab-report", help="output folder (default socklab-report)")
    parser.add_argument("--label", action="append", default=[], metavar="NAME=FILE", help="name a run")
    parser.add_argument("--baseline", metavar="FILE", help="benchmark JSON to compare the first run against")
    parser.add_argument("--verdict", metavar="FILE", help="the gate's JSON verdict for that comparison")
    parser.add_argument("--history", metavar="DB", help="a results history (socklab history): adds the trends page")
    args = parser.parse_args(argv)
    try:
        report = load_inputs(args)
        write_report(report, args.out)
    except UsageError as e:
        parser.error(str(e))
    except InputError as e:
        print(f"socklab report: {e}", file=sys.stderr)
        return 2
    print(f"socklab report: {len(report.figures)} figures, index.html and summary.md in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
