//! The hash chain's status for pages that show it on every load (`/audit`).
//!
//! Walking the whole chain costs time in proportion to the log (seconds at a million events), so
//! a page cannot do it per request. [`ChainCheck`] walks it in full once, then extends that walk
//! over the events recorded since, and walks it in full again once the last full walk is older
//! than [`FULL_WALK_EVERY`]: an event changed behind the database's back is found within that
//! time. `GET /v1/audit/verify` and `compact-tracker verify` always walk the whole chain.

use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::Mutex;

use super::canonical::{extend_verification, verify_chain};
use super::{EventStore, StoreError, VerifyReport};

/// How old the last full walk may be before the next check walks the whole chain again.
pub const FULL_WALK_EVERY: Duration = Duration::from_secs(3600);

/// A verification and when its full walk happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainStatus {
    /// The chain from position 1 to the head as of the last check.
    pub report: VerifyReport,
    /// When the whole chain was last walked from position 1.
    pub full_walk_at: OffsetDateTime,
}

/// The last verification, extended on demand. One check runs at a time; callers that arrive
/// meanwhile wait for it and share its result.
#[derive(Debug, Default)]
pub struct ChainCheck {
    last: Mutex<Option<ChainStatus>>,
}

impl ChainCheck {
    /// The chain's status up to the current head.
    pub async fn status<S: EventStore>(&self, store: &S) -> Result<ChainStatus, StoreError> {
        let head = store.head().await?;
        let mut last = self.last.lock().await;
        let now = OffsetDateTime::now_utc();
        // Nothing new since the last check (the common case for a page reloaded under load):
        // answer without reading the log.
        if let Some(previous) = last.as_ref()
            && now - previous.full_walk_at < FULL_WALK_EVERY
            && u64::try_from(head).is_ok_and(|head| head == previous.report.events_checked)
        {
            return Ok(previous.clone());
        }
        let status = match last.as_ref() {
            Some(previous) if now - previous.full_walk_at < FULL_WALK_EVERY => ChainStatus {
                report: extend_verification(store.clone(), &previous.report).await?,
                full_walk_at: previous.full_walk_at,
            },
            _ => ChainStatus {
                report: verify_chain(store.clone()).await?,
                full_walk_at: now,
            },
        };
        *last = Some(status.clone());
        Ok(status)
    }
}
