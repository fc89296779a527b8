//! A seeded random history written through the domain's `decide` with a simulated clock: made
//! commitments (some years before they are entered), progress with late reports, revisions,
//! retractions, validations, rejections and withdrawals, each appended at its simulated recording
//! time. Small and independent of the demo generator, so it can also drive property tests.

use std::collections::HashMap;

use compact_events::command::CommitmentCommand;
use compact_events::command::make_commitment::MakeCommitment;
use compact_events::command::register_mechanism::{MechanismState, RegisterMechanism};
use compact_events::command::report_progress::ReportProgress;
use compact_events::command::retract_progress::RetractProgress;
use compact_events::command::revise_commitment::ReviseCommitment;
use compact_events::command::validate_progress::ValidateProgress;
use compact_events::command::withdraw_commitment::WithdrawCommitment;
use compact_events::commitment::CommitmentState;
use compact_events::context::{Actor, Context, Lookup, Role};
use compact_events::decider::Decider;
use compact_events::event::Event;
use compact_events::event::commitment::{CommitmentChanges, Decision, ProgressStatus};
use compact_events::event::mechanism::MechanismKind;
use compact_events::ids::{
    CommitmentId, MechanismId, ObjectiveNumber, Percent, RecommendationId, SdgTargetCode,
};
use compact_events::stream::StreamId;
use compact_tracker::store::{AppendRequest, EventStore, ExpectedVersion, Metadata, NewEvent};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// SplitMix64: a tiny, fixed, well-known generator, so a seed always means the same history.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

struct Everything;

impl Lookup for Everything {
    fn sdg_target_exists(&self, code: &SdgTargetCode) -> bool {
        compact_events::catalogue::sdg_target(code).is_some()
    }
    fn recommendation_exists(&self, _: &RecommendationId) -> bool {
        true
    }
    fn mechanism_exists(&self, _: &MechanismId) -> bool {
        true
    }
}

const MECHANISMS: [(&str, &str); 4] = [
    ("bali-process", "Asia and the Pacific"),
    ("budapest-process", "Europe and Central Asia"),
    ("puebla-process", "Americas"),
    ("rabat-process", "Africa"),
];

const TARGETS: [&str; 6] = ["10.7", "10.c", "8.8", "17.18", "16.9", "5.2"];

/// What a history contains, to check that a test saw every kind of event.
#[derive(Debug, Default)]
pub struct Written {
    pub events: usize,
    pub by_type: HashMap<String, usize>,
}

/// Writes a history of about `steps` commands from 2018 to late 2026.
pub async fn write<S: EventStore>(store: &S, seed: u64, steps: usize) -> Written {
    write_history(store, seed, steps, true).await
}

/// Like [`write`], on a store that already holds a history (the mechanisms exist).
pub async fn write_more<S: EventStore>(store: &S, seed: u64, steps: usize) -> Written {
    write_history(store, seed, steps, false).await
}

async fn write_history<S: EventStore>(
    store: &S,
    seed: u64,
    steps: usize,
    register_mechanisms: bool,
) -> Written {
    let mut rng = Rng::new(seed);
    let mut written = Written::default();
    let mut clock = OffsetDateTime::new_utc(
        Date::from_calendar_date(2018, time::Month::January, 15).unwrap(),
        time::Time::MIDNIGHT,
    );
    let admin = Actor {
        token_id: "history".into(),
        role: Role::Admin,
    };
    for (slug, region) in MECHANISMS.into_iter().filter(|_| register_mechanisms) {
        let id = MechanismId::parse(slug).unwrap();
        let command = RegisterMechanism {
            id: id.clone(),
            name: slug.replace('-', " "),
            kind: MechanismKind::RegionalConsultativeProcess,
            region: Some(region.into()),
        };
        let events = MechanismState::default()
            .decide(command, &context(clock, &admin))
            .unwrap();
        append(
            store,
            &StreamId::Mechanism(id),
            0,
            events,
            clock,
            &mut written,
        )
        .await;
    }
    let mut commitments: Vec<(CommitmentId, CommitmentState)> = Vec::new();
    let end = OffsetDateTime::new_utc(
        Date::from_calendar_date(2026, time::Month::November, 1).unwrap(),
        time::Time::MIDNIGHT,
    );
    let step = (end - clock) / u32::try_from(steps.max(1)).unwrap();
    for _ in 0..steps {
        clock += step + Duration::minutes(i64::try_from(rng.below(600)).unwrap());
        let today = clock.date();
        let make = commitments.is_empty() || rng.chance(22);
        let (index, command) = if make {
            let id = CommitmentId::new(Uuid::from_u64_pair(seed, rng.next()));
            let made_on = today - Duration::days(i64::try_from(rng.below(900)).unwrap());
            let objectives: Vec<ObjectiveNumber> = (0..1 + rng.below(2))
                .map(|_| ObjectiveNumber::new(i64::try_from(1 + rng.below(23)).unwrap()).unwrap())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let targets: Vec<SdgTargetCode> = (0..rng.below(3))
                .map(|_| {
                    SdgTargetCode::parse(TARGETS[usize::try_from(rng.below(6)).unwrap()]).unwrap()
                })
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let mechanism = MECHANISMS[usize::try_from(rng.below(4)).unwrap()].0;
            commitments.push((id, CommitmentState::default()));
            (
                commitments.len() - 1,
                CommitmentCommand::Make(MakeCommitment {
                    commitment_id: id,
                    mechanism_id: MechanismId::parse(mechanism).unwrap(),
                    title: format!("Commitment {}", commitments.len()),
                    description: "A commitment of the test history".into(),
                    gcm_objectives: objectives,
                    sdg_targets: targets,
                    recommendation_ids: vec![],
                    made_on: Some(made_on),
                    due_date: None,
                    indicator: None,
                }),
            )
        } else {
            let index = usize::try_from(rng.below(commitments.len() as u64)).unwrap();
            let state = &commitments[index].1;
            let updates = state.updates.len();
            let pick_seq =
                |rng: &mut Rng| u32::try_from(1 + rng.below(updates.max(1) as u64)).unwrap();
            let command = match rng.below(100) {
                0..=54 => {
                    let made_on = state.commitment.as_ref().map_or(today, |c| c.made_on);
                    let span = (today - made_on).whole_days().max(0);
                    // Mostly recent, sometimes a late report about long ago.
                    let back = if rng.chance(25) {
                        rng.below(u64::try_from(span).unwrap() + 1)
                    } else {
                        rng.below(u64::try_from(span.min(60)).unwrap() + 1)
                    };
                    let statuses = [
                        ProgressStatus::InProgress,
                        ProgressStatus::InProgress,
                        ProgressStatus::Delayed,
                        ProgressStatus::Achieved,
                        ProgressStatus::Discontinued,
                        ProgressStatus::Planned,
                    ];
                    CommitmentCommand::ReportProgress(ReportProgress {
                        status: statuses[usize::try_from(rng.below(6)).unwrap()],
                        effective_date: today - Duration::days(i64::try_from(back).unwrap()),
                        percent_complete: rng
                            .chance(70)
                            .then(|| Percent::new(i64::try_from(rng.below(101)).unwrap()).unwrap()),
                        indicator_value: None,
                        narrative: "Reported".into(),
                        evidence_urls: vec![],
                    })
                }
                55..=64 => CommitmentCommand::ValidateProgress(ValidateProgress {
                    seq: pick_seq(&mut rng),
                    decision: if rng.chance(75) {
                        Decision::Validated
                    } else {
                        Decision::Rejected
                    },
                    note: String::new(),
                }),
                65..=74 => CommitmentCommand::RetractProgress(RetractProgress {
                    seq: pick_seq(&mut rng),
                    reason: "Reported in error".into(),
                }),
                75..=86 => {
                    let mut changes = CommitmentChanges::default();
                    if rng.chance(50) {
                        changes.gcm_objectives = Some(vec![
                            ObjectiveNumber::new(i64::try_from(1 + rng.below(23)).unwrap())
                                .unwrap(),
                        ]);
                    } else if rng.chance(50) {
                        changes.sdg_targets = Some(vec![
                            SdgTargetCode::parse(TARGETS[usize::try_from(rng.below(6)).unwrap()])
                                .unwrap(),
                        ]);
                    } else {
                        let made_on = state.commitment.as_ref().map_or(today, |c| c.made_on);
                        changes.made_on = Some(
                            made_on - Duration::days(i64::try_from(1 + rng.below(200)).unwrap()),
                        );
                    }
                    CommitmentCommand::Revise(ReviseCommitment {
                        changes,
                        reason: "Corrected".into(),
                    })
                }
                _ => CommitmentCommand::Withdraw(WithdrawCommitment {
                    reason: "No longer pursued".into(),
                }),
            };
            (index, command)
        };
        let (id, state) = &commitments[index];
        let Ok(events) = state.decide(command, &context(clock, &admin)) else {
            continue;
        };
        let version = state.version;
        let mut next = state.clone();
        for event in &events {
            next = next.evolve(event);
        }
        let stream = StreamId::Commitment(*id);
        append(store, &stream, version, events, clock, &mut written).await;
        commitments[index].1 = next;
    }
    written
}

fn context<'a>(now: OffsetDateTime, actor: &Actor) -> Context<'a> {
    Context {
        now,
        actor: actor.clone(),
        lookup: &Everything,
    }
}

async fn append<S: EventStore, E: Into<Event>>(
    store: &S,
    stream: &StreamId,
    version: u64,
    events: Vec<E>,
    at: OffsetDateTime,
    written: &mut Written,
) {
    let events: Vec<NewEvent> = events
        .into_iter()
        .map(|event| {
            let event: Event = event.into();
            *written
                .by_type
                .entry(event.event_type().to_owned())
                .or_default() += 1;
            written.events += 1;
            NewEvent {
                event_id: Uuid::now_v7(),
                event_type: event.event_type().to_owned(),
                schema_version: i32::try_from(event.schema_version()).unwrap(),
                payload: event.to_payload(),
                metadata: Metadata {
                    token_id: Some("history".into()),
                    role: "admin".into(),
                    correlation_id: None,
                    causation_id: None,
                },
            }
        })
        .collect();
    let request = AppendRequest {
        stream_id: stream.to_string(),
        expected_version: ExpectedVersion::Exact(i64::try_from(version).unwrap()),
        events,
        idempotency: None,
    };
    store.append_at(request, at).await.unwrap();
}
