.PHONY: build test
build:
	swift build

# Every test in the repository, with real PostgreSQL and Redis started and stopped here.
test:
	scripts/test.sh
