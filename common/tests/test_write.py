"""Result files are written in one step and are as readable as any file the user makes: 0644 under
umask 022, 0600 under 077 (mkstemp alone gave 0600 whatever the umask); and their JSON is strict
JSON, whatever non-finite numbers a computation left in it."""
import json
import math
import os
import stat

import pytest

from common.results import json_text, write_atomically


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_written_file_has_the_mode_the_umask_gives(tmp_path, umask, mode):
    path = tmp_path / "verdict.json"
    old = os.umask(umask)
    try:
        write_atomically(path, "{}\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode and path.read_text() == "{}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["verdict.json"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "verdict.json"
    path.write_text("old")
    with pytest.raises(TypeError):
        write_atomically(path, None)  # writing fails after the temporary file exists
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["verdict.json"]


def _refuse(constant):
    raise ValueError(f"bare {constant} in the JSON")


def test_non_finite_numbers_are_written_as_null_at_any_depth():
    doc = {"median": math.nan, "rows": [{"ratio": math.inf, "ok": 1.5}, (-math.inf, 2)], "name": "NaN"}
    text = json_text(doc)
    assert json.loads(text, parse_constant=_refuse) == {"median": None, "rows": [{"ratio": None, "ok": 1.5},
                                                                                 [None, 2]], "name": "NaN"}
    assert text.endswith("}\n")
