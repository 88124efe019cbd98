"""The contracts of socklab's outputs (schemas/NAME.schema.json, one per output) and the check
every reader makes: a document that says which format it is must be that format, and the error
names the first place where it is not."""
import functools
import json
import pathlib

from common.errors import InputError

SCHEMAS = pathlib.Path(__file__).resolve().parents[1] / "schemas"
NAMES = ("bench", "conformance", "differential", "gate", "platform", "platforms", "remote-control")


@functools.cache
def validator(name):
    from jsonschema import Draft202012Validator  # Debian's python3-jsonschema; only readers need it

    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(_inlined(schema, schema.get("$defs", {})))


def _inlined(node, defs, depth=0):
    """The schema with each {"$ref": "#/$defs/NAME", ...} replaced by the definition merged with the
    reference's other keywords (where none is the definition's too, which is then the same schema):
    the same checks and messages, but jsonschema no longer resolves a reference per value (a
    bench.json of 9,000 rows took 2.4 s to check, 1.4 s inlined). Bounded, in case a definition is
    recursive."""
    if isinstance(node, dict):
        node = {k: v if k == "$defs" else _inlined(v, defs, depth) for k, v in node.items()}
        ref = node.get("$ref")
        name = ref.removeprefix("#/$defs/") if isinstance(ref, str) else None
        if name in defs and depth < 8:
            target = _inlined(defs[name], defs, depth + 1)
            rest = {k: v for k, v in node.items() if k != "$ref"}
            if isinstance(target, dict) and not set(rest) & set(target):
                return {**target, **rest}
        return node
    if isinstance(node, list):
        return [_inlined(v, defs, depth) for v in node]
    return node


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
