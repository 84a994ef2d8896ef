#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster and redis-server on 127.0.0.1, each on a free port in its own
# temporary directory, and prints the environment the tests read. Sourced by scripts/test.sh.
#   source scripts/services.sh; services_start; ...; services_stop
set -euo pipefail

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$dir" ] || { echo "services: PostgreSQL binaries not found under /usr/lib/postgresql" >&2; return 1; }
    echo "$dir"
}

services_start() {
    SERVICES_DIR=$(mktemp -d /tmp/habitrpc-services.XXXXXX)
    chmod 755 "$SERVICES_DIR"
    export SERVICES_DIR

    # PostgreSQL refuses to run as root, so the cluster belongs to the postgres user.
    local bin; bin=$(pg_bin)
    PG_DATA="$SERVICES_DIR/pg"
    mkdir -p "$PG_DATA" && chown postgres: "$PG_DATA"
    POSTGRES_PORT=$(free_port)
    runuser -u postgres -- "$bin/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 >"$SERVICES_DIR/initdb.log" 2>&1 \
        || { cat "$SERVICES_DIR/initdb.log" >&2; return 1; }
    runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $POSTGRES_PORT -k $PG_DATA -c max_connections=200 -c fsync=on" start >/dev/null \
        || { cat "$PG_DATA/postgres.log" >&2; return 1; }
    local psql=(runuser -u postgres -- psql -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -qc)
    "${psql[@]}" "CREATE ROLE habit LOGIN PASSWORD 'habit' SUPERUSER" >/dev/null
    "${psql[@]}" "CREATE DATABASE habit_test OWNER habit" >/dev/null
    export PG_BIN="$bin" PG_DATA POSTGRES_PORT
    export POSTGRES_HOSTNAME=127.0.0.1 POSTGRES_USER=habit POSTGRES_PASSWORD=habit POSTGRES_DB=habit_test
    export HABIT_TEST_DATABASE_URL="postgres://habit:habit@127.0.0.1:$POSTGRES_PORT/habit_test"

    REDIS_PORT=$(free_port)
    mkdir -p "$SERVICES_DIR/redis"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$SERVICES_DIR/redis" --save '' --appendonly no \
        --daemonize yes --pidfile "$SERVICES_DIR/redis.pid" --logfile "$SERVICES_DIR/redis.log"
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis-cli -p "$REDIS_PORT" ping >/dev/null
    export REDIS_HOSTNAME=127.0.0.1 REDIS_PORT
    export HABIT_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
    echo "services: PostgreSQL on 127.0.0.1:$POSTGRES_PORT, Redis on 127.0.0.1:$REDIS_PORT ($SERVICES_DIR)"
}

services_stop() {
    [ -n "${SERVICES_DIR:-}" ] || return 0
    if [ -f "$SERVICES_DIR/redis.pid" ]; then kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true; fi
    if [ -n "${PG_DATA:-}" ] && [ -d "$PG_DATA" ]; then
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$SERVICES_DIR"
}
