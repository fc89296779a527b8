//! [`Prefetched`]: the facts from outside a stream that a decision needs, fetched before deciding
//! (the domain does no I/O).

use std::collections::HashSet;

use compact_events::context::Lookup;
use compact_events::ids::{MechanismId, RecommendationId, SdgTargetCode};
use compact_events::stream::StreamId;

use crate::store::{EventStore, StoreError};

/// Which of the mechanisms and recommendations a request names exist.
#[derive(Debug, Default)]
pub struct Prefetched {
    mechanisms: HashSet<MechanismId>,
    recommendations: HashSet<RecommendationId>,
}

impl Prefetched {
    /// Looks up which of the named mechanisms and recommendations exist.
    ///
    /// A request body may list tens of thousands of ids within the size limit, so each distinct
    /// id is looked up once, and the lookup stops at the first unknown one: the decision names
    /// the first unknown entry and looks no further. A request thus costs at most one lookup per
    /// distinct existing id, plus one.
    pub async fn fetch<S: EventStore>(
        store: &S,
        mechanisms: &[MechanismId],
        recommendations: &[RecommendationId],
    ) -> Result<Self, StoreError> {
        let mut found = Self::default();
        let mut asked = HashSet::new();
        for mechanism in mechanisms {
            let stream = StreamId::Mechanism(mechanism.clone());
            if !asked.insert(stream.to_string()) {
                continue;
            }
            if !stream_exists(store, &stream).await? {
                break;
            }
            found.mechanisms.insert(mechanism.clone());
        }
        for recommendation in recommendations {
            let stream = StreamId::Recommendation(recommendation.clone());
            if !asked.insert(stream.to_string()) {
                continue;
            }
            if !stream_exists(store, &stream).await? {
                break;
            }
            found.recommendations.insert(recommendation.clone());
        }
        Ok(found)
    }
}

impl Lookup for Prefetched {
    fn sdg_target_exists(&self, code: &SdgTargetCode) -> bool {
        compact_events::catalogue::sdg_target(code).is_some()
    }

    fn recommendation_exists(&self, id: &RecommendationId) -> bool {
        self.recommendations.contains(id)
    }

    fn mechanism_exists(&self, id: &MechanismId) -> bool {
        self.mechanisms.contains(id)
    }
}

async fn stream_exists<S: EventStore>(store: &S, stream: &StreamId) -> Result<bool, StoreError> {
    Ok(!store.read_stream(&stream.to_string(), 1).await?.is_empty())
}
