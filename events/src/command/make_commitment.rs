//! `MakeCommitment`: a mechanism records a commitment (`POST /v1/commitments`).
//!
//! Rules, each with its test below:
//! - the stream must be empty: a commitment is made once. This is [`DomainError::AlreadyExists`]
//!   even for a withdrawn commitment, since making is not a write to an existing commitment (the
//!   service generates a fresh id, so this only guards against an id clash);
//! - the mechanism, every SDG target and every recommendation must exist, and an unknown one is
//!   named by its JSON field, e.g. `sdg_targets[1]`;
//! - at least one GCM objective: the tracker exists to follow the Compact, and a commitment that
//!   advances none of its objectives would vanish from every objective dashboard;
//! - no repeated objective, target or recommendation;
//! - `made_on` defaults to the recording date and may not be after it nor before 2016
//!   ([`rules::EARLIEST_MADE_ON`]); `due_date` may not be before `made_on` nor more than a century
//!   after it.
//!
//! The field checks are shared with [`super::revise_commitment`]: a revision follows the same
//! rules as creation.

use time::Date;

use crate::commitment::CommitmentState;
use crate::context::{Context, Lookup};
use crate::error::{DomainError, Entity};
use crate::event::commitment::{Commitment, CommitmentEvent, Indicator};
use crate::ids::{CommitmentId, MechanismId, ObjectiveNumber, RecommendationId, SdgTargetCode};
use crate::rules::{self, DESCRIPTION_MAX, LABEL_MAX, NAME_MAX, TITLE_MAX};

/// Records a new commitment. The caller generates `commitment_id` and uses it for the stream id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MakeCommitment {
    /// The new commitment's id.
    pub commitment_id: CommitmentId,
    /// The mechanism making it.
    pub mechanism_id: MechanismId,
    /// Short title.
    pub title: String,
    /// Longer description; may be empty.
    pub description: String,
    /// GCM objectives it contributes to.
    pub gcm_objectives: Vec<ObjectiveNumber>,
    /// SDG targets it contributes to.
    pub sdg_targets: Vec<SdgTargetCode>,
    /// Recommendations it acts on.
    pub recommendation_ids: Vec<RecommendationId>,
    /// The day it was made; `None` means the recording date.
    pub made_on: Option<Date>,
    /// When it is meant to be achieved.
    pub due_date: Option<Date>,
    /// How progress is measured, if by a number.
    pub indicator: Option<Indicator>,
}

impl MakeCommitment {
    /// Decides whether the commitment can be made.
    pub fn decide(
        self,
        state: &CommitmentState,
        context: &Context<'_>,
    ) -> Result<Vec<CommitmentEvent>, DomainError> {
        if let Some(existing) = &state.commitment {
            return Err(DomainError::AlreadyExists {
                entity: Entity::Commitment,
                id: existing.commitment_id.to_string(),
            });
        }
        if !context.lookup.mechanism_exists(&self.mechanism_id) {
            return Err(DomainError::Unknown {
                field: "mechanism_id".to_owned(),
                value: self.mechanism_id.to_string(),
            });
        }
        check_title(&self.title)?;
        check_description(&self.description)?;
        check_objectives(&self.gcm_objectives)?;
        check_sdg_targets(&self.sdg_targets, context.lookup)?;
        check_recommendations(&self.recommendation_ids, context.lookup)?;
        let today = context.today();
        let made_on = self.made_on.unwrap_or(today);
        rules::made_on("made_on", made_on, today)?;
        check_due_date("due_date", self.due_date, made_on)?;
        if let Some(indicator) = &self.indicator {
            check_indicator(indicator)?;
        }
        Ok(vec![CommitmentEvent::CommitmentMade(Commitment {
            commitment_id: self.commitment_id,
            mechanism_id: self.mechanism_id,
            title: self.title,
            description: self.description,
            gcm_objectives: self.gcm_objectives,
            sdg_targets: self.sdg_targets,
            recommendation_ids: self.recommendation_ids,
            made_on,
            due_date: self.due_date,
            indicator: self.indicator,
        })])
    }
}

pub(crate) fn check_title(title: &str) -> Result<(), DomainError> {
    rules::required_text("title", title, TITLE_MAX)
}

pub(crate) fn check_description(description: &str) -> Result<(), DomainError> {
    rules::optional_text("description", description, DESCRIPTION_MAX)
}

pub(crate) fn check_objectives(objectives: &[ObjectiveNumber]) -> Result<(), DomainError> {
    if objectives.is_empty() {
        return Err(DomainError::Empty {
            field: "gcm_objectives".to_owned(),
        });
    }
    rules::no_duplicates("gcm_objectives", objectives)
}

pub(crate) fn check_sdg_targets(
    targets: &[SdgTargetCode],
    lookup: &dyn Lookup,
) -> Result<(), DomainError> {
    for (index, target) in targets.iter().enumerate() {
        if !lookup.sdg_target_exists(target) {
            return Err(DomainError::Unknown {
                field: format!("sdg_targets[{index}]"),
                value: target.to_string(),
            });
        }
    }
    rules::no_duplicates("sdg_targets", targets)
}

pub(crate) fn check_recommendations(
    recommendations: &[RecommendationId],
    lookup: &dyn Lookup,
) -> Result<(), DomainError> {
    for (index, recommendation) in recommendations.iter().enumerate() {
        if !lookup.recommendation_exists(recommendation) {
            return Err(DomainError::Unknown {
                field: format!("recommendation_ids[{index}]"),
                value: recommendation.to_string(),
            });
        }
    }
    rules::no_duplicates("recommendation_ids", recommendations)
}

/// `due_date` may not be before `made_on`, nor more than a century after it; `field` is the one
/// the request changed.
pub(crate) fn check_due_date(
    field: &str,
    due_date: Option<Date>,
    made_on: Date,
) -> Result<(), DomainError> {
    match due_date {
        Some(due_date) if due_date < made_on => Err(DomainError::DueBeforeMade {
            field: field.to_owned(),
            due_date,
            made_on,
        }),
        Some(due_date) => rules::due_within_reach(field, due_date, made_on),
        None => Ok(()),
    }
}

pub(crate) fn check_indicator(indicator: &Indicator) -> Result<(), DomainError> {
    rules::required_text("indicator.name", &indicator.name, NAME_MAX)?;
    rules::required_text("indicator.unit", &indicator.unit, LABEL_MAX)
}

#[cfg(test)]
mod tests;
