"""The ./socklab driver: usage errors exit 2 with one clear line, help exits 0."""
import os
import pathlib
import stat
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DRIVER = ROOT / "socklab"


def run(*args, env=None):
    return subprocess.run([str(DRIVER), *args], capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "no command given"),
        (("bogus",), "unknown command 'bogus'"),
        (("run", "--no-such-flag"), "run: unknown option '--no-such-flag'"),
        (("test", "--no-such-flag"), "test: unknown option '--no-such-flag'"),
        (("run", "--out"), "run: --out needs a folder"),
        (("run", "--history"), "run: --history needs a file"),
        (("test", "-R"), "test: -R needs a regular expression"),
        (("doctor", "--bogus"), "doctor: unknown option '--bogus'"),
        (("conform", "--bogus"), "conform: unknown option '--bogus'"),
        (("conform", "-o"), "conform: -o needs a folder"),
        (("conform", "--reference", "ruby"), "conform: unknown reference 'ruby' (the one reference is: python)"),
        (("conform", "--reference"), "conform: --reference needs an implementation (python)"),
        (("conform", "--kernel"), "conform: --kernel needs a kernel (e.g. 6.1, 6.12-rt)"),
        (("conform", "--only", "UDP"), "conform: --only and --timeout go with --kernel or --platforms"),
        (("conform", "--kernel", "6.1", "--platforms", "host"), "conform: --kernel or --platforms, not both"),
        (("conform", "--kernel", "6.1", "--reference", "python"),
         "conform: --kernel runs the reference itself and does not soak; drop --reference/--soak"),
        (("conform", "--kernel", "6.1", "--timeout", "soon"),
         "conform: --timeout takes a whole number of seconds of at least 1"),
        (("run", "--", "x"), "run: unexpected arguments after --"),
        (("bench", "--bogus"), "bench: unknown option '--bogus'"),
    ],
)
def test_usage_errors_exit_2_with_one_line_and_usage(args, message):
    r = run(*args)
    assert r.returncode == 2
    first, *rest = [line for line in r.stderr.splitlines() if not line.startswith("socklab: note:")]
    assert first == f"socklab: {message}"
    # The command's own usage, not the list of commands (which only an unknown command gets).
    command = args[0] if args and args[0] in ("run", "test", "doctor", "conform", "bench") else "<command>"
    assert rest[0].startswith(f"usage: ./socklab {command}"), rest
    assert r.stdout == ""


@pytest.mark.parametrize("args, message", [
    (("--kernel", "5.4"), "--kernel '5.4': not a packaged kernel (known: 6.1, 6.1-rt, 6.1-cloud"),
    (("--kernel", "6.1", "--only", "udp;reboot"), "--only 'udp;reboot': needs catalog ID prefixes"),
    (("--platforms", "host,5.4"), "--platforms 'host,5.4': 5.4 is no platform (known: host, 6.1, 6.1-rt"),
])
def test_a_kernel_run_refuses_bad_input_before_building_anything(args, message):
    r = run("conform", *args)
    assert r.returncode == 2
    lines = [line for line in r.stderr.splitlines() if not line.startswith("socklab: note:")]
    assert len(lines) == 1 and lines[0].startswith(f"socklab conform: {message}"), r.stderr
    assert "configure" not in r.stdout and "build" not in r.stdout


@pytest.mark.parametrize(
    "args", [("--help",), ("help",), ("run", "--help"), ("test", "--help"), ("doctor", "--help"), ("conform", "--help"), ("bench", "--help")]
)
def test_help_exits_0(args):
    r = run(*args)
    assert r.returncode == 0
    assert "usage: ./socklab" in r.stdout


def test_doctor_names_an_interpreter_lacking_modules(tmp_path):
    # A python3 first on PATH that has none of Debian's modules, as pyenv shims often are.
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}")
    r = run("doctor", env=env)
    assert r.returncode == 0, r.stderr
    assert f"python3 on PATH ({fake}) lacks" in r.stderr
    assert "python: /usr/bin/python3" in r.stdout


def fake_tool(folder, name, script):
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_doctor_checks_what_every_command_installs(tmp_path):
    # dpkg-query answering "installed" for everything but iperf3 (bench --peers, test) and clang-14 (test).
    fake_tool(tmp_path, "dpkg-query", 'case "$3" in iperf3|clang-14) exit 1 ;; esac\n'
              'printf "install ok installed"\n')
    r = run("doctor", env=dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}"))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "packages (peers, for bench --peers, test): missing iperf3" in r.stdout
    assert "packages (tests, for test): missing clang-14" in r.stdout
    assert "packages (build, for run, test, conform, bench, gate --ab): all installed" in r.stdout


def test_the_note_about_another_python_is_said_once(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = fake_tool(bin_dir, "python3", "exit 1\n")
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", XDG_CACHE_HOME=str(tmp_path / "cache"))
    note = f"socklab: note: python3 on PATH ({fake}) lacks"
    said = [sum(line.startswith(note) for line in run("report", "--help", env=env).stderr.splitlines())
            for _ in range(2)]
    assert said == [1, 0]
    assert note in run("doctor", env=env).stderr  # doctor always says it


@pytest.mark.parametrize(
    "args, message",
    [
        (("report", "/no/such/file.json"), "socklab report: /no/such/file.json: no such file"),
        (("gate", "--baseline", "/no/such.json", "--current", "/no/such.json"),
         "socklab gate: /no/such.json: no such file"),
        (("gate", "--ab", "no-such-ref-anywhere", "--out", "/tmp/socklab-driver-test-ab"),
         "socklab gate --ab: 'no-such-ref-anywhere' is not a commit in this repository"),
        (("history", "changes", "--db", "/no/such/history.sqlite"),
         "socklab history: /no/such/history.sqlite: no such history"),
        (("history", "add", "--db", "/tmp/socklab-driver-test-history.sqlite", "/no/such/run"),
         "socklab history: /no/such/run: no such file or folder"),
    ],
)
def test_python_tools_answer_bad_input_with_one_line_and_exit_2(args, message):
    r = run(*args)
    assert r.returncode == 2
    assert [line for line in r.stderr.splitlines() if not line.startswith("socklab: note:")] == [message]


@pytest.mark.parametrize("args", [("report", "--frobnicate"), ("gate", "--frobnicate"), ("gate",), ("history",),
                                  ("history", "add")])
def test_python_tools_reject_bad_flags_with_usage(args):
    r = run(*args)
    assert r.returncode == 2 and "usage: socklab" in r.stderr


@pytest.mark.parametrize("args", [("report", "--help"), ("gate", "--help"), ("history", "--help")])
def test_python_tools_help_exits_0(args):
    r = run(*args)
    assert r.returncode == 0 and "usage: socklab" in r.stdout


def test_gate_help_documents_the_ab_mode():
    r = run("gate", "--help")
    assert r.returncode == 0 and "socklab gate --ab REF [--quick]" in r.stdout, r.stdout
