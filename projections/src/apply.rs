//! Applying events to the read models: one batch, one transaction, checkpoint included.
//!
//! The [`Projector`] keeps, per commitment, the domain state and the rows currently "known"
//! (`known_to` null), so a new event only writes what changed: it closes the rows that stop being
//! true at the event's position and inserts the new ones. Writes are buffered for the whole batch
//! and go out in bulk — multi-row `INSERT`s on SQLite ([`sqlite`]), `COPY` on PostgreSQL
//! ([`postgres`]), closes through a temporary table of keys on both — then the checkpoints move in
//! the same transaction: a crash anywhere leaves either the whole batch applied with its
//! checkpoint, or none of it.
//!
//! Planning keeps rows keyed by values (ids, dates), not text; the text is made once per batch
//! when the rows are written.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;

use compact_events::commitment::CommitmentState;
use compact_events::decider::Decider;
use compact_events::event::Event;
use compact_events::event::catalogue::{RecommendationEvent, ReviewPointEvent};
use compact_events::event::commitment::{Commitment, CommitmentEvent};
use compact_events::event::mechanism::MechanismEvent;
use compact_events::ids::CommitmentId;
use compact_events::stream::StreamId;
use sqlx::Row as _;
use time::{Date, OffsetDateTime};

use crate::ProjectionError;
use crate::curve::{Basis, Segment, segments};
use crate::db::ReadDb;
use crate::decode;
use crate::{DIRECTORY, PROGRESS};

mod postgres;
mod sqlite;

/// How many commitments the projector keeps in memory between batches.
const CACHE_LIMIT: usize = 200_000;

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
    /// The mechanism's id, shared by every row the commitment writes.
    mechanism: Arc<str>,
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
        match db.bulk(postgres::temporary_tables) {
            Some(bulk) => postgres::commit(bulk, self.writes, self.last_position).await,
            None => sqlite::commit(db, self.writes, self.last_position).await,
        }
    }
}

/// Moves every projection's checkpoint to `position`, inside the batch's transaction `tx` (either
/// backend's connection type: SQLite's batches go through the `Any` driver, PostgreSQL's through
/// a typed connection for `COPY`).
async fn save_checkpoints<DB>(tx: &mut DB::Connection, position: i64) -> Result<(), sqlx::Error>
where
    DB: sqlx::Database,
    for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let now = OffsetDateTime::now_utc().to_string();
    for projection in [&DIRECTORY, &PROGRESS] {
        sqlx::query::<DB>(
            r"insert into checkpoints (projection, version, position, updated_at)
              values ($1, $2, $3, $4)
              on conflict (projection) do update
              set version = excluded.version,
                  position = excluded.position,
                  updated_at = excluded.updated_at",
        )
        .bind(projection.name)
        .bind(i64::from(projection.version))
        .bind(position)
        .bind(now.as_str())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
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
        let mut writes = Writes::for_events(batch.len());
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
                    mechanism: Arc::from(""),
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
        let Known {
            state,
            mechanism,
            segments: current_segments,
            links,
            version_from,
        } = known;
        let Some(commitment) = &state.commitment else {
            return Ok(());
        };
        if let CommitmentEvent::CommitmentMade(_) = event {
            *mechanism = Arc::from(commitment.mechanism_id.as_str());
        }

        match event {
            CommitmentEvent::CommitmentMade(_) | CommitmentEvent::CommitmentRevised { .. } => {
                if let Some(from) = *version_from {
                    writes.close_version(id, from, position);
                }
                writes
                    .versions
                    .insert((id, position), VersionRow::new(commitment, mechanism));
                *version_from = Some(position);
                let wanted = links_of(commitment);
                let stale: Vec<_> = links
                    .iter()
                    .filter(|(link, _)| !wanted.contains(*link))
                    .map(|(link, from)| (link.clone(), *from))
                    .collect();
                for (link, from) in stale {
                    writes.close_link(id, &link, from, position);
                    links.remove(&link);
                }
                for link in wanted {
                    if let std::collections::hash_map::Entry::Vacant(entry) =
                        links.entry(link.clone())
                    {
                        entry.insert(position);
                        writes
                            .links
                            .insert((id, link, position), (None, mechanism.clone()));
                    }
                }
            }
            CommitmentEvent::ProgressReported(report) => {
                writes.reports.insert(
                    (id, report.seq),
                    ReportRow {
                        position,
                        recorded_on: envelope.recorded_at.date(),
                        effective_date: report.effective_date,
                        status: report.status.as_str(),
                        percent: report.percent_complete.map(|p| i64::from(p.get())),
                        retracted_position: None,
                        mechanism: mechanism.clone(),
                    },
                );
            }
            CommitmentEvent::ProgressRetracted { seq, .. } => {
                match writes.reports.get_mut(&(id, *seq)) {
                    Some(row) => row.retracted_position = Some(position),
                    None => writes.retractions.push((id, *seq, position)),
                }
            }
            CommitmentEvent::ProgressValidated(_)
            | CommitmentEvent::ProgressRejected(_)
            | CommitmentEvent::CommitmentWithdrawn { .. } => {}
        }

        for basis in Basis::ALL {
            let wanted = segments(state, basis);
            let current = current_segments.entry(basis).or_default();
            let mut kept = Vec::with_capacity(wanted.len());
            for (segment, from) in current.drain(..) {
                if wanted.contains(&segment) {
                    kept.push((segment, from));
                } else {
                    writes.close_status((id, basis, segment.valid_from, from), position);
                }
            }
            for segment in wanted {
                if !kept.iter().any(|(s, _)| *s == segment) {
                    writes.status.insert(
                        (id, basis, segment.valid_from, position),
                        StatusRow {
                            valid_to: segment.valid_to,
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
        let kind = decode::link_kind(&row.try_get::<String, _>("kind")?)?;
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
            valid_from: decode::date(&row.try_get::<String, _>("valid_from")?)?,
            valid_to: row
                .try_get::<Option<String>, _>("valid_to")?
                .map(|d| decode::date(&d))
                .transpose()?,
            status: decode::status(&row.try_get::<String, _>("status")?)?,
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
    let mechanism = state
        .commitment
        .as_ref()
        .map_or_else(|| Arc::from(""), |c| Arc::from(c.mechanism_id.as_str()));
    Ok(Known {
        state,
        mechanism,
        segments: by_basis,
        links,
        version_from,
    })
}

#[derive(Debug)]
struct VersionRow {
    known_to: Option<i64>,
    mechanism: Arc<str>,
    title: String,
    description: String,
    made_on: Date,
    due_date: Option<Date>,
    gcm_objectives: String,
    sdg_targets: String,
    recommendation_ids: String,
    indicator: Option<String>,
}

impl VersionRow {
    fn new(commitment: &Commitment, mechanism: &Arc<str>) -> Self {
        let json = |value: serde_json::Result<String>| value.unwrap_or_else(|_| "[]".into());
        Self {
            known_to: None,
            mechanism: mechanism.clone(),
            title: commitment.title.clone(),
            description: commitment.description.clone(),
            made_on: commitment.made_on,
            due_date: commitment.due_date,
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
    valid_to: Option<Date>,
    known_to: Option<i64>,
    status: &'static str,
    percent: Option<i64>,
    mechanism: Arc<str>,
}

#[derive(Debug)]
struct ReportRow {
    position: i64,
    recorded_on: Date,
    effective_date: Date,
    status: &'static str,
    percent: Option<i64>,
    retracted_position: Option<i64>,
    mechanism: Arc<str>,
}

/// A link row's key: commitment, (kind, link), known_from.
type LinkKey = (CommitmentId, (&'static str, String), i64);

/// A status row's key: commitment, basis, valid_from, known_from. Keys are kept as values, not
/// text: planning a batch spent most of its time allocating and hashing strings. They sort as
/// their text does (lowercase hex UUIDs and ISO dates), so rows still go out in key order.
type StatusKey = (CommitmentId, Basis, Date, i64);

/// Everything a batch writes, buffered so it can go out in few statements.
#[derive(Debug, Default)]
struct Writes {
    mechanisms: Vec<(i64, compact_events::event::mechanism::Mechanism)>,
    recommendations: Vec<(i64, compact_events::catalogue::Recommendation)>,
    review_points: Vec<(i64, compact_events::catalogue::ReviewPoint)>,
    /// New version rows by (commitment, known_from).
    versions: HashMap<(CommitmentId, i64), VersionRow>,
    /// Existing version rows to close: (commitment, known_from, known_to).
    version_closes: Vec<(CommitmentId, i64, i64)>,
    /// New link rows by (commitment, (kind, link), known_from) → (known_to, mechanism).
    links: HashMap<LinkKey, (Option<i64>, Arc<str>)>,
    link_closes: Vec<(CommitmentId, &'static str, String, i64, i64)>,
    /// New status rows.
    status: HashMap<StatusKey, StatusRow>,
    /// Existing status rows to close, with their known_to.
    status_closes: Vec<(StatusKey, i64)>,
    /// New reports by (commitment, seq).
    reports: HashMap<(CommitmentId, u32), ReportRow>,
    retractions: Vec<(CommitmentId, u32, i64)>,
}

impl Writes {
    /// Room for the rows of a batch of `events` (about 1.6 status rows and half a report per
    /// event at a million events), so the maps do not grow by rehashing.
    fn for_events(events: usize) -> Self {
        Self {
            versions: HashMap::with_capacity(events / 8),
            links: HashMap::with_capacity(events / 2),
            status: HashMap::with_capacity(events * 2),
            status_closes: Vec::with_capacity(events),
            reports: HashMap::with_capacity(events / 2),
            ..Self::default()
        }
    }

    fn close_version(&mut self, id: CommitmentId, from: i64, to: i64) {
        match self.versions.get_mut(&(id, from)) {
            Some(row) => row.known_to = Some(to),
            None => self.version_closes.push((id, from, to)),
        }
    }

    fn close_link(&mut self, id: CommitmentId, link: &(&'static str, String), from: i64, to: i64) {
        match self.links.get_mut(&(id, link.clone(), from)) {
            Some(row) => row.0 = Some(to),
            None => self
                .link_closes
                .push((id, link.0, link.1.clone(), from, to)),
        }
    }

    fn close_status(&mut self, key: StatusKey, to: i64) {
        match self.status.get_mut(&key) {
            Some(row) => row.known_to = Some(to),
            None => self.status_closes.push((key, to)),
        }
    }
}

/// The text forms of commitment ids and dates, made once per batch: a batch writes each
/// commitment's id and each date on many rows.
#[derive(Debug, Default)]
struct Text {
    ids: HashMap<CommitmentId, Arc<str>>,
    dates: HashMap<Date, Arc<str>>,
}

impl Text {
    fn id(&mut self, id: CommitmentId) -> Arc<str> {
        self.ids
            .entry(id)
            .or_insert_with(|| Arc::from(id.to_string()))
            .clone()
    }

    fn date(&mut self, date: Date) -> Arc<str> {
        self.dates
            .entry(date)
            .or_insert_with(|| Arc::from(date.to_string()))
            .clone()
    }
}

/// A batch's new rows sorted by primary key: inserted in that order, each index page is visited
/// once per batch rather than at random (status inserts took 7.6 µs a row in hash order).
fn in_key_order<K: Ord, V>(rows: HashMap<K, V>) -> Vec<(K, V)> {
    let mut rows: Vec<_> = rows.into_iter().collect();
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    rows
}

/// A value bound to a temporary table's column.
#[derive(Debug, Clone)]
enum Value {
    Text(Arc<str>),
    Int(i64),
}

/// A temporary table of the keys of rows a batch closes, and the `UPDATE` that joins it to them:
/// one statement per table instead of one per row. The SQL runs unchanged on both backends
/// (unqualified names find temporary tables first on both).
#[derive(Debug)]
struct CloseTable {
    /// The temporary table's name.
    name: &'static str,
    /// The table whose rows are closed.
    target: &'static str,
    /// The columns that find a row, and their types.
    keys: &'static [(&'static str, &'static str)],
    /// The position column the close sets.
    sets: &'static str,
}

impl CloseTable {
    /// The temporary table's columns: the keys, then the position set.
    fn columns(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        self.keys.iter().copied().chain([(self.sets, "bigint")])
    }

    /// How many values a row of the temporary table has.
    fn width(&self) -> usize {
        self.keys.len() + 1
    }

    /// `name (a, b, …)`, for an insert or a copy.
    fn insert_target(&self) -> String {
        let names: Vec<_> = self.columns().map(|(name, _)| name).collect();
        format!("{} ({})", self.name, names.join(", "))
    }

    /// `a text, b bigint, …`.
    fn definition(&self) -> String {
        let columns: Vec<_> = self
            .columns()
            .map(|(name, kind)| format!("{name} {kind}"))
            .collect();
        columns.join(", ")
    }

    /// The update that closes the rows.
    fn update(&self) -> String {
        let matches: Vec<_> = self
            .keys
            .iter()
            .map(|(key, _)| format!("target.{key} = closes.{key}"))
            .collect();
        format!(
            "update {target} as target set {sets} = closes.{sets} from {name} as closes where {matches}",
            target = self.target,
            sets = self.sets,
            name = self.name,
            matches = matches.join(" and "),
        )
    }
}

const VERSION_CLOSES: CloseTable = CloseTable {
    name: "version_closes",
    target: "commitment_versions",
    keys: &[("commitment_id", "text"), ("known_from", "bigint")],
    sets: "known_to",
};

const LINK_CLOSES: CloseTable = CloseTable {
    name: "link_closes",
    target: "commitment_links",
    keys: &[
        ("commitment_id", "text"),
        ("kind", "text"),
        ("link", "text"),
        ("known_from", "bigint"),
    ],
    sets: "known_to",
};

const STATUS_CLOSES: CloseTable = CloseTable {
    name: "status_closes",
    target: "commitment_status",
    keys: &[
        ("commitment_id", "text"),
        ("basis", "bigint"),
        ("valid_from", "text"),
        ("known_from", "bigint"),
    ],
    sets: "known_to",
};

const RETRACTIONS: CloseTable = CloseTable {
    name: "retractions",
    target: "progress_reports",
    keys: &[("commitment_id", "text"), ("seq", "bigint")],
    sets: "retracted_position",
};

/// Every close table.
const CLOSE_TABLES: [&CloseTable; 4] =
    [&VERSION_CLOSES, &LINK_CLOSES, &STATUS_CLOSES, &RETRACTIONS];

impl Writes {
    /// The closes of rows of earlier batches, as rows of each [`CloseTable`] (row after row,
    /// [`CloseTable::width`] values each). They go first: they touch rows of earlier batches only.
    fn closes(&self, text: &mut Text) -> [(&'static CloseTable, Vec<Value>); 4] {
        let versions = self
            .version_closes
            .iter()
            .flat_map(|(id, from, to)| {
                [
                    Value::Text(text.id(*id)),
                    Value::Int(*from),
                    Value::Int(*to),
                ]
            })
            .collect();
        let links = self
            .link_closes
            .iter()
            .flat_map(|(id, kind, link, from, to)| {
                [
                    Value::Text(text.id(*id)),
                    Value::Text(Arc::from(*kind)),
                    Value::Text(Arc::from(link.as_str())),
                    Value::Int(*from),
                    Value::Int(*to),
                ]
            })
            .collect();
        let status = self
            .status_closes
            .iter()
            .flat_map(|((id, basis, valid_from, from), to)| {
                [
                    Value::Text(text.id(*id)),
                    Value::Int(basis.code()),
                    Value::Text(text.date(*valid_from)),
                    Value::Int(*from),
                    Value::Int(*to),
                ]
            })
            .collect();
        let retractions = self
            .retractions
            .iter()
            .flat_map(|(id, seq, position)| {
                [
                    Value::Text(text.id(*id)),
                    Value::Int(i64::from(*seq)),
                    Value::Int(*position),
                ]
            })
            .collect();
        [
            (&VERSION_CLOSES, versions),
            (&LINK_CLOSES, links),
            (&STATUS_CLOSES, status),
            (&RETRACTIONS, retractions),
        ]
    }
}
