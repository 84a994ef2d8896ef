#!/usr/bin/env bash
# The C client (clients/c): builds the library and the example with -Werror, then runs its tests twice,
# plain and under AddressSanitizer/UndefinedBehaviorSanitizer/LeakSanitizer: the frame parser against every
# vector of docs/protocol-vectors.json, the malformed-input test (every cut, random garbage, bit flips,
# oversized lengths), and the loopback test against a HabitRPC server on 127.0.0.1 (for now the spec-written
# clients/c/tests/fake_server.py; no runnable Swift server exists yet).
set -euo pipefail
cd "$(dirname "$0")/../../clients/c"
make --no-print-directory -s lib examples
make --no-print-directory -s test
make --no-print-directory -s asan
