#!/usr/bin/env bash
# Context for benches/store.rs: PostgreSQL's own C client (pgbench) inserting the same kind of
# ~300-byte JSON row (built server-side) into a bare table, one row per transaction (prepared
# statements), from 1 and 16 clients, ~10 s each.
# It shows what the server and disk allow without any Rust client in the way.
#
# Usage: benches/pgbench.sh [seconds]   (uses PGHOST/PGPORT/PGUSER, default 127.0.0.1:5432 postgres)
set -euo pipefail

seconds="${1:-10}"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
pgbench="$(command -v pgbench || true)"
if [ -z "$pgbench" ]; then
    echo "pgbench not found; skipped" >&2
    exit 0
fi

db="ct_pgbench_$$"
work="$(mktemp -d)"
cleanup() {
    psql -q -d postgres -c "drop database if exists $db with (force)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

psql -q -d postgres -c "create database $db"
psql -q -d "$db" -c "create table raw_events (
    id bigserial primary key,
    stream_id text not null,
    event_id uuid not null,
    event_type text not null,
    schema_version integer not null,
    payload jsonb not null,
    metadata jsonb not null,
    recorded_at timestamptz not null default now())"

cat >"$work/insert.sql" <<'SQL'
\set value random(0, 1000)
insert into raw_events (stream_id, event_id, event_type, schema_version, payload, metadata)
values ('commitment-' || :client_id, gen_random_uuid(), 'progress_reported', 1,
        jsonb_build_object('commitment_id', gen_random_uuid(), 'indicator', 'sdg-10.7.2',
            'objective', 5, 'period', '2026-Q3', 'value', :value / 10.0, 'unit', 'percent',
            'status', 'on_track',
            'narrative', 'Bilateral labour-mobility pilot extended to two further regions; placements up on the previous quarter.',
            'evidence', jsonb_build_array('https://example.org/evidence/' || :client_id || '/' || :value || '.pdf')),
        jsonb_build_object('token_id', 'tok-bench', 'role', 'reporter', 'correlation_id', gen_random_uuid()));
SQL

for clients in 1 16; do
    printf 'pgbench, 1 row per transaction, %2d client(s), %ss: ' "$clients" "$seconds"
    "$pgbench" -n -M prepared -c "$clients" -j 2 -T "$seconds" -f "$work/insert.sql" "$db" 2>&1 |
        grep -E '^tps' | sed -E 's/ \(without initial connection time\)//'
done
