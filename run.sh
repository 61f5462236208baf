#!/usr/bin/env bash
# Installs what is missing, builds, starts the sandbox supplier with demo data and
# syncs its catalog through the CLI, then opens the app in DEMO mode (its own
# in-process sandbox; demo sales are marked DEMO). With no display, stops after the
# CLI's catalog search.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh

npm --prefix ui run build
cargo build -p codetill-cli
data="${CODETILL_DATA_DIR:-$PWD/.demo}"
port="${CODETILL_SANDBOX_PORT:-8700}"
codetill=target/debug/codetill

"$codetill" sandbox --listen "127.0.0.1:$port" --products 5000 &
sandbox=$!
trap 'kill $sandbox 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$port/_sandbox/counters" >/dev/null 2>&1 && break
  sleep 0.1
done

export CODETILL_DATA_DIR="$data"
export CODETILL_SUPPLIER_URL="http://127.0.0.1:$port"
export CODETILL_SUPPLIER_KEY="sandbox-key"
"$codetill" init
"$codetill" sync
echo
echo "\$ codetill search \"steam 20\""
"$codetill" search "steam 20" --limit 8

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  cargo build -p codetill-app --features tauri/custom-protocol
  echo
  echo "Opening codetill in DEMO mode: the sandbox supplier runs inside the app…"
  CODETILL_DEMO=1 target/debug/codetill-app
else
  echo
  echo "No display here, so the desktop app was not opened. The demo data is in $data;"
  echo "try: CODETILL_DATA_DIR=$data $codetill search \"google play\""
fi
