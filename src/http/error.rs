//! [`ApiError`]: every way a request can fail, and its one mapping to an HTTP status and an
//! `application/problem+json` body (RFC 9457).
//!
//! Client errors say what was wrong in `detail` (and name the offending field of a 422 in `field`).
//! Server errors say nothing about internals: the cause travels in a response extension to
//! [`log_server_errors`], which logs it once, inside the request's span.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use problem_details::ProblemDetails;
use serde::Serialize;

use compact_events::error::{DomainError, ErrorKind};

use crate::store::StoreError;
use crate::write::WriteError;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request could not be read (malformed JSON, a bad header or query parameter).
    #[error("{0}")]
    BadRequest(String),
    /// 401: no valid token where one is needed.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: a valid token that may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such resource.
    #[error("{0}")]
    NotFound(String),
    /// 405: the route exists but not with this method.
    #[error("this route does not accept that method")]
    MethodNotAllowed,
    /// 409: the request conflicts with the resource's state (exists already, withdrawn, …).
    #[error("{0}")]
    Conflict(String),
    /// 412: `If-Match` named another version than the current one.
    #[error("the resource is at version {current_version}, not the version in If-Match")]
    PreconditionFailed {
        /// The resource's current version.
        current_version: i64,
    },
    /// 413: the body is over the limit.
    #[error("the request body is larger than 1 MiB")]
    PayloadTooLarge,
    /// 415: the body is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: the request is well-formed but invalid.
    #[error("{detail}")]
    Unprocessable {
        /// The offending field (a JSON path such as `gcm_objectives[1]`), if one is to blame.
        field: Option<String>,
        /// What is wrong.
        detail: String,
    },
    /// 503: not ready yet; try again after `retry_after` seconds.
    #[error("{detail}")]
    Unavailable {
        /// Seconds to wait before retrying.
        retry_after: u64,
        /// What is not ready.
        detail: String,
    },
    /// 500: a failure of ours. The cause is logged, never sent.
    #[error("internal error")]
    Internal(#[source] Arc<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// A 422 blaming one field.
    pub fn invalid_field(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Unprocessable {
            field: Some(field.into()),
            detail: detail.into(),
        }
    }

    /// A 500 carrying its cause for the log.
    pub fn internal(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Arc::new(error))
    }

    /// The status this error maps to.
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable, documented problem type per kind of error.
    fn problem_type(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "/problems/bad-request",
            Self::Unauthorized(_) => "/problems/unauthorized",
            Self::Forbidden(_) => "/problems/forbidden",
            Self::NotFound(_) => "/problems/not-found",
            Self::MethodNotAllowed => "/problems/method-not-allowed",
            Self::Conflict(_) => "/problems/conflict",
            Self::PreconditionFailed { .. } => "/problems/version-mismatch",
            Self::PayloadTooLarge => "/problems/payload-too-large",
            Self::UnsupportedMediaType(_) => "/problems/unsupported-media-type",
            Self::Unprocessable { .. } => "/problems/invalid-request",
            Self::Unavailable { .. } => "/problems/unavailable",
            Self::Internal(_) => "/problems/internal",
        }
    }
}

/// Fields of ours beside RFC 9457's, present only when they apply.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ProblemExtensions {
    /// The request field at fault (422 only), e.g. `gcm_objectives[1]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The resource's current version (412 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

/// The problem+json body as documented in the OpenAPI document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem, e.g. `/problems/invalid-request`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, in one sentence.
    pub detail: String,
    /// The request field at fault (422 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The resource's current version (412 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

/// The cause of a 500, handed from [`ApiError::into_response`] to [`log_server_errors`].
#[derive(Clone)]
struct ServerErrorCause(Arc<dyn std::error::Error + Send + Sync>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let detail = match &self {
            Self::Internal(_) => {
                "the server failed to handle the request; it has been logged".to_owned()
            }
            other => other.to_string(),
        };
        let extensions = ProblemExtensions {
            field: match &self {
                Self::Unprocessable { field, .. } => field.clone(),
                _ => None,
            },
            current_version: match &self {
                Self::PreconditionFailed { current_version } => Some(*current_version),
                _ => None,
            },
        };
        let problem = ProblemDetails::from_status_code(status)
            .with_type(Uri::from_static(self.problem_type()))
            .with_detail(detail)
            .with_extensions(extensions);
        let mut response = problem.into_response();
        match self {
            Self::Unauthorized(_) => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::Unavailable { retry_after, .. } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            Self::Internal(cause) => {
                response.extensions_mut().insert(ServerErrorCause(cause));
            }
            _ => {}
        }
        response
    }
}

/// Logs the cause of every 500 once, in the request's span; client errors are not logged as errors.
pub async fn log_server_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(ServerErrorCause(cause)) = response.extensions().get::<ServerErrorCause>() {
        let mut chain = Vec::new();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(cause.as_ref());
        while let Some(error) = source {
            chain.push(error.to_string());
            source = error.source();
        }
        tracing::error!(error.message = %cause, error.cause_chain = ?chain, "request failed");
    }
    response
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::WrongExpectedVersion { actual, .. } => Self::PreconditionFailed {
                current_version: actual,
            },
            StoreError::IdempotencyConflict { .. } | StoreError::IdempotencyKeyUsed(_) => {
                Self::Unprocessable {
                    field: None,
                    detail: "the Idempotency-Key was already used for a different request".into(),
                }
            }
            StoreError::InvalidAppend(reason) => Self::Unprocessable {
                field: None,
                detail: reason,
            },
            StoreError::Closed => Self::Unavailable {
                retry_after: 5,
                detail: "the server is shutting down".into(),
            },
            other @ (StoreError::Corrupt { .. }
            | StoreError::Database(_)
            | StoreError::Migrate(_)) => Self::internal(other),
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error.kind() {
            ErrorKind::Invalid => Self::Unprocessable {
                field: error.field(),
                detail: error.to_string(),
            },
            ErrorKind::Conflict => Self::Conflict(error.to_string()),
            ErrorKind::NotFound => Self::NotFound(error.to_string()),
        }
    }
}

impl From<WriteError> for ApiError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::Domain(error) => error.into(),
            WriteError::Forbidden(detail) => Self::Forbidden(detail),
            WriteError::VersionMismatch { current_version } => {
                Self::PreconditionFailed { current_version }
            }
            WriteError::IdempotencyKeyReused => Self::Unprocessable {
                field: None,
                detail: error.to_string(),
            },
            WriteError::TooContended { .. } => Self::Conflict(error.to_string()),
            WriteError::Store(error) => error.into(),
        }
    }
}

/// The error responses of every write route, for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code, reason = "only its OpenAPI description is used")]
pub enum WriteProblems {
    /// Malformed JSON, header or query.
    #[response(
        status = 400,
        description = "Malformed request",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    /// No valid token.
    #[response(
        status = 401,
        description = "No valid token",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    /// The token may not do this.
    #[response(
        status = 403,
        description = "The token's role or mechanism may not do this",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    /// No such resource.
    #[response(
        status = 404,
        description = "No such resource",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
    /// Conflicts with what already happened.
    #[response(
        status = 409,
        description = "Conflicts with the resource's state (exists, withdrawn, already decided)",
        content_type = "application/problem+json"
    )]
    Conflict(Problem),
    /// `If-Match` is not the current version.
    #[response(
        status = 412,
        description = "If-Match is not the current version; current_version says what is",
        content_type = "application/problem+json"
    )]
    PreconditionFailed(Problem),
    /// Body over 1 MiB.
    #[response(
        status = 413,
        description = "Body over 1 MiB",
        content_type = "application/problem+json"
    )]
    PayloadTooLarge(Problem),
    /// Body is not JSON.
    #[response(
        status = 415,
        description = "Body is not JSON",
        content_type = "application/problem+json"
    )]
    UnsupportedMediaType(Problem),
    /// Invalid field or reused Idempotency-Key.
    #[response(
        status = 422,
        description = "A field is invalid (named in `field`), or the Idempotency-Key was used for another request",
        content_type = "application/problem+json"
    )]
    Unprocessable(Problem),
    /// Shutting down.
    #[response(
        status = 503,
        description = "The server is shutting down",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

/// The error responses of every read route, for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code, reason = "only its OpenAPI description is used")]
pub enum ReadProblems {
    /// Malformed query or header.
    #[response(
        status = 400,
        description = "Malformed query",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    /// The server is private and no valid token was sent.
    #[response(
        status = 401,
        description = "The server runs with --private and no valid token was sent",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    /// No such resource.
    #[response(
        status = 404,
        description = "No such resource",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
    /// Not ready (e.g. `min_position` not reached in time).
    #[response(
        status = 503,
        description = "Not ready; see Retry-After",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}
