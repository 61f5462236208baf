#!/usr/bin/env bash
# Dependencies against the RustSec advisory database: a vulnerability, an unsound or a
# yanked crate fails; .cargo/audit.toml lists (and explains) the few advisories the
# project cannot act on. The live database is used when GitHub answers, else the
# snapshot kept in scripts/audit/advisory-db.tar.gz (refresh it with
# `scripts/audit.sh --refresh PATH-TO-ADVISORY-DB-CLONE`).
set -euo pipefail
cd "$(dirname "$0")/.."
snapshot=scripts/audit/advisory-db.tar.gz

if [[ "${1:-}" == "--refresh" ]]; then
    git -C "$2" archive HEAD crates | gzip -9 > "$snapshot"
    echo "snapshot refreshed from $2 ($(git -C "$2" log -1 --format=%cs))"
    exit 0
fi

command -v cargo-audit >/dev/null || cargo install cargo-audit --locked --version 0.22.2

# RUSTSEC-2023-0071 (rsa) is ignored because rsa is only named in Cargo.lock, never
# built: the day something builds it, this check fails instead.
if cargo tree --workspace --target all -e normal,build -i rsa 2>/dev/null | grep -q '^rsa'; then
    echo "audit: rsa is now built; RUSTSEC-2023-0071 applies and may no longer be ignored" >&2
    exit 1
fi

db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
if timeout 60 git clone --quiet --depth 1 https://github.com/rustsec/advisory-db "$db/live" 2>/dev/null; then
    path="$db/live"
else
    echo "audit: GitHub not reachable, using the snapshot in $snapshot"
    tar -xzf "$snapshot" -C "$db"
    path="$db"
fi
cargo audit --db "$path" --no-fetch --stale --deny unsound --deny yanked
