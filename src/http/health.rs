//! `GET /healthz` (the process answers) and `GET /readyz` (the store answers; SPEC.md
//! "HTTP API").

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::error::{ApiError, Problem};
use crate::state::AppState;
use crate::store::EventStore;

/// Liveness.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: &'static str,
}

/// Readiness.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Ready {
    /// `ready`.
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// The position of the last committed event.
    pub head: i64,
    /// The last position the read models have applied.
    pub projected: i64,
    /// The position reads without `known_at` are answered at: applied, and the answers readers
    /// follow refreshed there (seconds behind `projected`, about 30 s at most).
    pub published: i64,
    /// How many events the read models are behind.
    pub lag_events: i64,
    /// How long ago the oldest event not yet applied was recorded (0 when caught up).
    pub lag_seconds: f64,
}

/// Ready means the read models are at most this far behind.
const MAX_LAG_SECONDS: f64 = 30.0;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The store is reachable and the read models are caught up within 30 seconds.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, body = Ready),
        (status = 503, description = "The store cannot be reached, or the read models are more than 30 s behind", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Ready>, ApiError> {
    let unreachable = |error: crate::store::StoreError| {
        tracing::warn!(error = %error, "readiness check failed");
        ApiError::Unavailable {
            retry_after: 5,
            detail: "the event store cannot be reached".into(),
        }
    };
    let head = state.store.head().await.map_err(unreachable)?;
    let projected = state.read.projected();
    let published = state.read.published();
    let lag_events = (head - projected).max(0);
    let lag_seconds = if lag_events == 0 {
        0.0
    } else {
        let oldest = state
            .store
            .read_all(projected, 1)
            .await
            .map_err(unreachable)?;
        oldest.first().map_or(0.0, |event| {
            (time::OffsetDateTime::now_utc() - event.recorded_at)
                .as_seconds_f64()
                .max(0.0)
        })
    };
    if lag_seconds > MAX_LAG_SECONDS {
        return Err(ApiError::Unavailable {
            retry_after: 5,
            detail: format!(
                "the read models are {lag_events} events ({lag_seconds:.0} s) behind the log"
            ),
        });
    }
    Ok(Json(Ready {
        status: "ready",
        backend: state.store.backend(),
        head,
        projected,
        published,
        lag_events,
        lag_seconds,
    }))
}
