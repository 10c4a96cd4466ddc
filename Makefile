# reconciler: build, test, lint and fuzz. `make test` is what CI runs (.ci/run).

GO       ?= go
ROOT     := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
VERSION  ?= $(shell git -C $(ROOT) describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git -C $(ROOT) rev-parse --short HEAD 2>/dev/null || echo unknown)
CLI      := github.com/smartlic/reconciler/internal/cli
LDFLAGS  := -X $(CLI).version=$(VERSION) -X $(CLI).commit=$(COMMIT)
FUZZTIME ?= 5m

# Tests of the Railway client read the GraphQL schema from $RAILWAY_SCHEMA;
# point it at the shared copy next to the repository when there is one.
SCHEMA := $(abspath $(ROOT)../shared/railway/schema.graphql)
ifeq ($(origin RAILWAY_SCHEMA),undefined)
ifneq ($(wildcard $(SCHEMA)),)
export RAILWAY_SCHEMA := $(SCHEMA)
endif
endif

.PHONY: all build test lint redis-server fuzz bench clean

all: build

## build: the binary, bin/reconciler, stamped with version and commit
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/reconciler ./cmd/reconciler

## test: vet, lint, the race-enabled test suite, and a 20 s fuzz run of the spec parser
test: redis-server lint
	$(GO) vet ./...
	$(GO) test -race ./...
	$(GO) test ./spec -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime 20s

## lint: gofmt and staticcheck (pinned in go.mod as a tool); fails on any finding
lint:
	@unformatted="$$(cd $(ROOT) && gofmt -l .)"; if [ -n "$$unformatted" ]; then \
		echo "gofmt needed (run gofmt -w on these files):"; echo "$$unformatted"; exit 1; \
	fi
	$(GO) tool staticcheck ./...

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

## bench: every benchmark, with allocations
bench:
	$(GO) test ./... -run '^$$' -bench . -benchmem

clean:
	rm -rf bin
