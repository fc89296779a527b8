//! Reading values back out of read-model rows: dates, statuses, link kinds, JSON lists and the
//! other columns stored as text, each decoded into its typed value or refused with [`ProjectionError::Corrupt`].
//!
//! The projections write dates with `Date`'s `Display`, and a stored event is never rejected on
//! replay, so decoding must accept every date an event can carry. A commitment once stored with
//! `made_on` `-0001-01-01` (before the edge refused such dates) made every read that met its row
//! fail: the event cannot be removed, so the reader has to take it.

use compact_events::commitment::query::CommitmentStatus;
use serde::de::DeserializeOwned;
use time::Date;
use time::macros::format_description;

use crate::ProjectionError;

/// Parses a date as the projections store it: `YYYY-MM-DD`, with a sign before years outside
/// 0000–9999 (`-0001-01-01`), as `Date`'s `Display` writes them.
pub fn date(text: &str) -> Result<Date, ProjectionError> {
    // `[year]` takes an optional sign and at least four digits, the inverse of `Display`.
    Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map_err(|_| corrupt("a date", text))
}

/// Parses a stored status name.
pub fn status(text: &str) -> Result<CommitmentStatus, ProjectionError> {
    CommitmentStatus::ALL
        .into_iter()
        .find(|status| status.as_str() == text)
        .ok_or_else(|| corrupt("a status", text))
}

/// Parses a list stored as JSON text (a commitment version's objectives, targets and
/// recommendations). A row that is not such a list is corrupt, not empty: reading it as empty
/// would show a commitment without its links.
pub fn json_list<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, ProjectionError> {
    serde_json::from_str(text).map_err(|_| corrupt("a JSON list of the expected values", text))
}

/// The kinds of a `commitment_links` row, as the projector writes them.
pub const LINK_KINDS: [&str; 3] = ["objective", "sdg_target", "recommendation"];

/// Parses a stored link kind into the projector's own name for it.
pub fn link_kind(text: &str) -> Result<&'static str, ProjectionError> {
    LINK_KINDS
        .into_iter()
        .find(|kind| *kind == text)
        .ok_or_else(|| corrupt("a link kind", text))
}

fn corrupt(what: &str, text: &str) -> ProjectionError {
    ProjectionError::Corrupt {
        position: 0,
        reason: format!("{text:?} is not {what}"),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn every_date_an_event_can_carry_reads_back_as_written() {
        for day in [
            date!(2019 - 06 - 01),
            date!(0000 - 01 - 01),
            date!(-0001 - 01 - 01),
            date!(-9999 - 01 - 01),
            date!(9999 - 12 - 31),
            Date::MIN,
            Date::MAX,
        ] {
            assert_eq!(date(&day.to_string()).ok(), Some(day), "{day}");
        }
    }

    #[test]
    fn text_that_is_not_a_date_is_corrupt() {
        for text in ["", "2019-13-01", "2019-06", "yesterday"] {
            assert!(
                matches!(date(text), Err(ProjectionError::Corrupt { .. })),
                "{text:?}"
            );
        }
    }

    #[test]
    fn statuses_read_back_by_name_and_unknown_ones_are_corrupt() {
        for known in CommitmentStatus::ALL {
            assert_eq!(status(known.as_str()).ok(), Some(known));
        }
        assert!(status("finished").is_err());
    }

    #[test]
    fn json_lists_read_back_and_anything_else_is_corrupt() {
        assert_eq!(json_list::<u8>("[1,23]").ok(), Some(vec![1, 23]));
        assert_eq!(json_list::<String>("[]").ok(), Some(Vec::new()));
        for text in ["", "null", "{}", "[1,", "[\"7\"]", "[256]"] {
            assert!(
                matches!(json_list::<u8>(text), Err(ProjectionError::Corrupt { .. })),
                "{text:?}"
            );
        }
    }

    #[test]
    fn link_kinds_read_back_by_name_and_unknown_ones_are_corrupt() {
        for kind in LINK_KINDS {
            assert_eq!(link_kind(kind).ok(), Some(kind));
        }
        for text in ["", "Objective", "mechanism"] {
            assert!(
                matches!(link_kind(text), Err(ProjectionError::Corrupt { .. })),
                "{text:?}"
            );
        }
    }
}
