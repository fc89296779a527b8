//! The backend-independent part of an append, as a pure function.
//!
//! A backend takes its write lock, reads what [`Plan::new`] needs (the head, the versions of the
//! streams in the batch, and any already-stored events with the batch's event ids), and inserts the
//! rows the plan returns. Keeping the rules here means both backends decide identically, and the
//! rules can be tested without a database.

use std::collections::HashMap;

use time::OffsetDateTime;
use uuid::Uuid;

use super::canonical::{HashedFields, canonical_json, chain_hash, truncate_to_micros};
use super::{
    AppendOutcome, AppendRequest, AppendResult, EventHash, Metadata, Position, StoreError,
    StoredResponse, StreamVersion,
};

/// An `Idempotency-Key` identity: (scope, key).
pub type KeyId = (String, String);

/// The last committed event, as read under the write lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Its position (0 for an empty store).
    pub position: Position,
    /// Its hash ([`EventHash::GENESIS`] for an empty store).
    pub hash: EventHash,
    /// Its commit time (`None` for an empty store).
    pub recorded_at: Option<OffsetDateTime>,
}

impl Head {
    /// The head of an empty store.
    pub const EMPTY: Self = Self {
        position: 0,
        hash: EventHash::GENESIS,
        recorded_at: None,
    };
}

/// An already-stored event found by id, with what idempotency compares.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredIdentity {
    /// The stream it was stored in.
    pub stream_id: String,
    /// Its version there.
    pub stream_version: StreamVersion,
    /// Its global position.
    pub position: Position,
    /// Its type.
    pub event_type: String,
    /// Its schema version.
    pub schema_version: i32,
    /// Its payload.
    pub payload: serde_json::Value,
}

/// A row to insert, fully computed.
#[derive(Debug, Clone)]
pub struct Row {
    pub position: Position,
    pub stream_id: String,
    pub stream_version: StreamVersion,
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: i32,
    /// Canonical JSON text of the payload.
    pub payload: String,
    /// Canonical JSON text of the metadata.
    pub metadata: String,
    pub recorded_at: OffsetDateTime,
    pub hash: EventHash,
}

/// An `Idempotency-Key` record to insert with the batch.
#[derive(Debug, Clone)]
pub struct KeyRow {
    pub scope: String,
    pub key: String,
    pub request_hash: [u8; 32],
    pub stream_id: String,
    pub result: AppendResult,
    /// Canonical JSON text of the response body.
    pub response: String,
    pub recorded_at: OffsetDateTime,
}

/// What to write for a batch of appends, and what to answer each caller.
#[derive(Debug)]
pub struct Plan {
    /// Rows to insert, in position order.
    pub rows: Vec<Row>,
    /// Idempotency-Key records to insert.
    pub keys: Vec<KeyRow>,
    /// One answer per request, in request order.
    pub results: Vec<Result<AppendResult, StoreError>>,
}

impl Plan {
    /// Whether some append of the batch failed its expected-version check.
    pub fn has_version_conflict(&self) -> bool {
        self.results
            .iter()
            .any(|result| matches!(result, Err(StoreError::WrongExpectedVersion { .. })))
    }

    /// Decides a batch: requests are taken in order, each seeing the effects of the ones before it.
    /// `clocks[i]`, when given, is the commit time to record for request `i` (imports and the demo
    /// replay history); otherwise `now`. Either way it is raised to the previous event's time.
    pub fn new(
        requests: &[AppendRequest],
        clocks: &[Option<OffsetDateTime>],
        head: Head,
        now: OffsetDateTime,
        mut stream_versions: HashMap<String, StreamVersion>,
        stored: &HashMap<Uuid, StoredIdentity>,
        stored_keys: &HashMap<KeyId, StoredResponse>,
    ) -> Self {
        // recorded_at never decreases along positions, even if the clock steps back, so that
        // "known at t" is always a prefix of the log.
        let mut clock = head.recorded_at;
        let mut rows: Vec<Row> = Vec::new();
        let mut in_batch: HashMap<Uuid, StoredIdentity> = HashMap::new();
        let mut position = head.position;
        let mut previous_hash = head.hash;
        let mut results = Vec::with_capacity(requests.len());
        let mut keys: Vec<KeyRow> = Vec::new();
        let mut batch_keys: HashMap<KeyId, StoredResponse> = HashMap::new();

        for (index, request) in requests.iter().enumerate() {
            let wanted = truncate_to_micros(clocks.get(index).copied().flatten().unwrap_or(now));
            let recorded_at = clock.map_or(wanted, |previous| wanted.max(previous));
            if let Err(error) = validate(request) {
                results.push(Err(error));
                continue;
            }
            if let Some(record) = &request.idempotency {
                let id = (record.scope.clone(), record.key.clone());
                if let Some(first) = stored_keys.get(&id).or_else(|| batch_keys.get(&id)) {
                    results.push(Err(StoreError::IdempotencyKeyUsed(Box::new(first.clone()))));
                    continue;
                }
            }
            match find_previous_append(request, stored, &in_batch) {
                Ok(Some(result)) => {
                    results.push(Ok(result));
                    continue;
                }
                Ok(None) => {}
                Err(error) => {
                    results.push(Err(error));
                    continue;
                }
            }
            let actual = stream_versions
                .get(&request.stream_id)
                .copied()
                .unwrap_or(0);
            if !request.expected_version.admits(actual) {
                results.push(Err(StoreError::WrongExpectedVersion {
                    stream_id: request.stream_id.clone(),
                    expected: request.expected_version,
                    actual,
                }));
                continue;
            }
            clock = Some(recorded_at);
            let first_position = position + 1;
            let mut version = actual;
            for event in &request.events {
                position += 1;
                version += 1;
                let hash = chain_hash(
                    &previous_hash,
                    HashedFields {
                        position,
                        stream_id: &request.stream_id,
                        stream_version: version,
                        event_id: event.event_id,
                        event_type: &event.event_type,
                        schema_version: event.schema_version,
                        recorded_at,
                        payload: &event.payload,
                        metadata: &event.metadata,
                    },
                );
                previous_hash = hash;
                in_batch.insert(
                    event.event_id,
                    StoredIdentity {
                        stream_id: request.stream_id.clone(),
                        stream_version: version,
                        position,
                        event_type: event.event_type.clone(),
                        schema_version: event.schema_version,
                        payload: event.payload.clone(),
                    },
                );
                rows.push(Row {
                    position,
                    stream_id: request.stream_id.clone(),
                    stream_version: version,
                    event_id: event.event_id,
                    event_type: event.event_type.clone(),
                    schema_version: event.schema_version,
                    payload: canonical_text(&event.payload),
                    metadata: metadata_text(&event.metadata),
                    recorded_at,
                    hash,
                });
            }
            stream_versions.insert(request.stream_id.clone(), version);
            let result = AppendResult {
                stream_version: version,
                first_position,
                last_position: position,
                outcome: AppendOutcome::Appended,
            };
            if let Some(record) = &request.idempotency {
                batch_keys.insert(
                    (record.scope.clone(), record.key.clone()),
                    StoredResponse {
                        request_hash: record.request_hash,
                        stream_id: request.stream_id.clone(),
                        result,
                        response: record.response.clone(),
                    },
                );
                keys.push(KeyRow {
                    scope: record.scope.clone(),
                    key: record.key.clone(),
                    request_hash: record.request_hash,
                    stream_id: request.stream_id.clone(),
                    result,
                    response: canonical_text(&record.response),
                    recorded_at,
                });
            }
            results.push(Ok(result));
        }
        Self {
            rows,
            keys,
            results,
        }
    }
}

/// Checks what the database would otherwise reject with an unhelpful error.
fn validate(request: &AppendRequest) -> Result<(), StoreError> {
    let invalid = |reason: &str| Err(StoreError::InvalidAppend(reason.to_owned()));
    if request.events.is_empty() {
        return invalid("an append needs at least one event");
    }
    if request.stream_id.is_empty() || request.stream_id.len() > 200 {
        return invalid("a stream id has 1 to 200 bytes");
    }
    let mut ids = std::collections::HashSet::new();
    for event in &request.events {
        if !ids.insert(event.event_id) {
            return invalid("an event id appears twice in one append");
        }
        if event.event_type.is_empty() {
            return invalid("an event needs a type");
        }
        // PostgreSQL's jsonb cannot hold U+0000; refuse it on every backend alike.
        if contains_nul(&event.payload) {
            return invalid("event data may not contain the character U+0000");
        }
    }
    Ok(())
}

fn contains_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(map) => map
            .iter()
            .any(|(key, item)| key.contains('\0') || contains_nul(item)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// `Some` when every event of the request is already stored with the same content.
fn find_previous_append(
    request: &AppendRequest,
    stored: &HashMap<Uuid, StoredIdentity>,
    in_batch: &HashMap<Uuid, StoredIdentity>,
) -> Result<Option<AppendResult>, StoreError> {
    let mut found = Vec::with_capacity(request.events.len());
    for event in &request.events {
        let Some(identity) = stored
            .get(&event.event_id)
            .or_else(|| in_batch.get(&event.event_id))
        else {
            continue;
        };
        let same = identity.stream_id == request.stream_id
            && identity.event_type == event.event_type
            && identity.schema_version == event.schema_version
            && canonical_json(&identity.payload) == canonical_json(&event.payload);
        if !same {
            return Err(StoreError::IdempotencyConflict {
                event_id: event.event_id,
            });
        }
        found.push(identity);
    }
    if found.is_empty() {
        return Ok(None);
    }
    if found.len() != request.events.len() {
        // Some of the ids were stored by an earlier append and some are new: not a retry.
        let event_id = request.events[0].event_id;
        return Err(StoreError::IdempotencyConflict { event_id });
    }
    let first_position = found.iter().map(|i| i.position).min().unwrap_or(0);
    let last = found.iter().max_by_key(|i| i.position);
    Ok(last.map(|last| AppendResult {
        stream_version: last.stream_version,
        first_position,
        last_position: last.position,
        outcome: AppendOutcome::AlreadyAppended,
    }))
}

fn canonical_text(value: &serde_json::Value) -> String {
    // canonical_json writes serde_json output, which is always UTF-8.
    String::from_utf8(canonical_json(value)).unwrap_or_default()
}

fn metadata_text(metadata: &Metadata) -> String {
    serde_json::to_value(metadata)
        .map(|value| canonical_text(&value))
        .unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ExpectedVersion, NewEvent};
    use serde_json::json;

    fn event(id: u128, payload: serde_json::Value) -> NewEvent {
        NewEvent {
            event_id: Uuid::from_u128(id),
            event_type: "thing_happened".into(),
            schema_version: 1,
            payload,
            metadata: Metadata {
                role: "admin".into(),
                ..Metadata::default()
            },
        }
    }

    fn request(stream: &str, expected: ExpectedVersion, events: Vec<NewEvent>) -> AppendRequest {
        AppendRequest {
            stream_id: stream.into(),
            expected_version: expected,
            events,
            idempotency: None,
        }
    }

    fn plan(
        requests: &[AppendRequest],
        head: Head,
        stored: &HashMap<Uuid, StoredIdentity>,
    ) -> Plan {
        Plan::new(
            requests,
            &[],
            head,
            now(),
            HashMap::new(),
            stored,
            &HashMap::new(),
        )
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    #[test]
    fn a_conflict_fails_only_its_own_append() {
        let requests = [
            request("a", ExpectedVersion::NoStream, vec![event(1, json!(1))]),
            request("a", ExpectedVersion::NoStream, vec![event(2, json!(2))]),
            request("b", ExpectedVersion::Exact(0), vec![event(3, json!(3))]),
        ];
        let plan = plan(&requests, Head::EMPTY, &HashMap::new());
        assert_eq!(plan.rows.len(), 2);
        assert_eq!(plan.rows[1].position, 2, "positions stay gapless");
        assert!(matches!(
            plan.results[1],
            Err(StoreError::WrongExpectedVersion { actual: 1, .. })
        ));
        assert_eq!(plan.results[2].as_ref().unwrap().first_position, 2);
    }

    #[test]
    fn a_retry_in_the_same_batch_gets_the_original_result() {
        let original = request("a", ExpectedVersion::Any, vec![event(1, json!({"x": 1}))]);
        let plan = plan(&[original.clone(), original], Head::EMPTY, &HashMap::new());
        assert_eq!(plan.rows.len(), 1);
        let retry = plan.results[1].as_ref().unwrap();
        assert_eq!(retry.outcome, AppendOutcome::AlreadyAppended);
        assert_eq!((retry.first_position, retry.stream_version), (1, 1));
    }

    #[test]
    fn reusing_an_event_id_with_other_content_is_a_conflict() {
        let stored = HashMap::from([(
            Uuid::from_u128(1),
            StoredIdentity {
                stream_id: "a".into(),
                stream_version: 1,
                position: 7,
                event_type: "thing_happened".into(),
                schema_version: 1,
                payload: json!({"x": 1}),
            },
        )]);
        let requests = [request(
            "a",
            ExpectedVersion::Any,
            vec![event(1, json!({"x": 2}))],
        )];
        let plan = plan(&requests, Head::EMPTY, &stored);
        assert!(plan.rows.is_empty());
        assert!(matches!(
            plan.results[0],
            Err(StoreError::IdempotencyConflict { .. })
        ));
    }

    #[test]
    fn a_used_idempotency_key_writes_nothing_and_returns_the_first_answer() {
        let mut first = request("a", ExpectedVersion::Any, vec![event(1, json!(1))]);
        first.idempotency = Some(crate::store::IdempotencyRecord {
            scope: "token".into(),
            key: "k".into(),
            request_hash: [1; 32],
            response: json!({"id": "a"}),
        });
        let mut second = first.clone();
        second.events = vec![event(2, json!(1))];
        let plan = plan(&[first, second], Head::EMPTY, &HashMap::new());
        assert_eq!((plan.rows.len(), plan.keys.len()), (1, 1));
        let Err(StoreError::IdempotencyKeyUsed(stored)) = &plan.results[1] else {
            panic!("expected the key to be found: {:?}", plan.results[1]);
        };
        assert_eq!(stored.result.first_position, 1);
        assert_eq!(stored.response, json!({"id": "a"}));
    }

    #[test]
    fn recorded_at_never_goes_back() {
        let later = now() + time::Duration::hours(1);
        let head = Head {
            position: 5,
            hash: EventHash([7; 32]),
            recorded_at: Some(later),
        };
        let requests = [request("a", ExpectedVersion::Any, vec![event(1, json!(1))])];
        let plan = plan(&requests, head, &HashMap::new());
        assert_eq!(plan.rows[0].recorded_at, later);
        assert_eq!(plan.rows[0].position, 6);
    }

    #[test]
    fn malformed_appends_are_refused() {
        let nul = request(
            "a",
            ExpectedVersion::Any,
            vec![event(1, json!({"t": "a\u{0}b"}))],
        );
        let empty = request("a", ExpectedVersion::Any, vec![]);
        let twice = request(
            "a",
            ExpectedVersion::Any,
            vec![event(1, json!(1)), event(1, json!(1))],
        );
        let plan = plan(&[nul, empty, twice], Head::EMPTY, &HashMap::new());
        assert!(plan.rows.is_empty());
        assert!(
            plan.results
                .iter()
                .all(|result| matches!(result, Err(StoreError::InvalidAppend(_))))
        );
    }
}
