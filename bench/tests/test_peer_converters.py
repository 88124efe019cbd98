"""The iperf3/sockperf converters, on real output of those tools (fixtures from the reference)."""
import json
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
from bench.peers import convert


def test_iperf3_tcp_is_the_receiver_rate():
    [e] = convert.iperf3(json.loads((FIXTURES / "iperf3_tcp.json").read_text()))
    assert e["name"] == "tcp_stream/iperf3/size:131072"
    assert (e["family"], e["implementation"], e["size"]) == ("tcp_stream", "iperf3", 131072)
    assert e["bytes_per_second"] == pytest.approx(2899312640 / 1.002901)
    assert e["run_type"] == "iteration" and e["time_unit"] == "ns"
    assert e["real_time"] == pytest.approx(1.002901e9 / (2899312640 / 131072))


def test_iperf3_parallel_streams_are_the_many_flows_family_with_its_fairness():
    doc = json.loads((FIXTURES / "iperf3_tcp_parallel.json").read_text())  # iperf3 3.12 -P 4 -l 16384
    [e] = convert.iperf3(doc)
    assert e["name"] == "tcp_stream_flows/iperf3/size:16384/flows:4/threads:1"
    assert (e["family"], e["size"], e["params"]) == ("tcp_stream_flows", 16384, {"flows": 4, "threads": 1})
    shares = [333742080, 334888960, 334397440, 335380480]  # each stream's receiver bytes in the fixture
    assert e["bytes_per_second"] == pytest.approx(1338408960 / 1.011448)
    assert e["fairness_jain"] == pytest.approx(sum(shares) ** 2 / (4 * sum(x * x for x in shares)))
    assert e["flow_min_bytes_per_second"] == pytest.approx(min(shares) / 1.011448)
    assert e["flow_max_bytes_per_second"] == pytest.approx(max(shares) / 1.011448)
    del doc["end"]["streams"][0]["receiver"]
    with pytest.raises(convert.ConversionError, match="per-stream receiver bytes"):
        convert.iperf3(doc)


def test_iperf3_reverse_is_the_reverse_family_measured_where_it_arrived():
    [e] = convert.iperf3(json.loads((FIXTURES / "iperf3_tcp_reverse.json").read_text()))  # iperf3 3.12 -R
    assert e["name"] == "tcp_stream_reverse/iperf3/size:65536"
    assert e["bytes_per_second"] == pytest.approx(1458503627 / 1.000044)  # sum_received: the client's
    assert e["reverse_bytes_per_second"] == e["bytes_per_second"]


def test_iperf3_bidir_sums_both_directions_and_keeps_each():
    doc = json.loads((FIXTURES / "iperf3_tcp_bidir.json").read_text())  # iperf3 3.12 --bidir
    [e] = convert.iperf3(doc)
    assert e["name"] == "tcp_stream_bidir/iperf3/size:65536"
    forward, reverse = 1261633483 / 1.000557, 563019723 / 1.000557
    assert e["forward_bytes_per_second"] == pytest.approx(forward)
    assert e["reverse_bytes_per_second"] == pytest.approx(reverse)
    assert e["bytes_per_second"] == pytest.approx(forward + reverse)


def test_iperf3_udp_has_rate_packets_and_loss():
    [e] = convert.iperf3(json.loads((FIXTURES / "iperf3_udp.json").read_text()))
    assert e["name"] == "udp_stream/iperf3/size:1400"
    assert e["items_per_second"] == pytest.approx(8921 / 1.000146)
    assert e["bytes_per_second"] == pytest.approx(12489400 / 1.000146)
    assert e["loss_ratio"] == 0.0


def test_sockperf_pingpong_percentiles():
    [e] = convert.sockperf_pingpong((FIXTURES / "sp_pp.txt").read_text(), "udp", 14)
    assert e["name"] == "udp_pingpong/sockperf/size:14"
    assert (e["p50_us"], e["p90_us"], e["p99_us"], e["p999_us"], e["max_us"]) == (27.305, 36.218, 47.379, 86.582, 1501.494)
    assert e["items_per_second"] == pytest.approx(9582 / 0.550)
    [half] = convert.sockperf_pingpong((FIXTURES / "sp_pp.txt").read_text(), "udp", 14, half_rtt=True)
    assert half["p50_us"] == pytest.approx(2 * 27.305)


def test_sockperf_throughput():
    [e] = convert.sockperf_throughput((FIXTURES / "sp_tp.txt").read_text(), "udp", 1400)
    assert e["name"] == "udp_stream/sockperf/size:1400"
    assert e["items_per_second"] == 258436
    assert e["bytes_per_second"] == pytest.approx(345.049e6)
    assert e["iterations"] == 258561


@pytest.mark.parametrize(
    "kind, content, extra, message",
    [
        ("iperf3", "{not json", [], "not JSON"),
        ("iperf3", "[1, 2]", [], "not a JSON object"),
        ("iperf3", '{"start": {}}', [], "not an iperf3 -J result"),
        ("sockperf-pingpong", "hello", ["--proto", "udp", "--size", "14"], "not sockperf ping-pong output"),
        ("sockperf-throughput", "hello", ["--proto", "udp", "--size", "14"], "not sockperf throughput output"),
        ("sockperf-throughput", "x", [], "need --proto and a positive --size"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, kind, content, extra, message):
    f = tmp_path / "in.txt"
    f.write_text(content)
    r = subprocess.run([sys.executable, str(HERE.parent / "peers" / "convert.py"), kind, str(f), *extra],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and message in r.stderr
    assert r.stdout == ""


def test_missing_file_is_exit_2(tmp_path):
    r = subprocess.run([sys.executable, str(HERE.parent / "peers" / "convert.py"), "iperf3", str(tmp_path / "nope")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "No such file" in r.stderr


def test_cli_prints_benchmark_json(tmp_path):
    r = subprocess.run([sys.executable, str(HERE.parent / "peers" / "convert.py"), "iperf3",
                        str(FIXTURES / "iperf3_tcp.json")], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["benchmarks"][0]["name"] == "tcp_stream/iperf3/size:131072"
