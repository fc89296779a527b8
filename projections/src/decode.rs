//! Reading values back out of read-model rows: dates, statuses and the other columns stored as
//! text, each decoded into its typed value or refused with [`ProjectionError::Corrupt`].
//!
//! The projections write dates with `Date`'s `Display`, and a stored event is never rejected on
//! replay, so decoding must accept every date an event can carry. A commitment once stored with
//! `made_on` `-0001-01-01` (before the edge refused such dates) made every read that met its row
//! fail: the event cannot be removed, so the reader has to take it.

use compact_events::commitment::query::CommitmentStatus;
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
}
