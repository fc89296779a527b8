//! "What moved": the commitments whose status or percent differs between two effective dates,
//! with the reports that moved them (`GET /v1/progress/changes`, the dashboard's changes page).

use std::collections::BTreeMap;
use std::sync::Arc;

use sqlx::Row as _;
use time::Date;

use super::commitments::{CommitmentRow, LastReport, rows};
use super::memo::{self, Question, remember};
use super::{Clock, Filter};
use crate::ProjectionError;
use crate::db::ReadDb;
use crate::decode;

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

pub(super) async fn kept_changes(
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
    let list_before = rows(db, &before, filter, None, i64::MAX, LastReport::Skipped).await?;
    let list_after = rows(db, clock, filter, None, i64::MAX, LastReport::Skipped).await?;
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
