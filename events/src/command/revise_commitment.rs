//! `ReviseCommitment`: change some of a commitment's fields, with a reason
//! (`POST /v1/commitments/{id}/revisions`).
//!
//! Rules:
//! - the commitment exists and is not withdrawn;
//! - the reason is not blank (at most 2,000 characters);
//! - every field given follows the creation rules of [`super::make_commitment`];
//! - `made_on` may not move after the earliest effective date of a non-retracted progress update
//!   (a rejected one still counts here: it was reported against the old date, and a later change
//!   of mind by the secretariat would otherwise leave it before the commitment existed);
//! - the revision must change something: fields equal to their current value are dropped, and if
//!   none is left the revision is refused, so history only records real changes.
//!
//! `mechanism_id` cannot be revised: it decides who may write the commitment, and moving a
//! commitment between mechanisms would silently change that.

use crate::command::make_commitment::{
    check_description, check_due_date, check_indicator, check_objectives, check_recommendations,
    check_sdg_targets, check_title,
};
use crate::commitment::CommitmentState;
use crate::context::Context;
use crate::error::DomainError;
use crate::event::commitment::{Commitment, CommitmentChanges, CommitmentEvent};
use crate::rules::{self, REASON_MAX};

/// Changes some fields of a commitment. `None` fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviseCommitment {
    /// The fields to change.
    pub changes: CommitmentChanges,
    /// Why, recorded with the revision.
    pub reason: String,
}

impl ReviseCommitment {
    /// Decides whether the revision can be recorded, keeping only the fields that change.
    pub fn decide(
        self,
        state: &CommitmentState,
        context: &Context<'_>,
    ) -> Result<Vec<CommitmentEvent>, DomainError> {
        let current = state.writable()?;
        rules::required_text("reason", &self.reason, REASON_MAX)?;
        let changes = self.changes;
        if let Some(title) = &changes.title {
            check_title(title)?;
        }
        if let Some(description) = &changes.description {
            check_description(description)?;
        }
        if let Some(objectives) = &changes.gcm_objectives {
            check_objectives(objectives)?;
        }
        if let Some(targets) = &changes.sdg_targets {
            check_sdg_targets(targets, context.lookup)?;
        }
        if let Some(recommendations) = &changes.recommendation_ids {
            check_recommendations(recommendations, context.lookup)?;
        }
        if let Some(Some(indicator)) = &changes.indicator {
            check_indicator(indicator)?;
        }
        if let Some(made_on) = changes.made_on {
            rules::made_on("made_on", made_on, context.today())?;
            check_made_on_before_progress(state, made_on)?;
        }
        let made_on = changes.made_on.unwrap_or(current.made_on);
        let (due_field, due_date) = match changes.due_date {
            Some(due_date) => ("due_date", due_date),
            None => ("made_on", current.due_date),
        };
        // Only dates the revision touches are checked: a commitment stored before a rule existed
        // must still take a revision that corrects something else.
        if changes.made_on.is_some() || changes.due_date.is_some() {
            check_due_date(due_field, due_date, made_on)?;
        }

        let changed = only_changed(changes, current);
        if changed.is_empty() {
            return Err(DomainError::NothingChanged);
        }
        Ok(vec![CommitmentEvent::CommitmentRevised {
            changes: changed,
            reason: self.reason,
        }])
    }
}

fn check_made_on_before_progress(
    state: &CommitmentState,
    made_on: time::Date,
) -> Result<(), DomainError> {
    let earliest = state
        .updates
        .iter()
        .filter(|update| !update.is_retracted())
        .min_by_key(|update| (update.report.effective_date, update.report.seq));
    match earliest {
        Some(update) if update.report.effective_date < made_on => {
            Err(DomainError::MadeAfterProgress {
                made_on,
                seq: update.report.seq,
                effective_date: update.report.effective_date,
            })
        }
        _ => Ok(()),
    }
}

/// Drops every field whose new value equals the current one.
fn only_changed(changes: CommitmentChanges, current: &Commitment) -> CommitmentChanges {
    fn differs<T: PartialEq>(new: Option<T>, current: &T) -> Option<T> {
        new.filter(|new| new != current)
    }
    CommitmentChanges {
        title: differs(changes.title, &current.title),
        description: differs(changes.description, &current.description),
        gcm_objectives: differs(changes.gcm_objectives, &current.gcm_objectives),
        sdg_targets: differs(changes.sdg_targets, &current.sdg_targets),
        recommendation_ids: differs(changes.recommendation_ids, &current.recommendation_ids),
        made_on: differs(changes.made_on, &current.made_on),
        due_date: differs(changes.due_date, &current.due_date),
        indicator: differs(changes.indicator, &current.indicator),
    }
}

#[cfg(test)]
mod tests;
