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
        (("test", "-R"), "test: -R needs a regular expression"),
        (("doctor", "--bogus"), "doctor: unknown option '--bogus'"),
        (("conform", "--bogus"), "conform: unknown option '--bogus'"),
        (("conform", "-o"), "conform: -o needs a folder"),
        (("conform", "--reference", "ruby"), "conform: unknown reference 'ruby' (the one reference is: python)"),
        (("conform", "--reference"), "conform: --reference needs an implementation (python)"),
        (("run", "--", "x"), "run: unexpected arguments after --"),
        (("bench", "--bogus"), "bench: unknown option '--bogus'"),
    ],
)
def test_usage_errors_exit_2_with_one_line_and_usage(args, message):
    r = run(*args)
    assert r.returncode == 2
    first, *rest = r.stderr.splitlines()
    assert first == f"socklab: {message}"
    assert any(line.startswith("usage: ./socklab") for line in rest)
    assert r.stdout == ""


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


@pytest.mark.parametrize(
    "args, message",
    [
        (("report", "/no/such/file.json"), "socklab report: /no/such/file.json: no such file"),
        (("gate", "--baseline", "/no/such.json", "--current", "/no/such.json"),
         "socklab gate: /no/such.json: no such file"),
        (("gate", "--ab", "no-such-ref-anywhere", "--out", "/tmp/socklab-driver-test-ab"),
         "socklab gate --ab: 'no-such-ref-anywhere' is not a commit in this repository"),
    ],
)
def test_python_tools_answer_bad_input_with_one_line_and_exit_2(args, message):
    r = run(*args)
    assert r.returncode == 2
    assert [line for line in r.stderr.splitlines() if not line.startswith("socklab: note:")] == [message]


@pytest.mark.parametrize("args", [("report", "--frobnicate"), ("gate", "--frobnicate"), ("gate",)])
def test_python_tools_reject_bad_flags_with_usage(args):
    r = run(*args)
    assert r.returncode == 2 and "usage: socklab" in r.stderr


@pytest.mark.parametrize("args", [("report", "--help"), ("gate", "--help")])
def test_python_tools_help_exits_0(args):
    r = run(*args)
    assert r.returncode == 0 and "usage: socklab" in r.stdout
