//! `ReportProgress`: log a progress update (`POST /v1/commitments/{id}/progress`).
//!
//! Rules:
//! - the commitment exists and is not withdrawn;
//! - `effective_date` is not after the recording date and not before `made_on` (SPEC.md "Two
//!   clocks": 422);
//! - the narrative is not blank (at most 10,000 characters); at most 20 evidence URLs, each an
//!   `http(s)` URL of at most 2,048 characters, none repeated;
//! - an `indicator_value` needs the commitment to define an indicator, or the value has no unit;
//! - the update gets `seq` = highest seq so far + 1 (retracted updates keep their numbers).
//!
//! `percent_complete` is a [`Percent`], so 0 to 100 is guaranteed before `decide` runs.

use time::Date;

use crate::commitment::CommitmentState;
use crate::context::Context;
use crate::error::DomainError;
use crate::event::commitment::{CommitmentEvent, ProgressReported, ProgressStatus};
use crate::ids::Percent;
use crate::quantity::Quantity;
use crate::rules::{self, NARRATIVE_MAX};

/// Logs a progress update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportProgress {
    /// The state of the commitment on `effective_date`.
    pub status: ProgressStatus,
    /// The day the reported state applies to.
    pub effective_date: Date,
    /// How far along, if known.
    pub percent_complete: Option<Percent>,
    /// The indicator's value on `effective_date`.
    pub indicator_value: Option<Quantity>,
    /// What happened.
    pub narrative: String,
    /// Links to evidence.
    pub evidence_urls: Vec<String>,
}

impl ReportProgress {
    /// Decides whether the update can be logged, and gives it its sequence number.
    pub fn decide(
        self,
        state: &CommitmentState,
        context: &Context<'_>,
    ) -> Result<Vec<CommitmentEvent>, DomainError> {
        let commitment = state.writable()?;
        rules::not_in_future("effective_date", self.effective_date, context.today())?;
        if self.effective_date < commitment.made_on {
            return Err(DomainError::EffectiveBeforeMade {
                effective_date: self.effective_date,
                made_on: commitment.made_on,
            });
        }
        rules::required_text("narrative", &self.narrative, NARRATIVE_MAX)?;
        rules::evidence_urls("evidence_urls", &self.evidence_urls)?;
        if self.indicator_value.is_some() && commitment.indicator.is_none() {
            return Err(DomainError::NoIndicator);
        }
        Ok(vec![CommitmentEvent::ProgressReported(ProgressReported {
            seq: state.next_seq(),
            status: self.status,
            effective_date: self.effective_date,
            percent_complete: self.percent_complete,
            indicator_value: self.indicator_value,
            narrative: self.narrative,
            evidence_urls: self.evidence_urls,
        })])
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::command::CommitmentCommand;
    use crate::event::commitment::CommitmentChanges;
    use crate::testing::{given, made, report, reported};

    fn command(effective_date: Date) -> CommitmentCommand {
        CommitmentCommand::ReportProgress(ReportProgress {
            status: ProgressStatus::InProgress,
            effective_date,
            percent_complete: None,
            indicator_value: None,
            narrative: "Update 1.".to_owned(),
            evidence_urls: Vec::new(),
        })
    }

    fn with(change: impl FnOnce(&mut ReportProgress)) -> CommitmentCommand {
        let mut progress = ReportProgress {
            status: ProgressStatus::Achieved,
            effective_date: date!(2022 - 12 - 31),
            percent_complete: Percent::new(100).ok(),
            indicator_value: Quantity::parse("5000").ok(),
            narrative: "Target reached.".to_owned(),
            evidence_urls: vec!["https://example.org/final-report".to_owned()],
        };
        change(&mut progress);
        CommitmentCommand::ReportProgress(progress)
    }

    #[test]
    fn the_first_update_gets_sequence_number_one() {
        given::<CommitmentState>([made()])
            .when(command(date!(2021 - 03 - 31)))
            .then([reported(1, date!(2021 - 03 - 31))]);
    }

    #[test]
    fn a_later_update_gets_the_next_number_even_after_a_retraction() {
        let mut expected = report(3, date!(2020 - 01 - 01), ProgressStatus::InProgress);
        expected.narrative = "Update 1.".to_owned();
        given::<CommitmentState>([
            made(),
            reported(1, date!(2021 - 03 - 31)),
            reported(2, date!(2021 - 06 - 30)),
            CommitmentEvent::ProgressRetracted {
                seq: 2,
                reason: "Duplicate.".to_owned(),
            },
        ])
        .when(command(date!(2020 - 01 - 01)))
        .then([CommitmentEvent::ProgressReported(expected)]);
    }

    #[test]
    fn an_update_keeps_its_percent_indicator_value_and_evidence() {
        given::<CommitmentState>([made()]).when(with(|_| {})).then([
            CommitmentEvent::ProgressReported(ProgressReported {
                seq: 1,
                status: ProgressStatus::Achieved,
                effective_date: date!(2022 - 12 - 31),
                percent_complete: Percent::new(100).ok(),
                indicator_value: Quantity::parse("5000").ok(),
                narrative: "Target reached.".to_owned(),
                evidence_urls: vec!["https://example.org/final-report".to_owned()],
            }),
        ]);
    }

    #[test]
    fn an_update_effective_after_today_is_refused() {
        given::<CommitmentState>([made()])
            .when(command(date!(2025 - 06 - 16)))
            .then_error(DomainError::InFuture {
                field: "effective_date".to_owned(),
                date: date!(2025 - 06 - 16),
                today: date!(2025 - 06 - 15),
            });
    }

    #[test]
    fn an_update_effective_before_the_commitment_was_made_is_refused() {
        given::<CommitmentState>([made()])
            .when(command(date!(2019 - 05 - 31)))
            .then_error(DomainError::EffectiveBeforeMade {
                effective_date: date!(2019 - 05 - 31),
                made_on: date!(2019 - 06 - 01),
            });
    }

    #[test]
    fn an_update_without_a_narrative_is_refused() {
        given::<CommitmentState>([made()])
            .when(with(|progress| progress.narrative = "\n".to_owned()))
            .then_error(DomainError::Blank {
                field: "narrative".to_owned(),
            });
    }

    #[test]
    fn an_evidence_link_that_is_not_a_web_url_is_refused() {
        given::<CommitmentState>([made()])
            .when(with(|progress| {
                progress.evidence_urls.push("file:///etc/passwd".to_owned());
            }))
            .then_error(DomainError::NotAUrl {
                field: "evidence_urls[1]".to_owned(),
            });
    }

    #[test]
    fn an_indicator_value_for_a_commitment_without_an_indicator_is_refused() {
        given::<CommitmentState>([
            made(),
            CommitmentEvent::CommitmentRevised {
                changes: CommitmentChanges {
                    indicator: Some(None),
                    ..CommitmentChanges::default()
                },
                reason: "No longer measured.".to_owned(),
            },
        ])
        .when(with(|_| {}))
        .then_error(DomainError::NoIndicator);
    }
}
