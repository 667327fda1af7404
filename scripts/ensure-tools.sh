#!/usr/bin/env bash
# Installs, only when missing or at the wrong version, what building Seatkeeper needs:
# the wasm32 target, cargo-leptos 0.3.10, wasm-bindgen-cli at the exact version of the pinned
# wasm-bindgen crate, and the npm packages of end2end/ (Playwright, binaryen 132's wasm-opt).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [[ "$(cargo leptos --version 2>/dev/null || true)" != *" $CARGO_LEPTOS_VERSION"* ]]; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 12 minutes, once)"
  cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
fi

if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION"* ]]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Without --locked: its lock file wants a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [[ ! -f end2end/node_modules/.installed || end2end/package-lock.json -nt end2end/node_modules/.installed ]]; then
  say "installing end2end npm packages"
  (cd end2end && npm ci --no-audit --no-fund)
  touch end2end/node_modules/.installed
fi
