# SPDX-License-Identifier: MIT
"""The behaviour x platform matrix (conformance/platforms/matrix.py) on platform folders made
here, whose differences are known: a status, an observed value and a socket kind's outcome differ;
a measured value and the other implementation's values do not count; the settings that differ head
the table. Then `runner --platforms` end to end against a stand-in QEMU."""
import copy
import json
import pathlib
import time

import pytest

from common import schemas
from common.errors import InputError
from conformance.platforms import matrix, runner

CATALOG = {"behaviours": [
    {"id": "CON-01", "statement": "same everywhere"},
    {"id": "TMO-01", "statement": "a timeout", "measured": ["elapsed_s"]},
    {"id": "TCP-OPT-05", "statement": "the default congestion control"},
    {"id": "OPT-15", "statement": "over kinds"},
    {"id": "TCP-BACKLOG-02", "statement": "fails on an older kernel",
     "os_differences": [{"os": "6.1", "difference": "+2", "observed": {"platforms": ["6.1"], "date": "2026-12-04"}}]},
]}


def behaviour(bid, status="pass", observed=None, instances=None):
    b = {"id": bid, "group": "g", "statement": "s", "status": status, "observed": observed or {}, "duration_ms": 1.0}
    if instances:
        b["instances"] = [{"kind": k, "status": s, "duration_ms": 1.0, "observed": o} for k, s, o in instances]
    return b


def host_behaviours():
    return [behaviour("CON-01", observed={"family": "AF_INET"}),
            behaviour("TMO-01", observed={"elapsed_s": 0.21, "error": "timeout"}),
            behaviour("TCP-OPT-05", observed={"default": "bbr"}),
            behaviour("OPT-15", instances=[("tcp4", "pass", {"offset": 4}), ("udp4", "pass", {"offset": 4})]),
            behaviour("TCP-BACKLOG-02", observed={"capacity": 4097})]


def report(impl, kernel, congestion, behaviours):
    summary = {s: sum(b["status"] == s for b in behaviours) for s in ("pass", "fail", "skip", "not-run", "not-applicable")}
    doc = {"schema": "socklab-conformance-report", "schema_version": 2, "catalog_version": 1, "implementation": impl,
           "context": {"date": "2026-12-04T10:00:00Z", "os": "Linux", "kernel": kernel, "arch": "x86_64",
                       "socklab_version": "0.1.0", "socklab_commit": "abc1234",
                       "sysctls": {"net/ipv4/tcp_congestion_control": congestion, "net/core/somaxconn": "4096"}},
           "summary": summary, "behaviours": behaviours, "unmapped_tests": []}
    assert schemas.violations(doc, "conformance") == []
    return doc


def platform(folder, kernel, release, socklab, python=None, congestion="bbr"):
    """A platform folder as the runner leaves it: platform.json and the suites' reports."""
    folder.mkdir(parents=True)
    record = {"schema": "socklab-platform", "schema_version": 1,
              "platform": f"linux-{kernel}", "kernel": kernel, "package": None if kernel == "host" else "linux-image-x",
              "release": release, "accelerator": None if kernel == "host" else "tcg", "emulated": kernel != "host",
              "transport": None if kernel == "host" else "9p", "date": "2026-12-04T10:00:00Z", "seconds": 1.0,
              "only": None, "reported": True, "suites": {"socklab": 0, "python": 0}}
    (folder / "platform.json").write_text(json.dumps(record))
    (folder / "conformance.json").write_text(json.dumps(report("socklab", release, congestion, socklab)))
    if python is not None:
        (folder / "conformance-python.json").write_text(json.dumps(report("python", release, congestion, python)))


@pytest.fixture
def catalog(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(CATALOG))
    return path


def older_kernel():
    """What a 6.1 guest reports: every kind of difference the matrix must find, and two it must not."""
    b = {x["id"]: x for x in copy.deepcopy(host_behaviours())}
    b["TMO-01"]["observed"]["elapsed_s"] = 9.7  # measured (an emulated platform is slow): never a difference
    b["TCP-OPT-05"]["observed"]["default"] = "cubic"
    b["OPT-15"]["status"] = "fail"
    b["OPT-15"]["instances"][0].update(status="fail", observed={})
    b["TCP-BACKLOG-02"].update(status="fail", observed={"capacity": 4098})
    return list(b.values())


def cpython(behaviours):
    """CPython's report of the same: its values may differ from socklab's (here, how it names a family)."""
    behaviours[0]["observed"] = {"family": "AddressFamily.AF_INET"}
    return behaviours


def test_the_matrix_finds_what_differs_and_puts_it_first(tmp_path, catalog):
    platform(tmp_path / "linux-6.1", "6.1", "6.1.0-57-amd64", older_kernel(), cpython(host_behaviours()),
             congestion="cubic")
    platform(tmp_path / "linux-host", "host", "6.18.44", host_behaviours(), cpython(host_behaviours()))
    table = matrix.build(tmp_path, catalog)
    assert schemas.violations(table, "platforms") == []
    assert table["reference"] == "linux-host"
    assert [p["platform"] for p in table["platforms"]] == ["linux-host", "linux-6.1"]  # the host first
    assert [(r["id"], r["differs"]) for r in table["behaviours"]] == [
        ("TCP-OPT-05", True), ("OPT-15", True), ("TCP-BACKLOG-02", True), ("CON-01", False), ("TMO-01", False)]
    rows = {r["id"]: r for r in table["behaviours"]}
    # What the catalog records as observed on 6.1 is not new there; the rest is.
    assert {i: r["new_on"] for i, r in rows.items()} == {"TCP-OPT-05": ["linux-6.1"], "OPT-15": ["linux-6.1"],
                                                          "TCP-BACKLOG-02": [], "CON-01": [], "TMO-01": []}
    cell = {(c["platform"], c["implementation"]): c for c in rows["TCP-BACKLOG-02"]["cells"]}
    assert cell["linux-6.1", "socklab"]["differences"] == ["capacity: 4097 vs 4098", 'status: "pass" vs "fail"']
    assert cell["linux-6.1", "socklab"]["shown"] == "fail (capacity=4098)"
    assert cell["linux-host", "socklab"]["shown"] == "pass (capacity=4097)"
    assert cell["linux-6.1", "python"]["differences"] == []  # CPython's 6.1 report is held against CPython's host one
    opt15 = {(c["platform"], c["implementation"]): c for c in rows["OPT-15"]["cells"]}["linux-6.1", "socklab"]
    assert 'tcp4 status: "pass" vs "fail"' in opt15["differences"]
    settings = {r["name"]: r for r in table["settings"]}
    assert settings["net/ipv4/tcp_congestion_control"] == {"name": "net/ipv4/tcp_congestion_control",
                                                           "values": ["bbr", "cubic"], "differs": True}
    assert not settings["net/core/somaxconn"]["differs"]
    assert table["settings"][0]["differs"] and table["summary"] == {"behaviours": 5, "differ": 3, "compared": 5}


def test_the_markdown_shows_the_differing_values_side_by_side(tmp_path, catalog):
    platform(tmp_path / "linux-host", "host", "6.18.44", host_behaviours(), host_behaviours())
    python = older_kernel()[:-1] + host_behaviours()[-1:]  # CPython's 6.1 report: the backlog as on the host
    platform(tmp_path / "linux-6.1", "6.1", "6.1.0-57-amd64", older_kernel(), python, congestion="cubic")
    text = matrix.markdown(matrix.build(tmp_path, catalog))
    assert "## Behaviours where platforms differ (3 of 5 compared)" in text
    assert "| TCP-OPT-05 (new) | the default congestion control | pass (default=\"bbr\") | pass (default=\"cubic\") |" in text
    # socklab and CPython disagree on 6.1 here: both are shown
    assert "| TCP-BACKLOG-02 | fails on an older kernel | pass (capacity=4097) | socklab: FAIL (capacity=4098) · " \
           "python: pass (capacity=4097) |" in text
    assert "| net/ipv4/tcp_congestion_control | bbr | cubic |" in text
    assert "The same on every platform (2): CON-01, TMO-01." in text


def test_a_platform_without_a_report_is_absent_not_different(tmp_path, catalog):
    platform(tmp_path / "linux-host", "host", "6.18.44", host_behaviours(), host_behaviours())
    platform(tmp_path / "linux-6.1-rt", "6.1-rt", "6.1.0-57-rt-amd64", host_behaviours())  # no CPython report
    table = matrix.build(tmp_path, catalog)
    assert table["summary"]["differ"] == 0
    cells = [c for r in table["behaviours"] for c in r["cells"] if c["platform"] == "linux-6.1-rt"]
    assert {c["status"] for c in cells if c["implementation"] == "python"} == {"absent"}


def test_without_the_host_the_first_kernel_is_the_reference(tmp_path, catalog):
    platform(tmp_path / "linux-6.12", "6.12", "6.12.48+deb12-amd64", host_behaviours())
    platform(tmp_path / "linux-6.1", "6.1", "6.1.0-57-amd64", older_kernel())
    table = matrix.build(tmp_path, catalog)
    assert table["reference"] == "linux-6.1"
    assert table["summary"]["differ"] == 3


def test_a_folder_without_platforms_is_refused(tmp_path, catalog):
    with pytest.raises(InputError, match=r"no platform folder \(\*/platform.json\)"):
        matrix.build(tmp_path, catalog)


def test_a_damaged_platform_record_is_refused_naming_it(tmp_path, catalog):
    platform(tmp_path / "linux-host", "host", "6.18.44", host_behaviours())
    (tmp_path / "linux-host" / "platform.json").write_text('{"schema": "socklab-platform", "schema_version": 1}')
    with pytest.raises(InputError, match="linux-host/platform.json: not a valid platform document"):
        matrix.build(tmp_path, catalog)


def run_platforms(tmp_path, capsys, cache, platforms):
    status = runner.main(["--platforms", platforms, "--out", str(tmp_path / "out"), "--conform", "/bin/true",
                          "--python", "/bin/true", "--cache", str(cache)])
    return status, capsys.readouterr()


def test_platforms_run_each_into_its_folder_and_make_the_matrix(tmp_path, capsys, qemu, cached_kernel):
    qemu("report")
    status, said = run_platforms(tmp_path, capsys, cached_kernel, "host,6.1")
    assert status == runner.PASSED, said.err
    out = tmp_path / "out"
    assert json.loads((out / "linux-host" / "platform.json").read_text())["kernel"] == "host"
    assert json.loads((out / "linux-6.1" / "platform.json").read_text())["kernel"] == "6.1"
    table = json.loads((out / "platforms.json").read_text())
    assert [p["platform"] for p in table["platforms"]] == ["linux-host", "linux-6.1"]
    assert (out / "platforms.md").read_text().startswith("# Behaviour across platforms")


def test_a_platform_that_cannot_be_had_is_said_and_the_others_still_run(tmp_path, capsys, qemu, cached_kernel):
    qemu("report")
    status, said = run_platforms(tmp_path, capsys, cached_kernel, "host,6.1-rt")
    assert status == runner.UNAVAILABLE
    assert "socklab conform: 6.1-rt: kernel 6.1-rt: no package" in said.err
    table = json.loads((tmp_path / "out" / "platforms.json").read_text())
    assert [p["platform"] for p in table["platforms"]] == ["linux-host"]


def test_when_no_platform_can_be_had_there_is_no_matrix_and_exit_3(tmp_path, capsys, qemu, cached_kernel):
    qemu("report")
    status, said = run_platforms(tmp_path, capsys, cached_kernel, "6.1-rt")
    assert status == runner.UNAVAILABLE
    assert said.err.splitlines()[-1].startswith("socklab conform: no matrix: ")
    assert not (tmp_path / "out" / "platforms.json").exists()


def test_a_host_run_past_its_limit_is_killed_with_what_it_started(tmp_path, capsys):
    pid_file = tmp_path / "suite.pid"
    suite = tmp_path / "slow-suite"
    suite.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 60\n")
    suite.chmod(0o755)
    start = time.monotonic()
    status = runner.main(["--platforms", "host", "--out", str(tmp_path / "out"), "--conform", str(suite),
                          "--python", "/bin/true", "--timeout", "1", "--cache", str(tmp_path / "cache")])
    said = capsys.readouterr()
    assert status == runner.NO_REPORT and time.monotonic() - start < 30
    assert "the suites did not end within 1 s and were killed" in said.err
    # The suite the job started is dead too, not only the job: gone, or a zombie its new parent
    # (this machine's init) has not reaped yet.
    stat = pathlib.Path(f"/proc/{int(pid_file.read_text())}/stat")
    assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


@pytest.mark.parametrize("platforms", ["host,host", "host,5.4", ","])
def test_a_bad_platform_list_is_refused(tmp_path, capsys, platforms):
    status, said = run_platforms(tmp_path, capsys, tmp_path / "cache", platforms)
    assert status == runner.BAD_INPUT and said.err.count("\n") == 1
    assert not (tmp_path / "out").exists()
