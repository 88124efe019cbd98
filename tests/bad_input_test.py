"""Bad input, everywhere a user can type a file name: every Python tool of the project given a
missing file, a folder, binary bytes, an empty file, truncated JSON, the wrong JSON shape, an
absurd number, or an unknown flag answers with one clear line (after argparse's usage line, for
flags) and exit code 2 — and an output file that existed before is left as it was.
(Mutated JSON in bulk is fuzz/results_fuzz.py's job; the ./socklab driver's own usage errors are
in driver_test.py.)"""
import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
GOOD_BENCH = ROOT / "reports/tests/fixtures/bench_linux.json"
GOOD_CONF = ROOT / "reports/tests/fixtures/conformance_fail_skip.json"

BAD_FILES = {
    "missing": None,
    "folder": "<dir>",
    "binary": b"\xff\xfe\x00\x01garbage",
    "empty": b"",
    "truncated": GOOD_BENCH.read_bytes()[:300],
    "wrong-shape": b"[1, 2, 3]",
    "absurd-number": json.dumps({"benchmarks": [{"name": "x/socklab/1", "real_time": 10 ** 400}]}).encode(),
}

# tool name -> (script, arguments with {bad} for the bad file and {out} for an output file, or None)
TOOLS = {
    "report": ("reports/report.py", ["{bad}", "-o", "{out}"]),
    "gate": ("ci/gate.py", ["--baseline", str(GOOD_BENCH), "--current", "{bad}", "--json", "{out}"]),
    "gate-baseline": ("ci/gate.py", ["--baseline", "{bad}", "--current", str(GOOD_BENCH), "--summary", "{out}"]),
    "differential": ("conformance/reference/differential.py", [str(GOOD_CONF), "{bad}", "--markdown", "{out}"]),
    "python-reference": ("conformance/reference/python_reference.py", ["--catalog", "{bad}", "--report", "{out}"]),
    "run-peers": ("bench/peers/run_peers.py", ["{bad}", "--tools", "none"]),
    "convert": ("bench/peers/convert.py", ["iperf3", "{bad}"]),
    "history-add": ("history/cli.py", ["add", "--db", "{out}", "{bad}"]),
    "history-show": ("history/cli.py", ["show", "--db", "{bad}"]),
    "gate-history": ("ci/gate.py", ["--history", "{bad}", "--current", str(GOOD_BENCH), "--json", "{out}"]),
}


def run(script, args, timeout=120):
    return subprocess.run([sys.executable, str(ROOT / script), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def make_bad(tmp_path, kind):
    path = tmp_path / f"input-{kind}.json"
    content = BAD_FILES[kind]
    if content == "<dir>":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    return path


def one_clear_line(stderr):
    lines = [line for line in stderr.strip().splitlines() if not line.startswith(("usage:", " "))]
    return len(lines) == 1 and len(lines[0]) < 400


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_bad_file_is_one_line_exit_2_and_no_output_is_harmed(tmp_path, tool, kind):
    script, template = TOOLS[tool]
    if tool == "python-reference" and kind == "absurd-number":
        pytest.skip("a catalog has no numbers to overflow")
    bad = make_bad(tmp_path, kind)
    out = tmp_path / "previous-output"
    out.write_text("previous")
    # The file the tool would write: its output, or (the peer runner) the input it merges into.
    written = out if any("{out}" in a for a in template) else bad
    before = written.read_bytes() if written.is_file() else None
    r = run(script, [a.format(bad=bad, out=out) for a in template])
    assert r.returncode == 2, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert one_clear_line(r.stderr), r.stderr
    assert "Traceback" not in r.stderr
    if before is not None:
        assert written.read_bytes() == before, f"{written.name} was changed"


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_unknown_flag_is_exit_2_with_the_reason(tool):
    script, template = TOOLS[tool]
    r = run(script, [a.format(bad=GOOD_BENCH, out="/nonexistent/out") for a in template] + ["--no-such-flag"])
    assert r.returncode == 2 and "--no-such-flag" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_results_fuzz_checks_its_own_arguments():
    r = run("fuzz/results_fuzz.py", ["--seconds", "-1"])
    assert r.returncode == 2 and "--seconds" in r.stderr


def test_the_gate_refuses_a_platform_matrix_saying_what_reads_one():
    matrix = ROOT / "reports/tests/fixtures/platforms.json"
    r = run("ci/gate.py", ["--baseline", str(matrix), "--current", str(GOOD_CONF)])
    assert r.returncode == 2 and one_clear_line(r.stderr), r.stderr
    assert f"{matrix}: a behaviour x platform matrix (platforms.json): the report reads it" in r.stderr
