"""The report's text: summary.md (CI job summaries, PR comments) and a self-contained index.html
(no external scripts, styles or fonts; the figures are files beside it)."""
import html
import math
import os

from common.units import format_observed, format_value as fmt
from reports import trends_page
from reports.plots import (FAST_PATH_FAMILIES, FLOW_TABLE_FAMILIES, IMPL_ORDER, OPEN_LOOP_FAMILIES, TCP_FAST_PATHS, change_spread, median_spread,
                           percent_change, verdict_by_name)

CONTEXT_COLUMNS = [("OS", ("os_release", "os")), ("kernel", ("kernel",)), ("CPU", ("cpu_model",)),
                   ("cores", ("num_cpus",)), ("commit", ("socklab_commit",)), ("build", ("build_type",)),
                   ("placement", ("placement_effective", "placement")),
                   ("congestion", ("tcp_congestion", "sysctl.net/ipv4/tcp_congestion_control",
                                   ("sysctls", "net/ipv4/tcp_congestion_control")))]


def _context_value(ctx, keys):
    """The first key present; a tuple key is a path into nested objects."""
    for k in keys:
        v = ctx
        for part in k if isinstance(k, tuple) else (k,):
            v = v.get(part) if isinstance(v, dict) else None
        if v not in (None, ""):
            return str(v)
    return "–"


def contexts_table(entries):
    """entries: [(label, kind, path, context)]; the file by its name (a full path made the table
    wider than the page)."""
    header = ["run", "results", "file"] + [c for c, _ in CONTEXT_COLUMNS]
    rows = [[label, kind, os.path.basename(path)] + [_context_value(ctx, keys) for _, keys in CONTEXT_COLUMNS]
            for label, kind, path, ctx in entries]
    return header, rows


def header_lines(report):
    """What produced the page, run by run: kind, profile, date, commit, machine and platform."""
    lines = []
    for label, kind, _, ctx in report.contexts:
        profile = f"{ctx['profile']} profile, " if ctx.get("profile") else ""
        lines.append(f"{label}: {kind}, {profile}{ctx.get('date', 'date unknown')}, commit "
                     f"{str(ctx.get('socklab_commit', '?'))[:12]}, {ctx.get('host_name', '?')} "
                     f"({ctx.get('cpu_model', '?')}), {ctx.get('os_release') or ctx.get('os', '?')} "
                     f"{ctx.get('kernel', '')}".rstrip())
    return lines


# What each file a run leaves in its folder holds, for the page's list of files.
FILE_KINDS = {"bench.json": "benchmark results (schemas/bench.schema.json)",
              "conformance.json": "conformance report of socklab",
              "conformance-junit.xml": "conformance suite as JUnit XML",
              "conformance-python.json": "the catalog run through CPython's socket module",
              "conformance-diff.md": "socklab vs CPython, behaviour by behaviour",
              "conformance-diff.json": "socklab vs CPython, as JSON",
              "summary.md": "this report as Markdown", "figures.json": "what each figure draws, as data",
              "trends.html": "every series of the results history over time, and the changes found"}


def describe_file(name):
    stem, ext = os.path.splitext(name)
    if name in FILE_KINDS:
        return FILE_KINDS[name]
    if ext in (".png", ".svg"):
        return f"figure {stem} ({ext[1:].upper()})"
    return {".json": "JSON", ".xml": "XML", ".md": "Markdown"}.get(ext, "")


def run_description(run):
    """What produced a benchmark run, in a sentence or two: profile, date, commit, machine, how it was
    repeated, and how many of its rows settled."""
    ctx = run.context
    parts = [f"Profile **{ctx.get('profile', '?')}**, measured {ctx.get('date', '?')} at commit "
             f"{str(ctx.get('socklab_commit', '?'))[:12]} on {ctx.get('host_name', '?')} "
             f"({ctx.get('cpu_model', '?')}, {ctx.get('num_cpus', '?')} CPUs, {ctx.get('os', '?')} "
             f"{ctx.get('kernel', '?')}), placement {ctx.get('placement_effective', ctx.get('placement', '?'))}, "
             f"TCP congestion control {ctx.get('tcp_congestion') or '?'}."]
    plan = run.extra.get("schedule")
    if isinstance(plan, dict):
        summaries = [b.summary for b in run.benchmarks.values() if b.summary]
        settled = sum(bool(s.get("settled")) for s in summaries)
        parts.append(f"Repetitions of {plan.get('rep_seconds')} s, {plan.get('min_reps')} to {plan.get('max_reps')} "
                     f"per benchmark, interleaved round by round; a benchmark stops when the "
                     f"{100 * plan.get('confidence', 0.95):g} % interval of its median is within "
                     f"±{100 * plan.get('target', 0):g} % or after {plan.get('budget_s')} s of measuring (seed "
                     f"{plan.get('seed')}). {settled} of {len(summaries)} benchmarks settled; the others are marked "
                     f"unsettled: their interval is what this machine allowed.")
    else:
        parts.append("Written by socklab-bench before schema 2: medians without intervals.")
    return " ".join(parts)


def _interval(metric, low, high):
    return "–" if low is None or high is None else f"[{fmt(metric, low)}, {fmt(metric, high)}]"


def headline_table(run):
    """One row per benchmark key (family/size): every implementation's headline median side by side,
    socklab's 95 % interval, repetitions and whether it settled, and socklab ÷ raw with its interval
    and verdict (from the run's own round-by-round comparison)."""
    groups = {}
    for b in run.benchmarks.values():
        groups.setdefault(b.key, {})[b.impl] = b
    impls = sorted({i for g in groups.values() for i in g}, key=lambda i: IMPL_ORDER.index(i) if i in IMPL_ORDER else 99)
    overhead = {row.get("benchmark"): row for row in run.extra.get("overhead", [])}
    header = (["benchmark", "metric"] + [i or "value" for i in impls] +
              ["95 % CI (socklab)", "reps", "settled", "socklab ÷ raw [95 % CI]", "verdict"])
    rows = []
    for key, by in groups.items():
        any_b = by.get("socklab") or next(iter(by.values()))
        metric = any_b.headline
        cells = [fmt(metric, by[i].median(metric)) if i in by else "–" for i in impls]
        if any(b.errors for b in by.values()):
            cells = [c + (" (ERROR)" if i in by and by[i].errors else "") for c, i in zip(cells, impls)]
        summary = any_b.summary
        settled = "–" if not summary else ("yes" if summary.get("settled") else "UNSETTLED")
        ratio, verdict = "–", "–"
        if key in overhead and overhead[key].get("ratio") is not None:
            o = overhead[key]
            low, high = o.get("ratio_ci_low"), o.get("ratio_ci_high")
            ratio = f"{o['ratio']:.3f}" + ("" if low is None else f" [{low:.3f}, {high:.3f}]")
            verdict = o.get("verdict", "–")
        elif "socklab" in by and "raw" in by and by["raw"].median(metric):
            ratio = f"{by['socklab'].median(metric) / by['raw'].median(metric):.3f}"
        rows.append([key, metric] + cells + [_interval(metric, summary.get("ci_low"), summary.get("ci_high")),
                                             str(len(any_b.samples.get(metric, []))), settled, ratio, verdict])
    return header, rows


def costs_table(run):
    """Per benchmark and implementation: CPU per operation of each end (with socklab's added CPU and its
    interval), system calls and context switches per operation."""
    overhead = {row.get("benchmark"): row for row in run.extra.get("overhead", [])}
    header = ["benchmark", "CPU ns/op socklab", "CPU ns/op raw", "socklab adds (CPU, 95 % CI)", "peer CPU ns/op socklab",
              "syscalls/op socklab / raw", "switches/op socklab"]
    groups = {}
    for b in run.benchmarks.values():
        if b.summary:
            groups.setdefault(b.key, {})[b.impl] = b.summary
    rows = []

    def cpu(s, key="cpu_ns_per_op"):
        v = (s or {}).get(key, {}).get("median")
        return "–" if v is None else f"{v:,.0f}"

    for key, by in groups.items():
        ours, raw = by.get("socklab"), by.get("raw")
        added = "–"
        if key in overhead:
            a, share = overhead[key].get("cpu_ns_added", {}), overhead[key].get("cpu_share_added", {})
            if a.get("median") is not None:
                added = f"{a['median']:+,.0f} ns" + ("" if share.get("median") is None else
                                                     f" ({100 * share['median']:+.1f} %)")
                if a.get("ci_low") is not None:
                    added += f" [{a['ci_low']:+,.0f}, {a['ci_high']:+,.0f}]"
        calls = " / ".join("–" if s is None or s.get("syscalls_per_op") is None else f"{s['syscalls_per_op']:.2f}"
                           for s in (ours, raw))
        switches = "–" if not ours or ours.get("switches_per_op") is None else f"{ours['switches_per_op']:.3f}"
        rows.append([key, cpu(ours), cpu(raw), added, cpu(ours, "peer_cpu_ns_per_op"), calls, switches])
    return header, rows


def fast_paths_table(run):
    """The UDP fast paths against udp_stream, per implementation and size: datagrams sent per second
    and the speed-up, the share received, datagrams per call, and CPU per datagram on each end
    (medians over the repetitions). No rows without a fast-path benchmark."""
    by = {(b.family, b.impl, b.size): b for b in run.benchmarks.values() if b.family in FAST_PATH_FAMILIES}
    if not any(family != FAST_PATH_FAMILIES[0] for family, _, _ in by):
        return [], []
    header = ["benchmark", "datagrams/s", "× udp_stream", "received", "datagrams/call", "CPU ns/datagram",
              "receiver CPU ns/datagram"]

    def number(b, metric, form):
        v = b.median(metric)
        return "–" if v is None or math.isnan(v) else form.format(v)

    rows = []
    for (family, impl, size), b in sorted(by.items(), key=lambda kv: (kv[0][2] or 0, kv[0][1],
                                                                       FAST_PATH_FAMILIES.index(kv[0][0]))):
        plain = by.get((FAST_PATH_FAMILIES[0], impl, size))
        speedup = "–"
        if plain is not None and plain.median("items_per_second") > 0:
            speedup = f"{b.median('items_per_second') / plain.median('items_per_second'):.1f}"
        received = number(b, "loss_ratio", "{:.1%}")
        if received != "–":
            received = f"{1 - b.median('loss_ratio'):.1%}"
        rows.append([b.name, number(b, "items_per_second", "{:,.0f}"), speedup, received,
                     number(b, "datagrams_per_call", "{:.0f}"), number(b, "cpu_ns_per_datagram", "{:,.0f}"),
                     number(b, "peer_cpu_ns_per_datagram", "{:,.0f}")])
    return header, rows


def tcp_fast_paths_table(run):
    """TCP's fast paths against the plain family, per implementation and size: the headline with its
    interval, the gain (better than plain above 1: throughput ÷ plain's, or plain's latency ÷ this
    one's), and system calls and CPU per operation of both ends beside plain's."""
    by = {(b.family, b.impl, b.size): b for b in run.benchmarks.values()}
    paths = sorted((b for b in by.values() if b.family in TCP_FAST_PATHS and b.summary),
                   key=lambda b: (b.family, b.size or 0, IMPL_ORDER.index(b.impl) if b.impl in IMPL_ORDER else 99))
    if not paths:
        return [], []
    header = ["benchmark", "headline [95 % CI]", "gain × plain", "syscalls/op (plain)", "CPU ns/op (plain)",
              "peer CPU ns/op (plain)"]

    def cost(s, key):
        v = (s or {}).get(key)
        v = v.get("median") if isinstance(v, dict) else v
        return None if v is None else float(v)

    def pair(b, plain, key, form):
        ours, theirs = cost(b.summary, key), cost(plain.summary if plain else None, key)
        return ("–" if ours is None else form.format(ours)) + ("" if theirs is None else f" ({form.format(theirs)})")

    rows = []
    for b in paths:
        plain = by.get((TCP_FAST_PATHS[b.family], b.impl, b.size))
        metric = b.headline
        gain = "–"
        if plain is not None and plain.median(metric) > 0 and b.median(metric) > 0:
            ratio = b.median(metric) / plain.median(metric)
            gain = f"{ratio if b.summary.get('higher_is_better', True) else 1 / ratio:.2f}"
        rows.append([b.name, f"{metric} {fmt(metric, b.median(metric))} " +
                     _interval(metric, b.summary.get("ci_low"), b.summary.get("ci_high")),
                     gain, pair(b, plain, "syscalls_per_op", "{:.2f}"), pair(b, plain, "cpu_ns_per_op", "{:,.0f}"),
                     pair(b, plain, "peer_cpu_ns_per_op", "{:,.0f}")])
    return header, rows


def _median(b, metric, form):
    v = b.median(metric)
    return "–" if v is None or math.isnan(v) else form.format(v)


def flows_table(run):
    """The flow families, per shape (flows, threads) and implementation: the aggregate with its
    interval (bytes, or transactions for request/response), the slowest and fastest flow, and Jain's
    fairness index (medians over repetitions)."""
    rows = sorted((b for b in run.benchmarks.values() if b.family in FLOW_TABLE_FAMILIES and "flows" in b.params),
                  key=lambda b: (b.family, b.params.get("threads", 0), b.params["flows"],
                                 IMPL_ORDER.index(b.impl) if b.impl in IMPL_ORDER else 99))
    header = ["benchmark", "flows", "threads", "aggregate [95 % CI]", "slowest flow", "fastest flow", "fairness (Jain)"]
    out = []
    for b in rows:
        unit = "items_per_second" if "flow_min_items_per_second" in b.samples else "bytes_per_second"
        low, high = median_spread(b, unit)
        out.append([b.name, f"{b.params['flows']:,}", str(b.params.get("threads", "–")),
                    fmt(unit, b.median(unit)) + " " + _interval(unit, low, high),
                    fmt("flow_min_" + unit, b.median("flow_min_" + unit)),
                    fmt("flow_max_" + unit, b.median("flow_max_" + unit)),
                    _median(b, "fairness_jain", "{:.3f}")])
    return header, out


def knees(run):
    """{(family, impl, size): the lowest offered load (requests/s) whose corrected p99 is, with its
    whole 95 % interval, above twice the top of the lightest load's interval (None: no such load)}:
    where queueing starts to dominate, claimed only where the noise cannot explain it."""
    found = {}
    groups = {}
    for b in run.benchmarks.values():
        if b.family in OPEN_LOOP_FAMILIES and "p99_us" in b.samples and "offered_per_second" in b.samples:
            groups.setdefault((b.family, b.impl, b.size), []).append(b)
    for key, rows in groups.items():
        rows.sort(key=lambda b: b.median("offered_per_second"))
        base_high = median_spread(rows[0], "p99_us")[1]
        found[key] = next((b.median("offered_per_second") for b in rows[1:]
                           if median_spread(b, "p99_us")[0] > 2 * base_high), None)
    return found


def open_loop_table(run):
    """Latency under load, per benchmark: the load offered and achieved, p50 and p99 from the due
    time (p99 with its interval) beside the p99 from the send, the share of requests sent late, and
    the knee of each curve."""
    rows = sorted((b for b in run.benchmarks.values() if b.family in OPEN_LOOP_FAMILIES and "p99_us" in b.samples),
                  key=lambda b: (b.family, b.size or 0, IMPL_ORDER.index(b.impl) if b.impl in IMPL_ORDER else 99,
                                 b.median("offered_per_second")))
    if not rows:
        return [], []
    knee = knees(run)
    header = ["benchmark", "offered /s", "achieved /s", "p50 µs", "p99 µs [95 % CI]", "p99 uncorrected µs",
              "sent late", "knee"]
    out = []
    for b in rows:
        low, high = median_spread(b, "p99_us")
        k = knee.get((b.family, b.impl, b.size))
        at_knee = k is not None and math.isclose(k, b.median("offered_per_second"))
        out.append([b.name, _median(b, "offered_per_second", "{:,.0f}"), _median(b, "items_per_second", "{:,.0f}"),
                    _median(b, "p50_us", "{:,.1f}"),
                    _median(b, "p99_us", "{:,.1f}") + " " + _interval("p99_us", low, high),
                    _median(b, "p99_uncorrected_us", "{:,.1f}"), _median(b, "late_ratio", "{:.1%}"),
                    "← knee: p99 interval above 2× the lightest load's" if at_knee else ""])
    return header, out


def peers_table(run):
    """socklab against each peer tool, measured interleaved: medians, the ratio with its interval and
    the verdict."""
    comparisons = (run.extra.get("peers") or {}).get("comparisons") or []
    header = ["benchmark", "tool", "socklab", "peer", "socklab ÷ peer [95 % CI]", "rounds", "verdict"]
    rows = []
    for c in comparisons:
        metric = c.get("metric", "")
        low, high = c.get("ratio_ci_low"), c.get("ratio_ci_high")
        ratio = "–" if c.get("ratio") is None else f"{c['ratio']:.3f}" + ("" if low is None else f" [{low:.3f}, {high:.3f}]")
        tool = c.get("tool", "?") + ("" if c.get("peer_size") == c.get("size") else f" ({c.get('peer_size')} B)")
        rows.append([c.get("benchmark", "?"), tool, fmt(metric, c.get("socklab")), fmt(metric, c.get("peer")), ratio,
                     str(c.get("rounds", "–")), c.get("verdict", "–")])
    return header, rows


def baseline_table(base, cur, verdict):
    verdicts = verdict_by_name(verdict)
    header = ["benchmark", "metric", "baseline", "current", "change", "interval (repetitions)", "verdict"]
    rows = []
    for name, c in cur.benchmarks.items():
        if name not in base.benchmarks:
            continue
        b, metric = base.benchmarks[name], c.headline
        change, spread = percent_change(b, c, metric), change_spread(b, c, metric)
        counts = f"({len(b.samples.get(metric, []))} vs {len(c.samples.get(metric, []))})"
        interval = "–" if spread is None else f"{spread[2]} [{spread[0]:+.1f}, {spread[1]:+.1f}] % {counts}"
        rows.append([name.removesuffix("/real_time"), metric, fmt(metric, b.median(metric)),
                     fmt(metric, c.median(metric)), "–" if math.isnan(change) else f"{change:+.1f} %", interval,
                     verdicts.get(name, "–")])
    missing = [n for n in base.benchmarks if n not in cur.benchmarks]
    rows += [[n.removesuffix("/real_time"), "–", "present", "MISSING", "–", "–", verdicts.get(n, "missing")]
             for n in missing]
    return header, rows


def behaviours_of(cruns):
    """Every behaviour ID any run has, in first-seen order, with its statement and group, and each
    run's behaviours by ID."""
    ids, about = [], {}
    for run in cruns:
        for b in run.behaviours:
            if b["id"] not in about:
                ids.append(b["id"])
                about[b["id"]] = (b.get("statement", ""), b.get("group", ""))
    return ids, about, [{b["id"]: b for b in run.behaviours} for run in cruns]


def instances_summary(b):
    """For a behaviour over socket kinds: '24 kinds: 22 pass, 2 FAIL (udp6, unix_dgram)'; else ''."""
    instances = b.get("instances") or []
    if not instances:
        return ""
    by_status = {}
    for i in instances:
        by_status.setdefault(i.get("status"), []).append(str(i.get("kind")))
    parts = [f"{len(k)} {s.upper() if s == 'fail' else s}" + ("" if s == "pass" else f" ({', '.join(k)})")
             for s in ("pass", "fail", "skip") if (k := by_status.get(s))]
    return f"{len(instances)} kinds: " + ", ".join(parts)


def behaviour_cell(b):
    """A run's cell for one behaviour: status, its kinds' outcome, the observed values."""
    if b is None:
        return "absent"
    text = b["status"].upper() if b["status"] == "fail" else b["status"]
    if summary := instances_summary(b):
        text += f" [{summary}]"
    if b.get("observed"):
        text += f" ({format_observed(b['observed'])})"
    return text


def conformance_table(cruns, labels, only_differences):
    """Behaviour rows with each run's status and observed values; with only_differences, just the
    behaviours that did not pass everywhere."""
    ids, about, by = behaviours_of(cruns)
    header = ["behaviour", "statement"] + labels
    rows = []
    for bid in ids:
        if only_differences and all(m.get(bid, {}).get("status") == "pass" for m in by):
            continue
        rows.append([bid, about[bid][0]] + [behaviour_cell(m.get(bid)) for m in by])
    return header, rows


CONFORMANCE_FILTERS = ("fail", "skip", "not-applicable", "absent")


def _instances_html(b, text):
    """A cell that opens to one row per kind: its status and observed values."""
    def status_cell(status):
        return f"<td{_status_class('FAIL' if status == 'fail' else status)}>{html.escape(str(status))}</td>"

    rows = "".join(f"<tr><td>{html.escape(str(i.get('kind')))}</td>{status_cell(i.get('status'))}"
                   f"<td>{html.escape(format_observed(i.get('observed') or {}) or i.get('message', ''))}</td></tr>"
                   for i in b["instances"])
    return (f"<details><summary>{html.escape(text)}</summary><table class=\"kinds\"><thead><tr><th>kind</th>"
            f"<th>status</th><th>observed</th></tr></thead><tbody>{rows}</tbody></table></details>")


def conformance_matrix_html(cruns, labels):
    """Every behaviour × run as an HTML table, behaviours under their group's heading, with the full
    observed values; a behaviour over socket kinds opens to one row per kind. Radio buttons show
    only the rows with a given status (CSS only: works offline, without scripts)."""
    ids, about, by = behaviours_of(cruns)
    texts = {bid: [behaviour_cell(m.get(bid)) for m in by] for bid in ids}
    counts = {f: sum(any(t.lower().startswith(f) for t in texts[bid]) for bid in ids) for f in CONFORMANCE_FILTERS}
    controls = ['<input type="radio" name="show" id="show-all" checked><label for="show-all">all '
                f"({len(ids)})</label>"]
    controls += [f'<input type="radio" name="show" id="show-{f}"><label for="show-{f}">{f} ({counts[f]})</label>'
                 for f in CONFORMANCE_FILTERS]
    body, group = [], None
    for bid in ids:
        if about[bid][1] != group:
            group = about[bid][1]
            members = [x for x in ids if about[x][1] == group]
            instances = max((sum(len(m.get(x, {}).get("instances") or []) for x in members) for m in by), default=0)
            body.append(f'<tr class="group"><th colspan="{2 + len(by)}">{html.escape(group or "(no group)")}: '
                        f"{len(members)} behaviours" + (f", {instances} instances over socket kinds" if instances else "")
                        + "</th></tr>")
        classes = " ".join(f"has-{f}" for f in CONFORMANCE_FILTERS if any(t.lower().startswith(f) for t in texts[bid]))
        cells = [f"<td>{html.escape(bid)}</td>", f"<td>{html.escape(about[bid][0])}</td>"]
        for m, text in zip(by, texts[bid]):
            b = m.get(bid)
            inner = _instances_html(b, text) if b and b.get("instances") else html.escape(text)
            cells.append(f"<td{_status_class(text)}>{inner}</td>")
        body.append(f'<tr class="{classes}">{"".join(cells)}</tr>' if classes else f"<tr>{''.join(cells)}</tr>")
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in ["behaviour", "statement"] + labels)
    return (f'<div class="matrix">{"".join(controls)}<div class="wide"><table><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div></div>')


def _md_table(header, rows):
    def cell(x):
        return str(x).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def html_table(header, rows):
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td{_status_class(x)}>{html.escape(str(x))}</td>" for x in row) + "</tr>"
                   for row in rows)
    return f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _status_class(text):
    word = str(text).split(" ")[0]
    return {"pass": ' class="pass"', "FAIL": ' class="fail"', "skip": ' class="skip"', "MISSING": ' class="fail"',
            "regression": ' class="fail"', "error": ' class="fail"', "slower": ' class="fail"',
            "UNSETTLED": ' class="skip"', "insufficient": ' class="skip"', "absent": ' class="skip"'}.get(word, "")


def platforms_blocks(doc):
    """A behaviour x platform matrix: the platforms, then the settings and behaviours that differ
    between them, with each platform's values side by side."""
    platforms, summary = doc["platforms"], doc["summary"]
    labels = doc["labels"]
    blocks = [("text", f"Each platform against {doc['reference']}, socklab against socklab and CPython against "
                       "CPython; measured values (timings, ports, fill levels) are not compared. An emulated platform "
                       "observes semantics, not speed."),
              ("table", ["platform", "release", "package", "date", "seconds", "socklab", "python"],
               [[p["platform"], p["release"], p["package"] or "—", p["date"], p["seconds"],
                 *(f"exit {v}" if v is not None else "no status" for v in p["suites"].values())] for p in platforms])]
    settings = [r for r in doc["settings"] if r["differs"]]
    if settings:
        blocks += [("text", "Settings that differ:"),
                   ("table", ["setting", *labels], [[r["name"], *("—" if v is None else v for v in r["values"])]
                                                    for r in settings])]
    rows = [r for r in doc["behaviours"] if r["differs"]]
    blocks.append(("text", f"Behaviours where platforms differ: {summary['differ']} of {summary['compared']} compared"
                           + ("." if rows else " (none).")))
    if rows:
        blocks.append(("table", ["behaviour", "statement", *labels],
                       [[r["id"] + (" (new)" if r["new_on"] else ""), r["statement"], *r["by_platform"]] for r in rows]))
        if any(r["new_on"] for r in rows):
            blocks.append(("text", "(new): a difference the catalog does not yet record as observed on that platform."))
    return blocks


def sections(report):
    """(title, [blocks]) in order; a block is ("table", header, rows), ("text", str) or ("figure", name, title)."""
    out = [("Runs", [("lines", header_lines(report)), ("table", *contexts_table(report.contexts))])]
    for run, label in zip(report.bench_runs, report.bench_labels):
        blocks = [("text", run_description(run)), ("table", *headline_table(run))]
        header, rows = costs_table(run)
        if rows:
            blocks += [("text", "What each operation costs (medians over the repetitions):"), ("table", header, rows)]
        header, rows = fast_paths_table(run)
        if rows:
            blocks += [("text", "UDP fast paths (socklab/fast_paths.hpp) against one datagram per call:"),
                       ("table", header, rows)]
        header, rows = tcp_fast_paths_table(run)
        if rows:
            blocks += [("text", "TCP fast paths (MSG_ZEROCOPY; io_uring, socklab/uring.hpp) against the plain calls:"),
                       ("table", header, rows)]
        header, rows = flows_table(run)
        if rows:
            blocks += [("text", "Many flows over epoll (T sending and T receiving threads, each with one readiness set):"),
                       ("table", header, rows)]
        header, rows = open_loop_table(run)
        if rows:
            blocks += [("text", "Latency under load (open loop, one request in flight per connection; latency from "
                                "the due time, and from the send as a closed-loop tester would time it):"),
                       ("table", header, rows)]
        header, rows = peers_table(run)
        if rows:
            blocks += [("text", "Against the peer tools, measured interleaved with socklab round by round:"),
                       ("table", header, rows)]
        out.append((f"Benchmarks: {label}", blocks))
    if report.base is not None:
        blocks = []
        if report.verdict:
            blocks.append(("text", f"Gate verdict: **{str(report.verdict.get('verdict', '?')).upper()}**"))
        blocks.append(("table", *baseline_table(report.base, report.bench_runs[0], report.verdict)))
        out.append((f"Baseline ({report.base_label}) vs current ({report.bench_labels[0]})", blocks))
    if report.conf_runs:
        counts = [[label] + [str(run.summary.get(s, 0)) for s in ("pass", "fail", "skip", "not-applicable")]
                  for run, label in zip(report.conf_runs, report.conf_labels)]
        header, rows = conformance_table(report.conf_runs, report.conf_labels, only_differences=True)
        blocks = [("table", ["run", "pass", "fail", "skip", "not-applicable"], counts)]
        blocks.append(("text", "Behaviours that did not pass in every run:") if rows else
                      ("text", "Every behaviour passed in every run."))
        if rows:
            blocks.append(("table", header, rows))
        out.append(("Conformance", blocks))
    for matrix in report.platforms:
        out.append((f"Across platforms ({matrix.path})", platforms_blocks(matrix.doc)))
    out.append(("Plots", [("figure", name, title) for name, title in report.figures]))
    if report.trends:
        header, rows = trends_page.changes_table(report.trends)
        text = trends_page.summary_text(report) + " Every series over time: trends.html."
        out.append(("Trends", [("text", text)] + ([("table", header, rows)] if rows else [])))
    if report.conf_runs:
        out.append(("Conformance: every behaviour",
                    [("details", *conformance_table(report.conf_runs, report.conf_labels, only_differences=False)),
                     ("matrix", report.conf_runs, report.conf_labels)]))
    if report.files:
        out.append(("Files in this folder", [("files", report.files)]))
    return out


def markdown(report):
    parts = ["# socklab report", ""]
    for title, blocks in sections(report):
        parts += [f"## {title}", ""]
        for block in blocks:
            if block[0] == "table":
                parts += [_md_table(block[1], block[2]), ""]
            elif block[0] == "details":
                parts += ["<details><summary>show the table</summary>", "", _md_table(block[1], block[2]), "",
                          "</details>", ""]
            elif block[0] == "text":
                parts += [block[1], ""]
            elif block[0] == "lines":
                parts += [f"- {line}" for line in block[1]] + [""]
            elif block[0] == "files":
                parts += [f"- [{name}]({name}) {describe_file(name)}".rstrip() for name in block[1]] + [""]
            elif block[0] == "figure":
                parts += [f"![{block[2]}]({block[1]}.png)", ""]
    return "\n".join(parts)


STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; max-width: 100%; }
div.wide { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
div.matrix input { margin-left: 1em; }
table.kinds { margin: 0.3em 0; font-size: 1em; } tr.group th { background: #e3e8f0; }
""" + "".join(f"#show-{f}:checked ~ div.wide > table > tbody > tr:not(.has-{f}):not(.group) {{ display: none; }}\n"
              for f in CONFORMANCE_FILTERS) + """
th { background: #f0f0f0; }
td.pass { background: #e8f5e9; } td.fail { background: #ffcdd2; font-weight: bold; } td.skip { background: #fff9c4; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; border: 1px solid #eee; }
"""


def index_html(report):
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', "<title>socklab report</title>",
             f"<style>{STYLE}</style></head><body>", "<h1>socklab report</h1>"]
    for title, blocks in sections(report):
        parts.append(f"<h2>{html.escape(title)}</h2>")
        for block in blocks:
            if block[0] == "table":
                parts.append(html_table(block[1], block[2]))
            elif block[0] == "matrix":
                parts.append(conformance_matrix_html(block[1], block[2]))
            elif block[0] == "text":
                parts.append(f"<p>{html.escape(block[1]).replace('**', '')}</p>")
            elif block[0] == "lines":
                parts.append('<ul class="about">' + "".join(f"<li>{html.escape(x)}</li>" for x in block[1]) + "</ul>")
            elif block[0] == "files":
                parts.append("<ul>" + "".join(f'<li><a href="{html.escape(n)}">{html.escape(n)}</a> '
                                              f"{html.escape(describe_file(n))}</li>" for n in block[1]) + "</ul>")
            elif block[0] == "figure":
                parts.append(f'<figure><img src="{block[1]}.svg" alt="{html.escape(block[2])}">'
                             f"<figcaption>{html.escape(block[2])} "
                             f'(<a href="{block[1]}.png">PNG</a>)</figcaption></figure>')
    parts.append("</body></html>")
    return "\n".join(parts)


def trends_html(report):
    header, rows = trends_page.changes_table(report.trends)
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', "<title>socklab trends</title>",
             f"<style>{STYLE}</style></head><body>", "<h1>socklab trends</h1>",
             f"<p>{html.escape(trends_page.summary_text(report))} "
             '<a href="index.html">Back to the report.</a></p>', "<h2>Changes</h2>"]
    parts.append(html_table(header, rows) if rows else "<p>No change found in any series.</p>")
    parts.append("<h2>Series</h2>")
    parts += [f'<figure><img src="{stem}.svg" alt="{html.escape(title)}"><figcaption>{html.escape(title)} '
              f'(<a href="{stem}.png">PNG</a>)</figcaption></figure>' for stem, title in report.trend_figures]
    parts.append("</body></html>")
    return "\n".join(parts)
