#!/usr/bin/env bash
# WebDriver test of the real app: sells a demo code end to end on the in-process
# sandbox supplier and saves a screenshot of the delivery screen.
#
#   src-tauri/tests/webdriver/run.sh [artifacts-dir]     # default: artifacts/
#
# Builds the UI and the app with the UI embedded (custom-protocol), then runs
# sell_demo_code.py under Xvfb and a private D-Bus session, through tauri-driver and
# WebKitWebDriver. Exits non-zero when the test fails.
#
# Needs: apt xvfb xauth dbus imagemagick webkit2gtk-driver (/usr/bin/WebKitWebDriver)
# and the Tauri build packages; `cargo install tauri-driver --locked --version ^2`; python3
# (standard library only). CODETILL_SKIP_BUILD=1 uses the binary already built.
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
here="$root/src-tauri/tests/webdriver"
out=$(mkdir -p "${1:-$root/artifacts}" && cd "${1:-$root/artifacts}" && pwd)

if [[ -z "${CODETILL_WEBDRIVER_INNER:-}" ]]; then
  for tool in xvfb-run dbus-run-session python3 import; do
    command -v "$tool" >/dev/null || { echo "webdriver: $tool is missing" >&2; exit 2; }
  done
  [[ -x /usr/bin/WebKitWebDriver ]] || { echo "webdriver: /usr/bin/WebKitWebDriver is missing (apt webkit2gtk-driver)" >&2; exit 2; }
  command -v tauri-driver >/dev/null || [[ -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]] ||
    { echo "webdriver: tauri-driver is missing (cargo install tauri-driver --locked --version ^2)" >&2; exit 2; }
  if [[ -z "${CODETILL_SKIP_BUILD:-}" ]]; then
    npm --prefix "$root/ui" run build >/dev/null
    (cd "$root" && cargo build -p codetill-app --features tauri/custom-protocol)
  fi
  exec env CODETILL_WEBDRIVER_INNER=1 xvfb-run -a -s "-screen 0 1280x900x24" \
    dbus-run-session -- "$0" "$out"
fi

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
work=$(mktemp -d)
driver=""
cleanup() {
  if [[ -n "$driver" ]]; then kill "$driver" 2>/dev/null || true; wait "$driver" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The app runs in demo mode on a throwaway data folder; the webview's own storage
# (the chosen language) goes under the XDG dirs.
export CODETILL_DEMO=1 CODETILL_DATA_DIR="$work/data" CODETILL_STAFF=webdriver \
  XDG_DATA_HOME="$work/xdg-data" XDG_CACHE_HOME="$work/xdg-cache" XDG_CONFIG_HOME="$work/xdg-config" \
  NO_AT_BRIDGE=1 WEBKIT_DISABLE_COMPOSITING_MODE=1 RUST_LOG="${RUST_LOG:-info}"
export CODETILL_APP_BIN="${CODETILL_APP_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/codetill-app}" ARTIFACTS="$out"

port="${WEBDRIVER_PORT:-4444}"
log="$out/webdriver.log"
tauri-driver --port "$port" --native-port "$((port + 1))" --native-driver /usr/bin/WebKitWebDriver >"$log" 2>&1 &
driver=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/status" >/dev/null 2>&1 && break
  sleep 0.1
done

WEBDRIVER_URL="http://127.0.0.1:$port" python3 "$here/sell_demo_code.py"
