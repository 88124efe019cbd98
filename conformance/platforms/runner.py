# SPDX-License-Identifier: MIT
"""Run the behaviour catalog on a packaged Debian kernel: boot it under QEMU with loopback only,
run socklab-conform and the CPython reference inside, and bring their reports out. With
--platforms, on several (this host among them) into one folder, and the matrix of where they
differ (matrix.py).

Exit status with --kernel: 0 every behaviour held in both suites; 1 a suite failed in the guest;
2 bad input; 3 the platform cannot be had here (no QEMU, no busybox, no kernel package, no way to
reach the host's files); 4 the guest never reported back (it hung, paused or failed to boot) and
was killed. Every status but 0 comes with one line on stderr saying which. With --platforms: 0
when every platform ran to the end (what failed where is the matrix's finding), else the worst of
3 and 4, the matrix made of the platforms that did."""

import argparse
import datetime
import os
import pathlib
import re
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import time

from common import schemas
from common.errors import InputError
from common.results import json_text, write_atomically

from . import guest, kernels, matrix

ROOT = pathlib.Path(__file__).resolve().parents[2]
PASSED, FAILED, BAD_INPUT, UNAVAILABLE, NO_REPORT = 0, 1, 2, 3, 4


def only_filters(only):
    """The gtest filter and the reference's ID regex that select the behaviours whose catalog IDs
    start with one of the comma-separated prefixes `only` (e.g. "UDP,TCP-SENDALL-02")."""
    prefixes = [p.strip() for p in only.split(",") if p.strip()]
    if not prefixes or not all(re.fullmatch(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)*", p) for p in prefixes):
        raise InputError(f"--only {only!r}: needs catalog ID prefixes such as UDP or TCP-SENDALL-02, comma-separated")
    gtest = ":".join(f"*.{p.replace('-', '_')}_*" for p in prefixes)
    regex = "^(" + "|".join(re.escape(p) for p in prefixes) + ")(-|$)"
    return gtest, regex


def job(conform, python, only, results="/mnt", emulated=False):
    """The shell script that runs both suites, their reports and logs in `results`: the guest runs
    it in its chroot of the host's root (results in /mnt), the host as it is. On an emulated
    platform a timing window's late end is too slow to judge, not a failure (timing_window.hpp)."""
    gtest_filter, id_regex = only_filters(only) if only else (None, None)
    socklab = [str(conform), "--gtest_brief=1", f"--report={results}/{matrix.REPORTS['socklab']}",
               f"--gtest_output=xml:{results}/conformance-junit.xml"] + ([f"--gtest_filter={gtest_filter}"] if only else [])
    reference = [str(python), str(ROOT / "conformance" / "reference" / "python_reference.py"), "--quiet",
                 "--report", f"{results}/{matrix.REPORTS['python']}"] + (["--filter", id_regex] if only else [])
    q, r = shlex.join, shlex.quote(str(results))
    # The guest's default descriptor limit (1024) is too low for the backlog probe at somaxconn 4096.
    return f"""ulimit -n 65536 || ulimit -n 16384
export TMPDIR=/tmp PYTHONPATH={shlex.quote(str(ROOT))}{" SOCKLAB_EMULATED=1" if emulated else ""}
cd {shlex.quote(str(ROOT))} || exit 100
{q(socklab)} > {r}/socklab.log 2>&1; echo $? > {r}/socklab.status
{q(reference)} > {r}/python.log 2>&1; echo $? > {r}/python.status
"""


def suite_status(out, suite):
    path = out / f"{suite}.status"
    text = path.read_text().strip() if path.is_file() else ""
    return int(text) if text.isdigit() else None


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def record(out, **fields):
    """Writes out/platform.json: what ran where, and how each suite ended."""
    doc = {"schema": "socklab-platform", "schema_version": 1, **fields,
           "suites": {suite: suite_status(out, suite) for suite in matrix.REPORTS}}
    schemas.check(doc, "platform", out / "platform.json")
    write_atomically(out / "platform.json", json_text(doc))
    return doc


def verdict(where, doc, out, seconds, failed_in):
    """The exit status of one platform's run, and its one line (stderr unless both suites passed)."""
    failed = [f"{suite} ({'exit ' + str(s) if s is not None else 'no status'}, see {out / (suite + '.log')})"
              for suite, s in doc["suites"].items() if s != 0]
    if failed:
        print(f"socklab conform: {where}: failed {failed_in}: {'; '.join(failed)}", file=sys.stderr)
        return FAILED
    print(f"socklab conform: {where}: both suites passed in {seconds:.0f} s -> {out}")
    return PASSED


def run_kernel(spec, args, conform, out):
    """Boots the packaged kernel `spec` and runs both suites in it, reports in `out`."""
    guest.require_tools()
    kernel = kernels.Cache(args.cache).kernel(spec)
    out.mkdir(parents=True, exist_ok=True)
    accel = guest.accelerator()
    with tempfile.TemporaryDirectory(prefix="socklab-guest-") as work:
        script = job(conform, args.python, args.only, emulated=accel == "tcg")
        outcome = guest.boot(kernel, script, out, pathlib.Path(work), args.timeout, accel, keep=[ROOT, conform.parent])
    doc = record(out, platform=f"linux-{spec.name}", kernel=spec.name, package=kernel.package, release=kernel.release,
                 accelerator=accel, emulated=accel == "tcg", transport=outcome.transport, date=now(),
                 seconds=round(outcome.seconds, 1), only=args.only, reported=outcome.status is not None)
    where = f"kernel {spec.name} ({kernel.release}, {'emulated' if doc['emulated'] else 'kvm'})"
    if outcome.status is None:
        why = (f"did not report back within {args.timeout} s and was killed" if outcome.timed_out
               else "stopped before it reported back" if outcome.started else "stopped before it reached the job")
        why += f" ({outcome.complaint})" if outcome.complaint else ""
        print(f"socklab conform: {where}: the guest {why} (its console: {outcome.console})", file=sys.stderr)
        return NO_REPORT
    return verdict(where, doc, out, outcome.seconds, "in the guest")


def run_host(args, conform, out):
    """Runs both suites on this host, as the guests run them, reports in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "job.sh").write_text(job(conform, args.python, args.only, results=out))
    start = time.monotonic()
    # Its own session, so that at the limit the job and what it started are killed together.
    with open(out / "job.log", "w") as log:
        process = subprocess.Popen(["/bin/sh", str(out / "job.sh")], stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    timed_out = False
    try:
        process.wait(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    seconds = time.monotonic() - start
    doc = record(out, platform="linux-host", kernel="host", package=None, release=platform.uname().release,
                 accelerator=None, emulated=False, transport=None, date=now(), seconds=round(seconds, 1),
                 only=args.only, reported=not timed_out)
    where = f"this host ({doc['release']})"
    if not doc["reported"]:
        print(f"socklab conform: {where}: the suites did not end within {args.timeout} s and were killed",
              file=sys.stderr)
        return NO_REPORT
    return verdict(where, doc, out, seconds, "on the host")


def platform_names(text):
    """The --platforms list: "host" and kernel names; "all" is the host and every packaged kernel."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if names == ["all"]:
        names = ["host"] + kernels.NAMES
    unknown = [n for n in names if n != "host" and n not in kernels.NAMES]
    if unknown:
        raise InputError(f"--platforms {text!r}: {', '.join(unknown)} is no platform (known: host, "
                         f"{', '.join(kernels.NAMES)}, or all)")
    if not names or len(set(names)) != len(names):
        raise InputError(f"--platforms {text!r}: needs distinct platforms, e.g. host,6.1,6.1-rt,6.12,6.12-rt")
    return names


def run_platforms(args, conform, out):
    """Each platform into out/linux-NAME/, then the matrix of where they differ. A platform that
    cannot be had or never reports back is said and skipped; the others still run."""
    codes = []
    for name in platform_names(args.platforms):
        folder = out / f"linux-{name}"
        try:
            codes.append(run_host(args, conform, folder) if name == "host" else
                         run_kernel(kernels.parse(name), args, conform, folder))
        except kernels.Unavailable as e:
            print(f"socklab conform: {name}: {e}", file=sys.stderr)
            codes.append(UNAVAILABLE)
    # Failures are the matrix's findings; what is reported is whether every platform ran.
    ran = max((c for c in codes if c != FAILED), default=PASSED)
    try:
        table = matrix.build(out)
    except InputError as e:  # no platform ran, or one left a damaged record
        print(f"socklab conform: no matrix: {e}", file=sys.stderr)
        return ran or NO_REPORT
    matrix.write(table, out)
    print(matrix.console(table))
    return ran


def run(args):
    conform = pathlib.Path(args.conform)
    if not os.access(conform, os.X_OK):
        raise InputError(f"--conform {conform}: not an executable socklab-conform (build the release preset)")
    conform, out = conform.resolve(), pathlib.Path(args.out).resolve()
    if args.platforms:
        return run_platforms(args, conform, out)
    return run_kernel(kernels.parse(args.kernel), args, conform, out)


def parser():
    p = argparse.ArgumentParser(prog="socklab conform --kernel", description=__doc__.split("\n\n")[0])
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--kernel", help="6.1, 6.1-rt, 6.1-cloud, 6.12, 6.12-rt, 6.12-cloud")
    where.add_argument("--platforms", help="several, comma-separated, host among them (or all), into one folder "
                       "with the matrix of where they differ")
    p.add_argument("--out", help="the folder the reports are written to")
    p.add_argument("--conform", help="the socklab-conform binary the guest runs")
    p.add_argument("--check", action="store_true", help="only check --kernel and --only, and exit (0 or 2)")
    p.add_argument("--python", default="/usr/bin/python3", help="the Python the guest runs the reference with")
    p.add_argument("--only", help="only the behaviours whose IDs start with these prefixes (comma-separated)")
    p.add_argument("--timeout", type=int, default=900, help="kill the guest after this many seconds (default 900)")
    p.add_argument("--cache", default=os.path.expanduser("~/.cache/socklab/kernels"),
                   help="where fetched kernels are kept (default ~/.cache/socklab/kernels)")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    if args.timeout < 1:
        print("socklab conform: --timeout needs a whole number of seconds of at least 1", file=sys.stderr)
        return BAD_INPUT
    try:
        platform_names(args.platforms) if args.platforms else kernels.parse(args.kernel)
        if args.only:
            only_filters(args.only)
        if args.check:
            return PASSED
        if not args.out or not args.conform:
            raise InputError("--out and --conform are needed to run")
        return run(args)
    except InputError as e:
        print(f"socklab conform: {e}", file=sys.stderr)
        return BAD_INPUT
    except kernels.Unavailable as e:
        print(f"socklab conform: {e}", file=sys.stderr)
        return UNAVAILABLE


if __name__ == "__main__":
    sys.exit(main())
