#!/usr/bin/env bash
# Benchmark (not part of make test): CompleteHabit and GetCharacter through HabitCore over PostgresHabitStore,
# each beside pgbench on the same throwaway PostgreSQL cluster (synchronous_commit=on, fsync=on).
#   (a) CompleteHabit at 8 callers       vs  pgbench -M prepared TPC-B  -c 8 -j 2   target >= 60%
#   (b) GetCharacter  at 8 callers       vs  pgbench -S -M prepared     -c 8 -j 2   target >= 50%
# Every run gets BENCH_WARMUP seconds of warm-up, then BENCH_SECONDS measured seconds, after a CHECKPOINT.
# pg_stat_statements counts the statements the Swift runs issue (printed per run).
# Run as root from the repository root: scripts/bench-persistence.sh
# Environment: BENCH_SECONDS (20), BENCH_WARMUP (5), BENCH_CALLERS (8), PGBENCH_SCALE (8),
#   BENCH_SKIP_BUILD=1 to reuse the release binary already built.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_MEASURED=${BENCH_SECONDS:-20}
WARMUP=${BENCH_WARMUP:-5}
CALLERS=${BENCH_CALLERS:-8}
SCALE=${PGBENCH_SCALE:-8}
PG_BIN=/usr/lib/postgresql/15/bin

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    swift build -c release --product habit-store-bench
fi
BENCH="$(swift build -c release --show-bin-path)/habit-store-bench"
[ -x "$BENCH" ] || { echo "bench-persistence: $BENCH missing; build it with swift build -c release --product habit-store-bench" >&2; exit 1; }

BENCH_DIR=$(mktemp -d /tmp/habitrpc-bench.XXXXXX)
chmod 755 "$BENCH_DIR"
PG_DATA="$BENCH_DIR/pg"
stop_cluster() {
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$BENCH_DIR"
}
trap stop_cluster EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
mkdir -p "$PG_DATA" && chown postgres: "$PG_DATA"
runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 >"$BENCH_DIR/initdb.log" 2>&1 \
    || { cat "$BENCH_DIR/initdb.log" >&2; exit 1; }
PG_OPTIONS="-c listen_addresses=127.0.0.1 -p $PORT -k $PG_DATA -c max_connections=100 -c fsync=on"
PG_OPTIONS+=" -c synchronous_commit=on -c shared_preload_libraries=pg_stat_statements"
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/postgres.log" -w -t 60 -o "$PG_OPTIONS" start >/dev/null \
    || { cat "$PG_DATA/postgres.log" >&2; exit 1; }

psql_as_postgres() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -X -qAt "$@"; }
psql_as_postgres -c "CREATE ROLE habit LOGIN PASSWORD 'habit' SUPERUSER"
psql_as_postgres -c "CREATE DATABASE habit_bench OWNER habit"
psql_as_postgres -c "CREATE DATABASE pgbench"
psql_as_postgres -d habit_bench -c "CREATE EXTENSION pg_stat_statements"
"$PG_BIN/pgbench" -h 127.0.0.1 -p "$PORT" -U postgres -i -q -s "$SCALE" pgbench >"$BENCH_DIR/pgbench-init.log" 2>&1 \
    || { cat "$BENCH_DIR/pgbench-init.log" >&2; exit 1; }
DATABASE_URL="postgres://habit:habit@127.0.0.1:$PORT/habit_bench"

echo "bench-persistence: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) cores, $(uname -sr)"
echo "bench-persistence: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT," \
    "synchronous_commit $(psql_as_postgres -c 'SHOW synchronous_commit'), fsync $(psql_as_postgres -c 'SHOW fsync')," \
    "pgbench scale $SCALE, $CALLERS callers/clients, ${WARMUP}s warm-up + ${SECONDS_MEASURED}s measured"

# Runs pgbench with "$@" for the warm-up, then measured; prints its tps (initial connection time excluded).
run_pgbench() {
    local label=$1; shift
    local command=("$PG_BIN/pgbench" -h 127.0.0.1 -p "$PORT" -U postgres -n -M prepared -c "$CALLERS" -j 2 "$@" pgbench)
    psql_as_postgres -c CHECKPOINT
    [ "$WARMUP" -gt 0 ] && "${command[@]}" -T "$WARMUP" >/dev/null 2>&1
    "${command[@]}" -T "$SECONDS_MEASURED" -l --log-prefix="$BENCH_DIR/$label" >"$BENCH_DIR/$label.log" 2>&1 \
        || { cat "$BENCH_DIR/$label.log" >&2; exit 1; }
    echo "  \$ ${command[*]} -T $SECONDS_MEASURED" >&2
    # Per-transaction log: the third field is the latency in microseconds.
    local percentiles
    percentiles=$(cat "$BENCH_DIR/$label".* | awk '{print $3}' | sort -n | awk '{ v[NR] = $1 } END {
        p50 = int(NR * 0.5 + 0.999999); p99 = int(NR * 0.99 + 0.999999)
        printf "p50_ms=%.2f p99_ms=%.2f", v[p50] / 1000, v[p99] / 1000 }')
    echo "  $(grep -E '^latency average' "$BENCH_DIR/$label.log"), $percentiles  load: $(uptime | sed 's/.*load average: //')" >&2
    grep -E '^tps = .*without initial connection time' "$BENCH_DIR/$label.log" | awk '{print $3}'
}

# Runs the Swift driver in mode $1 after resetting pg_stat_statements; prints its result line, then the
# statements it issued (setup included) and how many there were per call.
run_store() {
    local mode=$1
    psql_as_postgres -c CHECKPOINT
    psql_as_postgres -d habit_bench -c "SELECT pg_stat_statements_reset()" >/dev/null
    local line
    line=$("$BENCH" "$DATABASE_URL" "$mode" "$CALLERS" "$WARMUP" "$SECONDS_MEASURED")
    echo "  \$ $BENCH $DATABASE_URL $mode $CALLERS $WARMUP $SECONDS_MEASURED" >&2
    echo "  $line  load: $(uptime | sed 's/.*load average: //')" >&2
    local calls; calls=$(sed -n 's/.* all_calls=\([0-9]*\).*/\1/p' <<<"$line" | head -1)
    local setup; setup=$(sed -n 's/.* setup_calls=\([0-9]*\).*/\1/p' <<<"$line" | head -1)
    echo "  statements of habit_bench by role habit (calls, mean ms, statement), $calls timed + $setup setup use-case calls:" >&2
    psql_as_postgres -d habit_bench -F ' | ' -c "
        SELECT s.calls, round(s.mean_exec_time::numeric, 3), left(regexp_replace(s.query, '\s+', ' ', 'g'), 110)
        FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
        WHERE r.rolname = 'habit' AND s.calls >= $calls / 20 ORDER BY s.calls DESC" | sed 's/^/    /' >&2
    local total; total=$(psql_as_postgres -d habit_bench -c "
        SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'habit'")
    echo "  statements per use-case call (setup included): $(awk -v t="$total" -v c="$calls" -v s="$setup" \
        'BEGIN { printf "%.2f", t / (c + s) }')" >&2
    sed -n 's/.* tps=\([0-9.]*\).*/\1/p' <<<"$line" | head -1
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", 100 * a / b }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t ? "met" : "NOT met") }'; }

echo "(a) pgbench TPC-B:" >&2
TPCB=$(run_pgbench tpcb)
echo "(a) CompleteHabit:" >&2
COMPLETE=$(run_store complete)
echo "(b) pgbench -S:" >&2
SELECT_ONLY=$(run_pgbench select -S)
echo "(b) GetCharacter:" >&2
CHARACTER=$(run_store character)

COMPLETE_RATIO=$(ratio "$COMPLETE" "$TPCB")
CHARACTER_RATIO=$(ratio "$CHARACTER" "$SELECT_ONLY")
echo "result: CompleteHabit $COMPLETE tps vs pgbench TPC-B $TPCB tps = $COMPLETE_RATIO% (target >= 60%: $(verdict "$COMPLETE_RATIO" 60))"
echo "result: GetCharacter $CHARACTER tps vs pgbench -S $SELECT_ONLY tps = $CHARACTER_RATIO% (target >= 50%: $(verdict "$CHARACTER_RATIO" 50))"
