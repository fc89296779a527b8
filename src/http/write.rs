//! What every write route shares: building the [`WriteContext`] from the request, and the
//! `201 Created` answer with `ETag` and `{id, version, position}` (SPEC.md "HTTP API").

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::auth::Caller;
use super::error::ApiError;
use super::extract::{idempotency_key, if_match, request_id};
use crate::write::{IdempotencyKey, WriteContext, Written};

/// The body of a successful write.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WriteResponse {
    /// The id of the resource written (slug or UUID).
    pub id: String,
    /// The resource's stream version after the write; also in `ETag`.
    pub version: i64,
    /// The global position of the last event written; pass it as `min_position` to read your write.
    pub position: i64,
    /// The sequence number of the progress update (progress routes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u32>,
}

/// The write context of a request: actor, correlation id, `If-Match`, `Idempotency-Key`.
pub fn write_context(
    caller: &Caller,
    headers: &HeaderMap,
    request_hash: [u8; 32],
) -> Result<WriteContext, ApiError> {
    let idempotency = idempotency_key(headers)?.map(|key| IdempotencyKey {
        scope: caller.actor.token_id.clone(),
        key,
        request_hash,
    });
    Ok(WriteContext {
        actor: caller.actor.clone(),
        correlation_id: request_id(headers),
        if_match: if_match(headers)?,
        idempotency,
    })
}

/// `201 Created` with `ETag: "<version>"`, and `Location` when a resource was created.
pub fn created(written: Written, location: Option<String>) -> Response {
    let mut response = (StatusCode::CREATED, Json(written.body)).into_response();
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", written.version)) {
        headers.insert(header::ETAG, etag);
    }
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, location);
    }
    response
}
