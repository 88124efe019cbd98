#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A bounded mutation fuzzer for the Python tools' JSON readers: `socklab gate`, `socklab report`
and the conformance differential, fed mutated copies of the checked-in result fixtures.

usage: results_fuzz.py [--seconds N] [--seed N] [--findings DIR]

Mutations are byte-level (truncation, flipped and deleted bytes) and structural (a value anywhere
in the document replaced by one of another type or absurd size, a key deleted, a list entry
doubled) — and, for seeds that declare a schema, schema-valid surprises: one value swapped for an
extreme one of its type (0, 2^63 - 1, 1e300, an empty, 5,000-character or markup string), or a list
entry doubled or dropped, kept only when the document still passes its schema. Every tool must answer 0, 1 or 2 — never an uncaught exception — and a 2 must be one
line on stderr. The first failing input is saved to DIR with its traceback, and the run fails.
Past findings in fuzz/regressions/results/ are replayed first. Standard library plus the tools'
own dependencies (matplotlib, scipy)."""

import argparse
import contextlib
import io
import json
import pathlib
import random
import sys
import tempfile
import time
import traceback

ROOT = pathlib.Path(__file__).resolve().parent.parent

from ci import gate
from common import schemas
from conformance.reference import differential
from reports import report

SEEDS = sorted((ROOT / "reports/tests/fixtures").glob("*.json")) + sorted((ROOT / "ci/tests/fixtures").glob("*.json"))
REGRESSIONS = ROOT / "fuzz/regressions/results"
ODD_VALUES = [None, True, False, 0, -1, 2**63, 10**400, 1e308, -1e308, float("nan"), float("inf"), "", "x" * 5000,
              "\u2603\x00", [], {}, [None], {"": None}, [[[[[]]]]]]


def paths_of(value, here=()):
    """Every (path, value) inside a JSON document."""
    yield here, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths_of(v, here + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths_of(v, here + (i,))


def structural(doc, rng):
    doc = json.loads(json.dumps(doc))
    path, _ = rng.choice(list(paths_of(doc)))
    if not path:
        return rng.choice(ODD_VALUES)
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    action = rng.random()
    if action < 0.6:
        parent[last] = rng.choice(ODD_VALUES)
    elif action < 0.8 and isinstance(parent, dict):
        del parent[last]
    elif isinstance(parent, list):
        parent.insert(last, json.loads(json.dumps(parent[last])))  # a duplicated entry
    else:
        parent[last] = rng.choice(ODD_VALUES)
    return doc


# Values of each JSON type that a schema may well allow and a reader may not expect.
SURPRISES = {int: [0, 1, 2**53, 2**63 - 1], float: [0.0, 5e-324, 1e-300, 1e300, 1.7e308],
             str: ["", " ", "\u2603\u200d", "x" * 5000, "../../etc/passwd", "<script>alert(1)</script>", "a|b\nc"],
             bool: [True, False]}


def schema_of(doc):
    """The schema a seed document declares, if it is one a reader checks."""
    if isinstance(doc, dict) and doc.get("schema") == "socklab-conformance-report":
        return "conformance"
    if isinstance(doc, dict) and isinstance(doc.get("socklab"), dict) and doc["socklab"].get("schema_version") == 2:
        return "bench"
    return None


def valid_surprise(doc, name, rng, tries=40):
    """A copy of doc with one value swapped for a surprising one of its type, or a list entry
    duplicated or removed, that still passes the schema: valid input no reader may crash on."""
    for _ in range(tries):
        copy = json.loads(json.dumps(doc))
        path, value = rng.choice([pv for pv in paths_of(copy) if pv[0]])
        parent = copy
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(value, list) and value and rng.random() < 0.5:
            if rng.random() < 0.5:
                value.insert(0, json.loads(json.dumps(rng.choice(value))))  # an entry doubled
            else:
                value.pop()  # an entry dropped
        elif type(value) in SURPRISES:
            parent[path[-1]] = rng.choice(SURPRISES[type(value)])
        else:
            continue
        if not schemas.violations(copy, name):
            return copy
    return None


def mutate(text, rng):
    """A mutated copy of a JSON text (bytes)."""
    if rng.random() < 0.6:
        return json.dumps(structural(json.loads(text), rng)).encode()  # NaN/Infinity as Python writes them
    data = bytearray(text.encode())
    for _ in range(rng.randint(1, 4)):
        kind, at = rng.random(), rng.randrange(len(data) or 1)
        if kind < 0.3:
            del data[at:]
        elif kind < 0.7 and data:
            data[at] = rng.randrange(256)
        else:
            del data[at : at + rng.randint(1, 64)]
    return bytes(data)


def call(tool, argv):
    """(exit status, stderr) of a tool's main() run in this process."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            rc = tool(argv)
        except SystemExit as e:  # argparse usage errors
            rc = e.code
    return rc, err.getvalue()


def check_one(path, good_bench, good_conf, work, with_plots):
    """Raises AssertionError (or the tool's own exception) when a tool mishandles `path`."""
    runs = [(gate.main, [str(good_bench), str(path), "--force", "--json", str(work / "verdict.json")]),
            (gate.main, [str(good_conf), str(path), "--force", "--json", str(work / "verdict.json")]),
            (differential.main, [str(good_conf), str(path), "--json", str(work / "diff.json")])]
    if with_plots:
        runs.append((report.main, [str(path), "-o", str(work / "report")]))
    for tool, argv in runs:
        rc, err = call(tool, argv)
        assert rc in (0, 1, 2), f"{tool.__module__} exited {rc!r}"
        if rc == 2:  # one line of reason (argparse's usage lines aside)
            lines = [line for line in err.strip().splitlines() if not line.startswith(("usage:", " "))]
            assert len(lines) == 1, f"{tool.__module__}: a bad input got {len(lines)} lines on stderr:\n{err}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock, printed)")
    parser.add_argument("--findings", default=None, help="where a failing input is saved (default: a temp dir)")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 3600:
        parser.error("--seconds must be in (0, 3600]")
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    texts = [(p.name, p.read_text()) for p in SEEDS]
    good_bench = ROOT / "reports/tests/fixtures/bench_linux.json"
    good_conf = ROOT / "reports/tests/fixtures/conformance_fail_skip.json"
    with tempfile.TemporaryDirectory(prefix="socklab-fuzz-") as tmp:
        work = pathlib.Path(tmp)
        findings = pathlib.Path(args.findings) if args.findings else work / "findings"
        inputs = [(p.name, p.read_bytes()) for p in sorted(REGRESSIONS.glob("*"))] if REGRESSIONS.is_dir() else []
        replayed, executions, valid, end = len(inputs), 0, 0, time.monotonic() + args.seconds
        while inputs or time.monotonic() < end:
            if inputs:
                name, data = inputs.pop(0)
            else:
                name, text = rng.choice(texts)
                doc = json.loads(text)
                surprise = valid_surprise(doc, schema_of(doc), rng) if schema_of(doc) and rng.random() < 0.3 else None
                valid += surprise is not None
                data = json.dumps(surprise).encode() if surprise is not None else mutate(text, rng)
            path = work / "input.json"
            path.write_bytes(data)
            try:
                check_one(path, good_bench, good_conf, work, with_plots=executions % 20 == 0)
            except Exception:  # any escape is the finding this fuzzer looks for
                findings.mkdir(parents=True, exist_ok=True)
                saved = findings / f"results-finding-{seed}-{executions}.json"
                saved.write_bytes(data)
                (findings / (saved.name + ".txt")).write_text(traceback.format_exc())
                print(f"results_fuzz: finding (mutated from {name}, seed {seed}) saved to {saved}:\n"
                      f"{traceback.format_exc()}", file=sys.stderr)
                if not args.findings:
                    print(saved.read_bytes()[:2000].decode(errors="replace"), file=sys.stderr)
                return 1
            executions += 1
    print(f"results_fuzz: {executions} inputs ({replayed} past findings replayed, {valid} schema-valid surprises) "
          f"through gate, report and differential in {args.seconds:g} s, seed {seed}: no tool failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
