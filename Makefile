.PHONY: build test generate generate-check
build:
	swift build

# Every test in the repository, with real PostgreSQL and Redis started and stopped here.
test:
	scripts/test.sh

# Regenerates Sources/HabitAPI and the generator's golden files from the .proto files.
generate:
	scripts/generate.sh

# Fails if the committed generated code is stale.
generate-check:
	scripts/generate.sh --check
