# SPDX-License-Identifier: MIT
"""Soak the conformance suite: run it again and again (socklab-conform, then the catalog through
CPython) in one measured copy while other copies run beside it as load, and stop at the first
failure. The catalog's timing windows must hold on a loaded machine, not only on an idle one.

Every run is bounded (600 s, as the driver bounds one suite run), and the load copies stop with
the measured one: each finishes the run it is in, then starts no other."""

import argparse
import dataclasses
import os
import pathlib
import statistics
import subprocess
import sys
import threading
import time

from common import schemas
from common.results import InputError, json_text, load_conformance, write_atomically

RUN_LIMIT_SECONDS = 600
SUITES = ("socklab", "python")


@dataclasses.dataclass
class Run:
    copy: int  # 0 is the measured copy, the others are load
    number: int  # the pass it belongs to, from 1
    suite: str  # "socklab" or "python"
    seconds: float
    status: str  # "pass", "fail" (a behaviour failed), "timeout" or "error" (no usable report)
    failed: list  # the catalog ids that failed
    report: str  # the run's report, kept when the run did not pass


def command(suite, conform, python, report):
    if suite == "socklab":
        return [conform, "--gtest_brief=1", f"--report={report}"]
    return [python, "-m", "conformance.reference.python_reference", "--quiet", "--report", report]


def run_once(copy, number, suite, conform, python, folder):
    report = str(folder / f"copy{copy}-pass{number}-{suite}.json")
    start = time.monotonic()
    try:
        done = subprocess.run(command(suite, conform, python, report), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=RUN_LIMIT_SECONDS, check=False)
    except subprocess.TimeoutExpired:  # subprocess.run has killed the child it started
        return Run(copy, number, suite, time.monotonic() - start, "timeout", [], report)
    seconds = time.monotonic() - start
    try:
        failed = [row["id"] for row in load_conformance(report).behaviours if row["status"] == "fail"]
    except InputError:
        return Run(copy, number, suite, seconds, "error", [], report)
    passed = done.returncode == 0 and not failed
    if passed:
        os.remove(report)  # only what failed is worth keeping
    return Run(copy, number, suite, seconds, "pass" if passed else "fail", failed, "" if passed else report)


class Soak:
    def __init__(self, conform, python, passes, copies, folder, time_limit):
        self.conform, self.python, self.passes, self.copies = conform, python, passes, copies
        self.folder, self.deadline = folder, time.monotonic() + time_limit
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.runs = []
        self.ended_by = "all passes done"

    def end(self, why):
        with self.lock:
            if not self.stop.is_set():
                self.ended_by = why
                self.stop.set()

    def copy(self, index):
        try:
            self.passes_of(index)
        except BaseException:  # the others must not run on unwatched
            self.end(f"copy {index}: the soak itself failed")
            raise

    def passes_of(self, index):
        number = 0
        # The measured copy makes `passes` passes; a load copy runs until the measured one stops.
        while not self.stop.is_set() and (index > 0 or number < self.passes):
            if time.monotonic() > self.deadline:
                self.end("the time limit")
                return
            number += 1
            seconds = 0.0
            for suite in SUITES:
                run = run_once(index, number, suite, self.conform, self.python, self.folder)
                seconds += run.seconds
                with self.lock:
                    self.runs.append(run)
                if run.status != "pass":
                    self.end(f"copy {index} pass {number}: {suite} {run.status}")
                    return
            if index == 0:  # a long soak says how it goes
                print(f"soak: pass {number}/{self.passes} passed in {seconds:.0f} s", flush=True)
        if index == 0:
            self.end("all passes done")

    def run(self):
        threads = [threading.Thread(target=self.copy, args=(i,)) for i in range(self.copies)]
        for t in threads:
            t.start()
        for t in threads:  # each ends within one bounded run of the stop event
            t.join()
        return self.summary()

    def summary(self):
        by_pass = {}
        for r in self.runs:
            if r.copy == 0:
                by_pass.setdefault(r.number, []).append(r)

        def whole(runs):
            return len(runs) == len(SUITES) and all(r.status == "pass" for r in runs)

        in_a_row = 0
        for n in sorted(by_pass):
            if not whole(by_pass[n]):
                break
            in_a_row += 1
        seconds = [sum(r.seconds for r in runs) for runs in by_pass.values() if whole(runs)]
        failures = [dataclasses.asdict(r) for r in self.runs if r.status != "pass"]
        return {
            "schema": "socklab-conformance-soak", "schema_version": 1,
            "passes_asked": self.passes, "copies": self.copies, "ended_by": self.ended_by,
            "measured_copy": {
                "passes_in_a_row": in_a_row,
                "pass_seconds": {"median": statistics.median(seconds), "max": max(seconds)} if seconds else None,
            },
            "load_runs": sum(1 for r in self.runs if r.copy > 0),
            "failures": failures,
            "ok": in_a_row == self.passes and not failures,
        }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conform", required=True, help="the socklab-conform binary")
    parser.add_argument("--python", default=sys.executable, help="the CPython that runs the reference")
    parser.add_argument("--passes", type=int, default=50, help="passes the measured copy must make in a row")
    parser.add_argument("--copies", type=int, default=3, help="copies running at once, the measured one included")
    parser.add_argument("--time-limit", type=float, default=4 * 3600, help="seconds before the soak gives up")
    parser.add_argument("--out", default="socklab-out/soak", help="folder for soak.json and failing runs' reports")
    args = parser.parse_args(argv)
    try:
        if args.passes < 1 or args.copies < 1 or args.time_limit <= 0:
            raise InputError("--passes and --copies must be at least 1 and --time-limit positive")
        if not os.access(args.conform, os.X_OK):
            raise InputError(f"{args.conform}: not an executable socklab-conform")
        folder = pathlib.Path(args.out)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"{folder}: cannot create it ({e.strerror})") from None
        summary = Soak(os.path.abspath(args.conform), args.python, args.passes, args.copies, folder,
                       args.time_limit).run()
        schemas.check(summary, "soak", str(folder / "soak.json"))  # the contract: schemas/soak.schema.json
        write_atomically(str(folder / "soak.json"), json_text(summary, indent=2))
    except InputError as e:
        print(f"soak: {e}", file=sys.stderr)
        return 2
    timing = summary["measured_copy"]["pass_seconds"]
    print(f"soak: {summary['measured_copy']['passes_in_a_row']} of {args.passes} passes in a row with "
          f"{args.copies - 1} other copies running ({summary['load_runs']} load runs); ended by {summary['ended_by']}"
          + (f"; a pass took {timing['median']:.0f} s median, {timing['max']:.0f} s at most" if timing else ""))
    for f in summary["failures"]:
        print(f"soak: copy {f['copy']} pass {f['number']} {f['suite']}: {f['status']} {' '.join(f['failed'])}"
              f" (report: {f['report']})")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
