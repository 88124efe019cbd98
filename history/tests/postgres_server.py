"""A throw-away PostgreSQL server for the history's tests: a cluster made by initdb in a temporary
folder, listening on a Unix socket in that folder only (no TCP at all), run as an unprivileged user
(the package's `postgres` when the tests run as root, which the server refuses to be), stopped by
its PID and removed when done. Where it cannot be had, the tests that need it skip with the reason."""
import contextlib
import glob
import importlib.util
import os
import pathlib
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

STARTUP_SECONDS = 30
PORT = 5432  # names the socket file in the private folder; nothing listens on a TCP port


def _unavailable():
    """Why a server cannot be started here, or None."""
    if importlib.util.find_spec("psycopg2") is None:
        return "Python's psycopg2 is missing (Debian's python3-psycopg2)"
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        return "PostgreSQL's server is not installed (Debian's postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
    return None


class Server:
    def __init__(self):
        reason = _unavailable()
        if reason:
            pytest.skip(reason)
        self.bin = pathlib.Path(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1]).parent
        self.as_user = {}
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="socklab-pg-"))
        self.proc = None
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self.as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        self.log = self.root / "server.log"
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self):
        data = self.root / "data"
        made = subprocess.run([self.bin / "initdb", "-D", data, "-U", "socklab", "--auth=trust", "-E", "UTF8",
                               "--no-sync"], capture_output=True, text=True, timeout=120, **self.as_user)
        if made.returncode != 0:
            pytest.skip(f"initdb failed: {(made.stderr.strip().splitlines() or ['?'])[-1]}")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([self.bin / "postgres", "-D", data, "-k", self.root, "-p", str(PORT),
                                          "-c", "listen_addresses=", "-c", "fsync=off"],
                                         stdout=log, stderr=subprocess.STDOUT, **self.as_user)
        import psycopg2
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                psycopg2.connect(self.url("postgres"), connect_timeout=2).close()
                return
            except psycopg2.OperationalError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace").strip().splitlines()[-1:] or ["no log"]
                pytest.skip(f"the PostgreSQL server did not start within {STARTUP_SECONDS} s: {tail[0]}")
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=0.1)  # a bounded poll of the socket, ended early if the server exits

    def url(self, database):
        return f"postgresql://socklab@/{database}?host={self.root}&port={PORT}"

    def new_database(self, name):
        """An empty database of its own for one test; its URL."""
        import psycopg2
        conn = psycopg2.connect(self.url("postgres"))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        return self.url(name)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # the server's fast shutdown
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        shutil.rmtree(self.root, ignore_errors=True)
