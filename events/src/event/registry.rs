//! The type-name registry: every stored event type, its stream kind and current schema version.
//!
//! Stored names are written here once, as data, and decoupled from Rust paths: renaming a Rust
//! type or moving a module never changes what is stored (EVENTSTORE-NOTES.md "Upcasting and
//! versioning"). The serde `rename` on each variant must spell the same name; a test in
//! `crate::event` checks that every variant and this table agree.
//!
//! Changing an event's shape means: bump `version` here, add an upcaster from the old version in
//! `crate::event::upcast`, and add a stored fixture of the old payload to its tests.

use crate::stream::StreamKind;

/// One stored event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventType {
    /// The stored name, e.g. `progress_reported`.
    pub name: &'static str,
    /// The kind of stream its events belong to.
    pub stream: StreamKind,
    /// The schema version this build writes. Older stored versions are upcast on read.
    pub version: u32,
}

/// `mechanism_registered`, version 1.
pub const MECHANISM_REGISTERED: EventType = v1("mechanism_registered", StreamKind::Mechanism);
/// `recommendation_added`, version 1.
pub const RECOMMENDATION_ADDED: EventType = v1("recommendation_added", StreamKind::Recommendation);
/// `review_point_added`, version 1.
pub const REVIEW_POINT_ADDED: EventType = v1("review_point_added", StreamKind::ReviewPoint);
/// `gcm_objectives_loaded`, version 1.
pub const GCM_OBJECTIVES_LOADED: EventType = v1("gcm_objectives_loaded", StreamKind::Catalogue);
/// `sdg_targets_loaded`, version 1.
pub const SDG_TARGETS_LOADED: EventType = v1("sdg_targets_loaded", StreamKind::Catalogue);
/// `commitment_made`, version 1.
pub const COMMITMENT_MADE: EventType = v1("commitment_made", StreamKind::Commitment);
/// `commitment_revised`, version 1.
pub const COMMITMENT_REVISED: EventType = v1("commitment_revised", StreamKind::Commitment);
/// `progress_reported`, version 2: version 1 had one optional `evidence_url` string where version 2
/// has the list `evidence_urls`.
pub const PROGRESS_REPORTED: EventType = EventType {
    name: "progress_reported",
    stream: StreamKind::Commitment,
    version: 2,
};
/// `progress_validated`, version 1.
pub const PROGRESS_VALIDATED: EventType = v1("progress_validated", StreamKind::Commitment);
/// `progress_rejected`, version 1.
pub const PROGRESS_REJECTED: EventType = v1("progress_rejected", StreamKind::Commitment);
/// `progress_retracted`, version 1.
pub const PROGRESS_RETRACTED: EventType = v1("progress_retracted", StreamKind::Commitment);
/// `commitment_withdrawn`, version 1.
pub const COMMITMENT_WITHDRAWN: EventType = v1("commitment_withdrawn", StreamKind::Commitment);

/// Every event type this build writes.
pub const EVENT_TYPES: [EventType; 12] = [
    MECHANISM_REGISTERED,
    RECOMMENDATION_ADDED,
    REVIEW_POINT_ADDED,
    GCM_OBJECTIVES_LOADED,
    SDG_TARGETS_LOADED,
    COMMITMENT_MADE,
    COMMITMENT_REVISED,
    PROGRESS_REPORTED,
    PROGRESS_VALIDATED,
    PROGRESS_REJECTED,
    PROGRESS_RETRACTED,
    COMMITMENT_WITHDRAWN,
];

/// The current event type with this stored name, if this build writes one.
pub fn lookup(name: &str) -> Option<&'static EventType> {
    EVENT_TYPES
        .iter()
        .find(|event_type| event_type.name == name)
}

const fn v1(name: &'static str, stream: StreamKind) -> EventType {
    EventType {
        name,
        stream,
        version: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_are_unique_snake_case_and_versions_start_at_one() {
        for (index, event_type) in EVENT_TYPES.iter().enumerate() {
            assert!(
                event_type
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{}",
                event_type.name
            );
            assert!(event_type.version >= 1, "{}", event_type.name);
            assert_eq!(
                lookup(event_type.name).map(|found| found.name),
                Some(event_type.name)
            );
            assert!(
                EVENT_TYPES[index + 1..]
                    .iter()
                    .all(|other| other.name != event_type.name),
                "{} is registered twice",
                event_type.name
            );
        }
        assert_eq!(lookup("commitment_deleted"), None);
    }
}
