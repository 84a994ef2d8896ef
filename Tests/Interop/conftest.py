"""Shared fixtures: the compiled schema, its variant with extra fields, and the Swift process."""

from __future__ import annotations

import os
import pathlib
import tempfile

import pytest
from hypothesis import HealthCheck, settings

from schema import REPOSITORY, Schema, compile_descriptor_set, with_variant_fields
from values import MessageBuilder
from swift_codec import SwiftCodec

# Examples per message type and property; scripts/test.d/20 keeps the whole run near a minute.
settings.register_profile(
    "conformance",
    max_examples=int(os.environ.get("HABIT_CONFORMANCE_EXAMPLES", "25")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.load_profile("conformance")

_DESCRIPTORS = compile_descriptor_set(pathlib.Path(tempfile.mkdtemp(prefix="habit-descriptors-")))
SCHEMA = Schema(_DESCRIPTORS)
VARIANT = Schema(with_variant_fields(_DESCRIPTORS))
BUILDER = MessageBuilder(SCHEMA)
VARIANT_BUILDER = MessageBuilder(VARIANT)
MESSAGE_NAMES = SCHEMA.message_names()


@pytest.fixture(scope="session")
def swift() -> SwiftCodec:
    """The Swift conformance tool, built by scripts/test.d/20-protobuf-conformance.sh."""
    executable = os.environ.get(
        "HABIT_PROTO_CONFORMANCE", str(REPOSITORY / ".build" / "debug" / "habit-proto-conformance")
    )
    if not pathlib.Path(executable).is_file():
        pytest.fail(f"{executable} is missing: build it with `swift build --product habit-proto-conformance`")
    codec = SwiftCodec(executable)
    yield codec
    codec.close()
