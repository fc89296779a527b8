//! compact-tracker read models.
//!
//! Each read model owns its tables (created in `migrations/read/`, portable SQL for SQLite and
//! PostgreSQL), the code that applies events to them, and the queries that read them. The service's
//! projection runner feeds them events in global order and stores each checkpoint in the same
//! transaction as the read-model writes.
//!
//! # Layout
//!
//! - [`curve`]: a commitment's status as a step function of the effective date, computed with the
//!   domain's own queries (pure);
//! - [`db`]: one *generation* of the tables (a SQLite file or a PostgreSQL schema): opening,
//!   creating, dropping it, its indexes and checkpoints;
//! - [`decode`]: typed values out of stored rows (dates, statuses, link kinds, JSON lists),
//!   refusing what is not one;
//! - [`apply`]: the [`apply::Projector`], which turns batches of events into row changes;
//! - [`query`]: the reads behind the API and dashboard, for any `as_of` date and `known_at`
//!   position, one module per question; answers are kept per generation once their known
//!   position is applied (`query::memo`).
//!
//! The modules depend on each other in one direction only: `apply` and `query` read and write
//! through `db` and use `decode` and `curve`; `db` knows neither (the writer hands it the session
//! statements its bulk connections need, and the memo sits in an opaque per-generation slot).
//! `tests/module_graph.rs` fails on a cycle.
//!
//! # The two clocks in the tables
//!
//! Rows carry `known_from`/`known_to` (global positions: when the row became, and stopped being,
//! what the log said) and status rows also `valid_from`/`valid_to` (effective dates). A question
//! "as of date D, as known at position P" is a range condition on both axes, answered from indexes
//! without replaying anything.

pub mod apply;
pub mod curve;
pub mod db;
pub mod decode;
pub mod query;

/// A read model's identity: its name and the version of its code (a change triggers a rebuild).
/// Which events it reads is the projector's `match`, not a list kept beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectionInfo {
    /// Stable name, used in checkpoints and on the command line (`rebuild NAME`).
    pub name: &'static str,
    /// Bump when the tables or what is written to them change: the runner then rebuilds.
    pub version: u32,
}

/// Mechanisms, recommendations and review points.
pub const DIRECTORY: ProjectionInfo = ProjectionInfo {
    name: "directory",
    version: 1,
};

/// Commitments, their links to objectives, SDG targets and recommendations, their status on both
/// clocks, and their progress reports.
pub const PROGRESS: ProjectionInfo = ProjectionInfo {
    name: "progress",
    version: 1,
};

/// Every read model, in the order they are applied.
pub const ALL: [ProjectionInfo; 2] = [DIRECTORY, PROGRESS];

/// Why a projection could not apply events or answer a query.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The read database failed.
    #[error("read database error")]
    Database(#[from] sqlx::Error),
    /// Applying the read-model schema failed.
    #[error("read database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// An event or row is not what this code expects.
    #[error("cannot project position {position}: {reason}")]
    Corrupt {
        /// Where.
        position: i64,
        /// What is wrong.
        reason: String,
    },
    /// The event store could not provide a commitment's history.
    #[error("cannot load a commitment from the event store: {0}")]
    Source(String),
    /// A query failed while other requests waited for the same answer.
    #[error(transparent)]
    Shared(std::sync::Arc<ProjectionError>),
}
