"""The contracts: one valid JSON Schema per output, the gate's words the same as the gate's module,
the control protocol's messages as protocol.hpp describes them, and a reader's error that names the
file and the first violation."""
import json

import pytest
from jsonschema import Draft202012Validator

from common import schemas, verdicts
from common.errors import InputError


@pytest.mark.parametrize("name", schemas.NAMES)
def test_each_output_has_a_valid_versioned_schema(name):
    schema = json.loads((schemas.SCHEMAS / f"{name}.schema.json").read_text())
    assert "version" in schema["title"]
    schemas.validator(name)  # check_schema raises on an invalid schema


def test_the_gate_schema_has_exactly_the_gates_verdict_words():
    schema = json.loads((schemas.SCHEMAS / "gate.schema.json").read_text())
    assert tuple(schema["$defs"]["verdict"]["enum"]) == verdicts.ORDER


NONCE, PROOF = "0123456789abcdef" * 4, "fedcba9876543210" * 4
GOOD_MESSAGES = [
    {"version": 2, "type": "hello", "context": {"kernel": "6.1"}, "nonce": NONCE},
    {"version": 2, "type": "hello", "context": {"kernel": "6.1"}, "nonce": NONCE, "auth": "hmac-sha256"},
    {"version": 2, "type": "auth", "proof": PROOF},
    {"version": 2, "type": "welcome", "proof": PROOF},
    {"version": 2, "type": "test", "family": "udp_stream", "size": 1472, "duration_s": 2, "rate_bps": 0,
     "data_port": 40001},
    {"version": 2, "type": "test", "family": "tcp_stream", "size": 65536, "duration_s": 0.5, "sndbuf": 65536},
    {"version": 2, "type": "ready", "port": 40000},
    {"version": 2, "type": "error", "message": "unknown test family 'x'"},
    {"version": 2, "type": "done", "sent": 12},
    {"version": 2, "type": "result", "bytes": 1, "messages": 1, "seconds": 0.5, "cpu_user_s": 0.1, "syscalls": 3,
     "foreign": 2},
    {"version": 2, "type": "bye"},
]
BAD_MESSAGES = [
    ({"version": 1, "type": "bye"}, "version"),
    ({"version": 2, "type": "goodbye"}, "type"),
    ({"version": 2, "type": "hello", "context": {"kernel": "6.1"}}, "nonce"),
    ({"version": 2, "type": "hello", "context": {"kernel": "6.1"}, "nonce": "00"}, "nonce"),
    ({"version": 2, "type": "hello", "context": {"kernel": "6.1"}, "nonce": NONCE, "auth": "rsa"}, "auth"),
    ({"version": 2, "type": "auth", "proof": PROOF.upper()}, "proof"),
    ({"version": 2, "type": "test", "family": "udp_stream", "size": 0, "duration_s": 2}, "size"),
    ({"version": 2, "type": "test", "family": "udp_stream", "size": 1, "duration_s": 2, "data_port": 0}, "data_port"),
    ({"version": 2, "type": "test", "family": "sctp_stream", "size": 1, "duration_s": 2}, "family"),
    ({"version": 2, "type": "ready"}, "port"),
    ({"version": 2, "type": "result", "bytes": -1, "messages": 0, "seconds": 0}, "bytes"),
    ({"version": 2, "type": "bye", "extra": 1}, "extra"),
]


@pytest.mark.parametrize("message", GOOD_MESSAGES, ids=[m["type"] for m in GOOD_MESSAGES])
def test_the_control_protocols_messages_are_accepted(message):
    assert schemas.violations(message, "remote-control") == []


@pytest.mark.parametrize("message, field", BAD_MESSAGES, ids=[f for _, f in BAD_MESSAGES])
def test_a_message_the_server_would_refuse_is_refused(message, field):
    found = schemas.violations(message, "remote-control")
    assert found and field in found[0], found


def test_a_readers_error_names_the_file_the_format_and_the_first_violation():
    doc = {"schema": "socklab-differential", "schema_version": 1, "reference": "python", "subject": "socklab",
           "different": -1, "rows": []}
    with pytest.raises(InputError) as e:
        schemas.check(doc, "differential", "d.json")
    assert str(e.value) == ("d.json: not a valid differential document: different: -1 is less than the minimum of 0 "
                            "(and 1 more)")


BENCH = schemas.SCHEMAS.parent / "reports" / "tests" / "fixtures" / "bench_v2.json"
DAMAGE = [("a repetition", lambda d: d["benchmarks"][3].update(real_time="slow")),
          ("a summary row", lambda d: d["socklab"]["summary"][1].pop("median")),
          ("a summary's costs", lambda d: d["socklab"]["summary"][0]["cpu_ns_per_op"].update(n=-1)),
          ("an overhead row", lambda d: d["socklab"]["overhead"][0].update(verdict="maybe")),
          ("nothing", lambda d: None)]


@pytest.mark.parametrize("what, damage", DAMAGE, ids=[w for w, _ in DAMAGE])
def test_the_inlined_schema_finds_what_the_referencing_one_finds(what, damage):
    """The validator inlines the schema's $defs for speed: it must judge every document as the
    schema as written does."""
    doc = json.loads(BENCH.read_text())
    damage(doc)
    as_written = Draft202012Validator(json.loads((schemas.SCHEMAS / "bench.schema.json").read_text()))
    expected = sorted(e.message for e in as_written.iter_errors(doc))
    assert sorted(e.message for e in schemas.validator("bench").iter_errors(doc)) == expected
    assert bool(expected) == (what != "nothing")
