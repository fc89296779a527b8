//! A commitment stream's state: the commitment as currently revised, its progress updates with
//! their review and retraction, and its withdrawal.
//!
//! [`CommitmentState`] implements [`Decider`]: `decide` hands each command to its module under
//! [`crate::command`], and `evolve` applies facts. The read-only questions projections ask ("what
//! was the status on this date?") live in [`query`].

pub mod query;

#[cfg(test)]
mod properties;

use time::Date;

use crate::command::CommitmentCommand;
use crate::context::Context;
use crate::decider::Decider;
use crate::error::{DomainError, Entity};
use crate::event::commitment::{
    Commitment, CommitmentChanges, CommitmentEvent, Decision, ProgressReported,
};

/// Everything known about one commitment, folded from its stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitmentState {
    /// The commitment's current fields; `None` until it is made.
    pub commitment: Option<Commitment>,
    /// Every progress update in the order logged (so by `seq`), retracted ones included.
    pub updates: Vec<ProgressUpdate>,
    /// Set once the commitment is withdrawn.
    pub withdrawal: Option<Withdrawal>,
    /// How many events the stream holds: the version to expect when appending to it.
    pub version: u64,
}

/// One progress update with what happened to it afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressUpdate {
    /// The update as reported.
    pub report: ProgressReported,
    /// The secretariat's latest decision, `Submitted` before any.
    pub validation: Validation,
    /// Why it was retracted, if it was. A retracted update no longer counts anywhere.
    pub retraction: Option<String>,
}

/// Where a progress update stands with the secretariat (SPEC.md "Validation").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validation {
    /// Logged and not reviewed yet.
    Submitted,
    /// Confirmed, with the secretariat's note.
    Validated {
        /// The note.
        note: String,
    },
    /// Not accepted, with the secretariat's note.
    Rejected {
        /// The note.
        note: String,
    },
}

/// A commitment's withdrawal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    /// Why.
    pub reason: String,
    /// The day it was recorded, from which `as_of` views show the commitment as withdrawn.
    pub withdrawn_on: Date,
}

impl Decider for CommitmentState {
    type Command = CommitmentCommand;
    type Event = CommitmentEvent;

    fn decide(
        &self,
        command: CommitmentCommand,
        context: &Context<'_>,
    ) -> Result<Vec<CommitmentEvent>, DomainError> {
        match command {
            CommitmentCommand::Make(command) => command.decide(self, context),
            CommitmentCommand::Revise(command) => command.decide(self, context),
            CommitmentCommand::ReportProgress(command) => command.decide(self, context),
            CommitmentCommand::RetractProgress(command) => command.decide(self, context),
            CommitmentCommand::ValidateProgress(command) => command.decide(self, context),
            CommitmentCommand::Withdraw(command) => command.decide(self, context),
        }
    }

    fn evolve(mut self, event: &CommitmentEvent) -> Self {
        self.version += 1;
        match event {
            CommitmentEvent::CommitmentMade(commitment) => {
                self.commitment = Some(commitment.clone());
            }
            CommitmentEvent::CommitmentRevised { changes, .. } => {
                if let Some(commitment) = &mut self.commitment {
                    apply_changes(commitment, changes);
                }
            }
            CommitmentEvent::ProgressReported(report) => self.updates.push(ProgressUpdate {
                report: report.clone(),
                validation: Validation::Submitted,
                retraction: None,
            }),
            CommitmentEvent::ProgressValidated(review) => {
                if let Some(update) = self.update_mut(review.seq) {
                    update.validation = Validation::Validated {
                        note: review.note.clone(),
                    };
                }
            }
            CommitmentEvent::ProgressRejected(review) => {
                if let Some(update) = self.update_mut(review.seq) {
                    update.validation = Validation::Rejected {
                        note: review.note.clone(),
                    };
                }
            }
            CommitmentEvent::ProgressRetracted { seq, reason } => {
                if let Some(update) = self.update_mut(*seq) {
                    update.retraction = Some(reason.clone());
                }
            }
            CommitmentEvent::CommitmentWithdrawn {
                reason,
                withdrawn_on,
            } => {
                self.withdrawal = Some(Withdrawal {
                    reason: reason.clone(),
                    withdrawn_on: *withdrawn_on,
                });
            }
        }
        self
    }
}

impl CommitmentState {
    /// The progress update with this sequence number.
    pub fn update(&self, seq: u32) -> Option<&ProgressUpdate> {
        self.updates.iter().find(|update| update.report.seq == seq)
    }

    /// The sequence number the next progress update gets: one more than the highest so far.
    pub fn next_seq(&self) -> u32 {
        let highest = self.updates.iter().map(|update| update.report.seq).max();
        // Four billion updates to one commitment cannot happen; saturating keeps this total.
        highest.unwrap_or(0).saturating_add(1)
    }

    /// The commitment, if it was made and not withdrawn: the guard every write after creation
    /// passes first, so a withdrawn commitment refuses every command the same way.
    pub(crate) fn writable(&self) -> Result<&Commitment, DomainError> {
        let commitment = self.commitment.as_ref().ok_or(DomainError::NotFound {
            entity: Entity::Commitment,
        })?;
        if self.withdrawal.is_some() {
            return Err(DomainError::Withdrawn {
                commitment_id: commitment.commitment_id,
            });
        }
        Ok(commitment)
    }

    fn update_mut(&mut self, seq: u32) -> Option<&mut ProgressUpdate> {
        self.updates
            .iter_mut()
            .find(|update| update.report.seq == seq)
    }
}

impl ProgressUpdate {
    /// Whether the update was retracted.
    pub fn is_retracted(&self) -> bool {
        self.retraction.is_some()
    }
}

impl Validation {
    /// The secretariat's decision, if it made one.
    pub fn decision(&self) -> Option<Decision> {
        match self {
            Self::Submitted => None,
            Self::Validated { .. } => Some(Decision::Validated),
            Self::Rejected { .. } => Some(Decision::Rejected),
        }
    }
}

/// Overwrites the fields a revision changed.
fn apply_changes(commitment: &mut Commitment, changes: &CommitmentChanges) {
    if let Some(title) = &changes.title {
        commitment.title.clone_from(title);
    }
    if let Some(description) = &changes.description {
        commitment.description.clone_from(description);
    }
    if let Some(objectives) = &changes.gcm_objectives {
        commitment.gcm_objectives.clone_from(objectives);
    }
    if let Some(targets) = &changes.sdg_targets {
        commitment.sdg_targets.clone_from(targets);
    }
    if let Some(recommendations) = &changes.recommendation_ids {
        commitment.recommendation_ids.clone_from(recommendations);
    }
    if let Some(made_on) = changes.made_on {
        commitment.made_on = made_on;
    }
    if let Some(due_date) = changes.due_date {
        commitment.due_date = due_date;
    }
    if let Some(indicator) = &changes.indicator {
        commitment.indicator.clone_from(indicator);
    }
}
