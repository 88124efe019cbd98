# SPDX-License-Identifier: MIT
"""One real packaged kernel (Debian's 6.1) booted under QEMU with one behaviour: the runner end to
end (fetch, initramfs, boot with loopback only, both suites in the guest, reports out), a guest
whose suite fails, and a guest killed at its limit. Skips, with the runner's reason, where QEMU,
busybox or the kernel package cannot be had (the runner's exit 3)."""
import json
import os
import subprocess
import sys

import pytest

from conformance.platforms import runner

CACHE = os.path.expanduser("~/.cache/socklab/kernels")  # the one ./socklab conform --kernel uses
BOOT_LIMIT_S = 120


def run_kernel(out, conform, *extra, limit=BOOT_LIMIT_S):
    args = ["--kernel", "6.1", "--only", "UDP-01", "--out", str(out), "--conform", str(conform),
            "--python", "/usr/bin/python3", "--cache", CACHE, *extra]
    r = subprocess.run([sys.executable, "-m", "conformance.platforms.runner", *args], capture_output=True,
                       text=True, timeout=limit + 120, cwd=runner.ROOT,
                       env={**os.environ, "PYTHONPATH": str(runner.ROOT)})
    if r.returncode == runner.UNAVAILABLE:
        pytest.skip(r.stderr.strip())
    return r


def report(out, name):
    return json.loads((out / name).read_text())


def test_a_packaged_kernel_runs_both_suites_and_its_reports_come_out(tmp_path, conform):
    r = run_kernel(tmp_path, conform.resolve(), "--timeout", str(BOOT_LIMIT_S))
    assert r.returncode == runner.PASSED, r.stderr + (tmp_path / "console.log").read_text(errors="replace")[-2000:]
    platform = report(tmp_path, "platform.json")
    assert platform["release"].startswith("6.1.0-") and platform["reported"]
    for name in ("conformance.json", "conformance-python.json"):
        doc = report(tmp_path, name)
        assert doc["context"]["kernel"] == platform["release"]  # it ran on the guest's kernel, not the host's
        ran = [(b["id"], b["status"]) for b in doc["behaviours"] if b["status"] not in ("not-run", "not-applicable")]
        assert ran == [("UDP-01", "pass")]


def test_a_suite_that_fails_in_the_guest_is_named(tmp_path):
    r = run_kernel(tmp_path, "/bin/false", "--timeout", str(BOOT_LIMIT_S))
    assert r.returncode == runner.FAILED, r.stderr
    assert "failed in the guest: socklab (exit 1" in r.stderr and "python" not in r.stderr.split("guest:")[1]


def test_a_guest_past_its_limit_is_killed_and_reported(tmp_path, conform):
    r = run_kernel(tmp_path, conform.resolve(), "--timeout", "3", limit=3)
    assert r.returncode == runner.NO_REPORT, r.stderr
    assert "did not report back within 3 s and was killed" in r.stderr
    assert report(tmp_path, "platform.json")["reported"] is False
