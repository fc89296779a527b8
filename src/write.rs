//! The write path: running a domain command against its stream — read, fold, decide, append —
//! with optimistic concurrency, retries and `Idempotency-Key` handling.
//!
//! This is the one place where the pure domain (`compact-events`) meets the store. The HTTP API,
//! the dashboard's forms and the catalogue seeding all come through [`Executor::execute`], so
//! every write obeys the same rules. It knows nothing of HTTP: refusals are [`WriteError`]s,
//! which each front end shows in its own way.
//!
//! # Layout
//!
//! - [`error`]: [`WriteError`], why a write appended nothing;
//! - [`lookup`]: [`Prefetched`], the facts outside the stream a decision needs;
//! - [`state_cache`]: [`StateCache`], folded stream states kept between writes.

pub mod error;
pub mod lookup;
pub mod state_cache;

use compact_events::context::{Actor, Context, Lookup, Role};
use compact_events::decider::Decider;
use compact_events::event::Event;
use compact_events::ids::MechanismId;
use compact_events::stream::StreamId;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use uuid::Uuid;

pub use error::WriteError;
pub use lookup::Prefetched;
pub use state_cache::StateCache;

use crate::store::{
    AppendOutcome, AppendRequest, EventStore, ExpectedVersion, IdempotencyRecord, Metadata,
    NewEvent, StoreError, StoredResponse,
};
use crate::stream::decode_all;

/// How many times a write without `If-Match` re-reads and re-decides after losing a race.
const MAX_ATTEMPTS: usize = 64;

/// Who is writing and in answer to which request.
#[derive(Debug, Clone)]
pub struct WriteContext {
    /// The authenticated actor.
    pub actor: Actor,
    /// The request id, recorded as the events' correlation id.
    pub correlation_id: Option<String>,
    /// `If-Match`: the version the client last saw, if it sent one.
    pub if_match: Option<i64>,
    /// `Idempotency-Key` with the hash of the request, if the client sent one.
    pub idempotency: Option<IdempotencyKey>,
}

/// A client's `Idempotency-Key`, scoped to its token, with the hash of the request it came with.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    /// The token id (keys of different clients never collide).
    pub scope: String,
    /// The header value.
    pub key: String,
    /// SHA-256 over method, path and canonical body.
    pub request_hash: [u8; 32],
}

/// The answer to a successful write: the response body and the stream version for `ETag`.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// `{id, version, position, …}`.
    pub body: Value,
    /// The stream version after the write.
    pub version: i64,
}

/// One write: the command for a stream, who asks, and how to describe what was decided.
pub struct WriteRequest<'a, D: Decider, C> {
    /// The stream written to.
    pub stream: StreamId,
    /// The id of the resource, as the answer names it (a slug or UUID).
    pub id: String,
    /// Who writes, and the request's `If-Match` and `Idempotency-Key`.
    pub context: &'a WriteContext,
    /// What the decision may look up outside its stream.
    pub lookup: &'a (dyn Lookup + Sync),
    /// Builds the command from the current state; may refuse (e.g. [`WriteError::Forbidden`]).
    /// Called again after a lost race, on the new state.
    pub command: C,
    /// Fields the answer adds from the events decided (e.g. a progress update's `seq`).
    pub describe: fn(&[D::Event]) -> Map<String, Value>,
}

impl<'a, D, C> WriteRequest<'a, D, C>
where
    D: Decider,
    C: Fn(&D) -> Result<D::Command, WriteError>,
{
    /// A write whose answer is `{id, version, position}`. (Built through here rather than as a
    /// literal, a closure passed as `command` is inferred for states of any lifetime.)
    pub fn new(
        stream: StreamId,
        id: impl Into<String>,
        context: &'a WriteContext,
        lookup: &'a (dyn Lookup + Sync),
        command: C,
    ) -> Self {
        Self {
            stream,
            id: id.into(),
            context,
            lookup,
            command,
            describe: |_| Map::new(),
        }
    }

    /// Adds fields to the answer from the events decided.
    pub fn describe(self, describe: fn(&[D::Event]) -> Map<String, Value>) -> Self {
        Self { describe, ..self }
    }
}

/// Runs commands against the streams of one store, keeping folded states between writes.
#[derive(Debug, Clone)]
pub struct Executor<S> {
    store: S,
    cache: StateCache,
}

impl<S: EventStore> Executor<S> {
    /// The write path over `store`, with an empty state cache.
    pub fn new(store: S) -> Self {
        Self {
            store,
            cache: StateCache::default(),
        }
    }

    /// The store written to.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Runs a command against its stream, retrying on a lost race unless the client sent
    /// `If-Match`. Appends exactly what `decide` returned, in one atomic append, or nothing.
    pub async fn execute<D, C>(
        &self,
        request: WriteRequest<'_, D, C>,
    ) -> Result<Written, WriteError>
    where
        D: Decider + Clone + Send + Sync + 'static,
        D::Event: TryFrom<Event> + Into<Event> + Clone,
        C: Fn(&D) -> Result<D::Command, WriteError>,
    {
        let write = request.context;
        if let Some(key) = &write.idempotency
            && let Some(stored) = self.store.idempotent_response(&key.scope, &key.key).await?
        {
            return replay(key, &stored);
        }
        let stream_id = request.stream.to_string();
        for _ in 0..MAX_ATTEMPTS {
            let (state, version) = self.load_cached::<D>(&stream_id).await?;
            if let Some(expected) = write.if_match
                && expected != version
            {
                return Err(WriteError::VersionMismatch {
                    current_version: version,
                });
            }
            let events = {
                let context = Context {
                    now: OffsetDateTime::now_utc(),
                    actor: write.actor.clone(),
                    lookup: request.lookup,
                };
                state.decide((request.command)(&state)?, &context)?
            };
            let decided = events.clone();
            let mut body = (request.describe)(&events);
            body.insert("id".into(), Value::String(request.id.clone()));
            let metadata = metadata(write);
            let append = AppendRequest {
                stream_id: stream_id.clone(),
                expected_version: ExpectedVersion::Exact(version),
                events: events
                    .into_iter()
                    .map(|event| new_event(&event.into(), metadata.clone()))
                    .collect(),
                idempotency: write.idempotency.as_ref().map(|key| IdempotencyRecord {
                    scope: key.scope.clone(),
                    key: key.key.clone(),
                    request_hash: key.request_hash,
                    response: Value::Object(body.clone()),
                }),
            };
            match self.store.append(append).await {
                Ok(result) => {
                    if result.outcome == AppendOutcome::Appended {
                        let next = decided
                            .iter()
                            .fold(state, |state, event| state.evolve(event));
                        self.cache.put(&stream_id, result.stream_version, next);
                    }
                    return Ok(finish(body, result.stream_version, result.last_position));
                }
                Err(StoreError::WrongExpectedVersion { actual, .. })
                    if write.if_match.is_some() =>
                {
                    return Err(WriteError::VersionMismatch {
                        current_version: actual,
                    });
                }
                // Someone else wrote to the stream since we read it: decide again on the new state.
                Err(StoreError::WrongExpectedVersion { .. }) => {}
                Err(StoreError::IdempotencyKeyUsed(stored)) => {
                    let Some(key) = write.idempotency.as_ref() else {
                        return Err(StoreError::IdempotencyKeyUsed(stored).into());
                    };
                    return replay(key, &stored);
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(WriteError::TooContended { stream: stream_id })
    }

    /// A stream's state and version, from the cache plus the events appended since.
    async fn load_cached<D>(&self, stream: &str) -> Result<(D, i64), StoreError>
    where
        D: Decider + Clone + Send + Sync + 'static,
        D::Event: TryFrom<Event>,
    {
        let (mut version, mut state) = self.cache.get::<D>(stream).unwrap_or((0, D::default()));
        let recorded = self.store.read_stream(stream, version + 1).await?;
        for event in decode_all::<D::Event>(&recorded)? {
            state = state.evolve(&event);
        }
        version += i64::try_from(recorded.len()).unwrap_or(i64::MAX);
        if !recorded.is_empty() {
            self.cache.put(stream, version, state.clone());
        }
        Ok((state, version))
    }
}

fn replay(key: &IdempotencyKey, stored: &StoredResponse) -> Result<Written, WriteError> {
    if stored.request_hash != key.request_hash {
        return Err(WriteError::IdempotencyKeyReused);
    }
    let body = match &stored.response {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    Ok(finish(
        body,
        stored.result.stream_version,
        stored.result.last_position,
    ))
}

fn finish(mut body: Map<String, Value>, version: i64, position: i64) -> Written {
    body.insert("version".into(), Value::from(version));
    body.insert("position".into(), Value::from(position));
    Written {
        body: Value::Object(body),
        version,
    }
}

/// The metadata every event of a write carries.
fn metadata(write: &WriteContext) -> Metadata {
    Metadata {
        token_id: Some(write.actor.token_id.clone()),
        role: role_name(&write.actor.role).to_owned(),
        correlation_id: write.correlation_id.clone(),
        causation_id: None,
    }
}

/// The append of one decided event, with a fresh time-ordered id (the demo builds its appends
/// with this too, so its history is stored exactly as a live one).
pub fn new_event(event: &Event, metadata: Metadata) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: event.event_type().to_owned(),
        schema_version: i32::try_from(event.schema_version()).unwrap_or(i32::MAX),
        payload: event.to_payload(),
        metadata,
    }
}

/// Whether `actor` may write for `mechanism`: an admin always, a reporter for its own mechanism
/// only, a reviewer never. Checked by each front end before it parses a body, and again on the
/// state each decision is made on.
pub fn may_write_for(actor: &Actor, mechanism: &MechanismId) -> Result<(), WriteError> {
    match &actor.role {
        Role::Admin => Ok(()),
        Role::Reporter { mechanism: own } if own == mechanism => Ok(()),
        Role::Reporter { mechanism: own } => Err(WriteError::Forbidden(format!(
            "this reporter token writes for {own}, not for {mechanism}"
        ))),
        Role::Reviewer | Role::System => Err(WriteError::Forbidden(
            "only an admin or a reporter of the mechanism may do this".into(),
        )),
    }
}

/// The role's wire name, as recorded in event metadata.
pub fn role_name(role: &Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Reporter { .. } => "reporter",
        Role::Reviewer => "reviewer",
        Role::System => "system",
    }
}
