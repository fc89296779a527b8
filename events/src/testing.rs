//! The given/when/then harness for domain tests (STYLE.md point 5), with a fixed clock and a
//! catalogue lookup that knows a few ids.
//!
//! ```text
//! given::<CommitmentState>([made()])
//!     .when(CommitmentCommand::Withdraw(..))
//!     .then([CommitmentEvent::CommitmentWithdrawn { .. }]);
//! ```

use std::fmt::Debug;

use time::macros::datetime;
use time::{Date, OffsetDateTime};

use crate::context::{Actor, Context, Lookup, Role};
use crate::decider::Decider;
use crate::error::DomainError;
use crate::event::commitment::{CommitmentEvent, ProgressReported, ProgressStatus};
use crate::event::samples;
use crate::ids::{CommitmentId, MechanismId, RecommendationId, SdgTargetCode};

/// The clock of every test unless it says otherwise: 15 June 2025, noon UTC.
pub(crate) const NOW: OffsetDateTime = datetime!(2025-06-15 12:00 UTC);

/// A stream with some history, waiting for a command.
pub(crate) struct Given<S> {
    state: S,
    now: OffsetDateTime,
}

/// What a decision returned, waiting to be checked.
pub(crate) struct Then<E> {
    result: Result<Vec<E>, DomainError>,
}

/// Starts a scenario from the stream's past events.
pub(crate) fn given<S: Decider>(history: impl IntoIterator<Item = S::Event>) -> Given<S> {
    let history: Vec<S::Event> = history.into_iter().collect();
    Given {
        state: S::fold(&history),
        now: NOW,
    }
}

impl<S: Decider> Given<S> {
    /// Moves the clock.
    pub(crate) fn at(self, now: OffsetDateTime) -> Self {
        Self { now, ..self }
    }

    /// Decides `command` as an admin would send it.
    pub(crate) fn when(self, command: S::Command) -> Then<S::Event> {
        let context = Context {
            now: self.now,
            actor: Actor {
                token_id: "tok_test".to_owned(),
                role: Role::Admin,
            },
            lookup: &KnownIds,
        };
        Then {
            result: self.state.decide(command, &context),
        }
    }
}

impl<E: Debug + PartialEq> Then<E> {
    /// Asserts the decision recorded exactly these events.
    #[track_caller]
    pub(crate) fn then(self, expected: impl IntoIterator<Item = E>) {
        assert_eq!(self.result, Ok(expected.into_iter().collect()));
    }

    /// Asserts the decision refused the command with exactly this error.
    #[track_caller]
    pub(crate) fn then_error(self, expected: DomainError) {
        assert_eq!(self.result, Err(expected));
    }
}

/// A catalogue that knows two mechanisms, five SDG targets and two recommendations.
pub(crate) struct KnownIds;

impl Lookup for KnownIds {
    fn sdg_target_exists(&self, code: &SdgTargetCode) -> bool {
        ["10.7", "10.c", "8.8", "5.2", "17.18"].contains(&code.as_str())
    }
    fn recommendation_exists(&self, id: &RecommendationId) -> bool {
        ["grcp7-6.1", "grcp7-6.2"].contains(&id.as_str())
    }
    fn mechanism_exists(&self, id: &MechanismId) -> bool {
        ["bali-process", "budapest-process"].contains(&id.as_str())
    }
}

/// The id of the sample commitment.
pub(crate) fn commitment_id() -> CommitmentId {
    samples::commitment().commitment_id
}

/// The sample commitment being made: Bali Process, objective 3, SDG 10.7, made on 1 June 2019,
/// due 31 December 2022, with an indicator.
pub(crate) fn made() -> CommitmentEvent {
    CommitmentEvent::CommitmentMade(samples::commitment())
}

/// A plain in-progress update with this sequence number and effective date.
pub(crate) fn reported(seq: u32, effective_date: Date) -> CommitmentEvent {
    CommitmentEvent::ProgressReported(report(seq, effective_date, ProgressStatus::InProgress))
}

/// A progress report with no percent, indicator value or evidence.
pub(crate) fn report(seq: u32, effective_date: Date, status: ProgressStatus) -> ProgressReported {
    ProgressReported {
        seq,
        status,
        effective_date,
        percent_complete: None,
        indicator_value: None,
        narrative: format!("Update {seq}."),
        evidence_urls: Vec::new(),
    }
}
