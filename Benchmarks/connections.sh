#!/usr/bin/env bash
# Resident memory of the HabitRPC server per idle connection, and 10,000 connections held open on loopback with
# calls still answered on 100 of them. Raises the open-file limit for itself (server and client each hold one
# descriptor per connection).
#   cd Benchmarks && swift build -c release && ./connections.sh ["1000 10000"] [CALL_SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
counts=${1:-"1000 10000"}
call_seconds=${2:-5}
bench=.build/release/RPCBench
largest=$(tr ' ' '\n' <<<"$counts" | sort -n | tail -1)
want=$((largest + 1024))
if [ "$(ulimit -n)" -lt "$want" ]; then
    ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
echo "# open-file limit $(ulimit -n); ephemeral ports $(tr '\t' '-' </proc/sys/net/ipv4/ip_local_port_range)"
if [ "$(ulimit -n)" -lt "$want" ]; then
    echo "# the open-file limit is below $want: runs above $(( $(ulimit -n) - 1024 )) connections will fail to open some" >&2
fi
for count in $counts; do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    "$bench" serve-rpc "$port" --max-connections $((count + 16)) & server=$!
    trap 'kill "$server" 2>/dev/null || true' EXIT
    for _ in $(seq 1 300); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1).close()" 2>/dev/null && break
        sleep 0.1
    done
    timeout $((call_seconds + 180)) "$bench" hold "$port" "$server" "$count" "$call_seconds" \
        || echo "RESULT connections requested=$count failed-run exit=$?"
    kill "$server"; wait "$server" 2>/dev/null || true
    trap - EXIT
done
