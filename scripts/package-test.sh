#!/usr/bin/env bash
# Installs the .deb from scripts/package.sh into a throwaway root (dpkg -x: nothing
# touches this machine's packages), checks what it declares and installs (its
# dependencies, the binary, the desktop entry, icons at every size), then starts the
# installed binary under Xvfb on an empty data folder and checks through WebDriver
# that its window draws the first-run screen. Prints the package sizes and the cold
# start.
#
#   scripts/package-test.sh [artifacts-dir]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$root/artifacts}" && cd "${1:-$root/artifacts}" && pwd)
bundle="${CARGO_TARGET_DIR:-$root/target}/release/bundle"

if [[ -z "${CODETILL_PACKAGE_INNER:-}" ]]; then
  deb=$(ls "$bundle"/deb/*.deb 2>/dev/null | head -1 || true)
  [[ -n "$deb" ]] || { echo "package-test: no .deb in $bundle/deb (scripts/package.sh first)" >&2; exit 2; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  fail() { echo "package-test: $*" >&2; exit 1; }

  depends=$(dpkg-deb -f "$deb" Depends)
  for d in libwebkit2gtk-4.1-0 libgtk-3-0; do
    grep -q "$d" <<<"$depends" || fail "Depends lacks $d: $depends"
  done
  dpkg-deb -x "$deb" "$work/root"
  bin="$work/root/usr/bin/codetill-app"
  [[ -x "$bin" ]] || fail "no /usr/bin/codetill-app in the package"
  desktop=$(ls "$work"/root/usr/share/applications/*.desktop 2>/dev/null | head -1 || true)
  [[ -n "$desktop" ]] || fail "no desktop entry"
  grep -q '^Exec=codetill-app' "$desktop" || fail "the desktop entry does not start codetill-app: $(cat "$desktop")"
  grep -q '^Icon=' "$desktop" || fail "the desktop entry names no icon"
  if command -v desktop-file-validate >/dev/null; then desktop-file-validate "$desktop"; fi
  for size in 32x32 64x64 128x128 256x256 512x512; do
    ls "$work"/root/usr/share/icons/hicolor/"$size"/apps/*.png >/dev/null 2>&1 \
      || fail "no $size icon: $(find "$work/root/usr/share/icons" -name '*.png')"
  done
  echo "deb: $(basename "$deb") $(stat -c %s "$deb") bytes; Depends: $depends"
  echo "installed: $(du -sb "$work/root" | cut -f1) bytes in $(find "$work/root" -type f | wc -l) files"
  for f in "$bundle"/appimage/*.AppImage; do
    [[ -e "$f" ]] && echo "AppImage: $(basename "$f") $(stat -c %s "$f") bytes"
  done

  export CODETILL_APP_BIN="$bin"
  exec env CODETILL_PACKAGE_INNER=1 WORK="$work" xvfb-run -a -s "-screen 0 1280x900x24" \
    dbus-run-session -- "$0" "$out"
fi

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
driver=""
trap '[[ -n "$driver" ]] && kill "$driver" 2>/dev/null; wait 2>/dev/null || true' EXIT
# A first start: no data folder, no demo, nothing in the keyring's way (a key file).
export CODETILL_DATA_DIR="$WORK/data" CODETILL_VAULT_KEY_FILE="$WORK/vault.key" \
  XDG_DATA_HOME="$WORK/xdg-data" XDG_CACHE_HOME="$WORK/xdg-cache" XDG_CONFIG_HOME="$WORK/xdg-config" \
  NO_AT_BRIDGE=1 WEBKIT_DISABLE_COMPOSITING_MODE=1 ARTIFACTS="$out"
port="${WEBDRIVER_PORT:-4454}"
tauri-driver --port "$port" --native-port "$((port + 1))" --native-driver /usr/bin/WebKitWebDriver \
  >"$out/package-webdriver.log" 2>&1 &
driver=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/status" >/dev/null 2>&1 && break
  sleep 0.1
done
WEBDRIVER_URL="http://127.0.0.1:$port" python3 "$root/src-tauri/tests/webdriver/installed.py"
# The log file the installed app keeps in its data folder.
ls "$CODETILL_DATA_DIR"/logs/codetill.*.log >/dev/null || { echo "package-test: no log file" >&2; exit 1; }
echo "package-test: passed"
