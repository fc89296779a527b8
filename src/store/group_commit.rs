//! Group commit: one writer task per store commits the appends of many callers together.
//!
//! Every append needs the store's write lock, so appends are serialized anyway; doing that in one
//! task lets the appends that queued while a commit was in flight share the next transaction and its
//! fsync. Each caller is answered only after the commit that holds its events, and a conflict in one
//! append fails only that append (the plan skips it). If a whole batch fails in the database, each
//! of its appends is retried alone, so one bad append cannot fail its neighbours; event-id
//! idempotency makes that retry safe even when the batch's commit outcome was unknown.

use std::future::Future;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::Instrument;

use super::{AppendRequest, AppendResult, Position, StoreError};

/// The most events one transaction takes; bounds transaction size and latency.
const MAX_BATCH_EVENTS: usize = 2_000;

/// How many times the writer yields, waiting for the previous batch's callers to queue again.
const MAX_YIELDS: u32 = 32;

/// How many appends may wait for the writer before callers are slowed down (back-pressure).
const QUEUE_DEPTH: usize = 4_096;

/// A backend's side of group commit: write a batch of appends in one transaction.
pub trait BatchWriter: Send + 'static {
    /// Takes the write lock, plans and inserts the batch, and commits. Returns one answer per
    /// request and the head position after the commit; `Err` means nothing of the batch is known to
    /// be committed.
    ///
    /// With `careful` false the writer skips looking up already-stored event ids: a retried event
    /// then fails the insert on the unique index, the batch rolls back, and each of its appends is
    /// retried alone with `careful` true. Retries are rare, so the common path saves a round trip.
    fn write_batch(
        &mut self,
        requests: &[AppendRequest],
        clocks: &[Option<OffsetDateTime>],
        careful: bool,
    ) -> impl Future<Output = Result<(Vec<Result<AppendResult, StoreError>>, Position), sqlx::Error>>
    + Send;
}

struct Pending {
    request: AppendRequest,
    recorded_at: Option<OffsetDateTime>,
    reply: oneshot::Sender<Result<AppendResult, StoreError>>,
}

/// The handle callers append through; cheap to clone. The writer task stops when the last handle is
/// dropped, after answering everything already queued.
#[derive(Clone)]
pub struct GroupCommit {
    sender: mpsc::Sender<Pending>,
}

impl GroupCommit {
    /// Starts the writer task. `head` is told the new head position after every commit.
    pub fn spawn<W: BatchWriter>(writer: W, head: Arc<watch::Sender<Position>>) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(run(writer, receiver, head));
        Self { sender }
    }

    /// Queues an append and waits for the commit that holds it. `recorded_at`, if given, replaces
    /// the commit time (see [`super::EventStore::append_at`]).
    pub async fn append(
        &self,
        request: AppendRequest,
        recorded_at: Option<OffsetDateTime>,
    ) -> Result<AppendResult, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Pending {
                request,
                recorded_at,
                reply,
            })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run<W: BatchWriter>(
    mut writer: W,
    mut receiver: mpsc::Receiver<Pending>,
    head: Arc<watch::Sender<Position>>,
) {
    let mut previous_batch = 0;
    while let Some(first) = receiver.recv().await {
        let mut events = first.request.events.len();
        let mut batch = vec![first];
        let mut yields = 0;
        while events < MAX_BATCH_EVENTS {
            match receiver.try_recv() {
                Ok(next) => {
                    events += next.request.events.len();
                    batch.push(next);
                }
                // The callers answered by the last commit are usually about to append again;
                // giving them a moment to queue fills this commit instead of leaving them for the
                // next one (measured: batches alternated 15 and 1 with 16 writers without this).
                Err(_) if batch.len() < previous_batch && yields < MAX_YIELDS => {
                    yields += 1;
                    tokio::task::yield_now().await;
                }
                Err(_) => break,
            }
        }
        previous_batch = batch.len();
        let mut requests = Vec::with_capacity(batch.len());
        let mut clocks = Vec::with_capacity(batch.len());
        let mut replies = Vec::with_capacity(batch.len());
        for pending in batch {
            requests.push(pending.request);
            clocks.push(pending.recorded_at);
            replies.push(pending.reply);
        }
        let span = tracing::debug_span!("append_batch", appends = requests.len(), events);
        match writer
            .write_batch(&requests, &clocks, false)
            .instrument(span)
            .await
        {
            Ok((results, position)) => {
                advance(&head, position);
                for (reply, result) in replies.into_iter().zip(results) {
                    // A caller that gave up waiting is not an error: its events are committed.
                    let _ = reply.send(result);
                }
            }
            // A stored event id (a retry) or a database hiccup: redo each append alone, carefully.
            Err(error) => {
                tracing::debug!(error = %error, appends = requests.len(), "batch failed; retrying its appends one by one");
                for ((request, clock), reply) in requests.into_iter().zip(clocks).zip(replies) {
                    let result = match writer
                        .write_batch(std::slice::from_ref(&request), &[clock], true)
                        .await
                    {
                        Ok((mut results, position)) => {
                            advance(&head, position);
                            results.pop().unwrap_or(Err(StoreError::Closed))
                        }
                        Err(error) => {
                            tracing::warn!(error = %error, "append failed in the database");
                            Err(StoreError::Database(error))
                        }
                    };
                    let _ = reply.send(result);
                }
            }
        }
    }
}

/// Moves the watched head forward (never back: another process may have told it more already).
pub fn advance(head: &watch::Sender<Position>, position: Position) {
    head.send_if_modified(|current| {
        let moved = position > *current;
        if moved {
            *current = position;
        }
        moved
    });
}
