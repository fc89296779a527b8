//! What a decision may know about the world besides its own stream: the time, who asks, and the
//! catalogue lookups.
//!
//! Decisions are pure (STYLE.md point 2): the service reads the clock and the store *before*
//! calling `decide` and passes the answers in through a [`Context`], so a decision is a
//! deterministic function of its inputs and tests need no clock, database or mocks of either.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, UtcOffset};

use crate::ids::{MechanismId, RecommendationId, SdgTargetCode};

/// Everything a decision may consult besides the state of its own stream.
#[derive(Clone)]
pub struct Context<'a> {
    /// When the command is being recorded: the server's clock, read once per request.
    pub now: OffsetDateTime,
    /// Who sends the command. Authorization is the HTTP layer's job; decisions get the actor so
    /// that they could record it, not to check it.
    pub actor: Actor,
    /// Answers about other streams (mechanisms, recommendations, SDG targets).
    pub lookup: &'a dyn Lookup,
}

impl Context<'_> {
    /// The recording date: the UTC calendar date of [`Context::now`].
    ///
    /// "Never in the future" rules compare against this date. UTC keeps the rule the same for every
    /// client; a reporter east of Greenwich may therefore be a day ahead for a few hours.
    pub fn today(&self) -> Date {
        self.now.to_offset(UtcOffset::UTC).date()
    }
}

/// Facts about other streams that decisions need, answered by the service from its read side.
///
/// GCM objectives need no lookup: [`crate::ids::ObjectiveNumber`] only admits 1 to 23.
pub trait Lookup {
    /// Whether the SDG target catalogue holds this target.
    fn sdg_target_exists(&self, code: &SdgTargetCode) -> bool;
    /// Whether a recommendation with this id was added.
    fn recommendation_exists(&self, id: &RecommendationId) -> bool;
    /// Whether a mechanism with this id was registered.
    fn mechanism_exists(&self, id: &MechanismId) -> bool;
}

/// Who sends a command: an API token and the role it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The token's public id (never the secret itself).
    pub token_id: String,
    /// What the token may do.
    #[serde(flatten)]
    pub role: Role,
}

/// The roles of SPEC.md "Auth", plus the server itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role")]
pub enum Role {
    /// The secretariat: may write everything and validate progress.
    #[serde(rename = "admin")]
    Admin,
    /// May write the commitments of one mechanism only.
    #[serde(rename = "reporter")]
    Reporter {
        /// The mechanism whose commitments this reporter may write.
        mechanism: MechanismId,
    },
    /// Read-only.
    #[serde(rename = "reviewer")]
    Reviewer,
    /// The server itself, loading the built-in catalogues into an empty store.
    #[serde(rename = "system")]
    System,
}

impl Actor {
    /// The actor the server uses for its own writes, such as loading the built-in catalogues.
    pub fn system() -> Self {
        Self {
            token_id: "system".to_owned(),
            role: Role::System,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_serialise_with_a_flat_role_tag() {
        let actor = Actor {
            token_id: "tok_1".to_owned(),
            role: Role::Reporter {
                mechanism: MechanismId::parse("bali-process").expect("valid slug"),
            },
        };
        let json = serde_json::to_value(&actor).expect("serialisable");
        assert_eq!(
            json,
            serde_json::json!({"token_id": "tok_1", "role": "reporter", "mechanism": "bali-process"})
        );
        assert_eq!(
            serde_json::from_value::<Actor>(json).expect("deserialisable"),
            actor
        );
        assert_eq!(
            serde_json::to_value(Actor::system()).expect("serialisable"),
            serde_json::json!({"token_id": "system", "role": "system"})
        );
    }

    #[test]
    fn today_is_the_utc_date_of_now() {
        let now = time::macros::datetime!(2025-06-15 23:30 -02:00);
        struct Nothing;
        impl Lookup for Nothing {
            fn sdg_target_exists(&self, _: &SdgTargetCode) -> bool {
                false
            }
            fn recommendation_exists(&self, _: &RecommendationId) -> bool {
                false
            }
            fn mechanism_exists(&self, _: &MechanismId) -> bool {
                false
            }
        }
        let context = Context {
            now,
            actor: Actor::system(),
            lookup: &Nothing,
        };
        assert_eq!(context.today(), time::macros::date!(2025 - 06 - 16));
    }
}
