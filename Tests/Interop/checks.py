"""The conformance properties, each checked for one message value.

Each check takes the value (a Google Protobuf message) and a source of randomness, so the
Hypothesis tests and the seeded bulk sweep run exactly the same assertions.
"""

from __future__ import annotations

import json

from google.protobuf import json_format

from schema import Schema
from swift_codec import Operation, SwiftCodec
from wire import split_fields


def canonical(message) -> bytes:
    """A message's deterministic encoding: equal bytes exactly when the messages are equal, NaN included."""
    return message.SerializeToString(deterministic=True)


def through_python_json(message):
    """The message after json_format's own round trip: JSON drops NaN payloads, nothing else."""
    return json_format.Parse(json_format.MessageToJson(message), type(message)())


def binary_round_trip(swift: SwiftCodec, schema: Schema, name: str, original) -> None:
    """Google's bytes decode in Swift; Swift's re-encoding decodes in Google's Protobuf, equal.

    With the variant schema the value carries fields our Swift types do not know, at every depth:
    they must come back unchanged, byte for byte.
    """
    encoded = original.SerializeToString()
    reencoded = swift.expect_ok(Operation.BINARY_TO_BINARY, name, encoded)
    assert canonical(schema.message_class(name).FromString(reencoded)) == canonical(original), original
    if not schema.contains_map(name):
        # Both write fields in number order and unknown fields last, so without maps (unordered on
        # the wire) the bytes are identical.
        assert reencoded == encoded, original


def any_order_round_trip(swift: SwiftCodec, schema: Schema, variant: Schema, name: str, original, source) -> None:
    """Known and unknown fields shuffled and repeated decode in Swift exactly as in Google's Protobuf.

    Last value wins for scalars, sub-messages merge, repeated fields append, unknown fields keep
    their arrival order.
    """
    fields = split_fields(original.SerializeToString())
    fields += [source.pick(fields) for _ in range(source.count(3))] if fields else []
    shuffled = []
    while fields:
        shuffled.append(fields.pop(source.count(len(fields) - 1)))
    payload = b"".join(shuffled)
    reencoded = swift.expect_ok(Operation.BINARY_TO_BINARY, name, payload)
    expected = schema.message_class(name).FromString(payload)
    assert canonical(schema.message_class(name).FromString(reencoded)) == canonical(expected), payload
    if not variant.contains_map(name):
        assert reencoded == expected.SerializeToString(), payload


def swift_json_matches_json_format(swift: SwiftCodec, schema: Schema, name: str, original) -> None:
    """Swift's JSON parses in json_format to the value, and is the canonical proto3 JSON.

    Canonical: lowerCamelCase names, defaults omitted, 64-bit integers as strings, enums by name,
    bytes as padded base64, non-finite doubles as strings. Key order and whitespace are free.
    """
    swift_json = swift.expect_ok(Operation.BINARY_TO_JSON, name, original.SerializeToString()).decode()
    parsed = json_format.Parse(swift_json, schema.message_class(name)())
    assert canonical(parsed) == canonical(through_python_json(original)), swift_json
    assert json.loads(swift_json) == json_format.MessageToDict(original), swift_json


def json_format_output_parses_in_swift(swift: SwiftCodec, schema: Schema, name: str, original) -> None:
    """json_format's JSON (camelCase names, proto names, enums as numbers) parses in Swift to the value."""
    expected = canonical(through_python_json(original))
    variants = (
        json_format.MessageToJson(original),
        json_format.MessageToJson(original, preserving_proto_field_name=True),
        json_format.MessageToJson(original, use_integers_for_enums=True, indent=None),
    )
    for text in variants:
        encoded = swift.expect_ok(Operation.JSON_TO_BINARY, name, text.encode())
        assert canonical(schema.message_class(name).FromString(encoded)) == expected, text
