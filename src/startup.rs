//! The served application: the API's and the dashboard's routes side by side, with the layers
//! every request passes (body limit, server-error logging, request span, request id).
//!
//! This module sits above both front ends; they share [`AppState`] from `crate::state` below
//! them and never import each other.

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::http::error::{ApiError, log_server_errors};
use crate::state::AppState;

/// Request bodies over this size get 413 (SPEC.md).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The whole application: API, `/openapi.json` and dashboard.
pub fn router(state: AppState) -> axum::Router {
    let request_id = HeaderName::from_static("x-request-id");
    crate::http::router()
        .merge(crate::web::router())
        // Unknown routes answer as the API does: the dashboard has no catch-all of its own.
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(log_server_errors))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let matched = request
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map(axum::extract::MatchedPath::as_str);
                let request_id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|value| value.to_str().ok());
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    route = matched,
                    request_id,
                )
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}
