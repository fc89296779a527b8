//! Given/when/then tests of [`MakeCommitment`].

use time::macros::date;

use super::MakeCommitment;
use crate::command::CommitmentCommand;
use crate::commitment::CommitmentState;
use crate::error::{DomainError, Entity};
use crate::event::commitment::{CommitmentEvent, Indicator};
use crate::event::samples;
use crate::ids::{MechanismId, ObjectiveNumber, RecommendationId, SdgTargetCode};
use crate::testing::{NOW, commitment_id, given, made};

/// The command that makes the sample commitment of [`made`].
fn command() -> MakeCommitment {
    let sample = samples::commitment();
    MakeCommitment {
        commitment_id: sample.commitment_id,
        mechanism_id: sample.mechanism_id,
        title: sample.title,
        description: sample.description,
        gcm_objectives: sample.gcm_objectives,
        sdg_targets: sample.sdg_targets,
        recommendation_ids: sample.recommendation_ids,
        made_on: Some(sample.made_on),
        due_date: sample.due_date,
        indicator: sample.indicator,
    }
}

fn when_made(command: MakeCommitment) -> crate::testing::Then<CommitmentEvent> {
    given::<CommitmentState>([]).when(CommitmentCommand::Make(command))
}

fn objectives(numbers: &[i64]) -> Vec<ObjectiveNumber> {
    numbers
        .iter()
        .map(|n| ObjectiveNumber::new(*n).expect("objective"))
        .collect()
}

fn targets(codes: &[&str]) -> Vec<SdgTargetCode> {
    codes
        .iter()
        .map(|c| SdgTargetCode::parse(c).expect("target"))
        .collect()
}

#[test]
fn a_commitment_is_made_with_the_facts_given() {
    when_made(command()).then([made()]);
}

#[test]
fn made_on_defaults_to_the_recording_date() {
    let mut expected = samples::commitment();
    expected.made_on = NOW.date();
    expected.due_date = None;
    when_made(MakeCommitment {
        made_on: None,
        due_date: None,
        ..command()
    })
    .then([CommitmentEvent::CommitmentMade(expected)]);
}

#[test]
fn a_commitment_cannot_be_made_twice() {
    given::<CommitmentState>([made()])
        .when(CommitmentCommand::Make(command()))
        .then_error(DomainError::AlreadyExists {
            entity: Entity::Commitment,
            id: commitment_id().to_string(),
        });
}

#[test]
fn an_unknown_mechanism_is_refused_naming_the_field() {
    when_made(MakeCommitment {
        mechanism_id: MechanismId::parse("nowhere-process").expect("slug"),
        ..command()
    })
    .then_error(DomainError::Unknown {
        field: "mechanism_id".to_owned(),
        value: "nowhere-process".to_owned(),
    });
}

#[test]
fn an_unknown_sdg_target_is_refused_naming_its_index() {
    when_made(MakeCommitment {
        sdg_targets: targets(&["10.7", "10.9"]),
        ..command()
    })
    .then_error(DomainError::Unknown {
        field: "sdg_targets[1]".to_owned(),
        value: "10.9".to_owned(),
    });
}

#[test]
fn an_unknown_recommendation_is_refused_naming_its_index() {
    when_made(MakeCommitment {
        recommendation_ids: vec![RecommendationId::parse("grcp7-99.1").expect("slug")],
        ..command()
    })
    .then_error(DomainError::Unknown {
        field: "recommendation_ids[0]".to_owned(),
        value: "grcp7-99.1".to_owned(),
    });
}

#[test]
fn a_commitment_needs_at_least_one_gcm_objective() {
    when_made(MakeCommitment {
        gcm_objectives: Vec::new(),
        ..command()
    })
    .then_error(DomainError::Empty {
        field: "gcm_objectives".to_owned(),
    });
}

#[test]
fn a_repeated_gcm_objective_is_refused() {
    when_made(MakeCommitment {
        gcm_objectives: objectives(&[3, 5, 3]),
        ..command()
    })
    .then_error(DomainError::Duplicate {
        field: "gcm_objectives[2]".to_owned(),
    });
}

#[test]
fn a_repeated_sdg_target_is_refused() {
    when_made(MakeCommitment {
        sdg_targets: targets(&["10.7", "10.7"]),
        ..command()
    })
    .then_error(DomainError::Duplicate {
        field: "sdg_targets[1]".to_owned(),
    });
}

#[test]
fn a_blank_title_is_refused() {
    when_made(MakeCommitment {
        title: "   ".to_owned(),
        ..command()
    })
    .then_error(DomainError::Blank {
        field: "title".to_owned(),
    });
}

#[test]
fn a_title_over_two_hundred_characters_is_refused() {
    when_made(MakeCommitment {
        title: "x".repeat(201),
        ..command()
    })
    .then_error(DomainError::TooLong {
        field: "title".to_owned(),
        max: 200,
    });
}

#[test]
fn a_description_over_ten_thousand_characters_is_refused() {
    when_made(MakeCommitment {
        description: "x".repeat(10_001),
        ..command()
    })
    .then_error(DomainError::TooLong {
        field: "description".to_owned(),
        max: 10_000,
    });
}

#[test]
fn a_commitment_made_after_today_is_refused() {
    when_made(MakeCommitment {
        made_on: Some(date!(2025 - 06 - 16)),
        due_date: None,
        ..command()
    })
    .then_error(DomainError::InFuture {
        field: "made_on".to_owned(),
        date: date!(2025 - 06 - 16),
        today: date!(2025 - 06 - 15),
    });
}

#[test]
fn a_due_date_before_made_on_is_refused() {
    when_made(MakeCommitment {
        due_date: Some(date!(2019 - 05 - 31)),
        ..command()
    })
    .then_error(DomainError::DueBeforeMade {
        field: "due_date".to_owned(),
        due_date: date!(2019 - 05 - 31),
        made_on: date!(2019 - 06 - 01),
    });
}

#[test]
fn a_commitment_made_before_2016_or_in_year_zero_is_refused() {
    for made_on in [
        date!(2015 - 12 - 31),
        date!(0000 - 01 - 01),
        date!(-0001 - 01 - 01),
    ] {
        when_made(MakeCommitment {
            made_on: Some(made_on),
            due_date: None,
            ..command()
        })
        .then_error(DomainError::DateOutOfRange {
            field: "made_on".to_owned(),
            date: made_on,
            earliest: date!(2016 - 01 - 01),
            latest: NOW.date(),
        });
    }
}

#[test]
fn a_due_date_more_than_a_century_after_made_on_is_refused() {
    when_made(MakeCommitment {
        due_date: Some(date!(9999 - 12 - 31)),
        ..command()
    })
    .then_error(DomainError::DateOutOfRange {
        field: "due_date".to_owned(),
        date: date!(9999 - 12 - 31),
        earliest: date!(2019 - 06 - 01),
        latest: date!(2119 - 06 - 01),
    });
}

#[test]
fn an_indicator_without_a_unit_is_refused() {
    when_made(MakeCommitment {
        indicator: Some(Indicator {
            name: "People reached".to_owned(),
            unit: String::new(),
            baseline: None,
            target: None,
        }),
        ..command()
    })
    .then_error(DomainError::Blank {
        field: "indicator.unit".to_owned(),
    });
}
