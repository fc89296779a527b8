//! The PostgreSQL backend.
//!
//! Appends from every process serialize on one transaction-scoped advisory lock, taken before the
//! head is read; positions are then `head + 1, …`. Because a writer can only read the head after the
//! previous writer's commit is visible, commit order equals position order and positions are
//! gapless (see ARCHITECTURE.md, "Ordering"). Group commit makes that serialization cheap: one
//! transaction carries the appends of every caller that queued meanwhile.
//!
//! Other processes learn of new events through `LISTEN/NOTIFY` on [`NOTIFY_CHANNEL`]; subscribers
//! also poll, so a lost notification only delays them.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use sqlx::ConnectOptions as _;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{
    PgArgumentBuffer, PgConnectOptions, PgListener, PgPoolOptions, PgRow, PgTypeInfo,
};
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, Row as _};
use time::OffsetDateTime;
use tokio::sync::watch;
use uuid::Uuid;

use super::group_commit::{BatchWriter, GroupCommit, advance};
use super::plan::{Head, Plan, StoredIdentity};
use super::sql::{self, ColumnError, Plain, StoredRow};
use super::{
    AppendRequest, AppendResult, EventStore, EventToProject, Position, RecordedEvent, StoreError,
    StoredResponse, StreamVersion,
};

/// The embedded migrations for PostgreSQL.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The advisory lock every appender takes (an arbitrary constant: "compact-tracker events").
const APPEND_LOCK: i64 = 0x636f_6d70_6163_7401;

/// The channel a commit notifies with its last position.
pub const NOTIFY_CHANNEL: &str = "compact_tracker_events";

/// An event store in a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// How to reach the database again (for the read models' own connections).
    url: String,
    pool: PgPool,
    writer: GroupCommit,
    head: Arc<watch::Sender<Position>>,
}

impl PostgresStore {
    /// Connects to `url`, applies migrations, and starts the writer and the notification listener.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        Self::connect_with(options).await
    }

    /// Like [`PostgresStore::connect`], from structured options.
    pub async fn connect_with(options: PgConnectOptions) -> Result<Self, StoreError> {
        // One direct connection first, so an unreachable server fails at once instead of after the
        // pool's acquire timeout.
        sqlx::Connection::close(options.connect().await?).await?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&pool).await?;
        // The writer has its own connection; a lock wait longer than this means something holds
        // the append lock far too long, and failing beats hanging every writer.
        let writer_pool = PgPoolOptions::new()
            .max_connections(1)
            // The writer's one connection is used back to back; a ping before each batch would
            // be one more round trip per commit, and a dead connection fails the batch anyway.
            .test_before_acquire(false)
            .after_connect(|connection, _| {
                Box::pin(async move {
                    // Generic plans cached while the table was nearly empty (sequential scans)
                    // would outlive its growth: plan each execution for the data at hand.
                    for setting in [
                        "set lock_timeout = '10s'",
                        "set plan_cache_mode = force_custom_plan",
                    ] {
                        sqlx::query(setting).execute(&mut *connection).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await?;
        let head = Arc::new(watch::channel(sql::read_head(&pool).await?.position).0);
        let writer = GroupCommit::spawn(PostgresWriter { pool: writer_pool }, Arc::clone(&head));
        let url = options.to_url_lossy().to_string();
        tokio::spawn(listen_for_commits(pool.clone(), Arc::downgrade(&head)));
        Ok(Self {
            inner: Arc::new(Inner {
                url,
                pool,
                writer,
                head,
            }),
        })
    }

    /// A URL of the database (as connected; a password given as an option is included).
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The connection pool, for read models that live in the same database.
    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }
}

impl EventStore for PostgresStore {
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
        sql::read_stream(&self.inner.pool, stream_id, from_version).await
    }

    async fn read_all(
        &self,
        after: Position,
        limit: i64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        sql::read_all(&self.inner.pool, after, limit).await
    }

    async fn read_all_for_projection(
        &self,
        after: Position,
        limit: i64,
    ) -> Result<Vec<EventToProject>, StoreError> {
        sql::read_all_for_projection(&self.inner.pool, after, limit).await
    }

    async fn idempotent_response(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        Ok(sql::read_key(&self.inner.pool, scope, key).await?)
    }

    async fn position_at(&self, at: OffsetDateTime) -> Result<Position, StoreError> {
        sql::position_at(&self.inner.pool, at).await
    }

    async fn head(&self) -> Result<Position, StoreError> {
        Ok(sql::read_head(&self.inner.pool).await?.position)
    }

    fn head_watch(&self) -> watch::Receiver<Position> {
        self.inner.head.subscribe()
    }
}

struct PostgresWriter {
    pool: PgPool,
}

impl BatchWriter for PostgresWriter {
    async fn write_batch(
        &mut self,
        requests: &[AppendRequest],
        clocks: &[Option<OffsetDateTime>],
        careful: bool,
    ) -> Result<(Vec<Result<AppendResult, StoreError>>, Position), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        // The head must be read by a statement that starts after the lock is granted, so that it
        // sees the previous holder's commit (READ COMMITTED takes a snapshot per statement).
        sqlx::query("select pg_advisory_xact_lock($1)")
            .bind(APPEND_LOCK)
            .execute(&mut *tx)
            .await?;
        let streams: Vec<&str> = requests.iter().map(|r| r.stream_id.as_str()).collect();
        let (head, versions) = read_head_and_versions(&mut tx, &streams).await?;
        let stored = if careful {
            read_stored_identities(&mut tx, &event_ids(requests)).await?
        } else {
            HashMap::new()
        };
        let stored_keys = sql::read_keys::<Postgres>(&mut tx, requests).await?;
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
            let stored = read_stored_identities(&mut tx, &event_ids(requests)).await?;
            plan = Plan::new(requests, clocks, head, now, versions, &stored, &stored_keys);
        }
        let Some(last) = plan.rows.last() else {
            tx.rollback().await?;
            return Ok((plan.results, head.position));
        };
        let last_position = last.position;
        let rows = &plan.rows;
        // One array per column through `unnest`, and the notification in the same statement:
        // neither has a SQLite counterpart (which binds each row's values).
        sqlx::query(
            r"with inserted as (
                  insert into events (position, stream_id, stream_version, event_id, event_type,
                                      schema_version, payload, metadata, recorded_at, hash)
                  select position, stream_id, stream_version, event_id, event_type,
                         schema_version, payload::jsonb, metadata::jsonb, recorded_at, hash
                  from unnest($1::bigint[], $2::text[], $3::bigint[], $4::uuid[], $5::text[],
                              $6::int[], $7::text[], $8::text[], $9::timestamptz[], $10::bytea[])
                       as t(position, stream_id, stream_version, event_id, event_type,
                            schema_version, payload, metadata, recorded_at, hash)
                  returning 1
              )
              select pg_notify($11, $12) from (select count(*) from inserted) as done",
        )
        .bind(rows.iter().map(|r| r.position).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|r| r.stream_id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|r| r.stream_version).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.event_id).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|r| r.event_type.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|r| r.schema_version).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.payload.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.metadata.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.recorded_at).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.hash.0.to_vec()).collect::<Vec<_>>())
        .bind(NOTIFY_CHANNEL)
        .bind(last_position.to_string())
        .execute(&mut *tx)
        .await?;
        for key in &plan.keys {
            sql::insert_key::<Postgres, _, _>(&mut tx, key, Jsonb(&key.response), key.recorded_at)
                .await?;
        }
        tx.commit().await?;
        Ok((plan.results, last_position))
    }
}

fn event_ids(requests: &[AppendRequest]) -> Vec<Uuid> {
    requests
        .iter()
        .flat_map(|r| r.events.iter().map(|e| e.event_id))
        .collect()
}

/// The head and the versions of `streams`, in one round trip. Each version is a `max()` per
/// stream, which PostgreSQL answers with one backward probe of the (stream_id, stream_version)
/// index; a `group by` over all the streams' rows read every event of them.
async fn read_head_and_versions(
    tx: &mut sqlx::PgConnection,
    streams: &[&str],
) -> Result<(Head, HashMap<String, StreamVersion>), sqlx::Error> {
    let rows = sqlx::query(
        r"select null::text as stream_id, null::bigint as version, position, hash, recorded_at
          from (select position, hash, recorded_at
                from events
                order by position desc
                limit 1) as head
          union all
          select s.stream_id,
                 (select max(e.stream_version) from events e where e.stream_id = s.stream_id),
                 null, null, null
          from unnest($1::text[]) as s(stream_id)",
    )
    .bind(streams)
    .fetch_all(&mut *tx)
    .await?;
    let mut head = Head::EMPTY;
    let mut versions = HashMap::with_capacity(streams.len());
    for row in &rows {
        match row.try_get::<Option<String>, _>("stream_id")? {
            Some(stream_id) => {
                if let Some(version) = row.try_get::<Option<i64>, _>("version")? {
                    versions.insert(stream_id, version);
                }
            }
            None => head = sql::decode_head(row)?,
        }
    }
    Ok((head, versions))
}

async fn read_stored_identities(
    tx: &mut sqlx::PgConnection,
    event_ids: &[Uuid],
) -> Result<HashMap<Uuid, StoredIdentity>, sqlx::Error> {
    // PostgreSQL takes the ids as one `uuid[]` (SQLite, without arrays: a JSON array).
    let rows = sqlx::query(
        r"select event_id, stream_id, stream_version, position, event_type, schema_version, payload
          from events
          where event_id = any($1)",
    )
    .bind(event_ids)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter().map(sql::decode_stored_identity).collect()
}

impl StoredRow for PgRow {
    fn plain<T: Plain>(&self, name: &str) -> Result<T, sqlx::Error> {
        self.try_get(name)
    }

    /// A `uuid`.
    fn event_id(&self) -> Result<Uuid, ColumnError> {
        Ok(self.try_get("event_id")?)
    }

    /// A `jsonb`, deserialised straight from the bytes sqlx received.
    fn json<T: DeserializeOwned>(&self, name: &'static str) -> Result<T, ColumnError> {
        match self.try_get::<Json<T>, _>(name) {
            Ok(Json(value)) => Ok(value),
            // The column is `jsonb`, so a failure to decode is JSON that does not fit `T`.
            Err(sqlx::Error::ColumnDecode { .. }) => Err(ColumnError::Corrupt(name)),
            Err(error) => Err(ColumnError::Database(error)),
        }
    }

    /// A `timestamptz`.
    fn recorded_at(&self) -> Result<OffsetDateTime, ColumnError> {
        Ok(self.try_get("recorded_at")?)
    }
}

/// Canonical JSON text bound as `jsonb` (sqlx binds a `&str` as `text`, which PostgreSQL does
/// not convert to `jsonb` implicitly), so the shared insert needs no backend-specific cast.
struct Jsonb<'a>(&'a str);

impl sqlx::Type<Postgres> for Jsonb<'_> {
    fn type_info() -> PgTypeInfo {
        <Json<()> as sqlx::Type<Postgres>>::type_info()
    }
}

impl sqlx::Encode<'_, Postgres> for Jsonb<'_> {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        // The binary `jsonb` format: a version byte, 1, then the JSON text.
        buf.push(1);
        buf.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }
}

/// Tells this process's subscribers about commits made by other processes. Ends when the store is
/// dropped; reconnects (after a pause) when the connection fails.
async fn listen_for_commits(pool: PgPool, head: std::sync::Weak<watch::Sender<Position>>) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(error = %error, "cannot listen for commits; subscribers will poll");
                tokio::time::sleep(Duration::from_secs(5)).await;
                if head.strong_count() == 0 {
                    return;
                }
                continue;
            }
        };
        if let Err(error) = listener.listen(NOTIFY_CHANNEL).await {
            tracing::warn!(error = %error, "cannot listen for commits; subscribers will poll");
            tokio::time::sleep(Duration::from_secs(5)).await;
            continue;
        }
        loop {
            let notification = tokio::time::timeout(Duration::from_secs(5), listener.recv()).await;
            let Some(head) = head.upgrade() else {
                return;
            };
            match notification {
                Ok(Ok(notification)) => {
                    if let Ok(position) = notification.payload().parse::<Position>() {
                        advance(&head, position);
                    }
                }
                Ok(Err(error)) => {
                    tracing::warn!(error = %error, "lost the commit listener; reconnecting");
                    break;
                }
                Err(_) => {} // Timed out: only a chance to notice that the store was dropped.
            }
        }
    }
}
