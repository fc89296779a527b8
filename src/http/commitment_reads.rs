//! `GET /v1/commitments/{id}` and `GET /v1/commitments/{id}/history` (SPEC.md "HTTP API"), read
//! straight from the commitment's stream.
//!
//! Two clocks: `known_at` keeps only the events recorded up to then ("what we knew"); `as_of` asks
//! for the state on an effective date. Because `recorded_at` never decreases along positions,
//! "recorded up to `known_at`" is a prefix of the stream.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use compact_events::commitment::{CommitmentState, ProgressUpdate, Validation};
use compact_events::decider::Decider;
use compact_events::event::commitment::{CommitmentEvent, Indicator};
use compact_events::freshness::{self, Freshness};
use compact_events::ids::{
    CommitmentId, MechanismId, ObjectiveNumber, RecommendationId, SdgTargetCode,
};
use compact_events::stream::StreamId;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::auth::Reader;
use super::error::{ApiError, ReadProblems};
use super::extract::{ApiPath, ApiQuery};
use super::views::EventView;
use crate::state::AppState;
use crate::store::EventStore;
use crate::stream::{decode_all, latest_report_recorded_on, report_recording_times};

/// The clock parameters of a read that replays one stream (a commitment and its history) rather
/// than asking the read models: no `min_position`, since the stream is read from the store
/// itself. Reads of the read models take [`super::read_clock::ClockParams`]; both resolve to
/// dates and positions the same way.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamClockParams {
    /// State on this effective date (default: today).
    #[param(value_type = Option<String>, format = Date)]
    #[serde(
        default,
        deserialize_with = "crate::http::extract::question_date::option::deserialize"
    )]
    pub as_of: Option<Date>,
    /// Using only events recorded up to this instant, RFC 3339 (default: now).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub known_at: Option<OffsetDateTime>,
    /// Only validated progress updates count.
    #[serde(default)]
    pub validated_only: bool,
    /// Wait until the read side has applied this global position (read-your-writes).
    pub min_position: Option<i64>,
}

/// A commitment as it stood on `as_of`, as known at `known_at`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommitmentView {
    /// The commitment's id.
    pub id: Uuid,
    /// The mechanism that made it.
    #[schema(value_type = String)]
    pub mechanism_id: MechanismId,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// GCM objectives served.
    #[schema(value_type = Vec<u8>)]
    pub gcm_objectives: Vec<ObjectiveNumber>,
    /// SDG targets served.
    #[schema(value_type = Vec<String>)]
    pub sdg_targets: Vec<SdgTargetCode>,
    /// Recommendations acted on.
    #[schema(value_type = Vec<String>)]
    pub recommendation_ids: Vec<RecommendationId>,
    /// The day it was made.
    #[schema(value_type = String, format = Date)]
    pub made_on: Date,
    /// When it is due.
    #[schema(value_type = Option<String>, format = Date)]
    pub due_date: Option<Date>,
    /// How progress is measured.
    #[schema(value_type = Option<Object>)]
    pub indicator: Option<Indicator>,
    /// `planned`, `in_progress`, `delayed`, `achieved`, `discontinued` or `withdrawn`.
    pub status: String,
    /// Percent complete from the latest counted update that gives one.
    pub percent_complete: Option<u8>,
    /// The indicator's latest counted value.
    pub indicator_value: Option<String>,
    /// The latest counted progress update.
    pub latest_update: Option<UpdateView>,
    /// Every progress update, retracted and rejected ones included.
    pub updates: Vec<UpdateView>,
    /// `current`, `due` or `overdue`.
    pub freshness: String,
    /// Number of events known (the stream version at `known_at`); the `ETag` of writes.
    pub version: i64,
    /// The effective date answered for.
    #[schema(value_type = String, format = Date)]
    pub as_of: Date,
    /// The recording time answered for.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub known_at: OffsetDateTime,
}

/// One progress update.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UpdateView {
    /// Its sequence number.
    pub seq: u32,
    /// The reported state.
    pub status: String,
    /// The day it applies to.
    #[schema(value_type = String, format = Date)]
    pub effective_date: Date,
    /// Percent complete.
    pub percent_complete: Option<u8>,
    /// The indicator's value.
    pub indicator_value: Option<String>,
    /// What happened.
    pub narrative: String,
    /// Evidence links.
    pub evidence_urls: Vec<String>,
    /// `submitted`, `validated` or `rejected`.
    pub validation: String,
    /// The secretariat's note, if decided.
    pub validation_note: Option<String>,
    /// Why it was retracted, if it was.
    pub retracted: Option<String>,
    /// When it was recorded.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub recorded_at: Option<OffsetDateTime>,
}

/// A commitment's fields, status, percent and updates (SPEC.md "Two clocks").
#[utoipa::path(
    get,
    path = "/v1/commitments/{id}",
    tag = "commitments",
    params(("id" = Uuid, Path, description = "The commitment"), StreamClockParams),
    responses((status = 200, description = "The commitment", body = CommitmentView), ReadProblems)
)]
pub async fn get_commitment(
    State(state): State<AppState>,
    _reader: Reader,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(clocks): ApiQuery<StreamClockParams>,
) -> Result<Json<CommitmentView>, ApiError> {
    let now = OffsetDateTime::now_utc();
    let known_at = clocks.known_at.unwrap_or(now);
    let as_of = clocks.as_of.unwrap_or(now.date());
    let stream = StreamId::Commitment(CommitmentId::new(id));
    let mut recorded = state.store.read_stream(&stream.to_string(), 1).await?;
    recorded.retain(|event| event.recorded_at <= known_at);
    let events = decode_all::<CommitmentEvent>(&recorded)?;
    let commitment_state = CommitmentState::fold(&events);
    let not_found = || {
        ApiError::NotFound(format!(
            "no commitment {id} as of {as_of}, as known at {known_at}"
        ))
    };
    let commitment = commitment_state.commitment.as_ref().ok_or_else(not_found)?;
    if !commitment_state.exists_as_of(as_of) {
        return Err(not_found());
    }
    let recorded_at = report_recording_times(&recorded, &events);
    let validated_only = clocks.validated_only;
    let status = commitment_state
        .status_as_of(as_of, validated_only)
        .map_or("planned", |status| status.as_str());
    let reference_day = freshness::reference_day(as_of, known_at);
    let latest_recorded = latest_report_recorded_on(&commitment_state, &recorded_at, reference_day);
    Ok(Json(CommitmentView {
        id,
        mechanism_id: commitment.mechanism_id.clone(),
        title: commitment.title.clone(),
        description: commitment.description.clone(),
        gcm_objectives: commitment.gcm_objectives.clone(),
        sdg_targets: commitment.sdg_targets.clone(),
        recommendation_ids: commitment.recommendation_ids.clone(),
        made_on: commitment.made_on,
        due_date: commitment.due_date,
        indicator: commitment.indicator.clone(),
        status: status.to_owned(),
        percent_complete: commitment_state
            .percent_as_of(as_of, validated_only)
            .map(|p| p.get()),
        indicator_value: commitment_state
            .indicator_value_as_of(as_of, validated_only)
            .map(|value| value.as_str().to_owned()),
        latest_update: commitment_state
            .latest_update_as_of(as_of, validated_only)
            .map(|update| update_view(update, &recorded_at)),
        updates: commitment_state
            .updates
            .iter()
            .map(|update| update_view(update, &recorded_at))
            .collect(),
        freshness: Freshness::of(latest_recorded, commitment.made_on, reference_day)
            .as_str()
            .to_owned(),
        version: i64::try_from(recorded.len()).unwrap_or(i64::MAX),
        as_of,
        known_at,
    }))
}

/// The history of one commitment.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct History {
    /// Every event of the commitment's stream, oldest first.
    pub events: Vec<EventView>,
}

/// Every event of a commitment, with actor, time and hash: the audit trail.
#[utoipa::path(
    get,
    path = "/v1/commitments/{id}/history",
    tag = "commitments",
    params(("id" = Uuid, Path, description = "The commitment")),
    responses((status = 200, description = "The commitment's events", body = History), ReadProblems)
)]
pub async fn get_history(
    State(state): State<AppState>,
    _reader: Reader,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<History>, ApiError> {
    let stream = StreamId::Commitment(CommitmentId::new(id));
    let recorded = state.store.read_stream(&stream.to_string(), 1).await?;
    if recorded.is_empty() {
        return Err(ApiError::NotFound(format!("no commitment {id}")));
    }
    Ok(Json(History {
        events: recorded.iter().map(EventView::from).collect(),
    }))
}

fn update_view(update: &ProgressUpdate, recorded_at: &HashMap<u32, OffsetDateTime>) -> UpdateView {
    let report = &update.report;
    let (validation, validation_note) = match &update.validation {
        Validation::Submitted => ("submitted", None),
        Validation::Validated { note } => ("validated", Some(note.clone())),
        Validation::Rejected { note } => ("rejected", Some(note.clone())),
    };
    UpdateView {
        seq: report.seq,
        status: report.status.as_str().to_owned(),
        effective_date: report.effective_date,
        percent_complete: report.percent_complete.map(|p| p.get()),
        indicator_value: report
            .indicator_value
            .as_ref()
            .map(|v| v.as_str().to_owned()),
        narrative: report.narrative.clone(),
        evidence_urls: report.evidence_urls.clone(),
        validation: validation.to_owned(),
        validation_note,
        retracted: update.retraction.clone(),
        recorded_at: recorded_at.get(&report.seq).copied(),
    }
}
