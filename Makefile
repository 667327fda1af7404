# Seatkeeper's commands. `make run` starts the product, `make test` runs every test.
# Each target installs what it needs (idempotently) through scripts/ensure-tools.sh.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# wasm-opt (binaryen 132 from npm) and the Playwright CLI come from end2end/node_modules;
# cargo-leptos and wasm-bindgen from ~/.cargo/bin.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

DEMO_DATABASE_URL ?= sqlite://data/seatkeeper.db

.PHONY: help tools run build test lint test-rust test-sdk test-fuzz e2e bench size clean-test-databases

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

tools: ## Install the build tools (wasm target, cargo-leptos, wasm-bindgen, npm packages)
	@scripts/ensure-tools.sh

run: tools ## Build and start the server with a demo organization on the embedded SQLite database
	cargo leptos build --split
	LEPTOS_SITE_ROOT=target/site target/debug/seatkeeper serve --demo --database-url "$(DEMO_DATABASE_URL)"

build: tools ## Release build: target/release/seatkeeper and target/site/
	cargo leptos build --release --split
	@echo "Built target/release/seatkeeper and target/site/ (see README: Running the release build)"

test: lint test-rust test-sdk test-fuzz e2e ## Everything: lints, Rust tests and Polar SDK tests on SQLite and PostgreSQL, browser tests on the release build
	@scripts/test-summary.sh

# A fresh `make test` forgets an earlier run's skipped PostgreSQL tests.
$(shell rm -f target/postgres-skipped)

lint: tools ## cargo fmt --check and clippy (server and wasm sides) with warnings as errors
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

test-rust: tools ## Rust unit, contract and API tests on SQLite and PostgreSQL
	@scripts/test-rust.sh

test-sdk: build ## The official Polar Python SDK as a client of the release build, on both databases
	@scripts/test-sdk.sh

test-fuzz: test-sdk ## Schemathesis fuzzes every documented operation; any 5xx fails
	@scripts/test-api-fuzz.sh

e2e: build ## Playwright tests in Debian's Chromium against the release build
	@scripts/ensure-chromium.sh
	cd end2end && npx playwright test

bench: ## Load benchmark of the seats API on SQLite and PostgreSQL with reference points (target/bench/seats_load.md)
	cargo bench -p server --bench seats_load

size: build ## What a browser downloads on a first visit to each page (wasm, its chunks, js, css; raw, gzip, brotli)
	node scripts/first-load-size.mjs

clean-test-databases: ## Drop PostgreSQL databases left behind by interrupted test runs
	@scripts/clean-test-databases.sh
