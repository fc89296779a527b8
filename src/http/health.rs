//! `GET /healthz` (the process answers) and `GET /readyz` (the store answers; SPEC.md
//! "HTTP API").

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::AppState;
use super::error::{ApiError, Problem};
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
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The store is reachable.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, body = Ready),
        (status = 503, description = "The store cannot be reached", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Ready>, ApiError> {
    let head = state.store.head().await.map_err(|error| {
        tracing::warn!(error = %error, "readiness check failed");
        ApiError::Unavailable {
            retry_after: 5,
            detail: "the event store cannot be reached".into(),
        }
    })?;
    Ok(Json(Ready {
        status: "ready",
        backend: state.store.backend(),
        head,
    }))
}
