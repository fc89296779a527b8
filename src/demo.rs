//! `compact-tracker demo`: loads a realistic, deterministic history into an empty store.
//!
//! The history runs from January 2018 to yesterday: the server's first start (the built-in
//! catalogues), the secretariat registering the 29 mechanisms that took part in GRCP 7 and their
//! partners, then commitments aligned to GCM objectives, SDG targets and GRCP 7 recommendations,
//! each with years of progress updates — late reports, backfills after IMRF 2022, revisions,
//! retractions, the secretariat's validations and rejections (and changes of mind), withdrawals,
//! and mechanisms that stopped reporting 12–24 or over 24 months ago. A newcomer runs it once and
//! every dashboard, freshness state, `as_of` and `known_at` view has something true to show.
//!
//! # Layout
//!
//! - this module: [`run`], which checks the store, streams the history into it and reports;
//! - `rng`: SplitMix64, the seeded random numbers (a stable stream is part of the promise);
//! - `mechanisms`, `templates`, `texts`: what the history says;
//! - `plan`: one commitment's life as a list of timed steps (`plan/steps.rs`: what happens to each
//!   update after it is recorded);
//! - `history`: all steps in recording order, each decided by the domain
//!   (`history/commands.rs`: the commands and their words).
//!
//! # Same path as a request
//!
//! Every append is a command decided by the domain's `decide` on the stream's folded state, with
//! `Context.now` set to the simulated recording time, appended with `ExpectedVersion::Exact` and
//! metadata naming a demo token (`demo-secretariat`, `demo-<mechanism>`) and a correlation id.
//! The built-in catalogues come first, as the `system` actor with the commands `crate::seed`
//! uses, so a later start finds them and adds nothing. Only the clock differs from a request:
//! appends go through [`EventStore::append_at`] so that `recorded_at` is the simulated time and
//! `known_at` views of the past mean something.
//!
//! # Determinism
//!
//! The history depends on the seed and today's date only (the timeline ends at midnight UTC
//! today); commitment ids are UUIDv7s built from the simulated time and seeded random bits. Event
//! ids are fresh UUIDv7s, as for any append.
//!
//! # Throughput
//!
//! Appends are issued in history order and kept in flight 3,000 at a time, so the store's
//! group commit writes them in batches of up to 2,000 events per transaction. One task issues
//! them, outside tokio's cooperative budget, so each append reaches the store's FIFO queue on its
//! first poll, in history order: positions follow simulated time, and several appends to one
//! stream may be in flight together because the writer applies them in order. (Should an append
//! ever overtake an earlier one of its stream, it is refused and sent again; see
//! `append_in_order`.)
//!
//! # Running it twice
//!
//! The history starts in 2018 and recording times never decrease along the log, so it can only be
//! loaded into an empty store. On a store that already holds the demo (found by the secretariat's
//! token on the first mechanism) the demo says so and adds nothing; on any other non-empty store it
//! refuses with an error. (A load that was interrupted leaves part of the demo behind, which a
//! second run also reports as present: start again with a fresh database.)

mod history;
mod mechanisms;
mod plan;
mod rng;
mod templates;
mod texts;

#[cfg(test)]
mod tests;

use std::fmt;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use compact_events::event::Event;
use compact_events::event::commitment::CommitmentEvent;
use compact_events::event::mechanism::MechanismEvent;
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::DemoArgs;
use crate::store::{
    AppendRequest, AppendResult, EventStore, ExpectedVersion, Metadata, StoreError,
};
use crate::write::{new_event, role_name};

use self::history::{Decided, History, Params, SECRETARIAT_TOKEN};
use self::mechanisms::MECHANISMS;
use self::plan::FIRST_COMMITMENT;

/// How many appends are in flight at once: enough to fill the group commit's batches (2,000
/// events) while the next ones are being decided, well under its queue depth (4,096).
const IN_FLIGHT: usize = 3_000;

/// What the demo wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct DemoReport {
    /// Mechanisms registered.
    pub mechanisms: u64,
    /// Commitments made.
    pub commitments: u64,
    /// Progress updates logged (corrections included).
    pub progress_updates: u64,
    /// Commitment revisions.
    pub revisions: u64,
    /// Progress updates retracted.
    pub retractions: u64,
    /// Validation decisions by the secretariat, rejections included.
    pub validations: u64,
    /// Of those, rejections.
    pub rejections: u64,
    /// Commitments withdrawn.
    pub withdrawals: u64,
    /// Events appended in all (catalogues included).
    pub events: u64,
    /// Planned steps the domain refused and the demo skipped (0 unless the demo has a bug).
    pub skipped: u64,
    /// How long the load took.
    pub elapsed: Duration,
    /// Set when the store already held the demo: nothing was added, and `events` is the number of
    /// events already in the store.
    pub already_present: bool,
}

impl DemoReport {
    /// Events appended per second of the load.
    pub fn events_per_second(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.events as f64 / seconds
        } else {
            0.0
        }
    }

    fn count(&mut self, event: &Event) {
        self.events += 1;
        match event {
            Event::Mechanism(MechanismEvent::MechanismRegistered(_)) => self.mechanisms += 1,
            Event::Commitment(event) => match event {
                CommitmentEvent::CommitmentMade(_) => self.commitments += 1,
                CommitmentEvent::CommitmentRevised { .. } => self.revisions += 1,
                CommitmentEvent::ProgressReported(_) => self.progress_updates += 1,
                CommitmentEvent::ProgressValidated(_) => self.validations += 1,
                CommitmentEvent::ProgressRejected(_) => {
                    self.validations += 1;
                    self.rejections += 1;
                }
                CommitmentEvent::ProgressRetracted { .. } => self.retractions += 1,
                CommitmentEvent::CommitmentWithdrawn { .. } => self.withdrawals += 1,
            },
            Event::Recommendation(_) | Event::ReviewPoint(_) | Event::Catalogue(_) => {}
        }
    }
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.already_present {
            return write!(
                f,
                "demo data already present ({} events in the store); nothing added — load it into a fresh database to start over",
                self.events
            );
        }
        write!(
            f,
            "demo data loaded: {} mechanisms, {} commitments, {} progress updates, {} revisions, \
             {} retractions, {} validations ({} rejections), {} withdrawals; {} events in {:.1} s \
             ({:.0} events/s)",
            self.mechanisms,
            self.commitments,
            self.progress_updates,
            self.revisions,
            self.retractions,
            self.validations,
            self.rejections,
            self.withdrawals,
            self.events,
            self.elapsed.as_secs_f64(),
            self.events_per_second()
        )?;
        if self.skipped > 0 {
            write!(f, "; {} planned steps skipped", self.skipped)?;
        }
        Ok(())
    }
}

/// Why the demo could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The store holds other data: the demo's history starts in 2018 and recording times never go
    /// back, so it needs an empty store.
    #[error(
        "the store already holds {events} events (the latest recorded at {latest}), and the demo history starts in January 2018; load it into an empty database, before anything else writes to it"
    )]
    NotEmpty {
        /// Events in the store.
        events: i64,
        /// When the latest was recorded.
        latest: String,
    },
    /// Today is before the demo's timeline can start.
    #[error("the system clock says {0}, but the demo history needs a date after March 2018")]
    Clock(time::Date),
    /// The demo's own tables could not be read by the domain (a bug in the demo).
    #[error("the demo data set is inconsistent at {stream_id}: {reason}")]
    Inconsistent {
        /// The stream.
        stream_id: String,
        /// What the domain said.
        reason: String,
    },
    /// The store failed.
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
}

/// Loads the demo history into `store`, which must be empty (or already hold the demo).
///
/// The timeline ends at midnight UTC today; `args` sets the seed and size. Shows a progress bar on
/// standard error unless `args.quiet` is set or standard error is not a terminal.
pub async fn run<S: EventStore>(store: &S, args: &DemoArgs) -> Result<DemoReport, DemoError> {
    let params = Params {
        seed: args.seed,
        commitments: args.commitments,
        events: args.events,
        today: OffsetDateTime::now_utc().date(),
    };
    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        visible_bar()
    };
    load(store, &params, bar).await
}

/// [`run`] with explicit parameters and progress bar (the tests fix today's date).
async fn load<S: EventStore>(
    store: &S,
    params: &Params,
    bar: ProgressBar,
) -> Result<DemoReport, DemoError> {
    if params.today <= FIRST_COMMITMENT {
        return Err(DemoError::Clock(params.today));
    }
    if let Some(report) = check_store(store).await? {
        return Ok(report);
    }
    let started = Instant::now();
    let history = History::plan(params).map_err(|skipped| DemoError::Inconsistent {
        stream_id: skipped.stream_id,
        reason: skipped.reason,
    })?;
    bar.set_length(history.planned_events() as u64);
    bar.set_message(format!("{} commitments", history.commitments()));
    tracing::debug!(
        commitments = history.commitments(),
        events = history.planned_events(),
        "demo history planned"
    );

    let mut report = DemoReport::default();
    let mut skipped = 0_u64;
    let decided = history.filter_map(|item| match item {
        Ok(decided) => Some(decided),
        Err(step) => {
            skipped += 1;
            tracing::warn!(stream_id = %step.stream_id, reason = %step.reason, "demo step skipped");
            None
        }
    });
    // Unconstrained: without tokio's cooperative budget, the first poll of each append always
    // reaches the store's queue, so appends reach the writer in the order they are issued.
    let loaded = tokio::task::unconstrained(async {
        let mut appends = futures_util::stream::iter(decided)
            .map(|decided| async move {
                let result = append_in_order(store, &decided).await;
                (result, decided)
            })
            .buffered(IN_FLIGHT);
        while let Some((result, decided)) = appends.next().await {
            result?;
            let before = report.events;
            for event in &decided.events {
                report.count(event);
            }
            bar.inc(decided.events.len() as u64);
            if before / 4_096 != report.events / 4_096 {
                let (year, month) = (decided.at.year(), u8::from(decided.at.month()));
                bar.set_message(format!("at {year}-{month:02}"));
            }
        }
        Ok::<(), DemoError>(())
    })
    .await;
    bar.finish_and_clear();
    loaded?;
    report.skipped = skipped;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// `Some(report)` if the store already holds the demo, `None` if it is empty, an error otherwise.
async fn check_store<S: EventStore>(store: &S) -> Result<Option<DemoReport>, DemoError> {
    let head = store.head().await?;
    if head == 0 {
        return Ok(None);
    }
    let first_mechanism = format!("mechanism-{}", MECHANISMS[0].slug);
    let registered = store.read_stream(&first_mechanism, 1).await?;
    let demo_present = registered
        .first()
        .is_some_and(|event| event.metadata.token_id.as_deref() == Some(SECRETARIAT_TOKEN));
    if demo_present {
        return Ok(Some(DemoReport {
            events: u64::try_from(head).unwrap_or_default(),
            already_present: true,
            ..DemoReport::default()
        }));
    }
    let latest = store
        .read_all(head - 1, 1)
        .await?
        .first()
        .and_then(|event| event.recorded_at.format(&Rfc3339).ok())
        .unwrap_or_default();
    Err(DemoError::NotEmpty {
        events: head,
        latest,
    })
}

/// Appends one decision at its simulated time.
///
/// Appends to one stream are issued in order and reach the writer in that order, so the expected
/// version is met. Should an earlier append to the same stream ever arrive after this one, the
/// store refuses this one (nothing is written) with the stream still behind; it is then sent
/// again once the earlier one had time to land.
async fn append_in_order<S: EventStore>(
    store: &S,
    decided: &Decided,
) -> Result<AppendResult, StoreError> {
    let mut attempts = 0;
    loop {
        let (request, at) = to_request(decided);
        match store.append_at(request, at).await {
            Err(StoreError::WrongExpectedVersion { actual, .. })
                if actual < decided.expected_version && attempts < 500 =>
            {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            result => return result,
        }
    }
}

/// The append for a decision, as `crate::write::Executor::execute` builds it, with its simulated
/// time.
fn to_request(decided: &Decided) -> (AppendRequest, OffsetDateTime) {
    let metadata = Metadata {
        token_id: Some(decided.actor.token_id.clone()),
        role: role_name(&decided.actor.role).to_owned(),
        correlation_id: Some(decided.correlation_id.clone()),
        causation_id: None,
    };
    let events = decided
        .events
        .iter()
        .map(|event| new_event(event, metadata.clone()))
        .collect();
    let request = AppendRequest {
        stream_id: decided.stream_id.clone(),
        expected_version: ExpectedVersion::Exact(decided.expected_version),
        events,
        idempotency: None,
    };
    (request, decided.at)
}

fn visible_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    // Short enough for an 80-column terminal, so the bar never wraps.
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{bar:20}] {human_pos}/{human_len} events {rate} eta {eta} {msg}",
    ) {
        let style = style
            .with_key("rate", |state: &ProgressState, out: &mut dyn fmt::Write| {
                let _ = write!(out, "{:.0}/s", state.per_sec());
            })
            .progress_chars("=> ");
        bar.set_style(style);
    }
    bar.set_message("planning");
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
