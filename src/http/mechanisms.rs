//! `POST /v1/mechanisms` (SPEC.md "HTTP API"): admins register the mechanisms that make commitments.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use compact_events::command::register_mechanism::{MechanismState, RegisterMechanism};
use compact_events::event::mechanism::MechanismKind;
use compact_events::ids::MechanismId;
use compact_events::stream::StreamId;
use serde::Deserialize;

use super::auth::AdminCaller;
use super::error::{ApiError, WriteProblems};
use super::extract::ApiJson;
use super::write::{WriteResponse, created, write_context};
use crate::state::AppState;
use crate::write::{Prefetched, WriteRequest};

/// A mechanism to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMechanism {
    /// Slug, e.g. `bali-process`.
    #[schema(schema_with = super::schema::slug)]
    pub id: MechanismId,
    /// Display name, e.g. "Bali Process on People Smuggling, Trafficking in Persons and Related
    /// Transnational Crime".
    pub name: String,
    /// What kind of mechanism it is.
    #[schema(schema_with = super::schema::mechanism_kind)]
    pub kind: MechanismKind,
    /// The region it covers, e.g. "Asia and the Pacific".
    pub region: Option<String>,
}

/// Registers a mechanism (admin only; 409 if the id exists).
#[utoipa::path(
    post,
    path = "/v1/mechanisms",
    tag = "mechanisms",
    request_body = CreateMechanism,
    params(crate::http::WriteHeaders),
    responses(
        (status = 201, description = "Registered", body = WriteResponse),
        WriteProblems,
            ),
    security(("bearer" = []))
)]
pub async fn create_mechanism(
    State(state): State<AppState>,
    AdminCaller(caller): AdminCaller,
    headers: HeaderMap,
    body: ApiJson<CreateMechanism>,
) -> Result<Response, ApiError> {
    let write = write_context(&caller, &headers, body.request_hash)?;
    let CreateMechanism {
        id,
        name,
        kind,
        region,
    } = body.value;
    let stream = StreamId::Mechanism(id.clone());
    let written = state
        .executor
        .execute(WriteRequest::<MechanismState, _>::new(
            stream,
            id.as_str(),
            &write,
            &Prefetched::default(),
            |_| {
                Ok(RegisterMechanism {
                    id: id.clone(),
                    name: name.clone(),
                    kind,
                    region: region.clone(),
                })
            },
        ))
        .await?;
    Ok(created(written, Some(format!("/v1/mechanisms/{id}"))))
}
