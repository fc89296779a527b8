//! Loads the built-in catalogues into the store as events (SPEC.md "Model": "Built-in catalogues,
//! loaded as events on first start").
//!
//! Runs at every start and is idempotent: a catalogue stream that already exists is left alone
//! (the domain answers `AlreadyExists`), so an upgrade that ships new review points or
//! recommendations adds just those.

use compact_events::catalogue::{self, Catalogue};
use compact_events::command::add_recommendation::{AddRecommendation, RecommendationState};
use compact_events::command::add_review_point::{AddReviewPoint, ReviewPointState};
use compact_events::command::load_catalogue::{CatalogueCommand, CatalogueState};
use compact_events::context::Actor;
use compact_events::decider::Decider;
use compact_events::event::Event;
use compact_events::stream::StreamId;

use compact_events::error::DomainError;

use crate::store::EventStore;
use crate::write::{Executor, Prefetched, WriteContext, WriteError, WriteRequest};

/// How many catalogue streams were written and how many were already there.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    /// Streams created now.
    pub created: usize,
    /// Streams that already existed.
    pub existing: usize,
}

/// Appends every built-in catalogue that the store does not hold yet.
pub async fn load_builtin_catalogues<S: EventStore + Clone>(
    store: &S,
) -> Result<SeedReport, WriteError> {
    let executor = Executor::new(store.clone());
    let mut report = SeedReport::default();
    let gcm = Catalogue::GcmObjectives.info();
    let sdg = Catalogue::SdgTargets.info();
    seed_one::<CatalogueState, _>(&executor, StreamId::GcmObjectives, &mut report, || {
        CatalogueCommand::LoadGcmObjectives {
            version: gcm.version.clone(),
            source: gcm.source.clone(),
            objectives: catalogue::gcm_objectives().to_vec(),
        }
    })
    .await?;
    seed_one::<CatalogueState, _>(&executor, StreamId::SdgTargets, &mut report, || {
        CatalogueCommand::LoadSdgTargets {
            version: sdg.version.clone(),
            source: sdg.source.clone(),
            targets: catalogue::sdg_targets().to_vec(),
        }
    })
    .await?;
    for recommendation in catalogue::grcp7_recommendations() {
        let stream = StreamId::Recommendation(recommendation.id.clone());
        seed_one::<RecommendationState, _>(&executor, stream, &mut report, || AddRecommendation {
            id: recommendation.id.clone(),
            text: recommendation.text.clone(),
            theme: recommendation.theme.clone(),
            source: recommendation.source.clone(),
        })
        .await?;
    }
    for review_point in catalogue::review_points() {
        let stream = StreamId::ReviewPoint(review_point.id.clone());
        seed_one::<ReviewPointState, _>(&executor, stream, &mut report, || AddReviewPoint {
            review_point: review_point.clone(),
        })
        .await?;
    }
    Ok(report)
}

async fn seed_one<D, S>(
    executor: &Executor<S>,
    stream: StreamId,
    report: &mut SeedReport,
    command: impl Fn() -> D::Command,
) -> Result<(), WriteError>
where
    D: Decider + Clone + Send + Sync + 'static,
    D::Event: TryFrom<Event> + Into<Event> + Clone,
    S: EventStore,
{
    let write = WriteContext {
        actor: Actor::system(),
        correlation_id: Some("seed".into()),
        if_match: None,
        idempotency: None,
    };
    let id = stream.to_string();
    let result = executor
        .execute(WriteRequest::<D, _>::new(
            stream,
            id,
            &write,
            &Prefetched::default(),
            |_| Ok(command()),
        ))
        .await;
    match result {
        Ok(_) => report.created += 1,
        Err(WriteError::Domain(DomainError::AlreadyExists { .. })) => report.existing += 1,
        Err(other) => return Err(other),
    }
    Ok(())
}
