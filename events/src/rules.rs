//! Field rules shared by several commands: text lengths, URLs, lists and dates.
//!
//! The limits are public so the HTTP layer can publish them in its OpenAPI document (`maxLength`,
//! `maxItems`); the checks are crate-private because only decisions apply them. Every check names
//! the JSON field it found at fault, so a 422 can point at it.

use std::collections::HashSet;
use std::hash::Hash;

use time::Date;
use time::macros::date;

use crate::error::DomainError;

/// Longest commitment title, in characters.
pub const TITLE_MAX: usize = 200;
/// Longest commitment description, in characters.
pub const DESCRIPTION_MAX: usize = 10_000;
/// Longest progress narrative, in characters.
pub const NARRATIVE_MAX: usize = 10_000;
/// Longest reason for a revision, retraction or withdrawal, in characters.
pub const REASON_MAX: usize = 2_000;
/// Longest validation note, in characters.
pub const NOTE_MAX: usize = 2_000;
/// Most evidence URLs on one progress update.
pub const EVIDENCE_URLS_MAX: usize = 20;
/// Longest evidence URL, in characters.
pub const URL_MAX: usize = 2_048;
/// Longest name (of a mechanism, region, review point, indicator), in characters.
pub const NAME_MAX: usize = 200;
/// Longest short label (an indicator unit, a recommendation theme), in characters.
pub const LABEL_MAX: usize = 100;
/// Longest recommendation text, in characters.
pub const RECOMMENDATION_TEXT_MAX: usize = 10_000;
/// Longest source citation, in characters.
pub const SOURCE_MAX: usize = 1_000;

/// Text that must say something: not blank, at most `max` characters.
pub(crate) fn required_text(field: &str, value: &str, max: usize) -> Result<(), DomainError> {
    if value.trim().is_empty() {
        return Err(DomainError::Blank {
            field: field.to_owned(),
        });
    }
    optional_text(field, value, max)
}

/// Text that may be empty: at most `max` characters.
pub(crate) fn optional_text(field: &str, value: &str, max: usize) -> Result<(), DomainError> {
    // Characters, not bytes: a French or Spanish text must not get less room than an English one.
    if value.chars().count() > max {
        return Err(DomainError::TooLong {
            field: field.to_owned(),
            max,
        });
    }
    Ok(())
}

/// Evidence links: at most [`EVIDENCE_URLS_MAX`], each an `http(s)` URL of at most [`URL_MAX`].
pub(crate) fn evidence_urls(field: &str, urls: &[String]) -> Result<(), DomainError> {
    if urls.len() > EVIDENCE_URLS_MAX {
        return Err(DomainError::TooMany {
            field: field.to_owned(),
            max: EVIDENCE_URLS_MAX,
        });
    }
    for (index, url) in urls.iter().enumerate() {
        let field = format!("{field}[{index}]");
        optional_text(&field, url, URL_MAX)?;
        if !is_web_url(url) {
            return Err(DomainError::NotAUrl { field });
        }
    }
    no_duplicates(field, urls)
}

/// Whether `url` is an absolute `http` or `https` URL with a host and no whitespace.
///
/// Deliberately shallow: the domain may not pull in a URL parser, and a link that a browser can
/// follow is all the dashboard needs. Whitespace and control characters are refused because they
/// would break the link when rendered.
fn is_web_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty()
        && !host.starts_with('@')
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A list without repeated entries; the error names the first repeat, e.g. `sdg_targets[2]`.
pub(crate) fn no_duplicates<T: Eq + Hash>(field: &str, items: &[T]) -> Result<(), DomainError> {
    let mut seen = HashSet::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        if !seen.insert(item) {
            return Err(DomainError::Duplicate {
                field: format!("{field}[{index}]"),
            });
        }
    }
    Ok(())
}

/// The earliest day a commitment can have been made: 2016 is the year of the New York Declaration
/// for Refugees and Migrants, which started the process toward the GCM. Dates before it are typing
/// mistakes, and an absurd one (year 0 or below) once made every read of the log fail.
pub const EARLIEST_MADE_ON: Date = date!(2016 - 01 - 01);

/// How far after the day a commitment was made its due date may lie, in years.
pub const DUE_WITHIN_YEARS: i32 = 100;

/// The earliest date a read may ask about (`as_of`, `from`, `to`).
pub const EARLIEST_QUESTION: Date = date!(1900 - 01 - 01);

/// The latest date a read may ask about. The range leaves room for every due date a commitment
/// made today can have, and keeps date arithmetic (a year back, a day forward) far from the
/// limits of the date type.
pub const LATEST_QUESTION: Date = date!(2199 - 12 - 31);

/// `date`, `years` later; the 29th of February becomes the 28th in a year without one.
pub fn years_after(date: Date, years: i32) -> Date {
    let year = date.year().saturating_add(years);
    let day = date.day().min(date.month().length(year));
    Date::from_calendar_date(year, date.month(), day).unwrap_or(Date::MAX)
}

/// A day a commitment was made: not before [`EARLIEST_MADE_ON`] and not after the recording date.
pub(crate) fn made_on(field: &str, date: Date, today: Date) -> Result<(), DomainError> {
    not_in_future(field, date, today)?;
    within(field, date, EARLIEST_MADE_ON, today)
}

/// A due date: no more than [`DUE_WITHIN_YEARS`] after the day the commitment was made (the rule
/// that it is not before that day is [`DomainError::DueBeforeMade`]'s).
pub(crate) fn due_within_reach(
    field: &str,
    due_date: Date,
    made_on: Date,
) -> Result<(), DomainError> {
    within(
        field,
        due_date,
        made_on,
        years_after(made_on, DUE_WITHIN_YEARS),
    )
}

/// A date a read asks about: between [`EARLIEST_QUESTION`] and [`LATEST_QUESTION`].
pub fn question_date(field: &str, date: Date) -> Result<Date, DomainError> {
    within(field, date, EARLIEST_QUESTION, LATEST_QUESTION)?;
    Ok(date)
}

fn within(field: &str, date: Date, earliest: Date, latest: Date) -> Result<(), DomainError> {
    if date < earliest || date > latest {
        return Err(DomainError::DateOutOfRange {
            field: field.to_owned(),
            date,
            earliest,
            latest,
        });
    }
    Ok(())
}

/// A date no later than the recording date.
pub(crate) fn not_in_future(field: &str, date: Date, today: Date) -> Result<(), DomainError> {
    if date > today {
        return Err(DomainError::InFuture {
            field: field.to_owned(),
            date,
            today,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_text_is_refused_and_length_counts_characters() {
        assert_eq!(
            required_text("title", " \n\t", 10),
            Err(DomainError::Blank {
                field: "title".to_owned()
            })
        );
        assert_eq!(required_text("title", "éééé", 4), Ok(()));
        assert_eq!(
            required_text("title", "ééééé", 4),
            Err(DomainError::TooLong {
                field: "title".to_owned(),
                max: 4
            })
        );
        assert_eq!(optional_text("description", "", 4), Ok(()));
    }

    #[test]
    fn only_http_and_https_urls_with_a_host_are_evidence() {
        for good in [
            "https://example.org",
            "http://example.org/report.pdf?lang=fr#p2",
        ] {
            assert!(is_web_url(good), "{good}");
        }
        for bad in [
            "",
            "example.org",
            "ftp://example.org",
            "https://",
            "https:///path",
            "javascript:alert(1)",
            "https://exa mple.org",
            "HTTPS://example.org",
        ] {
            assert!(!is_web_url(bad), "{bad}");
        }
    }

    #[test]
    fn dates_outside_their_range_are_refused_with_the_range() {
        let today = date!(2026 - 12 - 02);
        assert_eq!(made_on("made_on", EARLIEST_MADE_ON, today), Ok(()));
        assert_eq!(made_on("made_on", today, today), Ok(()));
        for absurd in [
            date!(2015 - 12 - 31),
            date!(0000 - 01 - 01),
            date!(-0001 - 01 - 01),
        ] {
            assert_eq!(
                made_on("made_on", absurd, today),
                Err(DomainError::DateOutOfRange {
                    field: "made_on".to_owned(),
                    date: absurd,
                    earliest: EARLIEST_MADE_ON,
                    latest: today,
                })
            );
        }
        let made = date!(2020 - 02 - 29);
        assert_eq!(years_after(made, DUE_WITHIN_YEARS), date!(2120 - 02 - 29));
        assert_eq!(years_after(made, 1), date!(2021 - 02 - 28));
        assert_eq!(
            due_within_reach("due_date", date!(2120 - 02 - 29), made),
            Ok(())
        );
        assert_eq!(
            due_within_reach("due_date", date!(9999 - 12 - 31), made),
            Err(DomainError::DateOutOfRange {
                field: "due_date".to_owned(),
                date: date!(9999 - 12 - 31),
                earliest: made,
                latest: date!(2120 - 02 - 29),
            })
        );
        assert_eq!(
            question_date("as_of", date!(1900 - 01 - 01)),
            Ok(date!(1900 - 01 - 01))
        );
        assert!(question_date("as_of", date!(0000 - 01 - 01)).is_err());
        assert!(question_date("to", date!(2200 - 01 - 01)).is_err());
    }

    #[test]
    fn evidence_errors_name_the_entry() {
        let urls = vec!["https://a.org".to_owned(), "nope".to_owned()];
        assert_eq!(
            evidence_urls("evidence_urls", &urls),
            Err(DomainError::NotAUrl {
                field: "evidence_urls[1]".to_owned()
            })
        );
        let urls = vec!["https://a.org".to_owned(); 2];
        assert_eq!(
            evidence_urls("evidence_urls", &urls),
            Err(DomainError::Duplicate {
                field: "evidence_urls[1]".to_owned()
            })
        );
        let urls: Vec<String> = (0..21).map(|i| format!("https://a.org/{i}")).collect();
        assert_eq!(
            evidence_urls("evidence_urls", &urls),
            Err(DomainError::TooMany {
                field: "evidence_urls".to_owned(),
                max: EVIDENCE_URLS_MAX
            })
        );
    }
}
