# SPDX-License-Identifier: MIT
"""The platform runner's parts (conformance/platforms/) without booting anything: kernel names and
package choice (a stand-in apt-cache), the machine's mirror, --only, the initramfs and its module
order (a stand-in modules tree), the transport, and a boot against a stand-in QEMU that reports,
fails to start, gives up or hangs; then the runner's exit codes for each of those."""
import json
import os
import re
import subprocess
import sys
import textwrap
import time

import pytest

from common import schemas
from common.errors import InputError
from conformance.platforms import guest, initramfs, kernels, runner
from conformance.tests.platform_fakes import (BUILTIN_9P, NINE_P, RELEASE, executable, fake_apt_cache,
                                              fake_kernel)

PACKAGES = """linux-image-6.1.0-9-amd64 linux-image-6.1.0-47-amd64 linux-image-6.1.0-47-rt-amd64
linux-image-6.1.0-47-amd64-dbg linux-image-6.1.0-47-amd64-unsigned linux-image-6.12.9+deb12-amd64
linux-image-6.12.48+deb12-rt-amd64 linux-image-6.12.9+deb12-rt-amd64 linux-image-amd64"""


@pytest.mark.parametrize("text,series,flavour", [("6.1", "6.1", ""), ("6.1-rt", "6.1", "rt"),
                                                  ("6.1-cloud", "6.1", "cloud"), ("6.12", "6.12", ""),
                                                  ("6.12-rt", "6.12", "rt")])
def test_a_kernel_is_named_by_series_and_flavour(text, series, flavour):
    spec = kernels.parse(text)
    assert (spec.series, spec.flavour, spec.name) == (series, flavour, text)


@pytest.mark.parametrize("text", ["5.4", "6.1-", "6.1-foo", "", "6.12-rt-amd64", "host"])
def test_a_name_of_no_packaged_kernel_is_refused_with_the_known_ones(text):
    with pytest.raises(InputError, match=r"not a packaged kernel \(known: 6\.1, 6\.1-rt"):
        kernels.parse(text)


@pytest.mark.parametrize("name,package", [("6.1", "linux-image-6.1.0-47-amd64"),
                                          ("6.1-rt", "linux-image-6.1.0-47-rt-amd64"),
                                          ("6.12", "linux-image-6.12.9+deb12-amd64"),
                                          ("6.12-rt", "linux-image-6.12.48+deb12-rt-amd64")])
def test_the_newest_build_of_the_series_and_flavour_is_chosen(bin_dir, tmp_path, name, package):
    fake_apt_cache(bin_dir, PACKAGES)
    _, chosen = kernels.Cache(tmp_path / "cache").newest_package(kernels.parse(name))
    assert chosen == package  # 47 after 9 (numbers, not text); never -dbg, -unsigned or another series


def test_a_series_with_no_package_is_unavailable(bin_dir, tmp_path):
    fake_apt_cache(bin_dir, PACKAGES)
    with pytest.raises(kernels.Unavailable, match="kernel 6.12-cloud: no package .*cloud-amd64 of series 6.12"):
        kernels.Cache(tmp_path / "cache").newest_package(kernels.parse("6.12-cloud"))


def test_a_failing_apt_is_unavailable_with_its_last_line(bin_dir, tmp_path):
    executable(bin_dir / "apt-cache", "#!/bin/sh\necho 'E: the lists are broken' >&2\nexit 100\n")
    with pytest.raises(kernels.Unavailable, match="apt-cache pkgnames failed: E: the lists are broken"):
        kernels.Cache(tmp_path / "cache").newest_package(kernels.parse("6.1"))


def apt_dir(tmp_path, files):
    folder = tmp_path / "etc-apt"
    (folder / "sources.list.d").mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))
    return folder


def test_the_mirror_comes_from_the_machines_deb822_sources(tmp_path):
    folder = apt_dir(tmp_path, {"sources.list.d/debian.sources": """\
        Types: deb
        URIs: http://deb.example.invalid/security
        Suites: bookworm-security

        Types: deb deb-src
        URIs: http://mirror.example.invalid/debian
        Suites: bookworm bookworm-updates
        Components: main
        """})
    files, uri = kernels.machine_sources(folder)
    assert uri == "http://mirror.example.invalid/debian"
    assert list(files) == ["machine-debian.sources"]


def test_the_mirror_comes_from_a_one_line_list(tmp_path):
    folder = apt_dir(tmp_path, {"sources.list": "deb [signed-by=/k.gpg] http://m.example.invalid/debian bookworm main\n"})
    assert kernels.machine_sources(folder)[1] == "http://m.example.invalid/debian"


def test_a_machine_without_a_bookworm_mirror_is_unavailable(tmp_path):
    folder = apt_dir(tmp_path, {"sources.list": "deb http://m.example.invalid/debian trixie main\n"})
    with pytest.raises(kernels.Unavailable, match="no Debian bookworm mirror"):
        kernels.machine_sources(folder)


def test_only_selects_by_id_prefix_in_both_suites():
    gtest, regex = runner.only_filters("UDP,TCP-OPT-09")
    assert gtest == "*.UDP_*:*.TCP_OPT_09_*"
    chosen = [i for i in ("UDP-01", "UDP-12", "TCP-OPT-09", "TCP-OPT-091", "UDPX-01", "TCP-OPT-08") if re.search(regex, i)]
    assert chosen == ["UDP-01", "UDP-12", "TCP-OPT-09"]


@pytest.mark.parametrize("only", ["udp", ",", "UDP;reboot", "UDP-*"])
def test_only_refuses_what_is_no_id_prefix(only):
    with pytest.raises(InputError, match="needs catalog ID prefixes"):
        runner.only_filters(only)


def test_the_archive_is_what_busybox_cpio_reads(tmp_path):
    if not os.path.isfile(guest.BUSYBOX):
        pytest.skip(f"{guest.BUSYBOX} is not here (busybox-static)")
    entries = [("bin", initramfs.DIRECTORY, b""), ("bin/tool", initramfs.EXECUTABLE, b"#!/bin/sh\n"),
               ("odd-length", initramfs.FILE, b"x" * 5), ("empty", initramfs.FILE, b"")]
    archive = tmp_path / "a.cpio"
    initramfs.write(archive, entries)
    (tmp_path / "x").mkdir()
    with open(archive, "rb") as f:
        r = subprocess.run([guest.BUSYBOX, "cpio", "-i", "-d"], stdin=f, cwd=tmp_path / "x", capture_output=True,
                           timeout=30)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "x/bin/tool").read_bytes() == b"#!/bin/sh\n"
    assert os.access(tmp_path / "x/bin/tool", os.X_OK)
    assert (tmp_path / "x/odd-length").read_bytes() == b"xxxxx"
    assert (tmp_path / "x/empty").read_bytes() == b""


def test_modules_load_after_what_they_depend_on(tmp_path):
    kernel = fake_kernel(tmp_path / "k", {}, {"fs/top.ko": ["mid", "base", "core"], "net/mid.ko.xz": ["base"],
                                              "lib/base.ko": [], "lib/unused.ko": []}, builtin=["core"])
    order = initramfs.load_order(kernel, ["top"])
    assert [name for name, _ in order] == ["base", "mid", "top"]  # core is built in; unused is not wanted
    assert all(data.startswith(b"\x7fELF") for _, data in order)  # the .xz one uncompressed


def test_a_missing_module_is_unavailable(tmp_path):
    kernel = fake_kernel(tmp_path / "k", {}, {"fs/top.ko": ["gone"]})
    with pytest.raises(kernels.Unavailable, match=f"kernel {RELEASE} has no module gone"):
        initramfs.load_order(kernel, ["top"])


def test_a_dependency_cycle_is_unavailable(tmp_path):
    kernel = fake_kernel(tmp_path / "k", {}, {"a.ko": ["b"], "b.ko": ["a"]})
    with pytest.raises(kernels.Unavailable, match="cycle: a -> b"):
        initramfs.load_order(kernel, ["a"])


@pytest.mark.parametrize("config,share", [({"9P_FS": "m", "NET_9P_VIRTIO": "m", "VIRTIO_FS": "m"}, "9p"),
                                          ({"9P_FS": "y", "NET_9P_VIRTIO": "y"}, "9p"),
                                          ({"VIRTIO_FS": "y"}, "virtiofs"),  # Debian's cloud kernel
                                          ({"9P_FS": "m", "VIRTIO_FS": "m"}, "virtiofs")])
def test_the_host_is_reached_over_9p_else_virtiofs(tmp_path, config, share):
    assert guest.transport(fake_kernel(tmp_path / "k", config)) == share


def test_a_kernel_with_neither_share_is_unavailable(tmp_path):
    with pytest.raises(kernels.Unavailable, match="neither 9p nor virtiofs"):
        guest.transport(fake_kernel(tmp_path / "k", {"9P_FS": "m"}))


def test_folders_under_tmp_are_shown_again_through_the_guests_tmp():
    assert guest.under_tmp(["/tmp/clone", "/work/main", "/tmp", "/tmp/clone", "/tmpfoo"]) == ["/tmp/clone"]
    script = guest.init_script("9p", ["/tmp/clone"])
    assert "mount -o bind /hosttmp/clone /host/tmp/clone" in script
    # ...after the guest's tmpfs covers /host/tmp, or the tmpfs would hide it again.
    assert script.index("tmpfs:tmp") < script.index("/host/tmp/clone")


def boot(tmp_path, limit_s=60):
    kernel = fake_kernel(tmp_path / "k", NINE_P, builtin=BUILTIN_9P)
    (tmp_path / "out").mkdir()
    (tmp_path / "work").mkdir()
    return guest.boot(kernel, "exit 0\n", tmp_path / "out", tmp_path / "work", limit_s, "tcg")


def test_a_guest_that_reports_back_gives_its_status_and_has_no_network_device(tmp_path, qemu):
    log = qemu("report")
    outcome = boot(tmp_path)
    assert (outcome.status, outcome.started, outcome.timed_out, outcome.transport) == (0, True, False, "9p")
    args = json.loads(log.read_text().splitlines()[0])
    assert args[args.index("-accel") + 1] == "tcg,thread=single"
    assert args[args.index("-nic") + 1] == "none" and "-nodefaults" in args
    assert any(a.startswith("local,path=/,mount_tag=hostroot,") and a.endswith("readonly=on") for a in args)
    assert (tmp_path / "out" / "job.sh").read_text() == "exit 0\n"


def test_a_guest_that_hangs_is_killed_by_its_pid_at_the_limit(tmp_path, qemu):
    log = qemu("hang")
    start = time.monotonic()
    outcome = boot(tmp_path, limit_s=2)
    assert outcome.timed_out and outcome.status is None
    assert time.monotonic() - start < 30
    pid = int(log.read_text().splitlines()[1])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # gone, and reaped


def test_a_qemu_that_cannot_start_is_unavailable_with_its_message(tmp_path, qemu):
    qemu("fail")
    with pytest.raises(kernels.Unavailable, match="failed to start the guest: .*no such machine here"):
        boot(tmp_path)


def test_a_guest_that_gives_up_says_why(tmp_path, qemu):
    qemu("gives-up")
    outcome = boot(tmp_path)
    assert (outcome.status, outcome.started, outcome.timed_out) == (None, False, False)
    assert outcome.complaint == "cannot mount the host's root"


def test_a_guest_whose_kernel_panics_says_where(tmp_path, qemu):
    qemu("panics")
    outcome = boot(tmp_path)
    assert (outcome.status, outcome.started) == (None, True)
    assert outcome.complaint == ("the guest's kernel panicked: Oops: int3: 0000 [#1] PREEMPT SMP NOPTI; in python3; "
                                 "Kernel panic - not syncing: Fatal exception in interrupt")


def run_runner(tmp_path, capsys, cache, *extra):
    status = runner.main(["--kernel", "6.1", "--out", str(tmp_path / "out"), "--conform", "/bin/true",
                          "--cache", str(cache), *extra])
    return status, capsys.readouterr()


def test_the_runner_records_the_platform_when_both_suites_pass(tmp_path, capsys, qemu, cached_kernel):
    qemu("report")
    status, said = run_runner(tmp_path, capsys, cached_kernel, "--only", "UDP-01")
    assert status == runner.PASSED, said.err
    record = json.loads((tmp_path / "out" / "platform.json").read_text())
    assert schemas.violations(record, "platform") == []
    assert (record["platform"], record["release"], record["only"], record["suites"]) == \
        ("linux-6.1", RELEASE, "UDP-01", {"socklab": 0, "python": 0})
    assert record["emulated"] == (record["accelerator"] == "tcg")


def test_the_runner_names_the_suite_that_failed_in_the_guest(tmp_path, capsys, qemu, cached_kernel):
    qemu("report", socklab_status=1)
    status, said = run_runner(tmp_path, capsys, cached_kernel)
    assert status == runner.FAILED
    assert said.err.count("\n") == 1 and "failed in the guest: socklab (exit 1" in said.err


def test_the_runner_kills_a_guest_that_never_reports(tmp_path, capsys, qemu, cached_kernel):
    qemu("hang")
    status, said = run_runner(tmp_path, capsys, cached_kernel, "--timeout", "2")
    assert status == runner.NO_REPORT
    assert said.err.count("\n") == 1 and "did not report back within 2 s and was killed" in said.err
    assert json.loads((tmp_path / "out" / "platform.json").read_text())["reported"] is False


def test_the_runner_without_qemu_is_unavailable_before_fetching(tmp_path, capsys, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    status, said = run_runner(tmp_path, capsys, tmp_path / "cache")
    assert status == runner.UNAVAILABLE
    assert said.err.strip() == f"socklab conform: {guest.QEMU} is not on this machine (Debian's qemu-system-x86)"
    assert not (tmp_path / "cache").exists() and not (tmp_path / "out").exists()


def test_the_runner_without_the_kernel_package_is_unavailable(tmp_path, capsys, qemu, cached_kernel, bin_dir):
    fake_apt_cache(bin_dir, "linux-image-6.1.0-99-rt-amd64")
    status, said = run_runner(tmp_path, capsys, cached_kernel)
    assert status == runner.UNAVAILABLE
    assert said.err.count("\n") == 1 and "kernel 6.1: no package" in said.err


@pytest.mark.parametrize("extra,why", [(["--kernel", "5.4"], "not a packaged kernel"),
                                       (["--only", "udp"], "needs catalog ID prefixes"),
                                       (["--timeout", "0"], "at least 1"),
                                       (["--conform", "/nonexistent/socklab-conform"], "not an executable")])
def test_the_runner_refuses_bad_input_with_one_line(tmp_path, extra, why):
    args = ["--kernel", "6.1", "--out", str(tmp_path / "out"), "--conform", "/bin/true",
            "--cache", str(tmp_path / "cache"), *extra]
    r = subprocess.run([sys.executable, "-m", "conformance.platforms.runner", *args], capture_output=True,
                       text=True, timeout=60, cwd=runner.ROOT, env={**os.environ, "PYTHONPATH": str(runner.ROOT)})
    assert r.returncode == runner.BAD_INPUT
    assert r.stderr.count("\n") == 1 and why in r.stderr
    assert not (tmp_path / "cache").exists() and not (tmp_path / "out").exists()
