# SPDX-License-Identifier: MIT
"""The soak runner (conformance/soak.py) against a stand-in suite that passes, fails on a chosen
run, or writes no report: it counts passes in a row, stops at the first failure, keeps only the
failing runs' reports and refuses bad input with one line and exit 2."""
import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from common import schemas
from conformance import soak

# Stands in for both socklab-conform (--report=FILE) and CPython (-m ... --report FILE): writes a
# one-behaviour report that passes, or, counting its runs in a file (with one copy running), fails
# on run FAKE_FAIL_AT or writes none at all on run FAKE_SILENT_AT.
FAKE_SUITE = textwrap.dedent("""\
    #!/usr/bin/python3
    import json, os, sys
    args = sys.argv[1:]
    report = next((a.split("=", 1)[1] for a in args if a.startswith("--report=")), None)
    report = report or args[args.index("--report") + 1]
    n = 0
    if "FAKE_FAIL_AT" in os.environ or "FAKE_SILENT_AT" in os.environ:  # one copy: no race on the file
        counter = os.environ["FAKE_COUNTER"]
        n = (int(open(counter).read()) if os.path.exists(counter) else 0) + 1
        with open(counter, "w") as f:
            f.write(str(n))
    if n == int(os.environ.get("FAKE_SILENT_AT", "-1")):
        sys.exit(3)
    status = "fail" if n == int(os.environ.get("FAKE_FAIL_AT", "-1")) else "pass"
    with open(report, "w") as f:
        json.dump({"behaviours": [{"id": "X-01", "status": status}], "summary": {}}, f)
    sys.exit(1 if status == "fail" else 0)
""")


@pytest.fixture
def fake(tmp_path, monkeypatch):
    path = tmp_path / "fake-suite"
    path.write_text(FAKE_SUITE)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("FAKE_COUNTER", str(tmp_path / "runs"))
    return str(path)


def soak_with(fake, out, *extra):
    return soak.main(["--conform", fake, "--python", fake, "--out", str(out), *extra])


def summary_in(out):
    with open(out / "soak.json") as f:
        doc = json.load(f)
    assert schemas.violations(doc, "soak") == []
    return doc


def test_every_pass_passing_is_ok_and_keeps_no_report(fake, tmp_path, capsys):
    out = tmp_path / "out"
    assert soak_with(fake, out, "--passes", "3", "--copies", "2") == 0
    said = capsys.readouterr().out
    assert [line.split(" passed")[0] for line in said.splitlines()[:3]] == [f"soak: pass {n}/3" for n in (1, 2, 3)]
    s = summary_in(out)
    assert s["ok"] and s["measured_copy"]["passes_in_a_row"] == 3 and s["failures"] == []
    assert s["measured_copy"]["pass_seconds"]["max"] >= s["measured_copy"]["pass_seconds"]["median"] > 0
    assert sorted(os.listdir(out)) == ["soak.json"]


def test_a_planted_failure_stops_the_soak_and_keeps_that_report(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_FAIL_AT", "3")  # pass 2's socklab run
    out = tmp_path / "out"
    assert soak_with(fake, out, "--passes", "5", "--copies", "1") == 1
    s = summary_in(out)
    assert not s["ok"] and s["measured_copy"]["passes_in_a_row"] == 1
    assert s["ended_by"] == "copy 0 pass 2: socklab fail"
    [failure] = s["failures"]
    assert (failure["number"], failure["suite"], failure["status"], failure["failed"]) == (2, "socklab", "fail", ["X-01"])
    assert sorted(os.listdir(out)) == ["copy0-pass2-socklab.json", "soak.json"]
    assert int((tmp_path / "runs").read_text()) == 3, "no run after the failure"


def test_a_run_without_a_report_is_an_error(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_SILENT_AT", "2")  # pass 1's python run
    out = tmp_path / "out"
    assert soak_with(fake, out, "--passes", "2", "--copies", "1") == 1
    [failure] = summary_in(out)["failures"]
    assert (failure["number"], failure["suite"], failure["status"]) == (1, "python", "error")


@pytest.mark.parametrize("extra", [["--passes", "0"], ["--copies", "0"], ["--time-limit", "0"]])
def test_bad_counts_are_one_line_and_exit_2(fake, tmp_path, extra, capsys):
    assert soak_with(fake, tmp_path / "out", *extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("soak: ") and err.count("\n") == 1
    assert not (tmp_path / "out" / "soak.json").exists()


def test_a_binary_that_cannot_run_is_refused(tmp_path):
    done = subprocess.run([sys.executable, "-m", "conformance.soak", "--conform", str(tmp_path / "missing"),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "not an executable socklab-conform" in done.stderr


def test_the_schema_refuses_a_summary_out_of_shape():
    assert schemas.violations({"schema": "socklab-conformance-soak", "schema_version": 1, "ok": True}, "soak")
