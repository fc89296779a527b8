//! The canonical encoding of an event and the SHA-256 hash chain over the log.
//!
//! `hash(n) = SHA-256(hash(n-1) ‖ encode(event n))`, with 32 zero bytes before the first event.
//! The encoding is independent of how a backend stores JSON (PostgreSQL's `jsonb` reorders keys and
//! drops whitespace): object keys are sorted and every field is length-prefixed, so the same event
//! encodes to the same bytes on every backend and after an export/import.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{EventStore, Metadata, Position, RecordedEvent, StoreError, VerifyReport};

/// A SHA-256 digest in the event hash chain, shown as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct EventHash(pub [u8; 32]);

impl EventHash {
    /// The hash that precedes the first event.
    pub const GENESIS: Self = Self([0; 32]);

    /// Builds a hash from stored bytes; `None` unless exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }
}

impl fmt::Display for EventHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for EventHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventHash({self})")
    }
}

impl Serialize for EventHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The text was not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an event hash is 64 hex digits")]
pub struct ParseHashError;

impl FromStr for EventHash {
    type Err = ParseHashError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() != 64 || !text.is_ascii() {
            return Err(ParseHashError);
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| ParseHashError)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| ParseHashError)?;
        }
        Ok(Self(bytes))
    }
}

/// The fields of an event that its hash covers; borrowed so the writer can hash before storing.
#[derive(Debug, Clone, Copy)]
pub struct HashedFields<'a> {
    /// Global position.
    pub position: Position,
    /// Stream id.
    pub stream_id: &'a str,
    /// Version within the stream.
    pub stream_version: i64,
    /// Event id.
    pub event_id: uuid::Uuid,
    /// Event type wire name.
    pub event_type: &'a str,
    /// Schema version of the payload.
    pub schema_version: i32,
    /// Commit time, hashed at microsecond precision.
    pub recorded_at: OffsetDateTime,
    /// The event's data.
    pub payload: &'a serde_json::Value,
    /// Who wrote it.
    pub metadata: &'a Metadata,
}

impl<'a> From<&'a RecordedEvent> for HashedFields<'a> {
    fn from(event: &'a RecordedEvent) -> Self {
        Self {
            position: event.position,
            stream_id: &event.stream_id,
            stream_version: event.stream_version,
            event_id: event.event_id,
            event_type: &event.event_type,
            schema_version: event.schema_version,
            recorded_at: event.recorded_at,
            payload: &event.payload,
            metadata: &event.metadata,
        }
    }
}

/// The hash of an event given the hash of the event before it.
pub fn chain_hash(previous: &EventHash, event: HashedFields<'_>) -> EventHash {
    let mut hasher = Sha256::new();
    hasher.update(previous.0);
    hasher.update(event.position.to_be_bytes());
    length_prefixed(&mut hasher, event.stream_id.as_bytes());
    hasher.update(event.stream_version.to_be_bytes());
    hasher.update(event.event_id.as_bytes());
    length_prefixed(&mut hasher, event.event_type.as_bytes());
    hasher.update(event.schema_version.to_be_bytes());
    hasher.update(unix_micros(event.recorded_at).to_be_bytes());
    length_prefixed(&mut hasher, &canonical_json(event.payload));
    let metadata = serde_json::to_value(event.metadata).unwrap_or(serde_json::Value::Null);
    length_prefixed(&mut hasher, &canonical_json(&metadata));
    EventHash(hasher.finalize().into())
}

fn length_prefixed(hasher: &mut Sha256, bytes: &[u8]) {
    // Lengths keep field boundaries unambiguous: ("ab", "c") and ("a", "bc") hash differently.
    let length = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    hasher.update(length.to_be_bytes());
    hasher.update(bytes);
}

/// Microseconds since the Unix epoch: the precision every backend stores.
pub fn unix_micros(at: OffsetDateTime) -> i64 {
    let nanos = at.unix_timestamp_nanos().div_euclid(1_000);
    i64::try_from(nanos).unwrap_or(i64::MAX)
}

/// Truncates a time to the microsecond precision every backend keeps, so hashes survive a round trip.
pub fn truncate_to_micros(at: OffsetDateTime) -> OffsetDateTime {
    let nanos = i128::from(unix_micros(at)) * 1_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(at)
}

/// JSON with object keys sorted and no insignificant whitespace.
///
/// Written by hand rather than relying on `serde_json::Map` being sorted, because any crate in the
/// build that enables serde_json's `preserve_order` feature would silently change that.
pub fn canonical_json(value: &serde_json::Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_scalar(&Value::String(key.clone()), out);
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => write_scalar(scalar, out),
    }
}

fn write_scalar(value: &serde_json::Value, out: &mut Vec<u8>) {
    // Serializing a scalar into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

/// Walks the whole log in position order, recomputing every hash.
pub async fn verify_chain<S: EventStore>(store: S) -> Result<VerifyReport, StoreError> {
    let empty = VerifyReport {
        ok: true,
        events_checked: 0,
        head_hash: None,
        first_broken_position: None,
    };
    extend_verification(store, &empty).await
}

/// Continues an intact verification (`so_far`, which checked positions 1 to
/// `so_far.events_checked`) over the events recorded since. A broken report is returned as it is.
pub async fn extend_verification<S: EventStore>(
    store: S,
    so_far: &VerifyReport,
) -> Result<VerifyReport, StoreError> {
    const PAGE: i64 = 2_000;
    if !so_far.ok {
        return Ok(so_far.clone());
    }
    let mut previous = so_far.head_hash.unwrap_or(EventHash::GENESIS);
    let mut checked = so_far.events_checked;
    let mut after = Position::try_from(checked).unwrap_or(Position::MAX);
    loop {
        let page = store.read_all(after, PAGE).await?;
        let Some(last) = page.last() else {
            break;
        };
        let last_position = last.position;
        for event in &page {
            let expected = chain_hash(&previous, HashedFields::from(event));
            if event.position != after + 1 || event.hash != expected {
                return Ok(VerifyReport {
                    ok: false,
                    events_checked: checked,
                    head_hash: (checked > 0).then_some(previous),
                    first_broken_position: Some(after + 1),
                });
            }
            previous = event.hash;
            after = event.position;
            checked += 1;
        }
        debug_assert_eq!(after, last_position);
    }
    Ok(VerifyReport {
        ok: true,
        events_checked: checked,
        head_hash: (checked > 0).then_some(previous),
        first_broken_position: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let value = json!({"b": 1, "a": {"d": [3, {"z": 1, "y": 2}], "c": "x"}});
        assert_eq!(
            String::from_utf8(canonical_json(&value)).unwrap(),
            r#"{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}"#
        );
    }

    #[test]
    fn hash_text_round_trips() {
        let hash = EventHash([0xab; 32]);
        assert_eq!(hash.to_string().parse::<EventHash>(), Ok(hash));
        assert!("xyz".parse::<EventHash>().is_err());
    }

    #[test]
    fn any_field_change_changes_the_hash() {
        let metadata = Metadata {
            role: "admin".into(),
            ..Metadata::default()
        };
        let payload = json!({"a": 1});
        let at = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let base = HashedFields {
            position: 1,
            stream_id: "s",
            stream_version: 1,
            event_id: uuid::Uuid::nil(),
            event_type: "t",
            schema_version: 1,
            recorded_at: at,
            payload: &payload,
            metadata: &metadata,
        };
        let original = chain_hash(&EventHash::GENESIS, base);
        let other_payload = json!({"a": 2});
        let variants = [
            HashedFields {
                position: 2,
                ..base
            },
            HashedFields {
                stream_id: "t",
                ..base
            },
            HashedFields {
                stream_version: 2,
                ..base
            },
            HashedFields {
                event_type: "u",
                ..base
            },
            HashedFields {
                schema_version: 2,
                ..base
            },
            HashedFields {
                recorded_at: at + time::Duration::microseconds(1),
                ..base
            },
            HashedFields {
                payload: &other_payload,
                ..base
            },
        ];
        for (index, variant) in variants.into_iter().enumerate() {
            assert_ne!(
                chain_hash(&EventHash::GENESIS, variant),
                original,
                "variant {index}"
            );
        }
        assert_ne!(chain_hash(&EventHash([1; 32]), base), original);
    }
}
