#!/usr/bin/env bash
# Runs every configuration against each server kind started here on 127.0.0.1, each client run bounded
# by `timeout`; prints RESULT lines with server CPU per call.
#   cd Benchmarks && swift build -c release && ./run.sh [SECONDS] [CONFIGS] [KINDS] [METHODS]
# KINDS defaults to "rpc rpc-loop-inline raw": rpc is HabitRPC's RPCServer, grpc is grpc-swift-2 over HTTP/2 plaintext,
# raw is the SwiftNIO length-prefixed echo (the ceiling; it echoes the no-op request whatever METHODS says).
# rpc-loop serves like rpc but its client keeps the calls going from the connection's event loop with
# ClientConnection's callback API, the shape of raw's client; rpc's client awaits each call in a task.
# An "-inline" suffix runs RPCServer with handlers on the event loop (RPCServer.Configuration
# .handlerPlacement = .eventLoop); "rpc-quota-local" and "rpc-quota-redis" add one quota check per
# call, in process or on the Redis at QUOTA_REDIS_PORT. METHODS defaults to "noop"; "character" is
# GetCharacter through HabitHandlers on HabitCore's in-memory store.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-10}
configs=${2:-"1:1 1:16 1:64 4:4 4:16 4:64"}
kinds=${3:-"rpc rpc-loop-inline raw"}
methods=${4:-noop}
binaries=.build/release
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_for_port() {
    for _ in $(seq 1 300); do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1).close()" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "server on port $1 did not start" >&2
    return 1
}

for kind in $kinds; do
    flags=""
    case "$kind" in *-inline) flags="--inline"; kind=${kind%-inline} ;; esac
    client=$kind
    case "$kind" in
        rpc-quota-local) kind=rpc; client=rpc; flags="$flags --quota-local" ;;
        rpc-quota-redis) kind=rpc; client=rpc; flags="$flags --quota-redis ${QUOTA_REDIS_PORT:?set QUOTA_REDIS_PORT}" ;;
        rpc-loop) kind=rpc ;;
    esac
    kind_methods=$methods
    if [ "$kind" = raw ]; then kind_methods=noop; fi
    bench=$binaries/RPCBench
    if [ "$kind" = grpc ]; then bench=$binaries/GRPCBench; fi
    port=$(free_port)
    "$bench" "serve-$kind" "$port" $flags & server=$!
    trap 'kill "$server" 2>/dev/null || true' EXIT
    wait_for_port "$port"
    for method in $kind_methods; do
        for config in $configs; do
            conns=${config%:*}; inflight=${config#*:}
            before=$(cpu_ticks "$server")
            line=$(timeout $((seconds + 60)) "$bench" "$client" "$port" "$conns" "$inflight" "$seconds" "$method") \
                || line="RESULT failed kind=$client method=$method conns=$conns inflight=$inflight total_incl_warmup=0"
            after=$(cpu_ticks "$server")
            total=$(sed -E 's/.*total_incl_warmup=([0-9]+).*/\1/' <<<"$line")
            echo "$line server_cpu_us_per_call=$(python3 -c "print(round(($after-$before)/$ticks*1e6/max(1,$total),2))")"
        done
    done
    kill "$server"; wait "$server" 2>/dev/null || true
    trap - EXIT
done
