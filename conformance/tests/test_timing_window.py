# SPDX-License-Identifier: MIT
"""The CPython reference's timing window (support.Check.window), as socklab's timing_window.hpp:
late fails on a real platform and is too slow to judge (a skip) on an emulated one; early fails on
both. And the platform runner marks exactly its emulated guests."""
import pytest

from conformance.platforms import runner
from conformance.reference.support import Check, Skipped


@pytest.mark.parametrize("flag", [None, "0", ""])
def test_late_on_a_real_platform_fails(monkeypatch, flag):
    if flag is None:
        monkeypatch.delenv("SOCKLAB_EMULATED", raising=False)
    else:
        monkeypatch.setenv("SOCKLAB_EMULATED", flag)
    t = Check()
    t.window(5.0, 0.298, 2.3, "connect with a 300 ms timeout")
    assert t.failures == ["connect with a 300 ms timeout took 5.000 s (window ends at 2.3 s)"]


def test_late_on_an_emulated_platform_is_too_slow_to_judge(monkeypatch):
    monkeypatch.setenv("SOCKLAB_EMULATED", "1")
    t = Check()
    with pytest.raises(Skipped, match="too slow to judge on an emulated platform: .* took 5.000 s"):
        t.window(5.0, 0.298, 2.3, "connect with a 300 ms timeout")
    assert t.failures == []


def test_early_fails_even_when_emulated(monkeypatch):
    monkeypatch.setenv("SOCKLAB_EMULATED", "1")
    t = Check()
    t.deadline(0.1, 0.3)
    assert t.failures == ["a call with a 0.3 s timeout took 0.100 s: before its window (0.298 s)"]


def test_inside_the_window_passes(monkeypatch):
    monkeypatch.setenv("SOCKLAB_EMULATED", "1")
    t = Check()
    t.deadline(0.31, 0.3)
    assert t.failures == []


@pytest.mark.parametrize("emulated", [False, True])
def test_only_an_emulated_guest_is_marked(emulated):
    script = runner.job("/bin/true", "/usr/bin/python3", None, emulated=emulated)
    assert ("SOCKLAB_EMULATED=1" in script) == emulated
