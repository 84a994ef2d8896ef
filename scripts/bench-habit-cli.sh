#!/usr/bin/env bash
# Benchmark (not part of make test): habit-cli bench against a habit-server on the embedded defaults
# (SQLite in a throwaway data directory, in-process quotas, development secret), on 127.0.0.1.
# Runs a closed loop (BENCH_CONNECTIONS x BENCH_IN_FLIGHT) and an open loop (BENCH_RATE calls/s) with the default
# mix, printing the machine's load average before and after each run, then stops the server by PID.
# Run from the repository root: scripts/bench-habit-cli.sh
# Environment: BENCH_BIN (release bin path; default from swift build -c release --show-bin-path), BENCH_SKIP_BUILD=1,
#   BENCH_SECONDS (10), BENCH_WARMUP (2), BENCH_USERS (1000), BENCH_CONNECTIONS (4), BENCH_IN_FLIGHT (16),
#   BENCH_RATE (2000), BENCH_MIX (habit-cli's default).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${BENCH_BIN:-}" ]; then
    if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
        swift build -c release --product habit-server
        swift build -c release --product habit-cli
    fi
    BENCH_BIN=$(swift build -c release --show-bin-path)
fi
for binary in habit-server habit-cli; do
    [ -x "$BENCH_BIN/$binary" ] || { echo "bench-habit-cli: $BENCH_BIN/$binary missing" >&2; exit 1; }
done

DIR=$(mktemp -d /tmp/habitrpc-cli-bench.XXXXXX)
SERVER_PID=
stop_server() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$DIR"
}
trap stop_server EXIT

env -u HABIT_DATABASE_URL -u HABIT_REDIS_URL -u HABIT_JWT_SECRET -u HABIT_JWT_SECRET_FILE \
    "$BENCH_BIN/habit-server" --host 127.0.0.1 --port 0 --admin-port 0 --data-dir "$DIR/data" \
    >"$DIR/server.log" 2>&1 &
SERVER_PID=$!
PORT=
for _ in $(seq 1 600); do
    PORT=$(sed -n '/habit-server ready/s/.* port=\([0-9]*\).*/\1/p' "$DIR/server.log" | head -1)
    [ -n "$PORT" ] && grep -q "store reachable and migrated" "$DIR/server.log" && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$PORT" ] || { echo "bench-habit-cli: habit-server did not become ready" >&2; cat "$DIR/server.log" >&2; exit 1; }

COMMON=(--address "127.0.0.1:$PORT" --data-dir "$DIR/data" --users "${BENCH_USERS:-1000}"
    --connections "${BENCH_CONNECTIONS:-4}" --duration "${BENCH_SECONDS:-10}" --warmup "${BENCH_WARMUP:-2}")
[ -n "${BENCH_MIX:-}" ] && COMMON+=(--mix "$BENCH_MIX")

run() {
    echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "\$ habit-cli bench $*"
    timeout 300 "$BENCH_BIN/habit-cli" bench "$@"
    echo "== after: load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
}
echo "machine: $(nproc) CPUs, $(uname -r); habit-server on 127.0.0.1:$PORT, embedded defaults (SQLite, in-process quotas)"
run "${COMMON[@]}" --in-flight "${BENCH_IN_FLIGHT:-16}"
run "${COMMON[@]}" --rate "${BENCH_RATE:-2000}"
