//! The built-in catalogues: GCM objectives, SDG targets, GRCP 7 recommendations and review points.
//!
//! The data lives in `events/catalogues/*.json`, compiled into the binary with `include_str!`, each
//! file naming its source. On first start of an empty store the service appends these as events, so
//! the catalogues have a history like everything else.
//!
//! # Layout
//!
//! - The data types ([`GcmObjective`], [`SdgTarget`], [`Recommendation`], [`ReviewPoint`],
//!   [`CrosswalkEntry`]) and [`Localized`] texts with their [`Lang`] fallback.
//! - The loaders ([`gcm_objectives`], [`sdg_targets`], [`grcp7_recommendations`],
//!   [`review_points`], [`crosswalk`] and the single-item lookups). Each file is parsed once, on
//!   first use, and kept for the life of the process, so lookups hand out `&'static` references.
//! - [`Catalogue`] and [`CatalogueInfo`]: which file, which version, from which source, under which
//!   licence, so every event that loads a catalogue can say where its facts came from.
//! - `events/catalogues/generate.py` writes the JSON from `shared/reference` and the GRCP 7
//!   Highlights; `events/catalogues/README.md` lists sources, licences and known gaps.
//!
//! Architecture invariant: no I/O. The files are embedded at compile time; the only failure is a
//! broken committed file, which the tests in `catalogue/tests.rs` rule out.

use std::fmt;
use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::ids::{ObjectiveNumber, RecommendationId, ReviewPointId, SdgTargetCode};

/// A text in IOM's working languages. English is always present; French and Spanish are present
/// where an official translation could be sourced, otherwise readers fall back to English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Localized {
    /// English text.
    pub en: String,
    /// French text, if an official translation was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fr: Option<String>,
    /// Spanish text, if an official translation was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub es: Option<String>,
}

/// One of the 23 objectives of the Global Compact for Migration (A/RES/73/195 para 16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GcmObjective {
    /// 1 to 23.
    pub number: ObjectiveNumber,
    /// The short label used by the Migration Network Hub, e.g. "Data".
    pub short_title: Localized,
    /// The official title from A/RES/73/195.
    pub title: Localized,
}

/// One SDG target (A/RES/70/1, A/RES/71/313).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdgTarget {
    /// The target code, e.g. `10.7`.
    pub code: SdgTargetCode,
    /// The official text.
    pub title: Localized,
    /// Whether DOMAIN.md lists the target as migration-relevant.
    pub migration_relevant: bool,
}

/// A recommendation that mechanisms commit to act on, e.g. one bullet of the GRCP 7 Highlights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// Stable slug, e.g. `grcp7-6.1`.
    pub id: RecommendationId,
    /// The recommendation's text.
    pub text: String,
    /// A short theme, e.g. `human-rights`, `data`, `partnerships`.
    pub theme: String,
    /// Where it comes from, e.g. "GRCP 7 Highlights Document, Geneva, 11 October 2017, para 6".
    pub source: String,
}

/// A follow-up review date that dashboards offer as an `as_of`/`known_at` preset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewPoint {
    /// Stable slug, e.g. `imrf-2022`.
    pub id: ReviewPointId,
    /// Display name, e.g. "First International Migration Review Forum".
    pub name: String,
    /// First day of the review.
    pub starts_on: Date,
    /// Last day of the review.
    pub ends_on: Date,
}

/// One of the 17 Sustainable Development Goals, for grouping targets by goal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdgGoal {
    /// 1 to 17; the part of a target code before the dot.
    pub number: u8,
    /// The short name, e.g. "Reduced inequalities".
    pub short_title: Localized,
    /// The official goal text, e.g. "Reduce inequality within and among countries".
    pub title: Localized,
}

/// One pair of the GCM objective ↔ SDG target crosswalk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrosswalkEntry {
    /// The GCM objective.
    pub objective: ObjectiveNumber,
    /// An SDG target that the objective contributes to.
    pub sdg_target: SdgTargetCode,
    /// Whether the link is stated in the GCM itself or inferred by this project.
    pub source: CrosswalkSource,
    /// Why the pair holds when it rests on one indicator, e.g. "via indicator 10.7.3 …".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Who stands behind a crosswalk pair. Reports must be able to tell an official link from ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CrosswalkSource {
    /// Stated in A/RES/73/195 (only objective 20 → target 10.c).
    Official,
    /// Inferred by compact-tracker from the wording of targets and indicators; not a UN mapping.
    ProjectDerived,
}

/// How far a review point's dates can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatePrecision {
    /// The meeting took place on these dates, according to the named sources.
    Exact,
    /// A future meeting's dates as announced; they may still move.
    Announced,
    /// A documented placeholder window, not the meeting's own dates.
    Approximate,
}

/// Where a review point's dates come from, kept beside [`ReviewPoint`] so the shared event
/// payload stays small while the dashboard can still flag placeholder dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewPointProvenance {
    /// The review point this describes.
    pub id: ReviewPointId,
    /// How far the dates can be trusted.
    pub dates: DatePrecision,
    /// Pages or documents the dates were taken from.
    pub sources: Vec<String>,
    /// Caveats, e.g. why a window is a placeholder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One of IOM's working languages, the languages the dashboard is offered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English; every catalogue text exists in English.
    En,
    /// French.
    Fr,
    /// Spanish.
    Es,
}

/// What a catalogue file says about itself: enough to attribute it and to tell versions apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueInfo {
    /// The file's stem, e.g. `sdg-targets`; also the catalogue's stream name.
    pub name: String,
    /// A human title.
    pub title: String,
    /// The catalogue's version; for the SDG targets, the upstream commit it was taken from.
    pub version: String,
    /// Where the data comes from.
    pub source: String,
    /// The licence or terms the data is used under.
    pub licence: String,
    /// The day the catalogue's facts took effect (the adoption of A/RES/73/195, A/RES/70/1 or
    /// the GRCP 7 Highlights), for `as_of` views before that day; `None` where no single day
    /// applies (review points, crosswalk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<Date>,
}

/// The built-in catalogue files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Catalogue {
    /// `gcm-objectives.json`.
    GcmObjectives,
    /// `sdg-targets.json`.
    SdgTargets,
    /// `grcp7-recommendations.json`.
    Grcp7Recommendations,
    /// `review-points.json`.
    ReviewPoints,
    /// `gcm-sdg-crosswalk.json`.
    GcmSdgCrosswalk,
}

/// The day the GCM was adopted (A/RES/73/195, 19 December 2018): objectives exist from then on.
pub const GCM_ADOPTED_ON: Date = time::macros::date!(2018 - 12 - 19);

/// The themes the built-in recommendations use. Admins may add recommendations with other
/// themes; this is the shipped vocabulary, not a closed list.
pub const RECOMMENDATION_THEMES: &[&str] = &[
    "human-rights",
    "regular-pathways",
    "social-inclusion",
    "anti-discrimination",
    "data",
    "governance",
    "policy-dialogue",
    "whole-of-government",
    "partnerships",
    "sustainability",
    "implementation",
    "capacity-building",
    "data-exchange",
];

impl Lang {
    /// Every language, English first.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Fr, Lang::Es];

    /// The ISO 639-1 code, e.g. `fr`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Es => "es",
        }
    }

    /// Reads a language tag such as `fr`, `FR` or `es-419`; only the primary subtag counts,
    /// because the catalogues hold one text per language, not per region.
    pub fn from_code(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        Lang::ALL
            .into_iter()
            .find(|lang| lang.code().eq_ignore_ascii_case(primary))
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Localized {
    /// The text in `lang`, or the English text where no official translation was sourced.
    pub fn get(&self, lang: Lang) -> &str {
        self.translation(lang).unwrap_or(&self.en)
    }

    /// The text in `lang` only if it exists, so a page can mark English stand-ins as such.
    pub fn translation(&self, lang: Lang) -> Option<&str> {
        match lang {
            Lang::En => Some(&self.en),
            Lang::Fr => self.fr.as_deref(),
            Lang::Es => self.es.as_deref(),
        }
    }
}

impl Catalogue {
    /// Every catalogue, in the order they are loaded into an empty store.
    pub const ALL: [Catalogue; 5] = [
        Catalogue::GcmObjectives,
        Catalogue::SdgTargets,
        Catalogue::Grcp7Recommendations,
        Catalogue::ReviewPoints,
        Catalogue::GcmSdgCrosswalk,
    ];

    /// The file name under `events/catalogues/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Catalogue::GcmObjectives => "gcm-objectives.json",
            Catalogue::SdgTargets => "sdg-targets.json",
            Catalogue::Grcp7Recommendations => "grcp7-recommendations.json",
            Catalogue::ReviewPoints => "review-points.json",
            Catalogue::GcmSdgCrosswalk => "gcm-sdg-crosswalk.json",
        }
    }

    /// The catalogue's name, version, source and licence, as stated in its file.
    pub fn info(self) -> &'static CatalogueInfo {
        match self {
            Catalogue::GcmObjectives => &objectives_file().info,
            Catalogue::SdgTargets => &targets_file().info,
            Catalogue::Grcp7Recommendations => &recommendations_file().info,
            Catalogue::ReviewPoints => &review_points_file().info,
            Catalogue::GcmSdgCrosswalk => &crosswalk_file().info,
        }
    }

    fn json(self) -> &'static str {
        match self {
            Catalogue::GcmObjectives => include_str!("../catalogues/gcm-objectives.json"),
            Catalogue::SdgTargets => include_str!("../catalogues/sdg-targets.json"),
            Catalogue::Grcp7Recommendations => {
                include_str!("../catalogues/grcp7-recommendations.json")
            }
            Catalogue::ReviewPoints => include_str!("../catalogues/review-points.json"),
            Catalogue::GcmSdgCrosswalk => include_str!("../catalogues/gcm-sdg-crosswalk.json"),
        }
    }
}

/// The 23 GCM objectives, in order.
pub fn gcm_objectives() -> &'static [GcmObjective] {
    &objectives_file().items
}

/// One GCM objective; `None` only if the catalogue were incomplete, which the tests rule out.
pub fn gcm_objective(number: ObjectiveNumber) -> Option<&'static GcmObjective> {
    gcm_objectives()
        .iter()
        .find(|objective| objective.number == number)
}

/// The 17 SDGs, in order.
pub fn sdg_goals() -> &'static [SdgGoal] {
    &targets_file().goals
}

/// All 169 SDG targets, in the order of A/RES/71/313 (numbered targets before lettered ones).
pub fn sdg_targets() -> &'static [SdgTarget] {
    &targets_file().items
}

/// One SDG target, or `None` for a well-formed code that names no target (e.g. `10.9`).
pub fn sdg_target(code: &SdgTargetCode) -> Option<&'static SdgTarget> {
    sdg_targets().iter().find(|target| &target.code == code)
}

/// The 21 targets DOMAIN.md lists as migration-relevant, in catalogue order.
pub fn migration_relevant_targets() -> impl Iterator<Item = &'static SdgTarget> {
    sdg_targets()
        .iter()
        .filter(|target| target.migration_relevant)
}

/// The recommendations of the GRCP 7 Highlights Document, in document order.
pub fn grcp7_recommendations() -> &'static [Recommendation] {
    &recommendations_file().items
}

/// One built-in recommendation by slug.
pub fn grcp7_recommendation(id: &RecommendationId) -> Option<&'static Recommendation> {
    grcp7_recommendations()
        .iter()
        .find(|recommendation| &recommendation.id == id)
}

/// The follow-up review points, sorted by first day, then last day, then id.
pub fn review_points() -> &'static [ReviewPoint] {
    &review_points_file().items
}

/// One review point by slug.
pub fn review_point(id: &ReviewPointId) -> Option<&'static ReviewPoint> {
    review_points().iter().find(|point| &point.id == id)
}

/// Where a review point's dates come from and how far they can be trusted.
pub fn review_point_provenance(id: &ReviewPointId) -> Option<&'static ReviewPointProvenance> {
    review_points_file()
        .provenance
        .iter()
        .find(|provenance| &provenance.id == id)
}

/// The GCM ↔ SDG crosswalk seed, ordered by objective.
pub fn crosswalk() -> &'static [CrosswalkEntry] {
    &crosswalk_file().items
}

/// The name, version, source and licence of every built-in catalogue.
pub fn sources() -> impl Iterator<Item = &'static CatalogueInfo> {
    Catalogue::ALL.into_iter().map(Catalogue::info)
}

/// A catalogue file as committed. `deny_unknown_fields` makes a misspelt header key a test
/// failure instead of a silently missing attribution.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile<T> {
    catalogue: String,
    title: String,
    version: String,
    source: String,
    licence: String,
    #[serde(default)]
    effective_from: Option<Date>,
    /// Only in `sdg-targets.json`.
    #[serde(default)]
    goals: Vec<SdgGoal>,
    items: Vec<T>,
}

/// A parsed catalogue, kept for the life of the process.
struct Loaded<T> {
    info: CatalogueInfo,
    items: Vec<T>,
    /// Empty except for the SDG targets.
    goals: Vec<SdgGoal>,
    /// Empty except for the review points, parallel to `items`.
    provenance: Vec<ReviewPointProvenance>,
}

/// A review point as committed: the shared [`ReviewPoint`] plus its provenance.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewPointEntry {
    id: ReviewPointId,
    name: String,
    starts_on: Date,
    ends_on: Date,
    dates: DatePrecision,
    sources: Vec<String>,
    #[serde(default)]
    note: Option<String>,
}

fn parse<T: DeserializeOwned>(catalogue: Catalogue) -> Loaded<T> {
    // The JSON is compiled in, so this can only fail if a committed file is broken, and
    // `catalogue/tests.rs` parses every file. Panicking once, at first use, is the honest outcome:
    // the binary would otherwise serve an empty or partial catalogue.
    let file: CatalogueFile<T> =
        serde_json::from_str(catalogue.json()).unwrap_or_else(|error| {
            panic!(
                "built-in catalogue {} is invalid ({error}); the catalogue tests should have caught this",
                catalogue.file_name()
            )
        });
    Loaded {
        info: CatalogueInfo {
            name: file.catalogue,
            title: file.title,
            version: file.version,
            source: file.source,
            licence: file.licence,
            effective_from: file.effective_from,
        },
        items: file.items,
        goals: file.goals,
        provenance: Vec::new(),
    }
}

fn objectives_file() -> &'static Loaded<GcmObjective> {
    static FILE: OnceLock<Loaded<GcmObjective>> = OnceLock::new();
    FILE.get_or_init(|| parse(Catalogue::GcmObjectives))
}

fn targets_file() -> &'static Loaded<SdgTarget> {
    static FILE: OnceLock<Loaded<SdgTarget>> = OnceLock::new();
    FILE.get_or_init(|| parse(Catalogue::SdgTargets))
}

fn recommendations_file() -> &'static Loaded<Recommendation> {
    static FILE: OnceLock<Loaded<Recommendation>> = OnceLock::new();
    FILE.get_or_init(|| parse(Catalogue::Grcp7Recommendations))
}

fn review_points_file() -> &'static Loaded<ReviewPoint> {
    static FILE: OnceLock<Loaded<ReviewPoint>> = OnceLock::new();
    FILE.get_or_init(|| {
        let entries: Loaded<ReviewPointEntry> = parse(Catalogue::ReviewPoints);
        let (items, provenance) = entries
            .items
            .into_iter()
            .map(|entry| {
                let point = ReviewPoint {
                    id: entry.id.clone(),
                    name: entry.name,
                    starts_on: entry.starts_on,
                    ends_on: entry.ends_on,
                };
                let provenance = ReviewPointProvenance {
                    id: entry.id,
                    dates: entry.dates,
                    sources: entry.sources,
                    note: entry.note,
                };
                (point, provenance)
            })
            .unzip();
        Loaded {
            info: entries.info,
            items,
            goals: Vec::new(),
            provenance,
        }
    })
}

fn crosswalk_file() -> &'static Loaded<CrosswalkEntry> {
    static FILE: OnceLock<Loaded<CrosswalkEntry>> = OnceLock::new();
    FILE.get_or_init(|| parse(Catalogue::GcmSdgCrosswalk))
}

#[cfg(test)]
mod tests;
