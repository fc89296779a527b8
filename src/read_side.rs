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

use std::sync::{Arc, RwLock};
use std::time::Duration;

use compact_projections::db::ReadDb;
use tokio::sync::watch;

/// The read models as the HTTP layer sees them. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ReadSide {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The generation serving reads; replaced when a rebuild is activated.
    serving: RwLock<ReadDb>,
    /// The last position the serving generation has applied.
    applied: watch::Sender<i64>,
}

impl ReadSide {
    /// A read side serving `db`, which has applied up to `applied`.
    pub fn new(db: ReadDb, applied: i64) -> Self {
        Self {
            inner: Arc::new(Inner {
                serving: RwLock::new(db),
                applied: watch::channel(applied).0,
            }),
        }
    }

    /// The generation serving reads now.
    pub fn db(&self) -> ReadDb {
        match self.inner.serving.read() {
            Ok(db) => db.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The last position applied by the serving generation.
    pub fn applied(&self) -> i64 {
        *self.inner.applied.borrow()
    }

    /// Waits until `position` is applied, for at most `timeout`; true if it was.
    pub async fn wait_for(&self, position: i64, timeout: Duration) -> bool {
        let mut applied = self.inner.applied.subscribe();
        let reached = applied.wait_for(|applied| *applied >= position);
        matches!(tokio::time::timeout(timeout, reached).await, Ok(Ok(_)))
    }

    /// Switches reads to another generation.
    fn serve(&self, db: ReadDb, applied: i64) {
        match self.inner.serving.write() {
            Ok(mut serving) => *serving = db,
            Err(poisoned) => *poisoned.into_inner() = db,
        }
        self.inner.applied.send_replace(applied);
    }

    /// Records progress of the serving generation.
    fn advance(&self, applied: i64) {
        self.inner.applied.send_if_modified(|current| {
            let moved = applied > *current;
            if moved {
                *current = applied;
            }
            moved
        });
    }
}
