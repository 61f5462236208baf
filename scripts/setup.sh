#!/usr/bin/env bash
# Installs what building and testing codetill needs and is missing: Debian packages
# (Tauri's WebKitGTK stack, SQLite, Xvfb, fonts) and the UI's npm packages.
# Safe to repeat; does nothing when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # Tauri v2 on Linux
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev
  libsoup-3.0-dev libssl-dev pkg-config libdbus-1-dev build-essential
  # tests, benchmarks and screenshots
  sqlite3 curl xvfb xauth imagemagick fonts-noto-core
  # the UI's browser tests (Playwright drives Debian's Chromium) and the WebDriver
  # test of the real app (WebKitWebDriver under a private D-Bus session)
  chromium webkit2gtk-driver dbus-daemon
  # the relay's PostgreSQL mode (its tests start a throwaway cluster)
  postgresql
  # the relay's deployment checks (systemd-analyze verify, the compose file read)
  systemd python3-yaml
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for tool in cargo node npm; do
  command -v "$tool" >/dev/null || { echo "setup: $tool is required (Rust via rustup, Node 20+)" >&2; exit 1; }
done
rustup component list --installed 2>/dev/null | grep -q clippy || rustup component add clippy rustfmt

# The email tests start a real SMTP server on loopback (aiosmtpd, from PyPI).
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  echo "setup: installing aiosmtpd" >&2
  python3 -m pip install --quiet --disable-pip-version-check aiosmtpd 2>/dev/null ||
    python3 -m pip install --quiet --disable-pip-version-check --break-system-packages aiosmtpd
fi

# tauri-driver bridges WebDriver clients to WebKitWebDriver for the real-app test.
if ! command -v tauri-driver >/dev/null && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
  echo "setup: installing tauri-driver" >&2
  cargo install tauri-driver --locked --version '^2' --quiet
fi

# The UI's packages, exactly as locked.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: installing the UI's npm packages" >&2
  npm --prefix ui ci --no-audit --no-fund --loglevel=error
fi
