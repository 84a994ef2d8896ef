#!/usr/bin/env bash
# `make test`: installs what is missing, starts real PostgreSQL and Redis, runs the Swift tests and
# then every step in scripts/test.d/ in name order. Any failure fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
source scripts/services.sh
trap services_stop EXIT
services_start

# One coverage-instrumented build serves the tests, the binaries they start and the steps below; each
# instrumented process writes its profile where LLVM_PROFILE_FILE points (swift test sets its own pattern
# in the same directory for the test bundle). scripts/coverage.sh reports them at the end.
swift build --build-tests --enable-code-coverage
codecov="$(dirname "$(swift test --show-codecov-path)")"
mkdir -p "$codecov"
rm -f "$codecov"/*.profraw
export LLVM_PROFILE_FILE="$codecov/make-test-%m.profraw"
swift test --skip-build --enable-code-coverage

for step in scripts/test.d/*.sh; do
    [ -e "$step" ] || continue
    echo "== $step"
    bash "$step"
done
scripts/coverage.sh
echo "make test: all steps passed"
