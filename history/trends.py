"""A history read as trends: each benchmark's series of runs (one per machine and configuration),
every run's median with its 95 % interval over its repetitions, the change points found in the
series of medians, and for each change whether the raw POSIX twin moved with it. `history show`,
`history changes`, the report's trends page and the gate against history all read it from here."""
import json
from dataclasses import dataclass, field

from common import stats
from common.results import split_name
from history.changes import find_changes, moved_together

# The configuration keys a trend's label names when one machine ran a benchmark in several.
LABEL_KEYS = ("profile", "placement", "peer_mode", "path", "tcp_congestion", "build_type")


@dataclass
class Point:
    date: str
    commit: str
    run_id: str
    median: float
    low: float | None   # the median's 95 % interval; None with fewer than 6 repetitions
    high: float | None
    repetitions: list


@dataclass
class Trend:
    benchmark: str
    metric: str
    machine: str
    config: str          # JSON of the run's configuration (history.store.CONFIG_KEYS)
    points: list
    changes: list = field(default_factory=list)  # history.changes.Change
    causes: list = field(default_factory=list)   # per change: what moved it, in words
    of_ratio: bool = False  # the series of socklab ÷ its raw twin, run by run, not the benchmark's own

    @property
    def name(self):
        return f"{self.benchmark} ÷ raw" if self.of_ratio else self.benchmark

    @property
    def family(self):
        return split_name(self.benchmark)[0]

    @property
    def impl(self):
        return split_name(self.benchmark)[1]

    def label(self, with_config=False):
        if not with_config:
            return self.machine
        config = json.loads(self.config or "{}")
        shown = [str(config[k]) for k in LABEL_KEYS if config.get(k)]
        return f"{self.machine} ({', '.join(shown)})" if shown else self.machine


def twin_of(benchmark):
    """The raw POSIX twin's name of a socklab benchmark, or None."""
    family, impl, _, _ = split_name(benchmark)
    if impl != "socklab":
        return None
    return benchmark.replace(f"{family}/socklab", f"{family}/raw", 1)


def _point(date, commit, run_id, values):
    interval = stats.median_interval(values)
    return Point(date, commit, run_id, stats.median(values), *(interval[:2] if interval else (None, None)),
                 list(values))


def _ratio_trend(trend, twin):
    """socklab ÷ raw run by run (the runs both have): the ratio of the run medians, with the Moses
    interval of the ratio of their repetitions. The machine's drift moves both twins and cancels
    here, so this series is several times quieter than either (measured: README)."""
    theirs = {p.run_id: p for p in twin.points}
    points = []
    for p in trend.points:
        raw = theirs.get(p.run_id)
        if raw is None or not raw.median:
            continue
        interval = stats.ratio_interval(raw.repetitions, p.repetitions)
        points.append(Point(p.date, p.commit, p.run_id, p.median / raw.median,
                            *(interval[:2] if interval else (None, None)), p.repetitions))
    return Trend(trend.benchmark, trend.metric, trend.machine, trend.config, points, of_ratio=True)


def read(history, benchmark_like=None, machine=None, since=None, search=True, ratios=True):
    """[Trend] of the history's series, sorted by benchmark, machine and configuration, each
    socklab benchmark's ratio to its raw twin after its own (with `ratios`); with `search`, each
    series' changes found (once) and named by their cause."""
    trends = {key: Trend(*key, [_point(*p) for p in points])
              for key, points in history.series(benchmark_like, machine, since).items()}
    twins = {key: trends.get((twin_of(key[0]), *key[1:])) for key in trends}
    ratio_of = {key: _ratio_trend(t, twins[key]) for key, t in trends.items() if ratios and twins[key]}
    if search:
        for t in list(trends.values()) + list(ratio_of.values()):
            t.changes = find_changes([p.median for p in t.points])
        for key, t in trends.items():
            twin = twins[key]
            # the twin's runs must be the same runs for its changes to be compared index by index
            same_runs = twin is not None and [p.run_id for p in twin.points] == [p.run_id for p in t.points]
            t.causes = [_cause(c, twin.changes if same_runs else None) for c in t.changes]
        for t in ratio_of.values():
            t.causes = ["socklab moved against its raw twin: socklab's code changed"] * len(t.changes)
    ordered = []
    for key in sorted(trends):
        ordered += [trends[key]] + ([ratio_of[key]] if key in ratio_of else [])
    return ordered


def _cause(change, twin_changes):
    if twin_changes is None:
        return "no raw twin to tell the machine from the code"
    if moved_together(change, twin_changes):
        return "the raw twin moved too: the machine changed"
    return "the raw twin did not move: socklab's code changed"


def change_text(trend, change, cause):
    """One line naming a change: its size with interval, its first commit, its p and its cause."""
    point = trend.points[change.index]
    interval = "" if change.low is None else f" [{100 * (change.low - 1):+.1f} %, {100 * (change.high - 1):+.1f} %]"
    return (f"{trend.name} {trend.metric} on {trend.machine}: {100 * (change.ratio - 1):+.1f} %{interval} "
            f"from commit {point.commit} ({point.date}, run {change.index + 1} of {len(trend.points)}, "
            f"p = {change.p_value:.3f}); {cause}")
