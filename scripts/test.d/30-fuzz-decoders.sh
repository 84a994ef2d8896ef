#!/usr/bin/env bash
# Fuzzes every generated decoder (binary and JSON) with libFuzzer and AddressSanitizer for a
# bounded time, starting from the checked-in seed corpus. A trap, a sanitizer report, a leak or a
# timeout fails the step; the crashing input is printed in base64 for a regression seed.
# HABIT_FUZZ_SECONDS (default 60) sets the time.
set -euo pipefail
cd "$(dirname "$0")/../.."

# `--sanitize fuzzer` links libFuzzer but does not instrument Swift code for coverage; the
# -Xswiftc flag does, so libFuzzer sees which branches of the decoders an input reaches.
build=(swift build --package-path Tests/Fuzz --scratch-path .build-fuzz --sanitize fuzzer --sanitize address
    -Xswiftc -sanitize=fuzzer)
"${build[@]}" 2>&1 | { grep -v "Cannot export local symbol '__asan_" || true; }
fuzzer="$("${build[@]}" --show-bin-path)/FuzzDecoders"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
# New inputs go to the temporary corpus (first directory); the checked-in seeds are only read.
# Swift's own backtracer would race AddressSanitizer's report on a trap; libFuzzer's is enough.
if ! SWIFT_BACKTRACE=enable=no "$fuzzer" "$work/corpus" Tests/Fuzz/corpus \
    -max_total_time="${HABIT_FUZZ_SECONDS:-60}" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -artifact_prefix="$work/" -print_final_stats=1 >"$work/log" 2>&1; then
    tail -n 60 "$work/log"
    for artifact in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
        [ -e "$artifact" ] && echo "== $(basename "$artifact"): $(base64 -w0 "$artifact")"
    done
    echo "fuzz-decoders: failed" >&2
    exit 1
fi
grep -E "stat::number_of_executed_units|stat::new_units_added" "$work/log"
echo "fuzz-decoders: no crash"
