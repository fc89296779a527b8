//! One sample of every event variant, for round-trip and wire-format tests.

use time::macros::date;

use crate::catalogue::{GcmObjective, Localized, Recommendation, ReviewPoint, SdgTarget};
use crate::event::Event;
use crate::event::catalogue::{CatalogueEvent, RecommendationEvent, ReviewPointEvent};
use crate::event::commitment::{
    Commitment, CommitmentChanges, CommitmentEvent, Indicator, ProgressReported, ProgressReview,
    ProgressStatus,
};
use crate::event::mechanism::{Mechanism, MechanismEvent, MechanismKind};
use crate::ids::{
    CommitmentId, MechanismId, ObjectiveNumber, Percent, RecommendationId, ReviewPointId,
    SdgTargetCode,
};
use crate::quantity::Quantity;

fn english(text: &str) -> Localized {
    Localized {
        en: text.to_owned(),
        fr: None,
        es: None,
    }
}

/// A sample commitment, as made.
pub(crate) fn commitment() -> Commitment {
    Commitment {
        commitment_id: CommitmentId::parse("0190f1c2-7a1e-7c3d-8e4f-5a6b7c8d9e0f").expect("uuid"),
        mechanism_id: MechanismId::parse("bali-process").expect("slug"),
        title: "Pre-departure orientation for migrant workers".to_owned(),
        description: "Orientation modules in countries of origin.".to_owned(),
        gcm_objectives: vec![ObjectiveNumber::new(3).expect("objective")],
        sdg_targets: vec![SdgTargetCode::parse("10.7").expect("target")],
        recommendation_ids: vec![RecommendationId::parse("grcp7-6.1").expect("slug")],
        made_on: date!(2019 - 06 - 01),
        due_date: Some(date!(2022 - 12 - 31)),
        indicator: Some(Indicator {
            name: "Prospective migrant workers reached".to_owned(),
            unit: "people".to_owned(),
            baseline: Quantity::parse("0").ok(),
            target: Quantity::parse("5000").ok(),
        }),
    }
}

/// One event of every registered type.
pub(crate) fn every_event() -> Vec<Event> {
    vec![
        MechanismEvent::MechanismRegistered(Mechanism {
            id: MechanismId::parse("bali-process").expect("slug"),
            name: "Bali Process".to_owned(),
            kind: MechanismKind::InterregionalForum,
            region: Some("Asia and the Pacific".to_owned()),
        })
        .into(),
        RecommendationEvent::RecommendationAdded(Recommendation {
            id: RecommendationId::parse("grcp7-6.1").expect("slug"),
            text: "Strengthen data collection.".to_owned(),
            theme: "data".to_owned(),
            source: "GRCP 7 Highlights, para 6".to_owned(),
        })
        .into(),
        ReviewPointEvent::ReviewPointAdded(ReviewPoint {
            id: ReviewPointId::parse("imrf-2022").expect("slug"),
            name: "First International Migration Review Forum".to_owned(),
            starts_on: date!(2022 - 05 - 17),
            ends_on: date!(2022 - 05 - 20),
        })
        .into(),
        CatalogueEvent::GcmObjectivesLoaded {
            version: "2018-12-19".to_owned(),
            source: "A/RES/73/195".to_owned(),
            objectives: vec![GcmObjective {
                number: ObjectiveNumber::new(1).expect("objective"),
                short_title: english("Data"),
                title: english("Collect and utilize accurate and disaggregated data"),
            }],
        }
        .into(),
        CatalogueEvent::SdgTargetsLoaded {
            version: "2017-07-06".to_owned(),
            source: "A/RES/71/313".to_owned(),
            targets: vec![SdgTarget {
                code: SdgTargetCode::parse("10.7").expect("target"),
                title: english("Facilitate orderly, safe, regular and responsible migration"),
                migration_relevant: true,
            }],
        }
        .into(),
        CommitmentEvent::CommitmentMade(commitment()).into(),
        CommitmentEvent::CommitmentRevised {
            changes: CommitmentChanges {
                title: Some("Pre-departure orientation".to_owned()),
                due_date: Some(None),
                ..CommitmentChanges::default()
            },
            reason: "Shorter title; no fixed end date.".to_owned(),
        }
        .into(),
        CommitmentEvent::ProgressReported(ProgressReported {
            seq: 1,
            status: ProgressStatus::InProgress,
            effective_date: date!(2021 - 03 - 31),
            percent_complete: Percent::new(40).ok(),
            indicator_value: Quantity::parse("1250").ok(),
            narrative: "Piloted in two countries.".to_owned(),
            evidence_urls: vec!["https://example.org/report.pdf".to_owned()],
        })
        .into(),
        CommitmentEvent::ProgressValidated(ProgressReview {
            seq: 1,
            note: "Checked against the report.".to_owned(),
        })
        .into(),
        CommitmentEvent::ProgressRejected(ProgressReview {
            seq: 1,
            note: "The report covers another programme.".to_owned(),
        })
        .into(),
        CommitmentEvent::ProgressRetracted {
            seq: 1,
            reason: "Reported against the wrong commitment.".to_owned(),
        }
        .into(),
        CommitmentEvent::CommitmentWithdrawn {
            reason: "Merged into a joint commitment.".to_owned(),
            withdrawn_on: date!(2023 - 01 - 15),
        }
        .into(),
    ]
}
