# SPDX-License-Identifier: MIT
"""The guest's initramfs: busybox, the kernel's modules that reach the host's files, and an init.

A packaged kernel ships no modules.dep (depmod writes it when the package is installed), so a
module's dependencies are read from its own .modinfo section and the modules are loaded in an
order where each follows what it needs. The archive is the kernel's "newc" cpio, written here."""

import lzma
import pathlib
import re
import stat

from .kernels import Unavailable


def _module_files(kernel):
    """{module name: file} of every loadable module of the kernel (names use '_', as modinfo's)."""
    files = {}
    for path in kernel.modules.rglob("*.ko*"):
        name = path.name.split(".ko", 1)[0].replace("-", "_")
        files[name] = path
    return files


def _builtin(kernel):
    listing = kernel.modules / "modules.builtin"
    lines = listing.read_text().splitlines() if listing.exists() else []
    return {pathlib.Path(line).name.split(".ko", 1)[0].replace("-", "_") for line in lines}


def module_bytes(path):
    """The module as insmod takes it: uncompressed."""
    data = path.read_bytes()
    if path.name.endswith(".ko.xz"):
        return lzma.decompress(data)
    if path.name.endswith(".ko"):
        return data
    raise Unavailable(f"{path.name}: a compression busybox's insmod cannot read and socklab cannot undo")


def _depends(data):
    m = re.search(rb"\x00depends=([^\x00]*)", b"\x00" + data)
    return [d.decode() for d in m.group(1).split(b",") if d] if m else []


def load_order(kernel, wanted):
    """[(name, bytes)] of the modules `wanted` needs that are not built in, each after its
    dependencies. Unavailable when the kernel has a wanted module neither built in nor as a file."""
    files, builtin = _module_files(kernel), _builtin(kernel)
    order, seen = [], set()

    def visit(name, chain):
        if name in seen or name in builtin:
            return
        if name in chain:
            raise Unavailable(f"kernel {kernel.release}: modules depend on each other in a cycle: {' -> '.join(chain)}")
        if name not in files:
            raise Unavailable(f"kernel {kernel.release} has no module {name} (neither built in nor a file)")
        data = module_bytes(files[name])
        for dep in _depends(data):
            visit(dep, chain + [name])
        seen.add(name)
        order.append((name, data))

    for name in wanted:
        visit(name, [])
    return order


def _pad(length):
    """newc aligns each header-and-name and each file's data to 4 bytes."""
    return b"\x00" * (-length % 4)


def _entry(name, mode, data=b"", ino=0):
    name_bytes = name.encode() + b"\x00"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_bytes), 0]
    header = b"070701" + b"".join(f"{f:08X}".encode() for f in fields)
    return header + name_bytes + _pad(len(header) + len(name_bytes)) + data + _pad(len(data))


def write(path, entries):
    """Writes a newc cpio archive of `entries`: (name, mode, bytes) with directories first."""
    out = bytearray()
    for ino, (name, mode, data) in enumerate(entries, start=1):
        out += _entry(name, mode, data, ino)
    out += _entry("TRAILER!!!", 0)
    pathlib.Path(path).write_bytes(bytes(out))


DIRECTORY, EXECUTABLE, FILE = stat.S_IFDIR | 0o755, stat.S_IFREG | 0o755, stat.S_IFREG | 0o644


def build(path, busybox, modules, init_script):
    """The initramfs at `path`: /bin/busybox, /modules/NN-name.ko in load order, and /init."""
    entries = [(d, DIRECTORY, b"") for d in ("bin", "modules", "proc", "sys", "dev", "host", "out", "tmp")]
    entries.append(("bin/busybox", EXECUTABLE, pathlib.Path(busybox).read_bytes()))
    entries += [(f"modules/{i:02d}-{name}.ko", FILE, data) for i, (name, data) in enumerate(modules)]
    entries.append(("init", EXECUTABLE, init_script.encode()))
    write(path, entries)
