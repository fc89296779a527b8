//! `ValidateProgress`: the secretariat validates or rejects a progress update
//! (`POST /v1/commitments/{id}/progress/{seq}/validation`).
//!
//! Rules:
//! - the commitment exists and is not withdrawn;
//! - the update exists ([`DomainError::UnknownUpdate`], 404) and is not retracted
//!   ([`DomainError::AlreadyRetracted`], 409: there is nothing left to judge);
//! - the note is at most 2,000 characters and may be empty;
//! - repeating the decision the update already carries is refused ([`DomainError::AlreadyDecided`],
//!   409), while the other decision is accepted: the secretariat may change its mind, and the
//!   change is a new event beside the first.

use crate::commitment::CommitmentState;
use crate::context::Context;
use crate::error::DomainError;
use crate::event::commitment::{CommitmentEvent, Decision, ProgressReview};
use crate::rules::{self, NOTE_MAX};

/// Records the secretariat's decision on a progress update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidateProgress {
    /// The update judged.
    pub seq: u32,
    /// Validated or rejected.
    pub decision: Decision,
    /// The secretariat's note.
    pub note: String,
}

impl ValidateProgress {
    /// Decides whether the decision can be recorded.
    pub fn decide(
        self,
        state: &CommitmentState,
        _context: &Context<'_>,
    ) -> Result<Vec<CommitmentEvent>, DomainError> {
        state.writable()?;
        let update = state
            .update(self.seq)
            .ok_or(DomainError::UnknownUpdate { seq: self.seq })?;
        if update.is_retracted() {
            return Err(DomainError::AlreadyRetracted { seq: self.seq });
        }
        rules::optional_text("note", &self.note, NOTE_MAX)?;
        if update.validation.decision() == Some(self.decision) {
            return Err(DomainError::AlreadyDecided {
                seq: self.seq,
                decision: self.decision,
            });
        }
        let review = ProgressReview {
            seq: self.seq,
            note: self.note,
        };
        Ok(vec![match self.decision {
            Decision::Validated => CommitmentEvent::ProgressValidated(review),
            Decision::Rejected => CommitmentEvent::ProgressRejected(review),
        }])
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::command::CommitmentCommand;
    use crate::testing::{given, made, reported};

    fn decide(seq: u32, decision: Decision) -> CommitmentCommand {
        CommitmentCommand::ValidateProgress(ValidateProgress {
            seq,
            decision,
            note: "Checked.".to_owned(),
        })
    }

    fn review(seq: u32) -> ProgressReview {
        ProgressReview {
            seq,
            note: "Checked.".to_owned(),
        }
    }

    #[test]
    fn a_submitted_update_can_be_validated() {
        given::<CommitmentState>([made(), reported(1, date!(2021 - 03 - 31))])
            .when(decide(1, Decision::Validated))
            .then([CommitmentEvent::ProgressValidated(review(1))]);
    }

    #[test]
    fn a_submitted_update_can_be_rejected_with_an_empty_note() {
        given::<CommitmentState>([made(), reported(1, date!(2021 - 03 - 31))])
            .when(CommitmentCommand::ValidateProgress(ValidateProgress {
                seq: 1,
                decision: Decision::Rejected,
                note: String::new(),
            }))
            .then([CommitmentEvent::ProgressRejected(ProgressReview {
                seq: 1,
                note: String::new(),
            })]);
    }

    #[test]
    fn the_same_decision_twice_is_refused() {
        given::<CommitmentState>([
            made(),
            reported(1, date!(2021 - 03 - 31)),
            CommitmentEvent::ProgressValidated(review(1)),
        ])
        .when(decide(1, Decision::Validated))
        .then_error(DomainError::AlreadyDecided {
            seq: 1,
            decision: Decision::Validated,
        });
    }

    #[test]
    fn the_secretariat_may_change_its_mind() {
        given::<CommitmentState>([
            made(),
            reported(1, date!(2021 - 03 - 31)),
            CommitmentEvent::ProgressValidated(review(1)),
        ])
        .when(decide(1, Decision::Rejected))
        .then([CommitmentEvent::ProgressRejected(review(1))]);
    }

    #[test]
    fn an_unknown_update_cannot_be_validated() {
        given::<CommitmentState>([made()])
            .when(decide(1, Decision::Validated))
            .then_error(DomainError::UnknownUpdate { seq: 1 });
    }

    #[test]
    fn a_retracted_update_cannot_be_validated() {
        given::<CommitmentState>([
            made(),
            reported(1, date!(2021 - 03 - 31)),
            CommitmentEvent::ProgressRetracted {
                seq: 1,
                reason: "Wrong.".to_owned(),
            },
        ])
        .when(decide(1, Decision::Validated))
        .then_error(DomainError::AlreadyRetracted { seq: 1 });
    }

    #[test]
    fn a_note_over_two_thousand_characters_is_refused() {
        given::<CommitmentState>([made(), reported(1, date!(2021 - 03 - 31))])
            .when(CommitmentCommand::ValidateProgress(ValidateProgress {
                seq: 1,
                decision: Decision::Rejected,
                note: "x".repeat(2_001),
            }))
            .then_error(DomainError::TooLong {
                field: "note".to_owned(),
                max: 2_000,
            });
    }
}
