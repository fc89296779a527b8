//! Events: one enum per stream kind, and [`Event`], which covers them all for the store.
//!
//! # Layout
//!
//! - [`mechanism`], [`commitment`], [`catalogue`]: the per-stream enums. Variants are past tense
//!   and their stored names are pinned with `#[serde(rename)]`, never derived from Rust names.
//! - [`registry`]: every stored type name with its stream kind and current schema version.
//! - [`upcast`]: reading older schema versions as today's types.
//!
//! # Storage
//!
//! The store is domain-agnostic: it keeps `event_type`, `schema_version` and the payload JSON in
//! separate columns. [`Event::event_type`], [`Event::schema_version`] and [`Event::to_payload`]
//! produce them; [`Event::from_stored`] reads them back through the upcaster chain, and
//! [`Event::from_stored_json`] does the same from the payload's JSON text, reading current versions
//! without building a [`Value`] (see [`stored_json`]).

pub mod catalogue;
pub mod commitment;
pub mod mechanism;
pub mod registry;
mod stored_json;
pub mod upcast;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::event::catalogue::{CatalogueEvent, RecommendationEvent, ReviewPointEvent};
use crate::event::commitment::CommitmentEvent;
use crate::event::mechanism::MechanismEvent;
use crate::event::registry::EventType;
use crate::event::upcast::UpcastError;
use crate::stream::StreamKind;

/// Any event of any stream: what the store appends and the global feed returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An event of a mechanism stream.
    Mechanism(MechanismEvent),
    /// An event of a recommendation stream.
    Recommendation(RecommendationEvent),
    /// An event of a review point stream.
    ReviewPoint(ReviewPointEvent),
    /// An event of a built-in catalogue stream.
    Catalogue(CatalogueEvent),
    /// An event of a commitment stream.
    Commitment(CommitmentEvent),
}

/// An [`Event`] of another stream kind than the one asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a `{event_type}` event does not belong to a {expected:?} stream")]
pub struct WrongStream {
    /// The event's stored type.
    pub event_type: &'static str,
    /// The stream kind asked for.
    pub expected: StreamKind,
}

impl Event {
    /// The stored type name, e.g. `progress_reported`.
    pub fn event_type(&self) -> &'static str {
        self.registered().name
    }

    /// The schema version this build writes for the event's type.
    pub fn schema_version(&self) -> u32 {
        self.registered().version
    }

    /// The kind of stream the event belongs to.
    pub fn stream_kind(&self) -> StreamKind {
        self.registered().stream
    }

    /// The event's data as stored: a JSON object without the `type` tag, which the store keeps in
    /// its own column.
    pub fn to_payload(&self) -> Value {
        let tagged = match self {
            Self::Mechanism(event) => serde_json::to_value(event),
            Self::Recommendation(event) => serde_json::to_value(event),
            Self::ReviewPoint(event) => serde_json::to_value(event),
            Self::Catalogue(event) => serde_json::to_value(event),
            Self::Commitment(event) => serde_json::to_value(event),
        };
        // Serialising to a `Value` fails only for maps with non-string keys or for `Serialize`
        // impls that return errors; the event types have neither, and a test serialises every
        // variant.
        let mut payload = tagged.expect("events serialise to JSON");
        if let Value::Object(object) = &mut payload {
            object.remove("type");
        }
        payload
    }

    /// Reads a stored event, upcasting older schema versions to today's types.
    pub fn from_stored(
        event_type: &str,
        schema_version: u32,
        payload: Value,
    ) -> Result<Event, UpcastError> {
        let (current, payload) = upcast::to_current(event_type, schema_version, payload)?;
        let event = match current.stream {
            StreamKind::Mechanism => tagged(current, payload).map(Self::Mechanism),
            StreamKind::Recommendation => tagged(current, payload).map(Self::Recommendation),
            StreamKind::ReviewPoint => tagged(current, payload).map(Self::ReviewPoint),
            StreamKind::Catalogue => tagged(current, payload).map(Self::Catalogue),
            StreamKind::Commitment => tagged(current, payload).map(Self::Commitment),
        }?;
        Ok(event)
    }

    /// Reads a stored event from its payload's JSON text: the same result as parsing the text into
    /// a [`Value`] and calling [`Event::from_stored`], errors included.
    ///
    /// It exists for the projection runner, which reads every event of the log: a payload at its
    /// type's current schema version, as nearly all are, is deserialised straight into its
    /// variant's data, without a `Value`, without putting the `type` tag back and without serde
    /// buffering the tagged enum a second time. Older versions go through the upcasters, which
    /// work on `Value`s; so does a payload that fails to deserialise, so that its error is exactly
    /// [`Event::from_stored`]'s.
    pub fn from_stored_json(
        event_type: &str,
        schema_version: u32,
        payload: &str,
    ) -> Result<Event, UpcastError> {
        if let Some(current) = registry::lookup(event_type)
            && current.version == schema_version
            && let Some(Ok(event)) = stored_json::read_current(current, payload)
        {
            return Ok(event);
        }
        let payload =
            serde_json::from_str(payload).map_err(|error| UpcastError::InvalidPayload {
                event_type: event_type.to_owned(),
                schema_version,
                message: format!("the payload is not JSON: {error}"),
            })?;
        Self::from_stored(event_type, schema_version, payload)
    }

    /// The registry entry of the event's type. The match is exhaustive, so a new variant cannot be
    /// stored before it is registered.
    fn registered(&self) -> &'static EventType {
        use crate::event::registry as r;
        match self {
            Self::Mechanism(MechanismEvent::MechanismRegistered(_)) => &r::MECHANISM_REGISTERED,
            Self::Recommendation(RecommendationEvent::RecommendationAdded(_)) => {
                &r::RECOMMENDATION_ADDED
            }
            Self::ReviewPoint(ReviewPointEvent::ReviewPointAdded(_)) => &r::REVIEW_POINT_ADDED,
            Self::Catalogue(CatalogueEvent::GcmObjectivesLoaded { .. }) => {
                &r::GCM_OBJECTIVES_LOADED
            }
            Self::Catalogue(CatalogueEvent::SdgTargetsLoaded { .. }) => &r::SDG_TARGETS_LOADED,
            Self::Commitment(event) => match event {
                CommitmentEvent::CommitmentMade(_) => &r::COMMITMENT_MADE,
                CommitmentEvent::CommitmentRevised { .. } => &r::COMMITMENT_REVISED,
                CommitmentEvent::ProgressReported(_) => &r::PROGRESS_REPORTED,
                CommitmentEvent::ProgressValidated(_) => &r::PROGRESS_VALIDATED,
                CommitmentEvent::ProgressRejected(_) => &r::PROGRESS_REJECTED,
                CommitmentEvent::ProgressRetracted { .. } => &r::PROGRESS_RETRACTED,
                CommitmentEvent::CommitmentWithdrawn { .. } => &r::COMMITMENT_WITHDRAWN,
            },
        }
    }
}

/// Deserialises a current-version payload into its stream's enum, putting the `type` tag back.
fn tagged<T: DeserializeOwned>(current: &EventType, payload: Value) -> Result<T, UpcastError> {
    let invalid = |message: String| UpcastError::InvalidPayload {
        event_type: current.name.to_owned(),
        schema_version: current.version,
        message,
    };
    let mut object = match payload {
        Value::Object(object) => object,
        other => {
            return Err(invalid(format!(
                "the payload is not a JSON object: {other}"
            )));
        }
    };
    object.insert("type".to_owned(), Value::String(current.name.to_owned()));
    serde_json::from_value(Value::Object(object)).map_err(|error| invalid(error.to_string()))
}

macro_rules! stream_event {
    ($variant:ident, $inner:ty, $kind:expr) => {
        impl From<$inner> for Event {
            fn from(event: $inner) -> Self {
                Self::$variant(event)
            }
        }

        impl TryFrom<Event> for $inner {
            type Error = WrongStream;
            fn try_from(event: Event) -> Result<Self, Self::Error> {
                match event {
                    Event::$variant(inner) => Ok(inner),
                    other => Err(WrongStream {
                        event_type: other.event_type(),
                        expected: $kind,
                    }),
                }
            }
        }
    };
}

stream_event!(Mechanism, MechanismEvent, StreamKind::Mechanism);
stream_event!(
    Recommendation,
    RecommendationEvent,
    StreamKind::Recommendation
);
stream_event!(ReviewPoint, ReviewPointEvent, StreamKind::ReviewPoint);
stream_event!(Catalogue, CatalogueEvent, StreamKind::Catalogue);
stream_event!(Commitment, CommitmentEvent, StreamKind::Commitment);

#[cfg(test)]
pub(crate) mod samples;
#[cfg(test)]
mod tests;
