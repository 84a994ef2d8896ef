.PHONY: build run test bench generate generate-check
build:
	swift build

# Installs missing system packages, builds, and serves on 127.0.0.1:7420 with the embedded defaults.
run:
	scripts/deps.sh
	swift build --product habit-cli
	swift build --product habit-server
	.build/debug/habit-server

# Every test in the repository, with real PostgreSQL and Redis started and stopped here.
test:
	scripts/test.sh

# Reruns every figure of docs/BENCHMARKS.md (RPC vs gRPC vs raw echo, connections, codec, quota,
# persistence, C client), each part under a timeout; prints the results folder (bench-results/<UTC time>/).
bench:
	scripts/bench.sh

# Regenerates Sources/HabitAPI and the generator's golden files from the .proto files.
generate:
	scripts/generate.sh

# Fails if the committed generated code is stale.
generate-check:
	scripts/generate.sh --check
