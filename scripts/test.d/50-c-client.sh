#!/usr/bin/env bash
# The C client (clients/c): builds the library and the example with -Werror, then runs its tests twice,
# plain and under AddressSanitizer/UndefinedBehaviorSanitizer/LeakSanitizer: the frame parser against every
# vector of docs/protocol-vectors.json, the malformed-input test (every cut, random garbage, bit flips,
# oversized lengths), and the loopback test against the spec-written tests/fake_server.py and the Swift
# rpc-echo-server (built by `swift build --build-tests` before this step).
set -euo pipefail
cd "$(dirname "$0")/../.."
echo_server=
if grep -q '"rpc-echo-server"' Package.swift; then
    echo_server="$(swift build --show-bin-path)/rpc-echo-server"
    [ -x "$echo_server" ] || { echo "c-client: $echo_server was not built" >&2; exit 1; }
fi
cd clients/c
make --no-print-directory -s lib examples
make --no-print-directory -s test ECHO_SERVER="$echo_server"
make --no-print-directory -s asan ECHO_SERVER="$echo_server"
