//! Reporting freshness (SPEC.md "Model"): derived from dates, never stored.
//!
//! - `current`: an update recorded in the last 12 months (or a commitment made less than 12 months
//!   ago that has no update yet: nothing is due);
//! - `due`: the latest update was recorded 12 to 24 months ago;
//! - `overdue`: the latest update is over 24 months old, or there is none and the commitment was
//!   made over 12 months ago.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, UtcOffset};

/// The day freshness is judged on: the earlier of the effective date asked about and the day
/// (in UTC, whatever offset the caller wrote `known_at` in) of what is known. Every view computes
/// it here, so routes and pages asked the same question cannot disagree by a day.
pub fn reference_day(as_of: Date, known_at: OffsetDateTime) -> Date {
    as_of.min(known_at.to_offset(UtcOffset::UTC).date())
}

/// How recently a commitment was reported on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Freshness {
    /// Reported within 12 months (or not yet due).
    #[serde(rename = "current")]
    Current,
    /// Last reported 12 to 24 months ago.
    #[serde(rename = "due")]
    Due,
    /// Last reported over 24 months ago, or never in the 12 months since it was made.
    #[serde(rename = "overdue")]
    Overdue,
}

impl Freshness {
    /// Every value, in order from best to worst.
    pub const ALL: [Self; 3] = [Self::Current, Self::Due, Self::Overdue];

    /// Freshness on `today`, from the recording date of the latest counted update and the day
    /// the commitment was made.
    pub fn of(latest_update_recorded_on: Option<Date>, made_on: Date, today: Date) -> Self {
        match latest_update_recorded_on {
            Some(recorded_on) if recorded_on > months_before(today, 12) => Self::Current,
            Some(recorded_on) if recorded_on > months_before(today, 24) => Self::Due,
            Some(_) => Self::Overdue,
            None if made_on > months_before(today, 12) => Self::Current,
            None => Self::Overdue,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Due => "due",
            Self::Overdue => "overdue",
        }
    }
}

/// The same day `months` months earlier (clamped to the month's last day, e.g. 29 Feb → 28 Feb).
pub fn months_before(date: Date, months: u32) -> Date {
    let total = date.year() * 12 + i32::from(u8::from(date.month()))
        - 1
        - i32::try_from(months).unwrap_or(0);
    let year = total.div_euclid(12);
    let month = u8::try_from(total.rem_euclid(12) + 1).unwrap_or(1);
    let month = time::Month::try_from(month).unwrap_or(time::Month::January);
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_reference_day_is_the_earlier_clock_in_utc() {
        use time::macros::{date, datetime};
        let as_of = date!(2022 - 05 - 20);
        assert_eq!(reference_day(as_of, datetime!(2023-01-01 0:00 UTC)), as_of);
        assert_eq!(
            reference_day(as_of, datetime!(2022-05-19 23:30 UTC)),
            date!(2022 - 05 - 19)
        );
        // 00:30 on the 19th at +05:00 is still the 18th in UTC.
        assert_eq!(
            reference_day(as_of, datetime!(2022-05-19 0:30 +5)),
            date!(2022 - 05 - 18)
        );
    }

    use super::*;
    use time::macros::date;

    #[test]
    fn an_update_within_twelve_months_is_current() {
        let today = date!(2026 - 11 - 28);
        assert_eq!(
            Freshness::of(Some(date!(2026 - 01 - 01)), date!(2019 - 01 - 01), today),
            Freshness::Current
        );
        assert_eq!(
            Freshness::of(Some(date!(2025 - 11 - 28)), date!(2019 - 01 - 01), today),
            Freshness::Due
        );
    }

    #[test]
    fn an_update_twelve_to_twenty_four_months_old_is_due() {
        let today = date!(2026 - 11 - 28);
        assert_eq!(
            Freshness::of(Some(date!(2025 - 06 - 01)), date!(2019 - 01 - 01), today),
            Freshness::Due
        );
        assert_eq!(
            Freshness::of(Some(date!(2024 - 11 - 28)), date!(2019 - 01 - 01), today),
            Freshness::Overdue
        );
    }

    #[test]
    fn no_update_is_overdue_only_once_a_year_has_passed_since_making() {
        let today = date!(2026 - 11 - 28);
        assert_eq!(
            Freshness::of(None, date!(2026 - 06 - 01), today),
            Freshness::Current
        );
        assert_eq!(
            Freshness::of(None, date!(2025 - 06 - 01), today),
            Freshness::Overdue
        );
    }

    #[test]
    fn months_before_clamps_to_the_end_of_the_month() {
        assert_eq!(
            months_before(date!(2024 - 02 - 29), 12),
            date!(2023 - 02 - 28)
        );
        assert_eq!(
            months_before(date!(2026 - 01 - 15), 1),
            date!(2025 - 12 - 15)
        );
        assert_eq!(
            months_before(date!(2026 - 03 - 31), 1),
            date!(2026 - 02 - 28)
        );
    }
}
