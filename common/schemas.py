"""The contracts of socklab's outputs (schemas/NAME.schema.json, one per output) and the check
every reader makes: a document that says which format it is must be that format, and the error
names the first place where it is not."""
import functools
import json
import pathlib

from common.errors import InputError

SCHEMAS = pathlib.Path(__file__).resolve().parents[1] / "schemas"
NAMES = ("bench", "conformance", "differential", "gate", "remote-control")


@functools.cache
def validator(name):
    from jsonschema import Draft202012Validator  # Debian's python3-jsonschema; only readers need it

    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def violations(doc, name):
    """Every violation of schema `name` in doc as "where: what", the first (in document order) first."""
    # Indices compare as numbers (item 3 before item 10), keys as text.
    errors = sorted(validator(name).iter_errors(doc), key=lambda e: [(isinstance(p, str), p) for p in e.absolute_path])
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}" for e in errors]


def check(doc, name, path):
    """Raises InputError naming the file, the format and its first violation."""
    found = violations(doc, name)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise InputError(f"{path}: not a valid {name} document: {found[0][:300]}{more}")
