//! JSON shapes of stored events, shared by the global feed and a commitment's history.

use serde::Serialize;
use time::OffsetDateTime;

use crate::store::RecordedEvent;

/// One stored event, as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    /// Global position, 1, 2, … in commit order without gaps.
    pub position: i64,
    /// The stream, e.g. `commitment-<uuid>`.
    pub stream_id: String,
    /// Version within the stream.
    pub version: i64,
    /// The event's id.
    pub event_id: uuid::Uuid,
    /// The event type, e.g. `progress_reported`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The schema version `data` is stored in.
    pub schema_version: i32,
    /// When it was recorded (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: OffsetDateTime,
    /// Who wrote it.
    pub actor: ActorView,
    /// The request that wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// The event's data, as stored.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// SHA-256 chaining this event to the previous one (hex).
    pub hash: String,
}

/// The token that wrote an event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActorView {
    /// The token id (`system` for the server itself).
    pub token_id: Option<String>,
    /// `admin`, `reporter`, `reviewer` or `system`.
    pub role: String,
}

impl From<&RecordedEvent> for EventView {
    fn from(event: &RecordedEvent) -> Self {
        Self {
            position: event.position,
            stream_id: event.stream_id.clone(),
            version: event.stream_version,
            event_id: event.event_id,
            event_type: event.event_type.clone(),
            schema_version: event.schema_version,
            recorded_at: event.recorded_at,
            actor: ActorView {
                token_id: event.metadata.token_id.clone(),
                role: event.metadata.role.clone(),
            },
            correlation_id: event.metadata.correlation_id.clone(),
            data: event.payload.clone(),
            hash: event.hash.to_string(),
        }
    }
}
