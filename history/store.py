"""The results history: every run's benchmark repetitions and conformance outcomes with the context
that makes runs comparable (commit, date, machine, kernel, placement, profile), in one SQLite file.
A run is added in one transaction and named by a digest of its own context, so adding it again
changes nothing and a failure leaves nothing half-written. The file carries its schema version;
an older one is migrated in place (in one transaction) when opened, a newer or foreign one refused."""
import contextlib
import hashlib
import json
import pathlib
import sqlite3
import statistics
from datetime import datetime, timezone

from common.errors import InputError
from common.results import BenchRun, load

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
    """A history that cannot be used (corrupt, foreign, locked, from a newer socklab); one line."""


def _fail(db, what):
    raise HistoryError(f"{db}: {what}") from None


class History:
    """An open history. Use as a context manager; every change is one transaction."""

    def __init__(self, db, create=True, timeout=5.0):
        self.db = str(db)
        self.timeout = timeout
        path = pathlib.Path(self.db)
        if not path.exists() and not create:
            _fail(self.db, "no such history")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.db, timeout=timeout, isolation_level=None)
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._ready()
        except HistoryError:
            self._close_quietly()
            raise
        except sqlite3.DatabaseError as e:
            self._close_quietly()
            if "locked" in str(e) or "busy" in str(e):
                self._locked()
            _fail(self.db, f"not a socklab history ({e})")
        except OSError as e:
            _fail(self.db, f"cannot open it ({e.strerror})")

    def _locked(self):
        _fail(self.db, f"the history is locked by another writer (waited {self.timeout:g} s)")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.conn.close()

    def _close_quietly(self):
        conn = getattr(self, "conn", None)
        if conn is not None:
            conn.close()

    def _ready(self):
        """Creates an empty file's tables, or migrates an older schema; refuses what is not ours."""
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            self._run_all(_CREATE_V1 + [s for v in sorted(_MIGRATIONS) for s in _MIGRATIONS[v]])
            return
        if "meta" not in tables:
            _fail(self.db, "not a socklab history (a database without socklab's tables)")
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row and str(row[0]).isdigit() else None
        if version is None:
            _fail(self.db, "not a socklab history (no schema version)")
        if version > SCHEMA_VERSION:
            _fail(self.db, f"history schema {version} is newer than this socklab reads (1 to {SCHEMA_VERSION})")
        steps = [s for v in range(version + 1, SCHEMA_VERSION + 1) for s in _MIGRATIONS[v]]
        if steps:
            self._run_all(steps)

    def _run_all(self, statements):
        """Creates or migrates the tables in one transaction, which ends at this schema version."""
        with self._writing() as cur:
            for s in statements + [f"UPDATE meta SET value = '{SCHEMA_VERSION}' WHERE key = 'schema_version'"]:
                cur.execute(s)

    @contextlib.contextmanager
    def _writing(self):
        """One transaction: committed when the block ends, rolled back (nothing kept) if it raises."""
        cur = self.conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            self._locked()
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    @property
    def version(self):
        return int(self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])

    def add(self, files, machine=None, commit=None):
        """Records one run made of `files` (its bench.json and/or conformance.json). Returns
        (run_id, added): added is False when the run was there already."""
        runs = [load(str(f)) for f in files]
        context = next((r.context for r in runs if isinstance(r, BenchRun)), None) or runs[0].context
        if not context:
            raise InputError(f"{files[0]}: the run has no context (commit, date, machine) to be kept by")
        run_id = hashlib.sha256(json.dumps(context, sort_keys=True, default=str).encode()).hexdigest()[:20]
        record = (run_id, str(commit or context.get("socklab_commit", "unknown")),
                  str(context.get("date", "")), str(machine or context.get("host_name", "unknown")),
                  str(context.get("kernel", "")), str(context.get("placement", "")),
                  str(context.get("profile", "")), ",".join(str(f) for f in files),
                  datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  json.dumps({k: context.get(k) for k in CONFIG_KEYS}, sort_keys=True))
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
        try:
            with self._writing() as cur:
                if cur.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
                    return run_id, False
                cur.execute("""INSERT INTO runs (run_id, commit_id, date, machine, kernel, placement, profile, source,
                               added, config) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", record)
                cur.executemany("""INSERT INTO samples (run_id, benchmark, family, impl, size, params, metric,
                                   repetition, value, headline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", samples)
                cur.executemany("INSERT OR IGNORE INTO outcomes VALUES (?, ?, ?, ?)", outcomes)
        except sqlite3.DatabaseError as e:
            _fail(self.db, f"run {run_id} not added, nothing written ({e})")
        return run_id, True

    def runs(self):
        cols = ("run_id", "commit_id", "date", "machine", "kernel", "placement", "profile", "config")
        return [dict(zip(cols, r)) for r in
                self.conn.execute(f"SELECT {', '.join(cols)} FROM runs ORDER BY date, run_id")]

    def series(self, benchmark_like=None, machine=None, since=None):
        """{(benchmark, metric, machine, config): [(date, commit, run_id, median)]} in run order: each
        run's median of the benchmark's headline metric."""
        sql = """SELECT s.benchmark, s.metric, r.machine, r.config, r.date, r.commit_id, r.run_id, s.value
                 FROM samples s JOIN runs r ON r.run_id = s.run_id WHERE s.headline = 1"""
        args = []
        if machine:
            sql += " AND r.machine = ?"
            args.append(machine)
        if since:
            sql += " AND r.date >= ?"
            args.append(since)
        values = {}
        for bench, metric, mach, config, date, commit, run_id, v in self.conn.execute(sql, args):
            if benchmark_like and not benchmark_like(bench):
                continue
            values.setdefault((bench, metric, mach, config), {}).setdefault((date, run_id, commit), []).append(v)
        return {key: [(date, commit, run_id, statistics.median(vs)) for (date, run_id, commit), vs in sorted(by_run.items())]
                for key, by_run in values.items()}
