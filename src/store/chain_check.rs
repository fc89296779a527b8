//! The hash chain's status for pages that show it on every load (`/audit`).
//!
//! Walking the whole chain costs time in proportion to the log (seconds at a million events), so
//! a page cannot do it per request. [`ChainCheck`] walks it in full once, then extends that walk
//! over the events recorded since, and walks it in full again, in the background, once the last
//! full walk is older than [`FULL_WALK_EVERY`]: an event changed behind the database's back is
//! found within that time. `GET /v1/audit/verify` and `compact-tracker verify` always walk the
//! whole chain.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
/// meanwhile wait for it and share its result. The hourly full walk runs in the background, and
/// pages keep showing the extended status until it ends.
#[derive(Debug, Default)]
pub struct ChainCheck {
    last: Mutex<Option<ChainStatus>>,
    rewalking: AtomicBool,
}

impl ChainCheck {
    /// The chain's status up to the current head. Only the first call walks the whole chain
    /// before answering.
    pub async fn status<S: EventStore + 'static>(
        self: &Arc<Self>,
        store: &S,
    ) -> Result<ChainStatus, StoreError> {
        let head = store.head().await?;
        let mut last = self.last.lock().await;
        let Some(previous) = last.as_ref() else {
            let status = ChainStatus {
                report: verify_chain(store.clone()).await?,
                full_walk_at: OffsetDateTime::now_utc(),
            };
            *last = Some(status.clone());
            return Ok(status);
        };
        if OffsetDateTime::now_utc() - previous.full_walk_at >= FULL_WALK_EVERY
            && !self.rewalking.swap(true, Ordering::AcqRel)
        {
            self.walk_again(store.clone());
        }
        // Nothing new since the last check (the common case for a page reloaded under load):
        // answer without reading the log.
        if u64::try_from(head).is_ok_and(|head| head == previous.report.events_checked) {
            return Ok(previous.clone());
        }
        let status = ChainStatus {
            report: extend_verification(store.clone(), &previous.report).await?,
            full_walk_at: previous.full_walk_at,
        };
        *last = Some(status.clone());
        Ok(status)
    }

    /// Walks the whole chain again in the background, then continues from that walk.
    fn walk_again<S: EventStore + 'static>(self: &Arc<Self>, store: S) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let started = OffsetDateTime::now_utc();
            match verify_chain(store).await {
                Ok(report) => {
                    *this.last.lock().await = Some(ChainStatus {
                        report,
                        full_walk_at: started,
                    });
                }
                Err(error) => tracing::warn!(%error, "cannot walk the hash chain again"),
            }
            this.rewalking.store(false, Ordering::Release);
        });
    }
}
