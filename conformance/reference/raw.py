# SPDX-License-Identifier: MIT
"""L. SOCK_RAW (RAW-*) through CPython's socket module: ICMP echo on 127.0.0.1 when privileged."""

import errno
import os
import socket
import time

from conformance.reference.support import LOOPBACK_TIMEOUT, scenario


def raw_allowed():
    try:
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
        return True
    except PermissionError:
        return False


def in_child(body):
    """Runs body() in a forked child; its exit status, or -1 if it had to be killed after 10 s."""
    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            code = body()
        finally:
            os._exit(code)
    end = time.monotonic() + LOOPBACK_TIMEOUT
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
        if time.monotonic() > end:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return -1
        time.sleep(0.001)  # polling the child's exit with a bound


def unprivileged_raw_socket():
    try:
        os.setgid(65534)
        os.setuid(65534)
    except OSError:
        return 3
    try:
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
        return 1
    except PermissionError as e:
        return 0 if e.errno == errno.EPERM else 2
    except Exception:
        return 2


@scenario("RAW-01")
def raw_sockets_need_privilege(t):
    privileged = raw_allowed()
    t.observe("raw_socket_privileged", privileged)
    if os.geteuid() == 0:
        status = in_child(unprivileged_raw_socket)
        t.equal(status, 0, "child without root (1: created, 2: wrong error, 3: could not drop root)")
    elif not privileged:
        t.raises(PermissionError, socket.socket, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)


def inet_checksum(data):
    total = sum((data[i] << 8) | data[i + 1] for i in range(0, len(data) - 1, 2))
    if len(data) % 2:
        total += data[-1] << 8
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


@scenario("RAW-02")
def raw_icmp_sees_the_ip_header(t):
    if not raw_allowed():
        t.skip("raw sockets need root or CAP_NET_RAW")
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
        s.settimeout(LOOPBACK_TIMEOUT)
        echo = bytearray([8, 0, 0, 0, 0x12, 0x34, 0, 1]) + b"socklab!"
        echo[2:4] = inet_checksum(echo).to_bytes(2, "big")
        s.sendto(echo, ("127.0.0.1", 0))
        data, sender = s.recvfrom(1024)
        t.require(len(data) >= 28, f"{len(data)} bytes")
        t.equal(data[0] >> 4, 4, "IPv4 raw sockets deliver the IP header")
        t.equal(sender, ("127.0.0.1", 0), "recvfrom's address")
        t.raises(OSError, s.listen, errno=errno.EOPNOTSUPP)
