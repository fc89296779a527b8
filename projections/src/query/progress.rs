//! Progress tallies: commitments per status, mean percent, mechanisms and reporting freshness,
//! per GCM objective, SDG target or mechanism (`GET /v1/progress/…`, the overview and group pages).

use std::collections::BTreeMap;
use std::sync::Arc;

use compact_events::freshness::{Freshness, months_before};
use sqlx::Row as _;

use super::memo::{self, Question, remember};
use super::sql::{self, Params, Visible};
use super::{Clock, Filter};
use crate::ProjectionError;
use crate::db::ReadDb;

/// Counts for one group (a GCM objective, an SDG target, a mechanism, or everything).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Commitments by status (`planned`, …, `withdrawn`).
    pub by_status: BTreeMap<String, i64>,
    /// Sum of percent complete over commitments that give one (withdrawn ones excluded).
    pub percent_sum: i64,
    /// How many commitments give a percent (withdrawn ones excluded).
    pub percent_count: i64,
    /// Distinct mechanisms with commitments here.
    pub mechanisms: i64,
    /// Freshness counts over commitments that are not withdrawn.
    pub freshness: BTreeMap<Freshness, i64>,
}

impl Tally {
    /// All commitments counted.
    pub fn total(&self) -> i64 {
        self.by_status.values().sum()
    }

    /// Mean percent complete, if any commitment gives one.
    pub fn mean_percent(&self) -> Option<f64> {
        #[allow(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
        (self.percent_count > 0).then(|| self.percent_sum as f64 / self.percent_count as f64)
    }
}

/// What to group progress by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupBy {
    /// GCM objective number.
    Objective,
    /// SDG target code.
    SdgTarget,
    /// Mechanism id.
    Mechanism,
}

/// Progress tallies per group, on both clocks, for commitments matching `filter`.
pub async fn progress(
    db: &ReadDb,
    clock: &Clock,
    filter: &Filter,
    group_by: GroupBy,
) -> Result<BTreeMap<String, Tally>, ProjectionError> {
    if clock.latest {
        memo::of(db).follow(Question::Progress((clock.at(0), filter.clone(), group_by)));
    }
    let tallies = kept_tallies(db, clock, filter, group_by).await?;
    Ok(tallies.as_ref().clone())
}

pub(super) async fn kept_tallies(
    db: &ReadDb,
    clock: &Clock,
    filter: &Filter,
    group_by: GroupBy,
) -> Result<Arc<BTreeMap<String, Tally>>, ProjectionError> {
    let key = (*clock, filter.clone(), group_by);
    let compute = tallies(db, clock, filter, group_by);
    remember(db, &memo::of(db).progress, clock.known, key, compute).await
}

async fn tallies(
    db: &ReadDb,
    clock: &Clock,
    filter: &Filter,
    group_by: GroupBy,
) -> Result<BTreeMap<String, Tally>, ProjectionError> {
    let (sql, params) = counts(clock, filter, group_by);
    let rows = params.query(&sql).fetch_all(db.pool()).await?;
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for row in &rows {
        let group: String = row.try_get("grp")?;
        let tally = tallies.entry(group).or_default();
        let status: String = row.try_get("status")?;
        *tally.by_status.entry(status).or_default() += row.try_get::<i64, _>("commitments")?;
        tally.percent_sum += row.try_get::<Option<i64>, _>("percent_sum")?.unwrap_or(0);
        tally.percent_count += row.try_get::<i64, _>("percent_count")?;
        for (freshness, column) in [
            (Freshness::Current, "fresh_current"),
            (Freshness::Due, "fresh_due"),
            (Freshness::Overdue, "fresh_overdue"),
        ] {
            *tally.freshness.entry(freshness).or_default() +=
                row.try_get::<Option<i64>, _>(column)?.unwrap_or(0);
        }
    }
    let (sql, params) = mechanism_counts(clock, filter, group_by);
    let rows = params.query(&sql).fetch_all(db.pool()).await?;
    for row in &rows {
        let group: String = row.try_get("grp")?;
        if let Some(tally) = tallies.get_mut(&group) {
            tally.mechanisms = row.try_get("mechanisms")?;
        }
    }
    Ok(tallies)
}

/// What both progress queries share, bound to one query's [`Params`]: how rows are grouped (the
/// group's column, and the join that brings it with its condition), which status rows are
/// visible, and the filters.
struct Grouped {
    column: &'static str,
    join: &'static str,
    condition: String,
    known: String,
    visible: String,
    filters: String,
}

impl Grouped {
    // The joins are written as CROSS JOIN with their conditions in WHERE: SQLite keeps that order,
    // so the visible status rows drive and each meets its few link and version rows. Left to
    // choose, it started from every link row ever written (3.5 s against 0.6 s at a million
    // events). PostgreSQL plans these as ordinary inner joins.
    fn bind(params: &mut Params, clock: &Clock, filter: &Filter, group_by: GroupBy) -> Self {
        let Visible { known, status } = Visible::bind(params, clock);
        let filters = filter.condition(params, &known);
        // `kind` is one of our two constants, never user input.
        let by_link = |kind: &'static str| {
            (
                "g.link",
                "cross join commitment_links g",
                format!(
                    "and g.commitment_id = s.commitment_id
                     and g.kind = '{kind}'
                     and {}",
                    sql::known_at("g", &known)
                ),
            )
        };
        let (column, join, condition) = match group_by {
            GroupBy::Objective => by_link("objective"),
            GroupBy::SdgTarget => by_link("sdg_target"),
            GroupBy::Mechanism => ("s.mechanism_id", "", String::new()),
        };
        Self {
            column,
            join,
            condition,
            known,
            visible: status,
            filters,
        }
    }
}

/// Commitments per group and status, with their percents and freshness.
fn counts(clock: &Clock, filter: &Filter, group_by: GroupBy) -> (String, Params) {
    let mut params = Params::default();
    let Grouped {
        column,
        join,
        condition,
        known,
        visible,
        filters,
    } = Grouped::bind(&mut params, clock, filter, group_by);
    let version_visible = sql::known_at("v", &known);
    let last_report = sql::last_report(&mut params, &known, clock.reference_day);
    let t12 = params.bind(months_before(clock.reference_day, 12).to_string());
    let t24 = params.bind(months_before(clock.reference_day, 24).to_string());
    // MATERIALIZED: each row's latest report is looked up once. Inlined, SQLite ran the lookup
    // once per use in the sums below, up to nine times a row.
    let sql = format!(
        "with counted as materialized (
             select {column} as grp, s.status, s.percent, v.made_on,
                    {last_report} as last_on
             from commitment_status s
             {join}
             cross join commitment_versions v
             where {visible}
               {condition}
               and v.commitment_id = s.commitment_id
               and {version_visible}
               and {filters}
         )
         select grp, status,
                count(*) as commitments,
                sum(case when status <> 'withdrawn' then percent end) as percent_sum,
                count(case when status <> 'withdrawn' then percent end) as percent_count,
                sum(case when status = 'withdrawn' then 0
                         when last_on is not null and last_on > {t12} then 1
                         when last_on is null and made_on > {t12} then 1
                         else 0 end) as fresh_current,
                sum(case when status = 'withdrawn' then 0
                         when last_on is not null and last_on <= {t12} and last_on > {t24} then 1
                         else 0 end) as fresh_due,
                sum(case when status = 'withdrawn' then 0
                         when last_on is not null and last_on <= {t24} then 1
                         when last_on is null and made_on <= {t12} then 1
                         else 0 end) as fresh_overdue
         from counted
         group by grp, status"
    );
    (sql, params)
}

/// Distinct mechanisms per group.
fn mechanism_counts(clock: &Clock, filter: &Filter, group_by: GroupBy) -> (String, Params) {
    let mut params = Params::default();
    let grouped = Grouped::bind(&mut params, clock, filter, group_by);
    let sql = format!(
        "select {column} as grp, count(distinct s.mechanism_id) as mechanisms
         from commitment_status s
         {join}
         where {visible}
           {condition}
           and {filters}
         group by {column}",
        column = grouped.column,
        join = grouped.join,
        visible = grouped.visible,
        condition = grouped.condition,
        filters = grouped.filters,
    );
    (sql, params)
}
