#!/usr/bin/env bash
# `make bench`: reruns every figure of docs/BENCHMARKS.md on this machine, one part after another, each bounded
# by `timeout`, and writes each part's output to bench-results/<UTC time>/<part>.txt (printed as it goes).
# Starts and stops by process id every server it needs (HabitRPC, grpc-swift-2, raw echo, Redis, PostgreSQL,
# rpc-echo-server), on 127.0.0.1 only. Not part of `make test`. Run as root from a checkout (the persistence
# part runs PostgreSQL as the postgres user; scripts/deps.sh installs what is missing).
# Environment: BENCH_PARTS (default: every part, in this order)
#   "rpc grpc connections codec quota persistence cclient habitcli"; BENCH_SECONDS (10) per measured window of the RPC parts;
#   BENCH_REPS (2) repetitions of the gRPC comparison; BENCH_OUT (the results folder).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
parts=${BENCH_PARTS:-"rpc grpc connections codec quota persistence cclient habitcli"}
seconds=${BENCH_SECONDS:-10}
reps=${BENCH_REPS:-2}
out=${BENCH_OUT:-$root/bench-results/$(date -u +%Y%m%dT%H%M%SZ)}

machine_header() {
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "kernel: $(uname -sr)"
    echo "cpus: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "swift: $(swift --version 2>/dev/null | head -1)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
}

failed=()
# Runs part NAME under a time limit of LIMIT seconds, its output to $out/NAME.txt.
part() {
    local name=$1 limit=$2
    shift 2
    case " $parts " in *" $name "*) ;; *) return 0 ;; esac
    echo "bench: $name (at most ${limit}s, load average $(cut -d' ' -f1-3 /proc/loadavg)) -> $out/$name.txt"
    if BENCH_PART_OUTPUT="$out/$name.txt" timeout --kill-after=30 "$limit" "$0" --part "$@" >"$out/$name.txt" 2>&1; then
        echo "bench: $name done"
    else
        echo "bench: $name FAILED (exit $?); see $out/$name.txt"
        failed+=("$name")
    fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

build_benchmarks() { swift build -c release --package-path Benchmarks; }

rpc_part() { build_benchmarks && Benchmarks/run.sh "$seconds"; }

grpc_part() { build_benchmarks && Benchmarks/compare.sh "$seconds" "$reps" "$out/grpc-results.txt"; }

connections_part() { build_benchmarks && Benchmarks/connections.sh "1000 10000" 5; }

codec_part() { swift package --package-path Benchmarks benchmark --target CodecBenchmarks; }

quota_part() {
    local port sha redis status=0
    port=$(free_port)
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >/dev/null & redis=$!
    trap 'kill "$redis" 2>/dev/null' RETURN
    for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    (cd Benchmarks/QuotaCheckBenchmark && swift build -c release) || return 1
    Benchmarks/QuotaCheckBenchmark/.build/release/QuotaCheckBenchmark "$port" 20000 200000 50 || status=1
    sha=$(grep -o 'EVALSHA [0-9a-f]\{40\}' "$BENCH_PART_OUTPUT" | head -1 | cut -d' ' -f2)
    if [ -n "$sha" ]; then
        redis-benchmark -p "$port" -n 200000 -c 50 -P 1 -q EVALSHA "$sha" 1 'hrpc:qbench:{bench}:read' 1000000000 1000000000 60000 1
        redis-benchmark -p "$port" -n 20000 -c 1 -P 1 EVALSHA "$sha" 1 'hrpc:qbench:{bench}:read' 1000000000 1000000000 60000 1
    else
        echo "quota: no EVALSHA line in the benchmark's output; redis-benchmark not run"
        status=1
    fi
    # RPC throughput with quotas on vs off (issue 6), and Redis's count of the scripts those calls ran.
    build_benchmarks || return 1
    redis-cli -p "$port" config resetstat >/dev/null
    QUOTA_REDIS_PORT=$port Benchmarks/run.sh "$seconds" "1:16 1:64 4:64" \
        "rpc-inline rpc-quota-redis-inline rpc rpc-quota-redis" || status=1
    echo "Redis INFO commandstats after the RPC rows (evalsha calls = calls of the Redis-quota rows, warm-up included):"
    redis-cli -p "$port" info commandstats | grep -E '^cmdstat_(evalsha|eval):' || echo "(no EVAL or EVALSHA ran)"
    return $status
}

persistence_part() { scripts/bench-persistence.sh; }

habitcli_part() { scripts/bench-habit-cli.sh; }

cclient_part() { build_benchmarks && make -C clients/c bench && clients/c/bench/compare.sh 5 3; }

if [ "${1:-}" = --part ]; then
    "$2"
    exit
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
export BENCH_OUT=$out
echo "bench: results go to $out"
machine_header >"$out/machine.txt"
cat "$out/machine.txt"
scripts/deps.sh >"$out/deps.txt" 2>&1 || { echo "bench: scripts/deps.sh failed; see $out/deps.txt"; exit 1; }
part rpc 5400 rpc_part
part grpc 5400 grpc_part
part connections 1800 connections_part
part codec 5400 codec_part
part quota 3600 quota_part
part persistence 3600 persistence_part
part cclient 3600 cclient_part
part habitcli 3600 habitcli_part
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"

echo "bench: results in $out (machine.txt, one <part>.txt per part)"
if [ ${#failed[@]} -gt 0 ]; then
    echo "bench: failed parts: ${failed[*]}"
    exit 1
fi
