//! `POST /v1/recommendations` (SPEC.md "HTTP API"): admins extend the recommendation catalogue
//! beyond the built-in GRCP 7 Highlights.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use compact_events::command::add_recommendation::{AddRecommendation, RecommendationState};
use compact_events::ids::RecommendationId;
use compact_events::stream::StreamId;
use serde::Deserialize;

use super::auth::AdminCaller;
use super::error::{ApiError, WriteProblems};
use super::extract::ApiJson;
use super::write::{WriteResponse, created, write_context};
use crate::state::AppState;
use crate::write::{Prefetched, WriteRequest};

/// A recommendation to add.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRecommendation {
    /// Slug, e.g. `gfmd-2024-3`.
    #[schema(schema_with = super::schema::slug)]
    pub id: RecommendationId,
    /// The recommendation's text.
    pub text: String,
    /// A short theme, e.g. `data`.
    pub theme: String,
    /// Where it comes from.
    pub source: String,
}

/// Adds a recommendation (admin only; 409 if the id exists).
#[utoipa::path(
    post,
    path = "/v1/recommendations",
    tag = "recommendations",
    request_body = CreateRecommendation,
    params(crate::http::WriteHeaders),
    responses(
        (status = 201, description = "Added", body = WriteResponse),
        WriteProblems,
            ),
    security(("bearer" = []))
)]
pub async fn create_recommendation(
    State(state): State<AppState>,
    AdminCaller(caller): AdminCaller,
    headers: HeaderMap,
    body: ApiJson<CreateRecommendation>,
) -> Result<Response, ApiError> {
    let write = write_context(&caller, &headers, body.request_hash)?;
    let CreateRecommendation {
        id,
        text,
        theme,
        source,
    } = body.value;
    let stream = StreamId::Recommendation(id.clone());
    let written = state
        .executor
        .execute(WriteRequest::<RecommendationState, _>::new(
            stream,
            id.as_str(),
            &write,
            &Prefetched::default(),
            |_| {
                Ok(AddRecommendation {
                    id: id.clone(),
                    text: text.clone(),
                    theme: theme.clone(),
                    source: source.clone(),
                })
            },
        ))
        .await?;
    Ok(created(written, Some(format!("/v1/recommendations/{id}"))))
}
