#!/usr/bin/env bash
# Relay ingest throughput beside a non-durable baseline, under one load generator.
#
#   scripts/bench-relay-ingest.sh [--release] [--seconds N] [--no-pg]
#
# wrk (1 thread, 16 connections) posts Stripe-signed events, each with a new id
# (crates/relay/benches/wrk/stripe-events.lua), for N seconds (default 10) after a
# 2 s warm-up, to:
#   1. node-relay.js: a plain Node server that verifies the signature and keeps
#      events in memory (answers 200 at once; nothing durable);
#   2. codetill-relay serve on SQLite in a temp dir (200 only once committed);
#   3. codetill-relay serve on PostgreSQL (a throwaway cluster), if PostgreSQL is
#      installed and --no-pg is not given.
# It prints events/s for each and the ratio to the baseline, and fails if any
# answer was not 2xx or if the relay stored fewer events than it acknowledged.
# Needs wrk (apt-get install wrk), node and cargo; not part of ./test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=debug
seconds=10
pg=1
while (($#)); do
  case "$1" in
    --release) profile=release ;;
    --seconds) seconds=$2; shift ;;
    --no-pg) pg=0 ;;
    *) echo "usage: $0 [--release] [--seconds N] [--no-pg]" >&2; exit 2 ;;
  esac
  shift
done
for tool in wrk node cargo curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required (wrk: apt-get install wrk)" >&2; exit 1; }
done

benches=crates/relay/benches
lua=$benches/wrk/stripe-events.lua
secret=whsec_bench_$RANDOM$RANDOM
target_dir=${CARGO_TARGET_DIR:-target}
build=(cargo build -q -p codetill-relay --locked --bin codetill-relay)
# The relay as it ships to a server (Cargo.toml's `server` profile).
[ "$profile" = release ] && { build+=(--profile server); profile=server; }
echo "bench: building codetill-relay ($profile)" >&2
"${build[@]}"
relay_bin=$target_dir/$profile/codetill-relay

tmp=$(mktemp -d)
chmod 755 "$tmp" # the PostgreSQL cluster below may run as another user
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${pg_data:-}" ] && [ -d "$pg_data" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
export CODETILL_RELAY_MASTER_KEY RUST_LOG=codetill_relay=warn
CODETILL_RELAY_MASTER_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')

# Start "$@" with stdout to $1's log; wait for its "listening on ADDR" line.
started_addr=""
start() {
  local log=$1
  shift
  : >"$log"
  "$@" >>"$log" 2>"$log.err" &
  pids+=($!)
  local pid=$!
  for _ in $(seq 1 300); do
    started_addr=$(sed -n 's/.*listening on \([0-9.:]*\).*/\1/p' "$log" | head -n 1)
    [ -n "$started_addr" ] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log.err" >&2; echo "bench: $1 exited" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench: $1 did not start" >&2
  exit 1
}

# wrk against http://$1$2 for $3 seconds; sets `rate` (events/s) and `answered`.
load() {
  local out
  out=$(WEBHOOK_SECRET=$secret WEBHOOK_PATH=$2 wrk -t1 -c16 -d"$3"s --latency -s "$lua" "http://$1" -- selftest)
  if grep -q 'Non-2xx' <<<"$out"; then
    echo "$out" >&2
    echo "bench: some answers were not 2xx" >&2
    exit 1
  fi
  rate=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  answered=$(awk '/requests in/ {print $1}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
}

# Warm up, then measure; prints one line and sets `rate`.
measure() {
  local name=$1 addr=$2 path=$3
  load "$addr" "$path" 2
  load "$addr" "$path" "$seconds"
  printf '%-34s %9.0f events/s  (%s answered in %s s, p99 %s)\n' "$name" "$rate" "$answered" "$seconds" "$p99"
}

# Every answered event must be in the store: head cursor ≥ 2xx answers (wrk
# stops mid-request, so a few more may be stored than it counted).
check_stored() {
  local addr=$1 token=$2 at_least=$3 head
  head=$(curl -sf -H "Authorization: Bearer $token" "http://$addr/v1/status" |
    sed -n 's/.*"head_cursor":\([0-9]*\).*/\1/p')
  if [ -z "$head" ] || [ "$head" -lt "$at_least" ]; then
    echo "bench: the relay stored ${head:-?} events but answered $at_least with 2xx" >&2
    exit 1
  fi
}

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# One relay on store $2: a shop, a Stripe endpoint, `serve --rate 0`, wrk; then
# how many events each transaction carried (from /metrics).
bench_relay() {
  local name=$1 db=$2 shop endpoint token metrics
  shop=$("$relay_bin" --db "$db" shop add --name Bench --json)
  token=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$shop")
  endpoint=$(printf '%s\n' "$secret" |
    "$relay_bin" --db "$db" endpoint add --json --provider stripe \
      --shop "$(sed -n 's/.*"shop_id":"\([^"]*\)".*/\1/p' <<<"$shop")" |
    sed -n 's/.*"endpoint_id":"\([^"]*\)".*/\1/p')
  metrics=127.0.0.1:$(free_port)
  start "$tmp/$name.log" "$relay_bin" --db "$db" serve \
    --listen 127.0.0.1:0 --metrics-listen "$metrics" --rate 0
  measure "codetill-relay ($profile), $name" "$started_addr" "/in/$endpoint"
  local measured=$rate total=$answered
  check_stored "$started_addr" "$token" "$total"
  curl -sf "http://$metrics/metrics" | awk '
    $1 == "codetill_relay_commits_total" { commits = $2 }
    $1 == "codetill_relay_committed_events_total" { events = $2 }
    $1 == "codetill_relay_commit_seconds_total" { seconds = $2 }
    END { if (commits > 0) printf "%34s %9.1f events per transaction, %.2f ms per transaction\n", "", events / commits, seconds * 1000 / commits }'
  kill "${pids[-1]}"
  wait "${pids[-1]}" 2>/dev/null || true
  rate=$measured
}

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

echo "bench: wrk -t1 -c16, ${seconds} s per run after a 2 s warm-up; $(nproc) cores" >&2
# The baseline runs before and after the relays (the machine may be shared); the
# ratios are to the mean of the two.
baseline() {
  start "$tmp/node.log" node "$benches/node-relay.js" --port 0 --secret "$secret" --endpoint bench
  measure "node-relay.js (in memory), $1" "$started_addr" /in/bench
  kill "${pids[-1]}"
  wait "${pids[-1]}" 2>/dev/null || true
}
baseline first
baseline_first=$rate

# A durable 2xx waits for one fsync; with 16 senders no store can answer more
# than 16 events per fsync. What one costs on this disk now (4 KiB, O_DSYNC):
mkdir -p "$tmp/sqlite"
fsync_ms=$(dd if=/dev/zero of="$tmp/sqlite/fsync-probe" bs=4k count=200 oflag=dsync 2>&1 |
  awk '/copied/ { for (i = 1; i <= NF; i++) if ($i ~ /^s,?$/) t = $(i - 1); print t * 1000 / 200 }')
rm -f "$tmp/sqlite/fsync-probe"
printf '%-34s %9.2f ms (at most %.0f durable events/s from 16 senders)\n' \
  "one fsync on this disk" "$fsync_ms" "$(awk -v f="$fsync_ms" 'BEGIN { print 16000 / f }')"

bench_relay sqlite "sqlite://$tmp/sqlite/relay.db"
sqlite_rate=$rate

pg_rate=""
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ "$pg" = 1 ] && [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ]; then
  pg_data=$tmp/pg
  mkdir -p "$pg_data"
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$pg_data"; fi
  as_pg "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
  pg_port=$(free_port)
  # Durable settings (the defaults, said out loud): fsync, synchronous_commit on.
  as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/log" -w -o \
    "-p $pg_port -k $pg_data -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on" start >/dev/null
  as_pg "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc 'CREATE DATABASE relay' >/dev/null
  bench_relay postgres "postgres://postgres@127.0.0.1:$pg_port/relay"
  pg_rate=$rate
elif [ "$pg" = 1 ]; then
  echo "bench: no PostgreSQL under /usr/lib/postgresql: the Postgres run is left out" >&2
fi

baseline again
baseline=$(awk -v a="$baseline_first" -v b="$rate" 'BEGIN { print (a + b) / 2 }')

echo
echo "ratio to the non-durable baseline's mean, $(printf '%.0f' "$baseline") events/s ($(nproc) cores, wrk on the same machine):"
awk -v r="$sqlite_rate" -v b="$baseline" 'BEGIN { printf "  sqlite    %.2f x\n", r / b }'
if [ -n "$pg_rate" ]; then
  awk -v r="$pg_rate" -v b="$baseline" 'BEGIN { printf "  postgres  %.2f x\n", r / b }'
fi
