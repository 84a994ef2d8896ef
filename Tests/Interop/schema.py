"""The habit.v1 schema as Google's Protobuf sees it: descriptors compiled by protoc at test time.

protoc writes a FileDescriptorSet of every file under proto/ into a temporary directory; nothing
generated is committed. Message classes come from Google's own descriptor pool and message
factory, so the Python side is the reference implementation, untouched by our generator.
"""

from __future__ import annotations

import copy
import pathlib
import subprocess

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
PROTO_ROOT = REPOSITORY / "proto"

FieldProto = descriptor_pb2.FieldDescriptorProto

# Field numbers added to every message of the "variant" schema. Our Swift types do not know them,
# so values encoded with the variant carry unknown fields of every wire type, at every depth.
VARIANT_FIELDS = (
    ("variant_varint", 900, FieldProto.TYPE_UINT64, FieldProto.LABEL_OPTIONAL),
    ("variant_fixed64", 901, FieldProto.TYPE_FIXED64, FieldProto.LABEL_OPTIONAL),
    ("variant_bytes", 902, FieldProto.TYPE_BYTES, FieldProto.LABEL_OPTIONAL),
    ("variant_fixed32", 903, FieldProto.TYPE_FIXED32, FieldProto.LABEL_OPTIONAL),
    ("variant_packed", 904, FieldProto.TYPE_SINT32, FieldProto.LABEL_REPEATED),
    ("variant_zigzag", 536870911, FieldProto.TYPE_SINT64, FieldProto.LABEL_OPTIONAL),
)


def compile_descriptor_set(out_dir: pathlib.Path) -> descriptor_pb2.FileDescriptorSet:
    """Runs protoc over every schema under proto/ and returns the resulting descriptor set."""
    schemas = sorted(str(path.relative_to(PROTO_ROOT)) for path in PROTO_ROOT.rglob("*.proto"))
    if not schemas:
        raise RuntimeError(f"no .proto files under {PROTO_ROOT}")
    output = out_dir / "habit.descriptor-set"
    subprocess.run(
        ["protoc", f"--proto_path={PROTO_ROOT}", "--include_imports", f"--descriptor_set_out={output}", *schemas],
        check=True,
    )
    return descriptor_pb2.FileDescriptorSet.FromString(output.read_bytes())


def with_variant_fields(files: descriptor_pb2.FileDescriptorSet) -> descriptor_pb2.FileDescriptorSet:
    """The same schema with VARIANT_FIELDS appended to every message (map entries excepted)."""
    variant = copy.deepcopy(files)

    def extend(message: descriptor_pb2.DescriptorProto) -> None:
        if message.options.map_entry:
            return
        for name, number, field_type, label in VARIANT_FIELDS:
            message.field.add(name=name, number=number, type=field_type, label=label)
        for nested in message.nested_type:
            extend(nested)

    for file in variant.file:
        for message in file.message_type:
            extend(message)
    return variant


class Schema:
    """Message classes and raw descriptor protos of one descriptor set, by full name."""

    def __init__(self, files: descriptor_pb2.FileDescriptorSet) -> None:
        self.pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            self.pool.Add(file)
        # Full name -> DescriptorProto: the proto form keeps `proto3_optional` and `oneof_index`.
        self.message_protos: dict[str, descriptor_pb2.DescriptorProto] = {}
        self.enum_numbers: dict[str, list[int]] = {}
        for file in files.file:
            for message in file.message_type:
                self._index_message(f"{file.package}.{message.name}", message)
            for enum in file.enum_type:
                self.enum_numbers[f"{file.package}.{enum.name}"] = [value.number for value in enum.value]

    def _index_message(self, full_name: str, message: descriptor_pb2.DescriptorProto) -> None:
        self.message_protos[full_name] = message
        for nested in message.nested_type:
            self._index_message(f"{full_name}.{nested.name}", nested)
        for enum in message.enum_type:
            self.enum_numbers[f"{full_name}.{enum.name}"] = [value.number for value in enum.value]

    def message_names(self) -> list[str]:
        """Every message type except synthesized map entries, sorted."""
        return sorted(name for name, proto in self.message_protos.items() if not proto.options.map_entry)

    def message_class(self, full_name: str):
        """The Google Protobuf class of a message."""
        return message_factory.GetMessageClass(self.pool.FindMessageTypeByName(full_name))

    def contains_map(self, full_name: str, seen: frozenset[str] = frozenset()) -> bool:
        """Whether the message or any message reachable from it has a map field.

        Map entries have no defined order on the wire, so only map-free values can be compared byte
        for byte across implementations.
        """
        if full_name in seen:
            return False
        for field in self.message_protos[full_name].field:
            if field.type == FieldProto.TYPE_MESSAGE:
                target = field.type_name.lstrip(".")
                if self.message_protos[target].options.map_entry:
                    return True
                if self.contains_map(target, seen | {full_name}):
                    return True
        return False
