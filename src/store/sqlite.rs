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

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row as _, SqlitePool};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::watch;
use uuid::Uuid;

use super::group_commit::{BatchWriter, GroupCommit};
use super::plan::{Head, KeyId, KeyRow, Plan, Row, StoredIdentity};
use super::{
    AppendOutcome, AppendRequest, AppendResult, EventHash, EventStore, EventToProject, Position,
    RecordedEvent, StoreError, StoredResponse, StreamVersion,
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
        let head = Arc::new(watch::channel(read_head(&readers).await?.position).0);
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
        let rows = sqlx::query(
            r"select position, stream_id, stream_version, event_id, event_type, schema_version,
                     payload, metadata, recorded_at, hash
              from events
              where stream_id = ?1
                and stream_version >= ?2
              order by stream_version",
        )
        .bind(stream_id)
        .bind(from_version)
        .fetch_all(&self.inner.readers)
        .await?;
        rows.iter().map(decode_event).collect()
    }

    async fn read_all(
        &self,
        after: Position,
        limit: i64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = sqlx::query(
            r"select position, stream_id, stream_version, event_id, event_type, schema_version,
                     payload, metadata, recorded_at, hash
              from events
              where position > ?1
              order by position
              limit ?2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.inner.readers)
        .await?;
        rows.iter().map(decode_event).collect()
    }

    async fn read_all_for_projection(
        &self,
        after: Position,
        limit: i64,
    ) -> Result<Vec<EventToProject>, StoreError> {
        let rows = sqlx::query(
            r"select position, stream_id, event_type, schema_version, payload, recorded_at
              from events
              where position > ?1
              order by position
              limit ?2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.inner.readers)
        .await?;
        rows.iter().map(decode_event_to_project).collect()
    }

    async fn idempotent_response(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        Ok(read_key(&self.inner.readers, scope, key).await?)
    }

    async fn position_at(&self, at: OffsetDateTime) -> Result<Position, StoreError> {
        // One backward step on the recorded_at index (ties, the events of one append, ordered
        // by position). `max(position) where recorded_at <= t` read every index entry before t
        // (12 s at a million events), and an equality on the latest time led PostgreSQL without
        // statistics to scan the primary key backwards (0.5 s).
        let position: Option<i64> = sqlx::query_scalar(
            r"select position
              from events
              where recorded_at <= ?1
              order by recorded_at desc, position desc
              limit 1",
        )
        .bind(format_time(at))
        .fetch_optional(&self.inner.readers)
        .await?;
        Ok(position.unwrap_or(0))
    }

    async fn head(&self) -> Result<Position, StoreError> {
        Ok(read_head(&self.inner.readers).await?.position)
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let head = read_head(&mut *tx).await?;
        let versions = read_stream_versions(&mut tx, requests).await?;
        let stored = if careful {
            read_stored_identities(&mut tx, requests).await?
        } else {
            HashMap::new()
        };
        let mut stored_keys = HashMap::new();
        for record in requests.iter().filter_map(|r| r.idempotency.as_ref()) {
            if let Some(response) = read_key(&mut *tx, &record.scope, &record.key).await? {
                let id: KeyId = (record.scope.clone(), record.key.clone());
                stored_keys.insert(id, response);
            }
        }
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
            insert_key(&mut tx, key).await?;
        }
        tx.commit().await?;
        let position = plan.rows.last().map_or(head.position, |row| row.position);
        Ok((plan.results, position))
    }
}

async fn read_head<'c, E>(executor: E) -> Result<Head, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Sqlite>,
{
    let row = sqlx::query(
        r"select position, hash, recorded_at
          from events
          order by position desc
          limit 1",
    )
    .fetch_optional(executor)
    .await?;
    let Some(row) = row else {
        return Ok(Head::EMPTY);
    };
    let position: i64 = row.try_get("position")?;
    let hash: Vec<u8> = row.try_get("hash")?;
    let recorded_at: String = row.try_get("recorded_at")?;
    Ok(Head {
        position,
        hash: EventHash::from_slice(&hash).ok_or_else(|| decode_error("hash", position))?,
        recorded_at: Some(
            parse_time(&recorded_at).ok_or_else(|| decode_error("recorded_at", position))?,
        ),
    })
}

async fn read_stream_versions(
    tx: &mut sqlx::SqliteConnection,
    requests: &[AppendRequest],
) -> Result<HashMap<String, StreamVersion>, sqlx::Error> {
    let streams: Vec<&str> = requests.iter().map(|r| r.stream_id.as_str()).collect();
    let streams = serde_json::to_string(&streams).unwrap_or_else(|_| "[]".to_owned());
    // A max() per stream is one probe of the (stream_id, stream_version) index.
    let rows = sqlx::query(
        r"select value as stream_id,
                 (select max(e.stream_version) from events e where e.stream_id = value) as version
          from json_each(?1)",
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
    let rows = sqlx::query(
        r"select event_id, stream_id, stream_version, position, event_type, schema_version, payload
          from events
          where event_id in (select value from json_each(?1))",
    )
    .bind(ids)
    .fetch_all(&mut *tx)
    .await?;
    let mut stored = HashMap::with_capacity(rows.len());
    for row in &rows {
        let position: i64 = row.try_get("position")?;
        let event_id: String = row.try_get("event_id")?;
        let payload: String = row.try_get("payload")?;
        let identity = StoredIdentity {
            stream_id: row.try_get("stream_id")?,
            stream_version: row.try_get("stream_version")?,
            position,
            event_type: row.try_get("event_type")?,
            schema_version: row.try_get("schema_version")?,
            payload: serde_json::from_str(&payload)
                .map_err(|_| decode_error("payload", position))?,
        };
        let event_id =
            Uuid::parse_str(&event_id).map_err(|_| decode_error("event_id", position))?;
        stored.insert(event_id, identity);
    }
    Ok(stored)
}

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

async fn read_key<'c, E>(
    executor: E,
    scope: &str,
    key: &str,
) -> Result<Option<StoredResponse>, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Sqlite>,
{
    let row = sqlx::query(
        r"select request_hash, stream_id, stream_version, first_position, last_position, response
          from idempotency_keys
          where scope = ?1
            and key = ?2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(executor)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let request_hash: Vec<u8> = row.try_get("request_hash")?;
    let response: String = row.try_get("response")?;
    let last_position: i64 = row.try_get("last_position")?;
    Ok(Some(StoredResponse {
        request_hash: <[u8; 32]>::try_from(request_hash.as_slice())
            .map_err(|_| decode_error("idempotency request hash", last_position))?,
        stream_id: row.try_get("stream_id")?,
        result: AppendResult {
            stream_version: row.try_get("stream_version")?,
            first_position: row.try_get("first_position")?,
            last_position,
            outcome: AppendOutcome::AlreadyAppended,
        },
        response: serde_json::from_str(&response)
            .map_err(|_| decode_error("idempotent response", last_position))?,
    }))
}

async fn insert_key(tx: &mut sqlx::SqliteConnection, key: &KeyRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        r"insert into idempotency_keys (scope, key, request_hash, stream_id, stream_version,
                                        first_position, last_position, response, recorded_at)
          values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .bind(&key.scope)
    .bind(&key.key)
    .bind(key.request_hash.as_slice())
    .bind(&key.stream_id)
    .bind(key.result.stream_version)
    .bind(key.result.first_position)
    .bind(key.result.last_position)
    .bind(&key.response)
    .bind(format_time(key.recorded_at))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

fn decode_event(row: &sqlx::sqlite::SqliteRow) -> Result<RecordedEvent, StoreError> {
    let position: i64 = row.try_get("position")?;
    let corrupt = |field: &str| StoreError::Corrupt {
        position,
        reason: format!("the stored {field} cannot be decoded"),
    };
    let event_id: String = row.try_get("event_id")?;
    let payload: String = row.try_get("payload")?;
    let metadata: String = row.try_get("metadata")?;
    let recorded_at: String = row.try_get("recorded_at")?;
    let hash: Vec<u8> = row.try_get("hash")?;
    Ok(RecordedEvent {
        position,
        stream_id: row.try_get("stream_id")?,
        stream_version: row.try_get("stream_version")?,
        event_id: Uuid::parse_str(&event_id).map_err(|_| corrupt("event id"))?,
        event_type: row.try_get("event_type")?,
        schema_version: row.try_get("schema_version")?,
        payload: serde_json::from_str(&payload).map_err(|_| corrupt("payload"))?,
        metadata: serde_json::from_str(&metadata).map_err(|_| corrupt("metadata"))?,
        recorded_at: parse_time(&recorded_at).ok_or_else(|| corrupt("recorded_at"))?,
        hash: EventHash::from_slice(&hash).ok_or_else(|| corrupt("hash"))?,
    })
}

fn decode_event_to_project(row: &sqlx::sqlite::SqliteRow) -> Result<EventToProject, StoreError> {
    let position: i64 = row.try_get("position")?;
    let recorded_at: String = row.try_get("recorded_at")?;
    Ok(EventToProject {
        position,
        stream_id: row.try_get("stream_id")?,
        event_type: row.try_get("event_type")?,
        schema_version: row.try_get("schema_version")?,
        payload: row.try_get("payload")?,
        recorded_at: parse_time(&recorded_at).ok_or_else(|| StoreError::Corrupt {
            position,
            reason: "the stored recorded_at cannot be decoded".to_owned(),
        })?,
    })
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

fn decode_error(field: &str, position: Position) -> sqlx::Error {
    sqlx::Error::Decode(format!("cannot decode the stored {field} at position {position}").into())
}
