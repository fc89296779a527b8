//! The reads behind the API and the dashboard, for any effective date (`as_of`) and any known
//! position (`known_at`, resolved by the caller to a global position).
//!
//! Every query selects rows valid on both axes with the same two conditions:
//! `known_from <= P and (known_to is null or known_to > P)` and, for status rows,
//! `valid_from <= D and (valid_to is null or valid_to > D)`.

//!
//! # Layout
//!
//! One module per question, each with its answer types, its SQL and how its answers are kept:
//! `commitments` (list pages), `progress` (tallies), `timeline`, `changes` ("what moved") and
//! `directory` (mechanisms, recommendations, review points). `filter` holds the [`Filter`] they
//! share; `sql` is the one place that numbers parameters (its `Params` hands out `$n` as values
//! are bound) and holds the fragments several queries use; `memo` keeps answers per generation,
//! and [`refresh`] asks its followed questions again at each new position.

use time::Date;

use self::memo::Question;
use crate::ProjectionError;
use crate::curve::Basis;
use crate::db::ReadDb;

mod changes;
mod commitments;
mod directory;
mod filter;
mod memo;
mod progress;
mod sql;
mod timeline;

pub use self::changes::{Change, ChangeReport, MoveCounts, Moves, changes, moves};
pub use self::commitments::{CommitmentRow, commitments};
pub use self::directory::{
    MechanismRow, RecommendationRow, ReviewPointRow, mechanisms, recommendations, review_points,
};
pub use self::filter::Filter;
pub use self::progress::{GroupBy, Tally, progress};
pub use self::timeline::timeline;

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

/// Asks every question lately asked about the newest position again, known at `position` (which
/// the generation has applied), so that their answers are kept before reads move there. Returns
/// how many questions were asked.
pub async fn refresh(db: &ReadDb, position: i64) -> Result<usize, ProjectionError> {
    let questions = memo::of(db).followed();
    for question in &questions {
        match question {
            Question::Progress((clock, filter, group_by)) => {
                progress::kept_tallies(db, &clock.at(position), filter, *group_by).await?;
            }
            Question::Commitments((clock, filter, after, limit)) => {
                commitments::kept_list(db, &clock.at(position), filter, after.as_deref(), *limit)
                    .await?;
            }
            Question::Timeline((clock, filter, period_ends)) => {
                timeline::kept_series(db, &clock.at(position), filter, period_ends).await?;
            }
            Question::Changes((clock, filter, from, after, limit)) => {
                let clock = clock.at(position);
                changes::kept_changes(db, &clock, filter, *from, after.as_deref(), *limit).await?;
            }
        }
    }
    Ok(questions.len())
}
