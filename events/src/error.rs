//! Why a decision refuses a command.
//!
//! One error type for the whole domain layer (STYLE.md point 7): every rule has its own variant with
//! a stable message, so tests assert exact errors and the HTTP layer maps them with one `match` on
//! [`DomainError::kind`], naming the offending JSON field with [`DomainError::field`].

use std::fmt;

use time::Date;

use crate::event::commitment::Decision;
use crate::ids::CommitmentId;

/// A command that the domain refuses. Nothing is appended when a decision returns one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The stream already holds the thing this command would create (HTTP 409).
    #[error("{entity} `{id}` already exists")]
    AlreadyExists {
        /// What kind of thing.
        entity: Entity,
        /// Its id (for a catalogue, the version).
        id: String,
    },
    /// The command writes to something that was never created (HTTP 404). The id is not
    /// repeated: the caller named it in the request path, and a stream that was never created
    /// does not know its own id.
    #[error("the {entity} does not exist")]
    NotFound {
        /// What kind of thing.
        entity: Entity,
    },
    /// The commitment was withdrawn and takes no further writes (HTTP 409).
    #[error("commitment `{commitment_id}` was withdrawn and takes no further changes")]
    Withdrawn {
        /// The withdrawn commitment.
        commitment_id: CommitmentId,
    },
    /// No progress update has this sequence number (HTTP 404: the `{seq}` path segment names a
    /// resource that does not exist).
    #[error("progress update {seq} does not exist")]
    UnknownUpdate {
        /// The sequence number asked for.
        seq: u32,
    },
    /// The progress update was already retracted (HTTP 409).
    #[error("progress update {seq} was already retracted")]
    AlreadyRetracted {
        /// The retracted update.
        seq: u32,
    },
    /// The progress update already carries this decision (HTTP 409). A different decision is a
    /// change of mind and is accepted.
    #[error("progress update {seq} is already {decision}")]
    AlreadyDecided {
        /// The update.
        seq: u32,
        /// The decision it already carries.
        decision: Decision,
    },
    /// A revision whose every field equals the current value (HTTP 422).
    #[error("the revision changes nothing: every field given equals the current value")]
    NothingChanged,
    /// A text field that must say something is empty or only whitespace (HTTP 422).
    #[error("`{field}` must not be blank")]
    Blank {
        /// The JSON field.
        field: String,
    },
    /// A text field is longer than allowed (HTTP 422).
    #[error("`{field}` is longer than {max} characters")]
    TooLong {
        /// The JSON field.
        field: String,
        /// The most characters allowed.
        max: usize,
    },
    /// A list has more entries than allowed (HTTP 422).
    #[error("`{field}` has more than {max} entries")]
    TooMany {
        /// The JSON field.
        field: String,
        /// The most entries allowed.
        max: usize,
    },
    /// A list that needs at least one entry is empty (HTTP 422).
    #[error("`{field}` must have at least one entry")]
    Empty {
        /// The JSON field.
        field: String,
    },
    /// A list entry repeats an earlier one (HTTP 422).
    #[error("`{field}` repeats an earlier entry")]
    Duplicate {
        /// The JSON field with its index, e.g. `sdg_targets[2]`.
        field: String,
    },
    /// A reference to a mechanism, SDG target or recommendation that does not exist (HTTP 422).
    #[error("`{field}`: `{value}` does not exist")]
    Unknown {
        /// The JSON field, with its index for list entries, e.g. `sdg_targets[1]`.
        field: String,
        /// The value given.
        value: String,
    },
    /// Not an `http` or `https` URL (HTTP 422).
    #[error("`{field}` is not an http or https URL")]
    NotAUrl {
        /// The JSON field with its index, e.g. `evidence_urls[0]`.
        field: String,
    },
    /// A date that must not be in the future is after the recording date (HTTP 422).
    #[error("`{field}` ({date}) is after today ({today})")]
    InFuture {
        /// The JSON field.
        field: String,
        /// The date given.
        date: Date,
        /// The recording date.
        today: Date,
    },
    /// A date outside the range its field allows (HTTP 422 in a body, 400 in a query).
    #[error("`{field}` ({date}) must be between {earliest} and {latest}")]
    DateOutOfRange {
        /// The field.
        field: String,
        /// The date given.
        date: Date,
        /// The earliest date allowed.
        earliest: Date,
        /// The latest date allowed.
        latest: Date,
    },
    /// The due date would precede the day the commitment was made (HTTP 422).
    #[error(
        "`{field}`: the due date {due_date} would be before the commitment was made ({made_on})"
    )]
    DueBeforeMade {
        /// The field the request changed (`due_date`, or `made_on` in a revision).
        field: String,
        /// The due date.
        due_date: Date,
        /// The day the commitment was made.
        made_on: Date,
    },
    /// A progress update would apply to a day before the commitment was made (HTTP 422).
    #[error("`effective_date` ({effective_date}) is before the commitment was made ({made_on})")]
    EffectiveBeforeMade {
        /// The effective date given.
        effective_date: Date,
        /// The day the commitment was made.
        made_on: Date,
    },
    /// A revision would move `made_on` after a progress update's effective date (HTTP 422).
    #[error(
        "`made_on` ({made_on}) would be after the effective date of progress update {seq} ({effective_date})"
    )]
    MadeAfterProgress {
        /// The new `made_on`.
        made_on: Date,
        /// The earliest non-retracted update.
        seq: u32,
        /// Its effective date.
        effective_date: Date,
    },
    /// An indicator value for a commitment that defines no indicator (HTTP 422).
    #[error("`indicator_value` needs the commitment to define an indicator")]
    NoIndicator,
    /// A review point that ends before it starts (HTTP 422).
    #[error("`ends_on` ({ends_on}) is before `starts_on` ({starts_on})")]
    EndsBeforeStarts {
        /// First day.
        starts_on: Date,
        /// Last day.
        ends_on: Date,
    },
    /// The GCM objectives catalogue must hold each of the 23 objectives exactly once (HTTP 422).
    #[error("`objectives` must list each of the 23 GCM objectives once")]
    IncompleteObjectives,
}

/// How the HTTP layer answers a [`DomainError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request is well-formed JSON but breaks a rule: 422.
    Invalid,
    /// The request contradicts what already happened: 409.
    Conflict,
    /// The request names something that does not exist: 404.
    NotFound,
}

/// The kinds of things the domain creates, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// A mechanism.
    Mechanism,
    /// A recommendation.
    Recommendation,
    /// A commitment.
    Commitment,
    /// A review point.
    ReviewPoint,
    /// A built-in catalogue (GCM objectives or SDG targets).
    Catalogue,
}

impl DomainError {
    /// Which family of HTTP status answers this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::AlreadyExists { .. }
            | Self::Withdrawn { .. }
            | Self::AlreadyRetracted { .. }
            | Self::AlreadyDecided { .. } => ErrorKind::Conflict,
            Self::NotFound { .. } | Self::UnknownUpdate { .. } => ErrorKind::NotFound,
            Self::NothingChanged
            | Self::Blank { .. }
            | Self::TooLong { .. }
            | Self::TooMany { .. }
            | Self::Empty { .. }
            | Self::Duplicate { .. }
            | Self::Unknown { .. }
            | Self::NotAUrl { .. }
            | Self::InFuture { .. }
            | Self::DateOutOfRange { .. }
            | Self::DueBeforeMade { .. }
            | Self::EffectiveBeforeMade { .. }
            | Self::MadeAfterProgress { .. }
            | Self::NoIndicator
            | Self::EndsBeforeStarts { .. }
            | Self::IncompleteObjectives => ErrorKind::Invalid,
        }
    }

    /// The JSON field of the request body at fault, when one field is (for 422 responses).
    pub fn field(&self) -> Option<String> {
        match self {
            Self::Blank { field }
            | Self::TooLong { field, .. }
            | Self::TooMany { field, .. }
            | Self::Empty { field }
            | Self::Duplicate { field }
            | Self::Unknown { field, .. }
            | Self::NotAUrl { field }
            | Self::InFuture { field, .. }
            | Self::DateOutOfRange { field, .. }
            | Self::DueBeforeMade { field, .. } => Some(field.clone()),
            Self::EffectiveBeforeMade { .. } => Some("effective_date".to_owned()),
            Self::MadeAfterProgress { .. } => Some("made_on".to_owned()),
            Self::NoIndicator => Some("indicator_value".to_owned()),
            Self::EndsBeforeStarts { .. } => Some("ends_on".to_owned()),
            Self::IncompleteObjectives => Some("objectives".to_owned()),
            Self::AlreadyExists { .. }
            | Self::NotFound { .. }
            | Self::Withdrawn { .. }
            | Self::UnknownUpdate { .. }
            | Self::AlreadyRetracted { .. }
            | Self::AlreadyDecided { .. }
            | Self::NothingChanged => None,
        }
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Mechanism => "mechanism",
            Self::Recommendation => "recommendation",
            Self::Commitment => "commitment",
            Self::ReviewPoint => "review point",
            Self::Catalogue => "catalogue version",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_their_field_and_kind() {
        let error = DomainError::Unknown {
            field: "sdg_targets[1]".to_owned(),
            value: "10.9".to_owned(),
        };
        assert_eq!(error.kind(), ErrorKind::Invalid);
        assert_eq!(error.field().as_deref(), Some("sdg_targets[1]"));
        assert_eq!(error.to_string(), "`sdg_targets[1]`: `10.9` does not exist");

        let error = DomainError::AlreadyExists {
            entity: Entity::Mechanism,
            id: "bali-process".to_owned(),
        };
        assert_eq!(error.kind(), ErrorKind::Conflict);
        assert_eq!(error.field(), None);
        assert_eq!(error.to_string(), "mechanism `bali-process` already exists");

        assert_eq!(
            DomainError::UnknownUpdate { seq: 3 }.kind(),
            ErrorKind::NotFound
        );
    }
}
