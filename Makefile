# reconciler: build, test and fuzz. `make test` is what CI runs (.ci/run).

GO       ?= go
ROOT     := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
VERSION  ?= $(shell git -C $(ROOT) describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git -C $(ROOT) rev-parse --short HEAD 2>/dev/null || echo unknown)
CLI      := github.com/smartlic/reconciler/internal/cli
LDFLAGS  := -X $(CLI).version=$(VERSION) -X $(CLI).commit=$(COMMIT)
FUZZTIME ?= 5m

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
# and its recipe anywhere:
#
#   TOOLS := redis-server promtool
#   promtool:
#   	$(call need-binary,promtool,prometheus,the alert rules tests run it)
#
# Arguments must not contain commas.
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

TOOLS := redis-server

.PHONY: all build test fuzz bench clean $(TOOLS)

all: build

## build: the binary, bin/reconciler, stamped with version and commit
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/reconciler ./cmd/reconciler

## test: vet, the race-enabled test suite, and a 20 s fuzz run of the spec
## parser; the tests skipped (a missing tool, no Railway schema) are named
## at the end, one line per cause
test: $(TOOLS)
	$(GO) vet ./...
	$(GO) test -race -json ./... | $(GO) run ./internal/testsum
	$(GO) test ./spec -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime 20s

## redis-server: the tests start real Redis processes
redis-server:
	$(call need-binary,redis-server,redis-server,the tests that start Redis need it)

## fuzz: a longer fuzz run of the spec parser (FUZZTIME, default 5m)
fuzz:
	$(GO) test ./spec -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME)

## bench: every benchmark, with allocations
bench:
	$(GO) test ./... -run '^$$' -bench . -benchmem

clean:
	rm -rf bin
