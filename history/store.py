"""The results history: every run's benchmark repetitions and conformance outcomes with the context
that makes runs comparable (commit, date, machine, kernel, placement, profile), in a SQLite file or
a PostgreSQL database that several machines write to (history.backends). A run is added in one
transaction, holding the writers' lock, and named by a digest of its own context, so adding it
again (or two writers adding it at once) changes nothing and a failure leaves nothing
half-written. The database carries its schema version; an older one is migrated in place (in one
transaction) when opened, a newer or foreign one refused."""
import contextlib
from dataclasses import dataclass
import hashlib
import json
import pathlib
from datetime import datetime, timezone

from common.errors import InputError
from common.results import BenchRun, load
from history import backends

SCHEMA_VERSION = 2

# Version 1 kept benchmark repetitions only; version 2 added conformance outcomes and the run's
# configuration (what must match for two runs to be compared). Each step takes the file from the
# version before it.
_CREATE_V1 = [
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE runs (run_id TEXT PRIMARY KEY, commit_id TEXT NOT NULL, date TEXT NOT NULL,
       machine TEXT NOT NULL, kernel TEXT NOT NULL, placement TEXT NOT NULL, profile TEXT NOT NULL,
       source TEXT NOT NULL, added TEXT NOT NULL)""",
    """CREATE TABLE samples (run_id TEXT NOT NULL REFERENCES runs(run_id), benchmark TEXT NOT NULL,
       family TEXT NOT NULL, impl TEXT NOT NULL, size INTEGER, params TEXT NOT NULL, metric TEXT NOT NULL,
       repetition INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (run_id, benchmark, metric, repetition))""",
    "INSERT INTO meta (key, value) VALUES ('schema_version', '1')",
]
_MIGRATIONS = {
    2: ["ALTER TABLE runs ADD COLUMN config TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE samples ADD COLUMN headline INTEGER NOT NULL DEFAULT 0",
        # Version 1 did not say which metric a benchmark is judged by: the rule for files without one.
        """UPDATE samples SET headline = 1 WHERE metric = (
             SELECT m FROM (SELECT 'p50_us' AS m, 1 AS k UNION SELECT 'bytes_per_second', 2
                            UNION SELECT 'items_per_second', 3) AS rule
             WHERE m IN (SELECT metric FROM samples AS o WHERE o.run_id = samples.run_id
                         AND o.benchmark = samples.benchmark) ORDER BY k LIMIT 1)""",
        """CREATE TABLE outcomes (run_id TEXT NOT NULL REFERENCES runs(run_id), behaviour TEXT NOT NULL,
           implementation TEXT NOT NULL, status TEXT NOT NULL, PRIMARY KEY (run_id, behaviour, implementation))""",
        "CREATE INDEX samples_by_benchmark ON samples (benchmark, headline)"],
}
# What must match for two runs of one machine to be compared (beside the benchmark itself).
CONFIG_KEYS = ("placement", "profile", "tcp_congestion", "peer_mode", "path", "build_type")


class HistoryError(InputError):
    """A history that cannot be used (corrupt, foreign, locked, unreachable, from a newer socklab); one line."""


def _fail(db, what):
    raise HistoryError(f"{db}: {what}") from None


class History:
    """An open history: a SQLite file, or a PostgreSQL server's database given as postgresql://...
    Use as a context manager; every change is one transaction."""

    def __init__(self, db, create=True, timeout=5.0):
        self.db = backends.shown(db)
        self.timeout = timeout
        self.create = create
        if not backends.is_server(db):
            path = pathlib.Path(db)
            if not path.exists() and not create:
                _fail(self.db, "no such history")
            if path.is_dir():
                _fail(self.db, "a folder, not a history file")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                _fail(self.db, f"cannot create its folder ({e.strerror})")
        self.backend = None
        try:
            self.backend = backends.open_backend(db, timeout)
            self._ready()
        except HistoryError:
            self.close()
            raise
        except backends.Unreachable as e:
            _fail(self.db, str(e))
        except Exception as e:
            if self.backend is None or not isinstance(e, self.backend.errors):
                raise
            self.close()
            if self.backend.locked(e):
                self._locked()
            _fail(self.db, f"not a socklab history ({backends.first_line(e)})")

    def _locked(self):
        _fail(self.db, f"the history is locked by another writer (waited {self.timeout:g} s)")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.backend is not None:
            self.backend.conn.close()

    def query(self, sql, args=()):
        """The rows of one read (placeholders written ?)."""
        cur = self.backend.conn.cursor()
        cur.execute(self.backend.sql(sql), args)
        return cur.fetchall()

    def _schema_version(self, cur):
        """The history's schema version, None for an empty database; refuses what is not ours."""
        tables = self.backend.tables(cur)
        if not tables:
            return None
        if "meta" not in tables:
            _fail(self.db, "not a socklab history (a database without socklab's tables)")
        cur.execute("SELECT value FROM meta WHERE key = 'schema_version'")
        row = cur.fetchone()
        if not (row and str(row[0]).isdigit()):
            _fail(self.db, "not a socklab history (no schema version)")
        version = int(row[0])
        if version > SCHEMA_VERSION:
            _fail(self.db, f"history schema {version} is newer than this socklab reads (1 to {SCHEMA_VERSION})")
        return version

    def _ready(self):
        """Creates an empty database's tables, or migrates an older schema, in one transaction
        that ends at this schema version."""
        version = self._schema_version(self.backend.conn.cursor())
        if version == SCHEMA_VERSION:
            return
        if version is None and not self.create:
            _fail(self.db, "an empty database, not a history yet (history add makes one)")
        with self._writing() as cur:
            version = self._schema_version(cur)  # again, holding the lock: another writer may have done it
            if version == SCHEMA_VERSION:
                return
            steps = list(_CREATE_V1) if version is None else []
            steps += [s for v in range((version or 1) + 1, SCHEMA_VERSION + 1) for s in _MIGRATIONS[v]]
            for s in steps + [f"UPDATE meta SET value = '{SCHEMA_VERSION}' WHERE key = 'schema_version'"]:
                cur.execute(self.backend.sql(s))

    @contextlib.contextmanager
    def _writing(self):
        """One transaction, holding the writers' lock: committed when the block ends, rolled back
        (nothing kept) if it raises."""
        cur = self.backend.conn.cursor()
        try:
            self.backend.begin(cur)
        except backends.Locked:
            self._locked()
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    @property
    def version(self):
        return int(self.query("SELECT value FROM meta WHERE key = 'schema_version'")[0][0])

    @staticmethod
    def run_id_of(context, machine=None, commit=None):
        """The run's name: a digest of its context. A name given instead of the run's own is part of
        what the run is: the same files kept for another machine are another run."""
        identity = dict(context, **{f"kept_as_{k}": v for k, v in (("machine", machine), ("commit", commit)) if v})
        return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:20]

    @staticmethod
    def config_of(context):
        """What must match, beside the machine, for two runs to be compared (JSON)."""
        return json.dumps({k: context.get(k) for k in CONFIG_KEYS}, sort_keys=True)

    def add(self, files, machine=None, commit=None):
        """Records one run made of `files` (its bench.json and/or conformance.json). Returns
        (run_id, added): added is False when the run was there already."""
        return self.keep(read_run(files, machine, commit))

    def keep(self, run):
        """Records a run read by read_run; (run_id, added) as add."""
        sql = self.backend.sql
        try:
            with self._writing() as cur:
                cur.execute(sql("SELECT 1 FROM runs WHERE run_id = ?"), (run.run_id,))
                if cur.fetchone():
                    return run.run_id, False
                cur.execute(sql("""INSERT INTO runs (run_id, commit_id, date, machine, kernel, placement, profile,
                                   source, added, config) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""), run.record)
                self.backend.insert_many(cur, sql("""INSERT INTO samples (run_id, benchmark, family, impl, size, params,
                                         metric, repetition, value, headline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""),
                                         run.samples)
                # a behaviour reported twice by one implementation is kept once
                self.backend.insert_many(cur, sql("INSERT INTO outcomes VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"),
                                         run.outcomes)
        except self.backend.errors as e:
            if self.backend.locked(e):
                self._locked()
            _fail(self.db, f"run {run.run_id} not added, nothing written ({backends.first_line(e)})")
        return run.run_id, True

    def runs(self):
        cols = ("run_id", "commit_id", "date", "machine", "kernel", "placement", "profile", "config")
        return [dict(zip(cols, r)) for r in
                self.query(f"SELECT {', '.join(cols)} FROM runs ORDER BY date, run_id")]

    def series(self, benchmark_like=None, machine=None, since=None):
        """{(benchmark, metric, machine, config): [(date, commit, run_id, [repetitions])]} in run
        order: each run's repetitions of the benchmark's headline metric."""
        sql = """SELECT s.benchmark, s.metric, r.machine, r.config, r.date, r.commit_id, r.run_id, s.value
                 FROM samples s JOIN runs r ON r.run_id = s.run_id WHERE s.headline = 1"""
        args = []
        if machine:
            sql += " AND r.machine = ?"
            args.append(machine)
        if since:
            sql += " AND r.date >= ?"
            args.append(since)
        sql += " ORDER BY s.repetition"
        values = {}
        for bench, metric, mach, config, date, commit, run_id, v in self.query(sql, args):
            if benchmark_like and not benchmark_like(bench):
                continue
            values.setdefault((bench, metric, mach, config), {}).setdefault((date, run_id, commit), []).append(v)
        return {key: [(date, commit, run_id, vs) for (date, run_id, commit), vs in sorted(by_run.items())]
                for key, by_run in values.items()}


@dataclass
class Run:
    """A run read from its files, ready to be kept: its name, its row in `runs`, its samples and
    its conformance outcomes."""
    run_id: str
    record: tuple
    samples: list
    outcomes: list


def read_run(files, machine=None, commit=None):
    """Reads and checks a run's result files (nothing is written): the Run to keep."""
    runs = [load(str(f)) for f in files]
    context = next((r.context for r in runs if isinstance(r, BenchRun)), None) or runs[0].context
    if not context:
        raise InputError(f"{files[0]}: the run has no context (commit, date, machine) to be kept by")
    run_id = History.run_id_of(context, machine, commit)
    record = (run_id, str(commit or context.get("socklab_commit", "unknown")),
              str(context.get("date", "")), str(machine or context.get("host_name", "unknown")),
              str(context.get("kernel", "")), str(context.get("placement", "")),
              str(context.get("profile", "")), ",".join(str(f) for f in files),
              datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), History.config_of(context))
    samples, outcomes = [], []
    for r in runs:
        if isinstance(r, BenchRun):
            for b in r.benchmarks.values():
                params = json.dumps(b.params, sort_keys=True)
                for metric, values in b.samples.items():
                    samples += [(run_id, b.name, b.family, b.impl, b.size, params, metric, i, v,
                                 int(metric == b.headline)) for i, v in enumerate(values)]
        else:
            outcomes += [(run_id, row["id"], r.implementation, row["status"]) for row in r.behaviours]
    return Run(run_id, record, samples, outcomes)
