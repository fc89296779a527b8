//! Reading current-version payloads straight from their stored JSON text, for
//! [`Event::from_stored_json`].
//!
//! The stream enums are internally tagged (`#[serde(tag = "type")]`), and serde reads such an enum
//! by first buffering the whole object into its private `Content` tree, because it cannot know the
//! variant before it has seen the tag. The store keeps the tag in a column of its own, so the
//! variant is known before the payload is read: its data can be deserialised directly from the
//! text. A newtype variant is read as its own type; a struct variant through one of the private
//! mirrors below, which must keep the variant's fields and serde attributes. The test comparing
//! [`Event::from_stored_json`] with [`Event::from_stored`] over a sample of every type checks that
//! they do.
//!
//! The catalogue editions are loaded once per store, so they are left to the general path.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use time::Date;

use crate::event::Event;
use crate::event::catalogue::{RecommendationEvent, ReviewPointEvent};
use crate::event::commitment::{CommitmentChanges, CommitmentEvent};
use crate::event::mechanism::MechanismEvent;
use crate::event::registry::EventType;

/// Deserialises a payload of `current`, the current version of its type, without the `type` tag.
///
/// `None` if the type is not read this way (a catalogue edition); then, like on an error, the
/// caller goes through [`Event::from_stored`].
pub(super) fn read_current(
    current: &EventType,
    payload: &str,
) -> Option<Result<Event, serde_json::Error>> {
    // The names are the registry's (and the serde renames'); a test checks that every type but
    // the catalogue editions takes this path.
    let event = match current.name {
        "mechanism_registered" => read(payload, MechanismEvent::MechanismRegistered),
        "recommendation_added" => read(payload, RecommendationEvent::RecommendationAdded),
        "review_point_added" => read(payload, ReviewPointEvent::ReviewPointAdded),
        "commitment_made" => read(payload, CommitmentEvent::CommitmentMade),
        "commitment_revised" => read(payload, |revised: CommitmentRevised| {
            CommitmentEvent::CommitmentRevised {
                changes: revised.changes,
                reason: revised.reason,
            }
        }),
        "progress_reported" => read(payload, CommitmentEvent::ProgressReported),
        "progress_validated" => read(payload, CommitmentEvent::ProgressValidated),
        "progress_rejected" => read(payload, CommitmentEvent::ProgressRejected),
        "progress_retracted" => read(payload, |retracted: ProgressRetracted| {
            CommitmentEvent::ProgressRetracted {
                seq: retracted.seq,
                reason: retracted.reason,
            }
        }),
        "commitment_withdrawn" => read(payload, |withdrawn: CommitmentWithdrawn| {
            CommitmentEvent::CommitmentWithdrawn {
                reason: withdrawn.reason,
                withdrawn_on: withdrawn.withdrawn_on,
            }
        }),
        _ => return None,
    };
    Some(event)
}

fn read<T: DeserializeOwned, E: Into<Event>>(
    payload: &str,
    variant: impl FnOnce(T) -> E,
) -> Result<Event, serde_json::Error> {
    serde_json::from_str(payload).map(|data| variant(data).into())
}

/// The fields of [`CommitmentEvent::CommitmentRevised`].
#[derive(Deserialize)]
struct CommitmentRevised {
    changes: CommitmentChanges,
    reason: String,
}

/// The fields of [`CommitmentEvent::ProgressRetracted`].
#[derive(Deserialize)]
struct ProgressRetracted {
    seq: u32,
    reason: String,
}

/// The fields of [`CommitmentEvent::CommitmentWithdrawn`].
#[derive(Deserialize)]
struct CommitmentWithdrawn {
    reason: String,
    withdrawn_on: Date,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::registry::EVENT_TYPES;
    use crate::event::samples::every_event;
    use crate::stream::StreamKind;

    #[test]
    fn every_type_but_the_catalogue_editions_is_read_without_a_json_value() {
        for event in every_event() {
            let current = EVENT_TYPES
                .iter()
                .find(|t| t.name == event.event_type())
                .expect("registered");
            let payload = event.to_payload().to_string();
            let read = read_current(current, &payload).map(|read| read.map_err(|e| e.to_string()));
            if current.stream == StreamKind::Catalogue {
                assert_eq!(read, None, "{}", current.name);
            } else {
                assert_eq!(read, Some(Ok(event)), "{}", current.name);
            }
        }
    }
}
