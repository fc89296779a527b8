//! `/audit`: whether the hash chain is intact (SPEC.md "Event store guarantees"), and the global
//! event feed, paged by position.
//!
//! The chain status comes from [`crate::store::chain_check::ChainCheck`]: walked in full once an
//! hour and extended over new events in between, so a page load does not recompute a million
//! hashes. The feed itself is one indexed range read per page.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, Response};

use super::error::WebError;
use super::tables::{EventLine, events_csv as feed_csv};
use super::view::{Layout, Page, format_time};
use crate::state::AppState;
use crate::store::EventStore;

/// Events per page.
pub const PAGE_SIZE: i64 = 50;

/// The most events one CSV download holds.
const CSV_LIMIT: i64 = 1_000;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTemplate {
    layout: Layout,
    ok: bool,
    events_checked: u64,
    head_hash: String,
    full_walk_at: String,
    first_broken_position: Option<i64>,
    events: Vec<EventLine>,
    older: Option<String>,
    newer: Option<String>,
    latest: Option<String>,
    csv_href: String,
}

/// `GET /audit`.
pub async fn page(State(state): State<AppState>, page: Page) -> Result<Html<String>, WebError> {
    let clock = page.clock(&state).await?;
    let chain = state.chain.status(&state.store).await?;
    let report = chain.report;
    // "As known then" pages the log only up to what was recorded by then.
    let last = match page.known_at() {
        Some(_) => clock.known,
        None => state.store.head().await?,
    };
    let after = match page.param("after") {
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|after| *after >= 0)
            .ok_or_else(|| WebError::bad_request("after must be a position, 0 or more"))?,
        None => (last - PAGE_SIZE).max(0),
    };
    let events: Vec<_> = state
        .store
        .read_all(after, PAGE_SIZE)
        .await?
        .into_iter()
        .filter(|event| event.position <= last)
        .collect();
    let newest = events.last().map_or(after, |event| event.position);
    let template = AuditTemplate {
        layout: Layout::with_clock(&page, &state, page.t.audit_title.to_owned(), &clock).await?,
        ok: report.ok,
        events_checked: report.events_checked,
        head_hash: report
            .head_hash
            .map(|hash| hash.to_string())
            .unwrap_or_default(),
        full_walk_at: format_time(chain.full_walk_at),
        first_broken_position: report.first_broken_position,
        events: events
            .iter()
            .map(|event| EventLine::new(&page, event))
            .collect(),
        older: (after > 0)
            .then(|| page.this_with(&[("after", Some((after - PAGE_SIZE).max(0).to_string()))])),
        newer: (newest < last).then(|| page.this_with(&[("after", Some(newest.to_string()))])),
        latest: (newest < last).then(|| page.this_with(&[("after", None)])),
        csv_href: page.href("/audit/events.csv", &[("after", &after.to_string())]),
    };
    Ok(Html(template.render()?))
}

/// `GET /audit/events.csv?after=N&limit=M`: events after a position (at most 1,000).
pub async fn events_csv(State(state): State<AppState>, page: Page) -> Result<Response, WebError> {
    let clock = page.clock(&state).await?;
    let number = |name: &str, default: i64| match page.param(name) {
        Some(text) => text
            .parse::<i64>()
            .map_err(|_| WebError::bad_request(format!("{name} must be a whole number"))),
        None => Ok(default),
    };
    let after = number("after", 0)?.max(0);
    let limit = number("limit", PAGE_SIZE)?.clamp(1, CSV_LIMIT);
    let last = match page.known_at() {
        Some(_) => clock.known,
        None => i64::MAX,
    };
    let events: Vec<_> = state
        .store
        .read_all(after, limit)
        .await?
        .into_iter()
        .filter(|event| event.position <= last)
        .collect();
    Ok(feed_csv(&events).into_response(&format!("events-after-{after}.csv")))
}
