//! Read-only questions about a [`CommitmentState`], shared by the projections and by any
//! independent recomputation of them, so both answer from one definition.
//!
//! # The two clocks
//!
//! `as_of` (an effective date) is answered here: a commitment exists from `made_on`, an update
//! applies from its `effective_date`, a withdrawal from `withdrawn_on`. `known_at` (a recording
//! time) is answered by the caller, who folds only the events recorded up to then; events do not
//! carry their recording time, the store's metadata does.
//!
//! Retractions and the secretariat's decisions have no effective date: they judge the update
//! itself, so they apply to every `as_of` view (a retracted update never counted). Revisions are
//! corrections of the record, so views show the current fields for every `as_of` date.
//!
//! # Which updates count
//!
//! By default every non-retracted, non-rejected update counts; with `validated_only`, only
//! validated, non-retracted ones (SPEC.md "Validation").

use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::commitment::{CommitmentState, ProgressUpdate, Validation};
use crate::event::commitment::ProgressStatus;
use crate::ids::Percent;
use crate::quantity::Quantity;

/// A commitment's status on a date: its latest counted update's status, `planned` before any, or
/// `withdrawn` (SPEC.md "Model").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CommitmentStatus {
    /// No counted update yet, or the latest says planned.
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
    /// Withdrawn by its mechanism.
    #[serde(rename = "withdrawn")]
    Withdrawn,
}

impl CommitmentStatus {
    /// Every status, in the order dashboards list them.
    pub const ALL: [Self; 6] = [
        Self::Planned,
        Self::InProgress,
        Self::Delayed,
        Self::Achieved,
        Self::Discontinued,
        Self::Withdrawn,
    ];

    /// The wire name, e.g. `in_progress`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::InProgress => "in_progress",
            Self::Delayed => "delayed",
            Self::Achieved => "achieved",
            Self::Discontinued => "discontinued",
            Self::Withdrawn => "withdrawn",
        }
    }
}

impl From<ProgressStatus> for CommitmentStatus {
    fn from(status: ProgressStatus) -> Self {
        match status {
            ProgressStatus::Planned => Self::Planned,
            ProgressStatus::InProgress => Self::InProgress,
            ProgressStatus::Delayed => Self::Delayed,
            ProgressStatus::Achieved => Self::Achieved,
            ProgressStatus::Discontinued => Self::Discontinued,
        }
    }
}

impl fmt::Display for CommitmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ProgressUpdate {
    /// Whether the update counts in progress views.
    pub fn counts(&self, validated_only: bool) -> bool {
        if self.is_retracted() {
            return false;
        }
        match self.validation {
            Validation::Validated { .. } => true,
            Validation::Submitted => !validated_only,
            Validation::Rejected { .. } => false,
        }
    }
}

impl CommitmentState {
    /// Whether the commitment exists on `as_of`: it was made on or before that day.
    pub fn exists_as_of(&self, as_of: Date) -> bool {
        self.commitment
            .as_ref()
            .is_some_and(|commitment| commitment.made_on <= as_of)
    }

    /// Whether the commitment is withdrawn on `as_of`.
    pub fn is_withdrawn_as_of(&self, as_of: Date) -> bool {
        self.withdrawal
            .as_ref()
            .is_some_and(|withdrawal| withdrawal.withdrawn_on <= as_of)
    }

    /// The counted updates effective on or before `as_of`, oldest first by effective date, then
    /// by `seq` (a later report about the same day supersedes an earlier one).
    pub fn counted_updates_as_of(&self, as_of: Date, validated_only: bool) -> Vec<&ProgressUpdate> {
        let mut updates: Vec<&ProgressUpdate> = self
            .updates
            .iter()
            .filter(|update| update.counts(validated_only) && update.report.effective_date <= as_of)
            .collect();
        updates.sort_by_key(|update| (update.report.effective_date, update.report.seq));
        updates
    }

    /// The latest counted update effective on or before `as_of`.
    pub fn latest_update_as_of(
        &self,
        as_of: Date,
        validated_only: bool,
    ) -> Option<&ProgressUpdate> {
        self.counted_updates_as_of(as_of, validated_only).pop()
    }

    /// The status on `as_of`, or `None` if the commitment was not made by then.
    pub fn status_as_of(&self, as_of: Date, validated_only: bool) -> Option<CommitmentStatus> {
        if !self.exists_as_of(as_of) {
            return None;
        }
        if self.is_withdrawn_as_of(as_of) {
            return Some(CommitmentStatus::Withdrawn);
        }
        let status = self
            .latest_update_as_of(as_of, validated_only)
            .map_or(CommitmentStatus::Planned, |update| {
                update.report.status.into()
            });
        Some(status)
    }

    /// The percent complete on `as_of`: that of the latest counted update that gives one.
    ///
    /// An update without a percent does not reset it (reporters often send a status alone), and
    /// no percent is ever inferred from a status: `achieved` without a number stays without one.
    /// A withdrawn commitment keeps its last percent; views decide whether to show it.
    pub fn percent_as_of(&self, as_of: Date, validated_only: bool) -> Option<Percent> {
        if !self.exists_as_of(as_of) {
            return None;
        }
        self.counted_updates_as_of(as_of, validated_only)
            .into_iter()
            .rev()
            .find_map(|update| update.report.percent_complete)
    }

    /// The indicator value on `as_of`: that of the latest counted update that gives one.
    pub fn indicator_value_as_of(&self, as_of: Date, validated_only: bool) -> Option<&Quantity> {
        if !self.exists_as_of(as_of) {
            return None;
        }
        self.counted_updates_as_of(as_of, validated_only)
            .into_iter()
            .rev()
            .find_map(|update| update.report.indicator_value.as_ref())
    }

    /// The counted updates that take effect after `from` and on or before `to`: the updates that
    /// moved the commitment between two review dates (`GET /v1/progress/changes`).
    pub fn updates_effective_between(
        &self,
        from: Date,
        to: Date,
        validated_only: bool,
    ) -> Vec<&ProgressUpdate> {
        self.counted_updates_as_of(to, validated_only)
            .into_iter()
            .filter(|update| update.report.effective_date > from)
            .collect()
    }
}

#[cfg(test)]
mod tests;
