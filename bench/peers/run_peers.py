#!/usr/bin/python3
"""Runs iperf3 and sockperf interleaved with socklab-bench, size by size, on 127.0.0.1, and merges
their rows and the comparison into socklab-bench's JSON.

For each size socklab-bench measured (tcp_stream and udp_stream against iperf3, tcp_stream_flows
against iperf3 -P with as many streams, up to iperf3's 128, tcp_pingpong and udp_pingpong against
sockperf), rounds alternate: socklab then the peer tool, the peer then socklab,
..., each for the same time, so that a ratio is measured seconds apart (a run minutes after another
drifts by 20 % and more here). Rounds go on until the 95 % interval of the round-by-round ratio is
within the target or the most rounds have run. Each tool warms up outside its measured time:
socklab-bench by its own warm-up, iperf3 with --omit, sockperf by its warm-up messages.
The placement and congestion control come from the bench JSON. Servers bind to 127.0.0.1 only and
are ended by their PID; every client run has a time limit. sockperf's smallest message is 14 B: its
rows carry their real size.

Usage: run_peers.py BENCH_JSON --bench SOCKLAB_BENCH [--seconds S] [--rounds N] [--max-rounds N]
                   [--target PCT] [--threshold PCT] [--tools iperf3,sockperf]
Exit status: 0 merged, 1 a tool failed, 2 bad input.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from bench.peers import convert
from common import stats
from common.results import (InputError, bench_key, bench_name, higher_is_better, json_text, read_json, row_identity,
                            write_atomically)

SOCKPERF_MIN, SOCKPERF_MAX = 14, 65507  # sockperf refuses messages outside this range
PEER_TOOLS = ("iperf3", "sockperf")
# Which tool each family is compared with, and on what.
COMPARED = (("tcp_stream", "iperf3", "bytes_per_second"), ("udp_stream", "iperf3", "bytes_per_second"),
            ("tcp_stream_reverse", "iperf3", "bytes_per_second"), ("tcp_stream_bidir", "iperf3", "bytes_per_second"),
            ("tcp_stream_flows", "iperf3", "bytes_per_second"),
            ("tcp_pingpong", "sockperf", "p50_us"), ("udp_pingpong", "sockperf", "p50_us"))
IPERF3_MAX_STREAMS = 128  # iperf3 -P refuses more


class PeerError(Exception):
    """A peer tool (or socklab-bench) could not be run or its output not read."""


def sizes_of(doc, family):
    """The sizes socklab-bench measured for a family, from its socklab and raw rows."""
    return sorted({size for size, _ in shapes_of(doc, family)})


def shapes_of(doc, family):
    """(size, params) of each benchmark socklab-bench measured in a family, from its socklab and raw
    rows: params is {} for most families, {"flows": 64, "threads": 2} for the many-flows ones."""
    found = {(size, tuple(params.items())) for family_, impl, size, params in map(row_identity, doc.get("benchmarks", []))
             if family_ == family and impl in ("socklab", "raw") and isinstance(size, int)}
    return [(size, dict(params)) for size, params in sorted(found)]


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


class Socklab:
    """One socklab-bench repetition of one benchmark, in a process of its own, as each peer tool run is."""

    def __init__(self, binary, ctx, scratch):
        self.cmd = [str(binary), f"--profile={ctx.get('profile', 'full')}",
                    f"--placement={ctx.get('placement', 'cross-cpu')}", "--repetitions=1"]
        if ctx.get("tcp_congestion"):
            self.cmd.append(f"--tcp-congestion={ctx['tcp_congestion']}")
        self.out = pathlib.Path(scratch) / "socklab.json"

    def __call__(self, family, size, seconds, params=None):
        name = re.escape(bench_name(family, "socklab", size, params))
        cmd = self.cmd + [f"--filter=^{name}$", f"--rep-time={seconds}", f"--out={self.out}"]
        if params and "flows" in params:  # outside the profile's sweep, the flow families need the shape
            cmd += [f"--flows={params['flows']}", f"--threads={params.get('threads', 1)}"]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            raise PeerError(f"socklab-bench did not finish within {seconds + 60} s") from None
        if r.returncode != 0:
            raise PeerError(f"socklab-bench {family} {size}: {(r.stderr.strip().splitlines() or ['failed'])[-1]}")
        return json.loads(self.out.read_text())["benchmarks"][0]


def iperf3_once(srv, family, size, seconds, cpu, congestion, streams=1):
    cmd = ["iperf3", "-c", "127.0.0.1", "-p", str(srv.port), "-l", str(size), "-t", str(seconds), "-O", "1", "-J"]
    cmd += ["-u", "-b", "0"] if family == "udp_stream" else (["-C", congestion] if congestion else [])
    cmd += ["-P", str(streams)] if streams > 1 else []
    cmd += {"tcp_stream_reverse": ["-R"], "tcp_stream_bidir": ["--bidir"]}.get(family, [])
    text = run_client(cmd, cpu, seconds + 1)
    try:
        [row] = convert.iperf3(json.loads(text))
    except (json.JSONDecodeError, convert.ConversionError) as e:
        raise PeerError(f"iperf3 {family} -l {size}: {e}") from None
    return row


def sockperf_once(srv, family, size, seconds, cpu):
    proto = family.split("_")[0]
    cmd = ["sockperf", "pp", "-i", "127.0.0.1", "-p", str(srv.port), "-m", str(size), "-t", str(seconds),
           "--full-rtt"] + (["--tcp"] if proto == "tcp" else [])
    try:
        [row] = convert.sockperf_pingpong(run_client(cmd, cpu, seconds), proto, size)
    except convert.ConversionError as e:
        raise PeerError(f"sockperf {proto} -m {size}: {e}") from None
    return row


def interleave(family, size, tool, metric, socklab_once, peer_once, args, params=None):
    """Rounds of socklab and the peer, alternating who goes first, until the ratio's interval is within
    the target (after --rounds) or --max-rounds have run. Returns the comparison and the peer's rows."""
    ours, theirs, rows = [], [], []
    for r in range(args.max_rounds):
        pair = {}
        for who in (("socklab", "peer") if r % 2 == 0 else ("peer", "socklab")):
            pair[who] = socklab_once() if who == "socklab" else peer_once()
        pair["peer"].update(round=r, repetition_index=r)
        rows.append(pair["peer"])
        ours.append(pair["socklab"][metric])
        theirs.append(pair["peer"][metric])
        ratios = [a / b for a, b in zip(ours, theirs) if b]
        if r + 1 >= args.rounds and stats.relative_half_width(stats.median_interval(ratios),
                                                                stats.median(ratios)) <= args.target:
            break
    for row in rows:
        row["repetitions"] = len(rows)
    ratios = [a / b for a, b in zip(ours, theirs) if b]
    interval = stats.median_interval(ratios)
    extra = {"params": params} if params else {}
    return {"benchmark": bench_key(family, size, params), "family": family, "size": size, **extra, "tool": tool,
            "peer_size": rows[0]["size"], "metric": metric, "socklab": stats.median(ours),
            "peer": stats.median(theirs), "ratio": stats.median(ratios),
            "ratio_ci_low": interval[0] if interval else None, "ratio_ci_high": interval[1] if interval else None,
            "rounds": len(ratios), "threshold": args.threshold,
            "verdict": stats.verdict(interval, args.threshold, higher_is_better(metric)),
            "socklab_samples": ours, "peer_samples": theirs}, rows


def run_tool(tool, doc, socklab, cpus, args, congestion):
    """Every comparison with one peer tool: (comparisons, peer rows)."""
    client_cpu, server_cpu = cpus or (None, None)
    comparisons, rows = [], []

    def compare_family(family, metric, srv):
        for size, params in shapes_of(doc, family):
            streams = params.get("flows", 1)
            if streams > IPERF3_MAX_STREAMS:
                continue
            peer_size = min(max(size, SOCKPERF_MIN), SOCKPERF_MAX) if tool == "sockperf" else size
            shape = "".join(f", {k} {v}" for k, v in params.items())
            print(f"run_peers.py: {family} {size} B{shape}: socklab and {tool}, interleaved", file=sys.stderr, flush=True)
            peer = ((lambda: iperf3_once(srv, family, peer_size, args.seconds, client_cpu, congestion, streams))
                    if tool == "iperf3" else (lambda: sockperf_once(srv, family, peer_size, args.seconds, client_cpu)))
            c, r = interleave(family, size, tool, metric, lambda: socklab(family, size, args.seconds, params), peer,
                              args, params)
            comparisons.append(c)
            rows.extend(r)

    if tool == "iperf3":
        with Server(lambda p: ["iperf3", "-s", "-B", "127.0.0.1", "-p", str(p)], "tcp", server_cpu) as srv:
            for family, tool_, metric in COMPARED:
                if tool_ == tool:
                    compare_family(family, metric, srv)
    else:
        for family, tool_, metric in COMPARED:
            if tool_ != tool or not sizes_of(doc, family):
                continue
            proto = family.split("_")[0]
            flag = ["--tcp"] if proto == "tcp" else []
            with Server(lambda p: ["sockperf", "sr", "-i", "127.0.0.1", "-p", str(p)] + flag, proto, server_cpu) as srv:
                compare_family(family, metric, srv)
    return comparisons, rows


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


def percent(text):
    try:
        value = float(str(text).rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a percentage: {text!r}") from None
    if not 0 < value < 100:
        raise argparse.ArgumentTypeError(f"a percentage from 0 to 100, got {text!r}")
    return value / 100


def main(argv=None):
    parser = argparse.ArgumentParser(prog="run_peers.py", description=__doc__.splitlines()[0])
    parser.add_argument("bench_json")
    parser.add_argument("--bench", help="the socklab-bench binary that wrote BENCH_JSON (required)")
    parser.add_argument("--seconds", type=int, default=2, help="length of each tool's run (default 2)")
    parser.add_argument("--rounds", type=int, default=6, help="rounds before the target may end a size (default 6)")
    parser.add_argument("--max-rounds", type=int, default=12, help="rounds at most (default 12)")
    parser.add_argument("--target", type=percent, default=0.03, help="ratio interval half-width (default 3%%)")
    parser.add_argument("--threshold", type=percent, default=0.05,
                        help="'slower'/'faster' only beyond this, with confidence (default 5%%)")
    parser.add_argument("--tools", default="iperf3,sockperf", help="comma-separated subset of iperf3,sockperf")
    args = parser.parse_args(argv)
    tools = [t for t in args.tools.split(",") if t]
    if not 1 <= args.seconds <= 60 or not 6 <= args.rounds <= args.max_rounds <= 50:
        parser.error("--seconds must be 1..60, --rounds 6..--max-rounds, --max-rounds at most 50")
    if unknown := set(tools) - set(PEER_TOOLS):
        parser.error(f"unknown tool(s) {', '.join(sorted(unknown))}")
    try:
        doc = load_bench(args.bench_json)
    except InputError as e:
        print(f"run_peers.py: {e}", file=sys.stderr)
        return 2
    if not args.bench or not (os.path.isfile(args.bench) and os.access(args.bench, os.X_OK)):
        print(f"run_peers.py: --bench {args.bench or '(none given)'}: not an executable socklab-bench",
              file=sys.stderr)
        return 2
    ctx = doc["context"]
    cpus = cpu_pair(str(ctx.get("placement_effective", ctx.get("placement", "cross-cpu"))))
    congestion = ctx.get("tcp_congestion") or None
    versions = {"iperf3": ["iperf3", "--version"], "sockperf": ["sockperf", "--version"]}
    peers, comparisons, status = {}, [], 0
    doc["benchmarks"] = [b for b in doc["benchmarks"] if row_identity(b)[1] not in PEER_TOOLS]  # a rerun replaces them
    with tempfile.TemporaryDirectory(prefix="socklab-peers-") as scratch:
        socklab = Socklab(args.bench, ctx, scratch)
        for tool in tools:
            if not shutil.which(tool):
                print(f"run_peers.py: {tool} is not installed; skipped", file=sys.stderr)
                continue
            try:
                found, rows = run_tool(tool, doc, socklab, cpus, args, congestion)
            except PeerError as e:
                print(f"run_peers.py: {tool}: {e}", file=sys.stderr)
                status = 1
                continue
            doc["benchmarks"] += rows
            comparisons += found
            peers[tool] = {"version": tool_version(versions[tool]), "runs": len(rows)}
    doc.setdefault("socklab", {})["peers"] = {
        "tools": peers, "seconds_per_run": args.seconds, "rounds": args.rounds, "max_rounds": args.max_rounds,
        "target": args.target, "cpus": {"client": cpus[0], "server": cpus[1]} if cpus else "unpinned",
        "tcp_congestion": congestion, "comparisons": comparisons}
    write_atomically(args.bench_json, json_text(doc))
    for c in comparisons:
        ci = "–" if c["ratio_ci_low"] is None else f"[{c['ratio_ci_low']:.3f}, {c['ratio_ci_high']:.3f}]"
        print(f"  {c['benchmark']:24} socklab / {c['tool']:8} {c['ratio']:.3f} {ci:18} {c['rounds']:2} rounds  "
              f"{c['verdict']}")
    return status


if __name__ == "__main__":
    sys.exit(main())
