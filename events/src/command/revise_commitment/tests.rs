//! Given/when/then tests of [`ReviseCommitment`].

use time::macros::date;

use super::ReviseCommitment;
use crate::command::CommitmentCommand;
use crate::commitment::CommitmentState;
use crate::error::{DomainError, Entity};
use crate::event::commitment::{CommitmentChanges, CommitmentEvent};
use crate::event::samples;
use crate::ids::SdgTargetCode;
use crate::testing::{Then, commitment_id, given, made, reported};

fn revise(changes: CommitmentChanges) -> CommitmentCommand {
    CommitmentCommand::Revise(ReviseCommitment {
        changes,
        reason: "Agreed at the 2024 ministerial.".to_owned(),
    })
}

fn when_revised(changes: CommitmentChanges) -> Then<CommitmentEvent> {
    given::<CommitmentState>([made()]).when(revise(changes))
}

fn revised(changes: CommitmentChanges) -> CommitmentEvent {
    CommitmentEvent::CommitmentRevised {
        changes,
        reason: "Agreed at the 2024 ministerial.".to_owned(),
    }
}

#[test]
fn a_revision_records_only_the_fields_that_change() {
    when_revised(CommitmentChanges {
        title: Some("Orientation for migrant workers".to_owned()),
        description: Some(samples::commitment().description),
        ..CommitmentChanges::default()
    })
    .then([revised(CommitmentChanges {
        title: Some("Orientation for migrant workers".to_owned()),
        ..CommitmentChanges::default()
    })]);
}

#[test]
fn a_revision_can_remove_the_due_date() {
    let changes = CommitmentChanges {
        due_date: Some(None),
        ..CommitmentChanges::default()
    };
    when_revised(changes.clone()).then([revised(changes)]);
}

#[test]
fn a_revision_that_changes_nothing_is_refused() {
    when_revised(CommitmentChanges {
        title: Some(samples::commitment().title),
        due_date: Some(samples::commitment().due_date),
        ..CommitmentChanges::default()
    })
    .then_error(DomainError::NothingChanged);
}

#[test]
fn a_revision_without_a_reason_is_refused() {
    given::<CommitmentState>([made()])
        .when(CommitmentCommand::Revise(ReviseCommitment {
            changes: CommitmentChanges {
                title: Some("New title".to_owned()),
                ..CommitmentChanges::default()
            },
            reason: " ".to_owned(),
        }))
        .then_error(DomainError::Blank {
            field: "reason".to_owned(),
        });
}

#[test]
fn revised_fields_follow_the_creation_rules() {
    when_revised(CommitmentChanges {
        gcm_objectives: Some(Vec::new()),
        ..CommitmentChanges::default()
    })
    .then_error(DomainError::Empty {
        field: "gcm_objectives".to_owned(),
    });
    when_revised(CommitmentChanges {
        sdg_targets: Some(vec![SdgTargetCode::parse("16.9").expect("target")]),
        ..CommitmentChanges::default()
    })
    .then_error(DomainError::Unknown {
        field: "sdg_targets[0]".to_owned(),
        value: "16.9".to_owned(),
    });
}

#[test]
fn made_on_cannot_move_after_the_earliest_progress_update() {
    given::<CommitmentState>([
        made(),
        reported(1, date!(2021 - 03 - 31)),
        reported(2, date!(2020 - 12 - 31)),
    ])
    .when(revise(CommitmentChanges {
        made_on: Some(date!(2021 - 01 - 01)),
        ..CommitmentChanges::default()
    }))
    .then_error(DomainError::MadeAfterProgress {
        made_on: date!(2021 - 01 - 01),
        seq: 2,
        effective_date: date!(2020 - 12 - 31),
    });
}

#[test]
fn made_on_may_move_past_a_retracted_progress_update() {
    let changes = CommitmentChanges {
        made_on: Some(date!(2021 - 01 - 01)),
        ..CommitmentChanges::default()
    };
    given::<CommitmentState>([
        made(),
        reported(1, date!(2020 - 12 - 31)),
        CommitmentEvent::ProgressRetracted {
            seq: 1,
            reason: "Wrong date.".to_owned(),
        },
    ])
    .when(revise(changes.clone()))
    .then([revised(changes)]);
}

#[test]
fn made_on_cannot_move_after_the_due_date() {
    when_revised(CommitmentChanges {
        made_on: Some(date!(2023 - 01 - 01)),
        ..CommitmentChanges::default()
    })
    .then_error(DomainError::DueBeforeMade {
        field: "made_on".to_owned(),
        due_date: date!(2022 - 12 - 31),
        made_on: date!(2023 - 01 - 01),
    });
}

#[test]
fn a_missing_commitment_cannot_be_revised() {
    given::<CommitmentState>([])
        .when(revise(CommitmentChanges {
            title: Some("New title".to_owned()),
            ..CommitmentChanges::default()
        }))
        .then_error(DomainError::NotFound {
            entity: Entity::Commitment,
        });
}

#[test]
fn a_withdrawn_commitment_cannot_be_revised() {
    given::<CommitmentState>([
        made(),
        CommitmentEvent::CommitmentWithdrawn {
            reason: "Merged.".to_owned(),
            withdrawn_on: date!(2024 - 01 - 01),
        },
    ])
    .when(revise(CommitmentChanges {
        title: Some("New title".to_owned()),
        ..CommitmentChanges::default()
    }))
    .then_error(DomainError::Withdrawn {
        commitment_id: commitment_id(),
    });
}
