//! `GET /v1/commitments` (SPEC.md "HTTP API"): every filter, keyset paging with an opaque cursor,
//! and `format=csv`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use compact_events::commitment::query::CommitmentStatus;
use compact_events::ids::{MechanismId, ObjectiveNumber, SdgTargetCode};
use compact_projections::query::{self, CommitmentRow, Filter};
use serde::{Deserialize, Serialize};
use time::Date;

use super::auth::Reader;
use super::error::{ApiError, ReadProblems};
use super::extract::ApiQuery;
use super::progress::ClockView;
use super::read_clock::{ClockParams, resolve};
use crate::state::AppState;

/// The largest page.
const MAX_LIMIT: i64 = 500;

/// Filters, clocks, paging and format.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this mechanism's commitments.
    #[param(value_type = Option<String>)]
    pub mechanism: Option<MechanismId>,
    /// Only commitments toward this GCM objective.
    #[param(value_type = Option<u8>, minimum = 1, maximum = 23)]
    pub objective: Option<ObjectiveNumber>,
    /// Only commitments toward this SDG target.
    #[param(value_type = Option<String>)]
    pub sdg_target: Option<SdgTargetCode>,
    /// Only commitments in this status on `as_of`.
    #[param(inline)]
    pub status: Option<StatusFilter>,
    /// Only commitments of mechanisms in this region.
    pub region: Option<String>,
    /// State on this effective date, YYYY-MM-DD (default: today).
    #[param(value_type = Option<String>, format = Date)]
    #[serde(
        default,
        deserialize_with = "crate::http::extract::question_date::option::deserialize"
    )]
    pub as_of: Option<Date>,
    /// Using only events recorded up to this instant, RFC 3339 (default: now).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub known_at: Option<time::OffsetDateTime>,
    /// Count only validated progress updates.
    #[serde(default)]
    pub validated_only: bool,
    /// Page size (default 50, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    pub format: Option<Format>,
    /// Wait (up to 5 s) until the read models have applied this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// A status to filter by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    /// Not started.
    Planned,
    /// Under way.
    InProgress,
    /// Behind schedule.
    Delayed,
    /// Done.
    Achieved,
    /// Stopped.
    Discontinued,
    /// Withdrawn.
    Withdrawn,
}

impl StatusFilter {
    /// The status it filters by.
    pub fn status(self) -> CommitmentStatus {
        match self {
            Self::Planned => CommitmentStatus::Planned,
            Self::InProgress => CommitmentStatus::InProgress,
            Self::Delayed => CommitmentStatus::Delayed,
            Self::Achieved => CommitmentStatus::Achieved,
            Self::Discontinued => CommitmentStatus::Discontinued,
            Self::Withdrawn => CommitmentStatus::Withdrawn,
        }
    }
}

/// Response formats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// JSON (default).
    #[default]
    Json,
    /// Comma-separated values, one commitment per line.
    Csv,
}

/// One commitment in a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommitmentSummary {
    /// Its id.
    pub id: String,
    /// Its mechanism.
    pub mechanism_id: String,
    /// Title.
    pub title: String,
    /// The day it was made.
    #[schema(value_type = String, format = Date)]
    pub made_on: Date,
    /// When it is due.
    #[schema(value_type = Option<String>, format = Date)]
    pub due_date: Option<Date>,
    /// GCM objectives.
    pub gcm_objectives: Vec<u8>,
    /// SDG targets.
    pub sdg_targets: Vec<String>,
    /// Recommendations.
    pub recommendation_ids: Vec<String>,
    /// Status on `as_of`.
    pub status: String,
    /// Percent complete on `as_of`.
    pub percent_complete: Option<u8>,
    /// Day of the latest report recorded (by the reference day).
    #[schema(value_type = Option<String>, format = Date)]
    pub last_report_on: Option<Date>,
    /// `current`, `due` or `overdue`.
    pub freshness: String,
}

impl From<CommitmentRow> for CommitmentSummary {
    fn from(row: CommitmentRow) -> Self {
        Self {
            id: row.id,
            mechanism_id: row.mechanism_id,
            title: row.title,
            made_on: row.made_on,
            due_date: row.due_date,
            gcm_objectives: row.gcm_objectives,
            sdg_targets: row.sdg_targets,
            recommendation_ids: row.recommendation_ids,
            status: row.status,
            percent_complete: row.percent,
            last_report_on: row.last_report_on,
            freshness: row.freshness.as_str().to_owned(),
        }
    }
}

/// A page of commitments.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommitmentPage {
    /// The clocks answered for.
    #[serde(flatten)]
    pub clock: ClockView,
    /// The commitments, by id.
    pub items: Vec<CommitmentSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Commitments with every filter, on both clocks; `format=csv` for a spreadsheet.
#[utoipa::path(
    get,
    path = "/v1/commitments",
    tag = "commitments",
    params(ListParams),
    responses(
        (status = 200, description = "A page of commitments (JSON), or all matching commitments as CSV with format=csv",
         content((CommitmentPage = "application/json"), (String = "text/csv"))),
        ReadProblems
    )
)]
pub async fn list_commitments(
    State(state): State<AppState>,
    _reader: Reader,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Response, ApiError> {
    let clock = resolve(
        &state,
        &ClockParams {
            as_of: params.as_of,
            known_at: params.known_at,
            validated_only: params.validated_only,
            min_position: params.min_position,
        },
    )
    .await?;
    let filter = Filter {
        mechanism: params.mechanism.clone(),
        objective: params.objective,
        sdg_target: params.sdg_target.clone(),
        status: params.status.map(StatusFilter::status),
        region: params.region.clone(),
    };
    let after = params.cursor.as_deref().map(decode_cursor).transpose()?;
    let db = state.read.db();
    if params.format == Some(Format::Csv) {
        // CSV is for downloads: everything that matches, no paging.
        let rows = query::commitments(&db, &clock, &filter, after.as_deref(), i64::MAX)
            .await
            .map_err(ApiError::internal)?;
        return Ok(crate::csv::commitments(rows).into_response("commitments.csv"));
    }
    let limit = params.limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_LIMIT}"
        )));
    }
    let mut rows = query::commitments(&db, &clock, &filter, after.as_deref(), limit + 1)
        .await
        .map_err(ApiError::internal)?;
    let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = more
        .then(|| rows.last().map(|row| encode_cursor(&row.id)))
        .flatten();
    Ok(Json(CommitmentPage {
        clock: (&clock).into(),
        items: rows.into_iter().map(CommitmentSummary::from).collect(),
        next_cursor,
    })
    .into_response())
}

/// The cursor is the last id of the page, hex-encoded so clients treat it as opaque.
fn encode_cursor(id: &str) -> String {
    id.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    let invalid = || ApiError::BadRequest("cursor is not one this server gave out".into());
    if !cursor.len().is_multiple_of(2) || cursor.len() > 200 {
        return Err(invalid());
    }
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(cursor.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| invalid())?;
    String::from_utf8(bytes).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let id = "01a21fe7-ea6f-7241-a961-f19a342d0df4";
        assert_eq!(decode_cursor(&encode_cursor(id)).unwrap(), id);
        for bad in ["x", "zz", "abc"] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }
}
