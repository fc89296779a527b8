//! Running a domain command against its stream: read, fold, decide, append — with optimistic
//! concurrency, retries, and `Idempotency-Key` handling.
//!
//! This is the one place where the pure domain (`compact-events`) meets the store. HTTP handlers
//! and the catalogue seeding both come through here, so every write obeys the same rules.

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use compact_events::context::{Actor, Context, Lookup, Role};
use compact_events::decider::Decider;
use compact_events::error::{DomainError, ErrorKind};
use compact_events::event::Event;
use compact_events::ids::{MechanismId, RecommendationId, SdgTargetCode};
use compact_events::stream::StreamId;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::http::error::ApiError;
use crate::store::{
    AppendOutcome, AppendRequest, EventStore, ExpectedVersion, IdempotencyRecord, Metadata,
    NewEvent, RecordedEvent, StoreError, StoredResponse,
};

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

/// Recently folded stream states, so a write reads only the events appended since it last saw the
/// stream instead of the whole stream. Streams are append-only, so a state folded up to version
/// `v` stays right forever; the cache only saves work. One per store (it lives in `AppState`).
#[derive(Clone, Default)]
pub struct StateCache(Arc<Mutex<HashMap<String, CachedState>>>);

/// A stream's version and its state folded up to it.
type CachedState = (i64, Arc<dyn Any + Send + Sync>);

/// How many streams the cache holds before it starts over.
const STATE_CACHE_LIMIT: usize = 20_000;

impl StateCache {
    fn get<D: Clone + 'static>(&self, stream: &str) -> Option<(i64, D)> {
        let cache = self.0.lock().ok()?;
        let (version, state) = cache.get(stream)?;
        state
            .downcast_ref::<D>()
            .map(|state| (*version, state.clone()))
    }

    fn put<D: Send + Sync + 'static>(&self, stream: &str, version: i64, state: D) {
        if let Ok(mut cache) = self.0.lock() {
            if cache.len() >= STATE_CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(stream.to_owned(), (version, Arc::new(state)));
        }
    }
}

impl std::fmt::Debug for StateCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateCache").finish_non_exhaustive()
    }
}

/// A stream's state and version, from the cache plus the events appended since.
async fn load_cached<D, S>(
    store: &S,
    stream: &str,
    cache: &StateCache,
) -> Result<(D, i64), ApiError>
where
    D: Decider + Clone + Send + Sync + 'static,
    D::Event: TryFrom<Event>,
    S: EventStore,
{
    let (mut version, mut state) = cache.get::<D>(stream).unwrap_or((0, D::default()));
    let recorded = store.read_stream(stream, version + 1).await?;
    for event in decode_all::<D::Event>(&recorded)? {
        state = state.evolve(&event);
    }
    version += i64::try_from(recorded.len()).unwrap_or(i64::MAX);
    if !recorded.is_empty() {
        cache.put(stream, version, state.clone());
    }
    Ok((state, version))
}

/// Facts from outside the stream that a decision needs, fetched before deciding (the domain does no
/// I/O).
#[derive(Debug, Default)]
pub struct Prefetched {
    mechanisms: HashSet<MechanismId>,
    recommendations: HashSet<RecommendationId>,
}

impl Prefetched {
    /// Looks up which of the named mechanisms and recommendations exist.
    ///
    /// A request body may list tens of thousands of ids within the size limit, so each distinct
    /// id is looked up once, and the lookup stops at the first unknown one: the decision names
    /// the first unknown entry and looks no further. A request thus costs at most one lookup per
    /// distinct existing id, plus one.
    pub async fn fetch<S: EventStore>(
        store: &S,
        mechanisms: &[MechanismId],
        recommendations: &[RecommendationId],
    ) -> Result<Self, ApiError> {
        let mut found = Self::default();
        let mut asked = HashSet::new();
        for mechanism in mechanisms {
            if !asked.insert(StreamId::Mechanism(mechanism.clone()).to_string()) {
                continue;
            }
            if !stream_exists(store, &StreamId::Mechanism(mechanism.clone())).await? {
                break;
            }
            found.mechanisms.insert(mechanism.clone());
        }
        for recommendation in recommendations {
            let stream = StreamId::Recommendation(recommendation.clone());
            if !asked.insert(stream.to_string()) {
                continue;
            }
            if !stream_exists(store, &stream).await? {
                break;
            }
            found.recommendations.insert(recommendation.clone());
        }
        Ok(found)
    }
}

impl Lookup for Prefetched {
    fn sdg_target_exists(&self, code: &SdgTargetCode) -> bool {
        compact_events::catalogue::sdg_target(code).is_some()
    }

    fn recommendation_exists(&self, id: &RecommendationId) -> bool {
        self.recommendations.contains(id)
    }

    fn mechanism_exists(&self, id: &MechanismId) -> bool {
        self.mechanisms.contains(id)
    }
}

async fn stream_exists<S: EventStore>(store: &S, stream: &StreamId) -> Result<bool, ApiError> {
    Ok(!store.read_stream(&stream.to_string(), 1).await?.is_empty())
}

/// Reads a stream and folds it into its state, returning the state and the stored events.
pub async fn load<D, S>(store: &S, stream: &StreamId) -> Result<(D, Vec<RecordedEvent>), ApiError>
where
    D: Decider,
    D::Event: TryFrom<Event>,
    S: EventStore,
{
    let recorded = store.read_stream(&stream.to_string(), 1).await?;
    let events = decode_all::<D::Event>(&recorded)?;
    Ok((D::fold(&events), recorded))
}

/// Decodes stored events into a stream's event type, upcasting old schema versions.
pub fn decode_all<E: TryFrom<Event>>(recorded: &[RecordedEvent]) -> Result<Vec<E>, ApiError> {
    recorded.iter().map(decode::<E>).collect()
}

/// Decodes one stored event; a failure means the log holds something this build cannot read.
pub fn decode<E: TryFrom<Event>>(recorded: &RecordedEvent) -> Result<E, ApiError> {
    let corrupt = |reason: String| {
        ApiError::internal(StoreError::Corrupt {
            position: recorded.position,
            reason,
        })
    };
    let schema_version = u32::try_from(recorded.schema_version)
        .map_err(|_| corrupt("negative schema version".into()))?;
    let event = Event::from_stored(
        &recorded.event_type,
        schema_version,
        recorded.payload.clone(),
    )
    .map_err(|error| corrupt(error.to_string()))?;
    E::try_from(event).map_err(|_| {
        corrupt(format!(
            "a {} event in the wrong stream",
            recorded.event_type
        ))
    })
}

/// Runs a command against `stream`, retrying on a lost race unless the client sent `If-Match`.
///
/// `command` builds the command from the current state (and may refuse, e.g. for authorization);
/// `describe` adds fields to the response body from the events decided (e.g. `seq`).
#[allow(
    clippy::too_many_arguments,
    reason = "each argument is a distinct part of one write"
)]
pub async fn execute<D, S>(
    store: &S,
    cache: &StateCache,
    stream: &StreamId,
    id: &str,
    write: &WriteContext,
    lookup: &(dyn Lookup + Sync),
    command: impl Fn(&D) -> Result<D::Command, ApiError>,
    describe: impl Fn(&[D::Event]) -> Map<String, Value>,
) -> Result<Written, ApiError>
where
    D: Decider + Clone + Send + Sync + 'static,
    D::Event: TryFrom<Event> + Into<Event> + Clone,
    S: EventStore,
{
    if let Some(key) = &write.idempotency
        && let Some(stored) = store.idempotent_response(&key.scope, &key.key).await?
    {
        return replay(key, &stored);
    }
    let stream_id = stream.to_string();
    for _ in 0..MAX_ATTEMPTS {
        let (state, version) = load_cached::<D, S>(store, &stream_id, cache).await?;
        if let Some(expected) = write.if_match
            && expected != version
        {
            return Err(ApiError::PreconditionFailed {
                current_version: version,
            });
        }
        let events = {
            let context = Context {
                now: OffsetDateTime::now_utc(),
                actor: write.actor.clone(),
                lookup,
            };
            state.decide(command(&state)?, &context)?
        };
        let decided = events.clone();
        let mut body = describe(&events);
        body.insert("id".into(), Value::String(id.to_owned()));
        let request = AppendRequest {
            stream_id: stream_id.clone(),
            expected_version: ExpectedVersion::Exact(version),
            events: events
                .into_iter()
                .map(|event| new_event(event.into(), write))
                .collect(),
            idempotency: write.idempotency.as_ref().map(|key| IdempotencyRecord {
                scope: key.scope.clone(),
                key: key.key.clone(),
                request_hash: key.request_hash,
                response: Value::Object(body.clone()),
            }),
        };
        match store.append(request).await {
            Ok(result) => {
                if result.outcome == AppendOutcome::Appended {
                    let next = decided
                        .iter()
                        .fold(state, |state, event| state.evolve(event));
                    cache.put(&stream_id, result.stream_version, next);
                }
                return Ok(finish(body, result.stream_version, result.last_position));
            }
            Err(StoreError::WrongExpectedVersion { actual, .. }) if write.if_match.is_some() => {
                return Err(ApiError::PreconditionFailed {
                    current_version: actual,
                });
            }
            // Someone else wrote to the stream since we read it: decide again on the new state.
            Err(StoreError::WrongExpectedVersion { .. }) => {}
            Err(StoreError::IdempotencyKeyUsed(stored)) => {
                let key = write.idempotency.as_ref().ok_or_else(|| {
                    ApiError::internal(StoreError::IdempotencyKeyUsed(stored.clone()))
                })?;
                return replay(key, &stored);
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::Conflict(format!(
        "{stream_id} is changing too fast to write to; try again"
    )))
}

fn replay(key: &IdempotencyKey, stored: &StoredResponse) -> Result<Written, ApiError> {
    if stored.request_hash != key.request_hash {
        return Err(ApiError::Unprocessable {
            field: None,
            detail: "this Idempotency-Key was already used with a different request".into(),
        });
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

fn new_event(event: Event, write: &WriteContext) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: event.event_type().to_owned(),
        schema_version: i32::try_from(event.schema_version()).unwrap_or(i32::MAX),
        payload: event.to_payload(),
        metadata: Metadata {
            token_id: Some(write.actor.token_id.clone()),
            role: role_name(&write.actor.role).to_owned(),
            correlation_id: write.correlation_id.clone(),
            causation_id: None,
        },
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

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error.kind() {
            ErrorKind::Invalid => Self::Unprocessable {
                field: error.field(),
                detail: error.to_string(),
            },
            ErrorKind::Conflict => Self::Conflict(error.to_string()),
            ErrorKind::NotFound => Self::NotFound(error.to_string()),
        }
    }
}
