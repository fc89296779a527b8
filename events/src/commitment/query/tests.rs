//! Tests of the `as_of` queries on [`CommitmentState`].

use time::Date;
use time::macros::date;

use super::CommitmentStatus;
use crate::commitment::CommitmentState;
use crate::decider::Decider;
use crate::event::commitment::{CommitmentEvent, ProgressReported, ProgressReview, ProgressStatus};
use crate::ids::Percent;
use crate::testing::{made, report};

fn state(events: &[CommitmentEvent]) -> CommitmentState {
    let mut history = vec![made()];
    history.extend_from_slice(events);
    CommitmentState::fold(&history)
}

fn update(
    seq: u32,
    effective_date: Date,
    status: ProgressStatus,
    percent: Option<i64>,
) -> CommitmentEvent {
    CommitmentEvent::ProgressReported(ProgressReported {
        percent_complete: percent.and_then(|p| Percent::new(p).ok()),
        ..report(seq, effective_date, status)
    })
}

fn review(seq: u32) -> ProgressReview {
    ProgressReview {
        seq,
        note: String::new(),
    }
}

const LATER: Date = date!(2025 - 01 - 01);

#[test]
fn a_commitment_does_not_exist_before_it_was_made_and_is_planned_after() {
    let state = state(&[]);
    assert_eq!(state.status_as_of(date!(2019 - 05 - 31), false), None);
    assert_eq!(
        state.status_as_of(date!(2019 - 06 - 01), false),
        Some(CommitmentStatus::Planned)
    );
    assert_eq!(CommitmentState::default().status_as_of(LATER, false), None);
}

#[test]
fn the_status_follows_the_latest_effective_update_not_the_latest_recorded() {
    let state = state(&[
        update(
            1,
            date!(2022 - 06 - 30),
            ProgressStatus::Achieved,
            Some(100),
        ),
        update(2, date!(2021 - 01 - 01), ProgressStatus::Delayed, Some(20)),
    ]);
    assert_eq!(
        state.status_as_of(date!(2021 - 06 - 01), false),
        Some(CommitmentStatus::Delayed)
    );
    assert_eq!(
        state.status_as_of(LATER, false),
        Some(CommitmentStatus::Achieved)
    );
    assert_eq!(
        state.percent_as_of(date!(2021 - 06 - 01), false),
        Percent::new(20).ok()
    );
}

#[test]
fn of_two_updates_effective_the_same_day_the_later_logged_wins() {
    let state = state(&[
        update(1, date!(2021 - 01 - 01), ProgressStatus::Delayed, None),
        update(2, date!(2021 - 01 - 01), ProgressStatus::InProgress, None),
    ]);
    assert_eq!(
        state.status_as_of(LATER, false),
        Some(CommitmentStatus::InProgress)
    );
}

#[test]
fn retracted_updates_never_count() {
    let state = state(&[
        update(
            1,
            date!(2021 - 01 - 01),
            ProgressStatus::InProgress,
            Some(30),
        ),
        update(
            2,
            date!(2022 - 01 - 01),
            ProgressStatus::Achieved,
            Some(100),
        ),
        CommitmentEvent::ProgressRetracted {
            seq: 2,
            reason: "Wrong commitment.".to_owned(),
        },
    ]);
    assert_eq!(
        state.status_as_of(LATER, false),
        Some(CommitmentStatus::InProgress)
    );
    assert_eq!(state.percent_as_of(LATER, false), Percent::new(30).ok());
}

#[test]
fn rejected_updates_do_not_count_and_validated_only_counts_validated_ones() {
    let state = state(&[
        update(1, date!(2021 - 01 - 01), ProgressStatus::InProgress, None),
        update(2, date!(2022 - 01 - 01), ProgressStatus::Achieved, None),
        update(3, date!(2023 - 01 - 01), ProgressStatus::Discontinued, None),
        CommitmentEvent::ProgressValidated(review(1)),
        CommitmentEvent::ProgressRejected(review(3)),
    ]);
    assert_eq!(
        state.status_as_of(LATER, false),
        Some(CommitmentStatus::Achieved)
    );
    assert_eq!(
        state.status_as_of(LATER, true),
        Some(CommitmentStatus::InProgress)
    );
    assert_eq!(
        state.status_as_of(date!(2020 - 01 - 01), true),
        Some(CommitmentStatus::Planned)
    );
}

#[test]
fn a_withdrawn_commitment_is_withdrawn_from_the_withdrawal_date_on() {
    let state = state(&[
        update(
            1,
            date!(2021 - 01 - 01),
            ProgressStatus::InProgress,
            Some(50),
        ),
        CommitmentEvent::CommitmentWithdrawn {
            reason: "Merged.".to_owned(),
            withdrawn_on: date!(2024 - 03 - 01),
        },
    ]);
    assert_eq!(
        state.status_as_of(date!(2024 - 02 - 29), false),
        Some(CommitmentStatus::InProgress)
    );
    assert_eq!(
        state.status_as_of(date!(2024 - 03 - 01), false),
        Some(CommitmentStatus::Withdrawn)
    );
    assert_eq!(state.percent_as_of(LATER, false), Percent::new(50).ok());
}

#[test]
fn an_update_without_a_percent_keeps_the_last_one_given() {
    let state = state(&[
        update(
            1,
            date!(2021 - 01 - 01),
            ProgressStatus::InProgress,
            Some(40),
        ),
        update(2, date!(2022 - 01 - 01), ProgressStatus::Achieved, None),
    ]);
    assert_eq!(state.percent_as_of(LATER, false), Percent::new(40).ok());
    assert_eq!(state.percent_as_of(date!(2020 - 01 - 01), false), None);
}

#[test]
fn the_updates_between_two_dates_exclude_the_first_and_include_the_second() {
    let state = state(&[
        update(1, date!(2021 - 01 - 01), ProgressStatus::InProgress, None),
        update(2, date!(2022 - 05 - 17), ProgressStatus::Delayed, None),
        update(3, date!(2024 - 01 - 01), ProgressStatus::Achieved, None),
    ]);
    let seqs: Vec<u32> = state
        .updates_effective_between(date!(2021 - 01 - 01), date!(2022 - 05 - 17), false)
        .iter()
        .map(|update| update.report.seq)
        .collect();
    assert_eq!(seqs, [2]);
}

#[test]
fn status_wire_names_match_their_text() {
    for status in CommitmentStatus::ALL {
        assert_eq!(
            serde_json::to_value(status).expect("serialisable"),
            serde_json::Value::String(status.as_str().to_owned())
        );
    }
}
