#!/usr/bin/env bash
# Screenshots of the real app window under Xvfb, in demo mode (CODETILL_DEMO=1: the
# in-process sandbox supplier and its synced catalog): a cash sale of "steam 20" —
# the counter with the live quote and the change, then the delivery screen — in
# English and in Hindi.
#
#   npm --prefix ui run build
#   cargo build -p codetill-app --features tauri/custom-protocol
#   src-tauri/scripts/screenshot.sh [out-dir]        # default: artifacts/
#
# Needs (apt) xvfb, xdotool, imagemagick, dbus. The binary must embed the UI
# (custom-protocol): a plain debug build would load the dev server instead.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mkdir -p "${1:-$root/artifacts}" && cd "${1:-$root/artifacts}" && pwd)
bin=${CODETILL_APP_BIN:-$root/target/debug/codetill-app}

if [[ -z "${CODETILL_SCREENSHOT_INNER:-}" ]]; then
  exec env CODETILL_SCREENSHOT_INNER=1 xvfb-run -a -s "-screen 0 1200x800x24" dbus-run-session -- "$0" "$out"
fi

data=$(mktemp -d)
log="$out/app.log"
app=""
cleanup() {
  if [[ -n "$app" ]]; then kill "$app" 2>/dev/null || true; wait "$app" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT
# XDG dirs too: the webview keeps its own storage (the chosen language) under them.
export CODETILL_DEMO=1 CODETILL_DATA_DIR="$data" XDG_DATA_HOME="$data/xdg-data" XDG_CACHE_HOME="$data/xdg-cache" \
  XDG_CONFIG_HOME="$data/xdg-config" NO_AT_BRIDGE=1 WEBKIT_DISABLE_COMPOSITING_MODE=1

"$bin" >"$log" 2>&1 &
app=$!
win=$(timeout 30 xdotool search --sync --name '^codetill$' | head -n1)
# The demo starts the sandbox and syncs its catalog before the counter shows.
for _ in $(seq 1 100); do grep -q "demo: catalog synced" "$log" && break; sleep 0.2; done
sleep 2
xdotool windowfocus --sync "$win" 2>/dev/null || true

sell() { # $1: name prefix
  xdotool type --delay 60 'steam 20'
  sleep 1
  xdotool key Return
  sleep 1.5
  xdotool type --delay 60 '100'
  sleep 0.7
  import -window root "$out/$1-counter.png"
  xdotool key Return
  sleep 2
  import -window root "$out/$1-delivery.png"
  xdotool key Return # next sale
  sleep 0.7
}

sell en
# Hindi: the header switch (top right), then the same sale.
xdotool mousemove 1122 33 click 1
sleep 0.5
xdotool mousemove 600 790
xdotool key F2
sell hi

echo "screenshots: $out/{en,hi}-{counter,delivery}.png (app log: $log)"
