//! Extractors that turn every malformed request into an [`ApiError`] (problem+json), never into
//! axum's plain-text rejections: JSON bodies, query strings, paths and our request headers.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, Method, StatusCode, header, request::Parts};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::store::canonical::canonical_json;

mod strict_json;

/// A JSON body, parsed with the path of any offending field, plus the hash of its canonical form
/// (what `Idempotency-Key` compares).
#[derive(Debug)]
pub struct ApiJson<T> {
    /// The parsed body.
    pub value: T,
    /// SHA-256 of method, path and the body's canonical JSON.
    pub request_hash: [u8; 32],
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as JSON with Content-Type: application/json".into(),
            ));
        }
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(bytes_rejection)?;
        let value = strict_json::from_slice(&bytes).map_err(|error| {
            ApiError::BadRequest(format!("the body is not valid JSON: {error}"))
        })?;
        let request_hash = hash_request(&method, &path, &value);
        let parsed = serde_path_to_error::deserialize(&value).map_err(|error| {
            let path = error.path().to_string();
            let detail = error.inner().to_string();
            let field = match missing_field(&detail) {
                // serde reports a missing field at its parent object: name the field itself.
                Some(name) if path == "." => Some(name.to_owned()),
                Some(name) => Some(format!("{path}.{name}")),
                None => (path != ".").then_some(path),
            };
            ApiError::Unprocessable {
                detail: match &field {
                    Some(field) => format!("{field}: {detail}"),
                    None => detail,
                },
                field,
            }
        })?;
        Ok(Self {
            value: parsed,
            request_hash,
        })
    }
}

/// The field named by serde's "missing field `name`" error, if that is the error.
fn missing_field(detail: &str) -> Option<&str> {
    detail
        .strip_prefix("missing field `")?
        .split_once('`')
        .map(|(name, _)| name)
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers.get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(content_type) = content_type.to_str() else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn bytes_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::BadRequest(format!(
            "the body could not be read: {}",
            rejection.body_text()
        ))
    }
}

fn hash_request(method: &Method, path: &str, body: &serde_json::Value) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(method.as_str().as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(canonical_json(body));
    hasher.finalize().into()
}

/// A query string, with a problem+json 400 naming what is wrong.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|query| Self(query.0))
            .map_err(|rejection: QueryRejection| {
                ApiError::BadRequest(format!("invalid query string: {}", rejection.body_text()))
            })
    }
}

/// Path parameters, with a problem+json 404/400 instead of axum's text.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|path| Self(path.0))
            .map_err(|rejection: PathRejection| {
                ApiError::NotFound(format!("no such resource: {}", rejection.body_text()))
            })
    }
}

/// `If-Match: "<version>"` (a strong ETag holding a stream version), if present.
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    let version = text
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(text);
    version
        .parse::<i64>()
        .ok()
        .filter(|version| *version >= 0)
        .map(Some)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "If-Match must hold a version as an ETag, e.g. \"3\"; got {text:?}"
            ))
        })
}

/// `Idempotency-Key`, if present: 1 to 255 visible ASCII characters.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or_default();
    let valid = (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
    if !valid {
        return Err(ApiError::BadRequest(
            "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
        ));
    }
    Ok(Some(key.to_owned()))
}

/// The request id set by the request-id middleware, recorded as the events' correlation id.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Serde adapters for the dates a read asks about (`as_of`, `from`, `to`): a date outside
/// [`EARLIEST_QUESTION`]..=[`LATEST_QUESTION`] is refused in the query string (400) rather than
/// carried into date arithmetic and queries, where year 0 and below once made reads fail.
///
/// [`EARLIEST_QUESTION`]: compact_events::rules::EARLIEST_QUESTION
/// [`LATEST_QUESTION`]: compact_events::rules::LATEST_QUESTION
pub mod question_date {
    use compact_events::rules::{EARLIEST_QUESTION, LATEST_QUESTION};
    use serde::{Deserialize as _, Deserializer, de::Error as _};
    use time::Date;

    /// A required date.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let date = Date::deserialize(deserializer)?;
        // The query string's error names no field, so the message names the date instead.
        compact_events::rules::question_date("", date).map_err(|_| {
            D::Error::custom(format!(
                "{date} is outside the dates a read can ask about, \
                 {EARLIEST_QUESTION} to {LATEST_QUESTION}"
            ))
        })
    }

    /// An optional date.
    pub mod option {
        use serde::Deserializer;
        use time::Date;

        /// `None` when absent; otherwise as [`super::deserialize`].
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Date>, D::Error> {
            super::deserialize(deserializer).map(Some)
        }
    }
}
