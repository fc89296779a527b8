//! Turning a read's query parameters into a point on both clocks (SPEC.md "Two clocks",
//! "Read-your-writes").
//!
//! `known_at` becomes a global position (what had been recorded by then); `min_position` makes the
//! request wait, at most [`WAIT`], until the read models have applied it, else 503 + Retry-After.

use std::time::Duration;

use compact_projections::curve::Basis;
use compact_projections::query::Clock;
use serde::Deserialize;
use time::{Date, OffsetDateTime};

use super::error::ApiError;
use crate::state::AppState;
use crate::store::EventStore;

/// The longest a read waits for the read models to catch up.
pub const WAIT: Duration = Duration::from_secs(5);

/// The clock parameters every read accepts.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClockParams {
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
    pub known_at: Option<OffsetDateTime>,
    /// Count only validated progress updates.
    #[serde(default)]
    pub validated_only: bool,
    /// Wait (up to 5 s) until the read models have applied this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// Resolves the clock parameters, waiting for the read models where the request needs it.
pub async fn resolve(state: &AppState, params: &ClockParams) -> Result<Clock, ApiError> {
    let mut newest = state.read.published();
    if let Some(position) = params.min_position {
        // A position beyond the head was never handed out by a write: waiting cannot help.
        let head = state.store.head().await?;
        if position > head {
            return Err(ApiError::BadRequest(format!(
                "min_position {position} is beyond the last event written ({head})"
            )));
        }
        newest = newest.max(readable_at(state, position).await?);
    }
    let now = OffsetDateTime::now_utc();
    let known = match params.known_at {
        Some(known_at) => {
            let position = state.store.position_at(known_at).await?;
            readable_at(state, position).await?;
            position
        }
        None => newest,
    };
    let as_of = params.as_of.unwrap_or(now.date());
    Ok(Clock {
        as_of,
        known,
        reference_day: compact_events::freshness::reference_day(
            as_of,
            params.known_at.unwrap_or(now),
        ),
        basis: Basis::from_validated_only(params.validated_only),
        latest: params.known_at.is_none(),
    })
}

/// The position reads that must see `position` are answered at, once the read models have it.
async fn readable_at(state: &AppState, position: i64) -> Result<i64, ApiError> {
    if let Some(readable) = state.read.readable_at(position, WAIT).await {
        return Ok(readable);
    }
    Err(ApiError::Unavailable {
        retry_after: 1,
        detail: format!(
            "the read models have applied position {} and not yet {position}; retry shortly",
            state.read.published()
        ),
    })
}
