"""socklab-conform's report: it validates against the schema, says what ran, and bad input fails cleanly."""
import json
import pathlib
import subprocess

import jsonschema
import pytest

HERE = pathlib.Path(__file__).resolve().parent
SCHEMA = json.loads((HERE.parents[1] / "schemas" / "conformance.schema.json").read_text())
CATALOG = json.loads((HERE.parent / "catalog.json").read_text())

# A quick subset that still shows every status: passes, an observation, a capability skip is possible.
FILTER = "Construction.*:Backlog.TCP_BACKLOG_03*:Udp.*:Kinds/PeekOverKinds.*:Kinds/RecvAfterReset.*"


def run(conform, *args):
    return subprocess.run([str(conform), *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def report(conform, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "conformance.json"
    r = run(conform, f"--gtest_filter={FILTER}", f"--report={path}")
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(path.read_text())


def test_report_validates_against_the_schema(report):
    jsonschema.validate(report, SCHEMA)


def test_every_catalog_entry_appears_once(report):
    ids = [b["id"] for b in report["behaviours"]]
    assert sorted(ids) == sorted(b["id"] for b in CATALOG["behaviours"])
    assert len(ids) == len(set(ids))


def test_statuses_follow_what_ran(report):
    by_id = {b["id"]: b for b in report["behaviours"]}
    assert by_id["CON-01"]["status"] == "pass"
    assert by_id["CON-01"]["tests"][0]["name"] == "Construction.CON_01_DefaultsAndAttributes"
    assert by_id["TMO-05"]["status"] == "not-run"  # filtered out
    assert by_id["SIG-02"]["status"] == "not-applicable"
    assert "cannot throw" in by_id["SIG-02"]["reason"]
    counts = {s: sum(b["status"] == s for b in report["behaviours"]) for s in report["summary"]}
    assert counts == report["summary"]


def test_observed_values_are_recorded(report):
    observed = {b["id"]: b.get("observed", {}) for b in report["behaviours"]}["TCP-BACKLOG-03"]
    assert set(observed) == {f"accept_queue_capacity[backlog={n}]" for n in (0, 1, 4, 16)}
    assert all(isinstance(v, int) and v >= 1 for v in observed.values())


def catalog_entry_kinds(bid):
    return next(e for e in CATALOG["behaviours"] if e["id"] == bid)["kinds"]


def test_a_behaviour_over_kinds_lists_an_instance_per_kind(report):
    b = {b["id"]: b for b in report["behaviours"]}["FLAG-01"]
    kinds = [k for n in catalog_entry_kinds("FLAG-01") for k in CATALOG["kind_sets"].get(n, [n])]
    assert [i["kind"] for i in b["instances"]] == kinds + [k + "_swapped" for k in kinds]
    assert all(i["status"] in ("pass", "skip") for i in b["instances"]) and b["status"] == "pass"
    # The behaviour keeps what every kind agreed on; each instance keeps its own.
    assert b["observed"] == {"peeked": "hel", "then": "hello"}
    assert {i["kind"]: i["observed"] for i in b["instances"]}["udp4"] == {"peeked": "hel", "then": "hello"}
    assert all(t["name"].endswith("/" + t["kind"]) for t in b["tests"])


def test_context_names_the_platform(report):
    ctx = report["context"]
    assert ctx["os"] and ctx["kernel"] and ctx["socklab_commit"]
    assert "net/core/somaxconn" in ctx["sysctls"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--catalog=/nonexistent/catalog.json"], "/nonexistent/catalog.json: cannot open the behaviour catalog"),
        (["--no-such-option"], "unknown option '--no-such-option' (see --help)"),
        (["--report=/nonexistent/r.json"], "--report /nonexistent/r.json: folder /nonexistent does not exist"),
        (["--report", "/nonexistent/r.json"], "--report /nonexistent/r.json: folder /nonexistent does not exist"),
        (["--plant-observation", "novalue"], "--plant-observation needs KEY=JSON, e.g. max_path_length=99"),
        (["--catalog"], "--catalog needs a value"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(conform, tmp_path, args, message):
    out = tmp_path / "report.json"
    out.write_text("previous good report\n")
    r = run(conform, "--gtest_filter=Construction.CON_01*", f"--report={out}", *args)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [f"socklab-conform: {message}"]
    assert out.read_text() == "previous good report\n", "a good file was overwritten"


def test_a_flag_and_its_value_may_be_two_arguments(conform, tmp_path):
    out = tmp_path / "report.json"
    r = run(conform, "--gtest_filter=Construction.CON_01*", "--report", str(out))
    assert r.returncode == 0, r.stderr
    assert [b["id"] for b in json.loads(out.read_text())["behaviours"] if b["status"] == "pass"] == ["CON-01"]


def test_malformed_catalog_is_rejected(conform, tmp_path):
    bad = tmp_path / "catalog.json"
    bad.write_text('{"behaviours": [{"id": "X-01"}]}')
    r = run(conform, f"--catalog={bad}", "--gtest_filter=Construction.CON_01*")
    assert r.returncode == 2
    assert "lacks 'group'" in r.stderr
