"""Writes the seed corpus of the decoder fuzzer (Tests/Fuzz/corpus), checked in.

Each seed is `selector byte | payload`, with the selector as FuzzDecoders.swift reads it:
message type index << 1, low bit 0 for binary and 1 for JSON. The index is the position in
HabitAPIRegistry.messageTypes, which lists every message type sorted by full name, as
Schema.message_names() does. Values come from the conformance tests' seeded generator, so every
type starts with valid binary and JSON inputs of every field kind. Rerun after schema changes:

    python3 Tests/Fuzz/make_corpus.py
"""

from __future__ import annotations

import pathlib
import random
import shutil
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "Interop"))

from google.protobuf import json_format  # noqa: E402

from schema import Schema, compile_descriptor_set  # noqa: E402
from values import MessageBuilder, RandomSource  # noqa: E402

SEEDS_PER_TYPE_AND_ENCODING = 2


def main() -> None:
    schema = Schema(compile_descriptor_set(pathlib.Path(tempfile.mkdtemp(prefix="habit-descriptors-"))))
    builder = MessageBuilder(schema)
    source = RandomSource(random.Random(20261121))
    corpus = HERE / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir()
    for index, name in enumerate(schema.message_names()):
        for seed in range(SEEDS_PER_TYPE_AND_ENCODING):
            message = builder.message(name, source)
            binary = message.SerializeToString(deterministic=True)
            text = json_format.MessageToJson(message, indent=None).encode()
            (corpus / f"{name}-{seed}.binary").write_bytes(bytes([index << 1 & 0xFF]) + binary)
            (corpus / f"{name}-{seed}.json").write_bytes(bytes([(index << 1 | 1) & 0xFF]) + text)


if __name__ == "__main__":
    main()
