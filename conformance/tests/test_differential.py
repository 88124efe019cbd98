"""The differential against CPython: the reference covers the catalog, socklab and Python agree on
every behaviour except the documented deviations, a planted difference is caught, and the
comparison's rules and bad-input handling hold on small synthetic reports."""
import json
import pathlib
import subprocess
import sys

import pytest

from common import schemas

HERE = pathlib.Path(__file__).resolve().parent
REFERENCE = HERE.parent / "reference" / "python_reference.py"
DIFFERENTIAL = HERE.parent / "reference" / "differential.py"
CATALOG = json.loads((HERE.parent / "catalog.json").read_text())
ENTRIES = {e["id"]: e for e in CATALOG["behaviours"]}


def python(*args, timeout=600):
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def undeclared_observations(report):
    """Observed keys a report (or one of its instances) carries that the catalog entry does not
    list under 'observes'."""
    return {(b["id"], k) for b in report["behaviours"]
            for observed in [b.get("observed", {})] + [i["observed"] for i in b.get("instances", [])]
            for k in observed if k not in ENTRIES[b["id"]].get("observes", [])}


def catalog_kinds(entry):
    """The instance names the catalog gives an entry (kind sets expanded, swapped ones after)."""
    names = []
    for n in entry.get("kinds", []):
        names += [k for k in CATALOG["kind_sets"].get(n, [n]) if k not in names]
    return names + ([k + "_swapped" for k in names] if entry.get("symmetric") else [])


@pytest.fixture(scope="module")
def reports(conform, tmp_path_factory):
    out = tmp_path_factory.mktemp("differential")
    ref = python(REFERENCE, "--quiet", "--report", out / "python.json")
    assert ref.returncode == 0, ref.stdout + ref.stderr
    sub = subprocess.run([conform, "--gtest_brief=1", f"--report={out / 'socklab.json'}"], capture_output=True,
                         text=True, timeout=600)
    assert sub.returncode == 0, sub.stdout[-3000:] + sub.stderr
    return out


def test_reference_runs_every_behaviour_python_can_express(reports):
    report = json.loads((reports / "python.json").read_text())
    assert report["schema"] == "socklab-conformance-report" and report["implementation"] == "python"
    assert schemas.violations(report, "conformance") == []
    assert [b["id"] for b in report["behaviours"]] == list(ENTRIES)
    for b in report["behaviours"]:
        if ENTRIES[b["id"]].get("python_applies", True):
            assert b["status"] in ("pass", "skip"), b  # never silently dropped: not-run would show here
            assert b["tests"], b["id"]
        else:
            assert b["status"] == "not-applicable" and b["reason"], b["id"]
    assert report["context"]["python_version"] and report["context"]["kernel"]
    assert not undeclared_observations(report)


def test_both_sides_run_each_behaviour_over_every_kind_the_catalog_gives_it(reports):
    over_kinds = [e for e in ENTRIES.values() if e.get("kinds")]
    assert over_kinds
    for name in ("python.json", "socklab.json"):
        behaviours = {b["id"]: b for b in json.loads((reports / name).read_text())["behaviours"]}
        for entry in over_kinds:
            b = behaviours[entry["id"]]
            assert [i["kind"] for i in b["instances"]] == catalog_kinds(entry), (name, entry["id"])
            assert all(i["status"] in ("pass", "skip") for i in b["instances"]), (name, b["instances"])


def test_socklab_and_python_differ_only_where_the_catalog_says_why(reports):
    diff = reports / "diff.json"
    r = python(DIFFERENTIAL, reports / "python.json", reports / "socklab.json", "--json", diff,
               "--markdown", reports / "diff.md")
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(diff.read_text())
    assert schemas.violations(doc, "differential") == []
    rows = doc["rows"]
    assert len(rows) == len(ENTRIES)
    assert not [row for row in rows if row["verdict"] == "DIFFERENT"]
    for row in rows:
        if row["verdict"] == "deviation":
            assert ENTRIES[row["id"]]["python_deviation"]
    assert {row["id"] for row in rows if row["verdict"] == "deviation"} == {"SIG-02", "FLAG-04", "TMO-12"}
    # FLAG-04's deviation is the length CPython's recv returns, and nothing else.
    flag04 = next(row for row in rows if row["id"] == "FLAG-04")
    assert flag04["differences"] == [f"recv_length: {flag04['reference_observed']['recv_length']} vs 4"]
    # Values both record that are semantics, not measurements, were really compared.
    unix02 = next(row for row in rows if row["id"] == "UNIX-02")
    assert unix02["reference_observed"]["max_path_length"] == unix02["subject_observed"]["max_path_length"]
    assert "SIG-02" in (reports / "diff.md").read_text().split("Documented deviations:")[1]
    assert not undeclared_observations(json.loads((reports / "socklab.json").read_text()))


def run_unix02(conform, out, *plant):
    sub = subprocess.run([conform, "--gtest_filter=Unix.UNIX_02*", f"--report={out / 'socklab.json'}", *plant],
                         capture_output=True, text=True, timeout=120)
    assert sub.returncode == 0, sub.stdout + sub.stderr
    ref = python(REFERENCE, "--filter", "^UNIX-02$", "--report", out / "python.json")
    assert ref.returncode == 0, ref.stdout + ref.stderr
    return python(DIFFERENTIAL, out / "python.json", out / "socklab.json", "--json", out / "diff.json")


def test_a_planted_difference_is_reported_as_different_and_fails(conform, tmp_path):
    control = run_unix02(conform, tmp_path)
    assert control.returncode == 0, control.stdout + control.stderr
    planted = run_unix02(conform, tmp_path, "--plant-observation=max_path_length=99")
    assert planted.returncode == 1, planted.stdout + planted.stderr
    assert "DIFFERENT UNIX-02" in planted.stdout and "max_path_length: 107 vs 99" in planted.stdout
    [row] = [r for r in json.loads((tmp_path / "diff.json").read_text())["rows"] if r["verdict"] != "not-run"]
    assert row["id"] == "UNIX-02" and row["verdict"] == "DIFFERENT"


def test_plant_option_rejects_a_malformed_value(conform):
    r = subprocess.run([conform, "--plant-observation=max_path_length"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "KEY=JSON" in r.stderr


# ---- the comparison's rules on synthetic reports ------------------------------------------------------


CONTEXT = {"date": "2026-12-01T00:00:00Z", "os": "Linux", "kernel": "6.1", "arch": "x86_64", "socklab_version": "0.1.0",
           "socklab_commit": "abc"}


def report(implementation, rows):
    """A report of (id, status, observed[, instances]) rows; instances are (kind, status, observed)."""
    statuses = ("pass", "fail", "skip", "not-run", "not-applicable")
    behaviours = []
    for i, s, o, *instances in rows:
        b = {"id": i, "group": ENTRIES[i]["group"], "statement": ENTRIES[i]["statement"], "status": s, "observed": o}
        if instances:
            b["instances"] = [{"kind": k, "status": ks, "duration_ms": 1, "observed": ko} for k, ks, ko in instances[0]]
        behaviours.append(b)
    return {"schema": "socklab-conformance-report", "schema_version": 2, "implementation": implementation,
            "context": CONTEXT, "summary": {s: sum(r[1] == s for r in rows) for s in statuses},
            "behaviours": behaviours}


@pytest.fixture
def compare(tmp_path):
    def run(ref_rows, sub_rows):
        (tmp_path / "a.json").write_text(json.dumps(report("python", ref_rows)))
        (tmp_path / "b.json").write_text(json.dumps(report("socklab", sub_rows)))
        r = python(DIFFERENTIAL, tmp_path / "a.json", tmp_path / "b.json", "--json", tmp_path / "d.json")
        doc = json.loads((tmp_path / "d.json").read_text()) if r.returncode in (0, 1) else {}
        assert not doc or schemas.violations(doc, "differential") == []
        rows = doc.get("rows")
        return r.returncode, {row["id"]: row for row in rows or []}

    return run


def test_a_status_difference_fails(compare):
    rc, rows = compare([("CON-01", "pass", {})], [("CON-01", "fail", {})])
    assert rc == 1 and rows["CON-01"]["verdict"] == "DIFFERENT" and rows["CON-01"]["differences"] == ["status pass vs fail"]


def test_measured_values_are_shown_but_not_compared(compare):
    rc, rows = compare([("ADDR-01", "pass", {"ephemeral_port": 1})], [("ADDR-01", "pass", {"ephemeral_port": 2})])
    assert "ephemeral_port" in ENTRIES["ADDR-01"]["measured"]
    assert rc == 0 and rows["ADDR-01"]["verdict"] == "same"


def test_a_semantic_value_is_compared(compare):
    rc, rows = compare([("UDP-06", "pass", {"max_udp_payload": 65507})], [("UDP-06", "pass", {"max_udp_payload": 1})])
    assert rc == 1 and rows["UDP-06"]["differences"] == ["max_udp_payload: 65507 vs 1"]


def test_a_documented_deviation_passes_with_its_reason(compare):
    rc, rows = compare([("SIG-02", "pass", {})], [("SIG-02", "not-applicable", {})])
    assert rc == 0 and rows["SIG-02"]["verdict"] == "deviation"
    assert rows["SIG-02"]["why"] == ENTRIES["SIG-02"]["python_deviation"]


def test_missing_and_not_run_behaviours(compare):
    rc, rows = compare([("CON-01", "pass", {}), ("CON-02", "pass", {})], [("CON-01", "not-run", {})])
    assert rc == 1 and rows["CON-01"]["verdict"] == "not-run"
    assert rows["CON-02"]["verdict"] == "DIFFERENT" and "missing from the socklab report" in rows["CON-02"]["differences"]


def test_the_console_counts_not_run_rows_and_lists_the_others(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(report("python", [("CON-01", "pass", {}), ("CON-02", "pass", {})])))
    (tmp_path / "b.json").write_text(json.dumps(report("socklab", [("CON-01", "not-run", {}), ("CON-02", "fail", {})])))
    r = python(DIFFERENTIAL, tmp_path / "a.json", tmp_path / "b.json")
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        "DIFFERENT CON-02          status pass vs fail",
        "differential: 2 behaviours, 0 same, 1 DIFFERENT, 0 documented deviation(s), 1 not run on one side"]


def test_a_behaviour_over_kinds_is_compared_kind_by_kind(compare):
    same = [("tcp4", "pass", {"peeked": "hel"}), ("udp4", "pass", {"peeked": "hel"})]
    rc, rows = compare([("FLAG-01", "pass", {"peeked": "hel"}, same)], [("FLAG-01", "pass", {"peeked": "hel"}, same)])
    assert rc == 0 and rows["FLAG-01"]["verdict"] == "same"
    assert [i["kind"] for i in rows["FLAG-01"]["instances"]] == ["tcp4", "udp4"]
    # One kind's value differs while the behaviour's common values agree: still DIFFERENT, naming the kind.
    planted = [same[0], ("udp4", "pass", {"peeked": "he"})]
    rc, rows = compare([("FLAG-01", "pass", {"peeked": "hel"}, same)], [("FLAG-01", "pass", {}, planted)])
    assert rc == 1 and rows["FLAG-01"]["differences"] == ['udp4: peeked: "hel" vs "he"']
    # A kind that one side did not run, and one whose status differs.
    rc, rows = compare([("FLAG-01", "pass", {}, same)], [("FLAG-01", "fail", {}, [("udp4", "fail", {})])])
    assert rc == 1 and rows["FLAG-01"]["differences"] == [
        "status pass vs fail", "tcp4: no instance in the socklab report", "udp4: status pass vs fail"]


def test_the_reference_refuses_a_scenario_that_disagrees_with_the_catalog_on_kinds(tmp_path):
    changed = json.loads(json.dumps(CATALOG))
    over_kinds = next(e for e in changed["behaviours"] if e.get("kinds"))
    del over_kinds["kinds"]
    (tmp_path / "catalog.json").write_text(json.dumps(changed))
    r = python(REFERENCE, "--catalog", tmp_path / "catalog.json", "--list")
    assert r.returncode == 2 and f"{over_kinds['id']}: the scenario" in r.stderr
    assert "runs over kinds, but the catalog entry names none" in r.stderr and len(r.stderr.splitlines()) == 1


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("{", "not valid JSON"),
    ((HERE.parents[1] / "reports/tests/fixtures/bench_linux.json").read_text(),
     "benchmark results where a conformance report was expected"),
    ('{"behaviours": [{"id": "CON-01", "status": "maybe"}]}', "lacks an id or a known status"),
])
def test_bad_input_is_one_line_exit_2_and_leaves_the_output_alone(tmp_path, content, message):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(report("python", [("CON-01", "pass", {})])))
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    out = tmp_path / "out.json"
    out.write_text("previous")
    r = python(DIFFERENTIAL, good, bad, "--json", out)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert out.read_text() == "previous"


@pytest.mark.parametrize("args, message", [
    (["--catalog", "/nonexistent.json"], "no such file"),
    (["--filter", "("], "not a regular expression"),
])
def test_reference_bad_input(args, message):
    r = python(REFERENCE, *args)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
