# SPDX-License-Identifier: MIT
"""AA. Credentials over AF_UNIX (CRED-*) through CPython's socket module."""

import os
import socket
import struct

from conformance.reference.kinds import pair_of
from conformance.reference.support import (LOOPBACK_TIMEOUT, item_data, item_names, outcome_of, scenario,
                                           socketpair, tcp_pair)


def own_credentials():
    return struct.pack("iII", os.getpid(), os.getuid(), os.getgid())


@scenario("CRED-01", over_kinds=True)
def passcred_brings_the_senders_credentials(t, kind):
    with pair_of(kind) as (a, b):
        b.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        a.send(b"c")
        items = b.recvmsg(16, 256)[1]
        t.observe("items", item_names(items))
        t.observe("own", item_data(items, socket.SOL_SOCKET, socket.SCM_CREDENTIALS) == own_credentials())


@scenario("CRED-02", over_kinds=True)
def without_passcred_no_credentials_arrive(t, kind):
    with pair_of(kind) as (a, b):
        a.send(b"c")
        t.observe("items", item_names(b.recvmsg(16, 256)[1]))


def sender_seen(receiver, sender_passcred):
    """(what `receiver` sees as a new unbound sender's address, the sender's own name)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        if sender_passcred:
            sender.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        sender.sendto(b"a", receiver.getsockname())
        _, seen = receiver.recvfrom(16)
        return ("unnamed" if seen is None else seen), sender.getsockname()


@scenario("CRED-03")
def passcred_autobinds_an_unbound_datagram_sender(t):
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver:
        receiver.bind(f"\0socklab-cred-03-py-{os.getpid()}")
        receiver.settimeout(LOOPBACK_TIMEOUT)
        plain, _ = sender_seen(receiver, False)
        with_passcred, name = sender_seen(receiver, True)
        receiver.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        to_passcred, _ = sender_seen(receiver, False)
        t.observe("plain_sender", plain)
        t.observe("passcred_sender_named", with_passcred == name and len(name) == 6 and name[:1] == b"\0")
        t.observe("passcred_receiver_sender", to_passcred)


@scenario("CRED-04")
def only_a_privileged_process_sends_others_credentials(t):
    with socketpair(socket.AF_UNIX, socket.SOCK_DGRAM) as (a, b):
        b.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        b.settimeout(LOOPBACK_TIMEOUT)

        def send_as(creds):
            a.sendmsg([b"e"], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, creds)])

        t.observe("own", outcome_of(send_as, own_credentials()))
        items = b.recvmsg(16, 256)[1]
        t.observe("received", item_data(items, socket.SOL_SOCKET, socket.SCM_CREDENTIALS) == own_credentials())
        # pid_max is at most 2**22: no process has this pid.
        t.observe("unknown_pid", outcome_of(send_as, struct.pack("iII", 2**22 + 1, os.getuid(), os.getgid())))


@scenario("CRED-05")
def tcp_has_no_peer_credentials(t):
    with tcp_pair() as (client, server):
        pid, uid, gid = struct.unpack("iII", server.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
        t.observe("peercred", f"{pid} {uid} {gid}")
        t.observe("passcred", outcome_of(server.setsockopt, socket.SOL_SOCKET, socket.SO_PASSCRED, 1))
