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

# bash, so that a pipe fails when its first command does (go test | testsum).
SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c

# Tests of the Railway client read the GraphQL schema from $RAILWAY_SCHEMA;
# point it at the shared copy next to the repository when there is one.
# Without it those tests are skipped, and `make test` names them at the end.
SCHEMA := $(abspath $(ROOT)../shared/railway/schema.graphql)
ifeq ($(origin RAILWAY_SCHEMA),undefined)
ifneq ($(wildcard $(SCHEMA)),)
export RAILWAY_SCHEMA := $(SCHEMA)
endif
endif

# Prometheus alert rules and their unit tests (promtool).
RULES      := deploy/prometheus/alerts.yaml
RULE_TESTS := deploy/prometheus/alerts_test.yaml

# ---- Tools the tests need, from Debian packages -----------------------------
#
# $(call need-binary,BINARY,PACKAGE,WHY) is a recipe line: when BINARY is not
# on PATH, install the Debian package PACKAGE with apt-get (as root, else
# through sudo) if INSTALL=1 or CI=true, and otherwise print the command to
# run; the tests that need it are then skipped (and fail under CI=true).
# $(call need,CHECK,PACKAGE,WHY) is the same for any shell CHECK command
# (e.g. a binary outside PATH). A tool is a phony target that make test
# depends on through TOOLS; add its name to the TOOLS line below (make reads
# prerequisites where the rule is, so a later `TOOLS +=` would be missed)
# and its recipe anywhere. Arguments must not contain commas.
INSTALL ?=
SUDO    := $(if $(filter 0,$(shell id -u)),,sudo )
APT     := DEBIAN_FRONTEND=noninteractive $(SUDO)apt-get -qq -y

define need
	@if $(1) >/dev/null 2>&1; then \
		true; \
	elif [ "$(INSTALL)" = 1 ] || [ "$$CI" = true ]; then \
		command -v apt-get >/dev/null || { echo "$(2) is missing and there is no apt-get: install it by hand ($(3))"; exit 1; }; \
		echo "installing $(2) ($(3))"; \
		$(APT) install $(2) >/dev/null || { $(APT) update && $(APT) install $(2); }; \
	else \
		echo "$(2) is not installed; $(3). Install it: make $@ INSTALL=1 (runs: $(SUDO)apt-get install -y $(2))"; \
	fi
endef
need-binary = $(call need,command -v $(1),$(2),$(3))

TOOLS := redis-server postgresql chromium promtool

.PHONY: all build test lint rules screenshots fuzz bench schema clean $(TOOLS)

all: build

## build: the binary, bin/reconciler, stamped with version, commit and build time
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/reconciler ./cmd/reconciler

## test: vet, lint, the alert rules, the race-enabled test suite and a short
## fuzz run of the spec parser; the tests skipped (a missing tool, no Railway
## schema) are named at the end, one line per cause
test: $(TOOLS) lint rules
	$(GO) vet ./...
	$(GO) test -race -json ./... | $(GO) run ./internal/testsum
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

## redis-server: the tests start real Redis processes
redis-server:
	$(call need-binary,redis-server,redis-server,the tests that start Redis need it)

## postgresql: the tests start real PostgreSQL servers of their own (initdb, postgres)
postgresql:
	$(call need,ls /usr/lib/postgresql/*/bin/initdb,postgresql,the tests that start PostgreSQL need it)

## chromium: the status page's tests drive a headless browser
chromium:
	$(call need-binary,chromium,chromium,the status page's browser tests need it)

## promtool: the alert rules are checked and unit-tested with promtool (from
## the prometheus package; the service the package may start is stopped)
promtool:
	$(call need-binary,promtool,prometheus,the alert rule checks need it)
	@if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then \
		$(SUDO)systemctl disable --now prometheus; \
	elif [ -x /etc/init.d/prometheus ] && /etc/init.d/prometheus status >/dev/null 2>&1; then \
		$(SUDO)/etc/init.d/prometheus stop; \
	fi

## screenshots: regenerate docs/img/status-{healthy,rolledback,held}.png in headless Chromium
screenshots: redis-server chromium
	$(GO) test ./statuspage -run '^TestBrowserRollbackAndRollForward$$' -count=1 -update

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
