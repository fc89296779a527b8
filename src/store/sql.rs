//! The queries both backends run alike, written once, and the decoding of their rows.
//!
//! SQLite reads `$1`-style numbered parameters as well as `?1`, so a query whose text is the same on
//! both backends is a `const` here, and the function that binds and runs it is generic over the
//! database. What differs stays in the backend: the write lock (`BEGIN IMMEDIATE` against an
//! advisory lock), batch reads by a list of keys (`json_each` against arrays), the bulk insert of
//! events (a multi-row `INSERT` against `unnest` with `pg_notify`), and how a few columns are
//! stored, which [`StoredRow`] hides.
//!
//! # Layout
//!
//! - the SQL, one `const` per query, lower-case, one clause per line;
//! - [`StoredRow`]: what a backend decodes its own way (event id, JSON, commit time);
//! - one small `async fn` per shared query, then the row decoders.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use sqlx::{Database, Encode, Executor, IntoArguments, Postgres, Sqlite, Type};
use time::OffsetDateTime;
use uuid::Uuid;

use super::plan::{Head, KeyId, KeyRow, StoredIdentity};
use super::{
    AppendOutcome, AppendRequest, AppendResult, EventHash, EventToProject, Position, RecordedEvent,
    StoreError, StoredResponse, StreamVersion,
};

/// A stream's events from a version on.
const READ_STREAM: &str = r"
select position, stream_id, stream_version, event_id, event_type, schema_version,
       payload, metadata, recorded_at, hash
from events
where stream_id = $1
  and stream_version >= $2
order by stream_version";

/// The log after a position.
const READ_ALL: &str = r"
select position, stream_id, stream_version, event_id, event_type, schema_version,
       payload, metadata, recorded_at, hash
from events
where position > $1
order by position
limit $2";

/// The log after a position, with only what projections use. PostgreSQL stores the payload as
/// `jsonb`: the cast has the server print it, so the reader parses the text once, straight into
/// its event type, instead of sqlx building a `serde_json::Value` (on SQLite it is a no-op).
const READ_ALL_FOR_PROJECTION: &str = r"
select position, stream_id, event_type, schema_version, cast(payload as text) as payload,
       recorded_at
from events
where position > $1
order by position
limit $2";

/// The last position recorded at or before a time. One backward step on the recorded_at index
/// (ties, the events of one append, ordered by position). `max(position) where recorded_at <= t`
/// read every index entry before t (12 s at a million events), and an equality on the latest time
/// led PostgreSQL without statistics to scan the primary key backwards (0.5 s).
const POSITION_AT: &str = r"
select position
from events
where recorded_at <= $1
order by recorded_at desc, position desc
limit 1";

/// The last event's position, hash and commit time.
const READ_HEAD: &str = r"
select position, hash, recorded_at
from events
order by position desc
limit 1";

/// A stored `Idempotency-Key`.
const READ_KEY: &str = r"
select request_hash, stream_id, stream_version, first_position, last_position, response
from idempotency_keys
where scope = $1
  and key = $2";

/// Records an `Idempotency-Key` with the append it answered.
const INSERT_KEY: &str = r"
insert into idempotency_keys (scope, key, request_hash, stream_id, stream_version,
                              first_position, last_position, response, recorded_at)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// A column type both backends decode into the same Rust type (integers, text, bytes), read
/// with [`StoredRow::plain`]. Bounded by both databases, so generic code can ask for it by name.
pub(super) trait Plain:
    for<'r> sqlx::Decode<'r, Sqlite>
    + Type<Sqlite>
    + for<'r> sqlx::Decode<'r, Postgres>
    + Type<Postgres>
{
}

impl<T> Plain for T where
    T: for<'r> sqlx::Decode<'r, Sqlite>
        + Type<Sqlite>
        + for<'r> sqlx::Decode<'r, Postgres>
        + Type<Postgres>
{
}

/// A row of `events` or `idempotency_keys` as a backend returns it. The columns stored alike are
/// read by name; the ones each backend stores its own way (SQLite: text; PostgreSQL: `uuid`,
/// `jsonb`, `timestamptz`) are decoded by the backend.
pub(super) trait StoredRow: sqlx::Row {
    /// A column stored alike on both backends.
    fn plain<T: Plain>(&self, name: &str) -> Result<T, sqlx::Error>;

    /// The `event_id` column.
    fn event_id(&self) -> Result<Uuid, ColumnError>;

    /// A JSON column (`payload`, `metadata`, `response`), deserialised into `T`.
    fn json<T: DeserializeOwned>(&self, name: &'static str) -> Result<T, ColumnError>;

    /// The `recorded_at` column.
    fn recorded_at(&self) -> Result<OffsetDateTime, ColumnError>;
}

/// Why a backend-specific column could not be read.
#[derive(Debug)]
pub(super) enum ColumnError {
    /// The database failed, or the column is missing or of another type.
    Database(sqlx::Error),
    /// The stored value is not what the store writes; names the column.
    Corrupt(&'static str),
}

impl From<sqlx::Error> for ColumnError {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(error)
    }
}

impl ColumnError {
    /// As the error of a read through the [`super::EventStore`] API.
    fn at(self, position: Position) -> StoreError {
        match self {
            Self::Database(error) => StoreError::Database(error),
            Self::Corrupt(field) => StoreError::Corrupt {
                position,
                reason: format!("the stored {field} cannot be decoded"),
            },
        }
    }

    /// As a database error, for reads made while appending.
    fn decoding_at(self, position: Position) -> sqlx::Error {
        match self {
            Self::Database(error) => error,
            Self::Corrupt(field) => decode_error(field, position),
        }
    }
}

/// A stream's events with version ≥ `from_version`, in version order.
pub(super) async fn read_stream<'e, DB>(
    executor: impl Executor<'e, Database = DB>,
    stream_id: &str,
    from_version: StreamVersion,
) -> Result<Vec<RecordedEvent>, StoreError>
where
    DB: Database<Row: StoredRow>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    i64: for<'q> Encode<'q, DB> + Type<DB>,
{
    let rows = sqlx::query(READ_STREAM)
        .bind(stream_id)
        .bind(from_version)
        .fetch_all(executor)
        .await?;
    rows.iter().map(decode_event).collect()
}

/// Up to `limit` events with position > `after`, in position order.
pub(super) async fn read_all<'e, DB>(
    executor: impl Executor<'e, Database = DB>,
    after: Position,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError>
where
    DB: Database<Row: StoredRow>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    i64: for<'q> Encode<'q, DB> + Type<DB>,
{
    let rows = sqlx::query(READ_ALL)
        .bind(after)
        .bind(limit)
        .fetch_all(executor)
        .await?;
    rows.iter().map(decode_event).collect()
}

/// Up to `limit` events with position > `after`, in position order, as projections read them.
pub(super) async fn read_all_for_projection<'e, DB>(
    executor: impl Executor<'e, Database = DB>,
    after: Position,
    limit: i64,
) -> Result<Vec<EventToProject>, StoreError>
where
    DB: Database<Row: StoredRow>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    i64: for<'q> Encode<'q, DB> + Type<DB>,
{
    let rows = sqlx::query(READ_ALL_FOR_PROJECTION)
        .bind(after)
        .bind(limit)
        .fetch_all(executor)
        .await?;
    rows.iter().map(decode_event_to_project).collect()
}

/// The last position recorded at or before `at` (0 if none); `at` as the backend stores times.
pub(super) async fn position_at<'e, DB, Time>(
    executor: impl Executor<'e, Database = DB>,
    at: Time,
) -> Result<Position, StoreError>
where
    DB: Database<Row: StoredRow>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    Time: for<'q> Encode<'q, DB> + Type<DB> + Send,
{
    let row = sqlx::query(POSITION_AT)
        .bind(at)
        .fetch_optional(executor)
        .await?;
    match row {
        Some(row) => Ok(row.plain("position")?),
        None => Ok(0),
    }
}

/// The last committed event ([`Head::EMPTY`] for an empty store).
pub(super) async fn read_head<'e, DB>(
    executor: impl Executor<'e, Database = DB>,
) -> Result<Head, sqlx::Error>
where
    DB: Database<Row: StoredRow>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    let row = sqlx::query(READ_HEAD).fetch_optional(executor).await?;
    match row {
        Some(row) => decode_head(&row),
        None => Ok(Head::EMPTY),
    }
}

/// The response stored for an `Idempotency-Key`, if the key was used.
pub(super) async fn read_key<'e, DB>(
    executor: impl Executor<'e, Database = DB>,
    scope: &str,
    key: &str,
) -> Result<Option<StoredResponse>, sqlx::Error>
where
    DB: Database<Row: StoredRow>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
{
    let row = sqlx::query(READ_KEY)
        .bind(scope)
        .bind(key)
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(decode_key).transpose()
}

/// The stored responses of the batch's `Idempotency-Key`s, read under the write lock.
pub(super) async fn read_keys<DB>(
    connection: &mut DB::Connection,
    requests: &[AppendRequest],
) -> Result<HashMap<KeyId, StoredResponse>, sqlx::Error>
where
    DB: Database<Row: StoredRow>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    let mut stored_keys = HashMap::new();
    for record in requests.iter().filter_map(|r| r.idempotency.as_ref()) {
        if let Some(response) = read_key(&mut *connection, &record.scope, &record.key).await? {
            let id: KeyId = (record.scope.clone(), record.key.clone());
            stored_keys.insert(id, response);
        }
    }
    Ok(stored_keys)
}

/// Inserts an `Idempotency-Key` record; `response` and `recorded_at` as the backend stores them.
pub(super) async fn insert_key<'k, DB, Response, Time>(
    connection: &mut DB::Connection,
    key: &'k KeyRow,
    response: Response,
    recorded_at: Time,
) -> Result<(), sqlx::Error>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    &'k str: Encode<'k, DB> + Type<DB>,
    &'k [u8]: Encode<'k, DB> + Type<DB>,
    i64: Encode<'k, DB> + Type<DB>,
    Response: 'k + Encode<'k, DB> + Type<DB>,
    Time: 'k + Encode<'k, DB> + Type<DB>,
{
    sqlx::query(INSERT_KEY)
        .bind(key.scope.as_str())
        .bind(key.key.as_str())
        .bind(key.request_hash.as_slice())
        .bind(key.stream_id.as_str())
        .bind(key.result.stream_version)
        .bind(key.result.first_position)
        .bind(key.result.last_position)
        .bind(response)
        .bind(recorded_at)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// An already-stored event found by id (the backends select it by a list of ids their own way).
pub(super) fn decode_stored_identity<R: StoredRow>(
    row: &R,
) -> Result<(Uuid, StoredIdentity), sqlx::Error> {
    let position: Position = row.plain("position")?;
    let corrupt = |error: ColumnError| error.decoding_at(position);
    let identity = StoredIdentity {
        stream_id: row.plain("stream_id")?,
        stream_version: row.plain("stream_version")?,
        position,
        event_type: row.plain("event_type")?,
        schema_version: row.plain("schema_version")?,
        payload: row.json("payload").map_err(corrupt)?,
    };
    Ok((row.event_id().map_err(corrupt)?, identity))
}

/// The head from a row with its `position`, `hash` and `recorded_at`.
pub(super) fn decode_head<R: StoredRow>(row: &R) -> Result<Head, sqlx::Error> {
    let position: Position = row.plain("position")?;
    let hash: Vec<u8> = row.plain("hash")?;
    Ok(Head {
        position,
        hash: EventHash::from_slice(&hash).ok_or_else(|| decode_error("hash", position))?,
        recorded_at: Some(
            row.recorded_at()
                .map_err(|error| error.decoding_at(position))?,
        ),
    })
}

fn decode_key<R: StoredRow>(row: &R) -> Result<StoredResponse, sqlx::Error> {
    let last_position: Position = row.plain("last_position")?;
    let request_hash: Vec<u8> = row.plain("request_hash")?;
    Ok(StoredResponse {
        request_hash: <[u8; 32]>::try_from(request_hash.as_slice())
            .map_err(|_| decode_error("idempotency request hash", last_position))?,
        stream_id: row.plain("stream_id")?,
        result: AppendResult {
            stream_version: row.plain("stream_version")?,
            first_position: row.plain("first_position")?,
            last_position,
            outcome: AppendOutcome::AlreadyAppended,
        },
        response: row
            .json("response")
            .map_err(|error| error.decoding_at(last_position))?,
    })
}

fn decode_event<R: StoredRow>(row: &R) -> Result<RecordedEvent, StoreError> {
    let position: Position = row.plain("position")?;
    let corrupt = |error: ColumnError| error.at(position);
    let hash: Vec<u8> = row.plain("hash")?;
    Ok(RecordedEvent {
        position,
        stream_id: row.plain("stream_id")?,
        stream_version: row.plain("stream_version")?,
        event_id: row.event_id().map_err(corrupt)?,
        event_type: row.plain("event_type")?,
        schema_version: row.plain("schema_version")?,
        payload: row.json("payload").map_err(corrupt)?,
        metadata: row.json("metadata").map_err(corrupt)?,
        recorded_at: row.recorded_at().map_err(corrupt)?,
        hash: EventHash::from_slice(&hash).ok_or_else(|| corrupt(ColumnError::Corrupt("hash")))?,
    })
}

fn decode_event_to_project<R: StoredRow>(row: &R) -> Result<EventToProject, StoreError> {
    let position: Position = row.plain("position")?;
    Ok(EventToProject {
        position,
        stream_id: row.plain("stream_id")?,
        event_type: row.plain("event_type")?,
        schema_version: row.plain("schema_version")?,
        payload: row.plain("payload")?,
        recorded_at: row.recorded_at().map_err(|error| error.at(position))?,
    })
}

/// A stored value that cannot be decoded, found while appending.
fn decode_error(field: &str, position: Position) -> sqlx::Error {
    sqlx::Error::Decode(format!("cannot decode the stored {field} at position {position}").into())
}
