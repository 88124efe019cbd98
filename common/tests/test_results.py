"""The reader's rules that writers also have: the headline metric is the one socklab-bench names in
its summary, the reader's own rule serves files without one."""
from common.results import Benchmark


def test_the_writers_headline_wins_over_the_readers_rule():
    b = Benchmark("udp_stream/socklab/size:64", "udp_stream", "socklab", 64,
                  samples={"bytes_per_second": [1.0], "recv_bytes_per_second": [2.0]})
    assert b.headline == "bytes_per_second"  # the rule, for a schema-1 file or a peer's row
    b.summary = {"metric": "recv_bytes_per_second"}
    assert b.headline == "recv_bytes_per_second" and b.median() == 2.0
    b.summary = {"metric": "p50_us"}  # a summary naming a metric the rows lack cannot be the headline
    assert b.headline == "bytes_per_second"
