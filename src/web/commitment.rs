//! `/commitments/{id}`: one commitment's fields, status, progress chart, every progress update
//! (a retracted one struck through with its reason, never hidden) and its audit trail.
//!
//! Read straight from the commitment's stream and folded with the domain's own queries, as
//! `GET /v1/commitments/{id}` does: one read of one stream, so the page is always up to date, even
//! right after a write (no waiting for the read models). "As known then" keeps only the events
//! recorded by the end of the `as_of` day: a prefix of the stream, because `recorded_at` never
//! decreases along positions.
//!
//! # Layout
//!
//! - this module: loading the stream, the page, and its CSV downloads;
//! - `trail.rs`: the audit trail, each event described against the state before it.

mod trail;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, Response};
use compact_events::catalogue;
use compact_events::commitment::query::CommitmentStatus;
use compact_events::commitment::{CommitmentState, ProgressUpdate, Validation};
use compact_events::decider::Decider;
use compact_events::event::commitment::{Commitment, CommitmentEvent};
use compact_events::freshness::Freshness;
use compact_events::ids::CommitmentId;
use compact_events::stream::StreamId;
use compact_projections::query;
use time::{Date, OffsetDateTime};

use super::charts::{self, Report};
use super::error::WebError;
use super::i18n::STATUSES;
use super::tables::{StatusKey, status_keys};
use super::view::{Layout, Page, format_time};
use crate::csv::Csv;
use crate::state::AppState;
use crate::store::{EventStore, RecordedEvent};
use crate::stream::{decode_all, latest_report_recorded_on, report_recording_times};
use trail::{TrailRow, trail};
pub use trail::{indicator_text, objective_list, target_list};

/// A commitment's stream as known on the page's clock.
pub struct Loaded {
    /// The commitment's id.
    pub id: CommitmentId,
    /// The events known, as stored.
    pub recorded: Vec<RecordedEvent>,
    /// The same events, decoded.
    pub events: Vec<CommitmentEvent>,
    /// How many later events the "as known then" view leaves out.
    pub hidden_later: usize,
    /// The state folded from the known events.
    pub state: CommitmentState,
}

impl Loaded {
    /// The commitment's fields (it exists: [`load`] answers 404 otherwise).
    pub fn commitment(&self) -> Option<&Commitment> {
        self.state.commitment.as_ref()
    }
}

/// Reads and folds a commitment's stream, keeping the events recorded by `known_at` (all if
/// `None`). 404 if nothing about the commitment was known by then.
pub async fn load(
    state: &AppState,
    id: &str,
    known_at: Option<OffsetDateTime>,
) -> Result<Loaded, WebError> {
    let not_found = || WebError::not_found(format!("no commitment {id} (as known)"));
    let commitment_id = CommitmentId::parse(id).map_err(|_| not_found())?;
    let stream = StreamId::Commitment(commitment_id).to_string();
    let mut recorded = state.store.read_stream(&stream, 1).await?;
    let total = recorded.len();
    if let Some(known_at) = known_at {
        recorded.retain(|event| event.recorded_at <= known_at);
    }
    let events = decode_all::<CommitmentEvent>(&recorded)?;
    let commitment_state = CommitmentState::fold(&events);
    if commitment_state.commitment.is_none() {
        return Err(not_found());
    }
    Ok(Loaded {
        id: commitment_id,
        hidden_later: total - recorded.len(),
        recorded,
        events,
        state: commitment_state,
    })
}

/// A link to a GCM objective or SDG target page.
#[derive(Debug, Clone)]
pub struct Link {
    /// Where.
    pub href: String,
    /// The code (`5`, `10.7`).
    pub code: String,
    /// Its title in the page's language.
    pub title: String,
}

/// One progress update as the page shows it.
#[derive(Debug, Clone)]
pub struct UpdateRow {
    /// Sequence number.
    pub seq: u32,
    /// Effective date.
    pub effective_date: String,
    /// Whether it takes effect after the page's date.
    pub after_as_of: bool,
    /// Status (wire name).
    pub status: &'static str,
    /// Status in the page's language.
    pub status_label: String,
    /// Percent, or empty.
    pub percent: String,
    /// Indicator value, or empty.
    pub indicator_value: String,
    /// The narrative.
    pub narrative: String,
    /// Evidence links.
    pub evidence: Vec<String>,
    /// `submitted`, `validated` or `rejected`.
    pub validation: &'static str,
    /// The validation in the page's language.
    pub validation_label: String,
    /// The secretariat's note.
    pub validation_note: String,
    /// Why it was retracted, if it was.
    pub retracted: Option<String>,
    /// When it was recorded.
    pub recorded_at: String,
}

#[derive(Template)]
#[template(path = "commitment.html")]
struct CommitmentTemplate {
    layout: Layout,
    flash: Option<&'static str>,
    commitment: Commitment,
    mechanism_name: String,
    mechanism_href: String,
    objectives: Vec<Link>,
    targets: Vec<Link>,
    recommendations: String,
    indicator: String,
    status: &'static str,
    status_label: String,
    exists: bool,
    percent: String,
    indicator_value: String,
    freshness: &'static str,
    freshness_label: String,
    withdrawal: Option<String>,
    version: usize,
    statuses: Vec<StatusKey>,
    chart: String,
    updates: Vec<UpdateRow>,
    trail: Vec<TrailRow>,
    hidden_later: usize,
    progress_href: String,
    revision_href: String,
    updates_csv: String,
    events_csv: String,
}

/// `GET /commitments/{id}`.
pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let t = page.t;
    let clock = page.clock(&state).await?;
    let loaded = load(&state, &id, page.known_at()).await?;
    let Some(commitment) = loaded.commitment().cloned() else {
        return Err(WebError::not_found(format!("no commitment {id}")));
    };
    let as_of = page.as_of_or_today();
    let commitment_state = &loaded.state;
    let exists = commitment_state.exists_as_of(as_of);
    let status = commitment_state
        .status_as_of(as_of, false)
        .unwrap_or(CommitmentStatus::Planned)
        .as_str();
    let recorded_at = report_recording_times(&loaded.recorded, &loaded.events);
    let reference_day = compact_events::freshness::reference_day(
        as_of,
        page.known_at().unwrap_or_else(OffsetDateTime::now_utc),
    );
    let latest_recorded = latest_report_recorded_on(commitment_state, &recorded_at, reference_day);
    let freshness = Freshness::of(latest_recorded, commitment.made_on, reference_day);
    let mechanism = query::mechanisms(
        &state.read.db(),
        state.read.published(),
        Some(commitment.mechanism_id.as_str()),
    )
    .await?
    .pop();
    let chart = progress_chart(&page, commitment_state, commitment.made_on, as_of)?;
    let id_text = loaded.id.to_string();
    let flash = match page.param("recorded") {
        Some("progress") => Some(t.progress_recorded),
        Some("revision") => Some(t.revision_recorded),
        _ => None,
    };
    let template = CommitmentTemplate {
        layout: Layout::with_clock(&page, &state, commitment.title.clone(), &clock).await?,
        flash,
        mechanism_name: mechanism.map_or_else(|| commitment.mechanism_id.to_string(), |m| m.name),
        mechanism_href: page.href(&format!("/mechanisms/{}", commitment.mechanism_id), &[]),
        objectives: commitment
            .gcm_objectives
            .iter()
            .map(|number| Link {
                href: page.href(&format!("/objectives/{number}"), &[]),
                code: number.to_string(),
                title: catalogue::gcm_objective(*number)
                    .map(|objective| objective.short_title.get(page.lang).to_owned())
                    .unwrap_or_default(),
            })
            .collect(),
        targets: commitment
            .sdg_targets
            .iter()
            .map(|code| Link {
                href: page.href(&format!("/sdg-targets/{code}"), &[]),
                code: code.to_string(),
                title: catalogue::sdg_target(code)
                    .map(|target| target.title.get(page.lang).to_owned())
                    .unwrap_or_default(),
            })
            .collect(),
        recommendations: commitment
            .recommendation_ids
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        indicator: commitment
            .indicator
            .as_ref()
            .map(|indicator| indicator_text(t, indicator))
            .unwrap_or_default(),
        status,
        status_label: if exists {
            t.status(status).to_owned()
        } else {
            t.not_made_yet.to_owned()
        },
        exists,
        percent: commitment_state
            .percent_as_of(as_of, false)
            .map(|p| p.get().to_string())
            .unwrap_or_default(),
        indicator_value: commitment_state
            .indicator_value_as_of(as_of, false)
            .map(ToString::to_string)
            .unwrap_or_default(),
        freshness: freshness.as_str(),
        freshness_label: t.freshness_name(freshness.as_str()).to_owned(),
        withdrawal: commitment_state
            .withdrawal
            .as_ref()
            .map(|withdrawal| format!("{} ({})", withdrawal.reason, withdrawal.withdrawn_on)),
        version: loaded.recorded.len(),
        statuses: status_keys(t),
        chart,
        updates: commitment_state
            .updates
            .iter()
            .map(|update| update_row(&page, update, as_of, &recorded_at))
            .collect(),
        trail: trail(&page, &loaded.recorded, &loaded.events),
        hidden_later: loaded.hidden_later,
        progress_href: page.href(&format!("/commitments/{id_text}/progress"), &[]),
        revision_href: page.href(&format!("/commitments/{id_text}/revision"), &[]),
        updates_csv: page.href(&format!("/commitments/{id_text}/updates.csv"), &[]),
        events_csv: page.href(&format!("/commitments/{id_text}/events.csv"), &[]),
        commitment,
    };
    Ok(Html(template.render()?))
}

/// `GET /commitments/{id}/updates.csv`: every progress update known, retracted ones included.
pub async fn updates_csv(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let loaded = load(&state, &id, page.known_at()).await?;
    let recorded_at = report_recording_times(&loaded.recorded, &loaded.events);
    let mut csv = Csv::new(&[
        "seq",
        "effective_date",
        "status",
        "percent_complete",
        "indicator_value",
        "narrative",
        "evidence_urls",
        "validation",
        "validation_note",
        "retracted_reason",
        "recorded_at",
    ]);
    for update in &loaded.state.updates {
        let row = update_row(&page, update, page.as_of_or_today(), &recorded_at);
        csv.row([
            row.seq.to_string(),
            row.effective_date,
            row.status.to_owned(),
            row.percent,
            row.indicator_value,
            row.narrative,
            row.evidence.join(" "),
            row.validation.to_owned(),
            row.validation_note,
            row.retracted.unwrap_or_default(),
            row.recorded_at,
        ]);
    }
    Ok(csv.into_response(&format!("commitment-{}-updates.csv", loaded.id)))
}

/// `GET /commitments/{id}/events.csv`: the audit trail.
pub async fn events_csv(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let loaded = load(&state, &id, page.known_at()).await?;
    Ok(super::tables::events_csv(&loaded.recorded)
        .into_response(&format!("commitment-{}-events.csv", loaded.id)))
}

/// When each progress update was recorded, by `seq`.
fn update_row(
    page: &Page,
    update: &ProgressUpdate,
    as_of: Date,
    recorded_at: &HashMap<u32, OffsetDateTime>,
) -> UpdateRow {
    let report = &update.report;
    let (validation, note) = match &update.validation {
        Validation::Submitted => ("submitted", String::new()),
        Validation::Validated { note } => ("validated", note.clone()),
        Validation::Rejected { note } => ("rejected", note.clone()),
    };
    UpdateRow {
        seq: report.seq,
        effective_date: report.effective_date.to_string(),
        after_as_of: report.effective_date > as_of,
        status: report.status.as_str(),
        status_label: page.t.status(report.status.as_str()).to_owned(),
        percent: report
            .percent_complete
            .map(|p| p.get().to_string())
            .unwrap_or_default(),
        indicator_value: report
            .indicator_value
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        narrative: report.narrative.clone(),
        evidence: report.evidence_urls.clone(),
        validation,
        validation_label: page.t.validation_name(validation).to_owned(),
        validation_note: note,
        retracted: update.retraction.clone(),
        recorded_at: recorded_at
            .get(&report.seq)
            .map(|at| format_time(*at))
            .unwrap_or_default(),
    }
}

/// Percent complete from the day the commitment was made to the page's date, one dot per
/// counted update.
fn progress_chart(
    page: &Page,
    commitment: &CommitmentState,
    made_on: Date,
    as_of: Date,
) -> Result<String, WebError> {
    if as_of < made_on {
        return Ok(String::new());
    }
    let reports: Vec<Report> = commitment
        .counted_updates_as_of(as_of, false)
        .into_iter()
        .map(|update| Report {
            effective_date: update.report.effective_date,
            percent: update.report.percent_complete.map(|p| p.get()),
            status: STATUSES
                .iter()
                .position(|status| *status == update.report.status.as_str())
                .unwrap_or(0),
        })
        .collect();
    charts::progress_steps(
        &reports,
        made_on,
        as_of,
        page.t.progress_chart_caption,
        page.t.percent,
    )
    .map_err(WebError::internal)
}
