#!/usr/bin/env bash
# Fails when Google's protoc rejects any schema under proto/, so our own parser never becomes the
# only judge of what is valid Protobuf.
set -euo pipefail
cd "$(dirname "$0")/../.."

mapfile -t schemas < <(find proto -name '*.proto' | sort)
[ ${#schemas[@]} -gt 0 ] || { echo "protoc: no schemas under proto/" >&2; exit 1; }
protoc --proto_path=proto --fatal_warnings --descriptor_set_out=/dev/null "${schemas[@]}"
echo "protoc accepts ${#schemas[@]} schemas"
