//! The embedded SQLite backend: a single file, no server to install.
//!
//! One writer connection appends inside `BEGIN IMMEDIATE` (so the write lock is taken before
//! anything is read, and commit order equals position order); a small pool of reader connections
//! reads concurrently thanks to WAL. `synchronous=FULL` makes a commit durable when it returns.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row as _, Sqlite, SqlitePool};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::watch;
use uuid::Uuid;

use super::group_commit::{BatchWriter, GroupCommit};
use super::plan::{Plan, Row, StoredIdentity};
use super::sql::{self, ColumnError, Plain, StoredRow};
use super::{
    AppendRequest, AppendResult, EventStore, EventToProject, Position, RecordedEvent, StoreError,
    StoredResponse, StreamVersion,
};

/// The embedded migrations for SQLite.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Rows per INSERT statement: 10 parameters each stays well under SQLite's 32,766 limit.
const ROWS_PER_INSERT: usize = 500;

/// An event store in one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// The database file.
    path: std::path::PathBuf,
    readers: SqlitePool,
    /// The single write connection, shared with the group-commit writer; see [`SqliteStore::write_pool`].
    write_pool: SqlitePool,
    writer: GroupCommit,
    head: Arc<watch::Sender<Position>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store in the file at `path` and applies migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        Self::open_with(options).await
    }

    /// Opens the store named by a `sqlite:` URL, e.g. `sqlite://data/compact-tracker.db`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?.create_if_missing(true);
        Self::open_with(options).await
    }

    async fn open_with(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        let path = options.get_filename().to_path_buf();
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        // A larger page cache on the one write connection keeps the events' indexes in memory:
        // measured at 1M events it lifts bulk appends by about a third.
        let writer_pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone().pragma("cache_size", "-262144"))
            .await?;
        MIGRATOR.run(&writer_pool).await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        let head = Arc::new(watch::channel(sql::read_head(&readers).await?.position).0);
        let writer = GroupCommit::spawn(
            SqliteWriter {
                pool: writer_pool.clone(),
            },
            Arc::clone(&head),
        );
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                readers,
                write_pool: writer_pool,
                writer,
                head,
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The read-only pool, for read models that live in the same file.
    pub fn readers(&self) -> &SqlitePool {
        &self.inner.readers
    }

    /// The file's one write connection, for tables other than `events` (tokens, read models).
    /// SQLite has one writer at a time anyway; sharing the connection with the event writer avoids
    /// lock contention between the two. Events are appended only through [`EventStore::append`].
    pub fn write_pool(&self) -> &SqlitePool {
        &self.inner.write_pool
    }
}

impl EventStore for SqliteStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendResult, StoreError> {
        self.inner.writer.append(request, None).await
    }

    async fn append_at(
        &self,
        request: AppendRequest,
        recorded_at: OffsetDateTime,
    ) -> Result<AppendResult, StoreError> {
        self.inner.writer.append(request, Some(recorded_at)).await
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: StreamVersion,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        sql::read_stream(&self.inner.readers, stream_id, from_version).await
    }

    async fn read_all(
        &self,
        after: Position,
        limit: i64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        sql::read_all(&self.inner.readers, after, limit).await
    }

    async fn read_all_for_projection(
        &self,
        after: Position,
        limit: i64,
    ) -> Result<Vec<EventToProject>, StoreError> {
        sql::read_all_for_projection(&self.inner.readers, after, limit).await
    }

    async fn idempotent_response(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        Ok(sql::read_key(&self.inner.readers, scope, key).await?)
    }

    async fn position_at(&self, at: OffsetDateTime) -> Result<Position, StoreError> {
        sql::position_at(&self.inner.readers, format_time(at)).await
    }

    async fn head(&self) -> Result<Position, StoreError> {
        Ok(sql::read_head(&self.inner.readers).await?.position)
    }

    fn head_watch(&self) -> watch::Receiver<Position> {
        self.inner.head.subscribe()
    }
}

struct SqliteWriter {
    pool: SqlitePool,
}

impl BatchWriter for SqliteWriter {
    async fn write_batch(
        &mut self,
        requests: &[AppendRequest],
        clocks: &[Option<OffsetDateTime>],
        careful: bool,
    ) -> Result<(Vec<Result<AppendResult, StoreError>>, Position), sqlx::Error> {
        // SQLite's write lock, taken before anything is read (PostgreSQL: an advisory lock).
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let head = sql::read_head(&mut *tx).await?;
        let versions = read_stream_versions(&mut tx, requests).await?;
        let stored = if careful {
            read_stored_identities(&mut tx, requests).await?
        } else {
            HashMap::new()
        };
        let stored_keys = sql::read_keys::<Sqlite>(&mut tx, requests).await?;
        let now = OffsetDateTime::now_utc();
        let mut plan = Plan::new(
            requests,
            clocks,
            head,
            now,
            versions.clone(),
            &stored,
            &stored_keys,
        );
        // A version conflict may be a retry of an append that already landed: only the stored
        // event ids can tell, so look them up now (conflicts are the rare path).
        if !careful && plan.has_version_conflict() {
            let stored = read_stored_identities(&mut tx, requests).await?;
            plan = Plan::new(requests, clocks, head, now, versions, &stored, &stored_keys);
        }
        if plan.rows.is_empty() {
            tx.rollback().await?;
            return Ok((plan.results, head.position));
        }
        for chunk in plan.rows.chunks(ROWS_PER_INSERT) {
            insert_rows(&mut tx, chunk).await?;
        }
        for key in &plan.keys {
            sql::insert_key::<Sqlite, _, _>(
                &mut tx,
                key,
                key.response.as_str(),
                format_time(key.recorded_at),
            )
            .await?;
        }
        tx.commit().await?;
        let position = plan.rows.last().map_or(head.position, |row| row.position);
        Ok((plan.results, position))
    }
}

async fn read_stream_versions(
    tx: &mut sqlx::SqliteConnection,
    requests: &[AppendRequest],
) -> Result<HashMap<String, StreamVersion>, sqlx::Error> {
    let streams: Vec<&str> = requests.iter().map(|r| r.stream_id.as_str()).collect();
    let streams = serde_json::to_string(&streams).unwrap_or_else(|_| "[]".to_owned());
    // SQLite has no arrays: the streams go in as one JSON array, read by `json_each`. A max() per
    // stream is one probe of the (stream_id, stream_version) index.
    let rows = sqlx::query(
        r"select value as stream_id,
                 (select max(e.stream_version) from events e where e.stream_id = value) as version
          from json_each($1)",
    )
    .bind(streams)
    .fetch_all(&mut *tx)
    .await?;
    let mut versions = HashMap::with_capacity(rows.len());
    for row in &rows {
        if let Some(version) = row.try_get::<Option<i64>, _>("version")? {
            versions.insert(row.try_get("stream_id")?, version);
        }
    }
    Ok(versions)
}

async fn read_stored_identities(
    tx: &mut sqlx::SqliteConnection,
    requests: &[AppendRequest],
) -> Result<HashMap<Uuid, StoredIdentity>, sqlx::Error> {
    let ids: Vec<String> = requests
        .iter()
        .flat_map(|r| r.events.iter().map(|e| e.event_id.to_string()))
        .collect();
    let ids = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".to_owned());
    // SQLite has no arrays: the ids go in as one JSON array, read by `json_each`.
    let rows = sqlx::query(
        r"select event_id, stream_id, stream_version, position, event_type, schema_version, payload
          from events
          where event_id in (select value from json_each($1))",
    )
    .bind(ids)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter().map(sql::decode_stored_identity).collect()
}

/// SQLite binds each row's values (PostgreSQL binds one array per column and notifies).
async fn insert_rows(tx: &mut sqlx::SqliteConnection, rows: &[Row]) -> Result<(), sqlx::Error> {
    let mut insert = QueryBuilder::new(
        "insert into events (position, stream_id, stream_version, event_id, event_type, \
         schema_version, payload, metadata, recorded_at, hash) ",
    );
    insert.push_values(rows, |mut values, row| {
        values
            .push_bind(row.position)
            .push_bind(row.stream_id.as_str())
            .push_bind(row.stream_version)
            .push_bind(row.event_id.to_string())
            .push_bind(row.event_type.as_str())
            .push_bind(row.schema_version)
            .push_bind(row.payload.as_str())
            .push_bind(row.metadata.as_str())
            .push_bind(format_time(row.recorded_at))
            .push_bind(row.hash.0.as_slice());
    });
    insert.build().execute(&mut *tx).await?;
    Ok(())
}

impl StoredRow for SqliteRow {
    fn plain<T: Plain>(&self, name: &str) -> Result<T, sqlx::Error> {
        self.try_get(name)
    }

    /// UUID text.
    fn event_id(&self) -> Result<Uuid, ColumnError> {
        let text: &str = self.try_get("event_id")?;
        Uuid::parse_str(text).map_err(|_| ColumnError::Corrupt("event_id"))
    }

    /// Canonical JSON text.
    fn json<T: DeserializeOwned>(&self, name: &'static str) -> Result<T, ColumnError> {
        let text: &str = self.try_get(name)?;
        serde_json::from_str(text).map_err(|_| ColumnError::Corrupt(name))
    }

    /// Text as [`format_time`] writes it.
    fn recorded_at(&self) -> Result<OffsetDateTime, ColumnError> {
        let text: &str = self.try_get("recorded_at")?;
        parse_time(text).ok_or(ColumnError::Corrupt("recorded_at"))
    }
}

/// `recorded_at` as stored: RFC 3339, UTC, always six fraction digits, so text order is time order.
pub fn format_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    )
}

fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}
