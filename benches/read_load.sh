#!/usr/bin/env bash
# Read-side benchmark at scale: loads the demo history (default 1,000,000 events) into a fresh
# store on each backend, times `compact-tracker rebuild` from position 0 (events/s), then measures
# read latency (p50/p99) of the progress and commitments routes and of the dashboard pages with 32
# concurrent clients (wrk), and each page's size; then the main reads again while a reporter logs
# one progress update a second.
#
#   benches/read_load.sh [EVENTS] [SECONDS]     (default 1000000, 20)
#
# Needs wrk, and PostgreSQL on 127.0.0.1:5432 (user postgres). Builds the release binary.
set -euo pipefail

cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "benches/read_load.sh needs wrk (Debian: apt-get install wrk)" >&2; exit 1; }
events=${1:-1000000}
seconds=${2:-20}
pg=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
port=18081
cargo build --release -q
binary=$PWD/target/release/compact-tracker
work=$(mktemp -d)
trap 'pkill -f "serve --listen 127.0.0.1:$port" 2>/dev/null || true; rm -rf "$work"' EXIT

run() { # $1 = label, $2 = database url
    local label=$1 url=$2
    echo "== $label: demo --events $events"
    (cd "$work" && DATABASE_URL=$url "$binary" demo --events "$events" --quiet)
    echo "== $label: rebuild from position 0"
    (cd "$work" && DATABASE_URL=$url "$binary" rebuild --quiet) | sed "s/^/RESULT $label rebuild: /"
    (cd "$work" && DATABASE_URL=$url RUST_LOG=warn "$binary" serve --listen 127.0.0.1:$port >"$work/$label.log" 2>&1 &)
    for _ in $(seq 1 600); do
        curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
        sleep 0.5
    done
    curl -s "http://127.0.0.1:$port/readyz"; echo
    # The server walks the hash chain once at start; /audit waits for that walk, so time it
    # first, then measure every route on an idle server.
    curl -s -o /dev/null -w "first /audit after start (waits for the start-up chain walk): %{time_total}s\n" "http://127.0.0.1:$port/audit"
    local commitment mechanism
    commitment=$(curl -s "http://127.0.0.1:$port/v1/commitments?limit=1" | sed 's/.*"items":\[{"id":"\([^"]*\)".*/\1/')
    mechanism=$(curl -s "http://127.0.0.1:$port/v1/commitments?limit=1" | sed 's/.*"mechanism_id":"\([^"]*\)".*/\1/')
    for route in \
        "/v1/progress/objectives" \
        "/v1/progress/sdg-targets" \
        "/v1/commitments?objective=23&limit=50" \
        "/v1/progress/objectives?as_of=2022-05-20&known_at=2022-05-20T23:59:59Z" \
        "/v1/mechanisms" \
        "/" \
        "/objectives/23" \
        "/sdg-targets/10.7" \
        "/mechanisms/$mechanism" \
        "/commitments/$commitment" \
        "/changes" \
        "/audit"; do
        curl -s -o /dev/null -w "cold (first request) $route: %{http_code} %{size_download} bytes %{time_total}s\n" "http://127.0.0.1:$port$route"
        PATHS=$route wrk -t2 -c32 -d"${seconds}s" --latency -s benches/http/get.lua "http://127.0.0.1:$port" \
            | grep RESULT | sed "s|^RESULT|RESULT $label ${route//&/\\&}|"
    done
    # The same reads while a reporter logs one progress update a second: every write moves the
    # log, so this shows what readers see when answers must follow it (refreshed before they are
    # published) rather than an idle server's kept answers.
    local token writing
    token=$(cd "$work" && DATABASE_URL=$url "$binary" token create --role admin 2>/dev/null | tail -1)
    writing=$(curl -s "http://127.0.0.1:$port/v1/commitments?status=in_progress&limit=1" | sed 's/.*"items":\[{"id":"\([^"]*\)".*/\1/')
    for route in "/v1/progress/objectives" "/" "/objectives/23" "/changes"; do
        local writer
        (
            for percent in $(seq 1 $((seconds + 5))); do
                curl -s -o /dev/null -X POST -H "authorization: Bearer $token" -H 'content-type: application/json' \
                    -d "{\"status\":\"in_progress\",\"effective_date\":\"$(date -u +%F)\",\"percent_complete\":$((percent % 100)),\"narrative\":\"benchmark write\"}" \
                    "http://127.0.0.1:$port/v1/commitments/$writing/progress"
                sleep 1
            done
        ) &
        writer=$!
        PATHS=$route wrk -t2 -c32 -d"${seconds}s" --latency -s benches/http/get.lua "http://127.0.0.1:$port" \
            | grep RESULT | sed "s|^RESULT|RESULT $label ${route//&/\\&} (1 write/s)|"
        kill "$writer" 2>/dev/null || true
        wait "$writer" 2>/dev/null || true
        curl -s "http://127.0.0.1:$port/readyz" | sed "s|^|RESULT $label readyz after writes: |"; echo
    done
    pkill -f "serve --listen 127.0.0.1:$port" || true
    sleep 1
}

run sqlite "sqlite://$work/data/demo.db"
db=bench_read_$$
psql "$pg/postgres" -qc "create database $db"
run postgres "$pg/$db"
psql "$pg/postgres" -qc "drop database $db with (force)"
