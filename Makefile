# slicelb: Endpoints/EndpointSlice controller + IPVS node agent.
# The targets follow kubebuilder's vocabulary; every tool is installed into bin/ at a pinned version.

# Images to build and deploy.
IMG ?= ghcr.io/slicelb/slicelb:latest

# Kubernetes version of the envtest binaries (kube-apiserver, built from Go modules) and etcd's.
ENVTEST_K8S_VERSION ?= 1.37.1
ETCD_VERSION ?= 3.6.16

# Get the currently used golang install path (in GOPATH/bin, unless GOBIN is set).
ifeq (,$(shell go env GOBIN))
GOBIN=$(shell go env GOPATH)/bin
else
GOBIN=$(shell go env GOBIN)
endif

# Setting SHELL to bash allows bash commands to be executed by recipes.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate RBAC (one role per binary) and CRD manifests from markers.
	$(CONTROLLER_GEN) rbac:roleName=controller-role paths="./controllers/..." output:rbac:artifacts:config=config/rbac/controller
	$(CONTROLLER_GEN) rbac:roleName=node-role paths="./dataplane/..." output:rbac:artifacts:config=config/rbac/node
	@if compgen -G "api/*/*.go" >/dev/null; then \
		$(CONTROLLER_GEN) crd paths="./api/..." output:crd:artifacts:config=config/crd/bases; fi

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods for the API types.
	@if compgen -G "api/*/*.go" >/dev/null; then \
		$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."; fi

.PHONY: fmt
fmt: ## Run go fmt against code.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet against code.
	go vet ./...

.PHONY: lint
lint: golangci-lint ## Run golangci-lint.
	$(GOLANGCI_LINT) run

.PHONY: lint-fix
lint-fix: golangci-lint ## Run golangci-lint and fix what it can.
	$(GOLANGCI_LINT) run --fix

.PHONY: verify
verify: manifests generate ## Fail when generated files or formatting drift from what is committed.
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	@drift=$$(git status --porcelain -- config api go.mod go.sum); \
	if [ -n "$$drift" ]; then echo "generated files are out of date (run 'make manifests generate' and commit):"; \
		echo "$$drift"; git --no-pager diff -- config api | head -50; exit 1; fi
	@echo "verify: generated files and formatting are up to date"

##@ Test

# Pure packages: planners, the fake kernel, API types. Their fuzz seed corpora run here too.
# (the agent's envtest suite needs the envtest binaries: it runs in test-envtest.)
UNIT_PKGS ?= ./internal/... $$(go list ./dataplane/... | grep -v /envtestsuite) ./api/... ./cmd/...
# Fuzz targets (every func Fuzz* under internal/ and dataplane/) run briefly in 'make test' and longer
# in 'make fuzz'. The smoke run counts executions rather than seconds: see hack/fuzz.sh for why.
FUZZTIME ?= 5000x

.PHONY: test
test: verify vet lint test-unit fuzz-smoke test-envtest test-reliability test-vm test-e2e ## Everything CI runs: verify, vet, lint, unit, fuzz smoke, envtest, reliability, VM and e2e suites.

.PHONY: test-unit
test-unit: ## Unit tests of the pure packages (with fuzz seed corpora).
	go test -count=1 $(UNIT_PKGS)

.PHONY: fuzz-smoke
fuzz-smoke: ## Run every fuzz target for FUZZTIME (default 5000 executions each).
	FUZZTIME=$(FUZZTIME) hack/fuzz.sh

.PHONY: fuzz
fuzz: ## Run every fuzz target for a longer time (FUZZ_LONG, default 2m each); findings land in testdata/fuzz.
	FUZZTIME=$${FUZZ_LONG:-2m} hack/fuzz.sh

.PHONY: test-envtest
test-envtest: envtest ## Controller suites against a real kube-apiserver + etcd (envtest).
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test -count=1 -timeout 30m ./controllers/... ./dataplane/agent/envtestsuite/...

# -v: the suite prints its measured outcomes (takeover time, writes duplicated, duplicate/lost endpoints).
.PHONY: test-reliability
test-reliability: envtest ## Controller faults: API server restart, leader failover, conflicts, stale cache, bad input (real control plane + binary).
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test -count=1 -v -timeout 20m ./test/reliability/... -ginkgo.v

.PHONY: test-vm
test-vm: vm-assets ## Node dataplane suite inside a real Linux kernel (qemu VM with IPVS).
	# -v: the VM serial console and the measured numbers belong in the CI log.
	VM_ASSETS="$(VM_ASSETS)" go test -count=1 -v -timeout 30m ./test/vm/...

# -ginkgo.v: the e2e suite prints what it measured (traffic splits, programming latency).
.PHONY: test-e2e
test-e2e: envtest kubectl kustomize controller-gen vm-assets ## Whole system: local control plane, make deploy, RBAC, VM node with real traffic.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" KUSTOMIZE="$(KUSTOMIZE)" go test -count=1 -timeout 5m ./test/cluster/...
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" KUBECTL="$(KUBECTL)" KUSTOMIZE="$(KUSTOMIZE)" VM_ASSETS="$(VM_ASSETS)" \
		go test -count=1 -v -timeout 30m ./test/e2e/... -ginkgo.v

##@ Demo

DEMO_DIR ?= bin/demo

.PHONY: demo
demo: envtest kubectl kustomize controller-gen vm-assets build-binaries ## Run slicelb on a local control plane and a VM node (left running; make demo-down stops it).
	go run ./test/cluster/cmd/slicelb-localcluster up -dir $(DEMO_DIR) -assets "$(ENVTEST_ASSETS)" \
		-deploy config/default -kustomize $(KUSTOMIZE) -controller bin/slicelb-controller -kubectl "$(KUBECTL)"
	go run ./test/demo -dir $(DEMO_DIR) -vm-assets "$(VM_ASSETS)" -node bin/slicelb-node -kubectl "$(KUBECTL)"

.PHONY: demo-down
demo-down: ## Stop everything 'make demo' left running (pids recorded in bin/demo/pids).
	go run ./test/cluster/cmd/slicelb-localcluster down -dir $(DEMO_DIR)

##@ Benchmarks

BENCH_ARGS ?=

# slicelb against upstream on the same machine, API server build and workload, in one run:
# writes bench/results.json, bench/RESULTS.md and the convergence chart.
.PHONY: bench
bench: envtest vm-assets ## slicelb vs kube-controller-manager, the dataplane floor, and slicelb-node vs kube-proxy in the VM (BENCH_ARGS=--quick for a smoke run).
	K8S_VERSION=$(ENVTEST_K8S_VERSION) hack/build-k8s-binaries.sh "$(ENVTEST_ASSETS)" kube-controller-manager kube-proxy
	CGO_ENABLED=0 go build -trimpath -o bin/slicelb-controller ./cmd/controller
	CGO_ENABLED=0 go build -trimpath -o bin/slicelb-node ./cmd/node
	go run ./test/bench/cmd/slicelb-bench --assets "$(ENVTEST_ASSETS)" --crd-dir config/crd/bases \
		--kcm-bin "$(ENVTEST_ASSETS)/kube-controller-manager" --controller-bin bin/slicelb-controller \
		--kube-proxy-bin "$(ENVTEST_ASSETS)/kube-proxy" --node-bin bin/slicelb-node \
		--vm-assets "$(VM_ASSETS)" --out bench $(BENCH_ARGS)

##@ Build

.PHONY: build
build: fmt vet build-binaries ## Format, vet and build both binaries into bin/.

.PHONY: build-binaries
build-binaries: $(LOCALBIN) ## Build both binaries into bin/ (static, -trimpath), nothing else.
	CGO_ENABLED=0 go build -trimpath -o bin/slicelb-controller ./cmd/controller
	CGO_ENABLED=0 go build -trimpath -o bin/slicelb-node ./cmd/node

.PHONY: run
run: fmt vet ## Run the controller against the cluster in ~/.kube/config (or KUBECONFIG).
	go run ./cmd/controller

.PHONY: docker-build
docker-build: ## Build the image (needs a Docker engine).
	docker build -t $(IMG) .

.PHONY: docker-push
docker-push: ## Push the image.
	docker push $(IMG)

##@ Deployment

ifndef ignore-not-found
  ignore-not-found = false
endif

.PHONY: install
install: manifests kustomize kubectl ## Install the CRDs into the cluster in KUBECONFIG.
	@if [ -d config/crd/bases ] && compgen -G "config/crd/bases/*.yaml" >/dev/null; then \
		$(KUSTOMIZE) build config/crd | $(KUBECTL) apply --server-side -f -; fi

.PHONY: uninstall
uninstall: manifests kustomize kubectl ## Uninstall the CRDs.
	@if [ -d config/crd/bases ] && compgen -G "config/crd/bases/*.yaml" >/dev/null; then \
		$(KUSTOMIZE) build config/crd | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -; fi

.PHONY: deploy
deploy: manifests kustomize kubectl ## Deploy the controller Deployment and node DaemonSet to the cluster in KUBECONFIG.
	cd config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)
	cd config/node && $(KUSTOMIZE) edit set image node=$(IMG)
	$(KUSTOMIZE) build config/default | $(KUBECTL) apply --server-side -f -

.PHONY: undeploy
undeploy: kustomize ## Remove everything 'make deploy' created.
	$(KUSTOMIZE) build config/default | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

##@ Dependencies

LOCALBIN ?= $(shell pwd)/bin
$(LOCALBIN):
	mkdir -p $(LOCALBIN)

# kubectl v$(ENVTEST_K8S_VERSION), built from Go modules next to the envtest binaries ('make kubectl'), so that
# the demo and the e2e suite never depend on whatever kubectl a machine happens to have.
# Against your own cluster, pass yours: make deploy KUBECTL=kubectl.
KUBECTL ?= $(ENVTEST_ASSETS)/kubectl
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
KUSTOMIZE ?= $(LOCALBIN)/kustomize-$(KUSTOMIZE_VERSION)
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)

CONTROLLER_TOOLS_VERSION ?= v0.23.0
KUSTOMIZE_VERSION ?= v5.8.2
# (v5.8.3 requires Go 1.27; this toolchain is Go 1.26.)
GOLANGCI_LINT_VERSION ?= v2.15.0

# envtest binaries are built from Go modules (no download site): a user-provided KUBEBUILDER_ASSETS wins.
ENVTEST_DIR ?= $(LOCALBIN)/k8s/$(ENVTEST_K8S_VERSION)
ifdef KUBEBUILDER_ASSETS
ENVTEST_ASSETS := $(KUBEBUILDER_ASSETS)
else
ENVTEST_ASSETS := $(ENVTEST_DIR)
endif

.PHONY: envtest
envtest: $(LOCALBIN) ## Build kube-apiserver and etcd for envtest from Go modules into bin/k8s/<version> (cached).
	@if [ -x "$(ENVTEST_ASSETS)/kube-apiserver" ] && [ -x "$(ENVTEST_ASSETS)/etcd" ]; then :; else \
		K8S_VERSION=$(ENVTEST_K8S_VERSION) ETCD_VERSION=$(ETCD_VERSION) hack/build-k8s-binaries.sh "$(ENVTEST_ASSETS)" etcd kube-apiserver; fi
	@echo "KUBEBUILDER_ASSETS=$(ENVTEST_ASSETS)"

# The real-kernel VM: qemu from Debian (apt-get when missing) and a Debian kernel with IPVS modules,
# unpacked into bin/vm (cached).
VM_ASSETS ?= $(LOCALBIN)/vm

.PHONY: vm-assets
vm-assets: $(LOCALBIN) ## Install qemu and fetch the test kernel + modules into bin/vm (cached).
	hack/vm-assets.sh "$(VM_ASSETS)"

.PHONY: kubectl
kubectl: $(LOCALBIN) ## Build kubectl from Go modules into bin/k8s/<version> (cached), unless KUBECTL names one.
	@[ -x "$(KUBECTL)" ] || K8S_VERSION=$(ENVTEST_K8S_VERSION) hack/build-k8s-binaries.sh "$(ENVTEST_ASSETS)" kubectl

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Download controller-gen locally if necessary.
$(CONTROLLER_GEN): $(LOCALBIN)
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: kustomize
kustomize: $(KUSTOMIZE) ## Download kustomize locally if necessary.
$(KUSTOMIZE): $(LOCALBIN)
	$(call go-install-tool,$(KUSTOMIZE),sigs.k8s.io/kustomize/kustomize/v5,$(KUSTOMIZE_VERSION))

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Download golangci-lint locally if necessary.
$(GOLANGCI_LINT): $(LOCALBIN)
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

# go-install-tool will 'go install' any package with custom target and name of binary, if it doesn't exist
# $1 - target path with name of binary (ideally with version)
# $2 - package url which can be installed
# $3 - specific version of package
define go-install-tool
@[ -f "$(1)" ] || { \
set -e; \
package=$(2)@$(3) ;\
echo "Downloading $${package}" ;\
rm -f $(1) || true ;\
GOBIN=$(LOCALBIN) go install $${package} ;\
mv $(1:-$(3)=) $(1) ;\
}
endef
