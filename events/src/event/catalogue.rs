//! The events of the reference-data streams: the built-in catalogues (`catalogue-gcm-objectives`,
//! `catalogue-sdg-targets`), recommendations (`recommendation-<slug>`) and review points
//! (`review-point-<slug>`).
//!
//! The data types themselves live in [`crate::catalogue`], next to the data files they are read
//! from; these enums only say what happened to them.

use serde::{Deserialize, Serialize};

use crate::catalogue::{GcmObjective, Recommendation, ReviewPoint, SdgTarget};

/// Everything that happens to a built-in catalogue stream. The `type` tag is the stored event type.
///
/// A catalogue is loaded whole, with a version, so a later release can load a corrected edition
/// (say, new translations) as a new event and readers take the latest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum CatalogueEvent {
    /// An edition of the GCM objectives was loaded.
    #[serde(rename = "gcm_objectives_loaded")]
    GcmObjectivesLoaded {
        /// The edition, e.g. `2018-12-19`.
        version: String,
        /// Where the text comes from, e.g. "A/RES/73/195, para 16".
        source: String,
        /// All 23 objectives.
        objectives: Vec<GcmObjective>,
    },
    /// An edition of the SDG targets was loaded.
    #[serde(rename = "sdg_targets_loaded")]
    SdgTargetsLoaded {
        /// The edition.
        version: String,
        /// Where the text comes from, e.g. "A/RES/71/313".
        source: String,
        /// The targets.
        targets: Vec<SdgTarget>,
    },
}

/// Everything that happens to a recommendation stream. The `type` tag is the stored event type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum RecommendationEvent {
    /// A recommendation was added to the catalogue. Its fields sit beside the tag, flattened.
    #[serde(rename = "recommendation_added")]
    RecommendationAdded(Recommendation),
}

/// Everything that happens to a review point stream. The `type` tag is the stored event type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ReviewPointEvent {
    /// A review point was added to the catalogue. Its fields sit beside the tag, flattened, like
    /// those of [`RecommendationEvent::RecommendationAdded`].
    #[serde(rename = "review_point_added")]
    ReviewPointAdded(ReviewPoint),
}
