# SPDX-License-Identifier: MIT
"""H. Errors and the exception hierarchy (ERR-*) through CPython's socket module."""

import errno
import os
import socket

from conformance.reference.support import LOOPBACK_TIMEOUT, listener, scenario, socketpair, tcp_pair, temp_dir, unused_port


@scenario("ERR-01")
def hierarchy_mirrors_python(t):
    for sub, base in ((socket.error, OSError), (socket.timeout, OSError), (socket.gaierror, OSError),
                      (BlockingIOError, OSError), (ConnectionError, OSError), (BrokenPipeError, ConnectionError),
                      (ConnectionRefusedError, ConnectionError), (ConnectionResetError, ConnectionError),
                      (ConnectionAbortedError, ConnectionError)):
        t.expect(issubclass(sub, base), f"{sub.__name__} is not a {base.__name__}")
    with socketpair() as (a, b):
        a.settimeout(0.01)
        for level in (OSError, socket.timeout, TimeoutError):
            t.raises(level, a.recv, 1, what=f"a timeout caught as {level.__name__}")


@scenario("ERR-02")
def errno_maps_to_pep3151_classes(t):
    with socket.socket() as refused:
        t.raises(ConnectionRefusedError, refused.connect, unused_port())
    with tcp_pair() as (c, s):
        s.sendall(b"unread")
        c.close()
        s.settimeout(LOOPBACK_TIMEOUT)
        t.raises(ConnectionResetError, s.recv, 8)
    with socketpair() as (a, b):
        b.close()
        t.raises(BrokenPipeError, a.sendall, b"x")
    with socketpair() as (c, d):
        c.setblocking(False)
        t.raises(BlockingIOError, c.recv, 1)
    with temp_dir() as dir_, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as u:
        t.raises(FileNotFoundError, u.connect, os.path.join(dir_, "missing"))
    if os.geteuid() != 0:
        t.raises(PermissionError, socket.socket, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    t.expect(isinstance(OSError(errno.ECONNABORTED, "accept"), ConnectionAbortedError), "ECONNABORTED")
    t.expect(isinstance(OSError(errno.EACCES, "bind"), PermissionError), "EACCES")


@scenario("ERR-03")
def resolver_errors_are_gai_errors(t):
    t.raises(socket.gaierror, lambda: socket.getaddrinfo("localhost", "http", flags=socket.AI_NUMERICSERV),
             what="a service name with AI_NUMERICSERV")
    e = t.raises(socket.gaierror, lambda: socket.getaddrinfo("localhost", 80, flags=socket.AI_NUMERICHOST),
                 what="a host name with AI_NUMERICHOST")
    if e is not None:
        t.expect(e.errno not in (None, 0), f"gaierror carries EAI code {e.errno!r}")


@scenario("ERR-04")
def connect_ex_returns_codes_but_raises_for_arguments(t):
    with listener() as lst, socket.socket() as ok, socket.socket() as refused, socket.socket() as nb, \
            socket.socket() as wrong:
        t.equal(ok.connect_ex(lst.getsockname()), 0, "connect_ex to a listener")
        t.equal(refused.connect_ex(unused_port()), errno.ECONNREFUSED, "connect_ex to a closed port")
        nb.setblocking(False)
        rc = nb.connect_ex(lst.getsockname())
        t.expect(rc in (0, errno.EINPROGRESS), f"non-blocking connect_ex returned {rc}")
        t.raises(TypeError, wrong.connect_ex, "/nowhere", what="connect_ex with a path on AF_INET")


@scenario("ERR-05")
def argument_errors_never_reach_the_os(t):
    def argument_error(call, *args, what):
        try:
            call(*args)
            t.expect(False, f"{what} did not raise")
        except (ValueError, TypeError, OverflowError):
            pass
        except OSError as e:  # CPython rejects some arguments as OSError without an errno
            t.expect(e.errno is None, f"{what} reached the OS: {e}")

    argument_error(lambda: socket.socket(fileno=-1), what="socket(fileno=-1)")
    with socket.socket() as s:
        argument_error(s.bind, ("::1", 0, 0, 0), what="bind(an IPv6 address) on AF_INET")
        argument_error(s.sendto, b"x", "/x", what="sendto(a path) on AF_INET")
        argument_error(s.recv, -5, what="recv(-5)")
        argument_error(s.bind, ("127.0.0.1", 1 << 20), what="port 2**20")
        with socket.socket(socket.AF_UNIX) as u:
            argument_error(u.bind, "x" * 4096, what="a 4096-byte path")
        t.equal(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0, "none of the above touched the socket")
