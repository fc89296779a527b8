//! `WithdrawCommitment`: a mechanism withdraws a commitment
//! (`POST /v1/commitments/{id}/withdrawal`).
//!
//! Withdrawal is final: every later command on the commitment gets [`DomainError::Withdrawn`]
//! (409). It has no effective date of its own, so the event records `withdrawn_on`, the recording
//! date, from which `as_of` views show the commitment as withdrawn.

use crate::commitment::CommitmentState;
use crate::context::Context;
use crate::error::DomainError;
use crate::event::commitment::CommitmentEvent;
use crate::rules::{self, REASON_MAX};

/// Withdraws a commitment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawCommitment {
    /// Why.
    pub reason: String,
}

impl WithdrawCommitment {
    /// Decides whether the commitment can be withdrawn.
    pub fn decide(
        self,
        state: &CommitmentState,
        context: &Context<'_>,
    ) -> Result<Vec<CommitmentEvent>, DomainError> {
        state.writable()?;
        rules::required_text("reason", &self.reason, REASON_MAX)?;
        Ok(vec![CommitmentEvent::CommitmentWithdrawn {
            reason: self.reason,
            withdrawn_on: context.today(),
        }])
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::command::CommitmentCommand;
    use crate::command::report_progress::ReportProgress;
    use crate::error::Entity;
    use crate::event::commitment::ProgressStatus;
    use crate::testing::{commitment_id, given, made};

    fn withdraw(reason: &str) -> CommitmentCommand {
        CommitmentCommand::Withdraw(WithdrawCommitment {
            reason: reason.to_owned(),
        })
    }

    fn withdrawn() -> CommitmentEvent {
        CommitmentEvent::CommitmentWithdrawn {
            reason: "Merged into a joint commitment.".to_owned(),
            withdrawn_on: date!(2025 - 06 - 15),
        }
    }

    #[test]
    fn a_commitment_is_withdrawn_on_the_recording_date() {
        given::<CommitmentState>([made()])
            .when(withdraw("Merged into a joint commitment."))
            .then([withdrawn()]);
    }

    #[test]
    fn the_withdrawal_date_is_the_utc_date() {
        given::<CommitmentState>([made()])
            .at(datetime!(2025-06-14 22:30 -05:00))
            .when(withdraw("Merged into a joint commitment."))
            .then([withdrawn()]);
    }

    #[test]
    fn a_withdrawal_needs_a_reason() {
        given::<CommitmentState>([made()])
            .when(withdraw("  "))
            .then_error(DomainError::Blank {
                field: "reason".to_owned(),
            });
    }

    #[test]
    fn a_commitment_cannot_be_withdrawn_twice() {
        given::<CommitmentState>([made(), withdrawn()])
            .when(withdraw("Again."))
            .then_error(DomainError::Withdrawn {
                commitment_id: commitment_id(),
            });
    }

    #[test]
    fn a_withdrawn_commitment_takes_no_progress() {
        given::<CommitmentState>([made(), withdrawn()])
            .when(CommitmentCommand::ReportProgress(ReportProgress {
                status: ProgressStatus::Achieved,
                effective_date: date!(2025 - 06 - 01),
                percent_complete: None,
                indicator_value: None,
                narrative: "Done after all.".to_owned(),
                evidence_urls: Vec::new(),
            }))
            .then_error(DomainError::Withdrawn {
                commitment_id: commitment_id(),
            });
    }

    #[test]
    fn a_commitment_that_was_never_made_cannot_be_withdrawn() {
        given::<CommitmentState>([])
            .when(withdraw("Never existed."))
            .then_error(DomainError::NotFound {
                entity: Entity::Commitment,
            });
    }
}
