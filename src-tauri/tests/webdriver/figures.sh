#!/usr/bin/env bash
# The desktop app's figures (issue: cold start, idle memory, keystroke → results) on a
# release build with 100,000 products, under Xvfb and a private D-Bus session.
#
#   src-tauri/tests/webdriver/figures.sh            # PRODUCTS=100000 RUNS=5 by default
#
# Builds the UI, the release app with the UI embedded and the CLI; starts the sandbox
# supplier with PRODUCTS products, syncs them into a fresh data folder with the CLI,
# then runs figures.py (see there for what is measured and how). Needs what run.sh
# needs (xvfb-run, dbus-run-session, WebKitWebDriver, tauri-driver), and Debian's
# python3-gi for the baseline beside the idle memory (a bare WebKitGTK window).
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
here="$root/src-tauri/tests/webdriver"
export PRODUCTS="${PRODUCTS:-100000}" RUNS="${RUNS:-5}"

if [[ -z "${CODETILL_FIGURES_INNER:-}" ]]; then
  if [[ -z "${CODETILL_SKIP_BUILD:-}" ]]; then
    npm --prefix "$root/ui" run build >/dev/null
    (cd "$root" && cargo build --release -p codetill-app --features tauri/custom-protocol)
    (cd "$root" && cargo build -p codetill-cli)
  fi
  exec env CODETILL_FIGURES_INNER=1 xvfb-run -a -s "-screen 0 1280x900x24" \
    dbus-run-session -- "$0"
fi

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

codetill="${CARGO_TARGET_DIR:-$root/target}/debug/codetill"
port=$((20000 + RANDOM % 20000))
"$codetill" sandbox --listen "127.0.0.1:$port" --products "$PRODUCTS" >"$work/sandbox.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/_sandbox/counters" >/dev/null 2>&1 && break
  sleep 0.1
done

export CODETILL_DATA_DIR="$work/data" CODETILL_SUPPLIER_URL="http://127.0.0.1:$port" \
  CODETILL_SUPPLIER_KEY="sandbox-key" \
  CODETILL_STAFF=figures XDG_DATA_HOME="$work/xdg-data" XDG_CACHE_HOME="$work/xdg-cache" \
  XDG_CONFIG_HOME="$work/xdg-config" NO_AT_BRIDGE=1 WEBKIT_DISABLE_COMPOSITING_MODE=1 \
  RUST_LOG=info
"$codetill" init >/dev/null
"$codetill" sync >/dev/null
# An owner, so that the app opens on the PIN pad (figures.py signs in with this PIN).
echo 2468 | "$codetill" staff add figures --role owner --pin-stdin >/dev/null
echo "synced $PRODUCTS products from the sandbox" >&2

export CODETILL_APP_BIN="${CARGO_TARGET_DIR:-$root/target}/release/codetill-app" ARTIFACTS="$work/artifacts"
wport=$((port + 1))
tauri-driver --port "$wport" --native-port "$((wport + 1))" --native-driver /usr/bin/WebKitWebDriver \
  >"$work/webdriver.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$wport/status" >/dev/null 2>&1 && break
  sleep 0.1
done
WEBDRIVER_URL="http://127.0.0.1:$wport" python3 "$here/figures.py"
