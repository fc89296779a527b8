//! The events of a commitment stream (`commitment-<uuid>`): made, revised, progress reported,
//! validated, rejected, retracted, withdrawn.
//!
//! Events carry the facts projections need and nothing derived: no current status, no recorded
//! time (the store records `recorded_at` in the event's metadata).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use time::Date;

use crate::ids::{
    CommitmentId, MechanismId, ObjectiveNumber, Percent, RecommendationId, SdgTargetCode,
};
use crate::quantity::Quantity;

/// Everything that happens to a commitment. The `type` tag is the stored event type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum CommitmentEvent {
    /// A mechanism made the commitment.
    #[serde(rename = "commitment_made")]
    CommitmentMade(Commitment),
    /// Some of the commitment's fields were changed.
    #[serde(rename = "commitment_revised")]
    CommitmentRevised {
        /// Only the fields that changed.
        changes: CommitmentChanges,
        /// Why, in the reporter's words.
        reason: String,
    },
    /// A progress update was logged.
    #[serde(rename = "progress_reported")]
    ProgressReported(ProgressReported),
    /// The secretariat validated a progress update.
    #[serde(rename = "progress_validated")]
    ProgressValidated(ProgressReview),
    /// The secretariat rejected a progress update.
    #[serde(rename = "progress_rejected")]
    ProgressRejected(ProgressReview),
    /// A progress update was taken back by its reporter; it no longer counts anywhere.
    #[serde(rename = "progress_retracted")]
    ProgressRetracted {
        /// The update taken back.
        seq: u32,
        /// Why.
        reason: String,
    },
    /// The mechanism withdrew the commitment; it takes no further writes.
    #[serde(rename = "commitment_withdrawn")]
    CommitmentWithdrawn {
        /// Why.
        reason: String,
        /// The recording date of the withdrawal. A withdrawal has no effective date of its own,
        /// so `as_of` views treat the commitment as withdrawn from the day it was recorded; the
        /// date is stored here because events do not carry their recorded time.
        withdrawn_on: Date,
    },
}

/// A commitment's fields, as made and, in state, as currently revised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    /// The commitment's id, also the suffix of its stream id.
    pub commitment_id: CommitmentId,
    /// The mechanism that made it. Never revised: it decides who may write the commitment.
    pub mechanism_id: MechanismId,
    /// Short title, 1 to 200 characters.
    pub title: String,
    /// Longer description, up to 10,000 characters; may be empty.
    pub description: String,
    /// GCM objectives it contributes to: at least one, no repeats.
    pub gcm_objectives: Vec<ObjectiveNumber>,
    /// SDG targets it contributes to; may be empty.
    pub sdg_targets: Vec<SdgTargetCode>,
    /// Recommendations it acts on; may be empty.
    pub recommendation_ids: Vec<RecommendationId>,
    /// The day the mechanism made it, which may be long before it was recorded.
    pub made_on: Date,
    /// When it is meant to be achieved.
    pub due_date: Option<Date>,
    /// How progress is measured, if by a number.
    pub indicator: Option<Indicator>,
}

/// A measurable indicator of a commitment's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    /// What is measured, e.g. "people reached by pre-departure orientation".
    pub name: String,
    /// The unit, e.g. "people" or "USD".
    pub unit: String,
    /// The value when the commitment was made.
    pub baseline: Option<Quantity>,
    /// The value the commitment aims for.
    pub target: Option<Quantity>,
}

/// The fields a revision changed. An absent field is unchanged.
///
/// `due_date` and `indicator` can also be removed: in JSON, `"due_date": null` removes the due
/// date, while leaving the key out keeps it. Hence the `Option<Option<_>>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentChanges {
    /// New title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New GCM objectives (the whole list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcm_objectives: Option<Vec<ObjectiveNumber>>,
    /// New SDG targets (the whole list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdg_targets: Option<Vec<SdgTargetCode>>,
    /// New recommendations (the whole list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation_ids: Option<Vec<RecommendationId>>,
    /// Corrected day the commitment was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_on: Option<Date>,
    /// New due date, or `Some(None)` to remove it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub due_date: Option<Option<Date>>,
    /// New indicator, or `Some(None)` to remove it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub indicator: Option<Option<Indicator>>,
}

/// A progress update as logged. Schema version 2 (see `crate::event::upcast`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressReported {
    /// Sequence number within the commitment: 1, 2, … in the order updates were logged.
    pub seq: u32,
    /// The state of the commitment on `effective_date`.
    pub status: ProgressStatus,
    /// The day the reported state applies to.
    pub effective_date: Date,
    /// How far along, if the reporter says.
    pub percent_complete: Option<Percent>,
    /// The indicator's value on `effective_date`, if the commitment has an indicator.
    pub indicator_value: Option<Quantity>,
    /// What happened, 1 to 10,000 characters.
    pub narrative: String,
    /// Links to evidence, at most 20.
    pub evidence_urls: Vec<String>,
}

/// The secretariat's note on a progress update it validated or rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressReview {
    /// The update reviewed.
    pub seq: u32,
    /// The note, up to 2,000 characters; may be empty.
    pub note: String,
}

/// The state a progress update reports (SPEC.md "Model").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ProgressStatus {
    /// Not started yet.
    #[serde(rename = "planned")]
    Planned,
    /// Under way.
    #[serde(rename = "in_progress")]
    InProgress,
    /// Behind schedule.
    #[serde(rename = "delayed")]
    Delayed,
    /// Done.
    #[serde(rename = "achieved")]
    Achieved,
    /// Stopped without being achieved.
    #[serde(rename = "discontinued")]
    Discontinued,
}

/// The secretariat's decision on a progress update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Decision {
    /// The update is confirmed.
    #[serde(rename = "validated")]
    Validated,
    /// The update is not accepted; it stops counting in default progress views.
    #[serde(rename = "rejected")]
    Rejected,
}

impl ProgressStatus {
    /// The wire name, e.g. `in_progress`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::InProgress => "in_progress",
            Self::Delayed => "delayed",
            Self::Achieved => "achieved",
            Self::Discontinued => "discontinued",
        }
    }
}

impl fmt::Display for ProgressStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Decision {
    /// The wire name, `validated` or `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validated => "validated",
            Self::Rejected => "rejected",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl CommitmentChanges {
    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Deserialises a field that is present (possibly `null`) as `Some(value)`; `#[serde(default)]`
/// makes an absent one `None`. This is how "remove" (`null`) differs from "unchanged" (absent).
fn present<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
