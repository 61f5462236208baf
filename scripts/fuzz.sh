#!/usr/bin/env bash
# Runs each fuzz target (fuzz/: webhooks per provider, relayed events, the
# supplier's JSON, receipts, money) for SECONDS in turn (default 600) and prints
# one line per target: cases run, time, crashes and failures. Found inputs are
# saved in fuzz/corpus/<target>/ and replayed by `cargo test` from then on.
#   scripts/fuzz.sh [SECONDS] [TARGET…]     (scripts/fuzz.sh 0 list: the targets)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-600}"
shift || true
if [ "${1:-}" = "list" ]; then
  set -- list
  seconds=""
fi

cargo build -p codetill-fuzz --locked --quiet
exec "${CARGO_TARGET_DIR:-target}/debug/codetill-fuzz" ${seconds:+"$seconds"} "$@"
