#!/usr/bin/env bash
# Cross-implementation conformance against Google's Protobuf: Tests/Interop drives the Swift codec
# (habit-proto-conformance) with values generated from protoc's descriptors of proto/, in binary
# and JSON, both ways. HABIT_CONFORMANCE_EXAMPLES (Hypothesis examples per type and property) and
# HABIT_CONFORMANCE_RANDOM_VALUES (seeded values per type) scale the run; the defaults keep it near
# two minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The flags of scripts/test.sh's build, so this reuses it instead of recompiling without coverage.
swift build --enable-code-coverage --product habit-proto-conformance
export HABIT_PROTO_CONFORMANCE
HABIT_PROTO_CONFORMANCE="$(swift build --show-bin-path)/habit-proto-conformance"
cd Tests/Interop
python3 -m pytest -q -p no:cacheprovider
