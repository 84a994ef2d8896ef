#!/usr/bin/env bash
# The C client beside the Swift client (Benchmarks' RPCBench, ClientConnection) against one release HabitRPC
# server on 127.0.0.1 (`RPCBench serve-rpc`: an RPCServer whose one unary method, /bench.Bench/Noop, returns its
# request): no-op unary calls with an empty message on one connection at 1, 16 and 64 in flight, RUNS runs
# each, the two clients alternating so that load drift hits both alike. Both measure the same way (2 s
# warm-up, then SECONDS; closed loop; a call counts when it starts after the warm-up and ends in time). Not a
# test. Prints every RESULT line, then a table: the median run by calls/s, with the range over the runs.
# Needs, built beforehand: (cd Benchmarks && swift build -c release --product RPCBench); make -C clients/c bench
# Usage: clients/c/bench/compare.sh [SECONDS (5)] [RUNS (3)]
set -euo pipefail
cd "$(dirname "$0")/../../.."
seconds=${1:-5}
runs=${2:-3}
method=/bench.Bench/Noop
rpcbench=Benchmarks/.build/release/RPCBench
c_client=clients/c/build/bench_unary
for binary in "$rpcbench" "$c_client"; do
    [ -x "$binary" ] || { echo "compare: $binary is not built (see the header of $0)" >&2; exit 1; }
done

work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$rpcbench" serve-rpc "$port" >"$work/server.log" 2>&1 &
server_pid=$!
python3 - "$port" <<'PY'
import socket, sys, time
for _ in range(300):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("compare: the server is not listening")
PY

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for inflight in 1 16 64; do
    for _ in $(seq "$runs"); do
        "$c_client" 127.0.0.1 "$port" "$inflight" "$seconds" "$method" | tee -a "$work/results"
        "$rpcbench" rpc "$port" 1 "$inflight" "$seconds" empty | tee -a "$work/results"
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$work/results" <<'PY'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    fields = dict(re.findall(r"(\w+)=([\d.e+-]+)", line))
    client = "C (habitrpc.h)" if line.split()[1] == "c-client-unary" else "Swift (ClientConnection)"
    rows.setdefault((int(fields["inflight"]), client), []).append(fields)
print("\n| in flight | client | calls/s (median run) | range of calls/s | p50 | p99 | client CPU per call |")
print("|---|---|---|---|---|---|---|")
for (inflight, client), runs in sorted(rows.items()):
    runs.sort(key=lambda r: float(r["rate_per_s"]))
    median, rates = runs[len(runs) // 2], [int(float(r["rate_per_s"])) for r in runs]
    print(f"| {inflight} | {client} | {int(float(median['rate_per_s'])):,} | {min(rates):,} - {max(rates):,} | "
          f"{float(median['p50_us']):,.0f} µs | {float(median['p99_us']):,.0f} µs | "
          f"{float(median['client_cpu_us_per_call']):.1f} µs |")
PY
