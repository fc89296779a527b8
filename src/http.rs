//! The HTTP API (SPEC.md "HTTP API"), served by axum.
//!
//! # Layout
//!
//! - [`error`]: [`error::ApiError`], the one error type, and its problem+json mapping;
//! - [`extract`]: body, query, path and header extractors that fail with `ApiError`;
//! - [`auth`]: bearer tokens and the auth matrix;
//! - [`write`]: what every write route shares (`201`, `ETag`, `If-Match`, `Idempotency-Key`);
//! - one module per resource: [`mechanisms`], [`recommendations`], [`commitments`] (writes),
//!   [`commitment_reads`], [`feed`], [`audit`], [`health`];
//! - [`schema`]: OpenAPI schemas of domain types.
//!
//! Every route is registered through utoipa-axum, so `/openapi.json` is generated from the same
//! code that serves the routes and cannot drift from it.

pub mod audit;
pub mod auth;
pub mod commitment_list;
pub mod commitment_reads;
pub mod commitments;
pub mod directory;
pub mod error;
pub mod extract;
pub mod feed;
pub mod health;
pub mod mechanisms;
pub mod progress;
pub mod read_clock;
pub mod recommendations;
pub mod schema;
pub mod views;
pub mod write;

use std::sync::Arc;

use axum::Json;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// The request headers every write accepts (documented once).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code, reason = "only its OpenAPI description is used")]
pub struct WriteHeaders {
    /// A client-chosen key: a repeat with the same key and body returns the first response and
    /// writes nothing; the same key with another body gets 422.
    #[param(rename = "Idempotency-Key", max_length = 255)]
    idempotency_key: Option<String>,
    /// `"<version>"`: write only if the resource is still at this version, else 412.
    #[param(rename = "If-Match")]
    if_match: Option<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "compact-tracker",
        description = "Commitments toward the Global Compact for Safe, Orderly and Regular Migration and the SDGs, as an event-sourced log.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "mechanisms", description = "Inter-state consultation mechanisms on migration"),
        (name = "recommendations", description = "Recommendations mechanisms act on"),
        (name = "commitments", description = "Commitments, their progress and their history"),
        (name = "progress", description = "Progress toward the GCM objectives and SDG targets, on both clocks"),
        (name = "review points", description = "Follow-up review dates"),
        (name = "events", description = "The global event log"),
        (name = "audit", description = "Tamper evidence"),
        (name = "operations", description = "Health and readiness"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API's routes and their OpenAPI document.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(
            mechanisms::create_mechanism,
            directory::list_mechanisms
        ))
        .routes(routes!(directory::get_mechanism))
        .routes(routes!(
            recommendations::create_recommendation,
            directory::list_recommendations
        ))
        .routes(routes!(directory::list_review_points))
        .routes(routes!(
            commitments::create_commitment,
            commitment_list::list_commitments
        ))
        .routes(routes!(progress::objectives))
        .routes(routes!(progress::sdg_targets))
        .routes(routes!(progress::timeline))
        .routes(routes!(progress::changes))
        .routes(routes!(commitments::create_revision))
        .routes(routes!(commitments::create_progress))
        .routes(routes!(commitments::create_retraction))
        .routes(routes!(commitments::create_validation))
        .routes(routes!(commitments::create_withdrawal))
        .routes(routes!(commitment_reads::get_commitment))
        .routes(routes!(commitment_reads::get_history))
        .routes(routes!(feed::list_events))
        .routes(routes!(feed::subscribe))
        .routes(routes!(audit::verify))
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
}

/// The OpenAPI document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().split_for_parts().1
}

/// The API's routes, `/openapi.json` among them, for [`crate::startup::router`] to serve beside
/// the dashboard's.
pub fn router() -> axum::Router<AppState> {
    let (router, openapi) = api().split_for_parts();
    let openapi = Arc::new(openapi);
    router.route(
        "/openapi.json",
        get(move || {
            let openapi = Arc::clone(&openapi);
            async move { Json(openapi) }
        }),
    )
}
