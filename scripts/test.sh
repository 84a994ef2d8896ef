#!/usr/bin/env bash
# `make test`: installs what is missing, starts real PostgreSQL and Redis, runs the Swift tests and
# then every step in scripts/test.d/ in name order. Any failure fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
source scripts/services.sh
trap services_stop EXIT
services_start

swift build --build-tests
swift test --skip-build

for step in scripts/test.d/*.sh; do
    [ -e "$step" ] || continue
    echo "== $step"
    bash "$step"
done
echo "make test: all steps passed"
