"""The A/B runner's own pieces: pooling rounds into one sample per side, and refusing bad input
before building anything."""
import json
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
AB = HERE.parent / "ab.py"
from ci import ab


def test_rounds_pool_into_one_renumbered_sample_per_benchmark(tmp_path):
    def round_file(i, values):
        rows = [{"name": "x/socklab/1/real_time", "run_name": "x/socklab/1/real_time", "run_type": "iteration",
                 "repetition_index": k, "repetitions": len(values), "bytes_per_second": v} for k, v in enumerate(values)]
        rows.append({"name": "x/socklab/1/real_time_median", "run_name": "x/socklab/1/real_time",
                     "run_type": "aggregate", "bytes_per_second": 0})
        f = tmp_path / f"r{i}.json"
        f.write_text(json.dumps({"context": {"round": i}, "benchmarks": rows}))
        return f
    ab.pool([(0, round_file(0, [1, 2])), (1, round_file(1, [3, 4]))], tmp_path / "pooled.json")
    doc = json.loads((tmp_path / "pooled.json").read_text())
    assert doc["context"] == {"round": 0} and doc["socklab"]["ab_runs"] == 2
    # Each row keeps the A/B round it ran in: a twin measured in the same round pairs with it.
    assert [(r["repetition_index"], r["repetitions"], r["round"], r["bytes_per_second"]) for r in doc["benchmarks"]] == [
        (0, 4, 0, 1), (1, 4, 0, 2), (2, 4, 1, 3), (3, 4, 1, 4)]


def run(*args):
    return subprocess.run([sys.executable, AB, *args], capture_output=True, text=True, timeout=60)


def test_an_unknown_ref_is_refused_before_building(tmp_path):
    r = run("--ab", "no-such-ref-anywhere", "--out", tmp_path / "ab")
    assert r.returncode == 2 and "not a commit" in r.stderr
    assert not any((tmp_path / "ab").glob("build-*.log"))


def test_bad_flags_exit_2(tmp_path):
    for flags in (["--ab", "HEAD", "--rounds", "0"], ["--ab", "HEAD", "--threshold", "abc"], ["--rounds", "2"],
                  ["--ab", "HEAD", "--placement", "anywhere"]):
        r = run(*flags, "--out", tmp_path / "ab")
        assert r.returncode == 2, flags


def test_only_unsettled_worse_looking_benchmarks_get_more_rounds(tmp_path):
    def doc(series):
        rows = [{"name": f"{n}/socklab/1/real_time", "run_name": f"{n}/socklab/1/real_time", "run_type": "iteration",
                 "repetition_index": k, "repetitions": len(v), "bytes_per_second": x}
                for n, v in series.items() for k, x in enumerate(v)]
        return json.dumps({"context": {}, "benchmarks": rows})
    steady = [100, 101, 99, 100, 102, 98]
    (tmp_path / "a.json").write_text(doc({"unsettled": steady, "slightly": steady, "same": steady, "settled": steady}))
    (tmp_path / "b.json").write_text(doc({"unsettled": [90, 101, 91, 99, 89, 100],  # 5.5 % worse, overlapping
                                          "slightly": [97, 98, 96, 97, 99, 95],  # 3 %: over half the threshold
                                          "same": [99, 100, 98, 99, 101, 97],  # 1 %: noise
                                          "settled": [50, 51, 49, 50, 52, 48]}))  # clearly worse: a regression
    assert sorted(ab.suspects(tmp_path / "a.json", tmp_path / "b.json", [])) == [
        "slightly/socklab/1/real_time", "unsettled/socklab/1/real_time"]
