"""Hypothesis-driven conformance: every property for every message type, failures shrunk to a minimal value."""

from __future__ import annotations

import json

import pytest
from google.protobuf import json_format
from hypothesis import given, strategies as st

import checks
from conftest import BUILDER, MESSAGE_NAMES, SCHEMA, VARIANT, VARIANT_BUILDER
from swift_codec import Operation, Status
from values import HypothesisSource

by_type = pytest.mark.parametrize("name", MESSAGE_NAMES)


@by_type
@given(data=st.data())
def test_binary_round_trip(swift, name, data):
    checks.binary_round_trip(swift, SCHEMA, name, BUILDER.message(name, HypothesisSource(data)))


@by_type
@given(data=st.data())
def test_unknown_fields_survive_byte_for_byte(swift, name, data):
    checks.binary_round_trip(swift, VARIANT, name, VARIANT_BUILDER.message(name, HypothesisSource(data)))


@by_type
@given(data=st.data())
def test_fields_in_any_order(swift, name, data):
    source = HypothesisSource(data)
    checks.any_order_round_trip(swift, SCHEMA, VARIANT, name, VARIANT_BUILDER.message(name, source), source)


@by_type
@given(data=st.data())
def test_swift_json_matches_json_format(swift, name, data):
    checks.swift_json_matches_json_format(swift, SCHEMA, name, BUILDER.message(name, HypothesisSource(data)))


@by_type
@given(data=st.data())
def test_json_format_output_parses_in_swift(swift, name, data):
    checks.json_format_output_parses_in_swift(swift, SCHEMA, name, BUILDER.message(name, HypothesisSource(data)))


@by_type
def test_unknown_json_fields_are_rejected_unless_ignored(swift, name):
    text = json.dumps({"habitRpcNoSuchField": {"nested": [1, "two"]}}).encode()
    with pytest.raises(json_format.ParseError):
        json_format.Parse(text, SCHEMA.message_class(name)())
    status, _ = swift.call(Operation.JSON_TO_BINARY, name, text)
    assert status == Status.DECODE_FAILED
    assert swift.expect_ok(Operation.JSON_IGNORING_UNKNOWN_TO_BINARY, name, text) == b""
