//! Upcasting: reading events stored by older builds as today's types.
//!
//! Stored events are never rewritten. On read, a chain of pure functions
//! `(type, version, json) -> (type, version + 1, json)` is applied in order until the payload has
//! the current version of its type (EVENTSTORE-NOTES.md "Upcasting and versioning"). Each step
//! may also rename the type, so a later split or rename stays readable.
//!
//! # The chain
//!
//! | stored type | from | to | change |
//! |---|---|---|---|
//! | `progress_reported` | 1 | 2 | `evidence_url: string?` became `evidence_urls: [string]` |

use serde_json::{Map, Value};

use crate::event::registry::{self, EventType};

/// Why a stored event cannot be read as a current event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpcastError {
    /// No build of this domain ever wrote this type (or it is from a newer build).
    #[error("unknown event type `{event_type}`")]
    UnknownType {
        /// The stored type.
        event_type: String,
    },
    /// The type is known but there is no way from this version to the current one: version 0,
    /// a version from a newer build, or a missing upcaster.
    #[error(
        "event type `{event_type}` has no schema version {schema_version} that this build can read"
    )]
    UnknownVersion {
        /// The stored (or partly upcast) type.
        event_type: String,
        /// Its version.
        schema_version: u32,
    },
    /// The payload does not have the shape its type and version promise.
    #[error("stored `{event_type}` version {schema_version} has an invalid payload: {message}")]
    InvalidPayload {
        /// The type at the step that failed.
        event_type: String,
        /// The version at the step that failed.
        schema_version: u32,
        /// What was wrong, from the upcaster or from serde.
        message: String,
    },
}

/// One step of the chain: reads `event_type` at `from_version` and returns the type's name and
/// payload at `from_version + 1`.
struct Upcaster {
    event_type: &'static str,
    from_version: u32,
    upcast: fn(Value) -> Result<(&'static str, Value), String>,
}

/// The chain, in no particular order: steps are looked up by `(event_type, from_version)`.
const UPCASTERS: &[Upcaster] = &[Upcaster {
    event_type: "progress_reported",
    from_version: 1,
    upcast: progress_reported_v1_to_v2,
}];

/// Upcasts a stored payload to the current version of its type.
///
/// Returns the current event type with the payload in that type's current shape (still without
/// the `type` tag).
pub(crate) fn to_current(
    event_type: &str,
    schema_version: u32,
    payload: Value,
) -> Result<(&'static EventType, Value), UpcastError> {
    let mut name = event_type;
    let mut version = schema_version;
    let mut payload = payload;
    loop {
        if let Some(current) = registry::lookup(name)
            && current.version == version
        {
            return Ok((current, payload));
        }
        let step = UPCASTERS
            .iter()
            .find(|step| step.event_type == name && step.from_version == version);
        let Some(step) = step else {
            let known = registry::lookup(name).is_some()
                || UPCASTERS.iter().any(|step| step.event_type == name);
            return Err(if known {
                UpcastError::UnknownVersion {
                    event_type: name.to_owned(),
                    schema_version: version,
                }
            } else {
                UpcastError::UnknownType {
                    event_type: name.to_owned(),
                }
            });
        };
        let (next_name, next_payload) =
            (step.upcast)(payload).map_err(|message| UpcastError::InvalidPayload {
                event_type: name.to_owned(),
                schema_version: version,
                message,
            })?;
        name = next_name;
        // Each step moves exactly one version up, so the loop ends after at most as many steps as
        // there are upcasters.
        version += 1;
        payload = next_payload;
    }
}

/// `progress_reported` v1 → v2.
///
/// Version 1 was the first wire format of progress updates: it allowed one optional link,
/// `evidence_url: string` (absent or `null` when there was none). Version 2 allows several,
/// `evidence_urls: [string]`, empty when there are none.
fn progress_reported_v1_to_v2(payload: Value) -> Result<(&'static str, Value), String> {
    let mut object = into_object(payload)?;
    let evidence_urls = match object.remove("evidence_url") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(url)) => vec![Value::String(url)],
        Some(other) => return Err(format!("`evidence_url` is not a string: {other}")),
    };
    object.insert("evidence_urls".to_owned(), Value::Array(evidence_urls));
    Ok(("progress_reported", Value::Object(object)))
}

fn into_object(payload: Value) -> Result<Map<String, Value>, String> {
    match payload {
        Value::Object(object) => Ok(object),
        other => Err(format!("the payload is not a JSON object: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::date;

    use super::*;
    use crate::event::Event;
    use crate::event::commitment::{CommitmentEvent, ProgressReported, ProgressStatus};
    use crate::ids::Percent;
    use crate::quantity::Quantity;

    const PROGRESS_REPORTED_V1: &str = include_str!("fixtures/progress_reported.v1.json");

    #[test]
    fn a_stored_version_one_progress_report_reads_as_todays_event() {
        let payload: Value = serde_json::from_str(PROGRESS_REPORTED_V1).expect("fixture is JSON");
        let event = Event::from_stored("progress_reported", 1, payload).expect("upcasts");
        let expected = ProgressReported {
            seq: 3,
            status: ProgressStatus::InProgress,
            effective_date: date!(2021 - 03 - 31),
            percent_complete: Percent::new(40).ok(),
            indicator_value: Quantity::parse("1250").ok(),
            narrative: "Pre-departure orientation modules piloted in two countries of origin; \
                        1,250 prospective migrant workers reached."
                .to_owned(),
            evidence_urls: vec!["https://example.org/reports/2021-q1-orientation.pdf".to_owned()],
        };
        assert_eq!(
            event,
            Event::Commitment(CommitmentEvent::ProgressReported(expected))
        );
        assert_eq!(event.schema_version(), 2);
    }

    #[test]
    fn a_version_one_report_without_a_link_gets_an_empty_list() {
        for absent in [json!({}), json!({"evidence_url": null})] {
            let mut payload = json!({
                "seq": 1, "status": "planned", "effective_date": "2020-01-01",
                "percent_complete": null, "indicator_value": null, "narrative": "Planned."
            });
            if let (Some(target), Value::Object(extra)) = (payload.as_object_mut(), absent) {
                target.extend(extra);
            }
            let (current, upcast) = to_current("progress_reported", 1, payload).expect("upcasts");
            assert_eq!(current.version, 2);
            assert_eq!(upcast["evidence_urls"], json!([]));
            assert!(upcast.get("evidence_url").is_none());
        }
    }

    #[test]
    fn unknown_types_and_versions_are_typed_errors() {
        assert_eq!(
            Event::from_stored("commitment_deleted", 1, json!({})),
            Err(UpcastError::UnknownType {
                event_type: "commitment_deleted".to_owned()
            })
        );
        for version in [0, 3] {
            assert_eq!(
                Event::from_stored("progress_reported", version, json!({})),
                Err(UpcastError::UnknownVersion {
                    event_type: "progress_reported".to_owned(),
                    schema_version: version
                })
            );
        }
        assert_eq!(
            Event::from_stored("progress_reported", 1, json!({"evidence_url": 7})),
            Err(UpcastError::InvalidPayload {
                event_type: "progress_reported".to_owned(),
                schema_version: 1,
                message: "`evidence_url` is not a string: 7".to_owned()
            })
        );
    }

    #[test]
    fn a_payload_that_does_not_fit_its_type_is_an_invalid_payload() {
        let error = Event::from_stored("progress_withdrawn", 1, json!([]));
        assert!(matches!(error, Err(UpcastError::UnknownType { .. })));
        let error = Event::from_stored("mechanism_registered", 1, json!({"id": "Not A Slug"}));
        assert!(matches!(
            error,
            Err(UpcastError::InvalidPayload { ref event_type, schema_version: 1, .. })
                if event_type == "mechanism_registered"
        ));
    }
}
