"""Several writers on one history: runs added at the same time by two processes are all kept, each
once, in a SQLite file and on a PostgreSQL server; a server that cannot be reached, a foreign
database and a held writers' lock are each refused with one line."""
import subprocess
import sys

import pytest

from history.cli import main
from history.backends import WRITERS_LOCK
from history.store import History, HistoryError
from history.tests.test_store import bench_file

RUNS_EACH, SHARED, REPS = 24, 16, 40


def test_two_writers_at_once_lose_and_duplicate_nothing(tmp_path, db):
    # Both writers start with the same runs, in the same order, then add some of their own: the one
    # behind skips what the other added, catches up and then races it for the same run.
    runs = {r: bench_file(tmp_path / f"run{r}", r, reps=REPS).parent for r in range(2 * RUNS_EACH - SHARED)}
    shared = list(range(SHARED))
    mine = {"a": shared + list(range(SHARED, RUNS_EACH)), "b": shared + list(range(RUNS_EACH, 2 * RUNS_EACH - SHARED))}
    History(db).close()  # created first, so that the writers race on runs, not on making the tables
    writers = {w: subprocess.Popen([sys.executable, "-m", "history.cli", "add", "--db", db,
                                    *(str(runs[r]) for r in rs)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True) for w, rs in mine.items()}
    out = {}
    try:
        for w, proc in writers.items():
            out[w] = proc.communicate(timeout=120)
    finally:
        for proc in writers.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    assert all(writers[w].returncode == 0 for w in writers), out
    # each shared run was added by exactly one writer and found there by the other
    for r in shared:
        verdicts = sorted(line.split(": ")[2].split(" as ")[0] for stdout, _ in out.values()
                          for line in stdout.splitlines() if line.startswith(f"socklab history: {runs[r]}: "))
        assert verdicts == ["added", "already there"], (r, out)
    with History(db) as h:
        assert len(h.runs()) == len(runs)
        assert h.query("SELECT COUNT(*) FROM samples")[0][0] == len(runs) * 2 * REPS * 3
        per_run = h.query("SELECT run_id, COUNT(*) FROM samples GROUP BY run_id")
        assert {n for _, n in per_run} == {2 * REPS * 3}


def test_a_server_that_cannot_be_reached_is_one_line_and_exit_2(tmp_path, capsys):
    pytest.importorskip("psycopg2", reason="Python's psycopg2 is missing (Debian's python3-psycopg2)")
    url = f"postgresql://socklab:secret@/history?host={tmp_path}/nowhere&port=5432"
    assert main(["add", "--db", url, str(bench_file(tmp_path / "r", 1))]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "cannot reach the server" in err, err
    assert "secret" not in err  # the password is not shown


def test_a_foreign_database_on_the_server_is_refused_and_left_as_it_was(postgres_server):
    url = postgres_server.new_database("foreign")
    import psycopg2
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE other (x INTEGER)")
    with pytest.raises(HistoryError, match="without socklab's tables"):
        History(url)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        assert cur.fetchall() == [("other",)]


def test_a_writer_waits_for_the_lock_and_then_gives_up_with_one_line(tmp_path, postgres_server):
    url = postgres_server.new_database("locked")
    History(url).close()
    import psycopg2
    holder = psycopg2.connect(url)
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (WRITERS_LOCK,))  # another writer's transaction
        with pytest.raises(HistoryError, match="locked by another writer"), History(url, timeout=0.3) as h:
            h.add([bench_file(tmp_path / "r", 1)])
    finally:
        holder.rollback()
        holder.close()
    with History(url) as h:
        assert h.runs() == []
