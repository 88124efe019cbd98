"""Reads socklab's result JSON (socklab-bench / Google Benchmark, socklab-conform) for the report and
the gate: one place that knows the shapes, the names and which way each metric is better.

Every problem with an input raises InputError with a message naming the file and the cause.
"""
import json
import math
import os
import statistics
import tempfile
from dataclasses import dataclass, field

from common import schemas
from common.errors import InputError  # noqa: F401  (re-exported: the readers' error)

# The behaviour catalog: data every reader of conformance reports may consult.
CATALOG = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "conformance", "catalog.json")


# Metric name -> (True when higher is better, unit label, scale to that unit).
METRICS = {
    "bytes_per_second": (True, "Gbit/s", 8e-9),
    "recv_bytes_per_second": (True, "Gbit/s", 8e-9),
    "send_bytes_per_second": (True, "Gbit/s", 8e-9),
    "forward_bytes_per_second": (True, "Gbit/s", 8e-9),
    "reverse_bytes_per_second": (True, "Gbit/s", 8e-9),
    "items_per_second": (True, "/s", 1.0),
    "p50_us": (False, "µs", 1.0),
    "p90_us": (False, "µs", 1.0),
    "p99_us": (False, "µs", 1.0),
    "p999_us": (False, "µs", 1.0),
    "max_us": (False, "µs", 1.0),
    # Open-loop families: the load offered and the closed-loop maximum it is a share of, latency from
    # the send (what a closed-loop tester would report) beside the corrected p50_us/p99_us, and the
    # share of requests that left a whole gap or more after they were due.
    # Flow families: Jain's index of the bytes the flows carried, and the slowest and fastest flow.
    "fairness_jain": (True, "", 1.0),
    "flow_min_bytes_per_second": (True, "Gbit/s", 8e-9),
    "flow_max_bytes_per_second": (True, "Gbit/s", 8e-9),
    "flow_min_items_per_second": (True, "/s", 1.0),  # request/response over many flows: transactions
    "flow_max_items_per_second": (True, "/s", 1.0),
    "offered_per_second": (True, "/s", 1.0),
    "max_rate_per_second": (True, "/s", 1.0),
    "p50_uncorrected_us": (False, "µs", 1.0),
    "p99_uncorrected_us": (False, "µs", 1.0),
    "late_ratio": (False, "", 1.0),
    "loss_ratio": (False, "", 1.0),
    "items_per_cpu_second": (True, "/CPU s", 1.0),  # connections per CPU second of both ends
    "zerocopy_copied_share": (False, "", 1.0),  # MSG_ZEROCOPY sends the kernel copied after all
    "datagrams_per_call": (True, "", 1.0),  # a fast path's batch or segment count: what it is, not a score
    "cpu_ns_per_datagram": (False, "ns", 1.0),
    "peer_cpu_ns_per_datagram": (False, "ns", 1.0),
    "real_time": (False, "ns", 1.0),
    "cpu_time": (False, "ns", 1.0),  # the measuring thread's CPU per operation
}
# The newest bench.json format socklab-bench writes (schemas/bench.schema.json); 1 was Google
# Benchmark's own output with positional names ("tcp_stream/socklab/4096/real_time").
BENCH_SCHEMA_VERSION = 2


def higher_is_better(metric):
    return METRICS.get(metric, (False,))[0]


def headline_metric(metrics):
    """The one number a benchmark is judged by: p50 latency for ping-pong, bytes/s for throughput,
    items/s for rates, else the time per iteration. socklab-bench names it in each summary of
    schema 2 (Benchmark.headline uses that); this rule is for files without one (schema 1, peers)."""
    for m in ("p50_us", "bytes_per_second", "items_per_second"):
        if m in metrics:
            return m
    return "real_time"


def _dimensions(size, params):
    return ("" if size is None else f"/size:{size}") + "".join(f"/{k}:{v}" for k, v in (params or {}).items())


def bench_name(family, impl, size=None, params=None):
    """The one spelling of a benchmark's name: "tcp_stream/socklab/size:4096", "tcp_connect/raw",
    "tcp_rr_open/raw/size:64/load:50" (params in the order socklab-bench writes them)."""
    return f"{family}/{impl}" + _dimensions(size, params)


def bench_key(family, size=None, params=None):
    """What the implementations of one benchmark share: "tcp_stream/size:4096"."""
    return family + _dimensions(size, params)


@dataclass
class Benchmark:
    """One benchmark's repetitions, with its parts (from the row's fields, or, in a file of schema 1,
    from the name) and, from schema 2 on, socklab-bench's own summary of it."""
    name: str
    family: str
    impl: str
    size: int | None
    params: dict = field(default_factory=dict)   # further dimensions: {"load": 50}, {"flows": 64, ...}
    samples: dict = field(default_factory=dict)  # metric -> [value per repetition]
    rounds: list = field(default_factory=list)   # per repetition: the round it ran in (None: unknown)
    errors: list = field(default_factory=list)   # error messages of repetitions that failed
    summary: dict = field(default_factory=dict)  # median, ci_low, ci_high, settled, costs ... (schema 2)

    @property
    def key(self):
        """The name without the implementation: what socklab, raw, iperf3 and sockperf rows share."""
        return bench_key(self.family, self.size, self.params)

    def by_round(self, metric=None):
        """{round: value} of a metric, for pairing with a twin measured in the same rounds."""
        metric = metric or self.headline
        return {r: v for r, v in zip(self.rounds, self.samples.get(metric, [])) if r is not None}

    @property
    def headline(self):
        named = self.summary.get("metric")
        return named if named in self.samples else headline_metric(self.samples)

    def median(self, metric=None):
        values = self.samples.get(metric or self.headline, [])
        return statistics.median(values) if values else math.nan

    def spread(self, metric=None):
        """(min, max) of the repetitions."""
        values = self.samples.get(metric or self.headline, [])
        return (min(values), max(values)) if values else (math.nan, math.nan)

    def cv(self, metric=None):
        """Coefficient of variation across repetitions (stdev / mean), NaN with fewer than two."""
        values = self.samples.get(metric or self.headline, [])
        if len(values) < 2 or statistics.fmean(values) == 0:
            return math.nan
        return statistics.stdev(values) / statistics.fmean(values)


def split_name(name):
    """(family, implementation, size, params) of a name: "tcp_stream/socklab/size:4096" or
    "tcp_rr_open/raw/size:64/load:50" (schema 2), or the positional "tcp_stream/socklab/4096/real_time"
    of schema 1; any other Google Benchmark name keeps its whole name as the family and has no
    implementation."""
    parts = [p for p in name.split("/") if p != "real_time" and not p.startswith(("repeats:", "min_time:"))]
    if len(parts) >= 2 and parts[1].isidentifier():
        size, params = None, {}
        if len(parts) >= 3:
            text = parts[2].removeprefix("size:")
            size = int(text) if text.isdigit() else None
        for part in parts[3:]:
            key, _, value = part.partition(":")
            if key.isidentifier() and value.isdigit():
                params[key] = int(value)
        return parts[0], parts[1], size, params
    return "/".join(parts) or name, "", None, {}


def _integer(v):
    return isinstance(v, int) and not isinstance(v, bool)


def row_identity(row, name=None):
    """A row's parts (family, implementation, size, params): its own fields when it has them
    (schema 2), else read from its name."""
    name = name or row.get("run_name") or row.get("name") or ""
    family, impl, size, params = split_name(name)
    if isinstance(row.get("family"), str) and isinstance(row.get("implementation"), str):
        family, impl = row["family"], row["implementation"]
        size = row["size"] if _integer(row.get("size")) else None
        given = row.get("params")
        params = {k: v for k, v in given.items() if _integer(v)} if isinstance(given, dict) else {}
    return family, impl, size, params


@dataclass
class BenchRun:
    path: str
    context: dict
    benchmarks: dict  # name -> Benchmark, in first-seen order
    extra: dict       # socklab's own section (overhead table, peers)

    @property
    def schema_version(self):
        v = self.extra.get("schema_version", 1)
        return v if isinstance(v, int) and not isinstance(v, bool) else 1


@dataclass
class ConformanceRun:
    path: str
    context: dict
    implementation: str
    behaviours: list  # the report's behaviour entries (id, group, statement, status, observed, ...)
    summary: dict


def read_json(path):
    """The parsed JSON of a file; InputError naming the file for every way that can fail."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a JSON file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read it ({e.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not text (not UTF-8)") from None
    if not text.strip():
        raise InputError(f"{path}: empty file")
    try:
        return json.loads(text, parse_constant=lambda c: None)  # Google Benchmark writes NaN/Infinity
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not valid JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply") from None


def _number(v):
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:  # an integer beyond any float (JSON allows 400 digits): no measurement
        return False


def _bench(path, doc):
    rows = doc["benchmarks"]
    if not isinstance(rows, list):
        raise InputError(f"{path}: 'benchmarks' is not a list")
    if not isinstance(doc.get("context", {}), dict):
        raise InputError(f"{path}: 'context' is not an object")
    benchmarks = {}
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            raise InputError(f"{path}: benchmark #{i} has no name")
        if row.get("run_type", "iteration") != "iteration":
            continue  # aggregates are recomputed from the repetitions
        name = row.get("run_name") if isinstance(row.get("run_name"), str) else row["name"]
        if name not in benchmarks:
            benchmarks[name] = Benchmark(name, *row_identity(row, name))
        b = benchmarks[name]
        if row.get("error_occurred"):
            b.errors.append(str(row.get("error_message", "error")))
            continue
        # Metrics a repetition lacks leave gaps: rounds are kept for the headline's samples.
        for metric, value in row.items():
            if metric in METRICS and _number(value):
                b.samples.setdefault(metric, []).append(float(value))
        b.rounds.append(row["round"] if isinstance(row.get("round"), int) else None)
    if not benchmarks:
        raise InputError(f"{path}: no benchmark results (the 'benchmarks' list has no repetitions)")
    impl_rank = {"socklab": 0, "raw": 1, "iperf3": 2, "sockperf": 3}
    benchmarks = dict(sorted(benchmarks.items(), key=lambda kv: (kv[1].family, kv[1].size or 0,
                                                                 sorted(kv[1].params.items()),
                                                                 impl_rank.get(kv[1].impl, 9), kv[0])))
    extra = doc.get("socklab") if isinstance(doc.get("socklab"), dict) else {}
    _check_overhead(path, extra.get("overhead", []))
    summary = extra.get("summary", [])
    if not isinstance(summary, list) or not all(isinstance(r, dict) and isinstance(r.get("name"), str) for r in summary):
        raise InputError(f"{path}: socklab.summary is not a list of rows with names")
    for row in summary:
        if row["name"] in benchmarks:
            benchmarks[row["name"]].summary = row
    return BenchRun(path, doc.get("context", {}), benchmarks, extra)


def _check_overhead(path, table):
    """socklab's overhead table: rows of benchmark, metric and a ratio (null when not measurable)."""
    if not isinstance(table, list):
        raise InputError(f"{path}: socklab.overhead is not a list")
    for i, row in enumerate(table):
        if not (isinstance(row, dict) and isinstance(row.get("benchmark"), str) and isinstance(row.get("metric"), str)
                and (row.get("ratio") is None or _number(row.get("ratio")))):
            raise InputError(f"{path}: socklab.overhead row #{i} needs a benchmark, a metric and a numeric ratio")


STATUSES = ("pass", "fail", "skip", "not-applicable", "not-run")


def _conformance(path, doc):
    rows, summary = doc.get("behaviours"), doc.get("summary", {})
    if not isinstance(rows, list) or not isinstance(summary, dict):
        raise InputError(f"{path}: 'behaviours' is not a list")
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not isinstance(row.get("id"), str) or row.get("status") not in STATUSES:
            raise InputError(f"{path}: behaviour #{i} lacks an id or a known status")
        if not isinstance(row.get("observed", {}), dict):
            raise InputError(f"{path}: behaviour {row['id']}: 'observed' is not an object")
    if not rows:
        raise InputError(f"{path}: the conformance report lists no behaviours")
    context = doc.get("context") if isinstance(doc.get("context"), dict) else {}
    return ConformanceRun(path, context, str(doc.get("implementation", "socklab")), rows, summary)


@dataclass
class PlatformsMatrix:
    """A behaviour x platform matrix (platforms.json of ./socklab conform --platforms)."""
    path: str
    doc: dict


def load(path, matrix=False):
    """A BenchRun or a ConformanceRun, by the file's shape; with `matrix`, a PlatformsMatrix too."""
    doc = read_json(path)
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not a JSON object (socklab results are objects)")
    if doc.get("schema") == "socklab-platforms":
        if not matrix:
            raise InputError(f"{path}: a behaviour x platform matrix (platforms.json): the report reads it, not this")
        schemas.check(doc, "platforms", path)
        return PlatformsMatrix(path, doc)
    if doc.get("schema") == "socklab-conformance-report" or "behaviours" in doc:
        if "schema" in doc:  # what says it is a conformance report must be one
            schemas.check(doc, "conformance", path)
        return _conformance(path, doc)
    if "benchmarks" in doc:
        version = doc["socklab"].get("schema_version", 1) if isinstance(doc.get("socklab"), dict) else 1
        if version not in (1, BENCH_SCHEMA_VERSION):
            raise InputError(f"{path}: bench.json schema {version!r}; this reader knows 1 to {BENCH_SCHEMA_VERSION}")
        if version == BENCH_SCHEMA_VERSION:  # schema 1 was Google Benchmark's own output, read by its shape
            schemas.check(doc, "bench", path)
        return _bench(path, doc)
    raise InputError(f"{path}: unknown JSON shape (neither benchmark results nor a conformance report)")


def load_bench(path):
    run = load(path)
    if not isinstance(run, BenchRun):
        raise InputError(f"{path}: a conformance report where benchmark results were expected")
    return run


def measured_values(catalog_path=CATALOG):
    """{behaviour ID: the observed values the catalog marks as measured}: timings, ports and fill
    levels, which vary from run to run and are shown, never compared."""
    catalog = read_json(catalog_path)
    return {e["id"]: set(e.get("measured", [])) for e in catalog.get("behaviours", []) if isinstance(e, dict)}


def load_conformance(path):
    run = load(path)
    if not isinstance(run, ConformanceRun):
        raise InputError(f"{path}: benchmark results where a conformance report was expected")
    return run


def run_label(context, path):
    """A short name for a run from its context: OS, kernel, host and commit."""
    ctx = context or {}
    parts = [str(ctx[k]) for k in ("os", "kernel", "host_name") if ctx.get(k)]
    if ctx.get("socklab_commit"):
        parts.append("@" + str(ctx["socklab_commit"])[:7])
    if ctx.get("path") == "remote":  # a cross-host run: name the far end too
        peer = ctx.get("peer_context") if isinstance(ctx.get("peer_context"), dict) else {}
        parts.append(f"→ {peer.get('host_name') or ctx.get('peer_address') or 'remote peer'}"
                     + (f" ({ctx['peer_address']})" if peer.get("host_name") and ctx.get("peer_address") else ""))
    return " ".join(parts) or os.path.basename(path)


def comparable(a, b):
    """Differences between two runs' contexts that make their numbers incomparable ([] if none)."""
    keys = ("host_name", "cpu_model", "num_cpus", "build_type", "library_build_type", "placement_effective",
            "peer_mode", "tcp_congestion", "profile")
    return [f"{k}: {a.get(k)!r} vs {b.get(k)!r}" for k in keys if a.get(k) != b.get(k)]


def finite(value):
    """`value` with every NaN or infinity (nested in dicts and lists) as None: JSON has neither,
    and Python's json would write the bare NaN that strict readers (jq, JavaScript) refuse."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def json_text(doc, indent=1):
    """The one way socklab's Python writes a JSON document: non-finite numbers as null, a final
    newline."""
    return json.dumps(finite(doc), indent=indent, allow_nan=False) + "\n"


def write_atomically(path, text):
    """Replaces `path` with `text` in one step: a reader never sees a half-written file, and a
    failure leaves the old one."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".socklab-")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; a result file is as readable as any other
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
