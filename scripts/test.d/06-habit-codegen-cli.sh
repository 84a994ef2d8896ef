#!/usr/bin/env bash
# The habit-codegen command line: a schema error prints file:line:column and exits non-zero, and
# --check fails naming a stale file and passes once the output is regenerated.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The flags of scripts/test.sh's build, so this reuses it instead of recompiling without coverage.
swift build --enable-code-coverage --product habit-codegen >/dev/null
codegen="$(swift build --show-bin-path)/habit-codegen"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/proto/t" "$work/out"
printf 'syntax = "proto3";\npackage t;\nmessage A {\n  int32 x = 1;\n  int32 y = 1;\n}\n' > "$work/proto/t/bad.proto"
if "$codegen" --proto-path "$work/proto" --out "$work/out" "$work/proto/t/bad.proto" 2> "$work/err"; then
    echo "habit-codegen accepted a duplicate field number" >&2
    exit 1
fi
grep -qx "$work/proto/t/bad.proto:5:13: field number 1 of y is already used by x" "$work/err" \
    || { echo "unexpected error text: $(cat "$work/err")" >&2; exit 1; }

printf 'syntax = "proto3";\npackage t;\nmessage A {\n  int32 x = 1;\n}\n' > "$work/proto/t/good.proto"
"$codegen" --proto-path "$work/proto" --out "$work/out" "$work/proto/t/good.proto" >/dev/null
"$codegen" --check --proto-path "$work/proto" --out "$work/out" "$work/proto/t/good.proto" >/dev/null
printf '  int32 y = 2;\n}\n' > "$work/tail" && sed -i '$d' "$work/proto/t/good.proto" && cat "$work/tail" >> "$work/proto/t/good.proto"
if "$codegen" --check --proto-path "$work/proto" --out "$work/out" "$work/proto/t/good.proto" 2> "$work/err"; then
    echo "habit-codegen --check passed with stale output" >&2
    exit 1
fi
grep -q "stale: t_good.swift" "$work/err" || { echo "unexpected --check text: $(cat "$work/err")" >&2; exit 1; }
echo "habit-codegen CLI: errors and --check behave"
