#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs the conformance catalog's scenarios through CPython's own socket module and writes a
conformance report in socklab-conform's format (schemas/conformance.schema.json), so that the two can be
compared behaviour by behaviour (differential.py).

usage: python_reference.py [--report FILE] [--catalog FILE] [--filter REGEX] [--list] [--quiet]

Standard library only. Each scenario runs in the main thread (Python delivers signals there),
under a watchdog that ends the process if one ever hangs, and is checked for descriptor leaks.
Exit status: 0 when every behaviour that ran passed, 1 when one failed, 2 on bad input."""

import argparse
import datetime
import faulthandler
import gc
import importlib
import os
import platform
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

from common.results import InputError, json_text, read_json, write_atomically
from conformance.reference import kinds, support

# One module per catalog group, named after it (tcp-connect: tcp_connect.py), as the C++ suite has
# one file per group (tcp_connect_test.cpp); importing one registers its scenarios.
GROUPS = tuple(dict.fromkeys(e["group"] for e in read_json(os.path.join(ROOT, "conformance", "catalog.json"))["behaviours"]))
for group in GROUPS:
    importlib.import_module(f"conformance.reference.{group.replace('-', '_')}")

SCENARIO_LIMIT_S = 180  # the watchdog: far above the slowest scenario (2.25 GiB through a socketpair)
SYSCTLS = ("net/core/somaxconn", "net/core/rmem_default", "net/core/rmem_max", "net/core/wmem_default",
           "net/core/wmem_max", "net/ipv4/tcp_rmem", "net/ipv4/tcp_wmem", "net/ipv4/tcp_congestion_control",
           "net/ipv4/tcp_syncookies", "net/ipv4/tcp_abort_on_overflow", "net/ipv6/bindv6only")


def load_catalog(path):
    doc = read_json(path)
    entries = doc.get("behaviours") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in entries):
        raise InputError(f"{path}: not a behaviour catalog (needs a 'behaviours' list of entries with an 'id')")
    return doc


def run_one(name, fn):
    """One scenario: its test entry (name, status, duration_ms, message, observed)."""
    check = support.Check()
    before = support.open_fds()
    start = time.monotonic()
    status, message = "pass", None
    faulthandler.dump_traceback_later(SCENARIO_LIMIT_S, exit=True)
    try:
        fn(check)
    except support.Skipped as e:
        status, message = "skip", str(e)
    except support.Failed as e:
        check.failures.append(str(e))
    except Exception as e:  # an unexpected exception fails the scenario, with its type and place
        tb = e.__traceback__
        while tb.tb_next:
            tb = tb.tb_next
        where = f"{os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}"
        check.failures.append(f"raised {type(e).__name__}: {e} (at {where})")
    finally:
        faulthandler.cancel_dump_traceback_later()
    duration_ms = (time.monotonic() - start) * 1000
    gc.collect()  # a socket held only by a finished traceback closes here
    after = support.open_fds()
    if before is not None and after is not None and after > before:
        check.failures.append(f"leaked {after - before} descriptor(s)")
    if check.failures:
        status, message = "fail", "; ".join(check.failures)
    test = {"name": name, "status": status, "duration_ms": round(duration_ms, 3)}
    if message:
        test["message"] = message
    if check.observed:
        test["observed"] = check.observed
    return test


def python_applies(entry):
    return entry.get("python_applies", True)


def behaviour_observed(tests, over_kinds):
    """Over kinds, the values every instance that observed them agrees on; else all, merged."""
    observed, disagreed = {}, set()
    for x in tests:
        for k, v in x.get("observed", {}).items():
            if k in disagreed:
                continue
            if k in observed and over_kinds and observed[k] != v:
                del observed[k]
                disagreed.add(k)
            else:
                observed[k] = v
    return observed


def aggregate(tests):
    """One behaviour's outcome from its tests, exactly as socklab-conform's report.cpp aggregate()."""
    statuses = [x["status"] for x in tests]
    b = {"status": "fail" if "fail" in statuses else "pass" if "pass" in statuses else "skip"}
    reason = next(((f"{x['kind']}: " if "kind" in x else "") + x["message"]
                   for x in tests if x["status"] != "pass" and "message" in x), None)
    if b["status"] != "pass" and reason:
        b["reason"] = reason
    instances = [{"kind": x["kind"], "status": x["status"], "duration_ms": x["duration_ms"],
                  "observed": x.get("observed", {}), **({"message": x["message"]} if "message" in x else {})}
                 for x in tests if "kind" in x]
    b["observed"] = behaviour_observed(tests, bool(instances))
    b["duration_ms"] = round(sum(x["duration_ms"] for x in tests), 3)
    b["tests"] = tests
    if instances:
        b["instances"] = instances
    return b


def build_report(catalog, tests_by_id):
    """The report, aggregated per behaviour exactly as socklab-conform does."""
    summary = {k: 0 for k in ("pass", "fail", "skip", "not-run", "not-applicable")}
    behaviours = []
    for entry in catalog["behaviours"]:
        b = {"id": entry["id"], "group": entry.get("group", ""), "statement": entry.get("statement", "")}
        tests = tests_by_id.get(entry["id"])
        if not python_applies(entry):
            b["status"] = "not-applicable"
            b["reason"] = entry.get("python_not_applicable_reason", "")
        elif not tests:
            b["status"] = "not-run"
        else:
            b.update(aggregate(tests))
        summary[b["status"]] += 1
        behaviours.append(b)
    return {"schema": "socklab-conformance-report", "schema_version": 2,
            "implementation": "python", "catalog_version": catalog.get("version", 0),
            "context": context(), "summary": summary, "behaviours": behaviours, "unmapped_tests": []}


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return None


def context():
    uname = platform.uname()
    ctx = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "os": uname.system, "kernel": uname.release, "kernel_version": uname.version, "arch": uname.machine,
           "host_name": uname.node, "num_cpus": os.cpu_count() or 0,
           "compiler": f"{platform.python_implementation()} {platform.python_version()}",
           "python_version": platform.python_version(), "python_executable": sys.executable,
           "privileged": os.geteuid() == 0, "socklab_version": "unknown", "socklab_commit": "unknown"}
    release = read_text("/etc/os-release") or ""
    if m := re.search(r'^PRETTY_NAME="?([^"\n]*)', release, re.M):
        ctx["os_release"] = m.group(1)
    cpuinfo = read_text("/proc/cpuinfo") or ""
    if m := re.search(r"^model name\s*:\s*(.*)$", cpuinfo, re.M):
        ctx["cpu_model"] = m.group(1)
    if m := re.search(r"project\(socklab VERSION ([0-9.]+)", read_text(os.path.join(ROOT, "CMakeLists.txt")) or ""):
        ctx["socklab_version"] = m.group(1)
    try:
        ctx["socklab_commit"] = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"],
                                               capture_output=True, text=True, timeout=10,
                                               check=True).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        pass
    ctx["sysctls"] = {k: v for k in SYSCTLS if (v := read_text(f"/proc/sys/{k}")) is not None}
    return ctx


def over(kind, fn):
    """The check of one instance: fn(t, kind), skipped where this machine cannot make the kind."""

    def check(t):
        why = kinds.unavailable_reason(kind)
        if why:
            t.skip(why)
        fn(t, kind)

    return check


def instances(catalog):
    """(behaviour id, test name, check, kind or None) for every scenario, in catalog order (file
    order within an ID), a scenario over kinds once per kind. InputError when a scenario and its
    entry disagree on whether the behaviour runs over kinds."""
    entries = {e["id"]: e for e in catalog["behaviours"]}
    order = {bid: i for i, bid in enumerate(entries)}
    runs = []
    for bid, name, fn in sorted(support.SCENARIOS, key=lambda s: order[s[0]]):
        over_kinds, entry_kinds = getattr(fn, "over_kinds", False), kinds.kinds_of(catalog, entries[bid])
        if over_kinds != bool(entry_kinds):
            raise InputError(f"{bid}: the scenario {name} " + ("runs over kinds, but the catalog entry names none"
                             if over_kinds else "takes no kind, but the catalog entry names kinds"))
        if not over_kinds:
            runs.append((bid, name, fn, None))
        runs += [(bid, f"{name}/{k.name}", over(k, fn), k) for k in entry_kinds]
    return runs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", help="write the conformance report JSON here")
    parser.add_argument("--catalog", default=os.path.join(ROOT, "conformance", "catalog.json"))
    parser.add_argument("--filter", help="run only behaviours whose ID matches this regular expression")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--quiet", action="store_true", help="print only scenarios that did not pass")
    args = parser.parse_args(argv)
    try:
        catalog = load_catalog(args.catalog)
        only = re.compile(args.filter) if args.filter else None
    except InputError as e:
        print(f"python_reference: {e}", file=sys.stderr)
        return 2
    except re.error as e:
        print(f"python_reference: --filter is not a regular expression ({e})", file=sys.stderr)
        return 2
    known = {e["id"] for e in catalog["behaviours"]}
    stray = sorted({bid for bid, _, _ in support.SCENARIOS} - known)
    if stray:
        print(f"python_reference: scenarios for IDs not in {args.catalog}: {', '.join(stray)}", file=sys.stderr)
        return 2
    try:
        runs = instances(catalog)
    except InputError as e:
        print(f"python_reference: {e}", file=sys.stderr)
        return 2
    if args.list:
        for bid, name, _, _ in runs:
            print(f"{bid}\t{name}")
        return 0
    applicable = {e["id"] for e in catalog["behaviours"] if python_applies(e)}
    tests_by_id = {}
    for bid, name, fn, kind in runs:
        if bid not in applicable or (only and not only.search(bid)):
            continue
        test = run_one(name, fn)
        if kind is not None:
            test["kind"] = kind.name
        tests_by_id.setdefault(bid, []).append(test)
        if args.quiet and test["status"] == "pass":
            continue
        line = f"[{test['status'].upper():>4}] {bid} {name} ({test['duration_ms']:.0f} ms)"
        print(line + (f": {test['message']}" if test["status"] != "pass" and "message" in test else ""), flush=True)
    report = build_report(catalog, tests_by_id)
    s = report["summary"]
    print(f"python reference: {s['pass']} pass, {s['fail']} fail, {s['skip']} skip, "
          f"{s['not-applicable']} not applicable, {s['not-run']} not run")
    if args.report:
        try:
            write_atomically(args.report, json_text(report, indent=2))
        except OSError as e:
            print(f"python_reference: cannot write {args.report} ({e.strerror})", file=sys.stderr)
            return 2
        print(f"conformance report: {args.report}")
    return 1 if s["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
