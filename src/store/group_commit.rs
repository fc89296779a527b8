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

/// How many appends may wait for the writer before callers are slowed down (back-pressure).
const QUEUE_DEPTH: usize = 4_096;

/// A backend's side of group commit: write a batch of appends in one transaction.
pub trait BatchWriter: Send + 'static {
    /// Takes the write lock, plans and inserts the batch, and commits. Returns one answer per
    /// request and the head position after the commit; `Err` means nothing of the batch is known to
    /// be committed.
    fn write_batch(
        &mut self,
        requests: &[AppendRequest],
        clocks: &[Option<OffsetDateTime>],
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
    while let Some(first) = receiver.recv().await {
        let mut events = first.request.events.len();
        let mut batch = vec![first];
        while events < MAX_BATCH_EVENTS {
            let Ok(next) = receiver.try_recv() else {
                break;
            };
            events += next.request.events.len();
            batch.push(next);
        }
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
            .write_batch(&requests, &clocks)
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
            Err(error) if requests.len() == 1 => {
                tracing::warn!(error = %error, "append failed in the database");
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(StoreError::Database(error)));
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, appends = requests.len(), "batch failed; retrying its appends one by one");
                for ((request, clock), reply) in requests.into_iter().zip(clocks).zip(replies) {
                    let result = match writer
                        .write_batch(std::slice::from_ref(&request), &[clock])
                        .await
                    {
                        Ok((mut results, position)) => {
                            advance(&head, position);
                            results.pop().unwrap_or(Err(StoreError::Closed))
                        }
                        Err(error) => Err(StoreError::Database(error)),
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
