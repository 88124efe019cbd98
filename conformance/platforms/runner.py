# SPDX-License-Identifier: MIT
"""Run the behaviour catalog on a packaged Debian kernel: boot it under QEMU with loopback only,
run socklab-conform and the CPython reference inside, and bring their reports out.

Exit status: 0 every behaviour held in both suites; 1 a suite failed in the guest; 2 bad input;
3 the platform cannot be had here (no QEMU, no busybox, no kernel package, no way to reach the
host's files); 4 the guest never reported back (it hung, paused or failed to boot) and was
killed. Every status but 0 comes with one line on stderr saying which."""

import argparse
import datetime
import os
import pathlib
import re
import shlex
import sys
import tempfile

from common import schemas
from common.errors import InputError
from common.results import json_text, write_atomically

from . import guest, kernels

ROOT = pathlib.Path(__file__).resolve().parents[2]
SUITES = {"socklab": "conformance.json", "python": "conformance-python.json"}
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


def job(conform, python, only):
    """The shell script the guest runs in its chroot of the host's root (results in /mnt)."""
    gtest_filter, id_regex = only_filters(only) if only else (None, None)
    socklab = [str(conform), "--gtest_brief=1", "--report=/mnt/conformance.json",
               "--gtest_output=xml:/mnt/conformance-junit.xml"] + ([f"--gtest_filter={gtest_filter}"] if only else [])
    reference = [str(python), str(ROOT / "conformance" / "reference" / "python_reference.py"), "--quiet",
                 "--report", "/mnt/conformance-python.json"] + (["--filter", id_regex] if only else [])
    q = shlex.join
    # The guest's default descriptor limit (1024) is too low for the backlog probe at somaxconn 4096.
    return f"""ulimit -n 65536 || ulimit -n 16384
export HOME=/tmp TMPDIR=/tmp PYTHONPATH={shlex.quote(str(ROOT))}
cd {shlex.quote(str(ROOT))} || exit 100
{q(socklab)} > /mnt/socklab.log 2>&1; echo $? > /mnt/socklab.status
{q(reference)} > /mnt/python.log 2>&1; echo $? > /mnt/python.status
"""


def suite_status(out, suite):
    path = out / f"{suite}.status"
    text = path.read_text().strip() if path.is_file() else ""
    return int(text) if text.isdigit() else None


def run(args):
    spec, only = kernels.parse(args.kernel), args.only
    conform = pathlib.Path(args.conform)
    if not os.access(conform, os.X_OK):
        raise InputError(f"--conform {conform}: not an executable socklab-conform (build the release preset)")
    out = pathlib.Path(args.out).resolve()
    guest.require_tools()
    kernel = kernels.Cache(args.cache).kernel(spec)
    out.mkdir(parents=True, exist_ok=True)
    keep = [ROOT, conform.resolve().parent]
    with tempfile.TemporaryDirectory(prefix="socklab-guest-") as work:
        outcome = guest.boot(kernel, job(conform.resolve(), args.python, only), out, pathlib.Path(work),
                             args.timeout, keep=keep)
    statuses = {suite: suite_status(out, suite) for suite in SUITES}
    record = {"schema": "socklab-platform", "schema_version": 1, "platform": f"linux-{spec.name}", "kernel": spec.name, "package": kernel.package,
              "release": kernel.release, "accelerator": outcome.accelerator,
              "emulated": outcome.accelerator == "tcg", "transport": guest.transport(kernel),
              "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "seconds": round(outcome.seconds, 1), "only": only, "reported": outcome.status is not None,
              "suites": statuses}
    schemas.check(record, "platform", out / "platform.json")
    write_atomically(out / "platform.json", json_text(record))
    where = f"kernel {spec.name} ({kernel.release}, {'emulated' if record['emulated'] else 'kvm'})"
    if outcome.status is None:
        why = (f"did not report back within {args.timeout} s and was killed" if outcome.timed_out
               else "stopped before it reported back" if outcome.started else "stopped before it reached the job")
        why += f" ({outcome.complaint})" if outcome.complaint else ""
        print(f"socklab conform: {where}: the guest {why} (its console: {outcome.console})", file=sys.stderr)
        return NO_REPORT
    failed = [f"{suite} ({'exit ' + str(s) if s is not None else 'no status'}, see {out / (suite + '.log')})"
              for suite, s in statuses.items() if s != 0]
    if failed:
        print(f"socklab conform: {where}: failed in the guest: {'; '.join(failed)}", file=sys.stderr)
        return FAILED
    print(f"socklab conform: {where}: both suites passed in {outcome.seconds:.0f} s -> {out}")
    return PASSED


def parser():
    p = argparse.ArgumentParser(prog="socklab conform --kernel", description=__doc__.split("\n\n")[0])
    p.add_argument("--kernel", required=True, help="6.1, 6.1-rt, 6.1-cloud, 6.12, 6.12-rt, 6.12-cloud")
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
        kernels.parse(args.kernel)
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
