//! Property test: random command sequences against one commitment stream.
//!
//! Whatever is asked, in whatever order, `decide` never panics and `decide` + `evolve` keep the
//! stream's invariants:
//! - progress sequence numbers run 1, 2, 3, … with no gap or repeat;
//! - the state's version is the number of events recorded;
//! - a withdrawn commitment records nothing more;
//! - no counted update is effective before `made_on`, and no due date precedes `made_on`;
//! - every recorded event survives the store's columns (payload, type, version) unchanged;
//! - folding the whole history from scratch gives the state built step by step.

use proptest::collection::vec;
use proptest::prelude::*;
use time::{Date, Duration};

use crate::command::CommitmentCommand;
use crate::command::make_commitment::MakeCommitment;
use crate::command::report_progress::ReportProgress;
use crate::command::retract_progress::RetractProgress;
use crate::command::revise_commitment::ReviseCommitment;
use crate::command::validate_progress::ValidateProgress;
use crate::command::withdraw_commitment::WithdrawCommitment;
use crate::commitment::CommitmentState;
use crate::commitment::query::CommitmentStatus;
use crate::context::{Actor, Context};
use crate::decider::Decider;
use crate::error::DomainError;
use crate::event::Event;
use crate::event::commitment::{CommitmentChanges, CommitmentEvent, Decision, ProgressStatus};
use crate::ids::{MechanismId, ObjectiveNumber, Percent, SdgTargetCode};
use crate::quantity::Quantity;
use crate::testing::{KnownIds, NOW, commitment_id};

fn day() -> impl Strategy<Value = Date> {
    // Mostly past days, some in the future, so both sides of every date rule are exercised.
    (-2_500i64..=5).prop_map(|offset| NOW.date() + Duration::days(offset))
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), Just(" ".to_owned()), "[a-z]{1,8}"]
}

fn objectives() -> impl Strategy<Value = Vec<ObjectiveNumber>> {
    vec(1i64..=23, 0..3).prop_map(|numbers| {
        numbers
            .into_iter()
            .filter_map(|number| ObjectiveNumber::new(number).ok())
            .collect()
    })
}

fn targets() -> impl Strategy<Value = Vec<SdgTargetCode>> {
    vec(prop::sample::select(vec!["10.7", "10.c", "16.9"]), 0..3).prop_map(|codes| {
        codes
            .into_iter()
            .filter_map(|code| SdgTargetCode::parse(code).ok())
            .collect()
    })
}

fn make() -> impl Strategy<Value = CommitmentCommand> {
    let mechanism = prop::sample::select(vec!["bali-process", "nowhere-process"]);
    (
        mechanism,
        text(),
        objectives(),
        targets(),
        proptest::option::of(day()),
        proptest::option::of(day()),
    )
        .prop_map(
            |(mechanism, title, gcm_objectives, sdg_targets, made_on, due_date)| {
                CommitmentCommand::Make(MakeCommitment {
                    commitment_id: commitment_id(),
                    mechanism_id: MechanismId::parse(mechanism).expect("slug"),
                    title,
                    description: String::new(),
                    gcm_objectives,
                    sdg_targets,
                    recommendation_ids: Vec::new(),
                    made_on,
                    due_date,
                    indicator: None,
                })
            },
        )
}

fn report() -> impl Strategy<Value = CommitmentCommand> {
    let status = prop::sample::select(vec![
        ProgressStatus::Planned,
        ProgressStatus::InProgress,
        ProgressStatus::Delayed,
        ProgressStatus::Achieved,
        ProgressStatus::Discontinued,
    ]);
    let url = prop::sample::select(vec!["https://example.org/a", "not a url"]);
    (
        status,
        day(),
        proptest::option::of(0i64..=100),
        text(),
        vec(url, 0..2),
    )
        .prop_map(|(status, effective_date, percent, narrative, urls)| {
            CommitmentCommand::ReportProgress(ReportProgress {
                status,
                effective_date,
                percent_complete: percent.and_then(|p| Percent::new(p).ok()),
                indicator_value: None::<Quantity>,
                narrative,
                evidence_urls: urls.into_iter().map(str::to_owned).collect(),
            })
        })
}

fn revise() -> impl Strategy<Value = CommitmentCommand> {
    let due = proptest::option::of(proptest::option::of(day()));
    (
        proptest::option::of(text()),
        proptest::option::of(day()),
        due,
        proptest::option::of(objectives()),
        text(),
    )
        .prop_map(|(title, made_on, due_date, gcm_objectives, reason)| {
            CommitmentCommand::Revise(ReviseCommitment {
                changes: CommitmentChanges {
                    title,
                    made_on,
                    due_date,
                    gcm_objectives,
                    ..CommitmentChanges::default()
                },
                reason,
            })
        })
}

fn command() -> impl Strategy<Value = CommitmentCommand> {
    prop_oneof![
        2 => make(),
        4 => report(),
        1 => (0u32..6, text()).prop_map(|(seq, reason)| {
            CommitmentCommand::RetractProgress(RetractProgress { seq, reason })
        }),
        2 => (0u32..6, any::<bool>(), text()).prop_map(|(seq, rejected, note)| {
            let decision = if rejected { Decision::Rejected } else { Decision::Validated };
            CommitmentCommand::ValidateProgress(ValidateProgress { seq, decision, note })
        }),
        2 => revise(),
        1 => text().prop_map(|reason| CommitmentCommand::Withdraw(WithdrawCommitment { reason })),
    ]
}

proptest! {
    #[test]
    fn random_command_sequences_keep_the_commitment_invariants(commands in vec(command(), 0..40)) {
        let mut state = CommitmentState::default();
        let mut history: Vec<CommitmentEvent> = Vec::new();
        for (step, command) in commands.into_iter().enumerate() {
            // The clock moves a day per command, so withdrawals and "today" rules vary too.
            let now = NOW + Duration::days(i64::try_from(step).unwrap_or_default());
            let context = Context { now, actor: Actor::system(), lookup: &KnownIds };
            let was_withdrawn = state.withdrawal.is_some();
            let next_seq = state.next_seq();
            let is_make = matches!(command, CommitmentCommand::Make(_));
            match state.decide(command, &context) {
                Ok(events) => {
                    prop_assert!(!was_withdrawn, "a withdrawn commitment recorded {events:?}");
                    prop_assert_eq!(events.len(), 1);
                    for event in events {
                        if let CommitmentEvent::ProgressReported(report) = &event {
                            prop_assert_eq!(report.seq, next_seq);
                        }
                        let stored = Event::from(event.clone());
                        let read = Event::from_stored(stored.event_type(), stored.schema_version(), stored.to_payload());
                        prop_assert_eq!(read, Ok(stored));
                        state = state.evolve(&event);
                        history.push(event);
                    }
                }
                Err(error) => {
                    if was_withdrawn && !is_make {
                        prop_assert_eq!(error, DomainError::Withdrawn { commitment_id: commitment_id() });
                    } else {
                        prop_assert!(!error.to_string().is_empty());
                    }
                }
            }
            prop_assert_eq!(state.version, u64::try_from(history.len()).unwrap_or_default());
            let seqs: Vec<u32> = state.updates.iter().map(|update| update.report.seq).collect();
            let expected: Vec<u32> = (1..=u32::try_from(seqs.len()).unwrap_or_default()).collect();
            prop_assert_eq!(seqs, expected);
            if let Some(commitment) = &state.commitment {
                prop_assert!(commitment.made_on <= context.today());
                prop_assert!(commitment.due_date.is_none_or(|due| due >= commitment.made_on));
                for update in state.updates.iter().filter(|update| !update.is_retracted()) {
                    prop_assert!(update.report.effective_date >= commitment.made_on);
                }
                let today = context.today();
                let status = state.status_as_of(today, false);
                prop_assert_eq!(status == Some(CommitmentStatus::Withdrawn), state.withdrawal.is_some());
                let _ = (state.status_as_of(today, true), state.percent_as_of(today, false));
            }
        }
        prop_assert_eq!(CommitmentState::fold(&history), state);
    }
}
