# reconciler: build, test, lint and fuzz. `make test` is what CI runs (.ci/run).

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

# Prometheus alert rules and their unit tests (promtool).
RULES      := deploy/prometheus/alerts.yaml
RULE_TESTS := deploy/prometheus/alerts_test.yaml

.PHONY: all build test lint rules promtool redis-server postgresql chromium screenshots fuzz bench schema clean

all: build

## build: the binary, bin/reconciler, stamped with version, commit and build time
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/reconciler ./cmd/reconciler

## test: vet, lint, the alert rules, the race-enabled test suite, and a short fuzz run of the spec parser
test: redis-server postgresql chromium lint rules
	$(GO) vet ./...
	$(GO) test -race ./...
	$(GO) test ./spec -run '^$$' -fuzz '^FuzzLoad$$' $(FUZZGATE)

## lint: gofmt and staticcheck (pinned in go.mod as a tool); fails on any finding
lint:
	@unformatted="$$(cd $(ROOT) && gofmt -l .)"; if [ -n "$$unformatted" ]; then \
		echo "gofmt needed (run gofmt -w on these files):"; echo "$$unformatted"; exit 1; \
	fi
	$(GO) tool staticcheck ./...

## rules: check the Prometheus alert rules and run their unit tests with promtool
rules: promtool
	@if ! command -v promtool >/dev/null 2>&1; then \
		if [ "$$CI" = true ]; then echo "promtool is missing, and CI=true: failing"; exit 1; fi; \
		echo "skipping the alert rule checks: promtool is missing"; exit 0; \
	fi; \
	set -e; \
	echo "promtool check rules $(RULES)"; promtool check rules $(RULES); \
	echo "promtool test rules $(RULE_TESTS)"; promtool test rules $(RULE_TESTS)

## promtool: install the prometheus package (for promtool) with apt-get when missing and root, else say how
promtool:
	@if command -v promtool >/dev/null 2>&1; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing prometheus (for promtool, which checks and tests the alert rules)"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus; \
		if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then \
			echo "stopping the prometheus service the package started (only promtool is needed)"; \
			systemctl disable --now prometheus; \
		elif [ -x /etc/init.d/prometheus ] && /etc/init.d/prometheus status >/dev/null 2>&1; then \
			echo "stopping the prometheus service the package started (only promtool is needed)"; \
			/etc/init.d/prometheus stop; \
		fi; \
	else \
		echo "promtool is not installed; the alert rule checks need it:"; \
		echo "  Debian/Ubuntu: sudo apt-get install -y --no-install-recommends prometheus    macOS: brew install prometheus"; \
	fi

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

## chromium: install Debian's chromium with apt-get when missing and root, else say how
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium (the status page's tests drive a headless browser)"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else \
		echo "chromium is not installed; the status page's browser tests need it:"; \
		echo "  Debian: sudo apt-get install -y chromium    Ubuntu: sudo snap install chromium    macOS: brew install --cask chromium"; \
	fi

## screenshots: regenerate docs/img/status-{healthy,rolledback,held}.png in headless Chromium
screenshots: redis-server chromium
	$(GO) test ./statuspage -run '^TestBrowserRollbackAndRollForward$$' -count=1 -update

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
