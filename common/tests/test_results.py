"""The reader's rules that writers also have: the headline metric is the one socklab-bench names in
its summary, the reader's own rule serves files without one."""
from common.results import Benchmark, bench_key, bench_name, row_identity, split_name


def test_the_writers_headline_wins_over_the_readers_rule():
    b = Benchmark("udp_stream/socklab/size:64", "udp_stream", "socklab", 64,
                  samples={"bytes_per_second": [1.0], "recv_bytes_per_second": [2.0]})
    assert b.headline == "bytes_per_second"  # the rule, for a schema-1 file or a peer's row
    b.summary = {"metric": "recv_bytes_per_second"}
    assert b.headline == "recv_bytes_per_second" and b.median() == 2.0
    b.summary = {"metric": "p50_us"}  # a summary naming a metric the rows lack cannot be the headline
    assert b.headline == "bytes_per_second"


def test_names_with_dimensions_beyond_the_size_round_trip():
    name = bench_name("tcp_rr_open", "raw", 64, {"load": 50})
    assert name == "tcp_rr_open/raw/size:64/load:50"
    assert split_name(name) == ("tcp_rr_open", "raw", 64, {"load": 50})
    assert bench_key("tcp_stream_flows", 16384, {"flows": 64, "threads": 2}) == "tcp_stream_flows/size:16384/flows:64/threads:2"
    row = {"name": name, "family": "tcp_rr_open", "implementation": "raw", "size": 64, "params": {"load": 50}}
    assert row_identity(row) == ("tcp_rr_open", "raw", 64, {"load": 50})
    assert row_identity({"name": "tcp_stream/raw/size:4096", "family": "tcp_stream", "implementation": "raw",
                         "size": 4096}) == ("tcp_stream", "raw", 4096, {})
