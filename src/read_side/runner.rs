//! The projection runner.
//!
//! It reads the log in position order (`read_all_for_projection` after the checkpoint, which never
//! skips or repeats because positions are gapless and in commit order), decodes events straight
//! from their payload text (`Event::from_stored_json`), and hands them to
//! the [`Projector`] in batches; each batch commits its rows and the checkpoint together, so a crash
//! at any point neither skips nor double-applies an event. It catches up in large batches, then
//! follows the head, woken by the store's head watch.
//!
//! Generations: if no active generation exists, or the active one was built with other projection
//! versions, the runner builds a new generation from position 0 (the old one keeps answering
//! reads), then activates it and switches reads over. It also notices a generation activated by
//! `compact-tracker rebuild` in another process and switches to it.

use std::time::Duration;

use compact_events::commitment::CommitmentState;
use compact_events::decider::Decider;
use compact_events::event::Event;
use compact_events::event::commitment::CommitmentEvent;
use compact_events::ids::CommitmentId;
use compact_events::stream::StreamId;
use compact_projections::ProjectionError;
use compact_projections::apply::{Envelope, Projector, StateSource};
use compact_projections::db::{Home, Location, ReadDb};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::ReadSide;
use super::generations::{self, current_versions};
use crate::store::{AnyStore, EventStore, EventToProject, RecordedEvent};

/// Events per batch (one transaction each). A build from position 0 serves nobody yet and takes
/// big batches: fewer commits, and more of each row's closes land in the batch that wrote it
/// (at a million events: 100,000 took 76 s against 96 s with 20,000; later, 400,000 took a
/// median 18.0 s on SQLite and 19.2 s on PostgreSQL against 19.6 s and 20.7 s with 200,000, for
/// about 1.2 GB of memory at the peak). A live generation takes smaller ones, to hold each
/// transaction shorter. `--projection-batch` (`COMPACT_PROJECTION_BATCH`) overrides both (e.g. to
/// bound a build's memory), through [`override_batch_size`].
fn batch_size(phase: Phase) -> i64 {
    BATCH_OVERRIDE
        .get()
        .copied()
        .flatten()
        .unwrap_or(match phase {
            Phase::Build => 400_000,
            Phase::Follow => 20_000,
        })
}

/// The batch size the command line set, once per process.
static BATCH_OVERRIDE: std::sync::OnceLock<Option<i64>> = std::sync::OnceLock::new();

/// Sets the batch size of every projection batch of this process, from the configuration (a
/// process-wide setting: the runner and a rebuild read it deep in their loops). Only the first
/// call counts.
pub fn override_batch_size(batch: Option<i64>) {
    let _ = BATCH_OVERRIDE.set(batch);
}

/// The size of a build's next batch after one of `last` events. Builds start at 10,000 events
/// and double up to the full size, so that planning and writing start at once: reading a first
/// full batch took most of a second at a million events, with nothing else to do meanwhile.
/// Growing fourfold, the reads still held the pipeline up for 1.3 s (SQLite, 1M events: 21.0 s
/// against 19.4–19.7 s doubling).
fn next_batch(last: usize) -> i64 {
    let full = batch_size(Phase::Build);
    i64::try_from(last)
        .unwrap_or(full)
        .saturating_mul(2)
        .clamp(full.min(10_000), full)
}

/// Whether a generation is being built from position 0 or followed live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Build,
    Follow,
}

/// How often a follower checks whether another process activated a generation.
const GENERATION_POLL: Duration = Duration::from_secs(2);

/// The session advisory lock of the process that runs projections ("compact-tracker projections").
const PROJECTION_LOCK: i64 = 0x636f_6d70_6163_7402;

/// How long a non-leader follows the leader before trying for the lock again.
const LEADER_RETRY: Duration = Duration::from_secs(5);

/// Holding this means running projections; dropping it ends the session and so frees the lock.
struct Leadership(#[allow(dead_code, reason = "held for its lock")] Option<sqlx::PgConnection>);

/// Why the read side failed.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// A projection failed.
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    /// The event store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The generations table failed.
    #[error("cannot read or write the read-model generations: {0}")]
    Generations(#[from] sqlx::Error),
}

/// Opens the read side for serving and starts the runner in the background.
///
/// Returns at once with the generation that should serve reads now: the active one if it matches
/// this build's projection versions, else the old active one (stale but available) or, on a fresh
/// store, the generation being built.
pub async fn start(store: AnyStore) -> Result<ReadSide, RunnerError> {
    let home = store.read_home();
    let all = generations::list(&store).await?;
    let versions = current_versions();
    let active = all.iter().find(|g| g.state == "active");
    // A build interrupted by a crash resumes from its checkpoint rather than starting over.
    let building = all
        .iter()
        .find(|g| g.state == "building" && g.versions == versions)
        .map(|g| g.generation);
    let (serving, target) = match active {
        Some(active) if active.versions == versions => {
            let db = ReadDb::open(&Location::of(&home, active.generation)).await?;
            (db, Target::Follow(active.generation))
        }
        Some(stale) => {
            tracing::info!(generation = stale.generation, versions = %stale.versions, "projection versions changed: rebuilding the read models");
            let db = ReadDb::open(&Location::of(&home, stale.generation)).await?;
            let generation = match building {
                Some(generation) => generation,
                None => new_generation(&store, &home).await?,
            };
            (db, Target::Build(generation))
        }
        None => {
            let generation = match building {
                Some(generation) => generation,
                None => new_generation(&store, &home).await?,
            };
            let db = ReadDb::open(&Location::of(&home, generation)).await?;
            (db, Target::Build(generation))
        }
    };
    let applied = checkpoint(&serving).await?;
    let read_side = ReadSide::new(serving, applied);
    let runner = Runner {
        store,
        home,
        read_side: read_side.clone(),
    };
    tokio::spawn(runner.supervise(target));
    Ok(read_side)
}

/// Builds a fresh generation from position 0 with a progress bar, activates it, and removes the
/// generations before the one it replaces (`compact-tracker rebuild`).
pub async fn rebuild(store: &AnyStore, show_progress: bool) -> Result<(i64, i64), RunnerError> {
    let home = &store.read_home();
    let generation = new_generation(store, home).await?;
    let db = ReadDb::open(&Location::of(home, generation)).await?;
    db.defer_indexes().await.map_err(ProjectionError::from)?;
    let head = store.head().await?;
    let bar = if show_progress {
        let bar = ProgressBar::new(u64::try_from(head).unwrap_or(0));
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} rebuilding [{bar:40}] {pos}/{len} events ({per_sec}, {eta} left)",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let position = build_from(store, &db, 0, |applied| {
        bar.set_position(u64::try_from(applied).unwrap_or(0));
    })
    .await?;
    bar.finish_and_clear();
    db.restore_indexes().await.map_err(ProjectionError::from)?;
    db.analyze().await.map_err(ProjectionError::from)?;
    generations::activate(store, generation).await?;
    drop_old_generations(store, home, generation).await;
    Ok((generation, position))
}

enum Target {
    /// Apply new events to this active generation.
    Follow(i64),
    /// Build this generation from 0, then activate it.
    Build(i64),
}

struct Runner {
    store: AnyStore,
    home: Home,
    read_side: ReadSide,
}

impl Runner {
    /// Runs until the process ends, restarting after a failure with a growing pause (a database
    /// restart or a poison event must not stop the read side for good, nor spin). On PostgreSQL,
    /// only the process holding the projection lock runs projections; the others follow the
    /// leader's checkpoints and take over when its session ends.
    async fn supervise(self, mut target: Target) {
        let mut pause = Duration::from_secs(1);
        loop {
            let leadership = match self.lead().await {
                Ok(Some(leadership)) => leadership,
                Ok(None) => {
                    self.observe().await;
                    continue;
                }
                Err(error) => {
                    tracing::warn!(error = %error, "cannot take the projection lock; retrying");
                    tokio::time::sleep(pause).await;
                    continue;
                }
            };
            let result = self.run(target).await;
            drop(leadership);
            match result {
                Ok(()) => return,
                Err(error) => {
                    tracing::error!(error = %error, cause = ?error, retry_in = ?pause, "the projection runner failed; retrying");
                }
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(60));
            target = match generations::active(&self.store).await {
                Ok(Some(active)) if active.versions == current_versions() => {
                    Target::Follow(active.generation)
                }
                Ok(_) | Err(_) => match generations::list(&self.store).await {
                    Ok(all) => match all.iter().find(|g| g.state == "building") {
                        Some(building) => Target::Build(building.generation),
                        None => Target::Follow(0),
                    },
                    Err(_) => Target::Follow(0),
                },
            };
        }
    }

    /// Takes the projection lock: `Some` while this process is the one that runs projections.
    async fn lead(&self) -> Result<Option<Leadership>, sqlx::Error> {
        let AnyStore::Postgres(store) = &self.store else {
            // The embedded store serves one process; it always leads.
            return Ok(Some(Leadership(None)));
        };
        let mut connection = store.pool().acquire().await?.detach();
        let acquired: bool = sqlx::query_scalar("select pg_try_advisory_lock($1)")
            .bind(PROJECTION_LOCK)
            .fetch_one(&mut connection)
            .await?;
        Ok(acquired.then_some(Leadership(Some(connection))))
    }

    /// While another process leads: follow its checkpoints (for read-your-writes waits) and its
    /// generation switches, and return when it is time to try for the lock again.
    async fn observe(&self) {
        let until = tokio::time::Instant::now() + LEADER_RETRY;
        while tokio::time::Instant::now() < until {
            if let Ok(Some(active)) = generations::active(&self.store).await
                && active.versions == current_versions()
            {
                let location = Location::of(&self.home, active.generation);
                if self.read_side.db().location() != &location
                    && let Ok(db) = ReadDb::open(&location).await
                {
                    let applied = checkpoint(&db).await.unwrap_or(0);
                    self.read_side.serve(db, applied);
                }
            }
            if let Ok(applied) = checkpoint(&self.read_side.db()).await {
                self.read_side.advance(applied);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn run(&self, mut target: Target) -> Result<(), RunnerError> {
        loop {
            target = match target {
                Target::Build(generation) => self.build(generation).await?,
                Target::Follow(generation) => self.follow(generation).await?,
            };
        }
    }

    /// Catches a new generation up to the head, activates it and serves reads from it.
    async fn build(&self, generation: i64) -> Result<Target, RunnerError> {
        let db = ReadDb::open(&Location::of(&self.home, generation)).await?;
        let start = checkpoint(&db).await?;
        if start == 0 {
            db.defer_indexes().await.map_err(ProjectionError::from)?;
        }
        let serving_is_building = self.read_side.db().location() == db.location();
        let position = build_from(&self.store, &db, start, |applied| {
            if serving_is_building {
                self.read_side.advance(applied);
            }
        })
        .await?;
        db.restore_indexes().await.map_err(ProjectionError::from)?;
        db.analyze().await.map_err(ProjectionError::from)?;
        // A `rebuild` in another process may have activated a newer generation meanwhile:
        // follow that one rather than replacing it with this older build.
        if let Some(active) = generations::active(&self.store).await?
            && active.generation > generation
            && active.versions == current_versions()
        {
            let db = ReadDb::open(&Location::of(&self.home, active.generation)).await?;
            let applied = checkpoint(&db).await?;
            self.read_side.serve(db, applied);
            return Ok(Target::Follow(active.generation));
        }
        generations::activate(&self.store, generation).await?;
        self.read_side.serve(db, position);
        tracing::info!(generation, position, "read models built and activated");
        drop_old_generations(&self.store, &self.home, generation).await;
        Ok(Target::Follow(generation))
    }

    /// Applies new events as they come, until another generation becomes active.
    async fn follow(&self, generation: i64) -> Result<Target, RunnerError> {
        // After a restart the generation to follow may not be the one serving reads yet.
        let location = Location::of(&self.home, generation);
        if generation > 0 && self.read_side.db().location() != &location {
            let db = ReadDb::open(&location).await?;
            let applied = checkpoint(&db).await?;
            self.read_side.serve(db, applied);
        }
        let db = self.read_side.db();
        // A build that stopped after its last batch but before restoring its indexes gets them
        // now; otherwise there is nothing to do.
        db.restore_indexes().await.map_err(ProjectionError::from)?;
        let mut projector = Projector::new();
        let source = StoreSource(self.store.clone());
        let mut position = checkpoint(&db).await?;
        self.read_side.advance(position);
        let mut head = self.store.head_watch();
        let mut last_poll = tokio::time::Instant::now();
        loop {
            head.borrow_and_update();
            let applied = apply_next(&self.store, &db, &mut projector, &source, position).await?;
            if applied > position {
                position = applied;
                self.read_side.advance(position);
                continue;
            }
            if last_poll.elapsed() >= GENERATION_POLL {
                last_poll = tokio::time::Instant::now();
                if let Some(active) = generations::active(&self.store).await?
                    && active.generation != generation
                {
                    let db = ReadDb::open(&Location::of(&self.home, active.generation)).await?;
                    let applied = checkpoint(&db).await?;
                    self.read_side.serve(db, applied);
                    tracing::info!(
                        generation = active.generation,
                        "switched to a rebuilt generation"
                    );
                    return Ok(Target::Follow(active.generation));
                }
            }
            let _ = tokio::time::timeout(Duration::from_millis(500), head.changed()).await;
        }
    }
}

/// Applies the log after `from` to a generation being built, up to the head, reading each batch
/// while the one before it is written (reading and decoding took a sixth of a rebuild's time);
/// `applied` hears of every batch. Returns the position reached.
async fn build_from(
    store: &AnyStore,
    db: &ReadDb,
    from: i64,
    mut applied: impl FnMut(i64),
) -> Result<i64, RunnerError> {
    let mut projector = Projector::new();
    let source = StoreSource(store.clone());
    let read = |after: i64, limit: i64| {
        let store = store.clone();
        tokio::spawn(async move {
            let events = store.read_all_for_projection(after, limit).await?;
            decode(events, after)
        })
    };
    // Three stages overlap: the next batch is read and decoded, this one is planned in memory,
    // and the previous one is written. Plans are committed in order, each with its checkpoint.
    let mut position = from;
    let mut next = read(position, next_batch(0));
    let mut committing: Option<JoinHandle<Result<i64, ProjectionError>>> = None;
    loop {
        let batch = next
            .await
            .map_err(|error| task_failed("reading the log", &error))??;
        let Some(last) = batch.last().map(|envelope| envelope.position) else {
            if let Some(committed) = finish(committing.take()).await? {
                applied(committed);
            }
            return Ok(position);
        };
        next = read(last, next_batch(batch.len()));
        if projector.reads_tables(&batch)
            && let Some(committed) = finish(committing.take()).await?
        {
            applied(committed);
        }
        let planned = projector.plan(db, &batch, &source).await?;
        if let Some(committed) = finish(committing.take()).await? {
            applied(committed);
        }
        if let Some(planned) = planned {
            let db = db.clone();
            let span = tracing::info_span!("projection_batch", from = position + 1, to = last);
            committing = Some(tokio::spawn(
                async move {
                    let last = planned.last_position();
                    planned.commit(&db).await.map(|()| last)
                }
                .instrument(span),
            ));
        }
        position = last;
    }
}

/// Waits for a batch being written; its last position once committed.
async fn finish(
    committing: Option<JoinHandle<Result<i64, ProjectionError>>>,
) -> Result<Option<i64>, RunnerError> {
    let Some(committing) = committing else {
        return Ok(None);
    };
    let committed = committing
        .await
        .map_err(|error| task_failed("writing a batch", &error))??;
    Ok(Some(committed))
}

fn task_failed(what: &str, error: &tokio::task::JoinError) -> RunnerError {
    RunnerError::Projection(ProjectionError::Source(format!(
        "the task {what} failed: {error}"
    )))
}

/// Applies the next batch after `position` to a live generation; returns the new checkpoint
/// (unchanged if caught up).
async fn apply_next(
    store: &AnyStore,
    db: &ReadDb,
    projector: &mut Projector,
    source: &StoreSource,
    position: i64,
) -> Result<i64, RunnerError> {
    let events = store
        .read_all_for_projection(position, batch_size(Phase::Follow))
        .await?;
    let Some(last_position) = events.last().map(|event| event.position) else {
        return Ok(position);
    };
    let batch = decode(events, position)?;
    let span = tracing::info_span!("projection_batch", from = position + 1, to = last_position);
    projector.apply(db, &batch, source).instrument(span).await?;
    Ok(last_position)
}

/// Turns a batch read after `after` into envelopes, checking that no position is missing.
fn decode(events: Vec<EventToProject>, after: i64) -> Result<Vec<Envelope>, RunnerError> {
    let mut batch = Vec::with_capacity(events.len());
    for (expected, event) in (after + 1..).zip(events) {
        if event.position != expected {
            return Err(ProjectionError::Corrupt {
                position: expected,
                reason: "a position is missing from the log".into(),
            }
            .into());
        }
        let decoded = decode_event(&event)?;
        batch.push(Envelope {
            position: event.position,
            stream_id: event.stream_id,
            recorded_at: event.recorded_at,
            event: decoded,
        });
    }
    Ok(batch)
}

/// Decodes an event read for projection, from its payload text.
fn decode_event(event: &EventToProject) -> Result<Event, ProjectionError> {
    let version = schema_version(event.position, event.schema_version)?;
    Event::from_stored_json(&event.event_type, version, &event.payload)
        .map_err(|error| corrupt(event.position, error.to_string()))
}

/// Decodes an event read whole (a commitment's stream, for its state), taking its payload.
fn decode_recorded(event: RecordedEvent) -> Result<Event, ProjectionError> {
    let version = schema_version(event.position, event.schema_version)?;
    Event::from_stored(&event.event_type, version, event.payload)
        .map_err(|error| corrupt(event.position, error.to_string()))
}

fn schema_version(position: i64, stored: i32) -> Result<u32, ProjectionError> {
    u32::try_from(stored).map_err(|_| corrupt(position, "negative schema version".into()))
}

fn corrupt(position: i64, reason: String) -> ProjectionError {
    ProjectionError::Corrupt { position, reason }
}

async fn checkpoint(db: &ReadDb) -> Result<i64, RunnerError> {
    // Both projections move together; the smaller checkpoint is where to resume.
    let mut position = i64::MAX;
    for projection in compact_projections::ALL {
        let stored = db
            .checkpoint(projection.name)
            .await
            .map_err(ProjectionError::from)?;
        position = position.min(stored.map_or(0, |(position, _)| position));
    }
    Ok(position)
}

async fn new_generation(store: &AnyStore, home: &Home) -> Result<i64, RunnerError> {
    let generation = generations::create(store).await?;
    // A leftover from a crashed build of the same number would hold stale rows: start clean.
    ReadDb::drop_generation(&Location::of(home, generation))
        .await
        .map_err(ProjectionError::from)?;
    Ok(generation)
}

/// Removes generations older than the one just replaced: the replaced one stays for processes that
/// have not switched yet.
async fn drop_old_generations(store: &AnyStore, home: &Home, active: i64) {
    let Ok(all) = generations::list(store).await else {
        return;
    };
    let replaced = all
        .iter()
        .filter(|g| g.generation < active)
        .map(|g| g.generation)
        .max();
    for generation in all.iter().map(|g| g.generation) {
        if generation < active && Some(generation) != replaced {
            let location = Location::of(home, generation);
            if let Err(error) = ReadDb::drop_generation(&location).await {
                tracing::warn!(generation, error = %error, "cannot remove an old read-model generation");
            }
        }
    }
}

/// Loads commitment states for the projector from the event store.
struct StoreSource(AnyStore);

impl StateSource for StoreSource {
    async fn load(
        &self,
        commitment: CommitmentId,
        before_position: i64,
    ) -> Result<CommitmentState, ProjectionError> {
        let stream = StreamId::Commitment(commitment).to_string();
        let recorded = self
            .0
            .read_stream(&stream, 1)
            .await
            .map_err(|error| ProjectionError::Source(error.to_string()))?;
        let mut events: Vec<CommitmentEvent> = Vec::with_capacity(recorded.len());
        for event in recorded
            .into_iter()
            .filter(|e| e.position < before_position)
        {
            let position = event.position;
            match decode_recorded(event)? {
                Event::Commitment(event) => events.push(event),
                other => {
                    return Err(corrupt(
                        position,
                        format!("a {} event in a commitment stream", other.event_type()),
                    ));
                }
            }
        }
        Ok(CommitmentState::fold(&events))
    }
}
