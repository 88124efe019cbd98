"""What the report shows of a results history (history.trends): the table of changes found, each
with its size, interval, first commit and cause, and one figure per benchmark family of every
series over time (render.trends_html puts them on trends.html)."""
from reports import trend_plots

HEADER = ["benchmark", "machine", "change", "95 % interval", "from commit", "date", "p", "cause"]


def changes_table(trends):
    """(header, rows): every change found, largest first."""
    found = [(t, c, cause) for t in trends for c, cause in zip(t.changes, t.causes)]
    found.sort(key=lambda f: -abs(f[1].ratio - 1))
    rows = [[t.name, t.label(with_config=True), f"{100 * (c.ratio - 1):+.1f} %",
             "-" if c.low is None else f"[{100 * (c.low - 1):+.1f} %, {100 * (c.high - 1):+.1f} %]",
             t.points[c.index].commit[:12], t.points[c.index].date, f"{c.p_value:.3f}", cause] for t, c, cause in found]
    return HEADER, rows


def figures(trends):
    """[(stem, title, figure)]: one per benchmark family, split where it has more panels than fit."""
    made = []
    for family in sorted({t.family for t in trends}):
        of_family = [t for t in trends if t.family == family]
        benchmarks = sorted({t.name for t in of_family})
        chunks = [benchmarks[i:i + trend_plots.MAX_PANELS] for i in range(0, len(benchmarks), trend_plots.MAX_PANELS)]
        for i, chunk in enumerate(chunks):
            stem = f"trend_{family}" + (f"_{i + 1}" if len(chunks) > 1 else "")
            title = f"{family}: run medians over time" + (f" ({i + 1} of {len(chunks)})" if len(chunks) > 1 else "")
            made.append((stem, title, trend_plots.figure([t for t in of_family if t.name in chunk], title)))
    return made


def summary_text(report):
    runs = len({p.run_id for t in report.trends for p in t.points})
    count = sum(len(t.changes) for t in report.trends)
    return (f"{len(report.trends)} series over {runs} runs from the history {report.history}; "
            f"{count} change(s) found (each benchmark's series of run medians, one per machine and configuration).")
