//! A commitment's status and percent as a step function of the effective date.
//!
//! The domain answers "status on date D" one date at a time (`CommitmentState::status_as_of`).
//! Stored rows need the whole function: the dates where it changes and its value in between. The
//! value can only change on the day the commitment was made, on a counted update's effective date,
//! and on the withdrawal date. [`segments`] sweeps those dates once; its tests, and the read-model
//! tests against a recomputation, check it against the domain's own queries on every day.

use compact_events::commitment::query::CommitmentStatus;
use compact_events::commitment::{CommitmentState, ProgressUpdate};
use time::Date;

/// Which updates count (SPEC.md "Validation").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Basis {
    /// Every non-retracted, non-rejected update (the default views).
    Reported,
    /// Validated updates only (`validated_only=true`).
    Validated,
}

impl Basis {
    /// Both bases.
    pub const ALL: [Self; 2] = [Self::Reported, Self::Validated];

    /// The stored code: 0 or 1.
    pub fn code(self) -> i64 {
        match self {
            Self::Reported => 0,
            Self::Validated => 1,
        }
    }

    /// The basis for a `validated_only` flag.
    pub fn from_validated_only(validated_only: bool) -> Self {
        if validated_only {
            Self::Validated
        } else {
            Self::Reported
        }
    }

    fn validated_only(self) -> bool {
        self == Self::Validated
    }
}

/// One step: from `valid_from` (inclusive) to `valid_to` (exclusive; `None` = open-ended).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Segment {
    /// First day of the step.
    pub valid_from: Date,
    /// First day after the step, if it ends.
    pub valid_to: Option<Date>,
    /// The status throughout.
    pub status: CommitmentStatus,
    /// The percent complete throughout.
    pub percent: Option<u8>,
}

/// The step function of a commitment's status and percent, oldest step first; empty if the
/// commitment has not been made.
///
/// One sweep over the counted updates in (effective date, seq) order, carrying the latest update
/// and the latest percent — the same rule as `CommitmentState::status_as_of` and `percent_as_of`
/// (the tests check every day against them), in O(n log n) instead of one domain query per step.
pub fn segments(state: &CommitmentState, basis: Basis) -> Vec<Segment> {
    let Some(commitment) = &state.commitment else {
        return Vec::new();
    };
    let validated_only = basis.validated_only();
    let mut counted: Vec<&ProgressUpdate> = state
        .updates
        .iter()
        .filter(|update| update.counts(validated_only))
        .collect();
    counted.sort_by_key(|update| (update.report.effective_date, update.report.seq));
    let withdrawn_on = state.withdrawal.as_ref().map(|w| w.withdrawn_on);

    let mut breakpoints: Vec<Date> = counted
        .iter()
        .map(|update| update.report.effective_date)
        .chain(withdrawn_on)
        .filter(|date| *date > commitment.made_on)
        .collect();
    breakpoints.push(commitment.made_on);
    breakpoints.sort_unstable();
    breakpoints.dedup();

    let mut steps: Vec<Segment> = Vec::with_capacity(breakpoints.len());
    let mut next = 0;
    let mut latest: Option<&ProgressUpdate> = None;
    let mut percent: Option<u8> = None;
    for (index, from) in breakpoints.iter().enumerate() {
        while let Some(update) = counted.get(next)
            && update.report.effective_date <= *from
        {
            latest = Some(update);
            if let Some(p) = update.report.percent_complete {
                percent = Some(p.get());
            }
            next += 1;
        }
        let status = if withdrawn_on.is_some_and(|on| on <= *from) {
            CommitmentStatus::Withdrawn
        } else {
            latest.map_or(CommitmentStatus::Planned, |update| {
                update.report.status.into()
            })
        };
        let valid_to = breakpoints.get(index + 1).copied();
        match steps.last_mut() {
            // Equal neighbours merge, so a report that changes nothing adds no row.
            Some(last) if last.status == status && last.percent == percent => {
                last.valid_to = valid_to;
            }
            _ => steps.push(Segment {
                valid_from: *from,
                valid_to,
                status,
                percent,
            }),
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use compact_events::commitment::CommitmentState;
    use compact_events::decider::Decider;
    use compact_events::event::commitment::{
        Commitment, CommitmentEvent, ProgressReported, ProgressReview, ProgressStatus,
    };
    use compact_events::ids::{CommitmentId, MechanismId, ObjectiveNumber, Percent};
    use time::macros::date;

    fn made(on: Date) -> CommitmentEvent {
        CommitmentEvent::CommitmentMade(Commitment {
            commitment_id: CommitmentId::new(uuid_nil()),
            mechanism_id: MechanismId::parse("bali-process").unwrap(),
            title: "t".into(),
            description: "d".into(),
            gcm_objectives: vec![ObjectiveNumber::new(1).unwrap()],
            sdg_targets: vec![],
            recommendation_ids: vec![],
            made_on: on,
            due_date: None,
            indicator: None,
        })
    }

    fn uuid_nil() -> uuid::Uuid {
        uuid::Uuid::nil()
    }

    fn report(seq: u32, on: Date, status: ProgressStatus, percent: Option<i64>) -> CommitmentEvent {
        CommitmentEvent::ProgressReported(ProgressReported {
            seq,
            status,
            effective_date: on,
            percent_complete: percent.map(|p| Percent::new(p).unwrap()),
            indicator_value: None,
            narrative: "n".into(),
            evidence_urls: vec![],
        })
    }

    fn state(events: &[CommitmentEvent]) -> CommitmentState {
        CommitmentState::fold(events)
    }

    #[test]
    fn a_new_commitment_is_planned_from_the_day_it_was_made() {
        let steps = segments(&state(&[made(date!(2019 - 03 - 01))]), Basis::Reported);
        assert_eq!(
            steps,
            [Segment {
                valid_from: date!(2019 - 03 - 01),
                valid_to: None,
                status: CommitmentStatus::Planned,
                percent: None
            }]
        );
    }

    #[test]
    fn reports_split_the_line_and_a_withdrawal_ends_it() {
        let events = [
            made(date!(2019 - 03 - 01)),
            report(
                1,
                date!(2020 - 01 - 10),
                ProgressStatus::InProgress,
                Some(30),
            ),
            report(2, date!(2021 - 06 - 01), ProgressStatus::Delayed, None),
            CommitmentEvent::CommitmentWithdrawn {
                reason: "r".into(),
                withdrawn_on: date!(2023 - 02 - 01),
            },
        ];
        let steps = segments(&state(&events), Basis::Reported);
        let summary: Vec<_> = steps
            .iter()
            .map(|s| (s.valid_from, s.valid_to, s.status, s.percent))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    date!(2019 - 03 - 01),
                    Some(date!(2020 - 01 - 10)),
                    CommitmentStatus::Planned,
                    None
                ),
                (
                    date!(2020 - 01 - 10),
                    Some(date!(2021 - 06 - 01)),
                    CommitmentStatus::InProgress,
                    Some(30)
                ),
                (
                    date!(2021 - 06 - 01),
                    Some(date!(2023 - 02 - 01)),
                    CommitmentStatus::Delayed,
                    Some(30)
                ),
                (
                    date!(2023 - 02 - 01),
                    None,
                    CommitmentStatus::Withdrawn,
                    Some(30)
                ),
            ]
        );
    }

    #[test]
    fn the_validated_basis_counts_only_validated_updates() {
        let events = [
            made(date!(2019 - 03 - 01)),
            report(
                1,
                date!(2020 - 01 - 10),
                ProgressStatus::InProgress,
                Some(30),
            ),
            report(
                2,
                date!(2021 - 01 - 10),
                ProgressStatus::Achieved,
                Some(100),
            ),
            CommitmentEvent::ProgressValidated(ProgressReview {
                seq: 1,
                note: String::new(),
            }),
        ];
        let validated = segments(&state(&events), Basis::Validated);
        assert_eq!(validated.len(), 2);
        assert_eq!(validated[1].status, CommitmentStatus::InProgress);
        assert_eq!(validated[1].valid_to, None);
        let reported = segments(&state(&events), Basis::Reported);
        assert_eq!(
            reported.last().map(|s| s.status),
            Some(CommitmentStatus::Achieved)
        );
    }

    #[test]
    fn every_step_agrees_with_the_domain_on_every_day() {
        let events = [
            made(date!(2019 - 03 - 01)),
            report(
                1,
                date!(2018 - 01 - 01),
                ProgressStatus::InProgress,
                Some(5),
            ),
            report(
                2,
                date!(2020 - 01 - 10),
                ProgressStatus::InProgress,
                Some(30),
            ),
            report(3, date!(2020 - 01 - 10), ProgressStatus::Delayed, None),
            CommitmentEvent::ProgressRetracted {
                seq: 2,
                reason: "wrong".into(),
            },
        ];
        let commitment = state(&events);
        let steps = segments(&commitment, Basis::Reported);
        let mut day = date!(2018 - 06 - 01);
        while day < date!(2021 - 01 - 01) {
            let expected = commitment.status_as_of(day, false);
            let found = steps
                .iter()
                .find(|s| s.valid_from <= day && s.valid_to.is_none_or(|to| day < to))
                .map(|s| s.status);
            assert_eq!(found, expected, "{day}");
            day = day.next_day().unwrap();
        }
    }
}
