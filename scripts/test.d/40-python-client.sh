#!/usr/bin/env bash
# The Python reference client's tests: the spec's vectors, then real calls against rpc-echo-server.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build --product rpc-echo-server
RPC_ECHO_SERVER="$PWD/.build/debug/rpc-echo-server" python3 -m pytest -q clients/python/tests
