#!/usr/bin/env bash
# Runs a loopback test program against a HabitRPC server on 127.0.0.1: the server command (default: the
# spec-written tests/fake_server.py) must print "PORT <n>" on stdout once it listens. Usage: run_loopback.sh PROGRAM
set -euo pipefail
cd "$(dirname "$0")/.."
program=$1
server_cmd=${HRPC_SERVER_CMD:-python3 tests/fake_server.py}
out=$(mktemp)
$server_cmd >"$out" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
    port=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$out")
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || { echo "loopback: server exited" >&2; exit 1; }
    sleep 0.1
done
[ -n "${port:-}" ] || { echo "loopback: server printed no port" >&2; exit 1; }
"$program" 127.0.0.1 "$port"
