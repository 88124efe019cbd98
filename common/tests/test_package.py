"""socklab's Python code is one package rooted at the repository: every module imports by its dotted
name, and none finds another by editing sys.path."""
import importlib
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = ("common", "reports", "ci", "bench/peers", "conformance/reference", "fuzz")
MODULES = sorted(p for d in PACKAGES for p in (ROOT / d).glob("*.py") if p.name != "__init__.py")
SOURCES = sorted(p for p in ROOT.rglob("*.py") if "build" not in p.relative_to(ROOT).parts)


def dotted(path):
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


@pytest.mark.parametrize("path", MODULES, ids=dotted)
def test_every_module_imports_by_its_dotted_name(path):
    module = importlib.import_module(dotted(path))
    assert pathlib.Path(module.__file__).resolve() == path


def test_no_module_edits_sys_path():
    assert len(SOURCES) > 40  # the walk found the sources
    edits = [f"{p.relative_to(ROOT)}:{n}" for p in SOURCES
             for n, line in enumerate(p.read_text().splitlines(), 1) if re.search(r"sys\.path\.(insert|append)", line)]
    assert edits == []
