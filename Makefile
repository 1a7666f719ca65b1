# Suanwang developer entry points. Every node/npm command runs on Node 24 provided by scripts/setup-node.sh.
#   make lab        start the default federation (examples/lab/default.yaml) in .lab/ and keep it running
#   make lab-down   stop it and remove .lab/
#   make test       the whole suite: unit tests, then lab-backed tests
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NODE_DIR := $(shell scripts/setup-node.sh)
ifeq ($(NODE_DIR),)
$(error Node.js 24 could not be set up (scripts/setup-node.sh printed the reason above); nothing else can run without it)
endif
export PATH := $(NODE_DIR):$(PATH)
LAB_DIR ?= .lab
TOPOLOGY ?= examples/lab/default.yaml

.PHONY: help setup binaries typecheck crds chart-crds chart-crds-check charts-lint lab lab-down lab-status test test-unit test-lab bench image test-image

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

setup: node_modules/.installed ## install Node 24 and the npm dependencies

binaries: ## build (or find) kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kwok, helm, promtool and gitops-health
	tools/build-binaries.sh

typecheck: setup ## strict TypeScript check of src/, test/ and bench/
	node_modules/.bin/tsc -p tsconfig.json

crds: setup ## regenerate crds/, src/api/generated/ and the hub chart's CRD templates from the schema source
	node src/api/generate.ts
	node src/api/chart-crds.ts

chart-crds: setup ## copy crds/ into the hub chart as templates (charts/suanwang/templates/crds/)
	node src/api/chart-crds.ts

chart-crds-check: setup ## fail when the hub chart's CRD templates differ from crds/
	node src/api/chart-crds.ts --check

charts-lint: binaries ## helm lint both charts with their example values
	@helm=$$(tools/build-binaries.sh --print-dir)/helm; kv=$$(grep KUBERNETES_VERSION tools/versions.env | cut -d= -f2); \
	$$helm lint --strict --kube-version $$kv charts/suanwang; \
	for f in charts/suanwang/values-examples/*.yaml; do $$helm lint --strict --kube-version $$kv charts/suanwang -f $$f; done; \
	for f in charts/suanwang-agent/values-examples/*.yaml; do $$helm lint --strict --kube-version $$kv charts/suanwang-agent -f $$f; done

lab: setup binaries ## start the default lab federation in $(LAB_DIR) and print how to use it
	bin/suanwang.mjs lab up --topology $(TOPOLOGY) --dir $(LAB_DIR)

lab-down: setup ## stop the lab in $(LAB_DIR) and remove its state
	bin/suanwang.mjs lab down --dir $(LAB_DIR)

lab-status: setup ## list the lab's clusters, endpoints and node pools
	bin/suanwang.mjs lab status --dir $(LAB_DIR)

test-unit: setup ## unit tests (no Kubernetes)
	node_modules/.bin/vitest run --project unit

test-lab: setup binaries image ## lab-backed tests against real control planes (image.test.ts runs the built image)
	node_modules/.bin/vitest run --project lab

test: setup binaries typecheck image ## the whole suite: typecheck, image build, unit, then lab-backed tests
	node_modules/.bin/vitest run --project unit
	node_modules/.bin/vitest run --project lab

bench: setup binaries ## build the peer Kueue (cached), then every benchmark one after another (~1 h), into one table bench/results/bench-<date>-<commit>.md; BENCH_ARGS="--quick" or "--only=a,b" (see node bench/run-all.ts --help)
	@tools/build-kueue.sh >/dev/null || echo "make bench: Kueue could not be built (above); its rows will say 'not measured' with the reason"
	node bench/run-all.ts $(BENCH_ARGS)

image: setup ## build the container image (src/ compiled to JavaScript by tsconfig.build.json) without Docker into build/image/*.oci.tar (IMAGE_ARCHES="amd64 arm64" for both)
	image/build.sh

test-image: setup binaries image ## build the image, then run it: every --help inside it, the operator from it against a lab hub
	node_modules/.bin/vitest run --project lab test/lab/image.test.ts
