"""The report's figures. Each builder takes loaded runs and returns a matplotlib Figure, or None when
the inputs hold nothing for it; `describe` reads back what a figure actually draws (for the data
sidecar the tests check)."""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.container import BarContainer, ErrorbarContainer  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator  # noqa: E402

from common import stats, verdicts as V  # noqa: E402
from common.results import METRICS, higher_is_better  # noqa: E402

IMPL_STYLE = {"socklab": "-", "raw": "--", "iperf3": ":", "sockperf": "-."}
# Filled and hollow markers of different shapes, so that a line drawn over another still shows both.
IMPL_MARKER = {"socklab": ("o", "full"), "raw": ("s", "none"), "iperf3": ("^", "full"), "sockperf": ("D", "none")}
IMPL_ORDER = ["socklab", "raw", "iperf3", "sockperf"]
WORSE, BETTER, NEUTRAL, UNDECIDED, MACHINE = "#d32f2f", "#388e3c", "#9e9e9e", "#f9a825", "#1e88e5"


def size_text(n):
    for unit, factor in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n} B"


def _size_axis(ax, sizes):
    ax.set_xscale("log", base=2)
    ticks = sorted(set(sizes))
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(ticks, [size_text(s) for s in ticks], rotation=45, ha="right")
    ax.set_xlabel("message size (bytes, log scale)")


def _plain_log_axis(ax, axis="y"):
    """A log axis read as plain numbers (30, 50, 100), not as 3×10¹: ticks at 1, 2 and 5 of each decade."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    target.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    target.set_minor_locator(NullLocator())
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


def _legend_outside(ax, fontsize=8):
    """The legend beside the axes, never over the data."""
    ax.legend(fontsize=fontsize, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def _marker(impl):
    marker, fill = IMPL_MARKER.get(impl, ("o", "full"))
    return {"marker": marker, "fillstyle": fill}


class Palette:
    """One colour per run when there are several runs (line style tells the implementation),
    otherwise one colour per implementation."""

    def __init__(self, runs):
        self.multi = len(runs) > 1
        self.cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]

    def colour(self, run_index, impl):
        i = run_index if self.multi else (IMPL_ORDER.index(impl) if impl in IMPL_ORDER else len(IMPL_ORDER))
        return self.cycle[i % len(self.cycle)]

    def label(self, run_label, impl, extra=""):
        text = f"{run_label} · {impl}" if self.multi else impl
        return f"{text} {extra}".strip()


def _impls(run, families):
    found = {b.impl for b in run.benchmarks.values() if b.family in families and b.size is not None}
    return sorted(found, key=lambda i: IMPL_ORDER.index(i) if i in IMPL_ORDER else 99)


def _series(run, family, impl, metric):
    rows = sorted((b for b in run.benchmarks.values()
                   if b.family == family and b.impl == impl and b.size is not None and metric in b.samples),
                  key=lambda b: b.size)
    return rows


def median_spread(b, metric):
    """The bar around a median: its 95 % interval — socklab-bench's for its headline metric, the
    same order-statistic interval computed here for another (p99, loss) — or, with too few
    repetitions for one, their min and max (older results, peer tools)."""
    s = b.summary
    if s.get("metric") == metric and s.get("ci_low") is not None:
        return s["ci_low"], s["ci_high"]
    interval = stats.median_interval(b.samples.get(metric, []))
    return interval[:2] if interval is not None else b.spread(metric)


def throughput(runs, labels, protocol, families):
    """Throughput vs message size: median of the repetitions, bars its 95 % interval (min–max where
    the results have no interval). Several families of one run: a colour per family, the line style
    and marker per implementation."""
    pal = Palette(runs)
    fig, ax = plt.subplots(figsize=(8, 4.8))
    sizes = []
    for ri, (run, label) in enumerate(zip(runs, labels)):
        for family in families:
            for impl in _impls(run, [family]):
                rows = _series(run, family, impl, "bytes_per_second")
                if not rows:
                    continue
                scale = METRICS["bytes_per_second"][2]
                x = [b.size for b in rows]
                y = [b.median("bytes_per_second") * scale for b in rows]
                lo = [y_i - median_spread(b, "bytes_per_second")[0] * scale for b, y_i in zip(rows, y)]
                hi = [median_spread(b, "bytes_per_second")[1] * scale - y_i for b, y_i in zip(rows, y)]
                extra = f"({family})" if len(families) > 1 else ""
                by_family = len(families) > 1 and not pal.multi
                colour = pal.cycle[families.index(family) % len(pal.cycle)] if by_family else pal.colour(ri, impl)
                ax.errorbar(x, y, yerr=[lo, hi], capsize=3, markersize=5, **_marker(impl),
                            linestyle=IMPL_STYLE.get(impl, "-") if pal.multi or by_family else "-",
                            color=colour, label=pal.label(label, impl, extra))
                sizes += x
    if not sizes:
        plt.close(fig)
        return None
    _size_axis(ax, sizes)
    _plain_log_axis(ax)
    ax.set_ylabel("throughput (Gbit/s, log scale)")
    ax.set_title(f"{protocol} throughput vs message size\n(median; bars: its 95 % interval, or min–max without one)")
    ax.grid(True, alpha=0.3)
    _legend_outside(ax)
    fig.tight_layout()
    return fig


# udp_stream and the fast paths that send the same datagrams (socklab/fast_paths.hpp).
FAST_PATH_FAMILIES = ["udp_stream", "udp_stream_mmsg", "udp_stream_gso", "udp_stream_gso_gro"]
# tcp_stream and its other paths and directions, drawn together against the message size.
TCP_STREAM_PATHS = ["tcp_stream", "tcp_stream_zerocopy", "tcp_stream_uring", "tcp_stream_reverse", "tcp_stream_bidir"]
# TCP's fast paths (MSG_ZEROCOPY, io_uring) and the plain family each is measured against.
TCP_FAST_PATHS = {"tcp_stream_zerocopy": "tcp_stream", "tcp_stream_uring": "tcp_stream",
                  "tcp_pingpong_uring": "tcp_pingpong"}


PERCENTILES = (("p50_us", "p50", "-"), ("p99_us", "p99", "--"), ("p999_us", "p99.9", ":"))


def latency(runs, labels):
    """Ping-pong round-trip percentiles vs message size, one panel per protocol: medians of the
    repetitions with their 95 % intervals (min–max with too few repetitions)."""
    protocols = [("TCP", "tcp_pingpong"), ("UDP", "udp_pingpong"), ("Unix stream", "unix_pingpong")]
    present = [(name, fam) for name, fam in protocols if any(_impls(r, [fam]) for r in runs)]
    if not present:
        return None
    pal = Palette(runs)
    width = max(8.0, 5.2 * len(present))
    fig, axes = plt.subplots(1, len(present), figsize=(width, 4.8), squeeze=False)
    for ax, (name, family) in zip(axes[0], present):
        sizes = []
        for ri, (run, label) in enumerate(zip(runs, labels)):
            for impl in _impls(run, [family]):
                for metric, pname, style in PERCENTILES:
                    rows = _series(run, family, impl, metric)
                    if rows:
                        y = [b.median(metric) for b in rows]
                        spread = [median_spread(b, metric) for b in rows]
                        ax.errorbar([b.size for b in rows], y, yerr=[[max(0.0, v - s[0]) for v, s in zip(y, spread)],
                                                                      [max(0.0, s[1] - v) for v, s in zip(y, spread)]],
                                    capsize=2, markersize=4, **_marker(impl), linestyle=style,
                                    color=pal.colour(ri, impl), label=pal.label(label, impl, pname))
                        sizes += [b.size for b in rows]
        _size_axis(ax, sizes)
        _plain_log_axis(ax)
        ax.set_ylabel("round-trip latency (µs, log scale)")
        ax.set_title(f"{name} ping-pong latency")
        ax.grid(True, alpha=0.3, which="both")
    # One legend for the panels, below them: the lines are the same in each.
    handles, names = axes[0][0].get_legend_handles_labels()
    columns = max(1, min(len(names), int(width // 2)))
    fig.legend(handles, names, fontsize=7, loc="lower center", ncol=columns, frameon=False)
    fig.suptitle("Request/response latency percentiles vs message size (median of repetitions)", fontsize=11)
    fig.tight_layout(rect=(0, 0.04 + 0.04 * math.ceil(len(names) / columns), 1, 1))
    return fig


# Many flows over epoll: the sweep's x is the flow count. The figure draws the streams; the table
# also has request/response over many flows (tcp_rr_flows, in transactions).
FLOW_FAMILIES = ["tcp_stream_flows", "unix_stream_flows"]
FLOW_TABLE_FAMILIES = FLOW_FAMILIES + ["tcp_rr_flows"]
# (TCP?, more than one thread a side?) -> line style: colour and marker already say the implementation.
FLOW_LINES = {(True, True): "-", (True, False): "--", (False, True): "-.", (False, False): ":"}
# Latency under load: one line per family, implementation and size, x the offered load.
OPEN_LOOP_FAMILIES = ["tcp_rr_open", "unix_rr_open"]


def _by_param(run, family, impl, param, metric, extra=None):
    """Rows of a family and implementation that have `param` and `metric`, sorted by the param;
    `extra` (a dict) must match too."""
    rows = [b for b in run.benchmarks.values()
            if b.family == family and b.impl == impl and param in b.params and metric in b.samples
            and all(b.params.get(k) == v for k, v in (extra or {}).items())]
    return sorted(rows, key=lambda b: b.params[param])


def _errorbar(ax, rows, x, metric, scale=1.0, **style):
    y = [b.median(metric) * scale for b in rows]
    spread = [median_spread(b, metric) for b in rows]
    ax.errorbar(x, y, yerr=[[max(0.0, v - lo * scale) for v, (lo, _) in zip(y, spread)],
                            [max(0.0, hi * scale - v) for v, (_, hi) in zip(y, spread)]], capsize=3, markersize=5, **style)


def flows(runs, labels):
    """Aggregate throughput and Jain's fairness index vs the number of flows, a line per family,
    implementation and thread count (median; bars: 95 % interval)."""
    present = [(r, l) for r, l in zip(runs, labels) if _impls(r, FLOW_FAMILIES)]
    if not present:
        return None
    pal = Palette(runs)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6))
    counts = set()
    for ri, (run, label) in enumerate(zip(runs, labels)):
        for family in FLOW_FAMILIES:
            for impl in _impls(run, [family]):
                for threads in sorted({b.params.get("threads") for b in run.benchmarks.values()
                                       if b.family == family and "threads" in b.params}):
                    rows = _by_param(run, family, impl, "flows", "bytes_per_second", {"threads": threads})
                    if not rows:
                        continue
                    x = [b.params["flows"] for b in rows]
                    counts.update(x)
                    style = dict(**_marker(impl), color=pal.colour(ri, impl),
                                 linestyle=FLOW_LINES[(family == FLOW_FAMILIES[0], threads > 1)],
                                 label=pal.label(label, impl, f"({family}, {threads} thread{'s' * (threads != 1)})"))
                    _errorbar(left, rows, x, "bytes_per_second", METRICS["bytes_per_second"][2], **style)
                    fair = _by_param(run, family, impl, "flows", "fairness_jain", {"threads": threads})
                    _errorbar(right, fair, [b.params["flows"] for b in fair], "fairness_jain", **style)
    for ax in (left, right):
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator(sorted(counts)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel("flows (log scale)")
        ax.grid(True, alpha=0.3)
    left.set_ylabel("aggregate throughput (Gbit/s)")
    left.set_title("Aggregate throughput vs flows")
    right.set_ylabel("Jain's fairness index (1: equal shares)")
    right.set_ylim(0, 1.05)
    right.set_title("Fairness between flows")
    handles, names = left.get_legend_handles_labels()
    fig.legend(handles, names, fontsize=7, loc="lower center", ncol=2, frameon=False)
    fig.suptitle("Many flows over epoll (median; bars: 95 % interval)", fontsize=11)
    fig.tight_layout(rect=(0, 0.05 + 0.035 * math.ceil(len(names) / 2), 1, 1))
    return fig


def latency_vs_load(runs, labels):
    """p99 latency vs offered load, from the due time (solid: what a user arriving on schedule
    waits) and from the send (dotted: what a closed-loop tester would report), a line per family,
    implementation and size; x is the offered rate in requests per second."""
    present = [r for r in runs if _impls(r, OPEN_LOOP_FAMILIES) or any(b.family in OPEN_LOOP_FAMILIES for b in r.benchmarks.values())]
    if not present:
        return None
    pal = Palette(runs)
    fig, ax = plt.subplots(figsize=(9, 5))
    drawn = False
    for ri, (run, label) in enumerate(zip(runs, labels)):
        for family in OPEN_LOOP_FAMILIES:
            impls = sorted({b.impl for b in run.benchmarks.values() if b.family == family},
                           key=lambda i: IMPL_ORDER.index(i) if i in IMPL_ORDER else 99)
            for impl in impls:
                for size in sorted({b.size for b in run.benchmarks.values() if b.family == family and b.size is not None}):
                    rows = sorted((b for b in run.benchmarks.values() if b.family == family and b.impl == impl
                                   and b.size == size and "p99_us" in b.samples and "offered_per_second" in b.samples),
                                  key=lambda b: b.median("offered_per_second"))
                    if not rows:
                        continue
                    x = [b.median("offered_per_second") for b in rows]
                    colour = pal.colour(ri, impl)
                    what = f"({family}, {size_text(size)})"
                    _errorbar(ax, rows, x, "p99_us", **_marker(impl), color=colour,
                              linestyle="-" if family == OPEN_LOOP_FAMILIES[0] else "--",
                              label=pal.label(label, impl, "p99 " + what))
                    ax.plot(x, [b.median("p99_uncorrected_us") for b in rows], linestyle=":", color=colour,
                            marker=".", label=pal.label(label, impl, "p99 uncorrected " + what))
                    drawn = True
    if not drawn:
        plt.close(fig)
        return None
    _plain_log_axis(ax)
    ax.set_xlabel("offered load (requests per second)")
    ax.set_ylabel("p99 latency (µs, log scale)")
    ax.set_title("Latency under load: p99 from the due time (coordinated omission corrected)\n"
                 "and from the send (uncorrected, dotted); median of repetitions, bars: 95 % interval")
    ax.grid(True, alpha=0.3, which="both")
    _legend_outside(ax, fontsize=7)
    fig.tight_layout()
    return fig


def loss(runs, labels):
    """Datagram loss ratio (1 - received/sent) vs datagram size: the median with its 95 % interval
    (min–max without one); each implementation has its own marker, so coinciding lines both show."""
    pal = Palette(runs)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    sizes = []
    for ri, (run, label) in enumerate(zip(runs, labels)):
        for family, style in (("udp_stream", "-"), ("unix_dgram", "--")):
            for impl in _impls(run, [family]):
                rows = _series(run, family, impl, "loss_ratio")
                if rows:
                    y = [100 * b.median("loss_ratio") for b in rows]
                    spread = [median_spread(b, "loss_ratio") for b in rows]
                    ax.errorbar([b.size for b in rows], y, yerr=[[max(0.0, v - 100 * s[0]) for v, s in zip(y, spread)],
                                                                  [max(0.0, 100 * s[1] - v) for v, s in zip(y, spread)]],
                                capsize=3, markersize=6, **_marker(impl),
                                linestyle=style if not pal.multi else IMPL_STYLE.get(impl, "-"),
                                color=pal.colour(ri, impl), label=pal.label(label, impl, f"({family})"))
                    sizes += [b.size for b in rows]
    if not sizes:
        plt.close(fig)
        return None
    _size_axis(ax, sizes)
    ax.set_ylabel("loss (% of datagrams sent, median)")
    ax.set_title("Datagram loss vs datagram size (sender unthrottled)\n(bars: 95 % interval, or min–max without one)")
    ax.grid(True, alpha=0.3)
    _legend_outside(ax)
    fig.tight_layout()
    return fig


INTERVAL_NOTE = ("lines: 95 % rank interval of the ratio of the runs' repetitions,\n"
                 "or the range of their pairwise ratios with too few repetitions for one")


def _hbars(ax, names, groups, colours=None, intervals=None):
    """Grouped horizontal bars: groups = [(label, [value per name])]; colours, when given, holds one
    list of per-bar colours per group; intervals one list of (low, high) or None per group, drawn as
    a capped line from low to high (an interval need not bracket its bar: a ratio of medians can sit
    outside the rank interval of the ratio)."""
    height = 0.8 / max(1, len(groups))
    for gi, (label, values) in enumerate(groups):
        ys = [i + (gi - (len(groups) - 1) / 2) * height for i in range(len(names))]
        bars = ax.barh(ys, [0 if v is None or math.isnan(v) else v for v in values], height=height, label=label)
        for bar, c in zip(bars, colours[gi] if colours else []):
            bar.set_color(c)
        drawn = [(y, iv) for y, iv in zip(ys, intervals[gi] if intervals else []) if iv is not None]
        if drawn:
            ax.hlines([y for y, _ in drawn], [iv[0] for _, iv in drawn], [iv[1] for _, iv in drawn],
                      color="#333333", linewidth=1, label=f"_interval {label}")
            for edge in (0, 1):
                ax.plot([iv[edge] for _, iv in drawn], [y for y, _ in drawn], linestyle="none", marker="|",
                        color="#333333", markersize=6, label=f"_interval edge {label}")
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.invert_yaxis()


VERDICT_COLOUR = {"slower": WORSE, "faster": BETTER}


def overhead(runs, labels):
    """socklab ÷ raw POSIX per benchmark, from each run's overhead table: the round-by-round ratio
    (a dot) with its 95 % interval (a bar), coloured by the run's verdict — red only when the whole
    interval lies beyond the threshold (the shaded band), grey for no measurable difference.
    Rates (> 1 is faster) and latencies (< 1 is faster) get a panel each."""
    tables = [(label, run.extra.get("overhead") or []) for run, label in zip(runs, labels)]
    tables = [(label, t) for label, t in tables if t]
    if not tables:
        return None

    def key(row):
        return f"{row['benchmark']} ({row['metric']})"

    panels = []
    for title, faster, wanted in (("rates", "> 1 is faster", True), ("latency", "< 1 is faster", False)):
        names = []
        for _, t in tables:
            names += [key(r) for r in t if higher_is_better(r["metric"]) == wanted and key(r) not in names]
        if names:
            panels.append((title, faster, names))
    threshold = next((r.get("threshold") for _, t in tables for r in t if r.get("threshold") is not None), None)
    heights = [1.5 + 0.35 * len(names) * max(1, len(tables)) for _, _, names in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 0.6 + sum(heights)), squeeze=False,
                             gridspec_kw={"height_ratios": heights})
    step = 0.8 / len(tables)
    for ax, (title, faster, names) in zip(axes[:, 0], panels):
        if threshold is not None:
            ax.axvspan(1 - threshold, 1 + threshold, color=NEUTRAL, alpha=0.15, label=f"±{100 * threshold:g} %")
        ax.axvline(1.0, color="black", linewidth=1)
        for ti, (label, t) in enumerate(tables):
            by = {key(r): r for r in t}
            rows = [by.get(n, {}) for n in names]
            xs = [r["ratio"] if r.get("ratio") is not None else math.nan for r in rows]
            ys = [i + (ti - (len(tables) - 1) / 2) * step for i in range(len(names))]
            err = [[x - r["ratio_ci_low"] if r.get("ratio_ci_low") is not None else 0 for x, r in zip(xs, rows)],
                   [r["ratio_ci_high"] - x if r.get("ratio_ci_high") is not None else 0 for x, r in zip(xs, rows)]]
            ax.errorbar(xs, ys, xerr=err, fmt="none", ecolor="#555555", capsize=3, linewidth=1)
            ax.plot(xs, ys, linestyle="none", marker="o", color="#555555", label=label if len(tables) > 1 else "ratio")
            ax.scatter(xs, ys, c=[VERDICT_COLOUR.get(r.get("verdict"), NEUTRAL) for r in rows], zorder=3)
        ax.set_yticks(range(len(names)), names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(f"socklab ÷ raw POSIX, round by round ({title}: {faster})")
        ax.set_title(f"Library overhead, {title}: ratio and its 95 % interval\n"
                     + ("red: slower, green: faster with confidence; grey: no measurable difference"
                        if threshold is not None else "(results without intervals)"), fontsize=10)
        ax.grid(True, axis="x", alpha=0.3)
    fig.legend(handles=[Patch(color=WORSE, label="slower"), Patch(color=BETTER, label="faster"),
                        Patch(color=NEUTRAL, label="no measurable difference")], fontsize=7, loc="lower center",
               ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0.35 / (0.6 + sum(heights)), 1, 1))
    return fig


def percent_change(base, cur, metric):
    """Change of the median in percent, with the gate's sign (verdicts.CHANGE_MEANING)."""
    return 100 * V.change(base.median(metric), cur.median(metric))


def ratio_spread(base, cur, metric):
    """(low, high, what) for cur ÷ base of a metric's repetitions: the 95 % interval of the ratio
    (stats.ratio_interval, the rank interval that goes with the gate's test), or, with too few
    repetitions for one, the range of the pairwise ratios; None without positive samples."""
    xb, xc = base.samples.get(metric, []), cur.samples.get(metric, [])
    interval = stats.ratio_interval(xb, xc)
    if interval is not None:
        return interval[0], interval[1], "95 %"
    if xb and xc and min(xb + xc) > 0:
        return min(xc) / max(xb), max(xc) / min(xb), "range"
    return None


def change_spread(base, cur, metric):
    """ratio_spread as a change in percent, with the gate's sign."""
    spread = ratio_spread(base, cur, metric)
    return None if spread is None else (100 * (spread[0] - 1), 100 * (spread[1] - 1), spread[2])


def verdict_by_name(verdict):
    """The gate's verdict per benchmark name; a benchmark gated on two metrics shows the worse one."""
    out = {}
    for row in (verdict or {}).get("benchmarks", []):
        name, v = row.get("name"), row.get("verdict")
        if name:
            out[name] = V.worst([v, out[name]]) if name in out else v
    return out


def gate_colour(v):
    """The colour of a gate verdict: failing red, improvement green, undecided amber (it is not a
    pass), the machine moved blue, no change grey."""
    if v in V.FAILING:
        return WORSE
    if v in V.UNDECIDED:
        return UNDECIDED
    return {V.IMPROVEMENT: BETTER, V.MACHINE_CHANGED: MACHINE}.get(v, NEUTRAL)


def baseline(base_run, cur_run, verdict=None, threshold=5.0):
    """Percent change of each benchmark's headline metric against a baseline run; red = worse.
    With the gate's verdict, the colours are the gate's; without it, a change beyond the
    threshold is coloured."""
    names = [n for n in cur_run.benchmarks if n in base_run.benchmarks]
    if not names:
        return None
    verdicts = verdict_by_name(verdict)
    changes, colours, spreads = [], [], []
    for n in names:
        cur, base = cur_run.benchmarks[n], base_run.benchmarks[n]
        change = percent_change(base, cur, cur.headline)
        changes.append(change)
        spreads.append(change_spread(base, cur, cur.headline))
        v = verdicts.get(n)
        if v is not None:
            colours.append(gate_colour(v))
        elif math.isnan(change) or abs(change) < threshold:
            colours.append(NEUTRAL)
        else:
            colours.append(BETTER if (change > 0) == higher_is_better(cur.headline) else WORSE)
    fig, ax = plt.subplots(figsize=(10, 1.4 + 0.28 * len(names)))
    _hbars(ax, [n.removesuffix("/real_time") for n in names], [("change", changes)], [colours],
           [[s[:2] if s else None for s in spreads]])
    ax.axvline(0, color="black", linewidth=1)
    ax.set_xlabel(f"change of the headline median vs baseline, %\n({V.CHANGE_MEANING})")
    title = "Baseline vs current"
    if verdict:
        title += f" — gate verdict: {verdict.get('verdict', '?').upper()}"
    else:
        title += f" (no gate verdict; coloured beyond ±{threshold:g} %)"
    ax.set_title(f"{title}\n{INTERVAL_NOTE}", fontsize=10)
    ax.legend(handles=[Patch(color=WORSE, label="worse"), Patch(color=BETTER, label="better"),
                       Patch(color=UNDECIDED, label="insufficient data"), Patch(color=MACHINE, label="machine changed"),
                       Patch(color=NEUTRAL, label="no significant change")], fontsize=8, loc="upper left",
              bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def side_by_side(runs, labels):
    """Two or more runs: each benchmark's headline median relative to the first run's, with the
    interval of that ratio (the first run's own: its median's interval relative to its median)."""
    if len(runs) < 2:
        return None
    first = runs[0]
    names = [n for n, b in first.benchmarks.items() if b.impl in ("socklab", "") and b.samples
             and all(n in r.benchmarks for r in runs[1:])]
    if not names:
        return None
    fig, ax = plt.subplots(figsize=(10, 1.4 + 0.25 * len(names) * len(runs)))
    groups, intervals = [], []
    for run, label in zip(runs, labels):
        values, spreads = [], []
        for n in names:
            ref, b = first.benchmarks[n], run.benchmarks[n]
            metric, mid = ref.headline, ref.median()
            values.append(b.median(metric) / mid if mid else math.nan)
            if run is first:
                spread = median_spread(ref, metric)
                spreads.append((spread[0] / mid, spread[1] / mid) if mid and spread else None)
            else:
                spread = ratio_spread(ref, b, metric)
                spreads.append(spread[:2] if spread else None)
        groups.append((label, values))
        intervals.append(spreads)
    _hbars(ax, [f"{n.removesuffix('/real_time')} ({first.benchmarks[n].headline})" for n in names], groups,
           intervals=intervals)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xlabel(f"headline median relative to {labels[0]} (×)")
    ax.set_title(f"Runs side by side (socklab implementation)\n{INTERVAL_NOTE}", fontsize=10)
    _legend_outside(ax)
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def _values(seq):
    return [float(v) if math.isfinite(float(v)) else None for v in seq]


def describe(fig):
    """What a figure draws, read back from its artists: per axes the titles, labels, scales, the
    labelled lines (x, y, marker, whether they carry error bars), the bar groups (label, values,
    colours), the bars' intervals (per group: (y, low, high) per bar that has one) and the texts."""
    fig.canvas.draw()  # tick labels exist once drawn
    out = {"title": fig._suptitle.get_text() if fig._suptitle else "", "axes": []}
    for ax in fig.axes:
        lines, bars = [], []
        for c in ax.containers:
            if isinstance(c, ErrorbarContainer) and c.lines[0] is not None:  # a bar's error bars have no line
                line = c.lines[0]
                lines.append({"label": c.get_label(), "x": _values(line.get_xdata()),
                              "y": _values(line.get_ydata()), "marker": [line.get_marker(), line.get_fillstyle()],
                              "error_bars": bool(c.has_yerr or c.has_xerr)})
            elif isinstance(c, BarContainer):
                bars.append({"label": c.get_label(), "values": _values(c.datavalues),
                             "colours": [to_hex(p.get_facecolor()) for p in c.patches]})
        intervals = {}
        for c in ax.collections:
            if isinstance(c, LineCollection) and c.get_label().startswith("_interval "):
                intervals[c.get_label().removeprefix("_interval ")] = [
                    (float(seg[0][1]), float(seg[0][0]), float(seg[1][0])) for seg in c.get_segments()]
        for line in ax.lines:
            if not line.get_label().startswith("_"):
                lines.append({"label": line.get_label(), "x": _values(line.get_xdata()),
                              "y": _values(line.get_ydata())})
        out["axes"].append({"title": ax.get_title(), "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
                            "xscale": ax.get_xscale(), "yscale": ax.get_yscale(), "lines": lines, "bars": bars,
                            "intervals": intervals,
                            "xticklabels": [t.get_text() for t in ax.get_xticklabels()],
                            "yticklabels": [t.get_text() for t in ax.get_yticklabels()],
                            "texts": [t.get_text() for t in ax.texts]})
    return out
