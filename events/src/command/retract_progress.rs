//! `RetractProgress`: a reporter takes back a progress update
//! (`POST /v1/commitments/{id}/progress/{seq}/retraction`).
//!
//! A retraction says the update was wrong: it stops counting in every view, whatever the `as_of`
//! date, and only `known_at` views from before the retraction still show it. Rules:
//! - the commitment exists and is not withdrawn;
//! - the update exists: an unknown `seq` is [`DomainError::UnknownUpdate`], a 404, because the
//!   `{seq}` in the path names a resource that does not exist;
//! - it is not retracted yet ([`DomainError::AlreadyRetracted`], 409);
//! - the reason is not blank (at most 2,000 characters).

use crate::commitment::CommitmentState;
use crate::context::Context;
use crate::error::DomainError;
use crate::event::commitment::CommitmentEvent;
use crate::rules::{self, REASON_MAX};

/// Retracts one progress update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetractProgress {
    /// The update to retract.
    pub seq: u32,
    /// Why.
    pub reason: String,
}

impl RetractProgress {
    /// Decides whether the update can be retracted.
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
        rules::required_text("reason", &self.reason, REASON_MAX)?;
        Ok(vec![CommitmentEvent::ProgressRetracted {
            seq: self.seq,
            reason: self.reason,
        }])
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::command::CommitmentCommand;
    use crate::testing::{commitment_id, given, made, reported};

    fn retract(seq: u32, reason: &str) -> CommitmentCommand {
        CommitmentCommand::RetractProgress(RetractProgress {
            seq,
            reason: reason.to_owned(),
        })
    }

    fn retracted(seq: u32) -> CommitmentEvent {
        CommitmentEvent::ProgressRetracted {
            seq,
            reason: "Reported against the wrong commitment.".to_owned(),
        }
    }

    #[test]
    fn a_reported_update_can_be_retracted() {
        given::<CommitmentState>([made(), reported(1, date!(2021 - 03 - 31))])
            .when(retract(1, "Reported against the wrong commitment."))
            .then([retracted(1)]);
    }

    #[test]
    fn retracting_an_unknown_update_is_refused() {
        given::<CommitmentState>([made(), reported(1, date!(2021 - 03 - 31))])
            .when(retract(2, "Typo."))
            .then_error(DomainError::UnknownUpdate { seq: 2 });
    }

    #[test]
    fn retracting_an_update_twice_is_refused() {
        given::<CommitmentState>([made(), reported(1, date!(2021 - 03 - 31)), retracted(1)])
            .when(retract(1, "Again."))
            .then_error(DomainError::AlreadyRetracted { seq: 1 });
    }

    #[test]
    fn a_retraction_needs_a_reason() {
        given::<CommitmentState>([made(), reported(1, date!(2021 - 03 - 31))])
            .when(retract(1, ""))
            .then_error(DomainError::Blank {
                field: "reason".to_owned(),
            });
    }

    #[test]
    fn a_reason_over_two_thousand_characters_is_refused() {
        given::<CommitmentState>([made(), reported(1, date!(2021 - 03 - 31))])
            .when(retract(1, &"x".repeat(2_001)))
            .then_error(DomainError::TooLong {
                field: "reason".to_owned(),
                max: 2_000,
            });
    }

    #[test]
    fn an_update_of_a_withdrawn_commitment_cannot_be_retracted() {
        given::<CommitmentState>([
            made(),
            reported(1, date!(2021 - 03 - 31)),
            CommitmentEvent::CommitmentWithdrawn {
                reason: "Merged.".to_owned(),
                withdrawn_on: date!(2024 - 01 - 01),
            },
        ])
        .when(retract(1, "Wrong."))
        .then_error(DomainError::Withdrawn {
            commitment_id: commitment_id(),
        });
    }
}
