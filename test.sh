#!/usr/bin/env bash
# The whole test suite: lints, the UI's tests, every Rust test (unit, integration
# against the sandbox supplier over loopback, the CLI as a process).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }

step "ui: type check, tests, build"
npm --prefix ui run check
npm --prefix ui test
npm --prefix ui run build

step "rust: format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "rust: build (binaries the process tests run)"
cargo build --workspace --bins --locked

step "rust: tests"
cargo test --workspace --locked
