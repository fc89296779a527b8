//! `/changes`: what moved between two dates, e.g. two follow-up reviews (SPEC.md "HTTP API",
//! `GET /v1/progress/changes`), counted per GCM objective and per mechanism, with every
//! commitment that moved and the reports that moved it.
//!
//! `from` defaults to the last review that ended before `to` ("what moved since the last
//! review"); "as known then" counts only what was recorded by the end of the `to` day. The counts
//! cover every commitment that moved; the list shows them a page at a time.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, Response};
use compact_events::catalogue::{self, GCM_ADOPTED_ON};
use compact_events::ids::{MechanismId, ObjectiveNumber};
use compact_projections::query::{self, Change, Clock, Filter, MoveCounts, Moves, ReviewPointRow};
use time::{Date, OffsetDateTime};

use super::error::WebError;
use super::view::{Known, Layout, Page, end_of_day, parse_date};
use crate::csv::Csv;
use crate::state::AppState;

/// Commitments listed per page. Between two reviews at a million events some 30,000 moved; each
/// line carries its reports, so a page of 100 stays around 80 KB.
const PAGE_SIZE: i64 = 100;

/// Counts of what moved in one group.
#[derive(Debug, Clone)]
pub struct MovedRow {
    /// The group's key.
    pub key: String,
    /// Its name.
    pub label: String,
    /// Its page.
    pub href: String,
    /// Commitments whose status or percent changed.
    pub moved: usize,
    /// … of which the status changed.
    pub status_changed: usize,
    /// … of which were made in between.
    pub newly_made: usize,
}

/// One commitment that moved.
#[derive(Debug, Clone)]
pub struct ChangeLine {
    /// Its page.
    pub href: String,
    /// Title.
    pub title: String,
    /// Mechanism id.
    pub mechanism: String,
    /// Status and percent on `from`.
    pub before: String,
    /// Status and percent on `to`.
    pub after: String,
    /// The reports effective in between: `(text, retracted)`.
    pub reports: Vec<(String, bool)>,
}

/// A review point offered as a date.
#[derive(Debug, Clone)]
pub struct DateOption {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// The review's name.
    pub name: String,
    /// This page from that review to the current `to`.
    pub href: String,
}

#[derive(Template)]
#[template(path = "changes.html")]
struct ChangesTemplate {
    layout: Layout,
    from: String,
    to: String,
    known_then: bool,
    lang: &'static str,
    reviews: Vec<DateOption>,
    by_objective: Vec<MovedRow>,
    by_mechanism: Vec<MovedRow>,
    lines: Vec<ChangeLine>,
    /// How many moved in all (the list shows a page of them).
    moved_total: usize,
    next_page: Option<String>,
    first_page: Option<String>,
    csv_href: String,
    objectives_csv: String,
    mechanisms_csv: String,
}

/// The two dates and the filters of a request.
struct Range {
    from: Date,
    to: Date,
    filter: Filter,
}

/// `GET /changes`.
pub async fn page(State(state): State<AppState>, page: Page) -> Result<Html<String>, WebError> {
    let t = page.t;
    let review_points = query::review_points(&state.read.db(), state.read.published()).await?;
    let range = range(&page, &review_points)?;
    let clock = clock(&state, &page, &range).await?;
    let db = state.read.db();
    let after = page.param("after");
    let mut lines =
        query::changes(&db, &clock, &range.filter, range.from, after, PAGE_SIZE + 1).await?;
    let (next_page, first_page) =
        page.paged(&mut lines, PAGE_SIZE, |change| change.commitment_id.clone());
    let changes = query::moves(&db, &clock, &range.filter, range.from).await?;
    let names = mechanism_names(&state).await?;
    let to_text = range.to.to_string();
    let template = ChangesTemplate {
        layout: Layout::plain(&page, t.changes_title.to_owned()),
        from: range.from.to_string(),
        to: to_text.clone(),
        known_then: page.known == Known::Then,
        lang: page.lang.code(),
        reviews: review_points
            .iter()
            .map(|point| DateOption {
                date: point.ends_on.to_string(),
                name: point.name.clone(),
                href: page.this_with(&[
                    ("from", Some(point.ends_on.to_string())),
                    ("to", Some(to_text.clone())),
                ]),
            })
            .collect(),
        by_objective: by_objective(&page, &changes),
        by_mechanism: by_mechanism(&page, &changes, &names),
        lines: lines.iter().map(|change| line(&page, change)).collect(),
        moved_total: changes.changes.len(),
        next_page,
        first_page,
        csv_href: csv_href(&page, None),
        objectives_csv: csv_href(&page, Some("objectives")),
        mechanisms_csv: csv_href(&page, Some("mechanisms")),
    };
    Ok(Html(template.render()?))
}

/// `GET /changes.csv`: the commitments that moved; with `table=objectives` or
/// `table=mechanisms`, the counts per objective or per mechanism.
pub async fn csv(State(state): State<AppState>, page: Page) -> Result<Response, WebError> {
    let review_points = query::review_points(&state.read.db(), state.read.published()).await?;
    let range = range(&page, &review_points)?;
    let clock = clock(&state, &page, &range).await?;
    let db = state.read.db();
    let counts = match page.param("table") {
        None => None,
        Some("objectives") => {
            let changes = query::moves(&db, &clock, &range.filter, range.from).await?;
            Some(by_objective(&page, &changes))
        }
        Some("mechanisms") => {
            let changes = query::moves(&db, &clock, &range.filter, range.from).await?;
            let names = mechanism_names(&state).await?;
            Some(by_mechanism(&page, &changes, &names))
        }
        Some(other) => {
            return Err(WebError::bad_request(format!(
                "table must be `objectives` or `mechanisms`, not `{other}`"
            )));
        }
    };
    if let Some(rows) = counts {
        let mut csv = Csv::new(&["key", "name", "moved", "status_changed", "newly_made"]);
        for row in rows {
            csv.row([
                row.key,
                row.label,
                row.moved.to_string(),
                row.status_changed.to_string(),
                row.newly_made.to_string(),
            ]);
        }
        return Ok(csv.into_response(&format!("moved-{}-{}.csv", range.from, range.to)));
    }
    let mut csv = Csv::new(&[
        "commitment_id",
        "mechanism_id",
        "title",
        "status_before",
        "percent_before",
        "status_after",
        "percent_after",
        "reports",
    ]);
    // Every commitment with its reports, once per download: not a question to refresh after each
    // batch as the page's are.
    let clock = Clock {
        latest: false,
        ..clock
    };
    let changes = query::changes(&db, &clock, &range.filter, range.from, None, i64::MAX).await?;
    for change in &changes {
        let reports: Vec<String> = change
            .reports
            .iter()
            .map(|report| {
                format!(
                    "{}:{}:{}{}",
                    report.seq,
                    report.effective_date,
                    report.status,
                    if report.retracted { ":retracted" } else { "" }
                )
            })
            .collect();
        csv.row([
            change.commitment_id.clone(),
            change.mechanism_id.clone(),
            change.title.clone(),
            change.status_before.clone().unwrap_or_default(),
            change
                .percent_before
                .map(|p| p.to_string())
                .unwrap_or_default(),
            change.status_after.clone().unwrap_or_default(),
            change
                .percent_after
                .map(|p| p.to_string())
                .unwrap_or_default(),
            reports.join(" "),
        ]);
    }
    Ok(csv.into_response(&format!("changes-{}-{}.csv", range.from, range.to)))
}

/// The CSV of one of the page's tables, with the page's dates and filters.
fn csv_href(page: &Page, table: Option<&str>) -> String {
    page.this_with(&[("table", table.map(str::to_owned))])
        .replacen("/changes", "/changes.csv", 1)
}

/// Mechanism names by id, as known now.
async fn mechanism_names(state: &AppState) -> Result<HashMap<String, String>, WebError> {
    Ok(
        query::mechanisms(&state.read.db(), state.read.published(), None)
            .await?
            .into_iter()
            .map(|mechanism| (mechanism.id, mechanism.name))
            .collect(),
    )
}

/// The dates and filters of the request, with their defaults.
fn range(page: &Page, review_points: &[ReviewPointRow]) -> Result<Range, WebError> {
    let today = OffsetDateTime::now_utc().date();
    let to = page
        .param("to")
        .map(|text| parse_date(text, "to"))
        .transpose()?
        .unwrap_or(today);
    let from = match page.param("from") {
        Some(text) => parse_date(text, "from")?,
        None => review_points
            .iter()
            .filter(|point| point.ends_on < to)
            .map(|point| point.ends_on)
            .max()
            .unwrap_or(GCM_ADOPTED_ON),
    };
    if from > to {
        return Err(WebError::bad_request("from must not be after to"));
    }
    let mut filter = Filter::default();
    if let Some(mechanism) = page.param("mechanism") {
        let id = MechanismId::parse(mechanism)
            .map_err(|error| WebError::bad_request(error.to_string()))?;
        filter.mechanism = Some(id);
    }
    if let Some(objective) = page.param("objective") {
        let number = objective
            .parse::<i64>()
            .ok()
            .and_then(|n| ObjectiveNumber::new(n).ok())
            .ok_or_else(|| {
                WebError::bad_request(format!("there is no GCM objective `{objective}`"))
            })?;
        filter.objective = Some(number);
    }
    Ok(Range { from, to, filter })
}

/// The clock of the request: effective on `to`, known now or at the end of the `to` day.
async fn clock(state: &AppState, page: &Page, range: &Range) -> Result<Clock, WebError> {
    let known_at = match page.known {
        Known::Now => None,
        Known::Then => Some(end_of_day(range.to)),
    };
    page.clock_on(state, range.to, known_at).await
}

fn by_objective(page: &Page, moves: &Moves) -> Vec<MovedRow> {
    moves
        .by_objective
        .iter()
        .map(|(number, counts)| {
            let label = ObjectiveNumber::new(i64::from(*number))
                .ok()
                .and_then(catalogue::gcm_objective)
                .map(|objective| objective.short_title.get(page.lang).to_owned())
                .unwrap_or_default();
            row(
                number.to_string(),
                label,
                page.href(&format!("/objectives/{number}"), &[]),
                counts,
            )
        })
        .collect()
}

fn by_mechanism(page: &Page, moves: &Moves, names: &HashMap<String, String>) -> Vec<MovedRow> {
    moves
        .by_mechanism
        .iter()
        .map(|(id, counts)| {
            row(
                id.clone(),
                names.get(id).cloned().unwrap_or_else(|| id.clone()),
                page.href(&format!("/mechanisms/{id}"), &[]),
                counts,
            )
        })
        .collect()
}

fn row(key: String, label: String, href: String, counts: &MoveCounts) -> MovedRow {
    MovedRow {
        key,
        label,
        href,
        moved: counts.moved,
        status_changed: counts.status_changed,
        newly_made: counts.newly_made,
    }
}

fn line(page: &Page, change: &Change) -> ChangeLine {
    let t = page.t;
    let state = |status: &Option<String>, percent: Option<u8>| match status {
        None => t.not_made_yet.to_owned(),
        Some(status) => match percent {
            Some(percent) => format!("{} ({percent} %)", t.status(status)),
            None => t.status(status).to_owned(),
        },
    };
    ChangeLine {
        href: page.href(&format!("/commitments/{}", change.commitment_id), &[]),
        title: change.title.clone(),
        mechanism: change.mechanism_id.clone(),
        before: state(&change.status_before, change.percent_before),
        after: state(&change.status_after, change.percent_after),
        reports: change
            .reports
            .iter()
            .map(|report| {
                let percent = report
                    .percent
                    .map(|p| format!(", {p} %"))
                    .unwrap_or_default();
                (
                    format!(
                        "{} {}: {}{percent} ({})",
                        t.seq,
                        report.seq,
                        t.status(&report.status),
                        report.effective_date
                    ),
                    report.retracted,
                )
            })
            .collect(),
    }
}
