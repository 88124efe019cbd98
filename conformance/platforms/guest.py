# SPDX-License-Identifier: MIT
"""One boot of a packaged kernel under QEMU that runs a job and powers off.

The guest has no network device (-nic none): loopback only. It sees the host's root read-only
(9p, or virtiofs where the kernel has no 9p) and chroots into it, so it runs the very binaries
and Python the host built; a second, writable share is the job's results folder, mounted at /mnt
inside the chroot. The job is a shell script there; its exit status comes back as a file. QEMU is
bounded by a hard limit and killed by its PID when it overstays; so are virtiofsd's daemons."""

import dataclasses
import os
import pathlib
import re
import shlex
import shutil
import signal
import subprocess
import time

from . import initramfs
from .kernels import Unavailable

QEMU = "qemu-system-x86_64"
VIRTIOFSD = "/usr/lib/qemu/virtiofsd"
MEMORY_MB = 2048
# What reaching the host's files needs, by transport; each module's own dependencies follow.
MODULES = {"9p": ["virtio_pci", "9pnet_virtio", "9p"], "virtiofs": ["virtio_pci", "virtiofs"]}
STATUS, STARTED, CONSOLE = "job.status", "guest.started", "console.log"
BUSYBOX = "/bin/busybox"


@dataclasses.dataclass
class Outcome:
    accelerator: str  # "kvm", or "tcg" (software emulation: the run is "emulated")
    transport: str  # how the guest reached the host's files: "9p" or "virtiofs"
    seconds: float
    started: bool  # the guest reached the job
    status: int | None  # the job's exit status; None when it never reported back
    timed_out: bool
    console: pathlib.Path
    complaint: str | None  # the init's last "socklab-guest: ..." line: why it gave up


def accelerator():
    """kvm when this host has hardware virtualisation (svm/vmx) and /dev/kvm; tcg otherwise. A
    KVM without either (a pagetable-based one) cannot run a stock kernel."""
    flags = set()
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
    return "kvm" if flags & {"svm", "vmx"} and os.access("/dev/kvm", os.R_OK | os.W_OK) else "tcg"


def transport(kernel):
    """9p when the kernel has it, virtiofs otherwise (Debian's cloud kernel has no 9p)."""
    if kernel.config("9P_FS") in ("y", "m") and kernel.config("NET_9P_VIRTIO") in ("y", "m"):
        return "9p"
    if kernel.config("VIRTIO_FS") in ("y", "m"):
        return "virtiofs"
    raise Unavailable(f"kernel {kernel.release} has neither 9p nor virtiofs to reach the host's files")


def init_script(share, keep=()):
    """The guest's /init. `keep`: folders under the host's /tmp the job needs (a project cloned
    there), shown through the guest's own writable /tmp, which would hide them."""
    mount = {"9p": "mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000",
             "virtiofs": "mount -t virtiofs"}[share]
    rebind = ""
    for folder in map(str, keep):
        inside, seen = shlex.quote("/host" + folder), shlex.quote("/hosttmp" + folder[len("/tmp"):])
        rebind += f"mkdir -p {inside} && mount -o bind {seen} {inside} || fail {shlex.quote('cannot show ' + folder)}\n"
    return f"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
say() {{ echo "socklab-guest: $*" > /dev/console; }}
fail() {{ say "$*"; sync; poweroff -f; }}
for m in /modules/*.ko; do [ -e "$m" ] || continue; insmod "$m" || fail "insmod $m failed"; done
{mount} -o ro hostroot /host || fail "cannot mount the host's root"
{mount} results /out || fail "cannot mount the results share"
ip link set lo up || fail "cannot bring up lo"
mkdir -p /hosttmp && mount -o bind /host/tmp /hosttmp || fail "cannot keep the host's /tmp in sight"
for fs in proc:proc sysfs:sys devtmpfs:dev tmpfs:tmp tmpfs:run; do
  mount -t "${{fs%%:*}}" "${{fs%%:*}}" "/host/${{fs#*:}}" || fail "cannot mount /host/${{fs#*:}}"
done
{rebind}mount -o bind /out /host/mnt || fail "cannot bind the results share into the chroot"
echo "$(uname -r)" > /out/{STARTED}
chroot /host /bin/sh /mnt/job.sh > /out/job.log 2>&1
echo $? > /out/{STATUS}
sync
poweroff -f
"""


def _virtiofsd(socket_path, source, log):
    if not os.access(VIRTIOFSD, os.X_OK):
        raise Unavailable(f"{VIRTIOFSD} is not on this machine: a kernel without 9p cannot reach the host's files")
    # chroot, not the default namespace sandbox, which a container host may not allow.
    with open(log, "w") as errors:
        return subprocess.Popen([VIRTIOFSD, f"--socket-path={socket_path}", "-o", f"source={source}",
                                 "-o", "cache=none", "-o", "sandbox=chroot"], stdout=subprocess.DEVNULL, stderr=errors)


def _share_options(share, work, sources):
    """QEMU's options for the shares {tag: host folder}, and the daemons they need."""
    if share == "9p":
        options = []
        for tag, (path, readonly) in sources.items():
            ro = ",readonly=on" if readonly else ""
            options += ["-virtfs", f"local,path={path},mount_tag={tag},security_model=none,multidevs=remap{ro}"]
        return options, []
    options = ["-object", f"memory-backend-memfd,id=mem,size={MEMORY_MB}M,share=on", "-numa", "node,memdev=mem"]
    daemons = []
    for i, (tag, (path, _)) in enumerate(sources.items()):
        sock = work / f"virtiofs-{tag}.sock"
        daemons.append(_virtiofsd(sock, path, work / f"virtiofsd-{tag}.log"))
        deadline = time.monotonic() + 10
        while not sock.exists() and time.monotonic() < deadline and daemons[-1].poll() is None:
            time.sleep(0.05)  # bounded wait for the daemon's socket; it has no readiness signal
        options += ["-chardev", f"socket,id=fs{i},path={sock}", "-device", f"vhost-user-fs-pci,chardev=fs{i},tag={tag}"]
    return options, daemons


def _stop(process, grace=5):
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass


def require_tools(busybox=BUSYBOX):
    """Unavailable unless QEMU and a static busybox are here (checked before a kernel is fetched)."""
    if shutil.which(QEMU) is None:
        raise Unavailable(f"{QEMU} is not on this machine (Debian's qemu-system-x86)")
    if not pathlib.Path(busybox).is_file():
        raise Unavailable(f"{busybox} is not on this machine (Debian's busybox-static)")


def under_tmp(paths):
    """The folders among `paths` that lie under /tmp, which the guest covers with its own."""
    return sorted({str(p) for p in map(pathlib.Path, paths) if p.is_relative_to("/tmp") and p != pathlib.Path("/tmp")})


def boot(kernel, job, results, work, limit_s, accel, keep=(), busybox=BUSYBOX):
    """Boots `kernel` under `accel` (accelerator(): the job may depend on it) to run the shell
    script `job` in a chroot of the host's root, its results in the folder `results`, and returns
    the Outcome. `work` holds the initramfs and sockets; `keep` are folders the job needs (see
    init_script)."""
    require_tools(busybox)
    share = transport(kernel)
    work, results = pathlib.Path(work), pathlib.Path(results)
    (results / "job.sh").write_text(job)
    for stale in (STATUS, STARTED):
        (results / stale).unlink(missing_ok=True)
    initrd = work / "initramfs.cpio"
    initramfs.build(initrd, busybox, initramfs.load_order(kernel, MODULES[share]), init_script(share, under_tmp(keep)))
    console = results / CONSOLE
    options, daemons = _share_options(share, work, {"hostroot": ("/", True), "results": (results, False)})
    # One host thread runs both emulated CPUs (single-threaded TCG), so code the kernel patches in
    # place reaches both at once: under multi-threaded TCG a 6.12 guest once died of an int3 Oops,
    # the trap of that patching, while the CPython suite ran.
    machine = ["-machine", "q35", "-accel", "tcg,thread=single" if accel == "tcg" else "kvm"]
    command = [QEMU, *machine, "-cpu", "max" if accel == "tcg" else "host",
               "-m", str(MEMORY_MB), "-smp", "2", "-nodefaults", "-nic", "none", "-no-reboot", "-display", "none",
               "-serial", f"file:{console}", "-monitor", "none", "-kernel", str(kernel.image), "-initrd", str(initrd),
               "-append", "console=ttyS0 panic=-1 quiet rdinit=/init", *options]
    start = time.monotonic()
    timed_out = False
    try:
        with open(work / "qemu.stderr", "w") as errors:
            qemu = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        try:
            qemu.wait(timeout=limit_s)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _stop(qemu)
    finally:
        for daemon in daemons:
            _stop(daemon)
    seconds = time.monotonic() - start
    status_text = (results / STATUS).read_text().strip() if (results / STATUS).is_file() else ""
    status = int(status_text) if status_text else None
    if status is None and not timed_out and qemu.returncode not in (0, None):
        problem = ((work / "qemu.stderr").read_text().strip().splitlines() or [f"exit {qemu.returncode}"])[-1]
        raise Unavailable(f"{QEMU} failed to start the guest: {problem}")
    return Outcome(accel, share, seconds, (results / STARTED).is_file(), status, timed_out, console,
                   complaint(console))


def complaint(console):
    """Why the guest ended early, from its console: the kernel's panic (with its first Oops or BUG
    line and the command that hit it), else the init's last "socklab-guest: ..." line."""
    lines = console.read_text(errors="replace").splitlines() if console.is_file() else []
    text = [re.sub(r"^\[\s*[0-9.]+\]\s*", "", line) for line in lines]
    panic = next((t for t in text if t.startswith("Kernel panic")), None)
    if panic:
        oops = next((t for t in text if t.startswith(("Oops:", "BUG:", "general protection fault"))), None)
        command = next((m.group(1) for t in text if (m := re.search(r"\bComm: (\S+)", t))), None)
        return "the guest's kernel panicked: " + "; ".join(
            x for x in (oops, f"in {command}" if command else None, panic) if x)
    said = [t.split("socklab-guest: ", 1)[1].strip() for t in text if "socklab-guest: " in t]
    return said[-1] if said else None
