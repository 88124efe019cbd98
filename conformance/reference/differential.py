#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compares two conformance reports of the same catalog behaviour by behaviour — normally CPython's
(python_reference.py) against socklab's (socklab-conform) from one machine — and says, for each,
`same`, `DIFFERENT`, `deviation` (a difference the catalog documents with its reason) or `not-run`
(one side did not run it, e.g. a filtered run).

usage: differential.py REFERENCE.json SOCKLAB.json [--catalog FILE] [--markdown FILE] [--json FILE]

Compared: each behaviour's status, and every observed value both sides recorded except those the
catalog marks as `measured` (timings, ports, fill levels: shown, never compared); a behaviour over
socket kinds instance by instance (the same kinds on both sides, each with its status and values).
Exit status: 0 when nothing differs without a documented reason, 1 when something does, 2 on bad
input."""

import argparse
import json
import sys

from common.results import CATALOG, InputError, json_text, load_conformance, read_json, write_atomically


def differing_keys(x, y, measured):
    """The names of the values both sides observed that differ, except measurements."""
    return [key for key in sorted(set(x) & set(y) - measured) if x[key] != y[key]]


def observed_differences(x, y, measured):
    """Each value both sides observed that differs, except measurements."""
    return [f"{key}: {json.dumps(x[key])} vs {json.dumps(y[key])}" for key in differing_keys(x, y, measured)]


def compare_instances(reference, subject, measured):
    """A behaviour over kinds, kind by kind: each instance's status and observed values."""
    ref, sub = {i["kind"]: i for i in reference}, {i["kind"]: i for i in subject}
    kinds = [i["kind"] for i in reference] + [i["kind"] for i in subject if i["kind"] not in ref]
    rows = []
    for kind in kinds:
        a, b = ref.get(kind), sub.get(kind)
        if a is None or b is None:
            differences = [f"no instance in the {'reference' if a is None else 'socklab'} report"]
        elif a["status"] != b["status"]:
            differences = [f"status {a['status']} vs {b['status']}"]
        else:
            differences = observed_differences(a.get("observed", {}), b.get("observed", {}), measured)
        rows.append({"kind": kind, "reference": a and a["status"], "subject": b and b["status"],
                     "differences": differences})
    return rows


def compare(catalog, reference, subject):
    """One row per catalog behaviour: id, the two statuses and observed values, verdict, why."""
    ref = {b["id"]: b for b in reference.behaviours}
    sub = {b["id"]: b for b in subject.behaviours}
    rows = []
    for entry in catalog["behaviours"]:
        bid = entry["id"]
        a, b = ref.get(bid), sub.get(bid)
        if a is None and b is None:
            continue  # a filtered run on both sides
        row = {"id": bid, "reference": a and a.get("status"), "subject": b and b.get("status"),
               "reference_observed": (a or {}).get("observed") or {}, "subject_observed": (b or {}).get("observed") or {}}
        differences = []
        if "not-run" in (row["reference"], row["subject"]):
            row.update(verdict="not-run", differences=["not run on one side (a filtered run)"])
            rows.append(row)
            continue
        if a is None or b is None:
            differences.append(f"missing from the {'reference' if a is None else 'socklab'} report")
        elif a["status"] != b["status"]:
            differences.append(f"status {a['status']} vs {b['status']}")
        measured = set(entry.get("measured", []))
        if a is not None and b is not None and ("instances" in a or "instances" in b):
            row["instances"] = compare_instances(a.get("instances", []), b.get("instances", []), measured)
            differences += [f"{i['kind']}: {d}" for i in row["instances"] for d in i["differences"]]
        else:
            differences += observed_differences(row["reference_observed"], row["subject_observed"], measured)
        if not differences:
            row["verdict"] = "same"
        elif entry.get("python_deviation"):
            row["verdict"], row["why"] = "deviation", entry["python_deviation"]
        else:
            row["verdict"] = "DIFFERENT"
        row["differences"] = differences
        rows.append(row)
    return rows


def values(observed, measured):
    return ", ".join(f"{k}={json.dumps(v)}" + ("~" if k in measured else "") for k, v in sorted(observed.items()))


def markdown(rows, catalog, reference, subject):
    measured = {e["id"]: set(e.get("measured", [])) for e in catalog["behaviours"]}
    counts = {v: sum(r["verdict"] == v for r in rows) for v in ("same", "DIFFERENT", "deviation", "not-run")}
    lines = [f"# Conformance differential: {reference.implementation} vs {subject.implementation}", "",
             f"{len(rows)} behaviours: {counts['same']} same, {counts['DIFFERENT']} DIFFERENT, "
             f"{counts['deviation']} documented deviations, {counts['not-run']} not run on one side. Values marked ~ are measurements, not compared.", "",
             f"| behaviour | {reference.implementation} | observed | {subject.implementation} | observed | verdict |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        m = measured.get(r["id"], set())
        verdict = r["verdict"] if r["verdict"] == "same" else f"**{r['verdict']}**: " + "; ".join(r["differences"])
        if "instances" in r:
            same = sum(not i["differences"] for i in r["instances"])
            verdict += f" ({len(r['instances'])} kinds, {same} the same)"
        lines.append(f"| {r['id']} | {r['reference'] or '—'} | {values(r['reference_observed'], m)} | "
                     f"{r['subject'] or '—'} | {values(r['subject_observed'], m)} | {verdict} |")
    notes = [r for r in rows if r["verdict"] == "deviation"]
    if notes:
        lines += ["", "Documented deviations:", ""] + [f"- **{r['id']}**: {r['why']}" for r in notes]
    return "\n".join(lines) + "\n"


def console(rows):
    """The rows that differ, one line each, and a count of every verdict. A filtered run leaves most
    rows not run on one side: those are only counted."""
    out = []
    for r in rows:
        if r["verdict"] in ("same", "not-run"):
            continue
        out.append(f"{r['verdict']:<9} {r['id']:<15} " + "; ".join(r["differences"]))
    counts = {v: sum(r["verdict"] == v for r in rows) for v in ("same", "DIFFERENT", "deviation", "not-run")}
    out.append(f"differential: {len(rows)} behaviours, {counts['same']} same, {counts['DIFFERENT']} DIFFERENT, "
               f"{counts['deviation']} documented deviation(s), {counts['not-run']} not run on one side")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference", help="the reference implementation's report (e.g. CPython's)")
    parser.add_argument("subject", help="socklab-conform's report")
    parser.add_argument("--catalog", default=CATALOG)
    parser.add_argument("--markdown", help="write the full table here")
    parser.add_argument("--json", help="write the rows as JSON here")
    args = parser.parse_args(argv)
    try:
        catalog = read_json(args.catalog)
        if not isinstance(catalog, dict) or not isinstance(catalog.get("behaviours"), list):
            raise InputError(f"{args.catalog}: not a behaviour catalog")
        reference, subject = load_conformance(args.reference), load_conformance(args.subject)
        rows = compare(catalog, reference, subject)
        if not rows:
            raise InputError("the two reports share no catalog behaviour")
        outputs = []
        if args.markdown:
            outputs.append((args.markdown, markdown(rows, catalog, reference, subject)))
        if args.json:
            verdict = {"schema": "socklab-differential", "schema_version": 1, "reference": reference.implementation, "subject": subject.implementation,
                       "different": sum(r["verdict"] == "DIFFERENT" for r in rows), "rows": rows}
            outputs.append((args.json, json_text(verdict, indent=2)))
        for path, text in outputs:
            try:
                write_atomically(path, text)
            except OSError as e:
                raise InputError(f"{path}: cannot write it ({e.strerror})") from None
    except InputError as e:
        print(f"differential: {e}", file=sys.stderr)
        return 2
    print(console(rows))
    return 1 if any(r["verdict"] == "DIFFERENT" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
