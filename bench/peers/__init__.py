"""iperf3 and sockperf beside socklab-bench: run interleaved with it (run_peers), their output read (convert)."""
