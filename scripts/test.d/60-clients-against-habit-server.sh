#!/usr/bin/env bash
# The C and Python clients against the real habit-server (the debug build of `swift build --build-tests`) on
# the PostgreSQL and Redis of scripts/services.sh: each client's user journey with the values of
# docs/RULES.md, and the error cases with their exact status codes (bad token, unknown method, deadline):
# clients/c/tests/test_habit_server.c (plain and under ASan/UBSan/LSan) and clients/python/e2e.
# The server gets free loopback ports, its own database and secret; the EXIT trap stops it on every path.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${HABIT_TEST_DATABASE_URL:?run through make test (scripts/services.sh)}"
: "${HABIT_TEST_REDIS_URL:?run through make test (scripts/services.sh)}"
bin="$(swift build --show-bin-path)"
for tool in habit-server habit-cli; do
    [ -x "$bin/$tool" ] || { echo "clients-e2e: $bin/$tool was not built" >&2; exit 1; }
done

work=$(mktemp -d /tmp/habit-clients-e2e.XXXXXX)
database="clients_e2e_$$"
server_pid=
stop_everything() {
    local status=$?
    if [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null; then
        # A graceful stop takes at most --drain-seconds; past 30 s the server is killed.
        for _ in $(seq 300); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "$status" -ne 0 ] && [ -s "$work/server.log" ]; then
        echo "== habit-server log (last 40 lines)" >&2
        tail -40 "$work/server.log" >&2
    fi
    psql "$HABIT_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1 || true
    rm -rf "$work"
    exit "$status"
}
trap stop_everything EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

psql "$HABIT_TEST_DATABASE_URL" -qc "CREATE DATABASE $database" >/dev/null
secret=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
foreign_secret=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
token() { HABIT_JWT_SECRET="$1" "$bin/habit-cli" token --user "$2"; }
c_token=$(token "$secret" c-client-journey)
c_asan_token=$(token "$secret" c-client-journey-asan)
python_token=$(token "$secret" python-client-journey)
foreign_token=$(token "$foreign_secret" c-client-journey)

HABIT_JWT_SECRET="$secret" HABIT_DATABASE_URL="${HABIT_TEST_DATABASE_URL%/*}/$database" \
    HABIT_REDIS_URL="$HABIT_TEST_REDIS_URL" \
    "$bin/habit-server" --host 127.0.0.1 --port 0 --admin-host 127.0.0.1 --admin-port 0 \
    --data-dir "$work/data" --drain-seconds 2 >"$work/server.log" 2>&1 &
server_pid=$!

# Ready means: both ports logged and GET /ready answering 200 (store reachable, migrations applied).
port=$(python3 - "$work/server.log" "$server_pid" <<'EOF'
import re, sys, time, urllib.error, urllib.request
log, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 180
def running():
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
def logged(marker, key):
    with open(log, errors="replace") as f:
        for line in f:
            if marker in line and (found := re.search(rf"(?:^|\s){re.escape(key)}=(\d+)", line)):
                return int(found.group(1))
while time.monotonic() < deadline:
    if not running():
        sys.exit("habit-server exited before it was ready")
    port, admin = logged("habit-server ready", "port"), logged("admin ready", "admin.port")
    if port and admin:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{admin}/ready", timeout=5) as reply:
                if reply.status == 200:
                    print(port)
                    sys.exit(0)
        except (urllib.error.URLError, OSError):
            pass
    time.sleep(0.1)
sys.exit("habit-server was not ready within 180 s")
EOF
)
echo "clients-e2e: habit-server ready on 127.0.0.1:$port (PostgreSQL database $database, Redis)"

make -C clients/c --no-print-directory -s habit-server-test HABIT_SERVER="127.0.0.1 $port" \
    TOKEN="$c_token" ASAN_TOKEN="$c_asan_token" FOREIGN_TOKEN="$foreign_token"
HABIT_E2E_ADDRESS="127.0.0.1:$port" HABIT_E2E_PYTHON_TOKEN="$python_token" HABIT_E2E_FOREIGN_TOKEN="$foreign_token" \
    python3 -m pytest -q clients/python/e2e
