//! [`WebError`]: every way a dashboard request can fail, shown as an HTML error page.
//!
//! A `WebError` wraps the API's [`ApiError`], so the status of every failure is decided in one
//! place ([`ApiError::status_code`]) and a 500 keeps its cause for the one log line written by
//! [`crate::http::error::log_server_errors`]. Only the body differs: instead of problem+json,
//! [`render_error_pages`] writes an HTML page in the visitor's language. (The error is turned into
//! a response before the language is known, so the page is rendered by that middleware, which
//! sees the request.)

use askama::Template;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use compact_projections::ProjectionError;

use super::i18n::{Messages, messages};
use super::view::{Layout, language_of};
use crate::http::error::ApiError;
use crate::store::StoreError;

/// A failed dashboard request.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct WebError(#[from] ApiError);

impl WebError {
    /// 400: a malformed query parameter or form.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self(ApiError::BadRequest(detail.into()))
    }

    /// 404: no such page.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self(ApiError::NotFound(detail.into()))
    }

    /// 403: signed in, but not allowed.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self(ApiError::Forbidden(detail.into()))
    }

    /// 500 with its cause, for the log.
    pub fn internal(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(ApiError::internal(error))
    }

    /// The API error inside, e.g. to show a 422's field beside a form input.
    pub fn into_api(self) -> ApiError {
        self.0
    }
}

impl From<StoreError> for WebError {
    fn from(error: StoreError) -> Self {
        Self(error.into())
    }
}

impl From<ProjectionError> for WebError {
    fn from(error: ProjectionError) -> Self {
        Self::internal(error)
    }
}

impl From<askama::Error> for WebError {
    fn from(error: askama::Error) -> Self {
        Self::internal(error)
    }
}

/// What the error page says, handed from [`WebError::into_response`] to [`render_error_pages`].
#[derive(Debug, Clone)]
struct ErrorPage {
    /// The client-facing detail; `None` for server errors, whose cause is only logged.
    detail: Option<String>,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let detail = match &self.0 {
            ApiError::Internal(_) => None,
            other => Some(other.to_string()),
        };
        // The API's response carries the status, headers such as Retry-After, and the cause of a
        // 500 for the log; its problem+json body is replaced by the HTML page.
        let mut response = self.0.into_response();
        response.extensions_mut().insert(ErrorPage { detail });
        response
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    layout: Layout,
    status: u16,
    reason: &'static str,
    detail: String,
}

/// Renders the HTML page of every [`WebError`] in the request's language.
pub async fn render_error_pages(request: Request, next: Next) -> Response {
    let lang = language_of(&request);
    let response = next.run(request).await;
    let Some(page) = response.extensions().get::<ErrorPage>().cloned() else {
        return response;
    };
    let (mut parts, _problem) = response.into_parts();
    let t: &Messages = messages(lang);
    let status = parts.status;
    let template = ErrorTemplate {
        layout: Layout::bare(lang, t.error_title.to_owned()),
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or_default(),
        detail: page.detail.unwrap_or_else(|| t.internal_error.to_owned()),
    };
    let html = template.render().unwrap_or_else(|_| {
        // The error page itself failed to render: fall back to the bare status line.
        format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or_default()
        )
    });
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(html))
}

/// A redirect after a successful form post (`303 See Other`, so a reload does not post again).
pub fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => WebError::bad_request("the redirect target is not a valid URL").into_response(),
    }
}
