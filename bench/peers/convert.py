#!/usr/bin/python3
"""Converts iperf3 (-J) and sockperf (text) results into socklab-bench's JSON shape: repetition rows
named like ours ("tcp_stream/iperf3/size:131072", with family, implementation and size as fields),
so that reports and compare.py put the peer tools on the same charts as socklab and raw POSIX.

Usage:
  convert.py iperf3 RESULT.json
  convert.py sockperf-pingpong RESULT.txt --proto udp|tcp --size N [--half-rtt]
  convert.py sockperf-throughput RESULT.txt --proto udp|tcp --size N
prints {"benchmarks": [...]} on stdout; bad input: one line on stderr, exit 2.
"""
import argparse
import json
import re
import sys


from common.results import bench_name, json_text


class ConversionError(Exception):
    """The input is not the tool output this converter reads."""


def _entry(family, tool, size, iterations, seconds, counters, params=None):
    if iterations <= 0 or seconds <= 0:
        raise ConversionError("the run measured nothing (zero messages or zero time)")
    name = bench_name(family, tool, size, params)
    per_iteration_ns = seconds * 1e9 / iterations
    entry = {
        "name": name, "run_name": name, "family": family, "implementation": tool, "size": size,
        "run_type": "iteration", "repetitions": 1, "repetition_index": 0, "round": 0, "threads": 1,
        "iterations": int(iterations), "real_time": per_iteration_ns, "cpu_time": None, "time_unit": "ns",
    }
    if params:
        entry["params"] = params
    entry.update(counters)
    return entry


def _jain(shares):
    total, squares = sum(shares), sum(x * x for x in shares)
    return total * total / (len(shares) * squares) if squares else 1.0


def iperf3(doc):
    """One entry from an iperf3 -J client result: receiver-side rate (TCP) or sender rate and loss (UDP)."""
    try:
        start, end = doc["start"]["test_start"], doc["end"]
        proto, size = start["protocol"], int(start["blksize"])
    except (KeyError, TypeError, ValueError) as e:
        raise ConversionError(f"not an iperf3 -J result (missing {e})") from None
    if "error" in doc:
        raise ConversionError(f"iperf3 reported an error: {doc['error']}")
    if proto == "TCP":
        s = end.get("sum_received") or {}
        seconds, nbytes = float(s.get("seconds", 0)), float(s.get("bytes", 0))
        counters = {"bytes_per_second": nbytes / seconds if seconds else 0.0,
                    "retransmits": (end.get("sum_sent") or {}).get("retransmits", 0)}
        streams = int(start.get("num_streams", 1) or 1)
        back = end.get("sum_received_bidir_reverse")
        if back is not None and streams == 1:  # --bidir: both directions' received bytes
            back_seconds, back_bytes = float(back.get("seconds", 0)), float(back.get("bytes", 0))
            forward = counters["bytes_per_second"]
            reverse = back_bytes / back_seconds if back_seconds else 0.0
            counters.update(bytes_per_second=forward + reverse, forward_bytes_per_second=forward,
                            reverse_bytes_per_second=reverse)
            return [_entry("tcp_stream_bidir", "iperf3", size, (nbytes + back_bytes) / size, seconds, counters)]
        if streams == 1:
            family = "tcp_stream_reverse" if start.get("reverse") else "tcp_stream"  # -R: the server sends
            if family == "tcp_stream_reverse":
                counters["reverse_bytes_per_second"] = counters["bytes_per_second"]
            return [_entry(family, "iperf3", size, nbytes / size, seconds, counters)]
        # -P N: socklab's many-flows family; iperf3 before 3.16 runs every stream in one thread.
        try:
            shares = [float(st["receiver"]["bytes"]) for st in end["streams"]]
        except (KeyError, TypeError, ValueError) as e:
            raise ConversionError(f"an iperf3 -P result without per-stream receiver bytes ({e})") from None
        if seconds:
            counters.update(fairness_jain=_jain(shares), flow_min_bytes_per_second=min(shares) / seconds,
                            flow_max_bytes_per_second=max(shares) / seconds)
        return [_entry("tcp_stream_flows", "iperf3", size, nbytes / size, seconds, counters,
                       {"flows": streams, "threads": 1})]
    if proto == "UDP":
        s = end.get("sum") or {}  # the sender's side, with the receiver's loss
        got = end.get("sum_received") or {}
        seconds, packets = float(s.get("seconds", 0)), float(s.get("packets", 0))
        received_s = float(got.get("seconds", 0))
        counters = {"bytes_per_second": float(s.get("bytes", 0)) / seconds if seconds else 0.0,
                    "items_per_second": packets / seconds if seconds else 0.0,
                    "loss_ratio": float(s.get("lost_percent", 0)) / 100.0}
        if received_s:
            counters["recv_bytes_per_second"] = float(got.get("bits_per_second", 0)) / 8
        return [_entry("udp_stream", "iperf3", size, packets, seconds, counters)]
    raise ConversionError(f"unknown iperf3 protocol {proto!r}")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _clean(text):
    return _ANSI.sub("", text)


def sockperf_pingpong(text, proto, size, half_rtt=False):
    """One entry from `sockperf pp` output: round trips/s and latency percentiles in microseconds.
    sockperf prints RTT/2 unless run with --full-rtt: pass half_rtt=True to double its numbers."""
    text = _clean(text)
    valid = re.search(r"\[Valid Duration\] RunTime=([\d.]+) sec; SentMessages=(\d+); ReceivedMessages=(\d+)", text)
    if not valid:
        raise ConversionError("no '[Valid Duration]' line: not sockperf ping-pong output")
    seconds, received = float(valid.group(1)), int(valid.group(3))
    scale = 2.0 if half_rtt else 1.0
    pct = {float(p): float(v) * scale for p, v in re.findall(r"percentile\s+([\d.]+)\s*=\s*([\d.]+)", text)}
    top = re.search(r"<MAX> observation\s*=\s*([\d.]+)", text)
    wanted = {"p50_us": 50.0, "p90_us": 90.0, "p99_us": 99.0, "p999_us": 99.9}
    missing = [k for k, p in wanted.items() if p not in pct]
    if missing or not top:
        raise ConversionError(f"sockperf output lacks percentiles {missing or ['max']}")
    counters = {k: pct[p] for k, p in wanted.items()}
    counters["max_us"] = float(top.group(1)) * scale
    counters["items_per_second"] = received / seconds if seconds else 0.0
    return [_entry(f"{proto}_pingpong", "sockperf", size, received, seconds, counters)]


def sockperf_throughput(text, proto, size):
    """One entry from `sockperf tp` output: sender message rate and bandwidth."""
    text = _clean(text)
    sent = re.search(r"Total of (\d+) messages sent in ([\d.]+) sec", text)
    rate = re.search(r"Message Rate is (\d+) \[msg/sec\]", text)
    bw = re.search(r"BandWidth is ([\d.]+) MBps", text)
    if not (sent and rate and bw):
        raise ConversionError("no 'Message Rate'/'BandWidth' summary: not sockperf throughput output")
    return [_entry(f"{proto}_stream", "sockperf", size, int(sent.group(1)), float(sent.group(2)),
                   {"bytes_per_second": float(bw.group(1)) * 1e6, "items_per_second": float(rate.group(1))})]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="convert.py", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["iperf3", "sockperf-pingpong", "sockperf-throughput"])
    parser.add_argument("file")
    parser.add_argument("--proto", choices=["udp", "tcp"])
    parser.add_argument("--size", type=int)
    parser.add_argument("--half-rtt", action="store_true", help="sockperf ran without --full-rtt")
    args = parser.parse_args(argv)
    try:
        with open(args.file, encoding="utf-8") as f:
            text = f.read()
        if args.kind == "iperf3":
            try:
                doc = json.loads(text)
            except json.JSONDecodeError as e:
                raise ConversionError(f"not JSON ({e.msg} at line {e.lineno})") from None
            if not isinstance(doc, dict):
                raise ConversionError("not an iperf3 -J result (not a JSON object)")
            entries = iperf3(doc)
        else:
            if args.proto is None or args.size is None or args.size <= 0:
                raise ConversionError("sockperf results need --proto and a positive --size")
            if args.kind == "sockperf-pingpong":
                entries = sockperf_pingpong(text, args.proto, args.size, args.half_rtt)
            else:
                entries = sockperf_throughput(text, args.proto, args.size)
    except (OSError, UnicodeDecodeError, ConversionError) as e:
        print(f"convert.py: {args.file}: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(json_text({"benchmarks": entries}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
