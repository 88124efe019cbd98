# SPDX-License-Identifier: MIT
"""Stand-ins for what the platform runner drives (apt-cache, QEMU, an unpacked kernel package),
shared by its tests through conftest.py's fixtures."""
import lzma
import stat
import textwrap

from conformance.platforms import kernels

RELEASE = "6.1.0-99-amd64"


def executable(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def fake_apt_cache(bin_dir, names):
    executable(bin_dir / "apt-cache", f"#!/bin/sh\ncat <<'EOF'\n{names}\nEOF\n")


def module(depends):
    return b"\x7fELF" + b"\x00" * 8 + f"license=GPL\x00depends={','.join(depends)}\x00name=x\x00".encode()


def fake_kernel(root, config, modules=None, builtin=()):
    """An unpacked package: boot/ (image, config) and lib/modules/RELEASE/ with `modules`
    {relative path: depends} and modules.builtin listing `builtin`."""
    (root / "boot").mkdir(parents=True)
    (root / "boot" / f"vmlinuz-{RELEASE}").write_bytes(b"not a kernel")
    (root / "boot" / f"config-{RELEASE}").write_text("".join(f"CONFIG_{k}={v}\n" for k, v in config.items()))
    tree = root / "lib" / "modules" / RELEASE
    tree.mkdir(parents=True)
    for path, depends in (modules or {}).items():
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        data = module(depends)
        (tree / path).write_bytes(lzma.compress(data) if path.endswith(".xz") else data)
    (tree / "modules.builtin").write_text("".join(f"kernel/{b}.ko\n" for b in builtin))
    return kernels.Kernel(kernels.parse("6.1"), "linux-image-6.1.0-99-amd64", RELEASE, root)


# Stands in for qemu-system-x86_64: records its arguments, then does what FAKE_QEMU says.
FAKE_QEMU = textwrap.dedent("""\
    #!/usr/bin/python3
    import json, os, sys
    args = sys.argv[1:]
    open(os.environ["FAKE_QEMU_LOG"], "w").write(json.dumps(args) + "\\n" + str(os.getpid()))
    shares = {}
    for option in args:
        if option.startswith("local,"):
            fields = dict(kv.split("=", 1) for kv in option.split(",")[1:])
            shares[fields["mount_tag"]] = fields["path"]
    console = args[args.index("-serial") + 1].removeprefix("file:")
    mode = os.environ["FAKE_QEMU"]
    if mode == "fail":
        print("qemu-system-x86_64: -machine q35: no such machine here", file=sys.stderr)
        sys.exit(1)
    if mode == "hang":
        os.execv("/bin/sleep", ["sleep", "600"])
    if mode == "panics":  # as 6.12 did under TCG once, in the CPython suite
        open(os.path.join(shares["results"], "guest.started"), "w").write("6.1.0-99-amd64\\n")
        open(console, "w").write("[  149.267640] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI\\n"
                                 "[  149.268244] CPU: 0 UID: 0 PID: 219 Comm: python3 Not tainted\\n"
                                 "[  149.275364] Kernel panic - not syncing: Fatal exception in interrupt\\n")
        sys.exit(0)
    if mode == "gives-up":
        open(console, "w").write("booting\\nsocklab-guest: cannot mount the host's root\\n")
        sys.exit(0)
    out = shares["results"]
    open(os.path.join(out, "guest.started"), "w").write("6.1.0-99-amd64\\n")
    for suite, status in (("socklab", os.environ.get("FAKE_SOCKLAB", "0")), ("python", "0")):
        open(os.path.join(out, suite + ".status"), "w").write(status + "\\n")
    open(os.path.join(out, "job.status"), "w").write("0\\n")
""")


NINE_P = {"9P_FS": "m", "NET_9P_VIRTIO": "m"}
BUILTIN_9P = ["drivers/virtio/virtio_pci", "net/9p/9pnet_virtio", "fs/9p/9p"]
