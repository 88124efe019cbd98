"""Trend figures from a history (history.trends): one panel per series (a benchmark, or a socklab
benchmark's ratio to its raw twin), each run's median with its 95 % interval over time, one line
per machine (and configuration, when a machine ran several), the changes found marked where they
start."""
import math
from datetime import datetime

from reports.plots import plt
from common.results import METRICS

MAX_PANELS = 24
COLUMNS = 3


class TooManyPanels(Exception):
    pass


def _when(date):
    try:
        return datetime.fromisoformat(date.replace("Z", "+00:00"))
    except ValueError:
        return None


def figure(trends, title):
    """A Figure with one panel per benchmark of `trends`, or None when they hold no runs."""
    benchmarks = sorted({t.name for t in trends})
    if not benchmarks:
        return None
    if len(benchmarks) > MAX_PANELS:
        raise TooManyPanels(f"{len(benchmarks)} benchmarks are more than one figure's {MAX_PANELS} panels")
    rows = math.ceil(len(benchmarks) / COLUMNS)
    cols = min(COLUMNS, len(benchmarks))
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.4 * rows), squeeze=False)
    fig.suptitle(title)
    configs = {}
    for t in trends:
        configs.setdefault((t.name, t.machine), set()).add(t.config)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    lines = sorted({t.label(len(configs[(t.name, t.machine)]) > 1) for t in trends})
    for ax, bench in zip(axes.flat, benchmarks):
        for t in (t for t in trends if t.name == bench):
            label = t.label(len(configs[(t.name, t.machine)]) > 1)
            dated = [(_when(p.date), p) for p in t.points]
            dated = [(when, p) for when, p in dated if when is not None]
            if not dated:
                continue
            _, unit, scale = (True, "", 1.0) if t.of_ratio else METRICS.get(t.metric, (True, "", 1.0))
            xs = [when for when, _ in dated]
            ys = [scale * p.median for _, p in dated]
            # a run with too few repetitions for an interval is drawn without a bar
            below = [scale * (p.median - p.low) if p.low is not None else 0.0 for _, p in dated]
            above = [scale * (p.high - p.median) if p.high is not None else 0.0 for _, p in dated]
            colour = colours[lines.index(label) % len(colours)]
            ax.errorbar(xs, ys, yerr=[below, above], color=colour, marker="o", markersize=3, linewidth=1,
                        capsize=2, label=label)
            for c in t.changes:
                start = _when(t.points[c.index].date)
                if start is not None:
                    ax.axvline(start, color=colour, linestyle=":", linewidth=1)
            ax.set_ylabel("socklab ÷ raw" if t.of_ratio else f"{t.metric} ({unit})" if unit else t.metric, fontsize=8)
        ax.set_title(bench, fontsize=8)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(benchmarks):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig
