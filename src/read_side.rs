//! The read side: which generation of the read models serves reads, how far it has applied the
//! log, and the runner that keeps it up to date.
//!
//! # Layout
//!
//! - this module: [`ReadSide`], the handle HTTP handlers read through (current generation, applied
//!   position, read-your-writes waits);
//! - [`generations`]: the `read_generations` table (which generation is active);
//! - [`runner`]: applies events in global order, in batches, each with its checkpoint in the same
//!   transaction; builds a new generation when projection versions change or on `rebuild`.

pub mod generations;
pub mod runner;

use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use compact_projections::db::ReadDb;
use compact_projections::query;
use tokio::sync::watch;

/// The longest a refresh may hold reads back at an older position: past it, reads move on and
/// the answers the refresh has not reached yet are computed when asked (or awaited, if it is
/// computing them). At a million events under a flood of reads, a refresh of a dozen questions
/// took 10–25 s; publishing sooner sent readers to cold answers (p99 of 1.5 s for the overview).
const STALEST: Duration = Duration::from_secs(30);

/// How long read-your-writes waits for its position to be published (refreshed) before it is
/// answered at the applied position instead, computing what it must.
const PUBLISH_WAIT: Duration = Duration::from_secs(2);

/// The read models as the HTTP layer sees them. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ReadSide {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The generation serving reads; replaced when a rebuild is activated.
    serving: RwLock<ReadDb>,
    /// The position reads are answered at by default: applied by the serving generation, with
    /// the questions readers follow answered there (or [`STALEST`] spent trying).
    applied: watch::Sender<i64>,
    /// The last position the serving generation has applied.
    projected: watch::Sender<i64>,
}

impl Inner {
    fn db(&self) -> ReadDb {
        match self.serving.read() {
            Ok(db) => db.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn publish(&self, position: i64) {
        self.applied.send_if_modified(|current| {
            let moved = position > *current;
            if moved {
                *current = position;
            }
            moved
        });
    }
}

impl ReadSide {
    /// A read side serving `db`, which has applied up to `applied`. Spawns the task that moves
    /// reads to each newly applied position once the followed questions are answered there.
    pub fn new(db: ReadDb, applied: i64) -> Self {
        let inner = Arc::new(Inner {
            serving: RwLock::new(db),
            applied: watch::channel(applied).0,
            projected: watch::channel(applied).0,
        });
        tokio::spawn(publish_refreshed(
            Arc::downgrade(&inner),
            inner.projected.subscribe(),
        ));
        Self { inner }
    }

    /// The generation serving reads now.
    pub fn db(&self) -> ReadDb {
        self.inner.db()
    }

    /// The position reads are answered at: applied by the serving generation, and published
    /// once the questions readers follow were answered there.
    pub fn published(&self) -> i64 {
        *self.inner.applied.borrow()
    }

    /// The last position the serving generation has applied (reads may still be answered at an
    /// earlier one while the followed questions are refreshed).
    pub fn projected(&self) -> i64 {
        *self.inner.projected.borrow()
    }

    /// The position to answer a read that must see `position` (read-your-writes): the published
    /// one once it gets there, else — after a short wait — the applied one, so a slow refresh
    /// costs that read a computation rather than a 503. `None` if neither reaches `position`
    /// within `timeout`.
    pub async fn readable_at(&self, position: i64, timeout: Duration) -> Option<i64> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut published = self.inner.applied.subscribe();
        let reached = published.wait_for(|applied| *applied >= position);
        if let Ok(Ok(applied)) = tokio::time::timeout(PUBLISH_WAIT.min(timeout), reached).await {
            return Some(*applied);
        }
        let mut projected = self.inner.projected.subscribe();
        let reached = projected.wait_for(|projected| *projected >= position);
        match tokio::time::timeout_at(deadline, reached).await {
            Ok(Ok(projected)) => Some(*projected),
            _ => None,
        }
    }

    /// Switches reads to another generation. Its answers start afresh, so there is nothing to
    /// refresh first.
    fn serve(&self, db: ReadDb, applied: i64) {
        match self.inner.serving.write() {
            Ok(mut serving) => *serving = db,
            Err(poisoned) => *poisoned.into_inner() = db,
        }
        self.inner.projected.send_replace(applied);
        self.inner.applied.send_replace(applied);
    }

    /// Records progress of the serving generation; reads follow once the followed questions are
    /// answered at it.
    fn advance(&self, applied: i64) {
        self.inner.projected.send_if_modified(|current| {
            let moved = applied > *current;
            if moved {
                *current = applied;
            }
            moved
        });
    }
}

/// Moves reads to each position the runner applies once the followed questions are answered
/// there (`query::refresh`), so that a dashboard following the log finds its answers kept rather
/// than waiting seconds for them at a million events. Under steady writes reads lag by about one
/// refresh; positions applied during a refresh are skipped to the newest. A refresh that outlasts
/// [`STALEST`] is not abandoned: reads move on, and those asking a question it is still answering
/// wait for that answer instead of starting their own. Ends with the read side.
async fn publish_refreshed(inner: Weak<Inner>, mut projected: watch::Receiver<i64>) {
    while projected.changed().await.is_ok() {
        let position = *projected.borrow_and_update();
        let Some(db) = inner.upgrade().map(|inner| inner.db()) else {
            return;
        };
        let mut refreshing = tokio::spawn(async move { query::refresh(&db, position).await });
        let outcome = tokio::time::timeout(STALEST, &mut refreshing).await;
        if outcome.is_err() {
            tracing::warn!(
                position,
                "refreshing answers takes long; reads move on meanwhile"
            );
        }
        let Some(strong) = inner.upgrade() else {
            return;
        };
        strong.publish(position);
        drop(strong);
        // One refresh at a time: the next starts from the newest position once this one ends.
        // Positions applied meanwhile are published unrefreshed once they have waited as long
        // as a refresh may, so reads never lag by much more than that.
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(_) => loop {
                tokio::select! {
                    outcome = &mut refreshing => break outcome,
                    changed = projected.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        tokio::time::sleep(STALEST).await;
                        let newest = *projected.borrow_and_update();
                        let Some(strong) = inner.upgrade() else {
                            return;
                        };
                        strong.publish(newest);
                    }
                }
            },
        };
        match outcome {
            Ok(Ok(questions)) => tracing::debug!(position, questions, "answers refreshed"),
            Ok(Err(error)) => tracing::warn!(position, %error, "refreshing answers failed"),
            Err(error) => tracing::warn!(position, %error, "the refresh task failed"),
        }
    }
}
