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

.PHONY: demo
demo: ## Run the demo: both simulators, an embedded Redis and the daemon play a scripted story.
	$(GO) run ./cmd/snowduty demo $(DEMO_ARGS)

.PHONY: test
test: lint tidy-check chart-lint image-check ## Run every check and test, short fuzz runs and the 1-minute soak (needs redis-server on PATH).
	@command -v redis-server >/dev/null || { echo "redis-server is missing: install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis)"; exit 1; }
	$(GO) test -race -count=1 ./...
	$(MAKE) fuzz FUZZTIME=2s
	$(MAKE) soak-smoke
	$(MAKE) soak-ha

GOLANGCI_VERSION := v2.15.0
GOLANGCI := $(CURDIR)/.cache/bin/golangci-lint-$(GOLANGCI_VERSION)

$(GOLANGCI):
	@mkdir -p $(CURDIR)/.cache/bin
	GOBIN=$(CURDIR)/.cache/bin $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)
	mv $(CURDIR)/.cache/bin/golangci-lint $(GOLANGCI)

.PHONY: lint
lint: $(GOLANGCI) ## Check formatting, vet and golangci-lint (.golangci.yml; built from the Go module proxy and cached; changes nothing).
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags soak,bench ./poller/loadtest/
	$(GOLANGCI) run ./...

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

# --- Container image and Helm chart -----------------------------------------

HELM_VERSION := v3.22.0
HELM := $(CURDIR)/.cache/bin/helm-$(HELM_VERSION)
CHART := charts/snowduty
IMAGE ?= ghcr.io/snowduty/snowduty:$(VERSION)

$(HELM):
	@mkdir -p $(CURDIR)/.cache/bin
	GOBIN=$(CURDIR)/.cache/bin $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	mv $(CURDIR)/.cache/bin/helm $(HELM)

.PHONY: image
image: ## Build the container image (IMAGE=ghcr.io/snowduty/snowduty:VERSION; needs Docker).
	@command -v docker >/dev/null || { echo "no docker on PATH: 'make image-check' checks the same build without one"; exit 1; }
	docker build --build-arg VERSION=$(VERSION) -t $(IMAGE) .

.PHONY: image-check
image-check: build ## Check the image's build without Docker: the static binary its Dockerfile builds.
	@grep -q 'make build VERSION=' Dockerfile || { echo "Dockerfile no longer builds with 'make build': update image-check"; exit 1; }
	@want=$$(sed -n 's/^go \([0-9]*\.[0-9]*\).*/\1/p' go.mod); grep -q "^ARG GO_VERSION=$$want$$" Dockerfile || { echo "Dockerfile GO_VERSION differs from go.mod's go $$want"; exit 1; }
	@$(GO) version -m $(BIN) | grep -q 'CGO_ENABLED=0' || { echo "$(BIN) is not a CGO_ENABLED=0 build"; exit 1; }
	@$(GO) version -m $(BIN) | grep -q -- '-trimpath=true' || { echo "$(BIN) was not built with -trimpath"; exit 1; }
	@if command -v readelf >/dev/null; then readelf -l $(BIN) | grep -q INTERP && { echo "$(BIN) is dynamically linked"; exit 1; }; true; fi
	@out=$$(./$(BIN) version); echo "$$out"; case "$$out" in *"snowduty $(VERSION) "*) ;; *) echo "version not stamped: want $(VERSION)"; exit 1;; esac
	@echo "image-check: ok"

.PHONY: chart-lint
chart-lint: $(HELM) ## helm lint --strict and helm template over the default values and every ci/*.yaml.
	$(HELM) lint --strict $(CHART)
	@for f in $(CHART)/ci/*.yaml; do \
		echo "$(HELM) lint --strict -f $$f"; $(HELM) lint --strict --quiet $(CHART) -f $$f || exit 1; \
		$(HELM) template ci $(CHART) -f $$f >/dev/null || { echo "helm template failed for $$f"; exit 1; }; \
	done
	@out=$$($(HELM) template ci $(CHART) 2>&1) && { echo "helm template with the default values must fail (syncDirection is required)"; exit 1; }; \
	echo "$$out" | grep -q 'syncDirection is required' || { echo "unexpected error with the default values: $$out"; exit 1; }
	@echo "chart-lint: ok"

.PHONY: chart-template
chart-template: $(HELM) ## Render the chart with ci/minimal-values.yaml (VALUES=file to choose).
	$(HELM) template snowduty $(CHART) -f $(or $(VALUES),$(CHART)/ci/minimal-values.yaml)

# --- Benchmarks and the chaos soak (docs/benchmarks.md, docs/reliability.md) ---

BENCH_DIR ?= $(CURDIR)/.cache/bench
SOAK_DURATION ?= 10m
SOAK_FLUSH ?= 1
SOAK_EDIT_GAP ?= 200ms
FUZZTIME ?= 10s

.PHONY: bench
bench: ## Measure speed, cost and scale against the simulators and a real redis-server (docs/benchmarks.md; ~20 min).
	@command -v redis-server >/dev/null || { echo "redis-server is missing: install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis)"; exit 1; }
	@mkdir -p $(BENCH_DIR)
	set -o pipefail; $(GO) test -run '^$$' -bench . -benchmem -count=1 ./diff/ ./clients/servicenow/ ./clients/flashduty/ | tee $(BENCH_DIR)/micro.txt
	set -o pipefail; $(GO) test -count=1 -v -timeout 30m -run 'TestThroughput|TestIdlePass' ./poller/loadtest/ -args -loadtest.sizes=1000,10000 -loadtest.idle=10000 -loadtest.cpuprofile=$(BENCH_DIR)/throughput.pprof | grep -E 'FIGURE|^(--- |ok|FAIL)' | tee $(BENCH_DIR)/load.txt
	$(GO) tool pprof -top -nodecount=30 $(BENCH_DIR)/throughput.pprof 2>/dev/null | tee $(BENCH_DIR)/profile.txt
	set -o pipefail; $(GO) test -tags bench -count=1 -v -timeout 30m -run 'TestLatency|TestRateLimit|TestDaemonMemory' ./poller/loadtest/ | grep -E 'FIGURE|^(--- |ok|FAIL)' | tee $(BENCH_DIR)/realtime.txt
	set -o pipefail; $(GO) test -tags bench -count=1 -v -timeout 30m -run 'TestLatency' ./poller/loadtest/ -args -loadtest.latency-gap=250ms | grep -E 'FIGURE|^(--- |ok|FAIL)' | tee -a $(BENCH_DIR)/realtime.txt

.PHONY: soak
soak: ## Chaos soak: faults, SIGKILLs, Redis restart and flush, two replicas; then check convergence (SOAK_DURATION=10m).
	@command -v redis-server >/dev/null || { echo "redis-server is missing: install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis)"; exit 1; }
	set -o pipefail; SOAK_DURATION=$(SOAK_DURATION) SOAK_FLUSH=$(SOAK_FLUSH) SOAK_EDIT_GAP=$(SOAK_EDIT_GAP) $(GO) test -tags soak -count=1 -v -timeout 60m -run TestSoak ./poller/loadtest/ | grep -vE '^=== '

.PHONY: soak-smoke
soak-smoke: ## The 1-minute soak `make test` runs: every fault, kill and restart but the Redis flush.
	$(MAKE) soak SOAK_DURATION=1m SOAK_FLUSH=0 SOAK_EDIT_GAP=50ms

.PHONY: fuzz
fuzz: ## Run every fuzz test for FUZZTIME each (default 10s).
	@for spec in ./clients/servicenow:FuzzDecodeResponses ./clients/servicenow:FuzzHostileValuesCannotWiden ./clients/servicenow:FuzzScopeCannotWiden \
		./clients/flashduty:FuzzDecodeResponses ./cmd/snowduty:FuzzConfigValues ./cmd/snowduty:FuzzCronSpec ./diff:FuzzSync ./diff:FuzzSnapshotDecode; do \
		pkg=$${spec%%:*}; fn=$${spec##*:}; echo "fuzz $$pkg $$fn"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; done

SOAK_HA_DURATION ?= 45s

.PHONY: soak-ha
soak-ha: ## Real Sentinel failovers and Redis Cluster slot migrations under two replicas, then the soak's checker (docs/reliability.md; ~2 min).
	@command -v redis-server >/dev/null && command -v redis-cli >/dev/null || { echo "redis-server or redis-cli is missing: install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis)"; exit 1; }
	set -o pipefail; SOAK_HA_DURATION=$(SOAK_HA_DURATION) $(GO) test -tags soak -count=1 -v -timeout 20m -run 'TestSentinelSoak|TestClusterSoak' ./poller/loadtest/ | grep -vE '^(=== |redis: )'
