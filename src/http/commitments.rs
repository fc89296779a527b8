//! The commitment write routes (SPEC.md "HTTP API"): make, revise, report progress, retract,
//! validate, withdraw. Each authorizes, parses, and hands a domain command to
//! [`crate::write::Executor::execute`].

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use compact_events::command::CommitmentCommand;
use compact_events::command::make_commitment::MakeCommitment;
use compact_events::command::report_progress::ReportProgress;
use compact_events::command::retract_progress::RetractProgress;
use compact_events::command::revise_commitment::ReviseCommitment;
use compact_events::command::validate_progress::ValidateProgress;
use compact_events::command::withdraw_commitment::WithdrawCommitment;
use compact_events::commitment::CommitmentState;
use compact_events::event::commitment::{
    CommitmentChanges, CommitmentEvent, Decision, Indicator, ProgressStatus,
};
use compact_events::ids::{
    CommitmentId, MechanismId, ObjectiveNumber, Percent, RecommendationId, SdgTargetCode,
};
use compact_events::quantity::Quantity;
use compact_events::stream::StreamId;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use time::Date;
use uuid::Uuid;

use super::auth::{AdminCaller, Caller, WriterCaller};
use super::error::{ApiError, WriteProblems};
use super::extract::{ApiJson, ApiPath};
use super::write::{WriteResponse, created, write_context};
use crate::state::AppState;
use crate::write::{Prefetched, WriteContext, WriteError, WriteRequest, Written, may_write_for};

/// A measurable indicator.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorBody {
    /// What is measured.
    pub name: String,
    /// Its unit.
    pub unit: String,
    /// The value when the commitment was made.
    #[schema(schema_with = super::schema::quantity)]
    pub baseline: Option<Quantity>,
    /// The value aimed for.
    #[schema(schema_with = super::schema::quantity)]
    pub target: Option<Quantity>,
}

impl From<IndicatorBody> for Indicator {
    fn from(body: IndicatorBody) -> Self {
        Self {
            name: body.name,
            unit: body.unit,
            baseline: body.baseline,
            target: body.target,
        }
    }
}

/// A commitment to make.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommitment {
    /// The mechanism making it.
    #[schema(schema_with = super::schema::slug)]
    pub mechanism_id: MechanismId,
    /// A short title.
    pub title: String,
    /// What the mechanism commits to.
    pub description: String,
    /// The GCM objectives it serves (at least one).
    #[schema(schema_with = super::schema::objectives)]
    pub gcm_objectives: Vec<ObjectiveNumber>,
    /// The SDG targets it serves.
    #[serde(default)]
    #[schema(schema_with = super::schema::sdg_targets)]
    pub sdg_targets: Vec<SdgTargetCode>,
    /// The recommendations it acts on.
    #[serde(default)]
    #[schema(schema_with = super::schema::slugs)]
    pub recommendation_ids: Vec<RecommendationId>,
    /// The day it was made (default: today); never in the future.
    #[schema(value_type = Option<String>, format = Date)]
    pub made_on: Option<Date>,
    /// When it is due.
    #[schema(value_type = Option<String>, format = Date)]
    pub due_date: Option<Date>,
    /// How progress is measured.
    pub indicator: Option<IndicatorBody>,
}

/// Changes to a commitment: any creation field except `mechanism_id`, plus a reason.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRevision {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New GCM objectives (the whole list).
    #[schema(schema_with = super::schema::objectives)]
    pub gcm_objectives: Option<Vec<ObjectiveNumber>>,
    /// New SDG targets (the whole list).
    #[schema(schema_with = super::schema::sdg_targets)]
    pub sdg_targets: Option<Vec<SdgTargetCode>>,
    /// New recommendations (the whole list).
    #[schema(schema_with = super::schema::slugs)]
    pub recommendation_ids: Option<Vec<RecommendationId>>,
    /// Corrected day the commitment was made.
    #[schema(value_type = Option<String>, format = Date)]
    pub made_on: Option<Date>,
    /// New due date; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = Date)]
    pub due_date: Option<Option<Date>>,
    /// New indicator; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<IndicatorBody>)]
    pub indicator: Option<Option<IndicatorBody>>,
    /// Refused: a commitment stays with the mechanism that made it.
    #[schema(value_type = Option<String>)]
    pub mechanism_id: Option<Value>,
    /// Why the commitment is revised (required).
    pub reason: String,
}

/// A field that is present (even as `null`) deserializes to `Some`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A progress update.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProgress {
    /// The reported state.
    #[schema(schema_with = super::schema::progress_status)]
    pub status: ProgressStatus,
    /// The day the reported state applies to; not after today, not before the commitment was made.
    #[schema(value_type = String, format = Date)]
    pub effective_date: Date,
    /// Whole percent complete, 0 to 100.
    #[schema(value_type = Option<u8>, minimum = 0, maximum = 100)]
    pub percent_complete: Option<Percent>,
    /// The indicator's value on `effective_date`.
    #[schema(schema_with = super::schema::quantity)]
    pub indicator_value: Option<Quantity>,
    /// What happened.
    pub narrative: String,
    /// Links to evidence (http or https).
    #[serde(default)]
    pub evidence_urls: Vec<String>,
}

impl From<CreateRevision> for ReviseCommitment {
    /// The domain command for a revision body; `mechanism_id`, which no revision may change, is
    /// refused by the caller before this.
    fn from(request: CreateRevision) -> Self {
        Self {
            changes: CommitmentChanges {
                title: request.title,
                description: request.description,
                gcm_objectives: request.gcm_objectives,
                sdg_targets: request.sdg_targets,
                recommendation_ids: request.recommendation_ids,
                made_on: request.made_on,
                due_date: request.due_date,
                indicator: request
                    .indicator
                    .map(|indicator| indicator.map(Indicator::from)),
            },
            reason: request.reason,
        }
    }
}

impl From<CreateProgress> for ReportProgress {
    fn from(request: CreateProgress) -> Self {
        Self {
            status: request.status,
            effective_date: request.effective_date,
            percent_complete: request.percent_complete,
            indicator_value: request.indicator_value,
            narrative: request.narrative,
            evidence_urls: request.evidence_urls,
        }
    }
}

/// A reason, for a retraction or a withdrawal.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Why.
    pub reason: String,
}

/// The secretariat's decision on a progress update.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateValidation {
    /// `validated` or `rejected`.
    #[schema(schema_with = super::schema::decision)]
    pub decision: Decision,
    /// A note on the decision.
    #[serde(default)]
    pub note: String,
}

/// Makes a commitment (an admin, or a reporter of `mechanism_id`).
#[utoipa::path(
    post,
    path = "/v1/commitments",
    tag = "commitments",
    request_body = CreateCommitment,
    params(crate::http::WriteHeaders),
    responses((status = 201, description = "Made", body = WriteResponse), WriteProblems),
    security(("bearer" = []))
)]
pub async fn create_commitment(
    State(state): State<AppState>,
    WriterCaller(caller): WriterCaller,
    headers: HeaderMap,
    body: ApiJson<CreateCommitment>,
) -> Result<Response, ApiError> {
    caller.require_writer_for(&body.value.mechanism_id)?;
    let write = write_context(&caller, &headers, body.request_hash)?;
    let request = body.value;
    let lookup = Prefetched::fetch(
        &state.store,
        std::slice::from_ref(&request.mechanism_id),
        &request.recommendation_ids,
    )
    .await?;
    let commitment_id = CommitmentId::new(Uuid::now_v7());
    let command = MakeCommitment {
        commitment_id,
        mechanism_id: request.mechanism_id,
        title: request.title,
        description: request.description,
        gcm_objectives: request.gcm_objectives,
        sdg_targets: request.sdg_targets,
        recommendation_ids: request.recommendation_ids,
        made_on: request.made_on,
        due_date: request.due_date,
        indicator: request.indicator.map(Indicator::from),
    };
    let written = run(&state, commitment_id, &write, &lookup, |_| {
        Ok(CommitmentCommand::Make(command.clone()))
    })
    .await?;
    let id = written
        .body
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Ok(created(written, Some(format!("/v1/commitments/{id}"))))
}

/// Revises a commitment's fields, with a reason.
#[utoipa::path(
    post,
    path = "/v1/commitments/{id}/revisions",
    tag = "commitments",
    request_body = CreateRevision,
    params(("id" = Uuid, Path, description = "The commitment"), crate::http::WriteHeaders),
    responses((status = 201, description = "Revised", body = WriteResponse), WriteProblems),
    security(("bearer" = []))
)]
pub async fn create_revision(
    State(state): State<AppState>,
    WriterCaller(caller): WriterCaller,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    body: ApiJson<CreateRevision>,
) -> Result<Response, ApiError> {
    let write = write_context(&caller, &headers, body.request_hash)?;
    let request = body.value;
    if request.mechanism_id.is_some() {
        return Err(ApiError::invalid_field(
            "mechanism_id",
            "a commitment stays with the mechanism that made it; mechanism_id cannot be revised",
        ));
    }
    let recommendations = request.recommendation_ids.clone().unwrap_or_default();
    let lookup = Prefetched::fetch(&state.store, &[], &recommendations).await?;
    let command = ReviseCommitment::from(request);
    let commitment_id = CommitmentId::new(id);
    let written = run(&state, commitment_id, &write, &lookup, |commitment| {
        authorize(&caller, commitment)?;
        Ok(CommitmentCommand::Revise(command.clone()))
    })
    .await?;
    Ok(created(written, None))
}

/// Logs a progress update; the answer carries its `seq`.
#[utoipa::path(
    post,
    path = "/v1/commitments/{id}/progress",
    tag = "commitments",
    request_body = CreateProgress,
    params(("id" = Uuid, Path, description = "The commitment"), crate::http::WriteHeaders),
    responses((status = 201, description = "Logged", body = WriteResponse), WriteProblems),
    security(("bearer" = []))
)]
pub async fn create_progress(
    State(state): State<AppState>,
    WriterCaller(caller): WriterCaller,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    body: ApiJson<CreateProgress>,
) -> Result<Response, ApiError> {
    let command = CommitmentCommand::ReportProgress(body.value.into());
    write_as_writer(&state, &caller, id, &headers, body.request_hash, command).await
}

/// Retracts a progress update, with a reason; it stays in the history, struck through.
#[utoipa::path(
    post,
    path = "/v1/commitments/{id}/progress/{seq}/retraction",
    tag = "commitments",
    request_body = Reason,
    params(
        ("id" = Uuid, Path, description = "The commitment"),
        ("seq" = u32, Path, description = "The progress update"),
        crate::http::WriteHeaders
    ),
    responses((status = 201, description = "Retracted", body = WriteResponse), WriteProblems),
    security(("bearer" = []))
)]
pub async fn create_retraction(
    State(state): State<AppState>,
    WriterCaller(caller): WriterCaller,
    ApiPath((id, seq)): ApiPath<(Uuid, u32)>,
    headers: HeaderMap,
    body: ApiJson<Reason>,
) -> Result<Response, ApiError> {
    let command = CommitmentCommand::RetractProgress(RetractProgress {
        seq,
        reason: body.value.reason,
    });
    write_as_writer(&state, &caller, id, &headers, body.request_hash, command).await
}

/// Validates or rejects a progress update (admin only).
#[utoipa::path(
    post,
    path = "/v1/commitments/{id}/progress/{seq}/validation",
    tag = "commitments",
    request_body = CreateValidation,
    params(
        ("id" = Uuid, Path, description = "The commitment"),
        ("seq" = u32, Path, description = "The progress update"),
        crate::http::WriteHeaders
    ),
    responses((status = 201, description = "Decided", body = WriteResponse), WriteProblems),
    security(("bearer" = []))
)]
pub async fn create_validation(
    State(state): State<AppState>,
    AdminCaller(caller): AdminCaller,
    ApiPath((id, seq)): ApiPath<(Uuid, u32)>,
    headers: HeaderMap,
    body: ApiJson<CreateValidation>,
) -> Result<Response, ApiError> {
    let write = write_context(&caller, &headers, body.request_hash)?;
    let command = ValidateProgress {
        seq,
        decision: body.value.decision,
        note: body.value.note,
    };
    let commitment_id = CommitmentId::new(id);
    let written = run(
        &state,
        commitment_id,
        &write,
        &Prefetched::default(),
        |_| Ok(CommitmentCommand::ValidateProgress(command.clone())),
    )
    .await?;
    Ok(created(written, None))
}

/// Withdraws a commitment, with a reason; later writes get 409.
#[utoipa::path(
    post,
    path = "/v1/commitments/{id}/withdrawal",
    tag = "commitments",
    request_body = Reason,
    params(("id" = Uuid, Path, description = "The commitment"), crate::http::WriteHeaders),
    responses((status = 201, description = "Withdrawn", body = WriteResponse), WriteProblems),
    security(("bearer" = []))
)]
pub async fn create_withdrawal(
    State(state): State<AppState>,
    WriterCaller(caller): WriterCaller,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    body: ApiJson<Reason>,
) -> Result<Response, ApiError> {
    let command = CommitmentCommand::Withdraw(WithdrawCommitment {
        reason: body.value.reason,
    });
    write_as_writer(&state, &caller, id, &headers, body.request_hash, command).await
}

/// A write to an existing commitment by an admin or a reporter of its mechanism: the shape shared
/// by progress, retraction and withdrawal.
async fn write_as_writer(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    headers: &HeaderMap,
    request_hash: [u8; 32],
    command: CommitmentCommand,
) -> Result<Response, ApiError> {
    let write = write_context(caller, headers, request_hash)?;
    let written = run(
        state,
        CommitmentId::new(id),
        &write,
        &Prefetched::default(),
        |commitment| {
            authorize(caller, commitment)?;
            Ok(command.clone())
        },
    )
    .await?;
    Ok(created(written, None))
}

/// A reporter may write only its own mechanism's commitments. A missing commitment is left to the
/// domain, which answers 404.
fn authorize(caller: &Caller, state: &CommitmentState) -> Result<(), WriteError> {
    match &state.commitment {
        Some(commitment) => may_write_for(&caller.actor, &commitment.mechanism_id),
        None => Ok(()),
    }
}

async fn run(
    state: &AppState,
    commitment_id: CommitmentId,
    write: &WriteContext,
    lookup: &Prefetched,
    command: impl Fn(&CommitmentState) -> Result<CommitmentCommand, WriteError>,
) -> Result<Written, ApiError> {
    let written = state
        .executor
        .execute(WriteRequest {
            stream: StreamId::Commitment(commitment_id),
            id: commitment_id.to_string(),
            context: write,
            lookup,
            command,
            describe,
        })
        .await?;
    Ok(written)
}

/// Adds `seq` to the answer of a progress update.
fn describe(events: &[CommitmentEvent]) -> Map<String, Value> {
    let mut body = Map::new();
    for event in events {
        if let CommitmentEvent::ProgressReported(report) = event {
            body.insert("seq".into(), Value::from(report.seq));
        }
    }
    body
}
