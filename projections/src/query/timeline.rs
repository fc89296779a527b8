//! Status counts at a series of period ends (`GET /v1/progress/timeline`, the charts of the group
//! pages).

use std::collections::BTreeMap;
use std::sync::Arc;

use sqlx::Row as _;
use time::Date;

use super::memo::{self, Question, Series, remember};
use super::sql::{self, Params};
use super::{Clock, Filter};
use crate::ProjectionError;
use crate::db::ReadDb;
use crate::decode;

/// Period ends per timeline query: few enough for any parameter limit, enough for 25 years of
/// quarters in one pass.
const PERIODS_PER_QUERY: usize = 100;

/// Status counts on each of `period_ends`, as known at `known`.
pub async fn timeline(
    db: &ReadDb,
    clock: &Clock,
    filter: &Filter,
    period_ends: &[Date],
) -> Result<BTreeMap<Date, BTreeMap<String, i64>>, ProjectionError> {
    if clock.latest {
        let key = (clock.at(0), filter.clone(), period_ends.to_vec());
        memo::of(db).follow(Question::Timeline(key));
    }
    let series = kept_series(db, clock, filter, period_ends).await?;
    Ok(series.as_ref().clone())
}

pub(super) async fn kept_series(
    db: &ReadDb,
    clock: &Clock,
    filter: &Filter,
    period_ends: &[Date],
) -> Result<Arc<Series>, ProjectionError> {
    let key = (*clock, filter.clone(), period_ends.to_vec());
    let compute = series(db, clock, filter, period_ends);
    remember(db, &memo::of(db).timeline, clock.known, key, compute).await
}

async fn series(
    db: &ReadDb,
    clock: &Clock,
    filter: &Filter,
    period_ends: &[Date],
) -> Result<Series, ProjectionError> {
    let mut series: Series = period_ends
        .iter()
        .map(|end| (*end, BTreeMap::new()))
        .collect();
    // One pass over the visible status rows for all periods: each row is counted on every
    // period end it spans. (One query per period cost a full pass each: 36 quarters took 30 s at
    // a million events.) SQLite keeps the written join order with CROSS JOIN, so the status rows
    // are the outer loop and the few period ends the inner one.
    for chunk in period_ends.chunks(PERIODS_PER_QUERY) {
        let mut params = Params::default();
        let basis = params.bind(clock.basis.code());
        let known = params.bind(clock.known);
        let status_known = sql::known_at("s", &known);
        let filters = filter.condition(&mut params, &known);
        let ends: Vec<String> = chunk
            .iter()
            .map(|end| format!("({})", params.bind(end.to_string())))
            .collect();
        let ends = ends.join(", ");
        let sql = format!(
            "with ends (period_end) as (values {ends})
             select ends.period_end as period_end, s.status, count(*) as commitments
             from commitment_status s
             cross join ends
             where s.basis = {basis}
               and {status_known}
               and s.valid_from <= ends.period_end
               and (s.valid_to is null or s.valid_to > ends.period_end)
               and {filters}
             group by ends.period_end, s.status"
        );
        for row in &params.query(&sql).fetch_all(db.pool()).await? {
            let end = decode::date(&row.try_get::<String, _>("period_end")?)?;
            series
                .entry(end)
                .or_default()
                .insert(row.try_get("status")?, row.try_get("commitments")?);
        }
    }
    Ok(series)
}
