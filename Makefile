# plwiz — build, test and check. `make test` is the one test command.

GO          ?= go
PKGS        ?= ./...
BIN         ?= bin/plwiz
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT      ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS     := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
STATICCHECK ?= $(shell $(GO) env GOPATH)/bin/staticcheck
STATICCHECK_VERSION ?= v0.8.2
FUZZTIME    ?= 20s
BENCHTIME   ?= 1s

.PHONY: all build test lint vet fmt-check staticcheck bench demo fuzz golden clean tools

all: build

build:
	$(GO) build -buildvcs=false -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/plwiz

# The one test command: formatting, vet, staticcheck, then every test with
# the race detector.
test: lint
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

tools: $(STATICCHECK)

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
	rm -rf bin
