#!/usr/bin/env bash
# Backs up a compact-tracker store: the event log is the only thing that matters (read models are
# rebuilt from it with `compact-tracker rebuild`). Verifies the copy's hash chain.
#
#   ops/backup.sh sqlite data/compact-tracker.db backups/       # online SQLite backup (.backup)
#   ops/backup.sh postgres postgres://user@host/db backups/     # pg_dump of the events tables
set -euo pipefail

kind=${1:?sqlite or postgres}
source=${2:?database file or URL}
target=${3:?backup directory}
mkdir -p "$target"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
case "$kind" in
    sqlite)
        file="$target/compact-tracker-$stamp.db"
        sqlite3 "$source" ".backup '$file'"
        compact-tracker --database-url "sqlite://$file" verify
        ;;
    postgres)
        file="$target/compact-tracker-$stamp.dump"
        pg_dump --format=custom --table=events --table=idempotency_keys --table=api_tokens \
            --table=read_generations --table=_sqlx_migrations "$source" >"$file"
        ;;
    *) echo "kind must be sqlite or postgres" >&2; exit 2 ;;
esac
echo "backup written: $file"
