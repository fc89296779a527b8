//! Who is calling: bearer tokens and the SPEC.md auth matrix.
//!
//! Missing or invalid token where one is needed: 401. A valid token whose role (or, for a reporter,
//! mechanism) may not do this: 403. Reads need no token unless the server runs with `--private`.

use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use compact_events::context::{Actor, Role};
use compact_events::ids::MechanismId;

use super::error::ApiError;
use crate::state::AppState;
use crate::tokens::{PresentedToken, TokenError, TokenRole};

/// A caller with a valid token.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's id and role, as the domain records them.
    pub actor: Actor,
}

impl Caller {
    /// Admins only (403 otherwise).
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.actor.role {
            Role::Admin => Ok(()),
            _ => Err(ApiError::Forbidden(
                "only an admin token may do this".into(),
            )),
        }
    }

    /// Admins, or a reporter of `mechanism` (403 otherwise).
    pub fn require_writer_for(&self, mechanism: &MechanismId) -> Result<(), ApiError> {
        crate::write::may_write_for(&self.actor, mechanism).map_err(ApiError::from)
    }

    /// Admins or reporters of any mechanism (403 for reviewers), before the mechanism is known.
    pub fn require_writer(&self) -> Result<(), ApiError> {
        match self.actor.role {
            Role::Admin | Role::Reporter { .. } => Ok(()),
            Role::Reviewer | Role::System => {
                Err(ApiError::Forbidden("a reviewer token is read-only".into()))
            }
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(parts, state).await?.ok_or_else(|| {
            ApiError::Unauthorized(
                "this request needs a token: send Authorization: Bearer <token>".into(),
            )
        })
    }
}

/// A caller that may write (an admin or a reporter), checked before the body is read: a
/// reviewer is told 403, whatever it sent.
#[derive(Debug, Clone)]
pub struct WriterCaller(pub Caller);

impl FromRequestParts<AppState> for WriterCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        caller_who(parts, state, Caller::require_writer)
            .await
            .map(Self)
    }
}

/// An admin, checked before the body is read.
#[derive(Debug, Clone)]
pub struct AdminCaller(pub Caller);

impl FromRequestParts<AppState> for AdminCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        caller_who(parts, state, Caller::require_admin)
            .await
            .map(Self)
    }
}

/// The authenticated caller, if `may` lets it through.
async fn caller_who(
    parts: &mut Parts,
    state: &AppState,
    may: fn(&Caller) -> Result<(), ApiError>,
) -> Result<Caller, ApiError> {
    let caller = Caller::from_request_parts(parts, state).await?;
    may(&caller)?;
    Ok(caller)
}

/// A reader: anyone, unless the server is private, in which case any valid token.
#[derive(Debug, Clone)]
pub struct Reader;

impl FromRequestParts<AppState> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if !state.config.private {
            return Ok(Self);
        }
        match authenticate(parts, state).await? {
            Some(_) => Ok(Self),
            None => Err(ApiError::Unauthorized(
                "this server is private: send Authorization: Bearer <token>".into(),
            )),
        }
    }
}

/// `Ok(None)` when no Authorization header was sent; 401 for a bad one.
async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<Caller>, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let invalid = || ApiError::Unauthorized("the token is malformed, unknown or revoked".into());
    let text = value.to_str().map_err(|_| invalid())?;
    let token = text
        .strip_prefix("Bearer ")
        .or_else(|| text.strip_prefix("bearer "))
        .ok_or_else(|| ApiError::Unauthorized("use Authorization: Bearer <token>".into()))?;
    let presented: PresentedToken = token.trim().parse().map_err(|_| invalid())?;
    let (token_id, role) = match state.tokens.authenticate(&presented).await {
        Ok(found) => found,
        Err(TokenError::Rejected | TokenError::Malformed) => return Err(invalid()),
        Err(other) => return Err(ApiError::internal(other)),
    };
    let role = match role {
        TokenRole::Admin => Role::Admin,
        TokenRole::Reporter(mechanism) => Role::Reporter { mechanism },
        TokenRole::Reviewer => Role::Reviewer,
    };
    Ok(Some(Caller {
        actor: Actor { token_id, role },
    }))
}
