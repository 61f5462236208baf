#!/usr/bin/env bash
# The release bundles: a .deb (its dependencies declared, a desktop entry, icons at
# every size) and an AppImage, built by the Tauri CLI (tauri-cli from crates.io,
# pinned below), the UI built first by tauri.conf.json's beforeBuildCommand so a
# bundle never ships a stale one. A release build: long here (about 15 minutes on 2
# cores the first time), so it is its own script, not part of ./test.sh.
#
#   scripts/package.sh                 # bundles in $CARGO_TARGET_DIR/release/bundle/
#   scripts/package-test.sh            # installs the .deb into a throwaway root and starts it
#
# Signed updates: with CODETILL_UPDATER_PUBKEY (scripts/updater-key.sh prints it) the
# app trusts that release key; with CODETILL_RELEASE_KEY (the secret key's file) the
# AppImage is signed too, and with CODETILL_RELEASE_URL (where the bundle will be
# served) a latest.json manifest is written beside it. Without a public key the build
# cannot update itself (Settings → Updates says so).
#
# The AppImage: Tauri's bundler needs linuxdeploy and its GTK plugin, which it fetches
# from GitHub into ~/.cache/tauri on first use; where GitHub cannot be reached, put
# them there beforehand, or pass BUNDLES=deb to build the .deb alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
TAURI_CLI_VERSION=2.11.2
BUNDLES=${BUNDLES:-deb,appimage}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

if [[ "$(cargo tauri --version 2>/dev/null || true)" != "tauri-cli $TAURI_CLI_VERSION" ]]; then
  cargo install tauri-cli --version "=$TAURI_CLI_VERSION" --locked
fi
scripts/setup.sh >/dev/null
if [[ -z "${CODETILL_UPDATER_PUBKEY:-}" ]]; then
  echo "note: no CODETILL_UPDATER_PUBKEY: this build will not be able to update itself" >&2
fi

started=$(date +%s)
(cd src-tauri && cargo tauri build --bundles "$BUNDLES" --ci)
echo "built in $(( $(date +%s) - started )) s"

bundle="$CARGO_TARGET_DIR/release/bundle"
version=$(cargo metadata --no-deps --format-version 1 \
  | python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="codetill-app"))')
appimage=$(ls "$bundle"/appimage/*.AppImage 2>/dev/null | head -1 || true)
if [[ -n "$appimage" && -n "${CODETILL_RELEASE_KEY:-}" ]]; then
  cargo run --quiet --locked -p codetill-release -- sign "$appimage" --version "$version" --key "$CODETILL_RELEASE_KEY"
  if [[ -n "${CODETILL_RELEASE_URL:-}" ]]; then
    cargo run --quiet --locked -p codetill-release -- manifest --version "$version" \
      --url "${CODETILL_RELEASE_URL%/}/$(basename "$appimage")" --sig "$appimage.sig" \
      --notes "See CHANGELOG.md" >"$bundle/appimage/latest.json"
  fi
fi
echo "bundles (bytes):"
find "$bundle" -maxdepth 2 -type f \( -name '*.deb' -o -name '*.AppImage' -o -name '*.sig' -o -name 'latest.json' \) \
  -printf '  %s\t%p\n'
