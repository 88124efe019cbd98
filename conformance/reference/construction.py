# SPDX-License-Identifier: MIT
"""A. Construction (CON-*) through CPython's socket module."""

import fcntl
import socket

from conformance.reference.support import open_fds, scenario, socketpair


def cloexec(fd):
    return bool(fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC)


@scenario("CON-01")
def defaults_and_attributes(t):
    with socket.socket() as s:
        t.equal(s.family, socket.AF_INET, "family")
        t.equal(s.type, socket.SOCK_STREAM, "type")
        t.equal(s.proto, 0, "proto")
        for part in ("fd=", "family=", "type=", "proto=0"):
            t.expect(part in repr(s), f"{part!r} not in {s!r}")
        s.bind(("127.0.0.1", 0))
        t.expect("laddr=('127.0.0.1', " in repr(s), f"no bound laddr in {s!r}")
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as u:
        t.equal((u.family, u.type, u.proto), (socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_UDP), "inet6 dgram")


@scenario("CON-02")
def type_never_shows_mode_flags(t):
    with socket.socket() as s:
        for mode in (1.0, 0.0, None):
            s.settimeout(mode)
            t.equal(s.type, socket.SOCK_STREAM, f"type after settimeout({mode})")
            t.equal(s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE), socket.SOCK_STREAM, "SO_TYPE")
        for flag in (False, True):
            s.setblocking(flag)
            t.equal(s.type, socket.SOCK_STREAM, f"type after setblocking({flag})")


@scenario("CON-03")
def invalid_combinations_fail_without_leaking(t):
    import errno

    before = open_fds()
    for kind, proto in ((socket.SOCK_DGRAM, socket.IPPROTO_TCP), (socket.SOCK_STREAM, socket.IPPROTO_UDP)):
        t.raises(OSError, socket.socket, socket.AF_INET, kind, proto, errno=errno.EPROTONOSUPPORT,
                 what=f"socket(AF_INET, {kind!r}, {proto})")
    t.equal(open_fds(), before, "open descriptors")


@scenario("CON-04")
def sockets_are_not_inheritable(t):
    with socket.socket() as s:
        t.expect(not s.get_inheritable() and cloexec(s.fileno()), "a new socket is inheritable")
        with s.dup() as d:
            t.expect(not d.get_inheritable(), "a dup is inheritable")
        with socketpair() as (a, b):
            t.expect(not a.get_inheritable() and not b.get_inheritable(), "a socketpair end is inheritable")
        s.set_inheritable(True)
        t.expect(not cloexec(s.fileno()), "set_inheritable(True) left FD_CLOEXEC")
        s.set_inheritable(False)
        t.expect(cloexec(s.fileno()), "set_inheritable(False) did not set FD_CLOEXEC")


@scenario("CON-05")
def socketpair_is_connected_unix_stream(t):
    with socketpair() as (a, b):
        t.equal((a.family, a.type), (socket.AF_UNIX, socket.SOCK_STREAM), "socketpair kind")
        a.sendall(b"across")
        t.equal(b.recv(64), b"across", "a -> b")
        b.sendall(b"back")
        t.equal(a.recv(64), b"back", "b -> a")
