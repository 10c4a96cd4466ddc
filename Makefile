# reconciler: build, test and fuzz. `make test` is what CI runs (.ci/run).

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

.PHONY: all build test redis-server postgresql fuzz bench clean

all: build

## build: the binary, bin/reconciler, stamped with version and commit
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/reconciler ./cmd/reconciler

## test: vet, the race-enabled test suite, and a 20 s fuzz run of the spec parser
test: redis-server postgresql
	$(GO) vet ./...
	$(GO) test -race ./...
	$(GO) test ./spec -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime 20s

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

## postgresql: install PostgreSQL (initdb, postgres) with apt-get when missing and root, else say how
postgresql:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing postgresql (the tests start real PostgreSQL servers of their own)"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; \
	else \
		echo "PostgreSQL is not installed; the tests that start PostgreSQL need it:"; \
		echo "  Debian/Ubuntu: sudo apt-get install -y postgresql    macOS: brew install postgresql"; \
	fi

## fuzz: a longer fuzz run of the spec parser (FUZZTIME, default 5m)
fuzz:
	$(GO) test ./spec -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME)

## bench: every benchmark, with allocations
bench:
	$(GO) test ./... -run '^$$' -bench . -benchmem

clean:
	rm -rf bin
