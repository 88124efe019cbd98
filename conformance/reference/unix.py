# SPDX-License-Identifier: MIT
"""J. AF_UNIX (UNIX-*) through CPython's socket module."""

import errno
import os
import socket
import stat
import struct

from conformance.reference.kinds import fresh_abstract_name
from conformance.reference.support import outcome_of, scenario, socketpair, temp_dir

SUN_PATH = 108  # sizeof(sockaddr_un.sun_path) on Linux; probed below, not trusted


def abstract_namespace_available():
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.bind(f"\0socklab-ref-probe-{os.getpid()}")
        return True
    except OSError:
        return False


def max_path_length(directory):
    """The longest pathname bind() accepts, probed: CPython rejects longer ones itself."""
    longest = 0
    for n in range(len(directory) + 2, 4096):
        path = os.path.join(directory, "p" * (n - len(directory) - 1))
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            try:
                s.bind(path)
            except OSError:
                return longest
            longest = n
            os.unlink(path)
    return longest


@scenario("UNIX-01")
def path_socket_file_outlives_close(t):
    with temp_dir() as d:
        where = os.path.join(d, "node.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.bind(where)
            t.equal(s.getsockname(), where, "getsockname")
        t.require(os.path.exists(where), "the socket file is gone after close()")
        t.expect(stat.S_ISSOCK(os.stat(where).st_mode), "the file is not a socket")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as again:
            t.raises(OSError, again.bind, where, errno=errno.EADDRINUSE, what="bind to an existing file")
            os.unlink(where)
            again.bind(where)


@scenario("UNIX-02")
def path_length_limits(t):
    with temp_dir() as d:
        longest = max_path_length(d)
        t.observe("max_path_length", longest)
        t.require(longest > len(d), "no path in the temp dir could be bound")
        path = os.path.join(d, "p" * (longest - len(d) - 1))
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.bind(path)
            t.equal(s.getsockname(), path, "getsockname of the longest path")
            t.raises(OSError, s.bind, path + "p", what="a path one byte too long")
    if not abstract_namespace_available():
        return
    name = "\0" + "h" * (longest - 1) + str(os.getpid() % 10)  # with the NUL: all of sun_path
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as a, socket.socket(socket.AF_UNIX) as b:
        a.bind(name)
        t.equal(a.getsockname(), name.encode(), "an abstract name using all of sun_path")
        t.raises(OSError, b.bind, name + "h", what="an abstract name one byte too long")


@scenario("UNIX-03")
def abstract_names_are_exact_bytes(t):
    if not abstract_namespace_available():
        t.skip("no abstract AF_UNIX namespace (Linux only)")
    name = b"\0python-test-hello\0\xff" + str(os.getpid()).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s1, socket.socket(socket.AF_UNIX) as s2:
        s1.bind(name)
        s1.listen()
        s2.connect(name)
        t.equal(s1.getsockname(), name, "getsockname")
        t.equal(s2.getpeername(), name, "getpeername")
        t.expect(not os.path.exists(name[1:].split(b"\0")[0]), "an abstract name created a file")


@scenario("UNIX-04")
def empty_name_autobinds(t):
    if not abstract_namespace_available():
        t.skip("autobind needs the abstract namespace (Linux only)")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as a, socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as b:
        a.bind("")
        b.bind("")
        na, nb = a.getsockname(), b.getsockname()
        t.observe("autobind_name_length", len(na))
        t.expect(len(na) == 6 and na[:1] == b"\0" and all(c in b"0123456789abcdef" for c in na[1:]),
                 f"expected NUL + 5 hex digits, got {na!r}")
        t.expect(na != nb, "two autobound names are equal")


@scenario("UNIX-05")
def connect_errors(t):
    with temp_dir() as d, socket.socket(socket.AF_UNIX) as c, socket.socket(socket.AF_UNIX) as c2:
        t.raises(FileNotFoundError, c.connect, os.path.join(d, "missing.sock"))
        stale = os.path.join(d, "stale.sock")
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(stale)
            s.listen()
        t.raises(ConnectionRefusedError, c2.connect, stale, what="connect to a stale socket file")


@scenario("UNIX-06")
def unbound_and_socketpair_are_unnamed(t):
    with socket.socket(socket.AF_UNIX) as s, socketpair() as (a, b):
        t.equal(s.getsockname(), "", "an unbound socket's name")
        t.equal(a.getpeername(), "", "a socketpair end's peer name")
        t.equal(b.getsockname(), "", "a socketpair end's name")


@scenario("UNIX-07")
def full_queue_gives_eagain_or_timeout(t):
    with temp_dir() as d, socket.socket(socket.AF_UNIX) as server:
        where = os.path.join(d, "queue.sock")
        server.bind(where)
        server.listen(1)
        clients, admitted, refused_with_eagain = [], 0, False
        try:
            for _ in range(8):
                c = socket.socket(socket.AF_UNIX)
                clients.append(c)
                c.setblocking(False)
                try:
                    c.connect(where)
                    admitted += 1
                except BlockingIOError as e:
                    refused_with_eagain = e.errno == errno.EAGAIN
                    break
            t.observe("unix_accept_queue_capacity[backlog=1]", admitted)
            if os.uname().sysname == "Linux":
                t.equal(admitted, 2, "Linux admits backlog + 1")
                t.expect(refused_with_eagain, "the refused connect was not EAGAIN")
            with socket.socket(socket.AF_UNIX) as timed, socket.socket(socket.AF_UNIX) as retry:
                timed.settimeout(0.3)
                t.raises(BlockingIOError, timed.connect, where, what="a timeout-mode connect to a full queue")
                conn, _ = server.accept()  # one slot frees up
                conn.close()
                retry.setblocking(False)
                retry.connect(where)
        finally:
            for c in clients:
                c.close()


@scenario("UNIX-08")
def peer_credentials_name_the_other_end(t):
    with socketpair(socket.AF_UNIX, socket.SOCK_STREAM) as (a, b):
        pid, uid, gid = struct.unpack("3i", b.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
        t.observe("pid_is_ours", pid == os.getpid())
        t.observe("uid_is_ours", uid == os.getuid())
        t.observe("gid_is_ours", gid == os.getgid())
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as lonely:
        pid, _, _ = struct.unpack("3i", lonely.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
        t.observe("unconnected_pid", pid)


TYPE_NAMES = {socket.SOCK_STREAM: "stream", socket.SOCK_SEQPACKET: "seqpacket", socket.SOCK_DGRAM: "dgram"}


@scenario("UNIX-09")
def connecting_to_a_socket_of_another_type(t):
    with temp_dir() as folder:
        for mine, mine_name in TYPE_NAMES.items():
            for abstract in (False, True):
                with socket.socket(socket.AF_UNIX, mine) as lst:
                    lst.bind(fresh_abstract_name() if abstract else os.path.join(folder, f"listener-{mine_name}"))
                    if mine != socket.SOCK_DGRAM:
                        lst.listen(1)
                    outcomes = []
                    for other, other_name in TYPE_NAMES.items():
                        if other != mine:
                            with socket.socket(socket.AF_UNIX, other) as c:
                                outcomes.append(f"{other_name}: {outcome_of(c.connect, lst.getsockname())}")
                    t.observe(f"{'abstract' if abstract else 'path'}_{mine_name}", ", ".join(outcomes))


@scenario("UNIX-10")
def a_path_that_is_not_a_socket(t):
    with temp_dir() as folder, socket.socket(socket.AF_UNIX) as s, socket.socket(socket.AF_UNIX) as c:
        t.observe("bind_in_a_missing_folder", outcome_of(s.bind, os.path.join(folder, "no-such-folder", "socket")))
        regular = os.path.join(folder, "regular")
        with open(regular, "w") as f:
            f.write("not a socket")
        t.observe("bind_a_regular_file", outcome_of(s.bind, regular))
        t.observe("connect_to_a_regular_file", outcome_of(c.connect, regular))
