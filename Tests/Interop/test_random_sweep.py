"""The bulk sweep: thousands of seeded random values per message type through every property.

Hypothesis (test_properties.py) explores edge cases and shrinks; this sweep adds volume at a
hundredth of the cost per value. A failure prints the seed; HABIT_CONFORMANCE_SEED replays it.
"""

from __future__ import annotations

import os
import random

import pytest

import checks
from conftest import BUILDER, MESSAGE_NAMES, SCHEMA, VARIANT, VARIANT_BUILDER
from values import RandomSource

VALUES_PER_TYPE = int(os.environ.get("HABIT_CONFORMANCE_RANDOM_VALUES", "400"))
SEED = int(os.environ.get("HABIT_CONFORMANCE_SEED", str(random.SystemRandom().randrange(2**32))))


@pytest.mark.parametrize("name", MESSAGE_NAMES)
def test_random_values_conform(swift, name):
    rng = random.Random(f"{SEED}:{name}")
    source = RandomSource(rng)
    for index in range(VALUES_PER_TYPE):
        try:
            checks.binary_round_trip(swift, SCHEMA, name, BUILDER.message(name, source))
            checks.binary_round_trip(swift, VARIANT, name, VARIANT_BUILDER.message(name, source))
            checks.any_order_round_trip(swift, SCHEMA, VARIANT, name, VARIANT_BUILDER.message(name, source), source)
            value = BUILDER.message(name, source)
            checks.swift_json_matches_json_format(swift, SCHEMA, name, value)
            checks.json_format_output_parses_in_swift(swift, SCHEMA, name, value)
        except AssertionError as failure:
            raise AssertionError(f"value {index} with HABIT_CONFORMANCE_SEED={SEED}: {failure}") from failure
