//! [`WriteError`]: why a write was refused or failed, in the write path's own terms.
//!
//! The HTTP layer maps it to statuses (`crate::http::error`); the dashboard's forms and the
//! catalogue seeding match on it directly, so neither has to guess from an HTTP status.

use compact_events::error::DomainError;

use crate::store::StoreError;

/// A write that appended nothing.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The domain refused the command (not found, conflict or invalid; see [`DomainError::kind`]).
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The caller may not write this stream (e.g. a reporter of another mechanism).
    #[error("{0}")]
    Forbidden(String),
    /// The client's `If-Match` names another version than the stream's.
    #[error("the resource is at version {current_version}, not the version in If-Match")]
    VersionMismatch {
        /// The stream's current version.
        current_version: i64,
    },
    /// The `Idempotency-Key` was used before with a different request.
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyKeyReused,
    /// Other writers kept winning the race for the stream: every retry lost.
    #[error("{stream} is changing too fast to write to; try again")]
    TooContended {
        /// The stream.
        stream: String,
    },
    /// The store failed, or holds something this build cannot read.
    #[error(transparent)]
    Store(#[from] StoreError),
}
