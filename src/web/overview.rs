//! `/` — the overview (SPEC.md "Web dashboard"): progress by GCM objective and by SDG target
//! (charts and tables), totals, mechanisms with their reporting freshness, and recent activity.
//!
//! Every number comes from the same read-model queries as `GET /v1/progress/objectives`,
//! `/v1/progress/sdg-targets` and `/v1/mechanisms` on the same clock, so page and API agree. The
//! page costs a fixed number of queries whatever the data: three progress tallies, the
//! mechanisms, the review points and one page of the feed.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, Response};
use compact_events::catalogue;
use compact_projections::query::{self, Clock, Filter, GroupBy, Tally};

use super::charts::{self, Bar};
use super::error::WebError;
use super::tables::{EventLine, StatusKey, TallyRow, status_keys, sum_tallies, tally_csv};
use super::view::{Layout, Page};
use crate::state::AppState;
use crate::store::EventStore;

/// How many events "recent activity" shows.
const RECENT: i64 = 10;

/// A mechanism with its counts.
#[derive(Debug, Clone)]
pub struct MechanismLine {
    /// Its counts (key = id, label = name).
    pub row: TallyRow,
    /// Its kind, in the page's language.
    pub kind: String,
    /// Its region.
    pub region: String,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewTemplate {
    layout: Layout,
    statuses: Vec<StatusKey>,
    objectives: Vec<TallyRow>,
    objectives_chart: String,
    targets: Vec<TallyRow>,
    targets_chart: String,
    totals: TallyRow,
    mechanisms: Vec<MechanismLine>,
    recent: Vec<EventLine>,
    objectives_csv: String,
    targets_csv: String,
    mechanisms_csv: String,
    commitments_csv: String,
    recent_csv: String,
    audit_href: String,
}

/// `GET /`.
pub async fn page(State(state): State<AppState>, page: Page) -> Result<Html<String>, WebError> {
    let clock = page.clock(&state).await?;
    let t = page.t;
    let objectives = objective_rows(&state, &page, &clock).await?;
    let targets = target_rows(&state, &page, &clock).await?;
    let (mechanisms, totals) = mechanism_rows(&state, &page, &clock).await?;
    let objective_bars: Vec<Bar> = objectives
        .iter()
        .map(|row| row.bar(format!("{} {}", row.key, row.label)))
        .collect();
    let target_bars: Vec<Bar> = targets.iter().map(|row| row.bar(row.key.clone())).collect();
    let recent = recent_events(&state, &page, clock.known).await?;
    let template = OverviewTemplate {
        layout: Layout::with_clock(&page, &state, t.overview_title.to_owned(), &clock).await?,
        statuses: status_keys(t),
        objectives_chart: charts::stacked_bars(&objective_bars, t.chart_objectives, t.commitments)
            .map_err(WebError::internal)?,
        targets_chart: charts::stacked_bars(&target_bars, t.chart_targets, t.commitments)
            .map_err(WebError::internal)?,
        objectives,
        targets,
        totals,
        mechanisms,
        recent,
        objectives_csv: page.href("/progress/objectives.csv", &[]),
        targets_csv: page.href("/progress/sdg-targets.csv", &[]),
        mechanisms_csv: page.href("/progress/mechanisms.csv", &[]),
        commitments_csv: page.href("/commitments.csv", &[]),
        recent_csv: page.href(
            "/audit/events.csv",
            &[("after", &(clock.known - RECENT).max(0).to_string())],
        ),
        audit_href: page.href("/audit", &[]),
    };
    Ok(Html(template.render()?))
}

/// `GET /progress/objectives.csv`: the objectives table.
pub async fn objectives_csv(
    State(state): State<AppState>,
    page: Page,
) -> Result<Response, WebError> {
    let clock = page.clock(&state).await?;
    let rows = objective_rows(&state, &page, &clock).await?;
    Ok(tally_csv(&rows, "objective").into_response("progress-by-objective.csv"))
}

/// `GET /progress/sdg-targets.csv`: the SDG targets table.
pub async fn targets_csv(State(state): State<AppState>, page: Page) -> Result<Response, WebError> {
    let clock = page.clock(&state).await?;
    let rows = target_rows(&state, &page, &clock).await?;
    Ok(tally_csv(&rows, "sdg_target").into_response("progress-by-sdg-target.csv"))
}

/// `GET /progress/mechanisms.csv`: the mechanisms table.
pub async fn mechanisms_csv(
    State(state): State<AppState>,
    page: Page,
) -> Result<Response, WebError> {
    let clock = page.clock(&state).await?;
    let (mechanisms, totals) = mechanism_rows(&state, &page, &clock).await?;
    let mut rows: Vec<TallyRow> = mechanisms.into_iter().map(|line| line.row).collect();
    rows.push(totals);
    Ok(tally_csv(&rows, "mechanism").into_response("progress-by-mechanism.csv"))
}

/// The 23 objectives, in order, each with its counts (zero where none).
async fn objective_rows(
    state: &AppState,
    page: &Page,
    clock: &Clock,
) -> Result<Vec<TallyRow>, WebError> {
    let tallies = query::progress(
        &state.read.db(),
        clock,
        &Filter::default(),
        GroupBy::Objective,
    )
    .await?;
    let empty = Tally::default();
    Ok(catalogue::gcm_objectives()
        .iter()
        .map(|objective| {
            let key = objective.number.to_string();
            TallyRow::described(
                key.clone(),
                objective.short_title.get(page.lang).to_owned(),
                objective.title.get(page.lang).to_owned(),
                page.href(&format!("/objectives/{key}"), &[]),
                tallies.get(&key).unwrap_or(&empty),
            )
        })
        .collect())
}

/// The migration-relevant SDG targets and every other target with commitments, in catalogue
/// order (as `GET /v1/progress/sdg-targets`).
async fn target_rows(
    state: &AppState,
    page: &Page,
    clock: &Clock,
) -> Result<Vec<TallyRow>, WebError> {
    let tallies = query::progress(
        &state.read.db(),
        clock,
        &Filter::default(),
        GroupBy::SdgTarget,
    )
    .await?;
    let empty = Tally::default();
    Ok(catalogue::sdg_targets()
        .iter()
        .filter(|target| target.migration_relevant || tallies.contains_key(target.code.as_str()))
        .map(|target| {
            let key = target.code.to_string();
            TallyRow::described(
                key.clone(),
                key.clone(),
                target.title.get(page.lang).to_owned(),
                page.href(&format!("/sdg-targets/{key}"), &[]),
                tallies.get(&key).unwrap_or(&empty),
            )
        })
        .collect())
}

/// Every mechanism known on the clock with its counts, and the totals over all of them.
async fn mechanism_rows(
    state: &AppState,
    page: &Page,
    clock: &Clock,
) -> Result<(Vec<MechanismLine>, TallyRow), WebError> {
    let db = state.read.db();
    let tallies = query::progress(&db, clock, &Filter::default(), GroupBy::Mechanism).await?;
    let empty = Tally::default();
    let lines = query::mechanisms(&db, clock.known, None)
        .await?
        .into_iter()
        .map(|mechanism| MechanismLine {
            row: TallyRow::new(
                mechanism.id.clone(),
                mechanism.name.clone(),
                page.href(&format!("/mechanisms/{}", mechanism.id), &[]),
                tallies.get(&mechanism.id).unwrap_or(&empty),
            ),
            kind: page.t.mechanism_kind(&mechanism.kind).to_owned(),
            region: mechanism.region.unwrap_or_default(),
        })
        .collect();
    let totals = TallyRow::new(
        "all".to_owned(),
        page.t.all.to_owned(),
        page.href("/", &[]),
        &sum_tallies(tallies.values()),
    );
    Ok((lines, totals))
}

/// The latest events known on the clock, newest first.
async fn recent_events(
    state: &AppState,
    page: &Page,
    known: i64,
) -> Result<Vec<EventLine>, WebError> {
    let events = state
        .store
        .read_all((known - RECENT).max(0), RECENT)
        .await?;
    Ok(events
        .iter()
        .filter(|event| event.position <= known)
        .rev()
        .map(|event| EventLine::new(page, event))
        .collect())
}
