"""A benchmark whose peer stalls or dies ends with an error within its watchdog instead of hanging
the run: every family, both peer modes, through socklab-bench's test-only --inject-peer-fault."""
import json
import os
import subprocess
import time
import uuid

import pytest

# One size of every family, both twins.
FILTER = ("--filter=^(tcp_stream/.*/size:4096|unix_stream/.*/size:4096|udp_stream/.*/size:1472|udp_sendto/.*/size:1472|"
          "unix_dgram/.*/size:64|tcp_pingpong/.*/size:1|udp_pingpong/.*/size:1|unix_pingpong/.*/size:1|tcp_connect/.*)$")
WATCHDOG_MS = 500


def processes_marked(token):
    """PIDs whose environment carries `token`: the run's own processes (a peer process left
    behind would show here), not other socklab-bench runs on the machine."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if token.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("mode", ["thread", "process"])
@pytest.mark.parametrize("fault", ["stall", "die"])
def test_a_faulty_peer_fails_each_benchmark_within_its_bound(bench, tmp_path, mode, fault):
    out = tmp_path / "bench.json"
    token = f"SOCKLAB_FAULT_TEST={uuid.uuid4()}"
    start = time.monotonic()
    r = subprocess.run([str(bench), "--profile=quick", "--rep-time=0.01", "--repetitions=1", FILTER, f"--watchdog-ms={WATCHDOG_MS}", f"--peer={mode}", f"--inject-peer-fault={fault}",
                        f"--out={out}"], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, SOCKLAB_FAULT_TEST=token.split("=", 1)[1]))
    elapsed = time.monotonic() - start
    assert r.returncode != 0, "benchmarks with a broken peer reported success"
    rows = json.loads(out.read_text())["benchmarks"]
    assert len(rows) == 18
    for row in rows:
        assert row.get("error_occurred") and row.get("error_message"), row["name"]
    if fault == "stall":  # the watchdog is what ended the calls, and the message says so
        assert any("watchdog" in row["error_message"] for row in rows)
    # Each benchmark waits at most about one watchdog for its peer (plus process start-up).
    assert elapsed < len(rows) * (2 * WATCHDOG_MS / 1000 + 1), f"{elapsed:.1f} s"
    assert not processes_marked(token), "a peer process outlived socklab-bench"


def test_the_fault_option_is_checked(bench):
    r = subprocess.run([str(bench), "--inject-peer-fault=explode"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--inject-peer-fault" in r.stderr and len(r.stderr.strip().splitlines()) == 1
