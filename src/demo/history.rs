//! The demo history as a stream of decisions, in recording order.
//!
//! [`History::plan`] plans every commitment ([`super::plan`]), then [`History`] yields one
//! [`Decided`] append after another, oldest first: the built-in catalogues and the mechanisms,
//! then every commitment step of every commitment interleaved by its simulated recording time.
//! Each step builds the command a person would have sent, asks the domain's `decide` with
//! `Context.now` set to the simulated time, and folds the events into the commitment's state with
//! `evolve`, exactly as the service does for a request; nothing here writes an event the domain did
//! not decide. The history is pure: no store, no clock, so the same seed and end date give the
//! same decisions (the tests compare two runs).

mod commands;

use std::collections::HashSet;

use compact_events::catalogue::{self, Catalogue};
use compact_events::command::CommitmentCommand;
use compact_events::command::add_recommendation::{AddRecommendation, RecommendationState};
use compact_events::command::add_review_point::{AddReviewPoint, ReviewPointState};
use compact_events::command::load_catalogue::{CatalogueCommand, CatalogueState};
use compact_events::command::register_mechanism::{MechanismState, RegisterMechanism};
use compact_events::command::retract_progress::RetractProgress;
use compact_events::command::validate_progress::ValidateProgress;
use compact_events::command::withdraw_commitment::WithdrawCommitment;
use compact_events::commitment::CommitmentState;
use compact_events::context::{Actor, Context, Lookup, Role};
use compact_events::decider::Decider;
use compact_events::error::DomainError;
use compact_events::event::Event;
use compact_events::event::commitment::{CommitmentEvent, Decision};
use compact_events::ids::{MechanismId, RecommendationId, SdgTargetCode};
use compact_events::stream::StreamId;
use time::macros::{date, time};
use time::{Date, Duration, OffsetDateTime};

use super::mechanisms::MECHANISMS;
use super::plan::{Action, Blueprint, Micros, date_of, plan_commitment};
use super::rng::Rng;
use super::texts;

/// The token id of the demo's secretariat (admin); reporters are `demo-<mechanism slug>`.
pub(crate) const SECRETARIAT_TOKEN: &str = "demo-secretariat";

/// The most commitments a demo plans, whatever `--commitments` or `--events` ask: about 13 million
/// events, a few GB of memory while loading. A guard against a typo with too many zeros.
const MAX_COMMITMENTS: usize = 1_000_000;

/// When the demo's store is first started and the built-in catalogues are loaded.
const CATALOGUES_LOADED: Date = date!(2018 - 01 - 08);
/// The first day mechanisms are registered.
const REGISTRATIONS_START: Date = date!(2018 - 01 - 15);

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Params {
    /// The random seed.
    pub seed: u64,
    /// At least this many commitments.
    pub commitments: usize,
    /// More commitments until the history has about this many events.
    pub events: Option<usize>,
    /// Today: the history is recorded before midnight UTC of this day.
    pub today: Date,
}

/// One append the history decided: events for one stream, with who sent them and when.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decided {
    /// The stream, e.g. `commitment-<uuid>`.
    pub stream_id: String,
    /// The stream's version before these events.
    pub expected_version: i64,
    /// The events decided.
    pub events: Vec<Event>,
    /// The simulated recording time.
    pub at: OffsetDateTime,
    /// Who sent the command.
    pub actor: Actor,
    /// The request id recorded with the events.
    pub correlation_id: String,
}

/// A step the domain refused. The planner avoids these, so one is a bug in the demo; the history
/// skips it and carries on rather than failing a long load.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Skipped {
    /// The stream of the refused step.
    pub stream_id: String,
    /// Why.
    pub reason: String,
}

/// The demo history, yielding decisions in recording order.
pub(crate) struct History {
    seed: u64,
    prelude: std::vec::IntoIter<Decided>,
    blueprints: Vec<Blueprint>,
    /// Every commitment step as (time, commitment, step), sorted.
    order: Vec<(Micros, u32, u16)>,
    next: usize,
    live: Vec<Option<Live>>,
    remaining: Vec<u16>,
    lookup: DemoLookup,
    counter: u64,
}

/// A commitment being played: its state, and the `seq` each planned update got.
#[derive(Default)]
struct Live {
    state: CommitmentState,
    seqs: Vec<(u16, u32)>,
}

/// What decisions look up: the mechanisms registered so far, and the built-in catalogues.
#[derive(Debug, Default)]
struct DemoLookup {
    mechanisms: HashSet<MechanismId>,
}

impl Lookup for DemoLookup {
    fn sdg_target_exists(&self, code: &SdgTargetCode) -> bool {
        catalogue::sdg_target(code).is_some()
    }

    fn recommendation_exists(&self, id: &RecommendationId) -> bool {
        catalogue::grcp7_recommendation(id).is_some()
    }

    fn mechanism_exists(&self, id: &MechanismId) -> bool {
        self.mechanisms.contains(id)
    }
}

impl History {
    /// Plans the whole history. Fails only on a broken built-in catalogue or mechanism table.
    pub(crate) fn plan(params: &Params) -> Result<Self, Skipped> {
        let mut lookup = DemoLookup::default();
        let mut prelude = catalogue_loads()?;
        prelude.extend(registrations(params.seed, &mut lookup)?);
        let base = prelude
            .iter()
            .map(|decided| decided.events.len())
            .sum::<usize>();

        let mut blueprints = Vec::with_capacity(params.commitments.min(MAX_COMMITMENTS));
        let mut planned = base;
        while blueprints.len() < MAX_COMMITMENTS
            && (blueprints.len() < params.commitments
                || params.events.is_some_and(|events| planned < events))
        {
            let index = blueprints.len() as u64;
            let blueprint = plan_commitment(params.seed, index, params.today);
            planned += blueprint.steps.len();
            blueprints.push(blueprint);
        }

        let mut order = Vec::with_capacity(planned - base);
        for (commitment, blueprint) in blueprints.iter().enumerate() {
            let commitment = u32::try_from(commitment).unwrap_or(u32::MAX);
            for (step, planned_step) in blueprint.steps.iter().enumerate() {
                order.push((
                    planned_step.at,
                    commitment,
                    u16::try_from(step).unwrap_or(u16::MAX),
                ));
            }
        }
        // Ties (the same microsecond) fall back to commitment and step order, so the order is
        // total and a commitment's own steps stay in plan order.
        order.sort_unstable();
        let remaining = blueprints
            .iter()
            .map(|b| u16::try_from(b.steps.len()).unwrap_or(u16::MAX))
            .collect();
        let live = std::iter::repeat_with(|| None)
            .take(blueprints.len())
            .collect();
        Ok(Self {
            seed: params.seed,
            prelude: prelude.into_iter(),
            blueprints,
            order,
            next: 0,
            live,
            remaining,
            lookup,
            counter: 0,
        })
    }

    /// How many events the history will yield (fewer only if a step is skipped).
    pub(crate) fn planned_events(&self) -> usize {
        self.prelude
            .as_slice()
            .iter()
            .map(|decided| decided.events.len())
            .sum::<usize>()
            + self.order.len()
            - self.next
    }

    /// How many commitments are planned.
    pub(crate) fn commitments(&self) -> usize {
        self.blueprints.len()
    }

    fn decide_step(&mut self, commitment: usize, step: usize) -> Result<Decided, Skipped> {
        let blueprint = &self.blueprints[commitment];
        let planned = blueprint.steps[step];
        let live = self.live[commitment].get_or_insert_with(Live::default);
        let stream = StreamId::Commitment(blueprint.id);
        let skip = |reason: String| Skipped {
            stream_id: stream.to_string(),
            reason,
        };
        let at = to_time(planned.at);
        let mut rng = Rng::fork(blueprint.seed, step as u64);
        let mechanism = &MECHANISMS[blueprint.mechanism];
        let reporter = reporter(mechanism.slug).map_err(|error| skip(error.to_string()))?;
        let admin = secretariat();
        let (command, actor) = match planned.action {
            Action::Make => {
                let actor = if rng.chance(150) { admin } else { reporter };
                let command = commands::make(blueprint).map_err(skip)?;
                (CommitmentCommand::Make(command), actor)
            }
            Action::Report(report) => (
                CommitmentCommand::ReportProgress(commands::progress(blueprint, &report, &mut rng)),
                reporter,
            ),
            Action::Retract { report } => {
                let seq = seq_of(live, report).ok_or_else(|| skip("no such update".into()))?;
                let reason = (*rng.pick(texts::RETRACTION_REASONS)).to_owned();
                (
                    CommitmentCommand::RetractProgress(RetractProgress { seq, reason }),
                    reporter,
                )
            }
            Action::Review {
                report,
                decision,
                reconsidered,
            } => {
                let seq = seq_of(live, report).ok_or_else(|| skip("no such update".into()))?;
                let note = match (decision, reconsidered) {
                    (Decision::Validated, true) => texts::RECONSIDERED_VALIDATION,
                    (Decision::Rejected, true) => texts::RECONSIDERED_REJECTION,
                    (Decision::Validated, false) => rng.pick(texts::VALIDATION_NOTES),
                    (Decision::Rejected, false) => rng.pick(texts::REJECTION_NOTES),
                };
                let command = ValidateProgress {
                    seq,
                    decision,
                    note: note.to_owned(),
                };
                (CommitmentCommand::ValidateProgress(command), admin)
            }
            Action::Revise(revision) => {
                let actor = if rng.chance(200) { admin } else { reporter };
                let command = commands::revise(
                    blueprint,
                    &live.state,
                    revision,
                    date_of(planned.at),
                    &mut rng,
                )
                .map_err(skip)?;
                (CommitmentCommand::Revise(command), actor)
            }
            Action::Withdraw => {
                let reason = rng
                    .pick(texts::WITHDRAWAL_REASONS)
                    .replace("{year}", &date_of(planned.at).year().to_string());
                (
                    CommitmentCommand::Withdraw(WithdrawCommitment { reason }),
                    reporter,
                )
            }
        };
        let context = Context {
            now: at,
            actor: actor.clone(),
            lookup: &self.lookup,
        };
        let expected_version = i64::try_from(live.state.version).unwrap_or(i64::MAX);
        let events = live
            .state
            .decide(command, &context)
            .map_err(|error| skip(error.to_string()))?;
        for event in &events {
            if let (Action::Report(report), CommitmentEvent::ProgressReported(reported)) =
                (planned.action, event)
            {
                live.seqs.push((report.number, reported.seq));
            }
            live.state = std::mem::take(&mut live.state).evolve(event);
        }
        self.counter += 1;
        Ok(Decided {
            stream_id: stream.to_string(),
            expected_version,
            events: events.into_iter().map(Event::from).collect(),
            at,
            actor,
            correlation_id: correlation(self.seed, self.counter),
        })
    }
}

impl Iterator for History {
    type Item = Result<Decided, Skipped>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(mut decided) = self.prelude.next() {
            self.counter += 1;
            if decided.correlation_id.is_empty() {
                decided.correlation_id = correlation(self.seed, self.counter);
            }
            return Some(Ok(decided));
        }
        let (_, commitment, step) = *self.order.get(self.next)?;
        self.next += 1;
        let commitment = usize::try_from(commitment).unwrap_or(usize::MAX);
        let result = self.decide_step(commitment, usize::from(step));
        // Free a commitment's state after its last step: a million-event history keeps only the
        // commitments still active in memory.
        if let Some(remaining) = self.remaining.get_mut(commitment) {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                self.live[commitment] = None;
            }
        }
        Some(result)
    }
}

/// The built-in catalogues, loaded by the server itself on its first start, exactly as
/// `crate::seed` does; recorded at the start of the demo's timeline.
fn catalogue_loads() -> Result<Vec<Decided>, Skipped> {
    let mut loads = Vec::new();
    let mut second = 0;
    let mut push = |stream: StreamId, events: Result<Vec<Event>, DomainError>| {
        let events = events.map_err(|error| Skipped {
            stream_id: stream.to_string(),
            reason: error.to_string(),
        })?;
        let at = CATALOGUES_LOADED
            .with_time(time!(08:00))
            .assume_utc()
            .saturating_add(Duration::milliseconds(second));
        second += 40;
        loads.push(Decided {
            stream_id: stream.to_string(),
            expected_version: 0,
            events,
            at,
            actor: Actor::system(),
            correlation_id: "seed".to_owned(),
        });
        Ok::<(), Skipped>(())
    };
    let now = CATALOGUES_LOADED.with_time(time!(08:00)).assume_utc();
    let nothing = DemoLookup::default();
    let context = Context {
        now,
        actor: Actor::system(),
        lookup: &nothing,
    };
    let gcm = Catalogue::GcmObjectives.info();
    let sdg = Catalogue::SdgTargets.info();
    push(
        StreamId::GcmObjectives,
        decide_fresh::<CatalogueState>(
            CatalogueCommand::LoadGcmObjectives {
                version: gcm.version.clone(),
                source: gcm.source.clone(),
                objectives: catalogue::gcm_objectives().to_vec(),
            },
            &context,
        ),
    )?;
    push(
        StreamId::SdgTargets,
        decide_fresh::<CatalogueState>(
            CatalogueCommand::LoadSdgTargets {
                version: sdg.version.clone(),
                source: sdg.source.clone(),
                targets: catalogue::sdg_targets().to_vec(),
            },
            &context,
        ),
    )?;
    for recommendation in catalogue::grcp7_recommendations() {
        push(
            StreamId::Recommendation(recommendation.id.clone()),
            decide_fresh::<RecommendationState>(
                AddRecommendation {
                    id: recommendation.id.clone(),
                    text: recommendation.text.clone(),
                    theme: recommendation.theme.clone(),
                    source: recommendation.source.clone(),
                },
                &context,
            ),
        )?;
    }
    for review_point in catalogue::review_points() {
        push(
            StreamId::ReviewPoint(review_point.id.clone()),
            decide_fresh::<ReviewPointState>(
                AddReviewPoint {
                    review_point: review_point.clone(),
                },
                &context,
            ),
        )?;
    }
    Ok(loads)
}

/// The secretariat registers every mechanism over the first weeks of 2018.
fn registrations(seed: u64, lookup: &mut DemoLookup) -> Result<Vec<Decided>, Skipped> {
    let mut rng = Rng::fork(seed, u64::MAX);
    let mut registrations = Vec::with_capacity(MECHANISMS.len());
    let mut day = REGISTRATIONS_START;
    for (index, mechanism) in MECHANISMS.iter().enumerate() {
        let stream_id = format!("mechanism-{}", mechanism.slug);
        let invalid = |reason: String| Skipped {
            stream_id: stream_id.clone(),
            reason,
        };
        let id = MechanismId::parse(mechanism.slug).map_err(|error| invalid(error.to_string()))?;
        // Two or three a working day, in the order of the table.
        if index > 0 && rng.chance(400) {
            day += Duration::days(if day.weekday() == time::Weekday::Friday {
                3
            } else {
                1
            });
        }
        let at = day.midnight().assume_utc()
            + Duration::seconds(rng.between(8 * 3_600, 17 * 3_600))
            + Duration::seconds(i64::try_from(index).unwrap_or(0));
        let context = Context {
            now: at,
            actor: secretariat(),
            lookup,
        };
        let events = decide_fresh::<MechanismState>(
            RegisterMechanism {
                id: id.clone(),
                name: mechanism.name.to_owned(),
                kind: mechanism.kind,
                region: Some(mechanism.region.to_owned()),
            },
            &context,
        )
        .map_err(|error| invalid(error.to_string()))?;
        lookup.mechanisms.insert(id);
        registrations.push(Decided {
            stream_id: stream_id.clone(),
            expected_version: 0,
            events,
            at,
            actor: secretariat(),
            // Numbered with the other requests when the history yields it.
            correlation_id: String::new(),
        });
    }
    // Registrations are made in order but their times of day are random: keep them sorted so the
    // log's recording times never go back.
    registrations.sort_by_key(|decided| decided.at);
    Ok(registrations)
}

/// Decides a command on a stream that does not exist yet.
fn decide_fresh<D>(command: D::Command, context: &Context<'_>) -> Result<Vec<Event>, DomainError>
where
    D: Decider,
    D::Event: Into<Event>,
{
    Ok(D::default()
        .decide(command, context)?
        .into_iter()
        .map(Into::into)
        .collect())
}

fn secretariat() -> Actor {
    Actor {
        token_id: SECRETARIAT_TOKEN.to_owned(),
        role: Role::Admin,
    }
}

fn reporter(slug: &str) -> Result<Actor, compact_events::ids::ParseError> {
    Ok(Actor {
        token_id: format!("demo-{slug}"),
        role: Role::Reporter {
            mechanism: MechanismId::parse(slug)?,
        },
    })
}

fn correlation(seed: u64, counter: u64) -> String {
    format!("demo-{seed}-{counter}")
}

fn seq_of(live: &Live, number: u16) -> Option<u32> {
    live.seqs
        .iter()
        .find(|(planned, _)| *planned == number)
        .map(|(_, seq)| *seq)
}

fn to_time(at: Micros) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
