//! The directory: mechanisms, recommendations and review points, as known at a position. The
//! tables are tiny, but every page reads them, so their answers are kept too.

use sqlx::Row as _;
use time::Date;

use super::memo::{self, remember};
use crate::ProjectionError;
use crate::db::ReadDb;
use crate::decode;

/// A registered mechanism.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MechanismRow {
    /// Slug.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Region.
    pub region: Option<String>,
}

/// Mechanisms registered by position `known`, by id (optionally one).
pub async fn mechanisms(
    db: &ReadDb,
    known: i64,
    only: Option<&str>,
) -> Result<Vec<MechanismRow>, ProjectionError> {
    let key = (known, only.map(str::to_owned));
    let compute = mechanism_rows(db, known, only);
    let rows = remember(db, &memo::of(db).mechanisms, known, key, compute).await?;
    Ok(rows.as_ref().clone())
}

async fn mechanism_rows(
    db: &ReadDb,
    known: i64,
    only: Option<&str>,
) -> Result<Vec<MechanismRow>, ProjectionError> {
    let rows = sqlx::query(
        r"select mechanism_id, name, kind, region
          from mechanisms
          where known_from <= $1
            and ($2 is null or mechanism_id = $2)
          order by mechanism_id",
    )
    .bind(known)
    .bind(only.map(str::to_owned))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(MechanismRow {
                id: row.try_get("mechanism_id")?,
                name: row.try_get("name")?,
                kind: row.try_get("kind")?,
                region: row.try_get("region")?,
            })
        })
        .collect()
}

/// A recommendation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecommendationRow {
    /// Slug.
    pub id: String,
    /// Text.
    pub text: String,
    /// Theme.
    pub theme: String,
    /// Source.
    pub source: String,
}

/// Recommendations added by position `known`, by id.
pub async fn recommendations(
    db: &ReadDb,
    known: i64,
) -> Result<Vec<RecommendationRow>, ProjectionError> {
    let compute = recommendation_rows(db, known);
    let rows = remember(db, &memo::of(db).recommendations, known, known, compute).await?;
    Ok(rows.as_ref().clone())
}

async fn recommendation_rows(
    db: &ReadDb,
    known: i64,
) -> Result<Vec<RecommendationRow>, ProjectionError> {
    let rows = sqlx::query(
        r"select recommendation_id, text, theme, source
          from recommendations
          where known_from <= $1
          order by recommendation_id",
    )
    .bind(known)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(RecommendationRow {
                id: row.try_get("recommendation_id")?,
                text: row.try_get("text")?,
                theme: row.try_get("theme")?,
                source: row.try_get("source")?,
            })
        })
        .collect()
}

/// A review point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewPointRow {
    /// Slug.
    pub id: String,
    /// Name.
    pub name: String,
    /// First day.
    pub starts_on: Date,
    /// Last day.
    pub ends_on: Date,
}

/// Review points added by position `known`, by date.
pub async fn review_points(
    db: &ReadDb,
    known: i64,
) -> Result<Vec<ReviewPointRow>, ProjectionError> {
    let compute = review_point_rows(db, known);
    let rows = remember(db, &memo::of(db).review_points, known, known, compute).await?;
    Ok(rows.as_ref().clone())
}

async fn review_point_rows(
    db: &ReadDb,
    known: i64,
) -> Result<Vec<ReviewPointRow>, ProjectionError> {
    let rows = sqlx::query(
        r"select review_point_id, name, starts_on, ends_on
          from review_points
          where known_from <= $1
          order by starts_on, ends_on, review_point_id",
    )
    .bind(known)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ReviewPointRow {
                id: row.try_get("review_point_id")?,
                name: row.try_get("name")?,
                starts_on: decode::date(&row.try_get::<String, _>("starts_on")?)?,
                ends_on: decode::date(&row.try_get::<String, _>("ends_on")?)?,
            })
        })
        .collect()
}
