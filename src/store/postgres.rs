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

use sqlx::ConnectOptions as _;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::{PgPool, Row as _};
use time::OffsetDateTime;
use tokio::sync::watch;
use uuid::Uuid;

use super::group_commit::{BatchWriter, GroupCommit, advance};
use super::plan::{Head, KeyId, KeyRow, Plan, StoredIdentity};
use super::{
    AppendOutcome, AppendRequest, AppendResult, EventHash, EventStore, EventToProject, Position,
    RecordedEvent, StoreError, StoredResponse, StreamVersion,
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
        let head = Arc::new(watch::channel(read_head(&pool).await?.position).0);
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
        let rows = sqlx::query(
            r"select position, stream_id, stream_version, event_id, event_type, schema_version,
                     payload, metadata, recorded_at, hash
              from events
              where stream_id = $1
                and stream_version >= $2
              order by stream_version",
        )
        .bind(stream_id)
        .bind(from_version)
        .fetch_all(&self.inner.pool)
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
              where position > $1
              order by position
              limit $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.inner.pool)
        .await?;
        rows.iter().map(decode_event).collect()
    }

    async fn read_all_for_projection(
        &self,
        after: Position,
        limit: i64,
    ) -> Result<Vec<EventToProject>, StoreError> {
        // The payload is `jsonb`: `::text` has the server print it, and the reader parses the text
        // once, straight into its event type, instead of sqlx building a `serde_json::Value`.
        let rows = sqlx::query(
            r"select position, stream_id, event_type, schema_version, payload::text as payload,
                     recorded_at
              from events
              where position > $1
              order by position
              limit $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.inner.pool)
        .await?;
        rows.iter().map(decode_event_to_project).collect()
    }

    async fn idempotent_response(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        Ok(read_key(&self.inner.pool, scope, key).await?)
    }

    async fn position_at(&self, at: OffsetDateTime) -> Result<Position, StoreError> {
        // One backward step on the recorded_at index (ties, the events of one append, ordered
        // by position). `max(position) where recorded_at <= t` read every index entry before t
        // (12 s at a million events), and an equality on the latest time led PostgreSQL without
        // statistics to scan the primary key backwards (0.5 s).
        let position: Option<i64> = sqlx::query_scalar(
            r"select position
              from events
              where recorded_at <= $1
              order by recorded_at desc, position desc
              limit 1",
        )
        .bind(at)
        .fetch_optional(&self.inner.pool)
        .await?;
        Ok(position.unwrap_or(0))
    }

    async fn head(&self) -> Result<Position, StoreError> {
        Ok(read_head(&self.inner.pool).await?.position)
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
            let stored = read_stored_identities(&mut tx, &event_ids(requests)).await?;
            plan = Plan::new(requests, clocks, head, now, versions, &stored, &stored_keys);
        }
        let Some(last) = plan.rows.last() else {
            tx.rollback().await?;
            return Ok((plan.results, head.position));
        };
        let last_position = last.position;
        let rows = &plan.rows;
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
            insert_key(&mut tx, key).await?;
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

async fn read_head<'c, E>(executor: E) -> Result<Head, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Postgres>,
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
    Ok(Head {
        position,
        hash: EventHash::from_slice(&hash).ok_or_else(|| {
            sqlx::Error::Decode(
                format!("the stored hash at position {position} is not 32 bytes").into(),
            )
        })?,
        recorded_at: Some(row.try_get("recorded_at")?),
    })
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
            None => {
                let position: i64 = row.try_get("position")?;
                let hash: Vec<u8> = row.try_get("hash")?;
                head = Head {
                    position,
                    hash: EventHash::from_slice(&hash).ok_or_else(|| {
                        sqlx::Error::Decode(
                            format!("the stored hash at position {position} is not 32 bytes")
                                .into(),
                        )
                    })?,
                    recorded_at: Some(row.try_get("recorded_at")?),
                };
            }
        }
    }
    Ok((head, versions))
}

async fn read_stored_identities(
    tx: &mut sqlx::PgConnection,
    event_ids: &[Uuid],
) -> Result<HashMap<Uuid, StoredIdentity>, sqlx::Error> {
    let rows = sqlx::query(
        r"select event_id, stream_id, stream_version, position, event_type, schema_version, payload
          from events
          where event_id = any($1)",
    )
    .bind(event_ids)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("event_id")?,
                StoredIdentity {
                    stream_id: row.try_get("stream_id")?,
                    stream_version: row.try_get("stream_version")?,
                    position: row.try_get("position")?,
                    event_type: row.try_get("event_type")?,
                    schema_version: row.try_get("schema_version")?,
                    payload: row.try_get("payload")?,
                },
            ))
        })
        .collect()
}

async fn read_key<'c, E>(
    executor: E,
    scope: &str,
    key: &str,
) -> Result<Option<StoredResponse>, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Postgres>,
{
    let row = sqlx::query(
        r"select request_hash, stream_id, stream_version, first_position, last_position, response
          from idempotency_keys
          where scope = $1
            and key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(executor)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let request_hash: Vec<u8> = row.try_get("request_hash")?;
    Ok(Some(StoredResponse {
        request_hash: <[u8; 32]>::try_from(request_hash.as_slice()).map_err(|_| {
            sqlx::Error::Decode("a stored idempotency request hash is not 32 bytes".into())
        })?,
        stream_id: row.try_get("stream_id")?,
        result: AppendResult {
            stream_version: row.try_get("stream_version")?,
            first_position: row.try_get("first_position")?,
            last_position: row.try_get("last_position")?,
            outcome: AppendOutcome::AlreadyAppended,
        },
        response: row.try_get("response")?,
    }))
}

async fn insert_key(tx: &mut sqlx::PgConnection, key: &KeyRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        r"insert into idempotency_keys (scope, key, request_hash, stream_id, stream_version,
                                        first_position, last_position, response, recorded_at)
          values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)",
    )
    .bind(&key.scope)
    .bind(&key.key)
    .bind(key.request_hash.as_slice())
    .bind(&key.stream_id)
    .bind(key.result.stream_version)
    .bind(key.result.first_position)
    .bind(key.result.last_position)
    .bind(&key.response)
    .bind(key.recorded_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

fn decode_event(row: &sqlx::postgres::PgRow) -> Result<RecordedEvent, StoreError> {
    let position: i64 = row.try_get("position")?;
    let corrupt = |field: &str| StoreError::Corrupt {
        position,
        reason: format!("the stored {field} cannot be decoded"),
    };
    let metadata: serde_json::Value = row.try_get("metadata")?;
    let hash: Vec<u8> = row.try_get("hash")?;
    Ok(RecordedEvent {
        position,
        stream_id: row.try_get("stream_id")?,
        stream_version: row.try_get("stream_version")?,
        event_id: row.try_get("event_id")?,
        event_type: row.try_get("event_type")?,
        schema_version: row.try_get("schema_version")?,
        payload: row.try_get("payload")?,
        metadata: serde_json::from_value(metadata).map_err(|_| corrupt("metadata"))?,
        recorded_at: row.try_get("recorded_at")?,
        hash: EventHash::from_slice(&hash).ok_or_else(|| corrupt("hash"))?,
    })
}

fn decode_event_to_project(row: &sqlx::postgres::PgRow) -> Result<EventToProject, StoreError> {
    Ok(EventToProject {
        position: row.try_get("position")?,
        stream_id: row.try_get("stream_id")?,
        event_type: row.try_get("event_type")?,
        schema_version: row.try_get("schema_version")?,
        payload: row.try_get("payload")?,
        recorded_at: row.try_get("recorded_at")?,
    })
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
