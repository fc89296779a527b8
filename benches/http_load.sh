#!/usr/bin/env bash
# HTTP load benchmark on loopback: progress updates per second with 16 concurrent clients on both
# backends (wrk), with p50/p99 latency, beside the raw one-row-per-transaction PostgreSQL rate
# (pgbench, 16 clients, one ~300-byte JSON row per transaction) measured in the same run.
#
#   benches/http_load.sh [SECONDS]        (default 20 per measurement)
#
# Needs wrk and pgbench (Debian: wrk, postgresql-client) and PostgreSQL on 127.0.0.1:5432 (user
# postgres). Builds the release binary. Prints one RESULT line per measurement.
set -euo pipefail

cd "$(dirname "$0")/.."
seconds=${1:-20}
pg=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
port=18080
cargo build --release -q
binary=target/release/compact-tracker
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

measure() { # $1 = label, $2 = database url
    local label=$1 url=$2
    (cd "$work" && DATABASE_URL=$url RUST_LOG=warn "$OLDPWD/$binary" serve --listen 127.0.0.1:$port >"$work/$label.log" 2>&1 &)
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    local token
    token=$(cd "$work" && DATABASE_URL=$url "$OLDPWD/$binary" token create --role admin 2>/dev/null | tail -1)
    curl -sf -X POST "http://127.0.0.1:$port/v1/mechanisms" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' \
        -d '{"id":"bali-process","name":"Bali Process","kind":"regional_consultative_process"}' >/dev/null
    local ids=""
    for n in $(seq 1 64); do
        ids="$ids $(curl -sf -X POST "http://127.0.0.1:$port/v1/commitments" -H "Authorization: Bearer $token" \
            -H 'Content-Type: application/json' \
            -d "{\"mechanism_id\":\"bali-process\",\"title\":\"Load $n\",\"description\":\"d\",\"gcm_objectives\":[1],\"made_on\":\"2020-01-01\"}" \
            | sed 's/.*"id":"\([^"]*\)".*/\1/')"
    done
    echo "== $label: wrk, 16 connections, ${seconds}s"
    TOKEN=$token COMMITMENTS=$ids wrk -t2 -c16 -d"${seconds}s" --latency -s benches/http/progress.lua \
        "http://127.0.0.1:$port" | grep -E "RESULT|Non-2xx|Socket errors" | sed "s/^RESULT/RESULT $label/"
    curl -s "http://127.0.0.1:$port/v1/audit/verify" | sed "s/^/verify $label: /"; echo
    kill "$(pgrep -f "serve --listen 127.0.0.1:$port")" 2>/dev/null || true
    sleep 1
}

measure sqlite "sqlite://$work/data/bench.db"

db=bench_http_$$
psql "$pg/postgres" -qc "create database $db"
measure postgres "$pg/$db"
psql "$pg/postgres" -qc "drop database $db with (force)"

base=bench_raw_$$
psql "$pg/postgres" -qc "create database $base"
psql "$pg/$base" -qc "create table raw_http_baseline (id bigserial primary key, payload jsonb not null)"
echo "== raw: pgbench, 16 clients, one ~300-byte JSON row per transaction, ${seconds}s"
pgbench -n -c 16 -j 2 -T "$seconds" -f benches/http/insert.sql "$pg/$base" 2>/dev/null \
    | grep -E "^tps" | sed 's/^/RESULT raw_pgbench /'
psql "$pg/postgres" -qc "drop database $base with (force)"
