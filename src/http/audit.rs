//! `GET /v1/audit/verify` (SPEC.md "Event store guarantees"): walks the hash chain.

use axum::Json;
use axum::extract::State;

use super::auth::Reader;
use super::error::{ApiError, ReadProblems};
use crate::state::AppState;
use crate::store::{EventStore, VerifyReport};

/// The result of walking the hash chain, as documented.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct VerifyView {
    /// True when every hash matches and positions have no gaps.
    pub ok: bool,
    /// How many events were checked.
    pub events_checked: u64,
    /// The last good event's hash (hex).
    pub head_hash: Option<String>,
    /// The first position that does not match, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_broken_position: Option<i64>,
}

impl From<VerifyReport> for VerifyView {
    fn from(report: VerifyReport) -> Self {
        Self {
            ok: report.ok,
            events_checked: report.events_checked,
            head_hash: report.head_hash.map(|hash| hash.to_string()),
            first_broken_position: report.first_broken_position,
        }
    }
}

/// Recomputes every event's hash and names the first broken position, if any.
#[utoipa::path(
    get,
    path = "/v1/audit/verify",
    tag = "audit",
    responses((status = 200, description = "The chain's state", body = VerifyView), ReadProblems)
)]
pub async fn verify(
    State(state): State<AppState>,
    _reader: Reader,
) -> Result<Json<VerifyView>, ApiError> {
    Ok(Json(state.store.verify().await?.into()))
}
