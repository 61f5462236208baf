#!/usr/bin/env bash
# The whole test suite: lints, the UI's tests, every Rust test (unit, integration
# against the sandbox supplier over loopback, the CLI as a process), the UI in
# Chromium, and the real app driven through WebDriver.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }

step "ui: type check, tests, build"
npm --prefix ui run check
npm --prefix ui test
npm --prefix ui run build
npm --prefix ui run e2e

step "rust: format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
python3 scripts/module-loops.py crates/relay/src
python3 scripts/module-loops.py crates/core/src --top

step "rust: dependency audit (RustSec advisories)"
scripts/audit.sh

step "rust: build (binaries the process tests run)"
cargo build --workspace --bins --locked

step "rust: tests"
cargo test --workspace --locked

step "rust: the engine's and the command line's suites again, on PostgreSQL (one server)"
CODETILL_E2E_DB=postgres cargo test --workspace --locked \
  --test orders --test order_race --test order_properties --test claims \
  --test baskets --test routing --test tax --test shifts --test catalog_sync \
  --test delivery --test support_bundle --test stock_cache --test open_amount \
  --test supplier_accounts --test remote --test reconcile --test cli_orders \
  --test cli_counter --test cli_staff --test cli_fx --test cli_routing

step "relay: deployment files (hadolint, systemd-analyze, compose)"
deploy/relay/check.sh

step "desktop: the real app under Xvfb, driven through WebDriver (a demo sale)"
src-tauri/tests/webdriver/run.sh artifacts
