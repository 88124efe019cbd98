"""Where the history tests keep their history: `db` is a fresh one in each backend, a SQLite file
and a database of a throw-away PostgreSQL server (started once for the session)."""
import itertools

import pytest

from history.tests.postgres_server import Server

_names = itertools.count()


@pytest.fixture(scope="session")
def postgres_server():
    server = Server()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "h.sqlite")
    return request.getfixturevalue("postgres_server").new_database(f"history_{next(_names)}")
