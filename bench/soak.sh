#!/usr/bin/env bash
# The memory soak of docs/performance.md: starts Huddle's release build on a
# fresh store, runs `huddle-load soak` against it, stops it.
#
#   bench/soak.sh sqlite  [MINUTES] [RATE]   one node, embedded SQLite
#   bench/soak.sh cluster [MINUTES] [RATE]   two nodes, PostgreSQL + Redis
#
# MINUTES defaults to 30 (sqlite) or 15 (cluster); RATE is messages/s per
# sender (50 senders, 500 clients in 10 rooms: 20 gives 50,000
# deliveries/s). Extra huddle-load soak options go in SOAK_ARGS (e.g.
# SOAK_ARGS="--warmup 120 --bound 1"). The servers run as configured by
# default but for the send limits, raised for the load (as every chat
# benchmark here does); their logs and the JSON results go to $OUT
# (default target/soak). Needs: cargo build --release -p huddle --features
# ssr --bin huddle -p huddle-bench --bin huddle-load; for `cluster`,
# PostgreSQL and Redis on their standard local ports.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-sqlite}
rate=${3:-20}
case "$mode" in
  sqlite) minutes=${2:-30} ;;
  cluster) minutes=${2:-15} ;;
  *) echo "usage: $0 sqlite|cluster [MINUTES] [RATE]" >&2; exit 2 ;;
esac
out=${OUT:-target/soak}
mkdir -p "$out"
bin=target/release/huddle
load=target/release/huddle-load
for b in "$bin" "$load"; do
  [ -x "$b" ] || { echo "$b is missing: build it first (see the top of $0)" >&2; exit 2; }
done

export HUDDLE_SEND_LIMIT=1000/s:1000 HUDDLE_CLIENT_SEND_LIMIT=1000/s:1000
export HUDDLE_JWT_SECRET=${HUDDLE_JWT_SECRET:-soak-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

start_node() { # port metrics-port log, then the environment
  local port=$1 metrics=$2 log=$3
  shift 3
  env "$@" HUDDLE_ADDR="127.0.0.1:$port" HUDDLE_METRICS_ADDR="127.0.0.1:$metrics" "$bin" >"$log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "the node on port $port did not become ready; see $log" >&2
  exit 1
}

case "$mode" in
  sqlite)
    data=$(mktemp -d)
    start_node 3311 9471 "$out/sqlite.log" HUDDLE_DATA_DIR="$data"
    urls=http://127.0.0.1:3311
    ;;
  cluster)
    db=huddle_soak
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    common=(HUDDLE_DATABASE_URL="postgres://postgres@127.0.0.1/$db"
            HUDDLE_REDIS_URL=redis://127.0.0.1:6379 HUDDLE_CLUSTER_NAME="soak-$$")
    start_node 3311 9471 "$out/node1.log" "${common[@]}"
    start_node 3312 9472 "$out/node2.log" "${common[@]}"
    urls=http://127.0.0.1:3311,http://127.0.0.1:3312
    ;;
esac

server_pids=$(IFS=,; echo "${pids[*]}")
# shellcheck disable=SC2086
"$load" --url "$urls" --server-pid "$server_pids" --threads 2 --label "soak-$mode" \
  --json "$out/soak-$mode.json" \
  soak --clients 500 --rooms 10 --senders 50 --rate "$rate" --duration $((minutes * 60)) ${SOAK_ARGS:-}
