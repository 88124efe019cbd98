#!/usr/bin/python3
"""Runs iperf3 and sockperf on 127.0.0.1 beside a socklab-bench run and merges their results into
its JSON, so that socklab, raw POSIX, iperf3 and sockperf share one chart.

The sizes, placement and congestion control come from the bench JSON itself, so the peer tools
measure what socklab-bench measured: iperf3 for TCP and UDP stream throughput, sockperf for TCP
and UDP ping-pong (sockperf's smallest message is 14 B; its rows carry their real size).
Servers bind to 127.0.0.1 only and are ended by their PID; every client run has a time limit.

Usage: run_peers.py BENCH_JSON [--seconds S] [--repetitions N] [--tools iperf3,sockperf]
Exit status: 0 merged, 1 a tool failed, 2 bad input.
"""
import argparse
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "common"))
import convert  # noqa: E402  (a sibling module, not an installed package)
from results import InputError, read_json, write_atomically  # noqa: E402

SOCKPERF_MIN, SOCKPERF_MAX = 14, 65507  # sockperf refuses messages outside this range


class PeerError(Exception):
    """A peer tool could not be run or its output not read."""


def sizes_of(doc, family):
    """The sizes socklab-bench measured for a family ("tcp_stream/socklab/4096/real_time" -> 4096)."""
    sizes = set()
    for b in doc.get("benchmarks", []):
        parts = b.get("run_name", b.get("name", "")).split("/")
        if len(parts) >= 3 and parts[0] == family and parts[1] in ("socklab", "raw") and parts[2].isdigit():
            sizes.add(int(parts[2]))
    return sorted(sizes)


def cpu_pair(placement):
    """(client CPU, server CPU) for taskset, mirroring socklab-bench's plan; None when unpinned."""
    if placement == "unpinned" or not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    if placement.startswith("same-cpu") or len(cpus) < 2:
        return cpus[0], cpus[0]
    return cpus[0], cpus[1]


def listening(proto, port, proc_net="/proc/net"):
    """True once a socket of `proto` is bound to 127.0.0.1:port (TCP: listening), read from /proc."""
    want_state = "0A" if proto == "tcp" else "07"  # TCP_LISTEN; UDP sockets sit in TCP_CLOSE
    try:
        with open(f"{proc_net}/{proto}", encoding="ascii") as f:
            rows = f.read().splitlines()[1:]
    except OSError:
        raise PeerError(f"cannot read {proc_net}/{proto}: the peer runner needs Linux's /proc") from None
    for row in rows:
        fields = row.split()
        if len(fields) > 3 and fields[1] == f"0100007F:{port:04X}" and fields[3] == want_state:
            return True
    return False


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(cmd, cpu):
    return (["taskset", "-c", str(cpu)] + cmd) if cpu is not None and shutil.which("taskset") else cmd


class Server:
    """A peer tool's server on 127.0.0.1, started on a free port and ended by its own PID."""

    def __init__(self, make_cmd, proto, cpu, limit=10.0):
        self.port = free_port()
        self.proc = subprocess.Popen(pinned(make_cmd(self.port), cpu), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + limit
        while not listening(proto, self.port):  # a bounded poll of the kernel's socket table
            if self.proc.poll() is not None:
                raise PeerError(f"{make_cmd(self.port)[0]} server exited: {self.proc.stderr.read().strip()}")
            if time.monotonic() > deadline:
                self.close()
                raise PeerError(f"{make_cmd(self.port)[0]} server not listening after {limit:.0f} s")
            time.sleep(0.02)

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc.stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_client(cmd, cpu, seconds):
    try:
        r = subprocess.run(pinned(cmd, cpu), capture_output=True, text=True, timeout=seconds + 20)
    except subprocess.TimeoutExpired:
        raise PeerError(f"{cmd[0]} client did not finish within {seconds + 20:.0f} s") from None
    if r.returncode != 0 and not r.stdout:
        raise PeerError(f"{cmd[0]} client failed: {(r.stderr or '').strip()[:200]}")
    return r.stdout


def iperf3_runs(doc, cpus, seconds, reps, congestion):
    client_cpu, server_cpu = cpus or (None, None)
    out = []
    with Server(lambda p: ["iperf3", "-s", "-B", "127.0.0.1", "-p", str(p)], "tcp", server_cpu) as srv:
        for proto, family in (("tcp", "tcp_stream"), ("udp", "udp_stream")):
            for size in sizes_of(doc, family):
                for rep in range(reps):
                    cmd = ["iperf3", "-c", "127.0.0.1", "-p", str(srv.port), "-l", str(size), "-t", str(seconds), "-J"]
                    cmd += ["-u", "-b", "0"] if proto == "udp" else (["-C", congestion] if congestion else [])
                    text = run_client(cmd, client_cpu, seconds)
                    try:
                        entries = convert.iperf3(json.loads(text))
                    except (json.JSONDecodeError, convert.ConversionError) as e:
                        raise PeerError(f"iperf3 {proto} -l {size}: {e}") from None
                    out += [mark(e, rep, reps) for e in entries]
    return out


def sockperf_runs(doc, cpus, seconds, reps):
    client_cpu, server_cpu = cpus or (None, None)
    out = []
    for proto in ("tcp", "udp"):
        flag = ["--tcp"] if proto == "tcp" else []
        sizes = sorted({min(max(s, SOCKPERF_MIN), SOCKPERF_MAX) for s in sizes_of(doc, f"{proto}_pingpong")})
        if not sizes:
            continue
        with Server(lambda p: ["sockperf", "sr", "-i", "127.0.0.1", "-p", str(p)] + flag, proto, server_cpu) as srv:
            for size in sizes:
                for rep in range(reps):
                    cmd = ["sockperf", "pp", "-i", "127.0.0.1", "-p", str(srv.port), "-m", str(size),
                           "-t", str(seconds), "--full-rtt"] + flag
                    text = run_client(cmd, client_cpu, seconds)
                    try:
                        entries = convert.sockperf_pingpong(text, proto, size)
                    except convert.ConversionError as e:
                        raise PeerError(f"sockperf {proto} -m {size}: {e}") from None
                    out += [mark(e, rep, reps) for e in entries]
    return out


def mark(entry, rep, reps):
    entry.update(repetitions=reps, repetition_index=rep, peer_tool=entry["name"].split("/")[1])
    return entry


def tool_version(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = convert._clean(r.stdout + r.stderr).strip().splitlines()
    return text[0].strip() if text else "unknown"


def load_bench(path):
    doc = read_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list) or "context" not in doc:
        raise InputError(f"{path}: not socklab-bench JSON (no 'context' and 'benchmarks')")
    return doc


def main(argv=None):
    parser = argparse.ArgumentParser(prog="run_peers.py", description=__doc__.splitlines()[0])
    parser.add_argument("bench_json")
    parser.add_argument("--seconds", type=int, default=2, help="length of each tool run (default 2)")
    parser.add_argument("--repetitions", type=int, default=3, help="runs per size (default 3)")
    parser.add_argument("--tools", default="iperf3,sockperf", help="comma-separated subset of iperf3,sockperf")
    args = parser.parse_args(argv)
    tools = [t for t in args.tools.split(",") if t]
    if not 1 <= args.seconds <= 60 or not 1 <= args.repetitions <= 20:
        parser.error("--seconds must be 1..60 and --repetitions 1..20")
    if unknown := set(tools) - {"iperf3", "sockperf"}:
        parser.error(f"unknown tool(s) {', '.join(sorted(unknown))}")
    try:
        doc = load_bench(args.bench_json)
    except InputError as e:
        print(f"run_peers.py: {e}", file=sys.stderr)
        return 2
    ctx = doc["context"]
    cpus = cpu_pair(str(ctx.get("placement_effective", ctx.get("placement", "cross-cpu"))))
    congestion = ctx.get("tcp_congestion") or None
    runners = {"iperf3": lambda: iperf3_runs(doc, cpus, args.seconds, args.repetitions, congestion),
               "sockperf": lambda: sockperf_runs(doc, cpus, args.seconds, args.repetitions)}
    versions = {"iperf3": ["iperf3", "--version"], "sockperf": ["sockperf", "--version"]}
    peers, status = {}, 0
    doc["benchmarks"] = [b for b in doc["benchmarks"] if "peer_tool" not in b]  # a rerun replaces old rows
    for tool in tools:
        if not shutil.which(tool):
            print(f"run_peers.py: {tool} is not installed; skipped", file=sys.stderr)
            continue
        print(f"run_peers.py: running {tool} on 127.0.0.1 ...", file=sys.stderr, flush=True)
        try:
            entries = runners[tool]()
        except PeerError as e:
            print(f"run_peers.py: {tool}: {e}", file=sys.stderr)
            status = 1
            continue
        doc["benchmarks"] += entries
        peers[tool] = {"version": tool_version(versions[tool]), "runs": len(entries)}
    doc.setdefault("socklab", {})["peers"] = {
        "tools": peers, "seconds_per_run": args.seconds, "repetitions": args.repetitions,
        "cpus": {"client": cpus[0], "server": cpus[1]} if cpus else "unpinned", "tcp_congestion": congestion}
    write_atomically(args.bench_json, json.dumps(doc, indent=2) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
