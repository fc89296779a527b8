//! Applying events to the read models: one batch, one transaction, checkpoint included.
//!
//! The [`Projector`] keeps, per commitment, the domain state and the rows currently "known"
//! (`known_to` null), so a new event only writes what changed: it closes the rows that stop being
//! true at the event's position and inserts the new ones. Writes are buffered for the whole batch
//! and flushed with multi-row statements, then the checkpoints move in the same transaction — a
//! crash anywhere leaves either the whole batch applied with its checkpoint, or none of it.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;

use compact_events::commitment::CommitmentState;
use compact_events::decider::Decider;
use compact_events::event::Event;
use compact_events::event::catalogue::{RecommendationEvent, ReviewPointEvent};
use compact_events::event::commitment::{Commitment, CommitmentEvent};
use compact_events::event::mechanism::MechanismEvent;
use compact_events::ids::CommitmentId;
use compact_events::stream::StreamId;
use sqlx::{AnyConnection, Row as _};
use time::OffsetDateTime;

use crate::ProjectionError;
use crate::curve::{Basis, Segment, segments};
use crate::db::ReadDb;
use crate::{DIRECTORY, PROGRESS};

/// How many commitments the projector keeps in memory between batches.
const CACHE_LIMIT: usize = 200_000;

/// Rows per multi-row INSERT (well under both backends' parameter limits).
const ROWS_PER_INSERT: usize = 400;

/// One stored event, decoded, with what the read models need from its envelope.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// Global position.
    pub position: i64,
    /// The stream it belongs to.
    pub stream_id: String,
    /// When it was recorded.
    pub recorded_at: OffsetDateTime,
    /// The event.
    pub event: Event,
}

/// Where the projector gets a commitment's state when it is not in memory: the event store.
pub trait StateSource: Sync {
    /// The commitment's state folded from its events before `position`.
    fn load(
        &self,
        commitment: CommitmentId,
        before_position: i64,
    ) -> impl Future<Output = Result<CommitmentState, ProjectionError>> + Send;
}

/// What the projector remembers about one commitment.
#[derive(Debug, Clone)]
struct Known {
    state: CommitmentState,
    /// Current status rows per basis, with their `known_from`.
    segments: HashMap<Basis, Vec<(Segment, i64)>>,
    /// Current links (kind, link) with their `known_from`.
    links: HashMap<(&'static str, String), i64>,
    /// `known_from` of the current version row, if the commitment exists.
    version_from: Option<i64>,
}

/// Applies batches of events to one generation of the read models.
#[derive(Debug, Default)]
pub struct Projector {
    known: HashMap<CommitmentId, Known>,
}

/// The writes of one batch, planned by [`Projector::plan`] and not yet in the database.
#[derive(Debug)]
pub struct Planned {
    writes: Writes,
    last_position: i64,
}

impl Planned {
    /// The last position of the batch.
    pub fn last_position(&self) -> i64 {
        self.last_position
    }

    /// Writes the batch in one transaction that also moves every projection's checkpoint to its
    /// last position.
    pub async fn commit(self, db: &ReadDb) -> Result<(), ProjectionError> {
        let mut tx = db.pool().begin().await?;
        let style = Placeholders::for_location(db.location());
        self.writes.flush(&mut tx, style).await?;
        let now = OffsetDateTime::now_utc().to_string();
        for projection in [&DIRECTORY, &PROGRESS] {
            sqlx::query(
                r"insert into checkpoints (projection, version, position, updated_at)
                  values ($1, $2, $3, $4)
                  on conflict (projection) do update
                  set version = excluded.version,
                      position = excluded.position,
                      updated_at = excluded.updated_at",
            )
            .bind(projection.name)
            .bind(i64::from(projection.version))
            .bind(self.last_position)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Projector {
    /// A projector with nothing in memory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies `batch` (in position order, contiguous after the checkpoint) in one transaction
    /// and moves every projection's checkpoint to its last position.
    pub async fn apply<S: StateSource>(
        &mut self,
        db: &ReadDb,
        batch: &[Envelope],
        source: &S,
    ) -> Result<(), ProjectionError> {
        let Some(planned) = self.plan(db, batch, source).await? else {
            return Ok(());
        };
        let result = planned.commit(db).await;
        if result.is_err() {
            self.forget();
        }
        result
    }

    /// Decides what `batch` writes and remembers the result as if it were committed, so the next
    /// batch can be planned while this one is written. Plans must be committed in order; after a
    /// failed commit, [`Projector::forget`] must be called before planning again. `None` for an
    /// empty batch.
    pub async fn plan<S: StateSource>(
        &mut self,
        db: &ReadDb,
        batch: &[Envelope],
        source: &S,
    ) -> Result<Option<Planned>, ProjectionError> {
        let Some(last) = batch.last() else {
            return Ok(None);
        };
        let result = self.plan_writes(db, batch, source).await;
        if result.is_err() || self.known.len() > CACHE_LIMIT {
            self.forget();
        }
        Ok(Some(Planned {
            writes: result?,
            last_position: last.position,
        }))
    }

    /// Whether planning `batch` reads the tables, for a commitment the projector does not have in
    /// memory: every plan before it must be committed first, or the tables would be behind.
    pub fn reads_tables(&self, batch: &[Envelope]) -> bool {
        let mut made = std::collections::HashSet::new();
        batch.iter().any(|envelope| {
            let Event::Commitment(event) = &envelope.event else {
                return false;
            };
            let Ok(id) = commitment_id(&envelope.stream_id, envelope.position) else {
                return false;
            };
            if matches!(event, CommitmentEvent::CommitmentMade(_)) {
                made.insert(id);
                return false;
            }
            !self.known.contains_key(&id) && !made.contains(&id)
        })
    }

    /// Forgets everything in memory, to reload it from the tables and the store on demand: after
    /// a failed commit, memory is ahead of the database.
    pub fn forget(&mut self) {
        self.known.clear();
    }

    async fn plan_writes<S: StateSource>(
        &mut self,
        db: &ReadDb,
        batch: &[Envelope],
        source: &S,
    ) -> Result<Writes, ProjectionError> {
        let mut writes = Writes::default();
        for envelope in batch {
            match &envelope.event {
                Event::Mechanism(MechanismEvent::MechanismRegistered(mechanism)) => {
                    writes
                        .mechanisms
                        .push((envelope.position, mechanism.clone()));
                }
                Event::Recommendation(RecommendationEvent::RecommendationAdded(recommendation)) => {
                    writes
                        .recommendations
                        .push((envelope.position, recommendation.clone()));
                }
                Event::ReviewPoint(ReviewPointEvent::ReviewPointAdded(review_point)) => {
                    writes
                        .review_points
                        .push((envelope.position, review_point.clone()));
                }
                Event::Catalogue(_) => {}
                Event::Commitment(event) => {
                    let id = commitment_id(&envelope.stream_id, envelope.position)?;
                    self.apply_commitment(db, id, envelope, event, source, &mut writes)
                        .await?;
                }
            }
        }
        Ok(writes)
    }

    async fn apply_commitment<S: StateSource>(
        &mut self,
        db: &ReadDb,
        id: CommitmentId,
        envelope: &Envelope,
        event: &CommitmentEvent,
        source: &S,
        writes: &mut Writes,
    ) -> Result<(), ProjectionError> {
        let known = match self.known.entry(id) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            // A new commitment has no history to load, from the store or the tables.
            std::collections::hash_map::Entry::Vacant(entry)
                if matches!(event, CommitmentEvent::CommitmentMade(_)) =>
            {
                entry.insert(Known {
                    state: CommitmentState::default(),
                    segments: HashMap::new(),
                    links: HashMap::new(),
                    version_from: None,
                })
            }
            std::collections::hash_map::Entry::Vacant(entry) => {
                let state = source.load(id, envelope.position).await?;
                entry.insert(load_known(db, id, state).await?)
            }
        };
        let position = envelope.position;
        known.state = std::mem::take(&mut known.state).evolve(event);
        let Some(commitment) = known.state.commitment.clone() else {
            return Ok(());
        };
        let key = id.to_string();
        let mechanism = commitment.mechanism_id.to_string();

        match event {
            CommitmentEvent::CommitmentMade(_) | CommitmentEvent::CommitmentRevised { .. } => {
                if let Some(from) = known.version_from {
                    writes.close_version(&key, from, position);
                }
                writes
                    .versions
                    .insert((key.clone(), position), VersionRow::new(&commitment));
                known.version_from = Some(position);
                let wanted = links_of(&commitment);
                let stale: Vec<_> = known
                    .links
                    .iter()
                    .filter(|(link, _)| !wanted.contains(*link))
                    .map(|(link, from)| (link.clone(), *from))
                    .collect();
                for (link, from) in stale {
                    writes.close_link(&key, &link, from, position);
                    known.links.remove(&link);
                }
                for link in wanted {
                    if let std::collections::hash_map::Entry::Vacant(entry) =
                        known.links.entry(link.clone())
                    {
                        entry.insert(position);
                        writes
                            .links
                            .insert((key.clone(), link, position), (None, mechanism.clone()));
                    }
                }
            }
            CommitmentEvent::ProgressReported(report) => {
                writes.reports.insert(
                    (key.clone(), report.seq),
                    ReportRow {
                        position,
                        recorded_on: envelope.recorded_at.date(),
                        effective_date: report.effective_date.to_string(),
                        status: report.status.as_str(),
                        percent: report.percent_complete.map(|p| i64::from(p.get())),
                        retracted_position: None,
                        mechanism: mechanism.clone(),
                    },
                );
            }
            CommitmentEvent::ProgressRetracted { seq, .. } => {
                match writes.reports.get_mut(&(key.clone(), *seq)) {
                    Some(row) => row.retracted_position = Some(position),
                    None => writes.retractions.push((key.clone(), *seq, position)),
                }
            }
            CommitmentEvent::ProgressValidated(_)
            | CommitmentEvent::ProgressRejected(_)
            | CommitmentEvent::CommitmentWithdrawn { .. } => {}
        }

        for basis in Basis::ALL {
            let wanted = segments(&known.state, basis);
            let current = known.segments.entry(basis).or_default();
            let mut kept = Vec::with_capacity(wanted.len());
            for (segment, from) in current.drain(..) {
                if wanted.contains(&segment) {
                    kept.push((segment, from));
                } else {
                    writes.close_status(&key, basis, &segment, from, position);
                }
            }
            for segment in wanted {
                if !kept.iter().any(|(s, _)| *s == segment) {
                    writes.status.insert(
                        (
                            key.clone(),
                            basis.code(),
                            segment.valid_from.to_string(),
                            position,
                        ),
                        StatusRow {
                            valid_to: segment.valid_to.map(|d| d.to_string()),
                            known_to: None,
                            status: segment.status.as_str(),
                            percent: segment.percent.map(i64::from),
                            mechanism: mechanism.clone(),
                        },
                    );
                    kept.push((segment, position));
                }
            }
            *current = kept;
        }
        Ok(())
    }
}

fn commitment_id(stream_id: &str, position: i64) -> Result<CommitmentId, ProjectionError> {
    match StreamId::parse(stream_id) {
        Ok(StreamId::Commitment(id)) => Ok(id),
        _ => Err(ProjectionError::Corrupt {
            position,
            reason: format!("a commitment event in stream {stream_id}"),
        }),
    }
}

fn links_of(commitment: &Commitment) -> BTreeSet<(&'static str, String)> {
    let objectives = commitment
        .gcm_objectives
        .iter()
        .map(|n| ("objective", n.to_string()));
    let targets = commitment
        .sdg_targets
        .iter()
        .map(|code| ("sdg_target", code.to_string()));
    let recommendations = commitment
        .recommendation_ids
        .iter()
        .map(|id| ("recommendation", id.to_string()));
    objectives.chain(targets).chain(recommendations).collect()
}

/// Reads what the tables hold as current for a commitment the projector has not seen since it
/// started.
async fn load_known(
    db: &ReadDb,
    id: CommitmentId,
    state: CommitmentState,
) -> Result<Known, ProjectionError> {
    let key = id.to_string();
    let version_from: Option<i64> = sqlx::query_scalar(
        r"select known_from
          from commitment_versions
          where commitment_id = $1
            and known_to is null",
    )
    .bind(&key)
    .fetch_optional(db.pool())
    .await?;
    let link_rows = sqlx::query(
        r"select kind, link, known_from
          from commitment_links
          where commitment_id = $1
            and known_to is null",
    )
    .bind(&key)
    .fetch_all(db.pool())
    .await?;
    let mut links = HashMap::new();
    for row in &link_rows {
        let kind: String = row.try_get("kind")?;
        let kind = match kind.as_str() {
            "objective" => "objective",
            "sdg_target" => "sdg_target",
            _ => "recommendation",
        };
        links.insert(
            (kind, row.try_get::<String, _>("link")?),
            row.try_get("known_from")?,
        );
    }
    let status_rows = sqlx::query(
        r"select basis, valid_from, valid_to, known_from, status, percent
          from commitment_status
          where commitment_id = $1
            and known_to is null",
    )
    .bind(&key)
    .fetch_all(db.pool())
    .await?;
    let mut by_basis: HashMap<Basis, Vec<(Segment, i64)>> = HashMap::new();
    for row in &status_rows {
        let basis = if row.try_get::<i64, _>("basis")? == 1 {
            Basis::Validated
        } else {
            Basis::Reported
        };
        let segment = Segment {
            valid_from: parse_date(&row.try_get::<String, _>("valid_from")?)?,
            valid_to: row
                .try_get::<Option<String>, _>("valid_to")?
                .map(|d| parse_date(&d))
                .transpose()?,
            status: parse_status(&row.try_get::<String, _>("status")?)?,
            percent: row
                .try_get::<Option<i64>, _>("percent")?
                .and_then(|p| u8::try_from(p).ok()),
        };
        by_basis
            .entry(basis)
            .or_default()
            .push((segment, row.try_get("known_from")?));
    }
    for rows in by_basis.values_mut() {
        rows.sort_by_key(|(segment, _)| segment.valid_from);
    }
    Ok(Known {
        state,
        segments: by_basis,
        links,
        version_from,
    })
}

/// Parses a stored ISO date.
pub fn parse_date(text: &str) -> Result<time::Date, ProjectionError> {
    time::Date::parse(text, &time::format_description::well_known::Iso8601::DATE).map_err(|_| {
        ProjectionError::Corrupt {
            position: 0,
            reason: format!("{text:?} is not a date"),
        }
    })
}

fn parse_status(
    text: &str,
) -> Result<compact_events::commitment::query::CommitmentStatus, ProjectionError> {
    compact_events::commitment::query::CommitmentStatus::ALL
        .into_iter()
        .find(|status| status.as_str() == text)
        .ok_or_else(|| ProjectionError::Corrupt {
            position: 0,
            reason: format!("{text:?} is not a status"),
        })
}

#[cfg(test)]
mod tests {
    use super::{Placeholders, insert_sql};

    #[test]
    fn sqlite_gets_positional_placeholders() {
        assert_eq!(
            insert_sql(Placeholders::Positional, "t (a, b)", 2, 2),
            "insert or fail into t (a, b) values (?, ?), (?, ?)"
        );
    }

    #[test]
    fn insert_placeholders_are_numbered_across_rows() {
        assert_eq!(
            insert_sql(Placeholders::Numbered, "t (a, b)", 2, 2),
            "insert into t (a, b) values ($1, $2), ($3, $4)"
        );
    }
}

#[derive(Debug)]
struct VersionRow {
    known_to: Option<i64>,
    mechanism: String,
    title: String,
    description: String,
    made_on: String,
    due_date: Option<String>,
    gcm_objectives: String,
    sdg_targets: String,
    recommendation_ids: String,
    indicator: Option<String>,
}

impl VersionRow {
    fn new(commitment: &Commitment) -> Self {
        let json = |value: serde_json::Result<String>| value.unwrap_or_else(|_| "[]".into());
        Self {
            known_to: None,
            mechanism: commitment.mechanism_id.to_string(),
            title: commitment.title.clone(),
            description: commitment.description.clone(),
            made_on: commitment.made_on.to_string(),
            due_date: commitment.due_date.map(|d| d.to_string()),
            gcm_objectives: json(serde_json::to_string(&commitment.gcm_objectives)),
            sdg_targets: json(serde_json::to_string(&commitment.sdg_targets)),
            recommendation_ids: json(serde_json::to_string(&commitment.recommendation_ids)),
            indicator: commitment
                .indicator
                .as_ref()
                .and_then(|i| serde_json::to_string(i).ok()),
        }
    }
}

#[derive(Debug)]
struct StatusRow {
    valid_to: Option<String>,
    known_to: Option<i64>,
    status: &'static str,
    percent: Option<i64>,
    mechanism: String,
}

#[derive(Debug)]
struct ReportRow {
    position: i64,
    recorded_on: time::Date,
    effective_date: String,
    status: &'static str,
    percent: Option<i64>,
    retracted_position: Option<i64>,
    mechanism: String,
}

/// A link row's key: commitment, (kind, link), known_from.
type LinkKey = (String, (&'static str, String), i64);

/// Everything a batch writes, buffered so it can go out in few statements.
#[derive(Debug, Default)]
struct Writes {
    mechanisms: Vec<(i64, compact_events::event::mechanism::Mechanism)>,
    recommendations: Vec<(i64, compact_events::catalogue::Recommendation)>,
    review_points: Vec<(i64, compact_events::catalogue::ReviewPoint)>,
    /// New version rows by (commitment, known_from).
    versions: HashMap<(String, i64), VersionRow>,
    /// Existing version rows to close: (commitment, known_from, known_to).
    version_closes: Vec<(String, i64, i64)>,
    /// New link rows by (commitment, (kind, link), known_from) → (known_to, mechanism).
    links: HashMap<LinkKey, (Option<i64>, String)>,
    link_closes: Vec<(String, &'static str, String, i64, i64)>,
    /// New status rows by (commitment, basis, valid_from, known_from).
    status: HashMap<(String, i64, String, i64), StatusRow>,
    status_closes: Vec<(String, i64, String, i64, i64)>,
    /// New reports by (commitment, seq).
    reports: HashMap<(String, u32), ReportRow>,
    retractions: Vec<(String, u32, i64)>,
}

impl Writes {
    fn close_version(&mut self, key: &str, from: i64, to: i64) {
        match self.versions.get_mut(&(key.to_owned(), from)) {
            Some(row) => row.known_to = Some(to),
            None => self.version_closes.push((key.to_owned(), from, to)),
        }
    }

    fn close_link(&mut self, key: &str, link: &(&'static str, String), from: i64, to: i64) {
        match self.links.get_mut(&(key.to_owned(), link.clone(), from)) {
            Some(row) => row.0 = Some(to),
            None => self
                .link_closes
                .push((key.to_owned(), link.0, link.1.clone(), from, to)),
        }
    }

    fn close_status(&mut self, key: &str, basis: Basis, segment: &Segment, from: i64, to: i64) {
        let valid_from = segment.valid_from.to_string();
        match self
            .status
            .get_mut(&(key.to_owned(), basis.code(), valid_from.clone(), from))
        {
            Some(row) => row.known_to = Some(to),
            None => self
                .status_closes
                .push((key.to_owned(), basis.code(), valid_from, from, to)),
        }
    }

    async fn flush(
        self,
        tx: &mut AnyConnection,
        style: Placeholders,
    ) -> Result<(), ProjectionError> {
        for (position, mechanism) in &self.mechanisms {
            sqlx::query(
                r"insert into mechanisms (mechanism_id, known_from, name, kind, region)
                  values ($1, $2, $3, $4, $5)",
            )
            .bind(mechanism.id.as_str())
            .bind(*position)
            .bind(&mechanism.name)
            .bind(mechanism.kind.as_str())
            .bind(mechanism.region.as_deref())
            .execute(&mut *tx)
            .await?;
        }
        for (position, recommendation) in &self.recommendations {
            sqlx::query(
                r"insert into recommendations (recommendation_id, known_from, text, theme, source)
                  values ($1, $2, $3, $4, $5)",
            )
            .bind(recommendation.id.as_str())
            .bind(*position)
            .bind(&recommendation.text)
            .bind(&recommendation.theme)
            .bind(&recommendation.source)
            .execute(&mut *tx)
            .await?;
        }
        for (position, review_point) in &self.review_points {
            sqlx::query(
                r"insert into review_points (review_point_id, known_from, name, starts_on, ends_on)
                  values ($1, $2, $3, $4, $5)",
            )
            .bind(review_point.id.as_str())
            .bind(*position)
            .bind(&review_point.name)
            .bind(review_point.starts_on.to_string())
            .bind(review_point.ends_on.to_string())
            .execute(&mut *tx)
            .await?;
        }
        // Closes first: they touch rows of earlier batches only.
        for (key, from, to) in &self.version_closes {
            sqlx::query(
                r"update commitment_versions
                  set known_to = $3
                  where commitment_id = $1
                    and known_from = $2",
            )
            .bind(key)
            .bind(*from)
            .bind(*to)
            .execute(&mut *tx)
            .await?;
        }
        for (key, kind, link, from, to) in &self.link_closes {
            sqlx::query(
                r"update commitment_links
                  set known_to = $5
                  where commitment_id = $1
                    and kind = $2
                    and link = $3
                    and known_from = $4",
            )
            .bind(key)
            .bind(*kind)
            .bind(link)
            .bind(*from)
            .bind(*to)
            .execute(&mut *tx)
            .await?;
        }
        // Status rows are closed by nearly every event, so they go out in bulk. PostgreSQL joins a
        // VALUES list per chunk. SQLite spent 125 µs per row on that form at a million events
        // (a prepared single-row UPDATE: 27 µs, but each is a round trip to sqlx's worker
        // thread), so it fills a temporary table and joins it once per batch (20 µs per row).
        if style == Placeholders::Positional && !self.status_closes.is_empty() {
            sqlx::query(
                r"create temp table if not exists status_closes (
                      commitment_id text not null,
                      basis integer not null,
                      valid_from text not null,
                      known_from bigint not null,
                      known_to bigint not null)",
            )
            .execute(&mut *tx)
            .await?;
            for chunk in self.status_closes.chunks(ROWS_PER_INSERT) {
                let sql = insert_sql(
                    style,
                    "temp.status_closes (commitment_id, basis, valid_from, known_from, known_to)",
                    5,
                    chunk.len(),
                );
                let mut insert = sqlx::query(&sql);
                for (key, basis, valid_from, from, to) in chunk {
                    insert = insert
                        .bind(key)
                        .bind(*basis)
                        .bind(valid_from)
                        .bind(*from)
                        .bind(*to);
                }
                insert.execute(&mut *tx).await?;
            }
            sqlx::query(
                r"update commitment_status
                  set known_to = closes.known_to
                  from temp.status_closes closes
                  where commitment_status.commitment_id = closes.commitment_id
                    and commitment_status.basis = closes.basis
                    and commitment_status.valid_from = closes.valid_from
                    and commitment_status.known_from = closes.known_from",
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query("delete from temp.status_closes")
                .execute(&mut *tx)
                .await?;
        }
        let bulk_closes = match style {
            Placeholders::Numbered => self.status_closes.as_slice(),
            Placeholders::Positional => &[],
        };
        for chunk in bulk_closes.chunks(ROWS_PER_INSERT) {
            let mut values = String::new();
            for row in 0..chunk.len() {
                if row > 0 {
                    values.push_str(", ");
                }
                values.push('(');
                for (column, kind) in ["text", "bigint", "text", "bigint", "bigint"]
                    .iter()
                    .enumerate()
                {
                    if column > 0 {
                        values.push_str(", ");
                    }
                    values.push_str("cast(");
                    style.push(&mut values, row * 5 + column + 1);
                    values.push_str(" as ");
                    values.push_str(kind);
                    values.push(')');
                }
                values.push(')');
            }
            let sql = format!(
                "with closes (commitment_id, basis, valid_from, known_from, known_to) as (values {values})
                 update commitment_status
                 set known_to = closes.known_to
                 from closes
                 where commitment_status.commitment_id = closes.commitment_id
                   and commitment_status.basis = closes.basis
                   and commitment_status.valid_from = closes.valid_from
                   and commitment_status.known_from = closes.known_from"
            );
            let mut update = sqlx::query(&sql);
            for (key, basis, valid_from, from, to) in chunk {
                update = update
                    .bind(key)
                    .bind(*basis)
                    .bind(valid_from)
                    .bind(*from)
                    .bind(*to);
            }
            update.execute(&mut *tx).await?;
        }
        for (key, seq, position) in &self.retractions {
            sqlx::query(
                r"update progress_reports
                  set retracted_position = $3
                  where commitment_id = $1
                    and seq = $2",
            )
            .bind(key)
            .bind(i64::from(*seq))
            .bind(*position)
            .execute(&mut *tx)
            .await?;
        }

        let versions = in_key_order(self.versions);
        for chunk in versions.chunks(ROWS_PER_INSERT) {
            let sql = insert_sql(
                style,
                "commitment_versions (commitment_id, known_from, known_to, mechanism_id, title, \
                 description, made_on, due_date, gcm_objectives, sdg_targets, recommendation_ids, \
                 indicator)",
                12,
                chunk.len(),
            );
            let mut insert = sqlx::query(&sql);
            for ((key, from), row) in chunk {
                insert = insert
                    .bind(key)
                    .bind(*from)
                    .bind(row.known_to)
                    .bind(&row.mechanism)
                    .bind(&row.title)
                    .bind(&row.description)
                    .bind(&row.made_on)
                    .bind(&row.due_date)
                    .bind(&row.gcm_objectives)
                    .bind(&row.sdg_targets)
                    .bind(&row.recommendation_ids)
                    .bind(&row.indicator);
            }
            insert.execute(&mut *tx).await?;
        }
        let links = in_key_order(self.links);
        for chunk in links.chunks(ROWS_PER_INSERT) {
            let sql = insert_sql(
                style,
                "commitment_links (commitment_id, kind, link, known_from, known_to, mechanism_id)",
                6,
                chunk.len(),
            );
            let mut insert = sqlx::query(&sql);
            for ((key, (kind, link), from), (to, mechanism)) in chunk {
                insert = insert
                    .bind(key)
                    .bind(*kind)
                    .bind(link)
                    .bind(*from)
                    .bind(*to)
                    .bind(mechanism);
            }
            insert.execute(&mut *tx).await?;
        }
        let status = in_key_order(self.status);
        for chunk in status.chunks(ROWS_PER_INSERT) {
            let sql = insert_sql(
                style,
                "commitment_status (commitment_id, basis, valid_from, valid_to, known_from, \
                 known_to, status, percent, mechanism_id)",
                9,
                chunk.len(),
            );
            let mut insert = sqlx::query(&sql);
            for ((key, basis, valid_from, from), row) in chunk {
                insert = insert
                    .bind(key)
                    .bind(*basis)
                    .bind(valid_from)
                    .bind(&row.valid_to)
                    .bind(*from)
                    .bind(row.known_to)
                    .bind(row.status)
                    .bind(row.percent)
                    .bind(&row.mechanism);
            }
            insert.execute(&mut *tx).await?;
        }
        let reports = in_key_order(self.reports);
        for chunk in reports.chunks(ROWS_PER_INSERT) {
            let sql = insert_sql(
                style,
                "progress_reports (commitment_id, seq, position, recorded_on, effective_date, \
                 status, percent, retracted_position, mechanism_id)",
                9,
                chunk.len(),
            );
            let mut insert = sqlx::query(&sql);
            for ((key, seq), row) in chunk {
                insert = insert
                    .bind(key)
                    .bind(i64::from(*seq))
                    .bind(row.position)
                    .bind(row.recorded_on.to_string())
                    .bind(&row.effective_date)
                    .bind(row.status)
                    .bind(row.percent)
                    .bind(row.retracted_position)
                    .bind(&row.mechanism);
            }
            insert.execute(&mut *tx).await?;
        }
        Ok(())
    }
}

/// A batch's new rows sorted by primary key: inserted in that order, each index page is visited
/// once per batch rather than at random (status inserts took 7.6 µs a row in hash order).
fn in_key_order<K: Ord, V>(rows: HashMap<K, V>) -> Vec<(K, V)> {
    let mut rows: Vec<_> = rows.into_iter().collect();
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    rows
}

/// How bulk statements write their parameters.
///
/// PostgreSQL needs `$1, $2, …`. SQLite takes those too, but sqlx then resolves every parameter by
/// name, which is quadratic in the parameter count: with thousands of parameters per multi-row
/// statement it took half the rebuild's CPU (perf). So SQLite gets plain positional `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placeholders {
    /// `$1, $2, …` (PostgreSQL).
    Numbered,
    /// `?, ?, …` (SQLite).
    Positional,
}

impl Placeholders {
    fn for_location(location: &crate::db::Location) -> Self {
        match location {
            crate::db::Location::SqliteFile(_) => Self::Positional,
            crate::db::Location::PostgresSchema { .. } => Self::Numbered,
        }
    }

    fn push(self, sql: &mut String, number: usize) {
        match self {
            Self::Numbered => {
                sql.push('$');
                sql.push_str(&number.to_string());
            }
            Self::Positional => sql.push('?'),
        }
    }
}

/// `insert into <table_and_columns> values (…), (…)` with `columns × rows` parameters.
fn insert_sql(style: Placeholders, table_and_columns: &str, columns: usize, rows: usize) -> String {
    // SQLite journals every page a multi-row INSERT touches inside a transaction, to undo just
    // that statement if a row breaks a constraint. OR FAIL stops the statement without undoing
    // it; the batch's transaction is rolled back on any error anyway, so nothing partial stays.
    let verb = match style {
        Placeholders::Positional => "insert or fail into",
        Placeholders::Numbered => "insert into",
    };
    let mut sql = format!("{verb} {table_and_columns} values ");
    let mut number = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            number += 1;
            style.push(&mut sql, number);
        }
        sql.push(')');
    }
    sql
}
