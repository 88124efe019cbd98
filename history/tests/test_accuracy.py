"""The noise the accuracy measurement takes from a real history: each series' run-to-run spread,
and each socklab series' ratio to its raw twin, read back from runs whose noise is known."""
import numpy as np

from history.accuracy import machine_noise
from history.cli import main
from history.tests.test_store import bench_file


def test_the_run_to_run_noise_of_each_series_and_ratio_is_read_back(tmp_path):
    rng = np.random.default_rng(5)
    folders = []
    for r in range(60):
        # raw: 4 % noise; socklab: the raw run's level times 1 % of its own, so the ratio is quiet
        raw = 100.0 * float(np.exp(rng.normal(0, 0.04)))
        levels = {("tcp_stream", "raw"): raw, ("tcp_stream", "socklab"): 0.9 * raw * float(np.exp(rng.normal(0, 0.01)))}
        folders.append(str(bench_file(tmp_path / f"run{r}", r, levels=levels).parent))
    db = str(tmp_path / "h.sqlite")
    assert main(["add", "--db", db, *folders]) == 0
    noise = machine_noise(db)
    assert set(noise) == {"tcp_stream/raw/size:64 on vm", "tcp_stream/socklab/size:64 on vm",
                          "tcp_stream/socklab/size:64 ÷ raw on vm"}
    assert 0.03 < noise["tcp_stream/raw/size:64 on vm"] < 0.05
    assert 0.005 < noise["tcp_stream/socklab/size:64 ÷ raw on vm"] < 0.015
