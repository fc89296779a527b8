//! Stream ids: which stream an event belongs to, written as text in the store.
//!
//! | stream | id |
//! |---|---|
//! | a mechanism | `mechanism-<slug>` |
//! | a recommendation | `recommendation-<slug>` |
//! | a review point | `review-point-<slug>` |
//! | a commitment | `commitment-<uuid>` |
//! | the GCM objectives catalogue | `catalogue-gcm-objectives` |
//! | the SDG targets catalogue | `catalogue-sdg-targets` |
//!
//! The prefix before the id is the stream's kind (its "category"), so the store can list or lock
//! by category without knowing the domain, and a stream id parses back to a [`StreamId`].

use std::fmt;
use std::str::FromStr;

use crate::ids::{CommitmentId, MechanismId, RecommendationId, ReviewPointId};

/// The id of one stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StreamId {
    /// `mechanism-<slug>`.
    Mechanism(MechanismId),
    /// `recommendation-<slug>`.
    Recommendation(RecommendationId),
    /// `review-point-<slug>`.
    ReviewPoint(ReviewPointId),
    /// `commitment-<uuid>`.
    Commitment(CommitmentId),
    /// `catalogue-gcm-objectives`.
    GcmObjectives,
    /// `catalogue-sdg-targets`.
    SdgTargets,
}

/// The kinds of stream, each with its own event enum and state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// Mechanism streams, events [`crate::event::mechanism::MechanismEvent`].
    Mechanism,
    /// Recommendation streams, events [`crate::event::catalogue::RecommendationEvent`].
    Recommendation,
    /// Review point streams, events [`crate::event::catalogue::ReviewPointEvent`].
    ReviewPoint,
    /// Commitment streams, events [`crate::event::commitment::CommitmentEvent`].
    Commitment,
    /// The two built-in catalogue streams, events [`crate::event::catalogue::CatalogueEvent`].
    Catalogue,
}

/// A text that is not a stream id of this domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a stream id: expected mechanism-, recommendation-, review-point- or commitment- followed by an id, or a catalogue stream"
)]
pub struct StreamIdError(pub String);

const MECHANISM: &str = "mechanism-";
const RECOMMENDATION: &str = "recommendation-";
const REVIEW_POINT: &str = "review-point-";
const COMMITMENT: &str = "commitment-";
const GCM_OBJECTIVES: &str = "catalogue-gcm-objectives";
const SDG_TARGETS: &str = "catalogue-sdg-targets";

impl StreamId {
    /// Parses a stream id as written by [`StreamId`]'s `Display`.
    pub fn parse(text: &str) -> Result<Self, StreamIdError> {
        let invalid = || StreamIdError(text.to_owned());
        let parsed = if text == GCM_OBJECTIVES {
            Some(Self::GcmObjectives)
        } else if text == SDG_TARGETS {
            Some(Self::SdgTargets)
        } else if let Some(slug) = text.strip_prefix(MECHANISM) {
            MechanismId::parse(slug).ok().map(Self::Mechanism)
        } else if let Some(slug) = text.strip_prefix(RECOMMENDATION) {
            RecommendationId::parse(slug).ok().map(Self::Recommendation)
        } else if let Some(slug) = text.strip_prefix(REVIEW_POINT) {
            ReviewPointId::parse(slug).ok().map(Self::ReviewPoint)
        } else if let Some(uuid) = text.strip_prefix(COMMITMENT) {
            // Only the hyphenated lower-case form that `Display` writes, so each commitment has
            // exactly one stream id.
            CommitmentId::parse(uuid)
                .ok()
                .filter(|id| id.to_string() == uuid)
                .map(Self::Commitment)
        } else {
            None
        };
        parsed.ok_or_else(invalid)
    }

    /// The kind of stream.
    pub fn kind(&self) -> StreamKind {
        match self {
            Self::Mechanism(_) => StreamKind::Mechanism,
            Self::Recommendation(_) => StreamKind::Recommendation,
            Self::ReviewPoint(_) => StreamKind::ReviewPoint,
            Self::Commitment(_) => StreamKind::Commitment,
            Self::GcmObjectives | Self::SdgTargets => StreamKind::Catalogue,
        }
    }
}

impl StreamKind {
    /// The prefix every stream id of this kind starts with, e.g. `commitment-`; for catalogues,
    /// `catalogue-`. Handy for `LIKE 'commitment-%'` style category reads.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Mechanism => MECHANISM,
            Self::Recommendation => RECOMMENDATION,
            Self::ReviewPoint => REVIEW_POINT,
            Self::Commitment => COMMITMENT,
            Self::Catalogue => "catalogue-",
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mechanism(id) => write!(f, "{MECHANISM}{id}"),
            Self::Recommendation(id) => write!(f, "{RECOMMENDATION}{id}"),
            Self::ReviewPoint(id) => write!(f, "{REVIEW_POINT}{id}"),
            Self::Commitment(id) => write!(f, "{COMMITMENT}{id}"),
            Self::GcmObjectives => f.write_str(GCM_OBJECTIVES),
            Self::SdgTargets => f.write_str(SDG_TARGETS),
        }
    }
}

macro_rules! stream_of {
    ($id:ty, $variant:ident) => {
        impl From<$id> for StreamId {
            fn from(id: $id) -> Self {
                Self::$variant(id)
            }
        }
    };
}

stream_of!(MechanismId, Mechanism);
stream_of!(RecommendationId, Recommendation);
stream_of!(ReviewPointId, ReviewPoint);
stream_of!(CommitmentId, Commitment);

impl FromStr for StreamId {
    type Err = StreamIdError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_round_trip_through_text() {
        let commitment =
            CommitmentId::parse("0190f1c2-7a1e-7c3d-8e4f-5a6b7c8d9e0f").expect("valid uuid");
        let cases = [
            (
                StreamId::Mechanism(MechanismId::parse("bali-process").expect("slug")),
                "mechanism-bali-process",
            ),
            (
                StreamId::Recommendation(RecommendationId::parse("grcp7-6.1").expect("slug")),
                "recommendation-grcp7-6.1",
            ),
            (
                StreamId::ReviewPoint(ReviewPointId::parse("imrf-2022").expect("slug")),
                "review-point-imrf-2022",
            ),
            (
                StreamId::from(commitment),
                "commitment-0190f1c2-7a1e-7c3d-8e4f-5a6b7c8d9e0f",
            ),
            (StreamId::GcmObjectives, "catalogue-gcm-objectives"),
            (StreamId::SdgTargets, "catalogue-sdg-targets"),
        ];
        for (stream, text) in cases {
            assert_eq!(stream.to_string(), text);
            assert_eq!(StreamId::parse(text), Ok(stream.clone()), "{text}");
            assert!(text.starts_with(stream.kind().prefix()), "{text}");
        }
    }

    #[test]
    fn malformed_stream_ids_are_refused() {
        for bad in [
            "",
            "mechanism-",
            "mechanism-Bali",
            "commitment-not-a-uuid",
            "commitment-0190F1C2-7A1E-7C3D-8E4F-5A6B7C8D9E0F",
            "catalogue-recommendations",
            "review-bali",
            "widget-1",
        ] {
            assert_eq!(
                StreamId::parse(bad),
                Err(StreamIdError(bad.to_owned())),
                "{bad}"
            );
        }
    }
}
