//! The live tail: every event after a position, exactly once, in position order, then new ones as
//! they commit.
//!
//! Correctness rests on the store's invariant that positions are gapless and commit order equals
//! position order, so "read everything after my last position" can neither skip nor repeat. The
//! subscription checks that invariant as it goes and fails loudly (instead of skipping) if a
//! position is missing.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::watch;

use super::{EventStore, Position, RecordedEvent, StoreError};

/// How many events one read fetches.
const PAGE: i64 = 512;

/// How long to wait for a wake-up before polling anyway (another process may have appended).
const POLL: Duration = Duration::from_millis(500);

/// A position-ordered reader of the whole log; see the module docs.
pub struct Subscription<S: EventStore> {
    store: S,
    after: Position,
    buffer: VecDeque<RecordedEvent>,
    head: watch::Receiver<Position>,
}

impl<S: EventStore> Subscription<S> {
    /// Starts after `after` (0 for the beginning of the log).
    pub fn new(store: S, after: Position) -> Self {
        let head = store.head_watch();
        Self {
            store,
            after,
            buffer: VecDeque::new(),
            head,
        }
    }

    /// The position of the last event returned (or the starting position).
    pub fn position(&self) -> Position {
        self.after
    }

    /// The next event, waiting for one to be committed if the subscriber is caught up.
    pub async fn next(&mut self) -> Result<RecordedEvent, StoreError> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                self.after = event.position;
                return Ok(event);
            }
            // Mark the current head as seen before reading, so a commit that lands between the
            // read and the wait below still wakes us.
            self.head.borrow_and_update();
            let page = self.store.read_all(self.after, PAGE).await?;
            if page.is_empty() {
                self.wait_for_news().await;
                continue;
            }
            for (offset, event) in page.iter().enumerate() {
                let expected = self.after + 1 + i64::try_from(offset).unwrap_or(i64::MAX);
                if event.position != expected {
                    return Err(StoreError::Corrupt {
                        position: expected,
                        reason: format!("position {expected} is missing from the log"),
                    });
                }
            }
            self.buffer.extend(page);
        }
    }

    /// Returns the next event if one is already committed, without waiting.
    pub async fn try_next(&mut self) -> Result<Option<RecordedEvent>, StoreError> {
        if self.buffer.is_empty() && self.store.head().await? <= self.after {
            return Ok(None);
        }
        self.next().await.map(Some)
    }

    async fn wait_for_news(&mut self) {
        match tokio::time::timeout(POLL, self.head.changed()).await {
            Ok(Ok(())) | Err(_) => {}
            // The store is closing; keep polling slowly rather than spinning.
            Ok(Err(_)) => tokio::time::sleep(POLL).await,
        }
    }
}
