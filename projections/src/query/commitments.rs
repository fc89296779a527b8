//! Pages of commitments: `GET /v1/commitments`, the dashboard's lists and their CSV exports.

use std::sync::Arc;

use compact_events::freshness::Freshness;
use sqlx::Row as _;
use time::Date;

use super::memo::{self, LONGEST_KEPT_LIST, Question, remember};
use super::sql::{self, Params, Visible};
use super::{Clock, Filter};
use crate::ProjectionError;
use crate::db::ReadDb;
use crate::decode;

/// One commitment in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentRow {
    /// Its id.
    pub id: String,
    /// Its mechanism.
    pub mechanism_id: String,
    /// Title.
    pub title: String,
    /// The day it was made.
    pub made_on: Date,
    /// When it is due.
    pub due_date: Option<Date>,
    /// GCM objectives.
    pub gcm_objectives: Vec<u8>,
    /// SDG targets.
    pub sdg_targets: Vec<String>,
    /// Recommendations.
    pub recommendation_ids: Vec<String>,
    /// Status on `as_of`.
    pub status: String,
    /// Percent complete on `as_of`.
    pub percent: Option<u8>,
    /// Day of the latest report recorded by the reference day.
    pub last_report_on: Option<Date>,
    /// Reporting freshness on the reference day.
    pub freshness: Freshness,
}

/// Commitments matching `filter`, by id, after `after` (keyset paging).
pub async fn commitments(
    db: &ReadDb,
    clock: &Clock,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<CommitmentRow>, ProjectionError> {
    if limit > LONGEST_KEPT_LIST {
        return list(db, clock, filter, after, limit).await;
    }
    if clock.latest {
        let key = (clock.at(0), filter.clone(), after.map(str::to_owned), limit);
        memo::of(db).follow(Question::Commitments(key));
    }
    let rows = kept_list(db, clock, filter, after, limit).await?;
    Ok(rows.as_ref().clone())
}

pub(super) async fn kept_list(
    db: &ReadDb,
    clock: &Clock,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<Arc<Vec<CommitmentRow>>, ProjectionError> {
    let key = (*clock, filter.clone(), after.map(str::to_owned), limit);
    let compute = list(db, clock, filter, after, limit);
    remember(db, &memo::of(db).commitments, clock.known, key, compute).await
}

async fn list(
    db: &ReadDb,
    clock: &Clock,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<CommitmentRow>, ProjectionError> {
    rows(db, clock, filter, after, limit, LastReport::Shown).await
}

/// Whether a list shows each commitment's latest report (and so its freshness).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LastReport {
    /// Looked up for each row.
    Shown,
    /// Not looked up (`null`): "what moved" compares statuses only.
    Skipped,
}

/// The list's rows, with or without each one's latest report.
pub(super) async fn rows(
    db: &ReadDb,
    clock: &Clock,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
    last_report: LastReport,
) -> Result<Vec<CommitmentRow>, ProjectionError> {
    let mut params = Params::default();
    let Visible {
        known,
        status: status_visible,
    } = Visible::bind(&mut params, clock);
    let version_visible = sql::known_at("v", &known);
    let filters = filter.condition(&mut params, &known);
    let last_report = match last_report {
        LastReport::Shown => sql::last_report(&mut params, &known, clock.reference_day),
        LastReport::Skipped => "cast(null as text)".to_owned(),
    };
    let after = params.bind(after.map(str::to_owned));
    let limit = params.bind(limit);
    let sql = format!(
        "select s.commitment_id, s.mechanism_id, v.title, v.made_on, v.due_date,
                v.gcm_objectives, v.sdg_targets, v.recommendation_ids, s.status, s.percent,
                {last_report} as last_report_on
         from commitment_status s
         join commitment_versions v
           on v.commitment_id = s.commitment_id
          and {version_visible}
         where {status_visible}
           and {filters}
           and ({after} is null or s.commitment_id > {after})
         order by s.commitment_id
         limit {limit}"
    );
    let rows = params.query(&sql).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|row| {
            let made_on = decode::date(&row.try_get::<String, _>("made_on")?)?;
            let last_report_on = row
                .try_get::<Option<String>, _>("last_report_on")?
                .map(|d| decode::date(&d))
                .transpose()?;
            Ok(CommitmentRow {
                id: row.try_get("commitment_id")?,
                mechanism_id: row.try_get("mechanism_id")?,
                title: row.try_get("title")?,
                made_on,
                due_date: row
                    .try_get::<Option<String>, _>("due_date")?
                    .map(|d| decode::date(&d))
                    .transpose()?,
                gcm_objectives: decode::json_list(&row.try_get::<String, _>("gcm_objectives")?)?,
                sdg_targets: decode::json_list(&row.try_get::<String, _>("sdg_targets")?)?,
                recommendation_ids: decode::json_list(
                    &row.try_get::<String, _>("recommendation_ids")?,
                )?,
                status: row.try_get("status")?,
                percent: row
                    .try_get::<Option<i64>, _>("percent")?
                    .and_then(|p| u8::try_from(p).ok()),
                last_report_on,
                freshness: Freshness::of(last_report_on, made_on, clock.reference_day),
            })
        })
        .collect()
}
