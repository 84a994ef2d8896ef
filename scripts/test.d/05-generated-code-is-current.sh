#!/usr/bin/env bash
# Fails when the committed generated code (Sources/HabitAPI, the golden files) is not what
# habit-codegen makes from the committed .proto files.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/generate.sh --check
