# reconciler: build, test and fuzz. `make test` is what CI runs (.ci/run).

GO       ?= go
ROOT     := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
VERSION  ?= $(shell git -C $(ROOT) describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git -C $(ROOT) rev-parse --short HEAD 2>/dev/null || echo unknown)$(shell git -C $(ROOT) diff --quiet HEAD -- 2>/dev/null || echo -dirty)
DATE     ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
CLI      := github.com/smartlic/reconciler/internal/cli
LDFLAGS  := -X $(CLI).version=$(VERSION) -X $(CLI).commit=$(COMMIT) -X $(CLI).date=$(DATE)
FUZZTIME ?= 5m
# The gate's fuzz run: a fixed number of executions (about 20 s on 2 cores)
# and no minimizing, so that its outcome never depends on the clock: with a
# time limit, the run could end while the fuzzer was minimizing a new input
# and fail with "context deadline exceeded". A crasher still fails the run
# (unminimized, in testdata/fuzz/FuzzLoad/); `make fuzz` minimizes.
FUZZGATE := -fuzztime 100000x -fuzzminimizetime 0

# Tests of the Railway client read the GraphQL schema from $RAILWAY_SCHEMA;
# point it at the shared copy next to the repository when there is one.
SCHEMA := $(abspath $(ROOT)../shared/railway/schema.graphql)
ifeq ($(origin RAILWAY_SCHEMA),undefined)
ifneq ($(wildcard $(SCHEMA)),)
export RAILWAY_SCHEMA := $(SCHEMA)
endif
endif

.PHONY: all build test redis-server fuzz bench schema clean

all: build

## build: the binary, bin/reconciler, stamped with version, commit and build time
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/reconciler ./cmd/reconciler

## test: vet, the race-enabled test suite, and a short fuzz run of the spec parser
test: redis-server
	$(GO) vet ./...
	$(GO) test -race ./...
	$(GO) test ./spec -run '^$$' -fuzz '^FuzzLoad$$' $(FUZZGATE)

## redis-server: install redis-server with apt-get when missing and root, else say how
redis-server:
	@if command -v redis-server >/dev/null 2>&1; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing redis-server (the tests start real Redis processes)"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server; \
	else \
		echo "redis-server is not installed; the tests that start Redis need it:"; \
		echo "  Debian/Ubuntu: sudo apt-get install -y redis-server    macOS: brew install redis"; \
	fi

## fuzz: a longer fuzz run of the spec parser (FUZZTIME, default 5m)
fuzz:
	$(GO) test ./spec -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME)

## schema: regenerate docs/spec.schema.json from the Go types (reconciler schema);
## a test fails when it is out of date
schema:
	$(GO) run ./cmd/reconciler schema > docs/spec.schema.json.tmp
	mv docs/spec.schema.json.tmp docs/spec.schema.json

## bench: every benchmark, with allocations
bench:
	$(GO) test ./... -run '^$$' -bench . -benchmem

clean:
	rm -rf bin
