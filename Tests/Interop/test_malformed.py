"""Untrusted bytes: malformed input is a decode error in Swift, never a crash, and Swift accepts
nothing Google's Protobuf rejects."""

from __future__ import annotations

import pytest
from google.protobuf.message import DecodeError
from hypothesis import given, strategies as st

from checks import canonical
from conftest import BUILDER, MESSAGE_NAMES, SCHEMA
from schema import FieldProto
from swift_codec import Operation, Status
from values import HypothesisSource
from wire import tag, varint

# Broken the same way whatever the message: cut, overlong, impossible keys, lengths past the end.
GENERIC_CASES = {
    "truncated varint": tag(1, 0) + b"\x80",
    "varint longer than ten bytes": tag(1, 0) + b"\xff" * 10 + b"\x01",
    "length past the end": tag(1, 2) + varint(5) + b"ab",
    "length of two gigabytes": tag(1, 2) + varint(2**31),
    "length beyond 32 bits": tag(1, 2) + varint(2**40) + b"x",
    "field number zero": b"\x00\x00",
    "wire type 6": tag(1, 6),
    "wire type 7": tag(1, 7) + b"\x00",
    "end group without start": tag(1, 4),
    "truncated fixed64": tag(1, 1) + b"\x01\x02\x03",
    "truncated fixed32": tag(1, 5) + b"\x01\x02",
    "truncated key": b"\x80",
}

INVALID_UTF8 = {
    "lone continuation byte": b"\x80",
    "truncated two-byte sequence": b"\xc3",
    "overlong NUL": b"\xc0\x80",
    "UTF-16 surrogate": b"\xed\xa0\x80",
    "above U+10FFFF": b"\xf4\x90\x80\x80",
}


def _malformed_cases() -> list[tuple[str, str, bytes]]:
    cases = []
    for name in MESSAGE_NAMES:
        for label, payload in GENERIC_CASES.items():
            cases.append((name, label, payload))
        for field in SCHEMA.message_protos[name].field:
            if field.type == FieldProto.TYPE_STRING:
                for label, text in INVALID_UTF8.items():
                    cases.append((name, f"{field.name}: {label}", tag(field.number, 2) + varint(len(text)) + text))
            if field.type == FieldProto.TYPE_MESSAGE:
                inner = GENERIC_CASES["truncated varint"]
                cases.append((name, f"{field.name}: truncated inside", tag(field.number, 2) + varint(len(inner)) + inner))
    return cases


@pytest.mark.parametrize(("name", "label", "payload"), _malformed_cases(), ids=lambda value: str(value)[:60])
def test_malformed_bytes_are_a_decode_error_in_both(swift, name, label, payload):
    # Google's parser does not check field number zero in messages without fields; Swift must.
    if label != "field number zero" or SCHEMA.message_protos[name].field:
        with pytest.raises(DecodeError):
            SCHEMA.message_class(name).FromString(payload)
    status, detail = swift.call(Operation.BINARY_TO_BINARY, name, payload)
    assert status == Status.DECODE_FAILED, f"{label}: Swift answered {status.name} {detail!r}"


def _mutated(data, encoded: bytes) -> bytes:
    """A valid encoding with a few random bytes changed, cut, inserted or removed."""
    mutated = bytearray(encoded)
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
        position = data.draw(st.integers(0, len(mutated)))
        if kind == "flip" and position < len(mutated):
            mutated[position] = data.draw(st.integers(0, 255))
        elif kind == "truncate":
            del mutated[position:]
        elif kind == "insert":
            mutated[position:position] = data.draw(st.binary(min_size=1, max_size=6))
        elif kind == "delete" and position < len(mutated):
            del mutated[position]
    return bytes(mutated)


@pytest.mark.parametrize("name", MESSAGE_NAMES)
@given(data=st.data())
def test_damaged_bytes_never_crash_and_never_pass_where_python_fails(swift, name, data):
    if data.draw(st.booleans()):
        payload = _mutated(data, BUILDER.message(name, HypothesisSource(data)).SerializeToString())
    else:
        payload = data.draw(st.binary(max_size=64))
    status, answer = swift.call(Operation.BINARY_TO_BINARY, name, payload)
    assert status in (Status.OK, Status.DECODE_FAILED), f"{status.name}: {answer!r}"
    try:
        expected = SCHEMA.message_class(name).FromString(payload)
    except DecodeError:
        assert status == Status.DECODE_FAILED, f"Swift accepted what Google's Protobuf rejects: {payload!r}"
        return
    if status == Status.OK:
        assert canonical(SCHEMA.message_class(name).FromString(answer)) == canonical(expected)
