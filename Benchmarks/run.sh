#!/usr/bin/env bash
# Runs every configuration against a HabitRPC server and a raw SwiftNIO echo server started here on
# 127.0.0.1, each client run bounded by `timeout`; prints RESULT lines with server CPU per call.
#   cd Benchmarks && swift build -c release && ./run.sh [SECONDS] [CONFIGS] [KINDS]
# KINDS defaults to "rpc raw"; "rpc-inline" runs the HabitRPC server with handlers on the event loop
# (RPCServer.Configuration.handlerPlacement = .eventLoop); "rpc-quota-local" and "rpc-quota-redis"
# add one quota check per call, in process or on the Redis at QUOTA_REDIS_PORT (with -inline suffix:
# handlers on the event loop too).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-10}
configs=${2:-"1:1 1:16 1:64 4:4 4:16 4:64"}
kinds=${3:-"rpc raw"}
bench=.build/release/RPCBench
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

for kind in $kinds; do
    flags=""
    case "$kind" in *-inline) flags="--inline"; kind=${kind%-inline} ;; esac
    case "$kind" in
        rpc-quota-local) kind=rpc; flags="$flags --quota-local" ;;
        rpc-quota-redis) kind=rpc; flags="$flags --quota-redis ${QUOTA_REDIS_PORT:?set QUOTA_REDIS_PORT}" ;;
    esac
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    "$bench" "serve-$kind" "$port" $flags & server=$!
    sleep 1
    for config in $configs; do
        conns=${config%:*}; inflight=${config#*:}
        before=$(cpu_ticks "$server")
        line=$(timeout $((seconds + 30)) "$bench" "$kind" "$port" "$conns" "$inflight" "$seconds")
        after=$(cpu_ticks "$server")
        total=$(sed -E 's/.*total_incl_warmup=([0-9]+).*/\1/' <<<"$line")
        echo "$line server_cpu_us_per_call=$(python3 -c "print(round(($after-$before)/$ticks*1e6/max(1,$total),2))")"
    done
    kill "$server"; wait "$server" 2>/dev/null || true
done
