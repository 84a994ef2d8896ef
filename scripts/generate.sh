#!/usr/bin/env bash
# Regenerates the Swift of every .proto set: proto/ -> Sources/HabitAPI (the API) and the generator's
# golden inputs -> Tests/CodegenTests/Expected (also compiled as CodegenFixtures). With --check,
# writes nothing and fails naming every stale file.
set -euo pipefail
cd "$(dirname "$0")/.."

# The flags of scripts/test.sh's build, so this reuses it instead of recompiling without coverage.
swift build --enable-code-coverage --product habit-codegen >/dev/null
codegen="$(swift build --show-bin-path)/habit-codegen"

"$codegen" "$@" --proto-path proto --out Sources/HabitAPI proto/habit/v1/*.proto
mapfile -t inputs < <(find Tests/CodegenTests/Inputs -name '*.proto' ! -path '*/errors/*' | sort)
"$codegen" "$@" --proto-path Tests/CodegenTests/Inputs --out Tests/CodegenTests/Expected \
    --registry-name CodegenFixturesRegistry "${inputs[@]}"
