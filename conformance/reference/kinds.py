# SPDX-License-Identifier: MIT
"""The socket-kind matrix in Python: each catalog behaviour with "kinds" runs once per kind of
connected pair, as socklab-conform's support/socket_kinds.cpp runs it, both made from the catalog's
description of the kind (family, type, how it is made)."""

import contextlib
import dataclasses
import itertools
import os
import shutil
import socket
import tempfile

from common.errors import InputError
from conformance.reference.support import LOOPBACK_TIMEOUT, ipv6_available

FAMILIES = {"inet": socket.AF_INET, "inet6": socket.AF_INET6, "unix": socket.AF_UNIX}
TYPES = {"stream": socket.SOCK_STREAM, "dgram": socket.SOCK_DGRAM, "seqpacket": socket.SOCK_SEQPACKET}
LOOPBACK = {socket.AF_INET: "127.0.0.1", socket.AF_INET6: "::1"}


@dataclasses.dataclass(frozen=True)
class Kind:
    kind: str  # the catalog's name, "tcp4"
    name: str  # the instance's, "tcp4" or "tcp4_swapped"
    family: int
    type: int
    made_by: str
    swapped: bool = False


def kinds_of(catalog, entry):
    """The instances of a catalog entry, in the catalog's order: its kinds with kind sets
    expanded, then each again with the ends swapped when the entry is symmetric."""
    table = {k.get("name"): k for k in catalog.get("kinds", [])}
    sets = catalog.get("kind_sets", {})
    names = []
    for n in entry.get("kinds", []):
        for member in sets.get(n, [n]):
            if member not in names:
                names.append(member)
    out = []
    for n in names:
        k = table.get(n)
        if k is None or k.get("family") not in FAMILIES or k.get("type") not in TYPES:
            raise InputError(f"catalog: {entry['id']} names kind {n!r}, which the kinds table does not define")
        out.append(Kind(n, n, FAMILIES[k["family"]], TYPES[k["type"]], k.get("made_by", "")))
    if entry.get("symmetric"):
        out += [dataclasses.replace(k, name=k.name + "_swapped", swapped=True) for k in out]
    return out


def unavailable_reason(kind):
    if kind.family == socket.AF_INET6 and not ipv6_available():
        return "no IPv6 loopback (::1) here"
    if kind.made_by == "v4_mapped" and not socket.has_dualstack_ipv6():
        return "no dual-stack IPv6 here"
    return None


_abstract_names = itertools.count()


def fresh_abstract_name():
    """A name no other test of this process (or another process) holds: pid and a counter."""
    return f"\0socklab-kind-py-{os.getpid()}-{next(_abstract_names)}"


def through_listener(family, kind_type, where, dual_stack=False):
    """(connecting end, accepted end) through a listener bound to `where`."""
    with socket.socket(family, kind_type) as listener:
        if dual_stack:
            listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        listener.bind(where)
        listener.listen(1)
        listener.settimeout(LOOPBACK_TIMEOUT)
        client = socket.socket(family, kind_type)
        try:
            client.settimeout(LOOPBACK_TIMEOUT)
            client.connect(listener.getsockname())
            conn, _ = listener.accept()
        except BaseException:
            client.close()
            raise
        return client, conn


def connected_datagrams(family, first, second):
    a, b = socket.socket(family, socket.SOCK_DGRAM), socket.socket(family, socket.SOCK_DGRAM)
    try:
        a.bind(first)
        b.bind(second)
        a.connect(b.getsockname())
        b.connect(a.getsockname())
    except BaseException:
        a.close()
        b.close()
        raise
    return a, b


def made(kind):
    if kind.made_by == "socketpair":
        return socket.socketpair(socket.AF_UNIX, kind.type)
    if kind.made_by == "loopback":
        where = (LOOPBACK[kind.family], 0)
        if kind.type == socket.SOCK_DGRAM:
            return connected_datagrams(kind.family, where, where)
        return through_listener(kind.family, kind.type, where)
    if kind.made_by == "v4_mapped":
        return through_listener(socket.AF_INET6, kind.type, ("::ffff:127.0.0.1", 0), dual_stack=True)
    if kind.made_by == "path":
        folder = tempfile.mkdtemp(prefix="socklab-kind-")
        try:  # the names can go once the pair is connected
            if kind.type == socket.SOCK_DGRAM:
                return connected_datagrams(kind.family, os.path.join(folder, "a"), os.path.join(folder, "b"))
            return through_listener(kind.family, kind.type, os.path.join(folder, "listener"))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if kind.made_by == "abstract":
        if kind.type == socket.SOCK_DGRAM:
            return connected_datagrams(kind.family, fresh_abstract_name(), fresh_abstract_name())
        return through_listener(kind.family, kind.type, fresh_abstract_name())
    raise InputError(f"kind {kind.kind}: unknown way to make it: {kind.made_by!r}")


def unconnected_of(kind):
    """A third socket of `kind`'s family and type, bound (loopback, or a fresh abstract name) but
    connected to nothing: somewhere else to send to."""
    s = socket.socket(kind.family, kind.type)
    try:
        s.bind(fresh_abstract_name() if kind.family == socket.AF_UNIX else (LOOPBACK[kind.family], 0))
    except BaseException:
        s.close()
        raise
    return s


@contextlib.contextmanager
def pair_of(kind):
    """Two connected sockets of `kind` (swapped if the instance says so), both with the loopback
    timeout, closed on exit."""
    a, b = made(kind)
    with a, b:
        a.settimeout(LOOPBACK_TIMEOUT)
        b.settimeout(LOOPBACK_TIMEOUT)
        yield (b, a) if kind.swapped else (a, b)
