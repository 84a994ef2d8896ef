#!/usr/bin/env bash
# HabitRPC against grpc-swift-2 and the raw SwiftNIO echo on loopback, in one run: the no-op method and
# GetCharacter on each server, at 1, 16, 64 and 256 calls in flight; prints the RESULT lines, then the table
# with the ratios and the targets of issue 8 (compare.py).
#   cd Benchmarks && swift build -c release && ./compare.sh [SECONDS] [REPS] [OUTPUT_FILE]
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-10}
reps=${2:-2}
output=${3:-compare-results.txt}
configs=${COMPARE_CONFIGS:-"1:1 4:16 4:64 4:256"}
# rpc: the default server and a task-per-call client, as gRPC's; rpc-loop-inline: handlers on the event
# loop and a callback client on the connection's loop, as the raw echo's (see run.sh).
kinds=${COMPARE_KINDS:-"rpc rpc-loop-inline grpc raw"}
: >"$output"
for rep in $(seq 1 "$reps"); do
    echo "# rep $rep $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$output"
    ./run.sh "$seconds" "$configs" "$kinds" "noop character" | tee -a "$output"
done
python3 compare.py "$output"
