//! Mechanisms (with their commitments by status), recommendations and review points, from the
//! read models (SPEC.md "HTTP API").

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use compact_events::ids::MechanismId;
use compact_projections::query::{self, Filter, GroupBy, Tally};
use serde::Serialize;
use time::Date;

use super::auth::Reader;
use super::error::{ApiError, ReadProblems};
use super::extract::{ApiPath, ApiQuery};
use super::progress::{ClockView, TallyView};
use super::read_clock::{ClockParams, resolve};
use crate::state::AppState;

/// A mechanism with its commitments.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MechanismView {
    /// Slug.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Region.
    pub region: Option<String>,
    /// Its commitments by status, mean percent and reporting freshness.
    pub commitments: TallyView,
}

/// The mechanisms.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Mechanisms {
    /// The clocks answered for.
    #[serde(flatten)]
    pub clock: ClockView,
    /// Every mechanism registered (as known), by id.
    pub mechanisms: Vec<MechanismView>,
}

async fn mechanism_views(
    state: &AppState,
    params: &ClockParams,
    only: Option<&MechanismId>,
) -> Result<(ClockView, Vec<MechanismView>), ApiError> {
    let clock = resolve(state, params).await?;
    let db = state.read.db();
    let filter = Filter {
        mechanism: only.cloned(),
        ..Filter::default()
    };
    let tallies = query::progress(&db, &clock, &filter, GroupBy::Mechanism)
        .await
        .map_err(ApiError::internal)?;
    let empty = Tally::default();
    let mechanisms = query::mechanisms(&db, clock.known, only.map(MechanismId::as_str))
        .await
        .map_err(ApiError::internal)?
        .into_iter()
        .map(|mechanism| MechanismView {
            commitments: tallies.get(&mechanism.id).unwrap_or(&empty).into(),
            id: mechanism.id,
            name: mechanism.name,
            kind: mechanism.kind,
            region: mechanism.region,
        })
        .collect();
    Ok(((&clock).into(), mechanisms))
}

/// Every mechanism with counts of its commitments by status.
#[utoipa::path(
    get,
    path = "/v1/mechanisms",
    tag = "mechanisms",
    params(ClockParams),
    responses((status = 200, description = "The mechanisms", body = Mechanisms), ReadProblems)
)]
pub async fn list_mechanisms(
    State(state): State<AppState>,
    _reader: Reader,
    ApiQuery(params): ApiQuery<ClockParams>,
) -> Result<Json<Mechanisms>, ApiError> {
    let (clock, mechanisms) = mechanism_views(&state, &params, None).await?;
    Ok(Json(Mechanisms { clock, mechanisms }))
}

/// One mechanism with counts of its commitments by status.
#[utoipa::path(
    get,
    path = "/v1/mechanisms/{id}",
    tag = "mechanisms",
    params(("id" = String, Path, description = "The mechanism's slug"), ClockParams),
    responses((status = 200, description = "The mechanism", body = MechanismView), ReadProblems)
)]
pub async fn get_mechanism(
    State(state): State<AppState>,
    _reader: Reader,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<ClockParams>,
) -> Result<Json<MechanismView>, ApiError> {
    let id =
        MechanismId::parse(&id).map_err(|_| ApiError::NotFound(format!("no mechanism {id}")))?;
    let (_, mut mechanisms) = mechanism_views(&state, &params, Some(&id)).await?;
    mechanisms
        .pop()
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no mechanism {id} (as known)")))
}

/// A recommendation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecommendationView {
    /// Slug.
    pub id: String,
    /// Text.
    pub text: String,
    /// Theme.
    pub theme: String,
    /// Source.
    pub source: String,
}

/// The recommendations.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Recommendations {
    /// Every recommendation (built in and added), by id.
    pub recommendations: Vec<RecommendationView>,
}

/// Every recommendation: the GRCP 7 Highlights built in, and any added since.
#[utoipa::path(
    get,
    path = "/v1/recommendations",
    tag = "recommendations",
    params(ClockParams),
    responses((status = 200, description = "The recommendations", body = Recommendations), ReadProblems)
)]
pub async fn list_recommendations(
    State(state): State<AppState>,
    _reader: Reader,
    ApiQuery(params): ApiQuery<ClockParams>,
) -> Result<Json<Recommendations>, ApiError> {
    let clock = resolve(&state, &params).await?;
    let rows = query::recommendations(&state.read.db(), clock.known)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Recommendations {
        recommendations: rows
            .into_iter()
            .map(|row| RecommendationView {
                id: row.id,
                text: row.text,
                theme: row.theme,
                source: row.source,
            })
            .collect(),
    }))
}

/// A follow-up review date.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewPointView {
    /// Slug.
    pub id: String,
    /// Name.
    pub name: String,
    /// First day.
    #[schema(value_type = String, format = Date)]
    pub starts_on: Date,
    /// Last day.
    #[schema(value_type = String, format = Date)]
    pub ends_on: Date,
    /// Ready-made query parameters for "as it stood at the end of this review".
    pub preset: BTreeMap<String, String>,
}

/// The review points.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewPoints {
    /// By date.
    pub review_points: Vec<ReviewPointView>,
}

/// The follow-up review dates (IMRF, regional reviews) offered as `as_of`/`known_at` presets.
#[utoipa::path(
    get,
    path = "/v1/review-points",
    tag = "review points",
    params(ClockParams),
    responses((status = 200, description = "The review points", body = ReviewPoints), ReadProblems)
)]
pub async fn list_review_points(
    State(state): State<AppState>,
    _reader: Reader,
    ApiQuery(params): ApiQuery<ClockParams>,
) -> Result<Json<ReviewPoints>, ApiError> {
    let clock = resolve(&state, &params).await?;
    let rows = query::review_points(&state.read.db(), clock.known)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(ReviewPoints {
        review_points: rows
            .into_iter()
            .map(|row| {
                let preset = BTreeMap::from([
                    ("as_of".to_owned(), row.ends_on.to_string()),
                    ("known_at".to_owned(), format!("{}T23:59:59Z", row.ends_on)),
                ]);
                ReviewPointView {
                    id: row.id,
                    name: row.name,
                    starts_on: row.starts_on,
                    ends_on: row.ends_on,
                    preset,
                }
            })
            .collect(),
    }))
}
