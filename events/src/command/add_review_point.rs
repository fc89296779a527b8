//! `AddReviewPoint`: add a follow-up review date to the review points catalogue (built in on first
//! start, extendable by an admin), and the state of a review point stream.
//!
//! Rules: the id is added once ([`DomainError::AlreadyExists`], 409); the name is not blank (at
//! most 200 characters); the review does not end before it starts. Review points may lie in the
//! future: IMRF 2026 is a preset before it happens.

use crate::catalogue::ReviewPoint;
use crate::context::Context;
use crate::decider::Decider;
use crate::error::{DomainError, Entity};
use crate::event::catalogue::ReviewPointEvent;
use crate::rules::{self, NAME_MAX};

/// Adds a review point. The stream is `review-point-<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddReviewPoint {
    /// The review point to add.
    pub review_point: ReviewPoint,
}

/// A review point stream's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewPointState {
    /// The review point, once added.
    pub review_point: Option<ReviewPoint>,
    /// How many events the stream holds.
    pub version: u64,
}

impl Decider for ReviewPointState {
    type Command = AddReviewPoint;
    type Event = ReviewPointEvent;

    fn decide(
        &self,
        command: AddReviewPoint,
        _context: &Context<'_>,
    ) -> Result<Vec<ReviewPointEvent>, DomainError> {
        let review_point = command.review_point;
        if self.review_point.is_some() {
            return Err(DomainError::AlreadyExists {
                entity: Entity::ReviewPoint,
                id: review_point.id.to_string(),
            });
        }
        rules::required_text("name", &review_point.name, NAME_MAX)?;
        if review_point.ends_on < review_point.starts_on {
            return Err(DomainError::EndsBeforeStarts {
                starts_on: review_point.starts_on,
                ends_on: review_point.ends_on,
            });
        }
        Ok(vec![ReviewPointEvent::ReviewPointAdded(review_point)])
    }

    fn evolve(mut self, event: &ReviewPointEvent) -> Self {
        self.version += 1;
        match event {
            ReviewPointEvent::ReviewPointAdded(review_point) => {
                self.review_point = Some(review_point.clone());
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::ids::ReviewPointId;
    use crate::testing::given;

    fn imrf_2022() -> ReviewPoint {
        ReviewPoint {
            id: ReviewPointId::parse("imrf-2022").expect("slug"),
            name: "First International Migration Review Forum".to_owned(),
            starts_on: date!(2022 - 05 - 17),
            ends_on: date!(2022 - 05 - 20),
        }
    }

    #[test]
    fn a_new_review_point_is_added() {
        given::<ReviewPointState>([])
            .when(AddReviewPoint {
                review_point: imrf_2022(),
            })
            .then([ReviewPointEvent::ReviewPointAdded(imrf_2022())]);
    }

    #[test]
    fn a_review_point_cannot_be_added_twice() {
        given::<ReviewPointState>([ReviewPointEvent::ReviewPointAdded(imrf_2022())])
            .when(AddReviewPoint {
                review_point: imrf_2022(),
            })
            .then_error(DomainError::AlreadyExists {
                entity: Entity::ReviewPoint,
                id: "imrf-2022".to_owned(),
            });
    }

    #[test]
    fn a_review_cannot_end_before_it_starts() {
        given::<ReviewPointState>([])
            .when(AddReviewPoint {
                review_point: ReviewPoint {
                    ends_on: date!(2022 - 05 - 16),
                    ..imrf_2022()
                },
            })
            .then_error(DomainError::EndsBeforeStarts {
                starts_on: date!(2022 - 05 - 17),
                ends_on: date!(2022 - 05 - 16),
            });
    }
}
