# snowduty — run `make help` for the targets.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN := bin/snowduty

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build the static snowduty binary into bin/.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/snowduty

.PHONY: test
test: lint tidy-check ## Run every check and test (needs redis-server on PATH).
	@command -v redis-server >/dev/null || { echo "redis-server is missing: install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis)"; exit 1; }
	$(GO) test -race -count=1 ./...

.PHONY: lint
lint: ## Check formatting and vet (changes nothing).
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

.PHONY: tidy-check
tidy-check: ## Fail if go mod tidy would change go.mod or go.sum.
	@cp go.mod /tmp/snowduty.go.mod.bak; cp go.sum /tmp/snowduty.go.sum.bak; \
	$(GO) mod tidy; \
	if ! cmp -s go.mod /tmp/snowduty.go.mod.bak || ! cmp -s go.sum /tmp/snowduty.go.sum.bak; then \
		cp /tmp/snowduty.go.mod.bak go.mod; cp /tmp/snowduty.go.sum.bak go.sum; \
		echo "go mod tidy would change go.mod/go.sum: run it and commit the result"; exit 1; fi

.PHONY: fmt
fmt: ## Format the code (gofmt -w) and tidy the module.
	gofmt -w $$(git ls-files -co --exclude-standard '*.go')
	$(GO) mod tidy

.PHONY: clean
clean: ## Remove build outputs.
	rm -rf bin
