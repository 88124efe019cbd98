"""socklab history: keep every run, and find where each benchmark's level changed.

  socklab history add [--db FILE] [--machine NAME] RUN...     RUN: a run's folder or one result file
  socklab history show [--db FILE] [--benchmark REGEX] [--machine NAME] [--since DATE] [--last N] [--plot FILE]
  socklab history changes [--db FILE] [--benchmark REGEX] [--machine NAME] [--since DATE]

`add` records each run (a folder's bench.json and conformance.json, or a single file) with its
context; adding a run twice changes nothing. `show` prints each benchmark's run medians (its
headline metric) with their 95 % intervals over the repetitions, one series per machine and
configuration, and with --plot draws them over time, one line per machine. `changes` searches
each of those series of medians for change points, and names the first commit after each, its size with a 95 % interval, and whether the raw POSIX twin
moved with it (then the machine changed, not socklab's code).

DB is a SQLite file (default socklab-out/history.sqlite) or a PostgreSQL database that several CI
runners share, as postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE (libpq's URI; a Unix socket's
folder as ?host=/path). Writers take turns, one transaction per run.

Exit status: 0 done; 2 bad input, an unusable or unreachable history, or usage (one line)."""
import argparse
import pathlib
import re
import sys

from common.errors import InputError
from common.units import format_value
from history import trends
from history.store import History, read_run

DEFAULT_DB = "socklab-out/history.sqlite"
RUN_FILES = ("bench.json", "conformance.json")


def run_files(arg):
    """The result files of one run: a folder's bench.json and conformance.json, or the file itself."""
    path = pathlib.Path(arg)
    if path.is_dir():
        files = [path / name for name in RUN_FILES if (path / name).is_file()]
        if not files:
            raise InputError(f"{arg}: a folder without bench.json or conformance.json")
        return files
    if not path.exists():
        raise InputError(f"{arg}: no such file or folder")
    return [path]


def _select(args):
    pattern = re.compile(args.benchmark) if args.benchmark else None
    return {"benchmark_like": pattern.search if pattern else None, "machine": args.machine, "since": args.since}


def cmd_add(args):
    # every run read and checked before the history is touched
    runs = [(run, read_run(run_files(run), machine=args.machine)) for run in args.runs]
    with History(args.db) as h:
        for run, record in runs:
            run_id, added = h.keep(record)
            print(f"socklab history: {run}: {'added' if added else 'already there'} as {run_id}")
    return 0


def _value_text(t, value):
    return f"{value:.3f}" if t.of_ratio else format_value(t.metric, value)


def _point_text(t, p):
    interval = (f"[{_value_text(t, p.low)}, {_value_text(t, p.high)}]" if p.low is not None
                else "(too few repetitions for an interval)")
    return f"{_value_text(t, p.median)} {interval} ({len(p.repetitions)} repetitions)"


def cmd_show(args):
    if args.plot and pathlib.Path(args.plot).suffix.lower() not in (".png", ".svg"):
        raise InputError(f"{args.plot}: --plot writes a .png or .svg file")
    with History(args.db, create=False) as h:
        found = trends.read(h, **_select(args))
    figure = None
    if args.plot:
        # matplotlib takes longer to import than `history add` takes to keep a run: only for plots
        from reports import trend_plots
        try:
            figure = trend_plots.figure(found, "socklab history: run medians with 95 % intervals")
        except trend_plots.TooManyPanels as e:
            raise InputError(f"--plot: {e}; choose fewer with --benchmark") from None
    for t in found:
        shown = t.points[-args.last:] if args.last else t.points
        print(f"{t.name} {t.metric} on {t.label(with_config=True)}: {len(t.points)} runs"
              + (f", the last {len(shown)}" if len(shown) < len(t.points) else ""))
        starts = {t.points[c.index].run_id: (c, cause) for c, cause in zip(t.changes, t.causes)}
        for p in shown:
            mark = f"  <- {100 * (starts[p.run_id][0].ratio - 1):+.1f} % starts here" if p.run_id in starts else ""
            print(f"  {p.date}  {p.commit[:12]:12}  {_point_text(t, p)}{mark}")
    if figure is not None:
        write_figure(figure, args.plot)
        print(f"socklab history: plot in {args.plot}", file=sys.stderr)
    print(f"socklab history: {len(found)} series", file=sys.stderr)
    return 0


def write_figure(figure, path):
    """Saves the figure whole or not at all: a good plot is never left half-written."""
    from reports.plots import plt
    path = pathlib.Path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        figure.savefig(partial, dpi=110, format=path.suffix[1:].lower())
        partial.replace(path)
    except OSError as e:
        partial.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write the plot ({e.strerror})") from None
    finally:
        plt.close(figure)


def cmd_changes(args):
    with History(args.db, create=False) as h:
        found = trends.read(h, **_select(args))
    count = 0
    for t in found:
        for change, cause in zip(t.changes, t.causes):
            count += 1
            print(trends.change_text(t, change, cause))
    print(f"socklab history: {count} change(s) in {len(found)} series", file=sys.stderr)
    return 0


def _selection(p):
    p.add_argument("--db", default=DEFAULT_DB, help=f"the history: a SQLite file (default {DEFAULT_DB}) or postgresql://...")
    p.add_argument("--benchmark", metavar="REGEX", help="only benchmarks whose name matches")
    p.add_argument("--machine", help="only this machine's runs")
    p.add_argument("--since", metavar="DATE", help="only runs from this date on (ISO 8601, e.g. 2026-12-01)")


def parser():
    p = argparse.ArgumentParser(prog="socklab history", description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="record runs")
    add.add_argument("--db", default=DEFAULT_DB, help=f"the history: a SQLite file (default {DEFAULT_DB}) or postgresql://...")
    add.add_argument("--machine", help="the machine's name (default: the run's host name)")
    add.add_argument("runs", nargs="+", metavar="RUN", help="a run's folder, or one result file")
    add.set_defaults(run=cmd_add)
    show = sub.add_parser("show", help="print (and plot) each benchmark's run medians with their intervals")
    _selection(show)
    show.add_argument("--last", type=int, default=10, metavar="N", help="print each series' last N runs (0: all)")
    show.add_argument("--plot", metavar="FILE", help="also draw the series (all runs) into FILE (.png or .svg)")
    show.set_defaults(run=cmd_show)
    ch = sub.add_parser("changes", help="find change points in every benchmark's series")
    _selection(ch)
    ch.set_defaults(run=cmd_changes)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    if getattr(args, "last", 0) < 0:
        print("socklab history: --last: needs a count of 0 or more", file=sys.stderr)
        return 2
    if getattr(args, "benchmark", None):
        try:
            re.compile(args.benchmark)
        except re.error as e:
            print(f"socklab history: --benchmark: not a regular expression ({e})", file=sys.stderr)
            return 2
    try:
        return args.run(args)
    except InputError as e:
        print(f"socklab history: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
