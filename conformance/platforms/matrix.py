# SPDX-License-Identifier: MIT
"""The behaviour x platform matrix of a `conform --platforms` folder: where the catalog's
behaviours come out differently on this host and on the kernels booted beside it.

Each platform's socklab report is held against the reference platform's socklab report (the
host's when it ran), and its CPython report against the reference's CPython report, so a
difference is the platform's, not an implementation's. Compared: each behaviour's status, and
every observed value except those the catalog marks as measured (timings, ports, fill levels),
kind by kind for behaviours over socket kinds. Rows that differ come first, with the values that
differ side by side; the platforms' settings (sysctls) that differ head the table. A difference
the catalog's os_differences has not recorded as observed on that platform is marked new."""

import json
import pathlib

from common import schemas
from common.errors import InputError
from common.results import CATALOG, json_text, load_conformance, read_json, write_atomically
from conformance.reference.differential import differing_keys, observed_differences

from . import kernels

# Each implementation's report in a platform's folder (the runner writes them there).
REPORTS = {"socklab": "conformance.json", "python": "conformance-python.json"}
UNCOMPARED = ("not-run", "absent")


def platform_order(record):
    """The host first, then the kernels in their catalogue order."""
    names = ["host"] + kernels.NAMES
    return names.index(record["kernel"]) if record["kernel"] in names else len(names)


def read_platforms(folder):
    """[(record, {implementation: ConformanceRun})] of each platform folder under `folder`, the host
    first."""
    found = []
    for path in sorted(pathlib.Path(folder).glob("*/platform.json")):
        record = read_json(path)
        schemas.check(record, "platform", path)
        runs = {impl: load_conformance(path.parent / name) for impl, name in REPORTS.items()
                if (path.parent / name).is_file()}
        found.append((record, runs))
    if not found:
        raise InputError(f"{folder}: no platform folder (*/platform.json) in it")
    return sorted(found, key=lambda f: platform_order(f[0]))


def flat(behaviour, measured):
    """What is compared of one behaviour: its status and its observed values but the measured
    ones, and per socket kind the kind's status and values ("tcp4 status", "tcp4 offset")."""
    if behaviour is None:
        return {"status": "absent"}
    values = {"status": behaviour["status"]}
    values |= {k: v for k, v in (behaviour.get("observed") or {}).items() if k not in measured}
    for i in behaviour.get("instances") or []:
        values[f"{i['kind']} status"] = i["status"]
        values |= {f"{i['kind']} {k}": v for k, v in (i.get("observed") or {}).items() if k not in measured}
    return values


def shown(values, keys, kinds):
    """A cell's text: the status and the values named by `keys` (those that differ in the row); a
    value every socket kind of the cell shares once, as "name=value on N kinds"."""
    parts, grouped = [], {}
    for key in keys:
        kind, _, name = key.partition(" ")
        if kind in kinds and key in values:
            grouped.setdefault(name, {})[kind] = values[key]
        elif key in values and key != "status":
            parts.append(f"{key}={json.dumps(values[key])}")
    cell_kinds = {k for k in kinds if f"{k} status" in values}
    for name, by_kind in grouped.items():
        if set(by_kind) == cell_kinds and len({json.dumps(v) for v in by_kind.values()}) == 1 and len(by_kind) > 1:
            parts.append(f"{name}={json.dumps(next(iter(by_kind.values())))} on {len(by_kind)} kinds")
        else:
            parts += [f"{kind} {name}={json.dumps(v)}" for kind, v in by_kind.items()]
    return values["status"] + (f" ({', '.join(parts)})" if parts else "")


def settings_rows(platforms):
    """The kernel and each sysctl socklab's report recorded, per platform."""
    contexts = [reports["socklab"].context if "socklab" in reports else {} for _, reports in platforms]
    names = sorted({k for c in contexts for k in (c.get("sysctls") or {})})
    rows = [{"name": "kernel", "values": [c.get("kernel") for c in contexts]}]
    rows += [{"name": n, "values": [(c.get("sysctls") or {}).get(n) for c in contexts]} for n in names]
    for row in rows:
        row["differs"] = len({json.dumps(v) for v in row["values"] if v is not None}) > 1
    return sorted(rows, key=lambda r: not r["differs"])


def _cell(cells, platform):
    """One platform's cell: the two implementations' texts, once when they agree."""
    texts = {c["implementation"]: c["shown"] for c in cells if c["platform"] == platform}
    texts = {impl: t.replace("fail", "FAIL", 1) if t.startswith("fail") else t for impl, t in texts.items()}
    if len(set(texts.values())) == 1:
        return next(iter(texts.values()))
    return " · ".join(f"{impl}: {t}" for impl, t in texts.items())


def build(folder, catalog_path=CATALOG):
    """The matrix of a platforms folder, as platforms.json holds it."""
    catalog = read_json(catalog_path)
    platforms = read_platforms(folder)
    records = [record for record, _ in platforms]
    reference = 0  # read_platforms puts the host first; without it, the first kernel
    # {(platform index, implementation): {behaviour ID: its entry}}, an absent report as {}
    by_id = {(i, impl): {b["id"]: b for b in runs[impl].behaviours} if impl in runs else {}
             for i, (_, runs) in enumerate(platforms) for impl in REPORTS}
    rows = []
    for entry in catalog["behaviours"]:
        measured = set(entry.get("measured", []))
        cells, keys = [], set()
        for impl in REPORTS:
            ref_values = flat(by_id[reference, impl].get(entry["id"]), measured)
            for i, record in enumerate(records):
                values = flat(by_id[i, impl].get(entry["id"]), measured)
                compared = values["status"] not in UNCOMPARED and ref_values["status"] not in UNCOMPARED
                differences = observed_differences(ref_values, values, set()) if compared else []
                if compared:
                    keys |= set(differing_keys(ref_values, values, set()))
                cells.append({"platform": record["platform"], "implementation": impl, "status": values["status"],
                              "values": values, "differences": differences})
        kinds = {k.split(" ")[0] for c in cells for k in c["values"] if k.endswith(" status")}
        for cell in cells:
            cell["shown"] = shown(cell.pop("values"), sorted(keys), kinds)
        seen = {p for d in entry.get("os_differences", []) for p in (d.get("observed") or {}).get("platforms", [])}
        new_on = sorted({r["platform"] for r in records
                         if r["kernel"] not in seen and any(c["differences"] for c in cells if c["platform"] == r["platform"])})
        rows.append({"id": entry["id"], "statement": entry.get("statement", ""),
                     "differs": any(c["differences"] for c in cells), "new_on": new_on, "cells": cells,
                     "by_platform": [_cell(cells, record["platform"]) for record in records]})
    rows.sort(key=lambda r: not r["differs"])  # stable: catalog order within each part
    table = {"schema": "socklab-platforms", "schema_version": 1,
             "reference": records[reference]["platform"], "platforms": records,
             "labels": [f"{r['kernel']} ({r['release']}{', emulated' if r['emulated'] else ''})" for r in records],
             "settings": settings_rows(platforms), "behaviours": rows,
             "summary": {"behaviours": len(rows), "differ": sum(r["differs"] for r in rows),
                         "compared": sum(any(c["status"] not in UNCOMPARED for c in r["cells"]) for r in rows)}}
    schemas.check(table, "platforms", pathlib.Path(folder) / "platforms.json")
    return table


def markdown(table):
    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    platforms, s = table["platforms"], table["summary"]
    out = ["# Behaviour across platforms", "",
           f"{len(platforms)} platforms; reference {table['reference']}: each platform's socklab report is held "
           "against the reference's socklab report and its CPython report against the reference's CPython report. "
           "Values the catalog marks as measured (timings, ports, fill levels) are never compared; an emulated "
           "platform (QEMU's TCG, 40-60x slower) observes semantics, not speed.", "",
           line(["platform", "release", "package", "accelerator", "shares", "date", "seconds", "only", "socklab",
                 "python"]), "|" + "---|" * 10]
    for p in platforms:
        out.append(line([p["platform"], p["release"], p["package"] or "—", p["accelerator"] or "—",
                         p["transport"] or "—", p["date"], p["seconds"], p["only"] or "all",
                         *(("exit " + str(v)) if v is not None else "no status" for v in p["suites"].values())]))
    labels = table["labels"]
    differing = [r for r in table["settings"] if r["differs"]]
    out += ["", f"## Settings that differ ({len(differing)} of {len(table['settings'])})", ""]
    if differing:
        out += [line(["setting", *labels]), "|" + "---|" * (1 + len(labels))]
        out += [line([r["name"], *(v if v is not None else "—" for v in r["values"])]) for r in differing]
    rows = [r for r in table["behaviours"] if r["differs"]]
    out += ["", f"## Behaviours where platforms differ ({s['differ']} of {s['compared']} compared)", ""]
    if rows:
        out += [line(["behaviour", "statement", *labels]), "|" + "---|" * (2 + len(labels))]
        out += [line([r["id"] + (" (new)" if r["new_on"] else ""), r["statement"], *r["by_platform"]]) for r in rows]
        out += ["", "(new): a difference the catalog's os_differences has not recorded as observed on that platform."]
    same = [r["id"] for r in table["behaviours"]
            if not r["differs"] and any(c["status"] not in UNCOMPARED for c in r["cells"])]
    out += ["", f"The same on every platform ({len(same)}): {', '.join(same) or 'none'}."]
    return "\n".join(out) + "\n"


def console(table):
    s = table["summary"]
    lines = [f"{r['name']}: " + " / ".join(str(v) for v in r["values"]) for r in table["settings"] if r["differs"]]
    for r in table["behaviours"]:
        if r["differs"]:
            where = sorted({c["platform"] for c in r["cells"] if c["differences"]})
            first = next(c for c in r["cells"] if c["differences"])
            news = f" (new on {', '.join(r['new_on'])})" if r["new_on"] else " (in the catalog)"
            lines.append(f"{r['id']:<15} differs on {', '.join(where)}{news}: {first['differences'][0]}")
    lines.append(f"platforms: {len(table['platforms'])} ({', '.join(p['platform'] for p in table['platforms'])}), "
                 f"{s['compared']} behaviours compared, {s['differ']} differ")
    return "\n".join(lines)


def write(table, folder):
    folder = pathlib.Path(folder)
    write_atomically(folder / "platforms.json", json_text(table))
    write_atomically(folder / "platforms.md", markdown(table))
