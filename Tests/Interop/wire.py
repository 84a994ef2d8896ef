"""Just enough of the Protobuf wire format to cut valid encodings into fields and build broken ones."""

from __future__ import annotations


def varint(value: int) -> bytes:
    """The base-128 varint encoding of a non-negative integer."""
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def tag(field_number: int, wire_type: int) -> bytes:
    """A field key."""
    return varint(field_number << 3 | wire_type)


def _read_varint(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, offset


def split_fields(data: bytes) -> list[bytes]:
    """Cuts a valid encoding into its top-level fields (key and value), in order."""
    fields = []
    offset = 0
    while offset < len(data):
        start = offset
        key, offset = _read_varint(data, offset)
        wire_type = key & 7
        if wire_type == 0:
            _, offset = _read_varint(data, offset)
        elif wire_type == 1:
            offset += 8
        elif wire_type == 2:
            length, offset = _read_varint(data, offset)
            offset += length
        elif wire_type == 5:
            offset += 4
        else:
            raise ValueError(f"unexpected wire type {wire_type} in a valid encoding")
        fields.append(data[start:offset])
    return fields
