"""socklab history from the command line: runs added once each, and changes named by their first
commit, their size and whether the raw twin moved with them."""
import numpy as np

from history.cli import main
from history.tests.test_store import bench_file


def make_history(tmp_path, runs=40):
    """`runs` runs: tcp_stream's socklab twin 15 % slower from run 25 on (the code), udp_stream's two
    twins both 20 % faster from run 15 on (the machine)."""
    rng = np.random.default_rng(7)
    folders = []
    for r in range(runs):
        noise = lambda: float(np.exp(rng.normal(0, 0.02)))  # noqa: E731
        levels = {("tcp_stream", "socklab"): (85.0 if r >= 25 else 100.0) * noise(),
                  ("tcp_stream", "raw"): 100.0 * noise(),
                  ("udp_stream", "socklab"): (120.0 if r >= 15 else 100.0) * noise(),
                  ("udp_stream", "raw"): (120.0 if r >= 15 else 100.0) * noise()}
        bench_file(tmp_path / f"run{r}", r, commit=f"c{r:02d}", levels=levels)
        folders.append(str(tmp_path / f"run{r}"))
    return folders


def test_runs_are_added_once_and_changes_named_with_their_cause(tmp_path, capsys):
    db = str(tmp_path / "h.sqlite")
    folders = make_history(tmp_path)
    assert main(["add", "--db", db, *folders]) == 0
    assert main(["add", "--db", db, folders[3]]) == 0
    assert "already there" in capsys.readouterr().out
    assert main(["changes", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    code = [line for line in lines if line.startswith("tcp_stream/socklab/size:64 ")]
    machine = [line for line in lines if line.startswith("udp_stream/socklab/size:64 ")]
    assert len(code) == 1 and "from commit c25 " in code[0] and "socklab's code changed" in code[0], lines
    assert code[0].split(": ", 1)[1].startswith("-1"), code  # about -15 %
    assert len(machine) == 1 and "from commit c15 " in machine[0] and "the machine changed" in machine[0], lines
    assert not [line for line in lines if line.startswith("tcp_stream/raw/")]


def test_the_benchmark_filter_and_a_bad_pattern(tmp_path, capsys):
    db = str(tmp_path / "h.sqlite")
    assert main(["add", "--db", db, *make_history(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["changes", "--db", db, "--benchmark", "^udp_stream/raw"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("udp_stream/raw/size:64 ") and "no raw twin" in lines[0]
    assert main(["changes", "--db", db, "--benchmark", "("]) == 2
    assert "--benchmark: not a regular expression" in capsys.readouterr().err


def test_a_bad_run_writes_nothing(tmp_path, capsys):
    db = tmp_path / "h.sqlite"
    assert main(["add", "--db", str(db), str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err.strip().endswith("missing: no such file or folder")
    assert not db.exists()
