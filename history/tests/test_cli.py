"""socklab history from the command line: runs added once each, and changes named by their first
commit, their size and whether the raw twin moved with them."""
import re

import numpy as np

from history import trends
from history.cli import main
from history.store import History
from reports import trend_plots
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
    code = [line for line in lines if line.startswith("tcp_stream/socklab/size:64 bytes")]
    machine = [line for line in lines if line.startswith("udp_stream/socklab/size:64 bytes")]
    assert len(code) == 1 and "from commit c25 " in code[0] and "socklab's code changed" in code[0], lines
    assert code[0].split(": ", 1)[1].startswith("-1"), code  # about -15 %
    assert len(machine) == 1 and "from commit c15 " in machine[0] and "the machine changed" in machine[0], lines
    assert not [line for line in lines if line.startswith("tcp_stream/raw/")]
    # the ratio to the twin moved where the code changed, and not where the machine did
    ratio = [line for line in lines if line.startswith("tcp_stream/socklab/size:64 ÷ raw ")]
    assert len(ratio) == 1 and "from commit c25 " in ratio[0] and "socklab's code changed" in ratio[0], lines
    assert not [line for line in lines if line.startswith("udp_stream/socklab/size:64 ÷ raw ")]


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


def test_show_prints_each_series_medians_with_intervals_and_where_changes_start(tmp_path, capsys):
    db = str(tmp_path / "h.sqlite")
    assert main(["add", "--db", db, *make_history(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["show", "--db", db, "--benchmark", "^tcp_stream/socklab", "--last", "16"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("tcp_stream/socklab/size:64 bytes_per_second on vm (quick, cross-cpu, bbr): 40 runs, "
                               "the last 16"), lines[0]
    runs = lines[1:]
    assert len(runs) == 16
    # three repetitions per run are too few for a 95 % interval of the median, and it says so
    assert all("(too few repetitions for an interval) (3 repetitions)" in line for line in runs)
    [start] = [line for line in runs if "starts here" in line]
    assert " c25 " in start and "<- -1" in start  # the 15 % drop, at the run it was planted in


def test_show_plots_one_line_per_machine_and_refuses_what_it_cannot_draw(tmp_path, capsys):
    db = str(tmp_path / "h.sqlite")
    folders = make_history(tmp_path, runs=30)
    assert main(["add", "--db", db, *folders]) == 0
    assert main(["add", "--db", db, "--machine", "other", *folders[:12]]) == 0
    plot = tmp_path / "trend.svg"
    assert main(["show", "--db", db, "--benchmark", "^udp_stream/", "--plot", str(plot)]) == 0
    svg = plot.read_text()  # matplotlib keeps each text as a comment beside its drawing
    assert svg.count("<!-- udp_stream/socklab/size:64 -->") == 1 and svg.count("<!-- udp_stream/raw/size:64 -->") == 1
    assert svg.count("<!-- udp_stream/socklab/size:64 ÷ raw -->") == 1
    with History(db, create=False) as h:
        fig = trend_plots.figure(trends.read(h, benchmark_like=re.compile("^udp_stream/").search), "t")
    assert [ax.get_title() for ax in fig.axes] == ["udp_stream/raw/size:64", "udp_stream/socklab/size:64",
                                                    "udp_stream/socklab/size:64 ÷ raw"]
    for ax in fig.axes:
        _, labels = ax.get_legend_handles_labels()
        assert labels == ["vm", "other"] or labels == ["other", "vm"]
        assert sorted(len(bars.lines[0].get_xdata()) for bars in ax.containers) == [12, 30]
        # the +20 % from run 15 on is marked on vm's line (other's 12 runs end before it); the
        # ratio did not move
        marks = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
        assert len(marks) == (0 if ax.get_title().endswith("÷ raw") else 1), ax.get_title()
    capsys.readouterr()
    assert main(["show", "--db", db, "--plot", str(tmp_path / "trend.pdf")]) == 2
    assert "--plot writes a .png or .svg file" in capsys.readouterr().err
    assert main(["show", "--db", db, "--last", "-1"]) == 2
    assert not (tmp_path / "trend.pdf").exists()
