//! `AddRecommendation`: an admin adds a recommendation to the catalogue
//! (`POST /v1/recommendations`; the GRCP 7 Highlights ship built in), and the state of a
//! recommendation stream.
//!
//! Rules: the id is added once ([`DomainError::AlreadyExists`], 409); text (at most 10,000
//! characters), theme (at most 100) and source (at most 1,000) are not blank.

use crate::catalogue::Recommendation;
use crate::context::Context;
use crate::decider::Decider;
use crate::error::{DomainError, Entity};
use crate::event::catalogue::RecommendationEvent;
use crate::ids::RecommendationId;
use crate::rules::{self, LABEL_MAX, RECOMMENDATION_TEXT_MAX, SOURCE_MAX};

/// Adds a recommendation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddRecommendation {
    /// Its slug; the stream is `recommendation-<id>`.
    pub id: RecommendationId,
    /// The recommendation's text.
    pub text: String,
    /// A short theme, e.g. `data`.
    pub theme: String,
    /// Where it comes from.
    pub source: String,
}

/// A recommendation stream's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecommendationState {
    /// The recommendation, once added.
    pub recommendation: Option<Recommendation>,
    /// How many events the stream holds.
    pub version: u64,
}

impl Decider for RecommendationState {
    type Command = AddRecommendation;
    type Event = RecommendationEvent;

    fn decide(
        &self,
        command: AddRecommendation,
        _context: &Context<'_>,
    ) -> Result<Vec<RecommendationEvent>, DomainError> {
        if self.recommendation.is_some() {
            return Err(DomainError::AlreadyExists {
                entity: Entity::Recommendation,
                id: command.id.to_string(),
            });
        }
        rules::required_text("text", &command.text, RECOMMENDATION_TEXT_MAX)?;
        rules::required_text("theme", &command.theme, LABEL_MAX)?;
        rules::required_text("source", &command.source, SOURCE_MAX)?;
        Ok(vec![RecommendationEvent::RecommendationAdded(
            Recommendation {
                id: command.id,
                text: command.text,
                theme: command.theme,
                source: command.source,
            },
        )])
    }

    fn evolve(mut self, event: &RecommendationEvent) -> Self {
        self.version += 1;
        match event {
            RecommendationEvent::RecommendationAdded(recommendation) => {
                self.recommendation = Some(recommendation.clone());
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::given;

    fn command() -> AddRecommendation {
        AddRecommendation {
            id: RecommendationId::parse("grcp7-6.1").expect("slug"),
            text: "Strengthen data collection and sharing.".to_owned(),
            theme: "data".to_owned(),
            source: "GRCP 7 Highlights Document, para 6".to_owned(),
        }
    }

    fn added() -> RecommendationEvent {
        RecommendationEvent::RecommendationAdded(Recommendation {
            id: RecommendationId::parse("grcp7-6.1").expect("slug"),
            text: "Strengthen data collection and sharing.".to_owned(),
            theme: "data".to_owned(),
            source: "GRCP 7 Highlights Document, para 6".to_owned(),
        })
    }

    #[test]
    fn a_new_recommendation_is_added() {
        given::<RecommendationState>([])
            .when(command())
            .then([added()]);
    }

    #[test]
    fn a_recommendation_cannot_be_added_twice() {
        given::<RecommendationState>([added()])
            .when(command())
            .then_error(DomainError::AlreadyExists {
                entity: Entity::Recommendation,
                id: "grcp7-6.1".to_owned(),
            });
    }

    #[test]
    fn a_recommendation_needs_a_source() {
        given::<RecommendationState>([])
            .when(AddRecommendation {
                source: "\t".to_owned(),
                ..command()
            })
            .then_error(DomainError::Blank {
                field: "source".to_owned(),
            });
    }
}
