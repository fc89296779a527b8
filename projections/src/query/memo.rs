//! Answers kept for the life of a generation.
//!
//! Every read names a point on both clocks, and its known position `P` is part of the question.
//! Once the generation has applied `P`, nothing visible at `P` ever changes: the projector only
//! inserts rows known from later positions, closes rows at later positions and marks retractions
//! with theirs, and every query filters on those positions. From then on the answer is a pure
//! function of the question, so it can be kept until memory runs short. A rebuild opens a new
//! generation, with an empty memo.
//!
//! Concurrent identical questions are answered by one query while the others wait for it, so a
//! burst of dashboard loads after a write costs one query, not one per client.
//!
//! Questions about the newest position ([`Clock::latest`]) are also remembered without their
//! position, so that [`crate::query::refresh`] can ask them again at the next position before
//! reads are moved there: a dashboard that follows the log then finds its answers ready.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use moka::future::Cache;
use sqlx::AnyPool;

use crate::ProjectionError;
use crate::db::ReadDb;

use time::Date;

use super::{
    Change, Clock, CommitmentRow, Filter, GroupBy, MechanismRow, Moves, RecommendationRow,
    ReviewPointRow, Tally,
};

/// Rows a list answer may hold and still be kept; longer ones (full CSV exports) are recomputed.
pub(crate) const LONGEST_KEPT_LIST: i64 = 1_001;

/// How much each kind of answer may keep, in rows: list entries, changes and their reports, groups
/// of a progress answer, periods of a timeline. A row is a few hundred bytes, so each kind stays
/// within some 40 MB.
const KEPT_ROWS: u64 = 100_000;

/// The question behind a progress answer.
pub(crate) type ProgressKey = (Clock, Filter, GroupBy);
/// The question behind a commitments page: clock, filter, cursor, limit.
pub(crate) type ListKey = (Clock, Filter, Option<String>, i64);
/// The question behind a timeline: clock, filter, period ends.
pub(crate) type TimelineKey = (Clock, Filter, Vec<Date>);
/// The question behind a page of "what moved": clock, filter, from, cursor, limit.
pub(crate) type ChangesKey = (Clock, Filter, Date, Option<String>, i64);
/// The question behind everything that moved: clock, filter, from.
pub(crate) type MovesKey = (Clock, Filter, Date);

/// Status counts per period end.
pub(crate) type Series = BTreeMap<Date, BTreeMap<String, i64>>;

/// How many questions about the newest position are followed: each costs a query per refresh.
const FOLLOWED: usize = 64;

/// A followed question not asked again for this long is dropped.
const FOLLOWED_FOR: Duration = Duration::from_secs(10 * 60);

/// A question about the newest position, with its position left out (set to 0).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Question {
    Progress(ProgressKey),
    Commitments(ListKey),
    Timeline(TimelineKey),
    Changes(ChangesKey),
}

/// The kept answers of one generation.
pub struct Memo {
    /// The highest checkpoint read from this generation: questions known at or before it are
    /// settled and their answers can be kept.
    settled: AtomicI64,
    pub(crate) progress: Cache<ProgressKey, Arc<BTreeMap<String, Tally>>>,
    pub(crate) commitments: Cache<ListKey, Arc<Vec<CommitmentRow>>>,
    pub(crate) timeline: Cache<TimelineKey, Arc<Series>>,
    pub(crate) changes: Cache<ChangesKey, Arc<Vec<Change>>>,
    pub(crate) moves: Cache<MovesKey, Arc<Moves>>,
    /// The directory tables are tiny, but every page reads them: keeping them spares a query each.
    pub(crate) mechanisms: Cache<(i64, Option<String>), Arc<Vec<MechanismRow>>>,
    pub(crate) recommendations: Cache<i64, Arc<Vec<RecommendationRow>>>,
    pub(crate) review_points: Cache<i64, Arc<Vec<ReviewPointRow>>>,
    /// Questions asked about the newest position, with when they were last asked.
    followed: Mutex<HashMap<Question, Instant>>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo")
            .field("settled", &self.settled.load(Ordering::Relaxed))
            .field("progress", &self.progress.entry_count())
            .field("commitments", &self.commitments.entry_count())
            .field("timeline", &self.timeline.entry_count())
            .field("changes", &self.changes.entry_count())
            .field("moves", &self.moves.entry_count())
            .finish()
    }
}

impl Default for Memo {
    fn default() -> Self {
        Self {
            settled: AtomicI64::new(0),
            progress: bounded(|groups: &BTreeMap<String, Tally>| groups.len()),
            commitments: bounded(|list: &Vec<CommitmentRow>| list.len()),
            timeline: bounded(|series: &Series| series.len()),
            changes: bounded(|changes: &Vec<Change>| {
                changes.iter().map(|change| 1 + change.reports.len()).sum()
            }),
            moves: bounded(|moves: &Moves| moves.changes.len()),
            mechanisms: bounded(|list: &Vec<MechanismRow>| list.len()),
            recommendations: bounded(|list: &Vec<RecommendationRow>| list.len()),
            review_points: bounded(|list: &Vec<ReviewPointRow>| list.len()),
            followed: Mutex::default(),
        }
    }
}

/// The answers kept for `db`'s generation (shared by clones of the handle).
pub(crate) fn of(db: &ReadDb) -> &Memo {
    match db.kept::<Memo>() {
        Some(memo) => memo,
        // The queries are the only ones to keep a value in a generation, and it is this one.
        None => unreachable!("a generation keeps a memo and nothing else"),
    }
}

impl Memo {
    /// Notes that a reader asked `question` about the newest position.
    pub(crate) fn follow(&self, question: Question) {
        let mut followed = self.followed.lock().unwrap_or_else(PoisonError::into_inner);
        followed.insert(question, Instant::now());
        if followed.len() > FOLLOWED {
            let oldest = followed
                .iter()
                .min_by_key(|(_, asked)| **asked)
                .map(|(question, _)| question.clone());
            if let Some(oldest) = oldest {
                followed.remove(&oldest);
            }
        }
    }

    /// The questions asked about the newest position lately, most recently asked first.
    pub(crate) fn followed(&self) -> Vec<Question> {
        let mut followed = self.followed.lock().unwrap_or_else(PoisonError::into_inner);
        followed.retain(|_, asked| asked.elapsed() < FOLLOWED_FOR);
        let mut questions: Vec<_> = followed
            .iter()
            .map(|(q, asked)| (*asked, q.clone()))
            .collect();
        questions.sort_by_key(|(asked, _)| std::cmp::Reverse(*asked));
        questions
            .into_iter()
            .map(|(_, question)| question)
            .collect()
    }

    /// Whether the generation has applied position `known`, so that an answer known at it is
    /// final. Reads the checkpoint only when `known` is past the last one seen.
    pub(crate) async fn settled(
        &self,
        pool: &AnyPool,
        known: i64,
    ) -> Result<bool, ProjectionError> {
        if known <= self.settled.load(Ordering::Acquire) {
            return Ok(true);
        }
        // Both projections move together in each batch; the lower one is what is settled.
        let checkpoint: Option<i64> = sqlx::query_scalar("select min(position) from checkpoints")
            .fetch_one(pool)
            .await?;
        let checkpoint = checkpoint.unwrap_or(0);
        self.settled.fetch_max(checkpoint, Ordering::AcqRel);
        Ok(known <= checkpoint)
    }
}

/// The kept answer to `key`, a question known at position `known`, or the one `compute` gives,
/// kept if the generation has applied `known`. Concurrent callers with the same key share one
/// computation.
pub(crate) async fn remember<K, V, F>(
    db: &ReadDb,
    answers: &Cache<K, Arc<V>>,
    known: i64,
    key: K,
    compute: F,
) -> Result<Arc<V>, ProjectionError>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Send + Sync + 'static,
    F: Future<Output = Result<V, ProjectionError>>,
{
    if !of(db).settled(db.pool(), known).await? {
        return compute.await.map(Arc::new);
    }
    answers
        .try_get_with(key, async move { compute.await.map(Arc::new) })
        .await
        .map_err(ProjectionError::Shared)
}

/// A cache of answers bounded by [`KEPT_ROWS`], each weighed by its `rows`.
fn bounded<K, V>(rows: impl Fn(&V) -> usize + Send + Sync + 'static) -> Cache<K, Arc<V>>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    Cache::builder()
        .max_capacity(KEPT_ROWS)
        .weigher(move |_, answer: &Arc<V>| {
            u32::try_from(rows(answer))
                .unwrap_or(u32::MAX)
                .saturating_add(1)
        })
        .build()
}
