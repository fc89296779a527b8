//! `RegisterMechanism`: an admin registers a mechanism (`POST /v1/mechanisms`), and the state of a
//! mechanism stream.
//!
//! Rules: the id is registered once ([`DomainError::AlreadyExists`], 409); the name is not blank
//! and the region, when given, is not blank either (at most 200 characters each).

use crate::context::Context;
use crate::decider::Decider;
use crate::error::{DomainError, Entity};
use crate::event::mechanism::{Mechanism, MechanismEvent, MechanismKind};
use crate::ids::MechanismId;
use crate::rules::{self, NAME_MAX};

/// Registers a mechanism.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterMechanism {
    /// Its slug; the stream is `mechanism-<id>`.
    pub id: MechanismId,
    /// Display name.
    pub name: String,
    /// What kind of mechanism.
    pub kind: MechanismKind,
    /// The region it covers, if any.
    pub region: Option<String>,
}

/// A mechanism stream's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MechanismState {
    /// The mechanism, once registered.
    pub mechanism: Option<Mechanism>,
    /// How many events the stream holds.
    pub version: u64,
}

impl Decider for MechanismState {
    type Command = RegisterMechanism;
    type Event = MechanismEvent;

    fn decide(
        &self,
        command: RegisterMechanism,
        _context: &Context<'_>,
    ) -> Result<Vec<MechanismEvent>, DomainError> {
        if self.mechanism.is_some() {
            return Err(DomainError::AlreadyExists {
                entity: Entity::Mechanism,
                id: command.id.to_string(),
            });
        }
        rules::required_text("name", &command.name, NAME_MAX)?;
        if let Some(region) = &command.region {
            rules::required_text("region", region, NAME_MAX)?;
        }
        Ok(vec![MechanismEvent::MechanismRegistered(Mechanism {
            id: command.id,
            name: command.name,
            kind: command.kind,
            region: command.region,
        })])
    }

    fn evolve(mut self, event: &MechanismEvent) -> Self {
        self.version += 1;
        match event {
            MechanismEvent::MechanismRegistered(mechanism) => {
                self.mechanism = Some(mechanism.clone());
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::given;

    fn command() -> RegisterMechanism {
        RegisterMechanism {
            id: MechanismId::parse("bali-process").expect("slug"),
            name: "Bali Process".to_owned(),
            kind: MechanismKind::InterregionalForum,
            region: Some("Asia and the Pacific".to_owned()),
        }
    }

    fn registered() -> MechanismEvent {
        MechanismEvent::MechanismRegistered(Mechanism {
            id: MechanismId::parse("bali-process").expect("slug"),
            name: "Bali Process".to_owned(),
            kind: MechanismKind::InterregionalForum,
            region: Some("Asia and the Pacific".to_owned()),
        })
    }

    #[test]
    fn a_new_mechanism_is_registered() {
        given::<MechanismState>([])
            .when(command())
            .then([registered()]);
    }

    #[test]
    fn a_mechanism_cannot_be_registered_twice() {
        given::<MechanismState>([registered()])
            .when(command())
            .then_error(DomainError::AlreadyExists {
                entity: Entity::Mechanism,
                id: "bali-process".to_owned(),
            });
    }

    #[test]
    fn a_mechanism_needs_a_name() {
        given::<MechanismState>([])
            .when(RegisterMechanism {
                name: String::new(),
                ..command()
            })
            .then_error(DomainError::Blank {
                field: "name".to_owned(),
            });
    }

    #[test]
    fn a_blank_region_is_refused() {
        given::<MechanismState>([])
            .when(RegisterMechanism {
                region: Some(" ".to_owned()),
                ..command()
            })
            .then_error(DomainError::Blank {
                field: "region".to_owned(),
            });
    }

    #[test]
    fn registering_sets_the_state_and_counts_the_version() {
        let state = MechanismState::fold(&[registered()]);
        assert_eq!(state.version, 1);
        assert_eq!(
            state.mechanism.map(|mechanism| mechanism.kind),
            Some(MechanismKind::InterregionalForum)
        );
    }
}
