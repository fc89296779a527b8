//! Loading the built-in catalogues of GCM objectives and SDG targets, and the state of a catalogue
//! stream (`catalogue-gcm-objectives`, `catalogue-sdg-targets`).
//!
//! The server loads each catalogue as the `system` actor on first start of an empty store, so the
//! catalogues have a history like everything else. Each load names an edition (`version`); loading
//! an edition the stream already holds is refused with [`DomainError::AlreadyExists`], which lets
//! the server seed idempotently, and a later release can load a corrected edition beside it.
//!
//! Rules: edition and source are not blank; the GCM objectives list each of the 23 objectives
//! exactly once; the SDG targets are not empty and not repeated.

use std::collections::BTreeSet;

use crate::catalogue::{GcmObjective, SdgTarget};
use crate::context::Context;
use crate::decider::Decider;
use crate::error::{DomainError, Entity};
use crate::event::catalogue::CatalogueEvent;
use crate::ids::ObjectiveNumber;
use crate::rules::{self, LABEL_MAX, SOURCE_MAX};

/// What may be asked of a catalogue stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogueCommand {
    /// Load an edition of the GCM objectives into `catalogue-gcm-objectives`.
    LoadGcmObjectives {
        /// The edition.
        version: String,
        /// Where the text comes from.
        source: String,
        /// The 23 objectives.
        objectives: Vec<GcmObjective>,
    },
    /// Load an edition of the SDG targets into `catalogue-sdg-targets`.
    LoadSdgTargets {
        /// The edition.
        version: String,
        /// Where the text comes from.
        source: String,
        /// The targets.
        targets: Vec<SdgTarget>,
    },
}

/// A catalogue stream's state: the editions loaded and the latest one's entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogueState {
    /// Every edition loaded, oldest first.
    pub editions: Vec<String>,
    /// The latest edition's GCM objectives (empty in the SDG stream).
    pub objectives: Vec<GcmObjective>,
    /// The latest edition's SDG targets (empty in the GCM stream).
    pub targets: Vec<SdgTarget>,
    /// How many events the stream holds.
    pub version: u64,
}

impl Decider for CatalogueState {
    type Command = CatalogueCommand;
    type Event = CatalogueEvent;

    fn decide(
        &self,
        command: CatalogueCommand,
        _context: &Context<'_>,
    ) -> Result<Vec<CatalogueEvent>, DomainError> {
        let (version, source) = match &command {
            CatalogueCommand::LoadGcmObjectives {
                version, source, ..
            }
            | CatalogueCommand::LoadSdgTargets {
                version, source, ..
            } => (version, source),
        };
        if self.editions.contains(version) {
            return Err(DomainError::AlreadyExists {
                entity: Entity::Catalogue,
                id: version.clone(),
            });
        }
        rules::required_text("version", version, LABEL_MAX)?;
        rules::required_text("source", source, SOURCE_MAX)?;
        match command {
            CatalogueCommand::LoadGcmObjectives {
                version,
                source,
                objectives,
            } => {
                let numbers: BTreeSet<ObjectiveNumber> = objectives
                    .iter()
                    .map(|objective| objective.number)
                    .collect();
                if objectives.len() != usize::from(ObjectiveNumber::COUNT)
                    || numbers.len() != objectives.len()
                {
                    return Err(DomainError::IncompleteObjectives);
                }
                Ok(vec![CatalogueEvent::GcmObjectivesLoaded {
                    version,
                    source,
                    objectives,
                }])
            }
            CatalogueCommand::LoadSdgTargets {
                version,
                source,
                targets,
            } => {
                if targets.is_empty() {
                    return Err(DomainError::Empty {
                        field: "targets".to_owned(),
                    });
                }
                let codes: Vec<_> = targets.iter().map(|target| &target.code).collect();
                rules::no_duplicates("targets", &codes)?;
                Ok(vec![CatalogueEvent::SdgTargetsLoaded {
                    version,
                    source,
                    targets,
                }])
            }
        }
    }

    fn evolve(mut self, event: &CatalogueEvent) -> Self {
        self.version += 1;
        match event {
            CatalogueEvent::GcmObjectivesLoaded {
                version,
                objectives,
                ..
            } => {
                self.editions.push(version.clone());
                self.objectives.clone_from(objectives);
            }
            CatalogueEvent::SdgTargetsLoaded {
                version, targets, ..
            } => {
                self.editions.push(version.clone());
                self.targets.clone_from(targets);
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Localized;
    use crate::ids::SdgTargetCode;
    use crate::testing::given;

    fn english(text: &str) -> Localized {
        Localized {
            en: text.to_owned(),
            fr: None,
            es: None,
        }
    }

    fn objectives() -> Vec<GcmObjective> {
        ObjectiveNumber::all()
            .map(|number| GcmObjective {
                number,
                short_title: english(&format!("Objective {number}")),
                title: english(&format!("Objective {number} in full")),
            })
            .collect()
    }

    fn load_gcm(objectives: Vec<GcmObjective>) -> CatalogueCommand {
        CatalogueCommand::LoadGcmObjectives {
            version: "2018-12-19".to_owned(),
            source: "A/RES/73/195, para 16".to_owned(),
            objectives,
        }
    }

    fn loaded_gcm() -> CatalogueEvent {
        CatalogueEvent::GcmObjectivesLoaded {
            version: "2018-12-19".to_owned(),
            source: "A/RES/73/195, para 16".to_owned(),
            objectives: objectives(),
        }
    }

    fn target(code: &str) -> SdgTarget {
        SdgTarget {
            code: SdgTargetCode::parse(code).expect("target"),
            title: english(code),
            migration_relevant: true,
        }
    }

    #[test]
    fn the_gcm_objectives_are_loaded_into_an_empty_stream() {
        given::<CatalogueState>([])
            .when(load_gcm(objectives()))
            .then([loaded_gcm()]);
    }

    #[test]
    fn loading_the_same_edition_again_is_refused() {
        given::<CatalogueState>([loaded_gcm()])
            .when(load_gcm(objectives()))
            .then_error(DomainError::AlreadyExists {
                entity: Entity::Catalogue,
                id: "2018-12-19".to_owned(),
            });
    }

    #[test]
    fn a_gcm_catalogue_missing_an_objective_is_refused() {
        let mut incomplete = objectives();
        incomplete.pop();
        given::<CatalogueState>([])
            .when(load_gcm(incomplete))
            .then_error(DomainError::IncompleteObjectives);
        let mut repeated = objectives();
        repeated[22].number = repeated[0].number;
        given::<CatalogueState>([])
            .when(load_gcm(repeated))
            .then_error(DomainError::IncompleteObjectives);
    }

    #[test]
    fn a_repeated_sdg_target_is_refused() {
        given::<CatalogueState>([])
            .when(CatalogueCommand::LoadSdgTargets {
                version: "2017-07-06".to_owned(),
                source: "A/RES/71/313".to_owned(),
                targets: vec![target("10.7"), target("10.c"), target("10.7")],
            })
            .then_error(DomainError::Duplicate {
                field: "targets[2]".to_owned(),
            });
    }

    #[test]
    fn the_state_keeps_the_latest_edition() {
        let state = CatalogueState::fold(&[CatalogueEvent::SdgTargetsLoaded {
            version: "2017-07-06".to_owned(),
            source: "A/RES/71/313".to_owned(),
            targets: vec![target("10.7")],
        }]);
        assert_eq!(state.editions, ["2017-07-06"]);
        assert_eq!(state.targets, [target("10.7")]);
        assert_eq!(state.version, 1);
    }
}
