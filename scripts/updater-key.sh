#!/usr/bin/env bash
# Makes the release key pair the app's updater trusts, once, outside the repository
# (default ~/.config/codetill-release/; never commit the .key file). Prints the public
# key: the release build takes it as CODETILL_UPDATER_PUBKEY (scripts/package.sh), and
# `codetill-release sign` signs each bundle with the secret key.
#
#   scripts/updater-key.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
args=(keygen)
[[ $# -gt 0 ]] && args+=(--dir "$1")
cargo run --quiet --locked -p codetill-release -- "${args[@]}"
