"""Random message values derived generically from descriptors.

Every field type, repeated and packed fields, maps, oneofs, proto3 `optional`, nested messages,
enums including numbers the schema does not declare, unicode strings, extreme integers and
special doubles. Nothing here names a habit.v1 type, so a new message in proto/ is covered
without touching the tests.

One builder serves two sources of randomness: Hypothesis (`HypothesisSource`, shrinking failures
to a minimal example) and a seeded `random.Random` (`RandomSource`), which is a hundred times
cheaper per value and so carries the bulk sweep of thousands of values per message type.
"""

from __future__ import annotations

import random
import struct

from hypothesis import strategies as st

from schema import FieldProto, Schema

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)

INTEGER_RANGES = {
    FieldProto.TYPE_INT32: INT32,
    FieldProto.TYPE_SINT32: INT32,
    FieldProto.TYPE_SFIXED32: INT32,
    FieldProto.TYPE_INT64: INT64,
    FieldProto.TYPE_SINT64: INT64,
    FieldProto.TYPE_SFIXED64: INT64,
    FieldProto.TYPE_UINT32: UINT32,
    FieldProto.TYPE_FIXED32: UINT32,
    FieldProto.TYPE_UINT64: UINT64,
    FieldProto.TYPE_FIXED64: UINT64,
}

# Sizes where varint and zigzag encodings change length, and where doubles lose integers.
_EDGES = (0, 1, -1, 2, -2, 63, -64, 64, 127, 128, 255, 16383, 16384, 2**31 - 1, -(2**31), 2**32 - 1, 2**53 + 1)

_SPECIAL_DOUBLES = (0.0, -0.0, 1.0, -1.0, 0.1, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, float("inf"),
                    float("-inf"), float("nan"), 2.0**53 + 2, 123456789.125)

MAX_STRING = 24
MAX_REPEATED = 4


def integer_edges(low: int, high: int) -> list[int]:
    """The range's ends and every varint length boundary inside it."""
    return sorted({value for value in (*_EDGES, low, high, low + 1, high - 1) if low <= value <= high})


class HypothesisSource:
    """Draws from a Hypothesis `st.data()` object, so failures shrink."""

    def __init__(self, data) -> None:
        self.data = data

    def flag(self) -> bool:
        return self.data.draw(st.booleans())

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.one_of(st.sampled_from(integer_edges(low, high)), st.integers(low, high)))

    def text(self) -> str:
        # Any scalar value except surrogates (not valid in UTF-8): ASCII, combining marks, astral planes.
        return self.data.draw(st.text(st.characters(exclude_categories=("Cs",)), max_size=MAX_STRING))

    def binary(self) -> bytes:
        return self.data.draw(st.binary(max_size=MAX_STRING))

    def floating(self, width: int) -> float:
        return self.data.draw(st.floats(width=width))

    def count(self, maximum: int) -> int:
        return self.data.draw(st.integers(0, maximum))

    def pick(self, choices: list):
        return self.data.draw(st.sampled_from(choices))


class RandomSource:
    """Draws from a seeded `random.Random`: fast, reproducible from the seed, no shrinking."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def flag(self) -> bool:
        return self.rng.random() < 0.5

    def integer(self, low: int, high: int) -> int:
        roll = self.rng.random()
        if roll < 0.3:
            return self.rng.choice(integer_edges(low, high))
        if roll < 0.6:
            return self.rng.randint(max(low, -1000), min(high, 1000))
        return self.rng.randint(low, high)

    def text(self) -> str:
        characters = []
        for _ in range(self.rng.randint(0, MAX_STRING)):
            plane = self.rng.random()
            if plane < 0.5:
                characters.append(chr(self.rng.randint(0, 0x7F)))
            elif plane < 0.8:
                # The Basic Multilingual Plane without the surrogate block.
                code = self.rng.randint(0x80, 0xFFFF - 0x800)
                characters.append(chr(code if code < 0xD800 else code + 0x800))
            else:
                characters.append(chr(self.rng.randint(0x10000, 0x10FFFF)))
        return "".join(characters)

    def binary(self) -> bytes:
        return self.rng.randbytes(self.rng.randint(0, MAX_STRING))

    def floating(self, width: int) -> float:
        if self.rng.random() < 0.3:
            special = self.rng.choice(_SPECIAL_DOUBLES)
            return special if width == 64 else struct.unpack("<f", struct.pack("<f", special))[0]
        # Uniform over bit patterns: every exponent, subnormals, NaNs with payloads.
        if width == 64:
            return struct.unpack("<d", self.rng.randbytes(8))[0]
        return struct.unpack("<f", self.rng.randbytes(4))[0]

    def count(self, maximum: int) -> int:
        return self.rng.randint(0, maximum)

    def pick(self, choices: list):
        return self.rng.choice(choices)


class MessageBuilder:
    """Builds random Google Protobuf messages of a Schema from any source of randomness."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema

    def message(self, full_name: str, source):
        """A random instance of the message's Google Protobuf class."""
        proto = self.schema.message_protos[full_name]
        message = self.schema.message_class(full_name)()
        real_oneofs: dict[int, list[FieldProto]] = {}
        for field in proto.field:
            if field.HasField("oneof_index") and not field.proto3_optional:
                real_oneofs.setdefault(field.oneof_index, []).append(field)
            elif source.flag():
                self._assign(message, field, source)
        for members in real_oneofs.values():
            chosen = source.pick([None, *members])
            if chosen is not None:
                self._assign(message, chosen, source)
        return message

    def scalar(self, field: FieldProto, source):
        """One value of a field's element type."""
        kind = field.type
        if kind in INTEGER_RANGES:
            return source.integer(*INTEGER_RANGES[kind])
        if kind == FieldProto.TYPE_BOOL:
            return source.flag()
        if kind == FieldProto.TYPE_STRING:
            return source.text()
        if kind == FieldProto.TYPE_BYTES:
            return source.binary()
        if kind == FieldProto.TYPE_DOUBLE:
            return source.floating(64)
        if kind == FieldProto.TYPE_FLOAT:
            return source.floating(32)
        if kind == FieldProto.TYPE_ENUM:
            # Open enums: undeclared numbers must survive every round trip too.
            if source.flag():
                return source.pick(self.schema.enum_numbers[field.type_name.lstrip(".")])
            return source.integer(*INT32)
        if kind == FieldProto.TYPE_MESSAGE:
            return self.message(field.type_name.lstrip("."), source)
        raise ValueError(f"unsupported field type {kind} of {field.name}")

    def _assign(self, message, field: FieldProto, source) -> None:
        """Sets a random value on one field, marking presence where the field has it."""
        if field.label != FieldProto.LABEL_REPEATED:
            value = self.scalar(field, source)
            if field.type == FieldProto.TYPE_MESSAGE:
                # Presence of an empty sub-message is itself a value to round-trip.
                getattr(message, field.name).SetInParent()
                getattr(message, field.name).MergeFrom(value)
            else:
                setattr(message, field.name, value)
            return
        container = getattr(message, field.name)
        target = self.schema.message_protos.get(field.type_name.lstrip("."))
        if target is not None and target.options.map_entry:
            key_field, value_field = target.field[0], target.field[1]
            for _ in range(source.count(MAX_REPEATED)):
                key = self.scalar(key_field, source)
                if value_field.type == FieldProto.TYPE_MESSAGE:
                    container[key].CopyFrom(self.scalar(value_field, source))
                else:
                    container[key] = self.scalar(value_field, source)
        elif field.type == FieldProto.TYPE_MESSAGE:
            for _ in range(source.count(MAX_REPEATED)):
                container.add().CopyFrom(self.scalar(field, source))
        else:
            container.extend(self.scalar(field, source) for _ in range(source.count(MAX_REPEATED)))
