"""socklab history: keep every run, and find where each benchmark's level changed.

  socklab history add [--db FILE] [--machine NAME] RUN...     RUN: a run's folder or one result file
  socklab history changes [--db FILE] [--benchmark REGEX] [--machine NAME] [--since DATE]

`add` records each run (a folder's bench.json and conformance.json, or a single file) with its
context; adding a run twice changes nothing. `changes` searches each benchmark's series of run
medians (its headline metric; one series per machine and configuration) for change points, and
names the first commit after each, its size with a 95 % interval, and whether the raw POSIX twin
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
from common.results import split_name
from history.changes import find_changes, moved_together
from history.store import History

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


def twin_of(benchmark):
    family, impl, size, params = split_name(benchmark)
    if impl != "socklab":
        return None
    return benchmark.replace(f"{family}/socklab", f"{family}/raw", 1)


def cmd_add(args):
    runs = [(run, run_files(run)) for run in args.runs]  # every argument checked before the file is touched
    with History(args.db) as h:
        for run, files in runs:
            run_id, added = h.add(files, machine=args.machine)
            print(f"socklab history: {run}: {'added' if added else 'already there'} as {run_id}")
    return 0


def cmd_changes(args):
    pattern = re.compile(args.benchmark) if args.benchmark else None
    with History(args.db, create=False) as h:
        series = h.series(benchmark_like=pattern.search if pattern else None, machine=args.machine, since=args.since)
    found = 0
    changes_of = {key: find_changes([v for *_, v in points]) for key, points in series.items()}
    for (bench, metric, machine, config), points in sorted(series.items()):
        changes = changes_of[(bench, metric, machine, config)]
        twin_key = (twin_of(bench), metric, machine, config)
        # the twin's runs must be the same runs for its changes to be compared index by index
        twin_changes = changes_of[twin_key] if twin_key in series and len(series[twin_key]) == len(points) else None
        for c in changes:
            found += 1
            date, commit, _, _ = points[c.index]
            interval = "" if c.low is None else f" [{100 * (c.low - 1):+.1f} %, {100 * (c.high - 1):+.1f} %]"
            if twin_changes is None:
                cause = "no raw twin to tell the machine from the code"
            elif moved_together(c, twin_changes):
                cause = "the raw twin moved too: the machine changed"
            else:
                cause = "the raw twin did not move: socklab's code changed"
            print(f"{bench} {metric} on {machine}: {100 * (c.ratio - 1):+.1f} %{interval} from commit {commit} ({date}, "
                  f"run {c.index + 1} of {len(points)}, p = {c.p_value:.3f}); {cause}")
    print(f"socklab history: {found} change(s) in {len(series)} series", file=sys.stderr)
    return 0


def parser():
    p = argparse.ArgumentParser(prog="socklab history", description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="record runs")
    add.add_argument("--db", default=DEFAULT_DB, help=f"the history: a SQLite file (default {DEFAULT_DB}) or postgresql://...")
    add.add_argument("--machine", help="the machine's name (default: the run's host name)")
    add.add_argument("runs", nargs="+", metavar="RUN", help="a run's folder, or one result file")
    add.set_defaults(run=cmd_add)
    ch = sub.add_parser("changes", help="find change points in every benchmark's series")
    ch.add_argument("--db", default=DEFAULT_DB)
    ch.add_argument("--benchmark", metavar="REGEX", help="only benchmarks whose name matches")
    ch.add_argument("--machine", help="only this machine's runs")
    ch.add_argument("--since", metavar="DATE", help="only runs from this date on (ISO 8601, e.g. 2026-12-01)")
    ch.set_defaults(run=cmd_changes)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
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
