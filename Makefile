# plwiz — build, test and check. `make test` is the one test command.

GO          ?= go
PKGS        ?= ./...
BIN         ?= bin/plwiz
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT      ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS     := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
STATICCHECK ?= $(shell $(GO) env GOPATH)/bin/staticcheck
STATICCHECK_VERSION ?= v0.8.2
# GoReleaser is pinned in tools/go.mod, a module of its own so its many
# dependencies stay out of plwiz's go.mod. Building it takes minutes, so the
# binary is kept in GOPATH/bin under its version: a new version in
# tools/go.mod builds a new one, the same version never builds twice.
GORELEASER_VERSION := $(shell awk '$$1 == "github.com/goreleaser/goreleaser/v2" { print $$2 }' tools/go.mod)
GORELEASER  ?= $(shell $(GO) env GOPATH)/bin/goreleaser-$(GORELEASER_VERSION)
MANDIR      ?= build/man
COMPLETIONDIR ?= build/completions
FUZZTIME    ?= 20s
BENCHTIME   ?= 1s

.PHONY: all build test lint vet fmt-check staticcheck bench demo fuzz golden clean tools \
	man completions release-check release-snapshot

all: build

build:
	$(GO) build -buildvcs=false -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/plwiz

# The one test command: formatting, vet, staticcheck, the release
# configuration, then every test with the race detector.
test: lint release-check
	$(GO) test -race -count=1 $(PKGS)

lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) $(PKGS)

$(GORELEASER):
	mkdir -p $(dir $(GORELEASER))
	cd tools && $(GO) build -o $(GORELEASER) github.com/goreleaser/goreleaser/v2

tools: $(STATICCHECK) $(GORELEASER)

# Man pages (section 1, gzipped), one per command, from the command tree;
# dated by the last commit so two builds of it are the same.
man: build
	rm -rf $(MANDIR)
	SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || date +%s)} $(BIN) man $(MANDIR)
	gzip -9nf $(MANDIR)/*.1

completions: build
	mkdir -p $(COMPLETIONDIR)
	for shell in bash zsh fish; do $(BIN) completion $$shell > $(COMPLETIONDIR)/plwiz.$$shell; done

# Keeps .goreleaser.yaml from rotting between releases.
release-check: $(GORELEASER)
	$(GORELEASER) check

# Every release artefact in dist/, built locally: nothing is published and
# no tag is needed.
release-snapshot: $(GORELEASER)
	PLWIZ_COMMIT=$(COMMIT) $(GORELEASER) release --snapshot --clean

bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) $(PKGS)

demo:
	$(GO) run ./cmd/plwiz demo

# Each fuzz target runs for FUZZTIME; go test -fuzz takes one package and one
# target at a time.
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$target"; \
			$(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) $$pkg; \
		done; \
	done

# Regenerate golden files after an intended change to what is rendered.
# Only packages with golden tests define -update (themselves or through
# x/exp/golden), so pass it to those alone.
golden:
	@set -e; for dir in $$(grep -rlE --include='*_test.go' 'flag.Bool\("update"|golden\.RequireEqual' . | xargs -r -n1 dirname | sort -u); do \
		echo "golden $$dir"; $(GO) test $$dir -update; \
	done

clean:
	rm -rf bin build dist
