#!/usr/bin/env bash
# The raw limit for a rebuild: how fast the database itself copies the rows a rebuild wrote, with
# the same primary keys and no secondary indexes (as a build writes them), inside one engine, with
# no client in between. Run it on a generation `compact-tracker rebuild` just made, and compare
# rows/s with the rebuild's (benches/read_load.sh prints both).
#
#   benches/raw_rows.sh sqlite FILE.read-gN.db
#   benches/raw_rows.sh postgres postgres://…/db read_gN
set -euo pipefail
tables="commitment_versions commitment_links commitment_status progress_reports mechanisms"

case ${1:-} in
sqlite)
    generation=$2
    copy=$(mktemp -d)/raw.db
    {
        echo "pragma journal_mode = wal; pragma synchronous = normal; pragma cache_size = -131072;"
        echo "attach '$generation' as g;"
        for table in $tables; do
            sqlite3 "$generation" "select sql from sqlite_master where type = 'table' and name = '$table'"
            echo ";"
        done
        echo ".timer on"
        echo "begin;"
        for table in $tables; do echo "insert into main.$table select * from g.$table;"; done
        echo "commit;"
        echo ".timer off"
        for table in $tables; do echo "select '$table', count(*) from main.$table;"; done
    } | sqlite3 "$copy" | grep -v '^wal$' | grep -v 'real 0.000'
    rm -rf "$(dirname "$copy")"
    ;;
postgres)
    url=$2 schema=$3
    {
        echo "drop schema if exists raw_copy cascade; create schema raw_copy;"
        for table in $tables; do
            echo "create table raw_copy.$table (like $schema.$table including defaults including constraints);"
            echo "alter table raw_copy.$table add primary key (
                $(psql "$url" -Atc "select string_agg(a.attname, ', ' order by array_position(i.indkey, a.attnum))
                  from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
                  where i.indrelid = '$schema.$table'::regclass and i.indisprimary"));"
        done
        echo "\\timing on"
        echo "begin;"
        for table in $tables; do echo "insert into raw_copy.$table select * from $schema.$table;"; done
        echo "commit;"
        echo "\\timing off"
        for table in $tables; do echo "select '$table', count(*) from raw_copy.$table;"; done
        echo "drop schema raw_copy cascade;"
    } | psql "$url" -q -At
    ;;
*)
    echo "usage: $0 sqlite FILE | $0 postgres URL SCHEMA" >&2
    exit 2
    ;;
esac
