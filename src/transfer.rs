//! Moving an event log between stores (SPEC.md "Command line": `export`, `import`,
//! `copy-store`).
//!
//! The file format is NDJSON: one event per line with every stored field, its hash included, in
//! position order. Nothing is written to a target until the whole input has passed the hash-chain
//! check, and the target must be empty, so that every event keeps its position, its recording time
//! and therefore its hash: references to positions (`known_position`, `min_position`) and hashes
//! in published reports stay valid after a move. The events are replayed through the store's own
//! append path, and the copy is then verified end to end: every event must land on its position
//! and the target's chain must end on the source's head hash.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use futures_util::{Stream, TryStreamExt as _};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::store::canonical::{HashedFields, chain_hash};
use crate::store::{
    AppendOutcome, AppendRequest, EventHash, EventStore, ExpectedVersion, Metadata, NewEvent,
    Position, RecordedEvent, StoreError,
};

/// Appends in flight while replaying; they reach the store's single writer in order and share its
/// commits.
const IN_FLIGHT: usize = 512;

/// Events read from a source store per page.
const PAGE: i64 = 2_000;

/// Why an export, import or copy failed.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// A file could not be read or written.
    #[error("cannot use {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line is not an exported event.
    #[error("line {line} is not an exported event: {reason}")]
    Line {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// The input's hash chain is broken: an event was changed, removed or reordered.
    #[error(
        "line {line} (position {position}) does not continue the hash chain: the input was changed or is incomplete; nothing was imported"
    )]
    Chain {
        /// 1-based line number.
        line: u64,
        /// The position it claims.
        position: Position,
    },
    /// The export could not be written.
    #[error("cannot write the export: {0}")]
    Write(#[source] std::io::Error),
    /// The source store's own chain is broken.
    #[error("the source store's hash chain is broken at position {0}; nothing was copied")]
    SourceBroken(Position),
    /// The target already holds events.
    #[error("the target store already holds {0} events; import into an empty store")]
    NotEmpty(Position),
    /// The target store failed.
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
    /// The target did not end up with the same log.
    #[error("the copy differs from its source: {0}")]
    Mismatch(String),
}

/// One line of an export: an event with everything the store recorded about it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportedEvent {
    position: Position,
    stream_id: String,
    stream_version: i64,
    event_id: Uuid,
    event_type: String,
    schema_version: i32,
    payload: serde_json::Value,
    metadata: Metadata,
    #[serde(with = "time::serde::rfc3339")]
    recorded_at: OffsetDateTime,
    hash: String,
}

impl From<&RecordedEvent> for ExportedEvent {
    fn from(event: &RecordedEvent) -> Self {
        Self {
            position: event.position,
            stream_id: event.stream_id.clone(),
            stream_version: event.stream_version,
            event_id: event.event_id,
            event_type: event.event_type.clone(),
            schema_version: event.schema_version,
            payload: event.payload.clone(),
            metadata: event.metadata.clone(),
            recorded_at: event.recorded_at,
            hash: event.hash.to_string(),
        }
    }
}

impl ExportedEvent {
    fn into_event(self, line: u64) -> Result<RecordedEvent, TransferError> {
        let hash = self
            .hash
            .parse::<EventHash>()
            .map_err(|_| TransferError::Line {
                line,
                reason: "hash is not 64 hex digits".into(),
            })?;
        Ok(RecordedEvent {
            position: self.position,
            stream_id: self.stream_id,
            stream_version: self.stream_version,
            event_id: self.event_id,
            event_type: self.event_type,
            schema_version: self.schema_version,
            payload: self.payload,
            metadata: self.metadata,
            recorded_at: self.recorded_at,
            hash,
        })
    }
}

/// What an import or copy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transferred {
    /// Events written.
    pub events: u64,
    /// The hash of the last one, which the target's chain now ends on.
    pub head_hash: Option<EventHash>,
}

/// Follows a hash chain from position 1, one event at a time.
#[derive(Debug)]
struct ChainCursor {
    previous: EventHash,
    position: Position,
}

impl ChainCursor {
    fn new() -> Self {
        Self {
            previous: EventHash::GENESIS,
            position: 0,
        }
    }

    fn accept(&mut self, event: &RecordedEvent) -> bool {
        let continues = event.position == self.position + 1
            && chain_hash(&self.previous, HashedFields::from(event)) == event.hash;
        if continues {
            self.previous = event.hash;
            self.position = event.position;
        }
        continues
    }
}

/// Writes every event of `store` to `out`, one JSON object per line; returns how many.
pub async fn export<S: EventStore>(store: &S, out: impl Write) -> Result<u64, TransferError> {
    let mut out = BufWriter::new(out);
    let mut after = 0;
    let mut written = 0;
    loop {
        let page = store.read_all(after, PAGE).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.position;
        for event in &page {
            serde_json::to_writer(&mut out, &ExportedEvent::from(event))
                .map_err(|error| TransferError::Write(error.into()))?;
            out.write_all(b"\n").map_err(TransferError::Write)?;
            written += 1;
        }
    }
    out.flush().map_err(TransferError::Write)?;
    Ok(written)
}

/// Imports the export at `path` into the empty store `target`: checks the whole file's chain
/// first, then replays it and verifies the result.
pub async fn import<S: EventStore>(target: &S, path: &Path) -> Result<Transferred, TransferError> {
    let head = target.head().await?;
    if head > 0 {
        return Err(TransferError::NotEmpty(head));
    }
    let mut check = ChainCursor::new();
    let mut count = 0;
    for event in read_lines(path)? {
        let (line, event) = event?;
        if !check.accept(&event) {
            return Err(TransferError::Chain {
                line,
                position: event.position,
            });
        }
        count += 1;
    }
    let expected = Transferred {
        events: count,
        head_hash: (count > 0).then_some(check.previous),
    };
    // The file is read a second time to write it: check it again, in case it changed meanwhile.
    let mut recheck = ChainCursor::new();
    let events = read_lines(path)?.map(move |item| {
        let (line, event) = item?;
        if recheck.accept(&event) {
            Ok(event)
        } else {
            Err(TransferError::Mismatch(format!(
                "{} changed while it was imported (line {line}); the target holds a part of it",
                path.display()
            )))
        }
    });
    replay(target, futures_util::stream::iter(events)).await?;
    confirm(target, &expected).await?;
    Ok(expected)
}

/// Copies every event of `source` into the empty store `target`, after checking the source's
/// chain, and verifies the copy.
pub async fn copy<S: EventStore, T: EventStore>(
    source: &S,
    target: &T,
) -> Result<Transferred, TransferError> {
    let head = target.head().await?;
    if head > 0 {
        return Err(TransferError::NotEmpty(head));
    }
    let report = source.verify().await?;
    if let Some(position) = report.first_broken_position {
        return Err(TransferError::SourceBroken(position));
    }
    let expected = Transferred {
        events: report.events_checked,
        head_hash: report.head_hash,
    };
    // Events appended to the source during the copy are left out: the copy ends where the
    // verified chain ended.
    let end = Position::try_from(expected.events).unwrap_or(Position::MAX);
    let pages = futures_util::stream::try_unfold(0, move |after| async move {
        let limit = PAGE.min(end - after);
        if limit <= 0 {
            return Ok(None);
        }
        let page = source.read_all(after, limit).await?;
        let next = page.last().map(|last| last.position);
        Ok::<_, TransferError>(
            next.map(|next| (futures_util::stream::iter(page.into_iter().map(Ok)), next)),
        )
    });
    replay(target, pages.try_flatten()).await?;
    confirm(target, &expected).await?;
    Ok(expected)
}

/// The events of an export file, with their line numbers.
fn read_lines(
    path: &Path,
) -> Result<impl Iterator<Item = Result<(u64, RecordedEvent), TransferError>>, TransferError> {
    let file = File::open(path).map_err(|source| TransferError::File {
        path: path.to_owned(),
        source,
    })?;
    let path = path.to_owned();
    Ok(BufReader::new(file)
        .lines()
        .zip(1_u64..)
        .filter(|(text, _)| !matches!(text, Ok(text) if text.trim().is_empty()))
        .map(move |(text, line)| {
            let text = text.map_err(|source| TransferError::File {
                path: path.clone(),
                source,
            })?;
            let parsed: ExportedEvent =
                serde_json::from_str(&text).map_err(|error| TransferError::Line {
                    line,
                    reason: error.to_string(),
                })?;
            Ok((line, parsed.into_event(line)?))
        }))
}

/// Appends `events` (position order, from position 1) to `target` with their recording times,
/// checking that each lands on its own position.
async fn replay<T: EventStore>(
    target: &T,
    events: impl Stream<Item = Result<RecordedEvent, TransferError>>,
) -> Result<(), TransferError> {
    // Unconstrained: without tokio's cooperative budget, the first poll of each append always
    // reaches the store's queue, so appends reach the writer in the order they are issued (as in
    // the demo loader).
    tokio::task::unconstrained(async {
        let mut appends = std::pin::pin!(
            events
                .map_ok(|event| async move {
                    let position = event.position;
                    let (request, at) = to_request(event);
                    let result = target.append_at(request, at).await?;
                    Ok::<_, TransferError>((position, result))
                })
                .try_buffered(IN_FLIGHT)
        );
        while let Some((position, result)) = appends.try_next().await? {
            if result.first_position != position || result.outcome != AppendOutcome::Appended {
                return Err(TransferError::Mismatch(format!(
                    "the event at position {position} was stored at position {} ({:?}); was \
                     another process writing to the target?",
                    result.first_position, result.outcome
                )));
            }
        }
        Ok(())
    })
    .await
}

fn to_request(event: RecordedEvent) -> (AppendRequest, OffsetDateTime) {
    let request = AppendRequest {
        stream_id: event.stream_id,
        expected_version: ExpectedVersion::Exact(event.stream_version - 1),
        events: vec![NewEvent {
            event_id: event.event_id,
            event_type: event.event_type,
            schema_version: event.schema_version,
            payload: event.payload,
            metadata: event.metadata,
        }],
        idempotency: None,
    };
    (request, event.recorded_at)
}

/// Walks the target's chain and compares its end with what was transferred.
async fn confirm<T: EventStore>(target: &T, expected: &Transferred) -> Result<(), TransferError> {
    let report = target.verify().await?;
    let copied = Transferred {
        events: report.events_checked,
        head_hash: report.head_hash,
    };
    if !report.ok || copied != *expected {
        return Err(TransferError::Mismatch(format!(
            "the target holds {} events ending on hash {}; expected {} ending on {}",
            copied.events,
            describe(copied.head_hash),
            expected.events,
            describe(expected.head_hash)
        )));
    }
    Ok(())
}

fn describe(hash: Option<EventHash>) -> String {
    hash.map_or_else(|| "none".into(), |hash| hash.to_string())
}
