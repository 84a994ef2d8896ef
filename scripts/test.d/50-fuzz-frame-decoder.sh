#!/usr/bin/env bash
# Fuzzes FrameDecoder with libFuzzer for a bounded time (FUZZ_SECONDS, default 45), starting from the
# seed corpus in Tests/Fuzz/frame-decoder-corpus (the spec's vectors). The instrumented build lives in
# .build-fuzz so it never mixes with the normal one. New inputs go to a temporary directory; a crash
# leaves its input in .build-fuzz/artifacts and fails the step.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build --scratch-path .build-fuzz --product frame-decoder-fuzz \
    -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xswiftc -use-ld=lld
work=$(mktemp -d /tmp/habitrpc-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p .build-fuzz/artifacts "$work/corpus"
status=0
.build-fuzz/debug/frame-decoder-fuzz "$work/corpus" Tests/Fuzz/frame-decoder-corpus \
    -max_total_time="${FUZZ_SECONDS:-45}" -max_len=4096 -timeout=5 -rss_limit_mb=2048 \
    -artifact_prefix=.build-fuzz/artifacts/ -print_final_stats=1 >"$work/log" 2>&1 || status=$?
grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$work/log" || true
if [ "$status" -ne 0 ]; then
    tail -60 "$work/log"
    echo "fuzz: frame decoder failed (exit $status); input saved under .build-fuzz/artifacts" >&2
    exit "$status"
fi
