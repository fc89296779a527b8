//! The event store: an append-only log of events, in streams, in one global order.
//!
//! # Layout
//!
//! - this module: the [`EventStore`] trait every backend implements, and the types that cross it;
//! - [`canonical`]: the canonical encoding of an event and its SHA-256 hash chain;
//! - [`plan`]: the backend-independent part of an append (idempotency, expected versions, positions,
//!   hashes), a pure function of what the database holds;
//! - [`group_commit`]: the single writer that queues concurrent appends and commits them together;
//! - [`sqlite`] and [`postgres`]: the two backends;
//! - `sql`: the queries both backends run alike, written once, and the decoding of their rows;
//! - [`subscription`]: the live tail by global position.
//!
//! # Guarantees (SPEC.md "Event store guarantees")
//!
//! - Positions are assigned by the one writer that holds the store's write lock (SQLite
//!   `BEGIN IMMEDIATE`; PostgreSQL `pg_advisory_xact_lock`), as `head + 1, head + 2, …`, so they are
//!   gapless and commit order equals position order: a reader that has seen position `p` never later
//!   sees a committed event at or before `p`.
//! - `recorded_at` never decreases along positions, so "known at time t" is a prefix of the log.
//! - An append is atomic and durable when it returns (synchronous commit / `synchronous=FULL`).
//! - Appending an event id that is already stored returns the original result and writes nothing.

pub mod any;
pub mod canonical;
pub mod chain_check;
pub mod group_commit;
mod plan;
pub mod postgres;
mod sql;
pub mod sqlite;
pub mod subscription;

use std::fmt;
use std::future::Future;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

pub use any::AnyStore;
pub use canonical::EventHash;
pub use subscription::Subscription;

/// A global position: 1 for the first event ever appended, then +1 per event, without gaps.
pub type Position = i64;

/// A stream version: 1 for a stream's first event, then +1 per event.
pub type StreamVersion = i64;

/// What the caller believes the stream's version to be (optimistic concurrency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpectedVersion {
    /// Append whatever the stream's version is.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must exist.
    StreamExists,
    /// The stream's last version must be exactly this (0 means no stream).
    Exact(StreamVersion),
}

impl ExpectedVersion {
    /// Whether a stream whose last version is `actual` (0 if absent) satisfies the expectation.
    pub fn admits(self, actual: StreamVersion) -> bool {
        match self {
            Self::Any => true,
            Self::NoStream => actual == 0,
            Self::StreamExists => actual > 0,
            Self::Exact(expected) => actual == expected,
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("any version"),
            Self::NoStream => f.write_str("no stream"),
            Self::StreamExists => f.write_str("an existing stream"),
            Self::Exact(version) => write!(f, "version {version}"),
        }
    }
}

/// Who wrote an event and in answer to what: stored beside every event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The id of the API token that wrote the event (`None` for the server itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    /// The role the writer acted in: `admin`, `reporter`, `reviewer` or `system`.
    pub role: String,
    /// The request or correlation id the event was written for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// The id of the event or command that caused this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<String>,
}

/// An event to append: the store fills in position, stream version, time and hash.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Client-chosen id (UUIDv7 preferred: time-ordered ids keep the index compact).
    pub event_id: Uuid,
    /// The stable wire name of the event type, e.g. `progress_reported`.
    pub event_type: String,
    /// The schema version of `payload` for this event type.
    pub schema_version: i32,
    /// The event's data.
    pub payload: serde_json::Value,
    /// Who wrote it and why.
    pub metadata: Metadata,
}

/// One call to [`EventStore::append`]: events for one stream, written atomically.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendRequest {
    /// The stream to append to, e.g. `commitment-<uuid>`.
    pub stream_id: String,
    /// The version the caller expects the stream to be at.
    pub expected_version: ExpectedVersion,
    /// The events, in order; at least one.
    pub events: Vec<NewEvent>,
    /// An HTTP `Idempotency-Key` to record in the same transaction, if the request carried one.
    pub idempotency: Option<IdempotencyRecord>,
}

/// An `Idempotency-Key` and the answer to remember for it, stored atomically with the events.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyRecord {
    /// Whose key it is (the API token id), so clients cannot collide.
    pub scope: String,
    /// The client's key.
    pub key: String,
    /// SHA-256 of the request; a reuse of the key with another request is refused.
    pub request_hash: [u8; 32],
    /// The response body to replay.
    pub response: serde_json::Value,
}

/// What a stored `Idempotency-Key` answered the first time.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    /// SHA-256 of the first request.
    pub request_hash: [u8; 32],
    /// The stream the first request wrote.
    pub stream_id: String,
    /// The result of its append.
    pub result: AppendResult,
    /// Its response body.
    pub response: serde_json::Value,
}

/// Whether an append wrote its events or found them already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOutcome {
    /// The events were written by this call.
    Appended,
    /// Every event id was already stored with the same content; nothing was written.
    AlreadyAppended,
}

/// The result of a successful append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendResult {
    /// The stream's version after the append (the version of its last event).
    pub stream_version: StreamVersion,
    /// The global position of the first event of the append.
    pub first_position: Position,
    /// The global position of the last event of the append.
    pub last_position: Position,
    /// Whether this call wrote the events.
    pub outcome: AppendOutcome,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    /// Global position, strictly increasing in commit order, without gaps.
    pub position: Position,
    /// The stream the event belongs to.
    pub stream_id: String,
    /// The event's version within its stream.
    pub stream_version: StreamVersion,
    /// The event's id.
    pub event_id: Uuid,
    /// The stable wire name of the event type.
    pub event_type: String,
    /// The schema version of `payload`.
    pub schema_version: i32,
    /// The event's data.
    pub payload: serde_json::Value,
    /// Who wrote it and why.
    pub metadata: Metadata,
    /// When the store committed it (microsecond precision, UTC, never decreasing along positions).
    pub recorded_at: OffsetDateTime,
    /// SHA-256 over the previous event's hash and this event's canonical encoding.
    pub hash: EventHash,
}

/// An event as the projection runner reads it (see [`EventStore::read_all_for_projection`]): only
/// the columns projections use, and the payload as stored JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct EventToProject {
    /// Global position, strictly increasing in commit order, without gaps.
    pub position: Position,
    /// The stream the event belongs to.
    pub stream_id: String,
    /// The stable wire name of the event type.
    pub event_type: String,
    /// The schema version of `payload`.
    pub schema_version: i32,
    /// The event's data as JSON text, not parsed: the reader deserialises it straight into its
    /// event type (`Event::from_stored_json`).
    pub payload: String,
    /// When the store committed it (microsecond precision, UTC, never decreasing along positions).
    pub recorded_at: OffsetDateTime,
}

/// The outcome of walking the hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// True when every event's hash matches and positions run 1, 2, … without gaps.
    pub ok: bool,
    /// How many events were checked.
    pub events_checked: u64,
    /// The hash of the last event checked (hex), or `None` for an empty store.
    pub head_hash: Option<EventHash>,
    /// The first position whose hash or position does not match, if any.
    pub first_broken_position: Option<Position>,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The stream's version is not what the caller expected; nothing was written.
    #[error("stream {stream_id} is at version {actual}, expected {expected}")]
    WrongExpectedVersion {
        /// The stream appended to.
        stream_id: String,
        /// What the caller expected.
        expected: ExpectedVersion,
        /// The stream's actual last version (0 if it does not exist).
        actual: StreamVersion,
    },
    /// An event id is already stored with different content (or in another stream).
    #[error("event {event_id} is already stored with different content")]
    IdempotencyConflict {
        /// The event id that was reused.
        event_id: Uuid,
    },
    /// The request's `Idempotency-Key` was already used; nothing was written. The caller replays
    /// the stored response if the request is the same, and refuses it otherwise.
    #[error("the idempotency key was already used")]
    IdempotencyKeyUsed(Box<StoredResponse>),
    /// The append itself is malformed (no events, text the database cannot hold, …).
    #[error("invalid append: {0}")]
    InvalidAppend(String),
    /// The stored log is not what the store wrote (a gap, an undecodable row).
    #[error("the event log is corrupt at position {position}: {reason}")]
    Corrupt {
        /// Where the problem was found.
        position: Position,
        /// What is wrong.
        reason: String,
    },
    /// The store's writer has shut down.
    #[error("the event store is shutting down")]
    Closed,
    /// The database failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// Applying the schema failed.
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// An append-only event store. Implemented by [`sqlite::SqliteStore`] and
/// [`postgres::PostgresStore`]; the conformance tests run the same bodies against both.
pub trait EventStore: Clone + Send + Sync + 'static {
    /// Appends events to one stream atomically; durable when it returns.
    fn append(
        &self,
        request: AppendRequest,
    ) -> impl Future<Output = Result<AppendResult, StoreError>> + Send;

    /// Appends with a given commit time instead of the clock's, for replaying history (the demo
    /// data set, imports). The time is still raised to the previous event's, so `recorded_at` never
    /// decreases. Not reachable from the HTTP API: clients cannot backdate anything.
    fn append_at(
        &self,
        request: AppendRequest,
        recorded_at: OffsetDateTime,
    ) -> impl Future<Output = Result<AppendResult, StoreError>> + Send;

    /// Reads a stream's events with version ≥ `from_version`, in version order.
    fn read_stream(
        &self,
        stream_id: &str,
        from_version: StreamVersion,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send;

    /// Reads up to `limit` events with position > `after`, in position order.
    fn read_all(
        &self,
        after: Position,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send;

    /// Reads up to `limit` events with position > `after`, in position order, as the projection
    /// runner needs them.
    ///
    /// It exists because the runner reads the whole log (a rebuild, a million events and more) and
    /// was CPU-bound doing so: [`EventStore::read_all`] decodes every column, parses the payload
    /// and metadata into JSON values, and the runner then turned the values into events. This read
    /// leaves out the event id, stream version, metadata and hash, and returns the payload as text,
    /// which `Event::from_stored_json` deserialises directly. On a million SQLite events, reading
    /// and decoding took 0.9 s of CPU per 100,000 events the old way and about half that this way.
    fn read_all_for_projection(
        &self,
        after: Position,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<EventToProject>, StoreError>> + Send;

    /// The response stored for an `Idempotency-Key`, if the key was used.
    fn idempotent_response(
        &self,
        scope: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<StoredResponse>, StoreError>> + Send;

    /// The last position recorded at or before `at` (0 if none): what was known then. A prefix of
    /// the log, because `recorded_at` never decreases along positions.
    fn position_at(
        &self,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<Position, StoreError>> + Send;

    /// The position of the last committed event (0 for an empty store).
    fn head(&self) -> impl Future<Output = Result<Position, StoreError>> + Send;

    /// A receiver that changes whenever this process learns of a new head position.
    fn head_watch(&self) -> tokio::sync::watch::Receiver<Position>;

    /// Follows the log from `after`: every event after it, once, in position order, then live.
    fn subscribe(&self, after: Position) -> Subscription<Self> {
        Subscription::new(self.clone(), after)
    }

    /// Walks the hash chain from the first event and reports the first broken position, if any.
    fn verify(&self) -> impl Future<Output = Result<VerifyReport, StoreError>> + Send {
        canonical::verify_chain(self.clone())
    }
}
