#!/usr/bin/env bash
# Screenshots of the real app window under Xvfb, on a fresh database holding the demo
# catalog (src-tauri/tests/fixtures/counter-demo.sql): the counter showing a quote, in
# English and in Hindi.
#
#   npm --prefix ui run build
#   cargo build -p codetill-app --features tauri/custom-protocol
#   src-tauri/scripts/screenshot.sh [out-dir]        # default: artifacts/
#
# Needs (apt) xvfb, xdotool, imagemagick, sqlite3. The binary must embed the UI
# (custom-protocol): a plain debug build would load the dev server instead.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mkdir -p "${1:-$root/artifacts}" && cd "${1:-$root/artifacts}" && pwd)
bin=${CODETILL_APP_BIN:-$root/target/debug/codetill-app}

if [[ -z "${CODETILL_SCREENSHOT_INNER:-}" ]]; then
  exec env CODETILL_SCREENSHOT_INNER=1 xvfb-run -a -s "-screen 0 1200x800x24" "$0" "$out"
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
export CODETILL_DATA_DIR="$data" XDG_DATA_HOME="$data/xdg-data" XDG_CACHE_HOME="$data/xdg-cache" \
  XDG_CONFIG_HOME="$data/xdg-config" NO_AT_BRIDGE=1 WEBKIT_DISABLE_COMPOSITING_MODE=1
db="$data/codetill.db"

start_app() {
  "$bin" >>"$log" 2>&1 &
  app=$!
}
stop_app() {
  kill "$app"; wait "$app" 2>/dev/null || true; app=""
}

: >"$log"
# 1. The app creates and migrates the database at start; then load the demo catalog.
start_app
for _ in $(seq 1 100); do
  sqlite3 "$db" "SELECT 1 FROM products LIMIT 0" >/dev/null 2>&1 && break
  sleep 0.2
done
stop_app
sqlite3 "$db" <"$root/src-tauri/tests/fixtures/counter-demo.sql"

# 2. Start it for real and wait for the window to paint.
start_app
win=$(timeout 30 xdotool search --sync --name '^codetill$' | head -n1)
sleep 4
xdotool windowfocus --sync "$win" 2>/dev/null || true

# 3. English: search, arrow to the second result, Enter shows its quote.
xdotool type --delay 60 'steam'
sleep 1
xdotool key Down
xdotool key Return
sleep 1
import -window root "$out/counter-en.png"

# 4. Hindi: the header switch (top right), then the counter with a Hindi product.
xdotool mousemove 1122 33 click 1
sleep 0.5
xdotool mousemove 600 780
xdotool key F2
xdotool type --delay 60 'jio'
sleep 1
xdotool key Return
sleep 1
import -window root "$out/counter-hi.png"

echo "screenshots: $out/counter-en.png $out/counter-hi.png (app log: $log)"
