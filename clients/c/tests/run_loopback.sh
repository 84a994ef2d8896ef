#!/usr/bin/env bash
# Runs the loopback test program against HabitRPC servers on 127.0.0.1: the spec-written
# tests/fake_server.py, then each server binary given. A server must print "listening on <port>" once it
# listens and drain on SIGTERM (rpc-echo-server does). The program gets HOST PORT, and the server's pid in
# HRPC_SERVER_PID. Usage: run_loopback.sh PROGRAM [SERVER_BINARY...]
set -euo pipefail
cd "$(dirname "$0")/.."
program=$1
shift

run_against() {
    local out server_pid port=
    out=$(mktemp)
    "$@" >"$out" &
    server_pid=$!
    for _ in $(seq 1 100); do
        port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$out")
        [ -n "$port" ] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    local status=1
    if [ -n "$port" ]; then
        echo "loopback against $* on port $port"
        HRPC_SERVER_PID=$server_pid "$program" 127.0.0.1 "$port" && status=0
    else
        echo "loopback: $* printed no port" >&2
    fi
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    rm -f "$out"
    return $status
}

run_against python3 tests/fake_server.py
for server in "$@"; do run_against "$server"; done
