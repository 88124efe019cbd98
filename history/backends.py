"""The two databases a history lives in, behind one small interface: a SQLite file (the default,
Python's standard sqlite3) or a PostgreSQL server shared by several machines (Debian's
python3-psycopg2). The store writes one SQL for both; a backend opens the connection, translates
what differs (placeholders, a float's type), lists the tables, takes the writers' lock at the start
of each transaction and says what its errors mean."""
import re
import sqlite3
import urllib.parse

# Any constant: the key of the advisory lock that PostgreSQL writers of one history take in turn.
WRITERS_LOCK = 0x50C31AB


class Locked(Exception):
    """The writers' lock was not had within the wait."""


class Unreachable(Exception):
    """The database could not be opened or reached; str() says why."""


class Sqlite:
    errors = (sqlite3.DatabaseError,)

    def __init__(self, path, timeout):
        self.timeout = timeout
        try:
            self.conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        except sqlite3.Error as e:
            raise Unreachable(f"cannot open it ({first_line(e)})") from None
        self.conn.execute("PRAGMA foreign_keys = ON")

    @staticmethod
    def sql(statement):
        return statement

    def tables(self, cur):
        return {r[0] for r in cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def begin(self, cur):
        # IMMEDIATE takes the file's write lock now, waiting up to the timeout, not at the first write.
        try:
            cur.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise Locked() from e

    @staticmethod
    def locked(error):
        return "locked" in str(error) or "busy" in str(error)

    @staticmethod
    def insert_many(cur, statement, rows):
        cur.executemany(statement, rows)


class Postgres:
    def __init__(self, url, timeout):
        try:
            import psycopg2
        except ImportError:
            raise Unreachable("a PostgreSQL history needs Python's psycopg2 (Debian's python3-psycopg2)") from None
        self.psycopg2 = psycopg2
        self.errors = (psycopg2.Error,)
        self.timeout = timeout
        try:
            self.conn = psycopg2.connect(url, connect_timeout=max(1, round(timeout)))
        except psycopg2.Error as e:
            raise Unreachable(f"cannot reach the server ({first_line(e)})") from None
        # Transactions are begun and ended by the store, as with SQLite.
        self.conn.autocommit = True

    @staticmethod
    def sql(statement):
        # REAL is a 4-byte float in PostgreSQL (8 bytes in SQLite); placeholders are %s.
        return re.sub(r"\bREAL\b", "DOUBLE PRECISION", statement).replace("?", "%s")

    def tables(self, cur):
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        return {r[0] for r in cur.fetchall()}

    def begin(self, cur):
        # Writers take turns, as SQLite's do: the run-is-there check and the insert are then one step.
        cur.execute("BEGIN")
        cur.execute(f"SET LOCAL lock_timeout = {int(self.timeout * 1000)}")
        try:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (WRITERS_LOCK,))
        except self.psycopg2.errors.LockNotAvailable as e:
            cur.execute("ROLLBACK")
            raise Locked() from e

    def locked(self, error):
        return isinstance(error, self.psycopg2.errors.LockNotAvailable)

    @staticmethod
    def insert_many(cur, statement, rows):
        # executemany would be one round trip per row: a run's thousands of samples go in pages.
        from psycopg2.extras import execute_batch
        execute_batch(cur, statement, rows, page_size=1000)


def first_line(error):
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def is_server(db):
    return str(db).startswith(("postgresql://", "postgres://"))


def shown(db):
    """The database's name for messages: a server's address without its password."""
    if not is_server(db):
        return str(db)
    parts = urllib.parse.urlsplit(str(db))
    if parts.password is None:
        return str(db)
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def open_backend(db, timeout):
    return Postgres(str(db), timeout) if is_server(db) else Sqlite(str(db), timeout)
