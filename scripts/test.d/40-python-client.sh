#!/usr/bin/env bash
# The Python reference client's tests: the spec's vectors, then real calls against rpc-echo-server.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The flags of scripts/test.sh's build, so this reuses it instead of recompiling without coverage.
swift build --enable-code-coverage --product rpc-echo-server
RPC_ECHO_SERVER="$PWD/.build/debug/rpc-echo-server" python3 -m pytest -q clients/python/tests
