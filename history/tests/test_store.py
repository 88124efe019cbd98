"""The history file: a run is kept whole with its context, once however often it is added, and
never half; an older schema is migrated and read; what is not a socklab history of this version or
older, or is locked, is refused with one line."""
import json
import sqlite3

import pytest

from history.store import _CREATE_V1, SCHEMA_VERSION, History, HistoryError


def bench_file(folder, run, value=100.0, commit="c0", reps=3, date=None, levels=None):
    """A small bench.json of one run: tcp_stream at 64 B, socklab and raw twins at `value`, or the
    {(family, impl): value} of `levels`."""
    folder.mkdir(parents=True, exist_ok=True)
    levels = levels or {("tcp_stream", impl): value for impl in ("socklab", "raw")}
    rows = [{"name": f"{family}/{impl}/size:64", "run_type": "iteration", "repetition_index": i,
             "bytes_per_second": v * (1 + 0.01 * i), "items_per_second": v / 64, "real_time": 1.0}
            for (family, impl), v in levels.items() for i in range(reps)]
    context = {"date": date or f"2026-12-01T00:{run // 60:02d}:{run % 60:02d}Z", "host_name": "vm",
               "socklab_commit": commit, "kernel": "6.18", "placement": "cross-cpu", "profile": "quick",
               "tcp_congestion": "bbr", "run": run}
    path = folder / "bench.json"
    path.write_text(json.dumps({"context": context, "benchmarks": rows}))
    return path


def conformance_file(folder):
    path = folder / "conformance.json"
    path.write_text(json.dumps({"implementation": "socklab", "context": {"host_name": "vm"},
                                "behaviours": [{"id": "TCP-01", "status": "pass"}, {"id": "UDP-02", "status": "fail"}],
                                "summary": {}}))
    return path


def count(h, table):
    return h.query(f"SELECT COUNT(*) FROM {table}")[0][0]


def test_a_run_is_kept_with_every_repetition_its_context_and_its_outcomes(tmp_path, db):
    files = [bench_file(tmp_path / "r", 1), conformance_file(tmp_path / "r")]
    with History(db) as h:
        run_id, added = h.add(files)
        assert added and h.version == SCHEMA_VERSION
        [run] = h.runs()
        assert (run["run_id"], run["commit_id"], run["machine"], run["placement"], run["profile"]) == \
            (run_id, "c0", "vm", "cross-cpu", "quick")
        assert json.loads(run["config"])["tcp_congestion"] == "bbr"
        assert count(h, "samples") == 2 * 3 * 3  # two twins, three repetitions, three metrics (with real_time)
        assert count(h, "outcomes") == 2
        series = h.series()
        assert set(series) == {(f"tcp_stream/{impl}/size:64", "bytes_per_second", "vm", run["config"])
                               for impl in ("socklab", "raw")}
        assert series[("tcp_stream/socklab/size:64", "bytes_per_second", "vm", run["config"])][0][3] == [100.0, 101.0, 102.0]


def test_adding_a_run_twice_changes_nothing(tmp_path, db):
    files = [bench_file(tmp_path / "r", 1)]
    with History(db) as h:
        first = h.add(files)
        before = [count(h, t) for t in ("runs", "samples")]
        assert h.add(files) == (first[0], False)
        assert [count(h, t) for t in ("runs", "samples")] == before


def test_a_run_that_fails_to_be_written_leaves_nothing(tmp_path):
    db = tmp_path / "h.sqlite"
    with History(db) as h:
        h.query("CREATE TRIGGER planted BEFORE INSERT ON outcomes BEGIN SELECT RAISE(ABORT, 'planted'); END")
        with pytest.raises(HistoryError, match="not added, nothing written .*planted"):
            h.add([bench_file(tmp_path / "r", 1), conformance_file(tmp_path / "r")])
        assert (count(h, "runs"), count(h, "samples")) == (0, 0)


def test_a_history_of_the_previous_schema_is_migrated_and_read(tmp_path):
    db = tmp_path / "v1.sqlite"
    conn = sqlite3.connect(db)
    for statement in _CREATE_V1:
        conn.execute(statement)
    conn.execute("INSERT INTO runs VALUES ('r1', 'c1', '2026-11-01T00:00:00Z', 'vm', '6.1', 'cross-cpu', 'quick', "
                 "'old/bench.json', '2026-11-01T00:00:00Z')")
    for i, v in enumerate((10.0, 11.0, 12.0)):
        conn.execute("INSERT INTO samples VALUES ('r1', 'udp_pingpong/socklab/size:1', 'udp_pingpong', 'socklab', 1, "
                     "'{}', 'p50_us', ?, ?)", (i, v))
        conn.execute("INSERT INTO samples VALUES ('r1', 'udp_pingpong/socklab/size:1', 'udp_pingpong', 'socklab', 1, "
                     "'{}', 'items_per_second', ?, ?)", (i, 1e5))
    conn.commit()
    conn.close()
    with History(db) as h:
        assert h.version == SCHEMA_VERSION
        assert h.runs()[0]["config"] == "{}"
        # version 1 kept no headline: the rule for files without one picks p50 for a ping-pong
        assert h.series() == {("udp_pingpong/socklab/size:1", "p50_us", "vm", "{}"):
                              [("2026-11-01T00:00:00Z", "c1", "r1", [10.0, 11.0, 12.0])]}
        h.add([bench_file(tmp_path / "new", 2)])  # and it takes new runs
        assert len(h.runs()) == 2


def test_a_newer_schema_is_refused(tmp_path):
    db = tmp_path / "h.sqlite"
    History(db).close()
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    conn.commit()
    conn.close()
    with pytest.raises(HistoryError, match=f"schema {SCHEMA_VERSION + 1} is newer"):
        History(db)


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b"\x00garbage" * 100), "not a socklab history"),
    (lambda p: sqlite3.connect(p).execute("CREATE TABLE other (x)").connection.commit(), "without socklab's tables"),
])
def test_a_corrupt_or_foreign_file_is_refused_and_left_as_it_was(tmp_path, make, message):
    db = tmp_path / "h.sqlite"
    make(db)
    before = db.read_bytes()
    with pytest.raises(HistoryError, match=message):
        History(db)
    assert db.read_bytes() == before


def test_a_locked_history_is_refused_after_its_wait(tmp_path):
    db = tmp_path / "h.sqlite"
    History(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(HistoryError, match="locked by another writer"), History(db, timeout=0.2) as h:
            h.add([bench_file(tmp_path / "r", 1)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
