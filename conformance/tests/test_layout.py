"""One place per behaviour: each catalog group has one C++ file (conformance/<group>_test.cpp) and
one Python module (conformance/reference/<group>.py), each holding exactly that group's behaviours,
so a reader finds a behaviour in the same place on both sides."""
import importlib
import json
import pathlib
import re

HERE = pathlib.Path(__file__).resolve().parent
SUITE = HERE.parent
CATALOG = json.loads((SUITE / "catalog.json").read_text())
GROUP_OF = {e["id"]: e["group"] for e in CATALOG["behaviours"]}
CPP_APPLIES = {e["id"] for e in CATALOG["behaviours"] if e.get("applies", True)}
PYTHON_APPLIES = {e["id"] for e in CATALOG["behaviours"] if e.get("python_applies", True)}
GROUPS = set(GROUP_OF.values())
CPP_TEST = re.compile(r"^(?:TEST|TEST_F|TEST_P|KIND_TEST)\(\w+,\s*([A-Z][A-Z0-9_]*?_\d\d)_", re.M)
NOT_GROUPS_CPP = {"catalog_test.cpp"}
NOT_GROUPS_PY = {"__init__.py", "support.py", "kinds.py", "differential.py", "python_reference.py"}


def file_stem(group):
    return group.replace("-", "_")


def ids_in(path, pattern):
    return {m.group(1).replace("_", "-") for m in pattern.finditer(path.read_text())}


def test_every_group_has_one_cpp_file_and_one_python_module():
    cpp = {p.name for p in SUITE.glob("*_test.cpp")} - NOT_GROUPS_CPP
    py = {p.name for p in (SUITE / "reference").glob("*.py")} - NOT_GROUPS_PY
    assert cpp == {f"{file_stem(g)}_test.cpp" for g in GROUPS}
    assert py == {f"{file_stem(g)}.py" for g in GROUPS}


def members(group, applying):
    return {i for i, g in GROUP_OF.items() if g == group and i in applying}


def test_each_cpp_file_holds_exactly_its_groups_behaviours():
    for group in GROUPS:
        path = SUITE / f"{file_stem(group)}_test.cpp"
        found, wanted = ids_in(path, CPP_TEST), members(group, CPP_APPLIES)
        assert found == wanted, f"{path.name}: {sorted(found ^ wanted)}"


def test_each_python_module_holds_exactly_its_groups_scenarios():
    importlib.import_module("conformance.reference.python_reference")  # which registers every scenario
    from conformance.reference.support import SCENARIOS

    for group in GROUPS:
        module = f"conformance.reference.{file_stem(group)}"
        found = {bid for bid, _, fn in SCENARIOS if fn.defined_in == module}
        wanted = members(group, PYTHON_APPLIES)
        assert found == wanted, f"{module}: {sorted(found ^ wanted)}"


def test_the_cpp_check_sees_every_way_a_test_is_declared(tmp_path):
    misplaced = tmp_path / "x_test.cpp"
    misplaced.write_text("KIND_TEST(PeekOverKinds, FLAG_01_Peek) {}\nTEST(Recv, RECV_02_Eof) {}\n"
                         "TEST_F(Sigpipe, TCP_SEND_04_X) {}\nTEST_P(Fams, UDP_02_Y) {}\n")
    assert ids_in(misplaced, CPP_TEST) == {"FLAG-01", "RECV-02", "TCP-SEND-04", "UDP-02"}
