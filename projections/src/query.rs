//! The reads behind the API and the dashboard, for any effective date (`as_of`) and any known
//! position (`known_at`, resolved by the caller to a global position).
//!
//! Every query selects rows valid on both axes with the same two conditions:
//! `known_from <= P and (known_to is null or known_to > P)` and, for status rows,
//! `valid_from <= D and (valid_to is null or valid_to > D)`.

use std::collections::BTreeMap;
use std::sync::Arc;

use compact_events::freshness::{Freshness, months_before};
use sqlx::Row as _;
use time::Date;

use self::memo::{LONGEST_KEPT_LIST, Question, Series, remember};
use crate::ProjectionError;
use crate::curve::Basis;
use crate::db::ReadDb;
use crate::decode;

mod memo;

/// The point in both clocks a read is answered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Clock {
    /// The effective date (`as_of`).
    pub as_of: Date,
    /// The last global position known (`known_at`, resolved).
    pub known: i64,
    /// The day freshness is judged on: the earlier of `as_of` and the `known_at` date.
    pub reference_day: Date,
    /// Which updates count.
    pub basis: Basis,
    /// Whether `known` is simply the newest position reads are served at (no `known_at` was
    /// given). Such questions are followed: [`refresh`] asks them again at each new position.
    pub latest: bool,
}

impl Clock {
    /// The same point on the effective axis, known at `known`.
    fn at(&self, known: i64) -> Self {
        Self { known, ..*self }
    }
}

/// Filters shared by the list and progress reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filter {
    /// Only this mechanism's commitments.
    pub mechanism: Option<String>,
    /// Only commitments toward this GCM objective.
    pub objective: Option<u8>,
    /// Only commitments toward this SDG target.
    pub sdg_target: Option<String>,
    /// Only commitments in this status.
    pub status: Option<String>,
    /// Only commitments of mechanisms in this region.
    pub region: Option<String>,
}

/// Period ends per timeline query: few enough for any parameter limit, enough for 25 years of
/// quarters in one pass.
const PERIODS_PER_QUERY: usize = 100;

/// Visibility of a status row `s` on both clocks: binds $1 basis, $2 position, $3 date.
const STATUS_VISIBLE: &str = "s.basis = $1
    and s.known_from <= $2 and (s.known_to is null or s.known_to > $2)
    and s.valid_from <= $3 and (s.valid_to is null or s.valid_to > $3)";

/// The filters of [`Filter`]: binds $4 mechanism, $5 objective, $6 SDG target, $7 status, $8 region.
const FILTERS: &str = "($4 is null or s.mechanism_id = $4)
    and ($5 is null or exists (
        select 1 from commitment_links l5
        where l5.commitment_id = s.commitment_id and l5.kind = 'objective' and l5.link = $5
          and l5.known_from <= $2 and (l5.known_to is null or l5.known_to > $2)))
    and ($6 is null or exists (
        select 1 from commitment_links l6
        where l6.commitment_id = s.commitment_id and l6.kind = 'sdg_target' and l6.link = $6
          and l6.known_from <= $2 and (l6.known_to is null or l6.known_to > $2)))
    and ($7 is null or s.status = $7)
    and ($8 is null or exists (
        select 1 from mechanisms m8
        where m8.mechanism_id = s.mechanism_id and m8.region = $8 and m8.known_from <= $2))";

/// The latest non-retracted report recorded by the reference day ($9), as known at $2.
const LAST_REPORT: &str = "(select max(r.recorded_on) from progress_reports r
    where r.commitment_id = s.commitment_id
      and r.position <= $2
      and (r.retracted_position is null or r.retracted_position > $2)
      and r.recorded_on <= $9)";

fn bind_common<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    clock: &Clock,
    filter: &Filter,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(clock.basis.code())
        .bind(clock.known)
        .bind(clock.as_of.to_string())
        .bind(filter.mechanism.clone())
        .bind(filter.objective.map(|n| n.to_string()))
        .bind(filter.sdg_target.clone())
        .bind(filter.status.clone())
        .bind(filter.region.clone())
        .bind(clock.reference_day.to_string())
}

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

async fn kept_list(
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
    rows(db, clock, filter, after, limit, LAST_REPORT).await
}

/// In place of [`LAST_REPORT`] where freshness is not shown: binds $9 all the same.
const NO_LAST_REPORT: &str = "(case when $9 = $9 then null end)";

/// The list's rows, with `last_report` as the expression for each one's latest report.
async fn rows(
    db: &ReadDb,
    clock: &Clock,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
    last_report: &str,
) -> Result<Vec<CommitmentRow>, ProjectionError> {
    let sql = format!(
        "select s.commitment_id, s.mechanism_id, v.title, v.made_on, v.due_date,
                v.gcm_objectives, v.sdg_targets, v.recommendation_ids, s.status, s.percent,
                {last_report} as last_report_on
         from commitment_status s
         join commitment_versions v
           on v.commitment_id = s.commitment_id
          and v.known_from <= $2 and (v.known_to is null or v.known_to > $2)
         where {STATUS_VISIBLE}
           and {FILTERS}
           and ($10 is null or s.commitment_id > $10)
         order by s.commitment_id
         limit $11"
    );
    let rows = bind_common(sqlx::query(&sql), clock, filter)
        .bind(after.map(str::to_owned))
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
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

async fn kept_tallies(
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
    // The joins are written as CROSS JOIN with their conditions in WHERE: SQLite keeps that order,
    // so the visible status rows drive and each meets its few link and version rows. Left to
    // choose, it started from every link row ever written (3.5 s against 0.6 s at a million
    // events). PostgreSQL plans these as ordinary inner joins.
    let (group_column, join) = match group_by {
        GroupBy::Objective => (
            "g.link",
            (
                "cross join commitment_links g",
                "and g.commitment_id = s.commitment_id and g.kind = 'objective'
                 and g.known_from <= $2 and (g.known_to is null or g.known_to > $2)",
            ),
        ),
        GroupBy::SdgTarget => (
            "g.link",
            (
                "cross join commitment_links g",
                "and g.commitment_id = s.commitment_id and g.kind = 'sdg_target'
                 and g.known_from <= $2 and (g.known_to is null or g.known_to > $2)",
            ),
        ),
        GroupBy::Mechanism => ("s.mechanism_id", ("", "")),
    };
    let (join, join_condition) = join;
    let t12 = months_before(clock.reference_day, 12).to_string();
    let t24 = months_before(clock.reference_day, 24).to_string();
    // MATERIALIZED: each row's latest report is looked up once. Inlined, SQLite ran the lookup
    // once per use in the sums below, up to nine times a row.
    let sql = format!(
        "with counted as materialized (
             select {group_column} as grp, s.status, s.percent, v.made_on,
                    {LAST_REPORT} as last_on
             from commitment_status s
             {join}
             cross join commitment_versions v
             where {STATUS_VISIBLE}
               {join_condition}
               and v.commitment_id = s.commitment_id
               and v.known_from <= $2 and (v.known_to is null or v.known_to > $2)
               and {FILTERS}
         )
         select grp, status,
                count(*) as commitments,
                sum(case when status <> 'withdrawn' then percent end) as percent_sum,
                count(case when status <> 'withdrawn' then percent end) as percent_count,
                sum(case when status = 'withdrawn' then 0
                         when last_on is not null and last_on > $10 then 1
                         when last_on is null and made_on > $10 then 1
                         else 0 end) as fresh_current,
                sum(case when status = 'withdrawn' then 0
                         when last_on is not null and last_on <= $10 and last_on > $11 then 1
                         else 0 end) as fresh_due,
                sum(case when status = 'withdrawn' then 0
                         when last_on is not null and last_on <= $11 then 1
                         when last_on is null and made_on <= $10 then 1
                         else 0 end) as fresh_overdue
         from counted
         group by grp, status"
    );
    let rows = bind_common(sqlx::query(&sql), clock, filter)
        .bind(t12)
        .bind(t24)
        .fetch_all(db.pool())
        .await?;
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
    let mechanisms_sql = format!(
        "select {group_column} as grp, count(distinct s.mechanism_id) as mechanisms
         from commitment_status s
         {join}
         where {STATUS_VISIBLE}
           {join_condition}
           and {FILTERS}
         group by {group_column}"
    );
    let rows = bind_common(sqlx::query(&mechanisms_sql), clock, filter)
        .fetch_all(db.pool())
        .await?;
    for row in &rows {
        let group: String = row.try_get("grp")?;
        if let Some(tally) = tallies.get_mut(&group) {
            tally.mechanisms = row.try_get("mechanisms")?;
        }
    }
    Ok(tallies)
}

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

async fn kept_series(
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
        let ends: Vec<String> = (0..chunk.len())
            .map(|index| format!("(${})", index + 10))
            .collect();
        let sql = format!(
            "with ends (period_end) as (values {})
             select ends.period_end as period_end, s.status, count(*) as commitments
             from commitment_status s
             cross join ends
             where s.basis = $1
               and s.known_from <= $2 and (s.known_to is null or s.known_to > $2)
               and s.valid_from <= ends.period_end
               and (s.valid_to is null or s.valid_to > ends.period_end)
               and {FILTERS}
               and $3 = $3 and $9 = $9
             group by ends.period_end, s.status",
            ends.join(", ")
        );
        let mut query = bind_common(sqlx::query(&sql), clock, filter);
        for end in chunk {
            query = query.bind(end.to_string());
        }
        for row in &query.fetch_all(db.pool()).await? {
            let end = decode::date(&row.try_get::<String, _>("period_end")?)?;
            series
                .entry(end)
                .or_default()
                .insert(row.try_get("status")?, row.try_get("commitments")?);
        }
    }
    Ok(series)
}

/// A commitment whose status or percent differs between two effective dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The commitment.
    pub commitment_id: String,
    /// Its mechanism.
    pub mechanism_id: String,
    /// Title.
    pub title: String,
    /// The GCM objectives it serves (as of the later date, if it exists then).
    pub gcm_objectives: Vec<u8>,
    /// Status on `from` (`None`: not made yet).
    pub status_before: Option<String>,
    /// Percent on `from`.
    pub percent_before: Option<u8>,
    /// Status on `to`.
    pub status_after: Option<String>,
    /// Percent on `to`.
    pub percent_after: Option<u8>,
    /// The reports effective after `from` and on or before `to`, as (seq, effective date, status,
    /// percent, retracted).
    pub reports: Vec<ChangeReport>,
}

/// A progress report that falls between the two dates of a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeReport {
    /// Its sequence number.
    pub seq: i64,
    /// The day it applies to.
    pub effective_date: Date,
    /// What it reported.
    pub status: String,
    /// Its percent.
    pub percent: Option<u8>,
    /// Its global position.
    pub position: i64,
    /// Whether it was retracted (as known).
    pub retracted: bool,
}

/// A page of the commitments whose status or percent moved between `from` and `clock.as_of`
/// (the `to` date), as known at `clock.known`, by id after `after`, each with the reports that
/// moved it.
pub async fn changes(
    db: &ReadDb,
    clock: &Clock,
    filter: &Filter,
    from: Date,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Change>, ProjectionError> {
    if clock.latest {
        let key = (
            clock.at(0),
            filter.clone(),
            from,
            after.map(str::to_owned),
            limit,
        );
        memo::of(db).follow(Question::Changes(key));
    }
    let changes = kept_changes(db, clock, filter, from, after, limit).await?;
    Ok(changes.as_ref().clone())
}

/// How many commitments of one group moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MoveCounts {
    /// Commitments whose status or percent changed.
    pub moved: usize,
    /// … of which the status changed.
    pub status_changed: usize,
    /// … of which were made in between.
    pub newly_made: usize,
}

impl MoveCounts {
    fn count(&mut self, change: &Change) {
        self.moved += 1;
        if change.status_before != change.status_after {
            self.status_changed += 1;
        }
        if change.status_before.is_none() {
            self.newly_made += 1;
        }
    }
}

/// Every commitment that moved between two dates, and how many per group.
#[derive(Debug, Default)]
pub struct Moves {
    /// The commitments, by id, without their reports.
    pub changes: Vec<Change>,
    /// Counts per GCM objective.
    pub by_objective: BTreeMap<u8, MoveCounts>,
    /// Counts per mechanism id.
    pub by_mechanism: BTreeMap<String, MoveCounts>,
}

impl Moves {
    fn new(changes: Vec<Change>) -> Self {
        let mut moves = Self::default();
        for change in &changes {
            for objective in &change.gcm_objectives {
                moves
                    .by_objective
                    .entry(*objective)
                    .or_default()
                    .count(change);
            }
            match moves.by_mechanism.get_mut(&change.mechanism_id) {
                Some(counts) => counts.count(change),
                None => {
                    let mut counts = MoveCounts::default();
                    counts.count(change);
                    moves
                        .by_mechanism
                        .insert(change.mechanism_id.clone(), counts);
                }
            }
        }
        moves.changes = changes;
        moves
    }
}

/// Every commitment that moved between `from` and `clock.as_of`, as [`changes`] pages them but
/// without their reports, with the counts per objective and per mechanism. Kept with the pages of
/// the same question, so a page that shows both asks the database once.
pub async fn moves(
    db: &ReadDb,
    clock: &Clock,
    filter: &Filter,
    from: Date,
) -> Result<Arc<Moves>, ProjectionError> {
    let key = (*clock, filter.clone(), from);
    let compute = async { moved(db, clock, filter, from).await.map(Moves::new) };
    remember(db, &memo::of(db).moves, clock.known, key, compute).await
}

async fn kept_changes(
    db: &ReadDb,
    clock: &Clock,
    filter: &Filter,
    from: Date,
    after: Option<&str>,
    limit: i64,
) -> Result<Arc<Vec<Change>>, ProjectionError> {
    let key = (
        *clock,
        filter.clone(),
        from,
        after.map(str::to_owned),
        limit,
    );
    let compute = async {
        let all = moves(db, clock, filter, from).await?;
        let mut page = Vec::new();
        let unread = all
            .changes
            .iter()
            .filter(|change| after.is_none_or(|after| change.commitment_id.as_str() > after));
        for change in unread.take(usize::try_from(limit).unwrap_or(usize::MAX)) {
            page.push(Change {
                reports: reports_between(db, &change.commitment_id, from, clock).await?,
                ..change.clone()
            });
        }
        Ok(page)
    };
    remember(db, &memo::of(db).changes, clock.known, key, compute).await
}

/// Asks every question lately asked about the newest position again, known at `position` (which
/// the generation has applied), so that their answers are kept before reads move there. Returns
/// how many questions were asked.
pub async fn refresh(db: &ReadDb, position: i64) -> Result<usize, ProjectionError> {
    let questions = memo::of(db).followed();
    for question in &questions {
        match question {
            Question::Progress((clock, filter, group_by)) => {
                kept_tallies(db, &clock.at(position), filter, *group_by).await?;
            }
            Question::Commitments((clock, filter, after, limit)) => {
                kept_list(db, &clock.at(position), filter, after.as_deref(), *limit).await?;
            }
            Question::Timeline((clock, filter, period_ends)) => {
                kept_series(db, &clock.at(position), filter, period_ends).await?;
            }
            Question::Changes((clock, filter, from, after, limit)) => {
                let clock = clock.at(position);
                kept_changes(db, &clock, filter, *from, after.as_deref(), *limit).await?;
            }
        }
    }
    Ok(questions.len())
}

/// Every commitment whose status or percent differs between `from` and `clock.as_of`, by id,
/// without reports.
async fn moved(
    db: &ReadDb,
    clock: &Clock,
    filter: &Filter,
    from: Date,
) -> Result<Vec<Change>, ProjectionError> {
    let before = Clock {
        as_of: from,
        ..*clock
    };
    // Freshness is not part of what moved: skip the latest-report lookups.
    let list_before = rows(db, &before, filter, None, i64::MAX, NO_LAST_REPORT).await?;
    let list_after = rows(db, clock, filter, None, i64::MAX, NO_LAST_REPORT).await?;
    let mut by_id: BTreeMap<String, (Option<CommitmentRow>, Option<CommitmentRow>)> =
        BTreeMap::new();
    for row in list_before {
        let id = row.id.clone();
        by_id.entry(id).or_default().0 = Some(row);
    }
    for row in list_after {
        let id = row.id.clone();
        by_id.entry(id).or_default().1 = Some(row);
    }
    let mut changes = Vec::new();
    for (id, (before, after)) in by_id {
        let status_before = before.as_ref().map(|r| r.status.clone());
        let status_after = after.as_ref().map(|r| r.status.clone());
        let percent_before = before.as_ref().and_then(|r| r.percent);
        let percent_after = after.as_ref().and_then(|r| r.percent);
        if status_before == status_after && percent_before == percent_after {
            continue;
        }
        let Some(any) = after.as_ref().or(before.as_ref()) else {
            continue;
        };
        changes.push(Change {
            commitment_id: id,
            mechanism_id: any.mechanism_id.clone(),
            title: any.title.clone(),
            gcm_objectives: any.gcm_objectives.clone(),
            status_before,
            percent_before,
            status_after,
            percent_after,
            reports: Vec::new(),
        });
    }
    Ok(changes)
}

async fn reports_between(
    db: &ReadDb,
    commitment_id: &str,
    from: Date,
    clock: &Clock,
) -> Result<Vec<ChangeReport>, ProjectionError> {
    let rows = sqlx::query(
        r"select seq, effective_date, status, percent, position, retracted_position
          from progress_reports
          where commitment_id = $1
            and effective_date > $2
            and effective_date <= $3
            and position <= $4
          order by effective_date, seq",
    )
    .bind(commitment_id)
    .bind(from.to_string())
    .bind(clock.as_of.to_string())
    .bind(clock.known)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let retracted: Option<i64> = row.try_get("retracted_position")?;
            Ok(ChangeReport {
                seq: row.try_get("seq")?,
                effective_date: decode::date(&row.try_get::<String, _>("effective_date")?)?,
                status: row.try_get("status")?,
                percent: row
                    .try_get::<Option<i64>, _>("percent")?
                    .and_then(|p| u8::try_from(p).ok()),
                position: row.try_get("position")?,
                retracted: retracted.is_some_and(|at| at <= clock.known),
            })
        })
        .collect()
}

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
