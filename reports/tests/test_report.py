"""socklab report on small checked-in fixtures: the files it writes, what each figure draws (read back
from the matplotlib artists into figures.json), the numbers in summary.md, and bad input."""
import json
import re
import statistics
import pathlib
import subprocess
import sys

import pytest

from common.results import Benchmark, BenchRun
from history.cli import main as history_main
from history.tests.test_cli import make_history
from reports.render import knees, open_loop_table, tcp_fast_paths_table

HERE = pathlib.Path(__file__).resolve().parent
FIX = HERE / "fixtures"
REPORT = HERE.parent / "report.py"
LINUX, SECOND, BASE = FIX / "bench_linux.json", FIX / "bench_second.json", FIX / "bench_baseline.json"
V2 = FIX / "bench_v2.json"  # a real quick run of schema 2 (intervals, costs), with interleaved peers
CONF = FIX / "conformance_fail_skip.json"
PLATFORMS = FIX / "platforms.json"  # a behaviour x platform matrix (conform --platforms) of the host and 6.1
ALPHA = "Linux 6.1.0-13-amd64 alpha @aaaaaaa"


def run(*args, timeout=120):
    return subprocess.run([sys.executable, REPORT, *map(str, args)], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    out = tmp_path_factory.mktemp("single")
    r = run(LINUX, CONF, "-o", out)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def multi(tmp_path_factory):
    out = tmp_path_factory.mktemp("multi")
    verdict = out.parent / "verdict.json"
    verdict.write_text(json.dumps({"verdict": "fail", "benchmarks": [
        {"name": "tcp_stream/socklab/65536/real_time", "verdict": "regression"}]}))
    r = run(LINUX, SECOND, CONF, "--label", f"second={SECOND}", "--baseline", BASE, "--verdict", verdict, "-o", out)
    assert r.returncode == 0, r.stderr
    return out


def figures(out):
    return json.loads((out / "figures.json").read_text())


def line(axes, label):
    [found] = [s for s in axes["lines"] if s["label"] == label]
    return found


def test_one_run_writes_every_file_it_has_data_for(single):
    stems = ("throughput_tcp", "throughput_udp", "throughput_unix", "latency", "udp_loss", "overhead")
    for stem in stems:
        assert (single / f"{stem}.png").stat().st_size > 0 and (single / f"{stem}.svg").stat().st_size > 0, stem
    assert not (single / "baseline.png").exists() and not (single / "side_by_side.png").exists()
    assert set(figures(single)) == set(stems)
    html = (single / "index.html").read_text()
    assert "<script" not in html and "http://" not in html and "https://" not in html  # works offline
    assert 'src="throughput_tcp.svg"' in html


def test_throughput_lines_are_medians_with_min_max_per_implementation(single):
    [ax] = figures(single)["throughput_tcp"]["axes"]
    assert ax["xscale"] == "log" and "Gbit/s" in ax["ylabel"] and "size" in ax["xlabel"] and ax["title"]
    socklab, iperf3 = line(ax, "socklab"), line(ax, "iperf3")
    assert socklab["x"] == [4096, 65536] and socklab["y"] == pytest.approx([11, 31]) and socklab["error_bars"]
    assert line(ax, "raw")["y"] == pytest.approx([10, 31])
    assert iperf3["x"] == [4096] and iperf3["y"] == pytest.approx([5])
    [unix] = figures(single)["throughput_unix"]["axes"]
    assert {s["label"] for s in unix["lines"]} == {"socklab (unix_stream)", "socklab (unix_dgram)"}


def test_latency_has_p50_p99_p999_per_implementation(single):
    [tcp] = figures(single)["latency"]["axes"]  # only TCP ping-pong is in the fixture
    assert tcp["title"] == "TCP ping-pong latency" and tcp["yscale"] == "log" and "µs" in tcp["ylabel"]
    assert line(tcp, "socklab p50")["y"] == pytest.approx([101])
    assert line(tcp, "socklab p99")["y"] == pytest.approx([160])
    assert line(tcp, "socklab p99.9")["y"] == pytest.approx([310])
    sockperf = line(tcp, "sockperf p50")
    assert sockperf["x"] == [14] and sockperf["y"] == pytest.approx([104])
    # Every percentile carries its spread: the interval of its median, or min-max with few repetitions.
    assert all(series["error_bars"] for series in tcp["lines"])


@pytest.mark.parametrize("figure", ["latency", "throughput_tcp", "throughput_udp"])
def test_log_axes_read_as_plain_numbers(single, figure):
    for ax in figures(single)[figure]["axes"]:
        labels = [t for t in ax["yticklabels"] if t]
        assert labels and all(re.fullmatch(r"[0-9]+(\.[0-9]+)?", t) for t in labels), labels


def test_loss_lines_show_their_spread_and_stay_apart_when_they_coincide(single):
    # socklab and raw both lose 0 %: one line used to hide the other.
    [ax] = figures(single)["udp_loss"]["axes"]
    socklab, raw = line(ax, "socklab (udp_stream)"), line(ax, "raw (udp_stream)")
    assert socklab["error_bars"] and raw["error_bars"]
    assert socklab["marker"] != raw["marker"]


def test_loss_is_in_percent_per_datagram_family(single):
    [ax] = figures(single)["udp_loss"]["axes"]
    assert line(ax, "socklab (udp_stream)")["y"] == pytest.approx([2.0])
    assert line(ax, "raw (udp_stream)")["y"] == pytest.approx([2.0])
    assert line(ax, "socklab (unix_dgram)")["y"] == pytest.approx([0.0])


def test_overhead_dots_come_from_the_runs_overhead_table(single):
    # Rates (> 1 faster) and latencies (< 1 faster) on panels of their own, never one axis.
    rates, latency = figures(single)["overhead"]["axes"]
    assert rates["yticklabels"] == ["tcp_stream/4096 (bytes_per_second)"] and "> 1 is faster" in rates["xlabel"]
    assert latency["yticklabels"] == ["tcp_pingpong/1 (p50_us)"] and "< 1 is faster" in latency["xlabel"]
    assert line(rates, "ratio")["x"] == pytest.approx([1.0]) and line(latency, "ratio")["x"] == pytest.approx([101 / 99])
    assert "without intervals" in rates["title"]  # a schema-1 table has none


def test_summary_numbers_match_the_inputs(single):
    md = (single / "summary.md").read_text()
    row = next(r for r in md.splitlines() if r.startswith("| tcp_stream/size:4096 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    # benchmark, metric, socklab, raw, iperf3, sockperf, CI, reps, settled, ratio, verdict: a schema-1 file
    # has medians only
    assert cells == ["tcp_stream/size:4096", "bytes_per_second", "11.00 Gbit/s", "10.00 Gbit/s", "5.00 Gbit/s", "–",
                     "–", "3", "–", "1.100", "–"]
    assert "| tcp_pingpong/size:1 | p50_us | 101.0 µs | 99.0 µs |" in md
    assert "| tcp_connect | items_per_second | 5,100 /s | 5,000 /s |" in md
    assert ALPHA in md and "cubic" in md and "cross-cpu" in md  # run context


def test_conformance_tables_show_failures_skips_and_observed_values(single):
    md = (single / "summary.md").read_text()
    assert f"| run | pass | fail | skip | not-applicable |\n|---|---|---|---|---|\n| {ALPHA} · socklab | 2 | 1 | 1 | 0 |" in md
    differences = md.split("did not pass in every run")[1].split("## Plots")[0]
    assert "| TCP-SEND-01 | send may send part of the data. | FAIL (sent=4096) |" in differences
    assert "| IPV6-01 |" in differences and "skip" in differences and "CON-01" not in differences
    assert "pass (backlog=5, accept_queue_capacity=6)" in md  # the full table keeps observed values


def test_the_conformance_matrix_is_an_html_table_filterable_by_status(single):
    # It was a PNG with 5 px text and observed values cut short ("accept_queue_capacity[backl…").
    html = (single / "index.html").read_text()
    matrix = html.split('<div class="matrix">')[1].split("</table>")[0]
    assert "<td>BACKLOG-01</td>" in matrix and "pass (backlog=5, accept_queue_capacity=6)" in matrix
    assert '<tr class="has-fail"><td>TCP-SEND-01</td>' in matrix and '<tr class="has-skip"><td>IPV6-01</td>' in matrix
    assert '<label for="show-fail">fail (1)</label>' in matrix and '<label for="show-skip">skip (1)</label>' in matrix
    assert "#show-fail:checked ~ div.wide > table > tbody > tr:not(.has-fail):not(.group) { display: none; }" in html
    assert not (single / "conformance.png").exists()


def test_a_behaviour_over_kinds_says_how_each_kind_went_and_opens_to_them(tmp_path):
    doc = json.loads(CONF.read_text())
    doc["schema_version"] = 2
    instance = {"status": "pass", "duration_ms": 0.5, "observed": {"peeked": "hel"}}
    doc["behaviours"][0].update(status="fail", observed={"peeked": "hel"}, instances=[
        {**instance, "kind": "tcp4"}, {**instance, "kind": "unix_stream"},
        {**instance, "kind": "udp6", "status": "fail", "message": "peeked 'h'", "observed": {"peeked": "h"}},
        {**instance, "kind": "tcp6", "status": "skip", "message": "no IPv6 loopback", "observed": {}}])
    (tmp_path / "conf.json").write_text(json.dumps(doc))
    r = run(tmp_path / "conf.json", "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    md = (tmp_path / "out" / "summary.md").read_text()
    assert "FAIL [4 kinds: 2 pass, 1 FAIL (udp6), 1 skip (tcp6)] (peeked=hel)" in md
    matrix = (tmp_path / "out" / "index.html").read_text().split('<div class="matrix">')[1].split("</div></div>")[0]
    assert '<tr class="group"><th colspan="3">g: 4 behaviours, 4 instances over socket kinds</th></tr>' in matrix
    kinds = matrix.split("<details><summary>FAIL [4 kinds")[1].split("</details>")[0]
    assert '<tr><td>udp6</td><td class="fail">fail</td><td>peeked=h</td></tr>' in kinds
    assert '<tr><td>tcp6</td><td class="skip">skip</td><td>no IPv6 loopback</td></tr>' in kinds
    assert '<tr class="has-fail"><td>CON-01</td>' in matrix


def test_the_page_says_what_produced_it_and_links_every_file(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "bench.json").write_text(V2.read_text())
    (out / "conformance-junit.xml").write_text("<testsuites/>")
    r = run(out / "bench.json", CONF, "-o", out)
    assert r.returncode == 0, r.stderr
    html = (out / "index.html").read_text()
    about = html.split('<ul class="about">')[1].split("</ul>")[0]
    assert "benchmarks, quick profile, 2026-12-01T21:06:26Z, commit 733e5fc483ed" in about
    assert "Debian GNU/Linux 12 (bookworm)" in about
    files = html.split("<h2>Files in this folder</h2>")[1]
    for name in ["bench.json", "conformance-junit.xml", "summary.md", "figures.json", "latency.svg", "latency.png"]:
        assert f'<a href="{name}">{name}</a>' in files, name
    # The runs table names files, not absolute paths that widen it past the page.
    assert str(out) not in html.split("<h2>Runs</h2>")[1].split("</table>")[0]


def test_measured_values_are_rounded_not_printed_to_17_digits(tmp_path):
    doc = json.loads(CONF.read_text())
    doc["behaviours"][0]["observed"] = {"elapsed_s": 0.12207799999999999, "backlog": 5}
    (tmp_path / "conf.json").write_text(json.dumps(doc))
    r = run(tmp_path / "conf.json", "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    md = (tmp_path / "out" / "summary.md").read_text()
    assert "elapsed_s=0.122078, backlog=5" in md and "0.12207799999999999" not in md


def test_python_reference_gets_its_own_column_beside_socklab(tmp_path):
    reference = json.loads(CONF.read_text())
    reference["implementation"] = "python"
    for b in reference["behaviours"]:
        b["status"] = "pass"
    (tmp_path / "python.json").write_text(json.dumps(reference))
    r = run(CONF, tmp_path / "python.json", "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "out" / "index.html").read_text()
    assert f"<th>{ALPHA} · socklab</th><th>{ALPHA} · python</th>" in html.split('<div class="matrix">')[1]
    differences = (tmp_path / "out" / "summary.md").read_text().split("did not pass in every run")[1]
    assert "| TCP-SEND-01 |" in differences and "FAIL (sent=4096) | pass (sent=4096) |" in differences


def test_a_platform_matrix_shows_what_differs_between_platforms_side_by_side(tmp_path):
    r = run(LINUX, CONF, PLATFORMS, "-o", tmp_path)
    assert r.returncode == 0, r.stderr
    summary = (tmp_path / "summary.md").read_text()
    section = summary.split(f"## Across platforms ({PLATFORMS})", 1)[1].split("\n## ", 1)[0]
    assert "| net/ipv4/tcp_congestion_control | bbr | cubic |" in section
    assert "Behaviours where platforms differ: 3 of 5 compared." in section
    assert '| TCP-OPT-05 (new) | the default congestion control | pass (default="bbr") | pass (default="cubic") |' \
        in section
    assert "| TCP-BACKLOG-02 | fails on an older kernel |" in section  # recorded in the catalog: not new
    assert "CON-01" not in section  # the same everywhere
    page = (tmp_path / "index.html").read_text()
    assert "Across platforms" in page and "6.1 (6.1.0-57-amd64, emulated)" in page


def test_a_damaged_platform_matrix_is_refused_naming_it(tmp_path):
    doc = json.loads(PLATFORMS.read_text())
    del doc["summary"]
    bad = tmp_path / "platforms.json"
    bad.write_text(json.dumps(doc))
    r = run(bad, "-o", tmp_path / "out")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert f"{bad}: not a valid platforms document" in r.stderr and "summary" in r.stderr
    assert not (tmp_path / "out").exists()


def test_two_runs_side_by_side_with_labels(multi):
    [ax] = figures(multi)["side_by_side"]["axes"]
    assert [b["label"] for b in ax["bars"]] == [ALPHA, "second"]
    names = ax["yticklabels"]
    i = names.index("tcp_stream/socklab/4096 (bytes_per_second)")
    assert ax["bars"][0]["values"][i] == pytest.approx(1.0) and ax["bars"][1]["values"][i] == pytest.approx(0.5)
    # Every bar carries its interval: the first run's median interval (or range) relative to its
    # median, the second's the spread of its ratio to the first.
    assert all(len(ax["intervals"][label]) == len(names) for label in (ALPHA, "second"))
    [(_, low, high)] = [iv for iv in ax["intervals"]["second"] if round(iv[0] - 0.2) == i]
    assert low < 0.5 < high
    [tcp] = figures(multi)["throughput_tcp"]["axes"]
    assert line(tcp, "second · socklab")["y"] == pytest.approx([5.5, 15.5])
    assert "| second | benchmarks |" in (multi / "summary.md").read_text()


def test_baseline_change_has_the_gate_verdict(multi):
    fig = figures(multi)["baseline"]
    [ax] = fig["axes"]
    assert "FAIL" in ax["title"]
    i = ax["yticklabels"].index("tcp_stream/socklab/65536")
    assert ax["bars"][0]["values"][i] == pytest.approx(-20.0)
    assert ax["bars"][0]["values"][ax["yticklabels"].index("tcp_stream/raw/65536")] == pytest.approx(0.0)
    md = (multi / "summary.md").read_text()
    assert "Gate verdict: **FAIL**" in md
    # 3 repetitions a side are too few for a 95 % interval: the range of the pairwise ratios is shown,
    # 3.75/5.0 - 1 to 4.0/4.6875 - 1, and said to be one.
    assert ("| tcp_stream/socklab/65536 | bytes_per_second | 38.75 Gbit/s | 31.00 Gbit/s | -20.0 % "
            "| range [-25.0, -14.7] % (3 vs 3) | regression |") in md
    [(y, low, high)] = [iv for iv in ax["intervals"]["change"] if round(iv[0]) == i]
    assert (low, high) == (pytest.approx(-25.0), pytest.approx(100 * (4.0 / 4.6875 - 1)))
    assert "interval" in ax["title"] and len(ax["intervals"]["change"]) == len(ax["yticklabels"])


def test_report_and_gate_agree_on_signs_words_and_colours(tmp_path):
    # Latency went up 25 %: the gate says +25.0 % (its sign: the median went up); so must the report.
    # An insufficient row is not "no change": it has its own colour, as has "the machine changed".
    base = json.loads(LINUX.read_text())
    for row in base["benchmarks"]:
        if row["name"] == "tcp_pingpong/socklab/1/real_time":
            row["p50_us"] *= 0.8
    base_file = tmp_path / "base.json"
    base_file.write_text(json.dumps(base))
    verdict_file = tmp_path / "verdict.json"
    gate = subprocess.run([sys.executable, HERE.parents[1] / "ci" / "gate.py", "--baseline", base_file,
                           "--current", LINUX, "--json", verdict_file, "--warn-only"],
                          capture_output=True, text=True, timeout=120)
    assert gate.returncode == 0, gate.stderr
    verdict = json.loads(verdict_file.read_text())
    [gated] = [r for r in verdict["benchmarks"] if r["name"] == "tcp_pingpong/socklab/1/real_time"
               and r["metric"] == "p50_us"]
    assert gated["change"] == pytest.approx(0.25)
    planted = {"tcp_stream/raw/4096/real_time": "machine-changed", "udp_stream/socklab/1472/real_time": "same"}
    verdict["benchmarks"] = [r for r in verdict["benchmarks"] if r["name"] not in planted]
    verdict["benchmarks"] += [{"name": name, "metric": "bytes_per_second", "verdict": v} for name, v in planted.items()]
    verdict_file.write_text(json.dumps(verdict))
    out = tmp_path / "out"
    r = run(LINUX, "--baseline", base_file, "--verdict", verdict_file, "-o", out)
    assert r.returncode == 0, r.stderr
    row = next(line for line in (out / "summary.md").read_text().splitlines()
               if line.startswith("| tcp_pingpong/socklab/1 | p50_us |"))
    assert "| +25.0 % |" in row and f"| {gated['verdict']} |" in row
    [ax] = figures(out)["baseline"]["axes"]
    assert "+ = the median went up" in ax["xlabel"]
    colour = dict(zip(ax["yticklabels"], ax["bars"][0]["colours"]))
    assert gated["verdict"] == "insufficient"  # the fixture has 3 repetitions a side
    named = {"insufficient": colour["tcp_pingpong/socklab/1"], "machine-changed": colour["tcp_stream/raw/4096"],
             "same": colour["udp_stream/socklab/1472"]}
    assert len(set(named.values())) == 3, named


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("", "empty file"),
    ("{\"benchmarks\": [", "not valid JSON"),
    ("[1, 2]", "not a JSON object"),
    ("{\"foo\": 1}", "unknown JSON shape"),
    ("{\"context\": {}, \"benchmarks\": []}", "no benchmark results"),
    ("{\"benchmarks\": [{\"real_time\": 1}]}", "has no name"),
    ("{\"behaviours\": [{\"id\": \"X-01\", \"status\": \"maybe\"}]}", "known status"),
])
def test_bad_input_is_one_line_exit_2_and_leaves_the_old_report(tmp_path, single, content, message):
    out = tmp_path / "out"
    assert run(LINUX, "-o", out).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    r = run(LINUX, bad, "-o", out)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and str(bad) in r.stderr and message in r.stderr, r.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize("args", [[], ["--label", "noequals"], [LINUX, "--verdict", LINUX], [CONF, "--baseline", BASE],
                                  ["--frobnicate"]])
def test_usage_errors_exit_2(tmp_path, args):
    r = run(*args, "-o", tmp_path / "out")
    assert r.returncode == 2 and "usage:" in r.stderr
    assert not (tmp_path / "out").exists()


def test_cross_host_runs_are_labelled_with_the_far_end(tmp_path):
    doc = json.loads(LINUX.read_text())
    doc["context"].update({"path": "remote", "peer_address": "10.250.0.2:5301",
                           "peer_context": {"host_name": "far", "kernel": "6.1"}})
    remote = tmp_path / "remote.json"
    remote.write_text(json.dumps(doc))
    r = run(remote, "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    assert f"{ALPHA} → far (10.250.0.2:5301)" in (tmp_path / "out" / "summary.md").read_text()


@pytest.fixture(scope="module")
def v2(tmp_path_factory):
    out = tmp_path_factory.mktemp("v2")
    r = run(V2, "-o", out)
    assert r.returncode == 0, r.stderr
    return out, json.loads(V2.read_text())


def test_the_report_says_what_produced_the_run(v2):
    out, doc = v2
    md = (out / "summary.md").read_text()
    ctx = doc["context"]
    for fact in ("Profile **quick**", ctx["date"], ctx["socklab_commit"][:12], ctx["cpu_model"], ctx["kernel"],
                 f"seed {doc['socklab']['schedule']['seed']}"):
        assert fact in md, fact


def test_each_row_shows_its_interval_and_whether_it_settled(v2):
    out, doc = v2
    md = (out / "summary.md").read_text()
    summary = {s["name"]: s for s in doc["socklab"]["summary"]}
    tcp = summary["tcp_stream/socklab/size:4096"]
    row = next(r for r in md.splitlines() if r.startswith("| tcp_stream/size:4096 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[6] == f"[{tcp['ci_low'] * 8e-9:.2f} Gbit/s, {tcp['ci_high'] * 8e-9:.2f} Gbit/s]"
    assert cells[7] == str(tcp["repetitions"]) and cells[8] == ("yes" if tcp["settled"] else "UNSETTLED")
    overhead = {o["benchmark"]: o for o in doc["socklab"]["overhead"]}["tcp_stream/size:4096"]
    assert cells[9] == f"{overhead['ratio']:.3f} [{overhead['ratio_ci_low']:.3f}, {overhead['ratio_ci_high']:.3f}]"
    assert cells[10] == overhead["verdict"]


def test_costs_and_peers_have_tables_of_their_own(v2):
    out, doc = v2
    md = (out / "summary.md").read_text()
    assert "| tcp_stream/size:4096 | " in md.split("What each operation costs")[1]
    peers = md.split("Against the peer tools")[1].split("## Plots")[0]
    for c in doc["socklab"]["peers"]["comparisons"]:
        assert f"| {c['benchmark']} | {c['tool']}" in peers and c["verdict"] in peers
    assert "sockperf (14 B)" in peers  # sockperf's smallest message, not socklab's 1 B


def test_overhead_verdicts_and_intervals_are_drawn(v2):
    out, doc = v2
    rates, latency = figures(out)["overhead"]["axes"]
    rows = doc["socklab"]["overhead"]
    assert (line(rates, "ratio")["x"] + line(latency, "ratio")["x"]
            == pytest.approx([r["ratio"] for r in rows if r["metric"] != "p50_us"]
                             + [r["ratio"] for r in rows if r["metric"] == "p50_us"]))
    assert "95 % interval" in rates["title"] and "no measurable difference" in latency["title"]
    [tcp] = figures(out)["throughput_tcp"]["axes"]
    assert "95 % interval" in tcp["title"]


FAST = FIX / "bench_fast_paths.json"  # a real quick run: udp_stream and its fast paths at 64 B


def test_fast_paths_get_their_figure_and_table(tmp_path):
    r = run(FAST, "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    [ax] = figures(tmp_path / "out")["throughput_udp_fast_paths"]["axes"]
    assert {s["label"] for s in ax["lines"]} == {f"{impl} ({family})" for impl in ("socklab", "raw") for family in
                                                 ("udp_stream", "udp_stream_mmsg", "udp_stream_gso", "udp_stream_gso_gro")}
    doc = json.loads(FAST.read_text())
    rates = {}
    for row in doc["benchmarks"]:
        if row.get("run_type") == "iteration":
            rates.setdefault(row["name"], []).append(row["items_per_second"])
    md = (tmp_path / "out" / "summary.md").read_text()
    table = md.split("UDP fast paths (socklab/fast_paths.hpp)")[1].split("\n\n")[1]
    rows = {cells[0]: cells for cells in (
        [c.strip() for c in line.strip("|").split("|")] for line in table.splitlines()[2:])}
    assert set(rows) == {f"{f}/{impl}/size:64" for impl in ("socklab", "raw") for f in
                         ("udp_stream", "udp_stream_mmsg", "udp_stream_gso", "udp_stream_gso_gro")}
    gro = rows["udp_stream_gso_gro/socklab/size:64"]
    assert gro[4] == "64" and rows["udp_stream_mmsg/raw/size:64"][4] == "32" and rows["udp_stream/raw/size:64"][4] == "1"
    assert rows["udp_stream/socklab/size:64"][2] == "1.0"
    # the speed-up is the ratio of the two medians of datagrams sent per second
    speedup = statistics.median(rates["udp_stream_gso_gro/socklab/size:64"]) / statistics.median(
        rates["udp_stream/socklab/size:64"])
    assert gro[2] == f"{speedup:.1f}" and speedup > 1


FLOWS = FIX / "bench_flows_open_loop.json"  # a real run: tcp_stream_flows' sweep and tcp_rr_open's loads at 64 B


def medians(doc, metric):
    values = {}
    for row in doc["benchmarks"]:
        if row.get("run_type") == "iteration" and metric in row:
            values.setdefault(row["name"], []).append(row[metric])
    return {name: statistics.median(v) for name, v in values.items()}


@pytest.fixture(scope="module")
def flows_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("flows")
    r = run(FLOWS, "-o", out)
    assert r.returncode == 0, r.stderr
    return out, json.loads(FLOWS.read_text()), (out / "summary.md").read_text()


def table_rows(md, title):
    table = md.split(title)[1].split("\n\n")[1]
    return {cells[0]: cells for cells in ([c.strip() for c in line.strip("|").split("|")]
                                          for line in table.splitlines()[2:])}


def test_flows_are_drawn_against_the_flow_count_with_their_fairness(flows_report):
    out, doc, _ = flows_report
    left, right = figures(out)["flows"]["axes"]
    bps, jain = medians(doc, "bytes_per_second"), medians(doc, "fairness_jain")
    for impl in ("socklab", "raw"):
        for threads in (1, 2):
            label = f"{impl} (tcp_stream_flows, {threads} thread{'s' * (threads != 1)})"
            names = {int(n.split("flows:")[1].split("/")[0]): n for n in bps
                     if n.startswith(f"tcp_stream_flows/{impl}/") and n.endswith(f"/threads:{threads}")}
            drawn = line(left, label)
            assert drawn["x"] == sorted(names)
            assert drawn["y"] == pytest.approx([bps[names[f]] * 8e-9 for f in sorted(names)])
            assert line(right, label)["y"] == pytest.approx([jain[names[f]] for f in sorted(names)])


def test_the_flows_table_has_every_shape_with_its_fairness(flows_report):
    _, doc, md = flows_report
    rows = table_rows(md, "Many flows over epoll")
    jain = medians(doc, "fairness_jain")
    assert set(rows) == set(jain)
    for name, cells in rows.items():
        assert cells[1] == f"{int(name.split('flows:')[1].split('/')[0]):,}"
        assert cells[6] == f"{jain[name]:.3f}"


def test_latency_under_load_shows_corrected_and_uncorrected_p99_against_the_offered_load(flows_report):
    out, doc, md = flows_report
    [ax] = figures(out)["latency_vs_load"]["axes"]
    offered, p99, raw99 = medians(doc, "offered_per_second"), medians(doc, "p99_us"), medians(doc, "p99_uncorrected_us")
    for impl in ("socklab", "raw"):
        names = sorted((n for n in offered if n.startswith(f"tcp_rr_open/{impl}/")), key=offered.get)
        corrected = line(ax, f"{impl} p99 (tcp_rr_open, 64 B)")
        uncorrected = line(ax, f"{impl} p99 uncorrected (tcp_rr_open, 64 B)")
        assert corrected["x"] == pytest.approx([offered[n] for n in names])
        assert corrected["y"] == pytest.approx([p99[n] for n in names])
        assert uncorrected["y"] == pytest.approx([raw99[n] for n in names])
    rows = table_rows(md, "Latency under load (open loop")
    assert set(rows) == set(offered)
    for name, cells in rows.items():
        assert cells[4].startswith(f"{p99[name]:,.1f} [") and cells[5] == f"{raw99[name]:,.1f}"


def test_the_knee_is_claimed_only_where_the_interval_clears_twice_the_lightest_load(flows_report):
    _, doc, md = flows_report
    rows = table_rows(md, "Latency under load (open loop")
    summaries = {s["name"]: s for s in doc["socklab"]["summary"]}
    samples = {}
    for row in doc["benchmarks"]:
        if row.get("run_type") == "iteration" and "p99_us" in row:
            samples.setdefault(row["name"], []).append(row["p99_us"])
    offered = medians(doc, "offered_per_second")
    for impl in ("socklab", "raw"):
        names = sorted((n for n in offered if n.startswith(f"tcp_rr_open/{impl}/")), key=offered.get)
        # socklab-bench's interval, else (too few repetitions for one) the repetitions' min and max
        interval = {n: (summaries[n]["ci_low"], summaries[n]["ci_high"]) if summaries[n].get("ci_low") is not None
                    else (min(samples[n]), max(samples[n])) for n in names}
        expected = next((n for n in names[1:] if interval[n][0] > 2 * interval[names[0]][1]), None)
        marked = [n for n in names if rows[n][7].startswith("← knee")]
        assert marked == ([expected] if expected else [])


def test_a_knee_is_the_first_load_whose_interval_clears_twice_the_lightest_loads_top():
    def loaded(load, offered, p99s):
        name = f"tcp_rr_open/raw/size:64/load:{load}"
        return name, Benchmark(name, "tcp_rr_open", "raw", 64, {"load": load},
                               samples={"p99_us": p99s, "offered_per_second": [offered] * len(p99s)})
    # Six repetitions each: the interval of the median is [min, max].
    rows = dict([loaded(10, 1000, [100, 110, 120, 130, 140, 150]),    # top of the lightest: 150
                 loaded(50, 5000, [200, 290, 400, 500, 600, 700]),    # bottom 200 <= 300: noise can explain it
                 loaded(75, 7500, [310, 400, 500, 600, 700, 800]),    # bottom 310 > 300: the knee
                 loaded(90, 9000, [900, 1000, 1100, 1200, 1300, 1400])])
    run_ = BenchRun("synthetic.json", {}, rows, {})
    assert knees(run_) == {("tcp_rr_open", "raw", 64): 7500}
    _, table = open_loop_table(run_)
    assert [r[7].startswith("← knee") for r in table] == [False, False, True, False]
    rows["tcp_rr_open/raw/size:64/load:75"].samples["p99_us"][0] = 290  # now inside the noise too
    assert knees(run_) == {("tcp_rr_open", "raw", 64): 9000}


def test_tcp_fast_paths_are_judged_against_their_plain_family_better_above_one():
    def bench(family, size, metric, values, higher, syscalls):
        name = f"{family}/socklab/size:{size}"
        summary = {"metric": metric, "higher_is_better": higher, "ci_low": min(values), "ci_high": max(values),
                   "syscalls_per_op": syscalls, "cpu_ns_per_op": {"median": 1000.0 * syscalls},
                   "peer_cpu_ns_per_op": {"median": 500.0}}
        return name, Benchmark(name, family, "socklab", size, samples={metric: values}, summary=summary)
    rows = dict([bench("tcp_stream", 65536, "bytes_per_second", [1e9, 2e9, 3e9], True, 1.0),
                 bench("tcp_stream_uring", 65536, "bytes_per_second", [3e9, 4e9, 5e9], True, 0.0625),
                 bench("tcp_pingpong", 1, "p50_us", [60.0, 80.0, 100.0], False, 2.0),
                 bench("tcp_pingpong_uring", 1, "p50_us", [30.0, 40.0, 50.0], False, 1.0),
                 bench("tcp_stream_zerocopy", 4096, "bytes_per_second", [1e9], True, 1.1)])  # no plain twin
    header, table = tcp_fast_paths_table(BenchRun("synthetic.json", {}, rows, {}))
    got = {r[0]: r for r in table}
    assert set(got) == {"tcp_stream_uring/socklab/size:65536", "tcp_pingpong_uring/socklab/size:1",
                        "tcp_stream_zerocopy/socklab/size:4096"}
    stream, pingpong = got["tcp_stream_uring/socklab/size:65536"], got["tcp_pingpong_uring/socklab/size:1"]
    assert stream[2] == "2.00" and pingpong[2] == "2.00"  # twice the bytes; half the latency
    assert stream[3] == "0.06 (1.00)" and pingpong[3] == "1.00 (2.00)"
    assert pingpong[4] == "1,000 (2,000)" and pingpong[5] == "500 (500)"
    assert got["tcp_stream_zerocopy/socklab/size:4096"][2] == "–"
    assert stream[1] == "bytes_per_second 32.00 Gbit/s [24.00 Gbit/s, 40.00 Gbit/s]"  # bytes shown as bits


def test_a_history_adds_a_trends_page_with_its_changes_and_a_report_without_one_removes_it(tmp_path):
    db = tmp_path / "history.sqlite"
    assert history_main(["add", "--db", str(db), *make_history(tmp_path / "runs")]) == 0
    out = tmp_path / "report"
    r = run(LINUX, "--history", db, "-o", out)
    assert r.returncode == 0, r.stderr
    page = (out / "trends.html").read_text()
    for family in ("tcp_stream", "udp_stream"):
        assert f'<img src="trend_{family}.svg"' in page and (out / f"trend_{family}.png").is_file()
    # the change socklab's code made (tcp_stream's socklab twin only), and the one the machine made (both twins)
    summary = (out / "summary.md").read_text()
    [code] = [row for row in summary.splitlines() if row.startswith("| tcp_stream/socklab/size:64 |")]
    assert "| -1" in code and "| c25 " in code and "socklab's code changed" in code, code
    [ratio] = [row for row in summary.splitlines() if row.startswith("| tcp_stream/socklab/size:64 ÷ raw |")]
    assert "| -1" in ratio and "| c25 " in ratio, ratio
    udp = [row for row in summary.splitlines() if row.startswith(("| udp_stream/socklab/", "| udp_stream/raw/"))]
    assert len(udp) == 2 and "the machine changed" in udp[0] + udp[1] and "no raw twin" in udp[0] + udp[1], udp
    assert "6 series over 40 runs" in summary and "trends.html" in (out / "index.html").read_text()
    r = run(LINUX, "-o", out)
    assert r.returncode == 0, r.stderr
    assert not (out / "trends.html").exists() and not list(out.glob("trend_*"))


def test_a_history_that_is_not_there_is_one_line_and_exit_2(tmp_path):
    r = run(LINUX, "--history", tmp_path / "none.sqlite", "-o", tmp_path / "out")
    assert r.returncode == 2 and r.stderr.strip().endswith("none.sqlite: no such history"), r.stderr
    assert not (tmp_path / "none.sqlite").exists()
