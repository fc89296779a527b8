//! The read database: one *generation* of the read-model tables, in a SQLite file of its own or a
//! PostgreSQL schema of its own, reached through sqlx's `Any` driver so that one set of portable
//! SQL serves both backends.
//!
//! A rebuild fills a new generation from position 0 while the current one keeps answering reads,
//! then the service switches to it; nothing is ever rebuilt in place (the trap of Marten #3690).

use std::any::Any;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AnyPool, ConnectOptions as _, Connection as _};

/// The read-model tables' migrations (portable SQL, shared by both backends).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/read");

/// Where a generation lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file (created if missing).
    SqliteFile(PathBuf),
    /// A schema in a PostgreSQL database (created if missing).
    PostgresSchema {
        /// The database URL.
        url: String,
        /// The schema's name: `read_g<generation>`.
        schema: String,
    },
}

/// Where a store keeps its read models, as the store knows itself: beside its SQLite file, or in
/// its PostgreSQL database. Built from the store's own type, so no URL is sniffed for its scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Home {
    /// Beside the SQLite store at this path.
    Sqlite(PathBuf),
    /// In the PostgreSQL database at this URL.
    Postgres(String),
}

impl Location {
    /// Generation `generation` of the read models at `home`: a file beside the SQLite store
    /// (`<store>.read-g<N>.db`) or a schema `read_g<N>` in the PostgreSQL database.
    pub fn of(home: &Home, generation: i64) -> Self {
        match home {
            Home::Postgres(url) => Self::PostgresSchema {
                url: url.clone(),
                schema: format!("read_g{generation}"),
            },
            Home::Sqlite(store) => {
                let store = store.to_string_lossy();
                let stem = store.strip_suffix(".db").unwrap_or(&store);
                Self::SqliteFile(PathBuf::from(format!("{stem}.read-g{generation}.db")))
            }
        }
    }
}

/// A connection pool on one generation of the read models.
#[derive(Clone, Debug)]
pub struct ReadDb {
    pool: AnyPool,
    /// PostgreSQL only: typed connections for the runner's bulk writes (`COPY`, which the `Any`
    /// driver cannot issue).
    bulk: Option<Bulk>,
    location: Location,
    /// What the layers above keep per generation, shared by clones of this handle: the queries
    /// keep their answers here (`query::memo`).
    kept: Kept,
}

/// Statements run on every new bulk connection after `search_path`: the session state its writer
/// needs (the temporary tables of `apply`). The writer passes them in ([`ReadDb::bulk`]) so that
/// managing generations does not depend on how events are applied.
pub(crate) type BulkSession = fn() -> Vec<String>;

/// The runner's typed PostgreSQL pool, opened on first use with the writer's session statements.
#[derive(Clone, Debug)]
struct Bulk {
    options: PgConnectOptions,
    set_path: String,
    pool: Arc<OnceLock<PgPool>>,
}

/// One value of any type, made on first use and shared by clones.
///
/// Type-erased so that `db` need not name what the layers above keep: the per-generation memo
/// lives in `query`, which reads generations through this module, and naming it here would make
/// the two depend on each other. Only the queries put a value here.
#[derive(Clone, Default)]
struct Kept(Arc<OnceLock<Box<dyn Any + Send + Sync>>>);

impl fmt::Debug for Kept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kept")
            .field("made", &self.0.get().is_some())
            .finish_non_exhaustive()
    }
}

impl ReadDb {
    /// Opens the generation at `location`, creating it and its tables if needed.
    pub async fn open(location: &Location) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let mut bulk = None;
        let pool = match location {
            Location::SqliteFile(path) => {
                let url = format!("sqlite://{}?mode=rwc", path.display());
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|connection, _| {
                        Box::pin(async move {
                            // Read models can be rebuilt, so NORMAL durability is enough; WAL lets
                            // reads run while the runner writes.
                            // A 128 MiB page cache keeps the read models' indexes in memory
                            // while a rebuild writes them. Reads map the file instead of copying
                            // pages through read(2): at a million events a cold progress query
                            // spent two thirds of its time in the kernel, and mapped pages are
                            // shared by all connections (2 GiB is SQLite's usual mapping limit).
                            for pragma in [
                                "pragma journal_mode = wal",
                                "pragma synchronous = normal",
                                "pragma busy_timeout = 10000",
                                "pragma cache_size = -131072",
                                "pragma temp_store = memory",
                                "pragma mmap_size = 2147418112",
                                // Lets CREATE INDEX sort with a helper thread at the end of a
                                // build.
                                "pragma threads = 2",
                            ] {
                                sqlx::query(pragma).execute(&mut *connection).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            Location::PostgresSchema { url, schema } => {
                let schema = quoted_identifier(schema)?;
                let mut admin = AnyConnectOptions::from_str(url)?.connect().await?;
                sqlx::query(&format!("create schema if not exists {schema}"))
                    .execute(&mut admin)
                    .await?;
                admin.close().await?;
                let set_path = format!("set search_path to {schema}");
                bulk = Some(Bulk {
                    options: PgConnectOptions::from_str(url)?,
                    set_path: set_path.clone(),
                    pool: Arc::default(),
                });
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(move |connection, _| {
                        let set_path = set_path.clone();
                        Box::pin(async move {
                            sqlx::query(&set_path).execute(&mut *connection).await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?
            }
        };
        MIGRATOR.run(&pool).await?;
        Ok(Self {
            pool,
            bulk,
            location: location.clone(),
            kept: Kept::default(),
        })
    }

    /// The pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The typed PostgreSQL pool for bulk writes, if this generation is on PostgreSQL. Its
    /// connections run `session` once each when they open; the first call's `session` is the one
    /// used (only the projector writes through this pool).
    pub(crate) fn bulk(&self, session: BulkSession) -> Option<&PgPool> {
        let bulk = self.bulk.as_ref()?;
        Some(
            bulk.pool
                .get_or_init(|| bulk_pool(bulk.options.clone(), bulk.set_path.clone(), session())),
        )
    }

    /// The value of type `T` kept for this generation, made with `T::default()` on first use and
    /// shared by clones of this handle; `None` if a value of another type was kept first.
    pub(crate) fn kept<T: Any + Default + Send + Sync>(&self) -> Option<&T> {
        self.kept
            .0
            .get_or_init(|| Box::new(T::default()))
            .downcast_ref::<T>()
    }

    /// Where this generation lives.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Removes the generation at `location` (its file or schema). Used for generations that a
    /// rebuild replaced, and to start a rebuild on a clean slate.
    pub async fn drop_generation(location: &Location) -> Result<(), sqlx::Error> {
        match location {
            Location::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let file = PathBuf::from(format!("{}{suffix}", path.display()));
                    match std::fs::remove_file(&file) {
                        Ok(()) => {}
                        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                        Err(error) => return Err(sqlx::Error::Io(error)),
                    }
                }
                Ok(())
            }
            Location::PostgresSchema { url, schema } => {
                sqlx::any::install_default_drivers();
                let schema = quoted_identifier(schema)?;
                let mut admin = AnyConnectOptions::from_str(url)?.connect().await?;
                sqlx::query(&format!("drop schema if exists {schema} cascade"))
                    .execute(&mut admin)
                    .await?;
                admin.close().await?;
                Ok(())
            }
        }
    }

    /// Prepares an empty generation for a build from position 0: drops the secondary indexes,
    /// keeping their definitions in `deferred_indexes`, so that the build maintains primary keys
    /// only, and on PostgreSQL leaves room on the status table's pages for in-place closes (a
    /// storage setting the shared migrations cannot express). [`ReadDb::restore_indexes`] creates
    /// the indexes again; queries stay correct meanwhile, only slower.
    pub async fn defer_indexes(&self) -> Result<(), sqlx::Error> {
        let listed: Vec<(String, String)> = match &self.location {
            // Indexes behind primary keys have no SQL of their own and stay.
            Location::SqliteFile(_) => {
                sqlx::query_as(
                    r"select name, sql
                      from sqlite_master
                      where type = 'index' and sql is not null",
                )
                .fetch_all(&self.pool)
                .await?
            }
            Location::PostgresSchema { .. } => {
                sqlx::query_as(
                    r"select indexname::text, indexdef
                      from pg_indexes
                      where schemaname = current_schema()
                        and indexname not like '%pkey'",
                )
                .fetch_all(&self.pool)
                .await?
            }
        };
        if let Location::PostgresSchema { .. } = self.location {
            // Nearly every event closes a status row of an earlier batch. With room left on its
            // page, and no index on `known_to` during the build, PostgreSQL updates it in place
            // (a HOT update) instead of writing a new tuple and a new primary-key entry
            // elsewhere: closes took 0.45 s a batch instead of 0.63–0.98 s at a million events.
            sqlx::query("alter table commitment_status set (fillfactor = 75)")
                .execute(&self.pool)
                .await?;
        }
        // One transaction per index: each records its definition and drops it together, and
        // locks one table only. All in one, PostgreSQL would hold exclusive locks on several
        // tables while a reader of the serving generation (the first build serves as it goes)
        // holds a shared one on another and waits: a deadlock, which PostgreSQL breaks by
        // failing one side. (A read failed with a 500 once in CI during a first build; this is
        // the cause found by reading, not reproduced.)
        for (name, ddl) in listed {
            let mut tx = self.pool.begin().await?;
            sqlx::query(
                r"insert into deferred_indexes (name, ddl)
                  values ($1, $2)
                  on conflict (name) do nothing",
            )
            .bind(&name)
            .bind(&ddl)
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!("drop index {}", quoted_identifier(&name)?))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Creates the indexes that [`ReadDb::defer_indexes`] dropped (nothing if none were).
    pub async fn restore_indexes(&self) -> Result<(), sqlx::Error> {
        let deferred: Vec<(String, String)> =
            sqlx::query_as("select name, ddl from deferred_indexes order by name")
                .fetch_all(&self.pool)
                .await?;
        for (name, ddl) in deferred {
            // Both backends run DDL in transactions: the index and the row go together. The
            // delete comes first because it makes a SQLite connection notice the schema change
            // of `defer_indexes` on another connection; a CREATE INDEX parsed against the stale
            // schema fails with "already exists" (seen under load in the property test).
            let mut tx = self.pool.begin().await?;
            sqlx::query("delete from deferred_indexes where name = $1")
                .bind(&name)
                .execute(&mut *tx)
                .await?;
            sqlx::query(&ddl).execute(&mut *tx).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Refreshes PostgreSQL's planner statistics after a build: it has none for the new tables
    /// until autovacuum gets to them, and without them it chose plans that took minutes at a
    /// million events (current status rows estimated at 40 instead of 77,000). SQLite is left
    /// without statistics: with them its planner made the commitments list 7× slower (0.43 s to
    /// 2.95 s at a million events) for a 2× faster progress query.
    pub async fn analyze(&self) -> Result<(), sqlx::Error> {
        if let Location::PostgresSchema { .. } = self.location {
            // Unqualified names resolve to this generation's schema (search_path).
            sqlx::query(
                "analyze commitment_status, commitment_versions, commitment_links, \
                 progress_reports, mechanisms, recommendations, review_points, checkpoints",
            )
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// The stored position and version of a projection, if it has run.
    pub async fn checkpoint(&self, projection: &str) -> Result<Option<(i64, i64)>, sqlx::Error> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            r"select position, version
              from checkpoints
              where projection = $1",
        )
        .bind(projection)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row)
    }
}

/// Connections for the runner's writes to a PostgreSQL generation: one writer at a time, so two
/// connections (one spare while a failed one is replaced). Opened lazily, so a process that only
/// reads never holds one.
fn bulk_pool(options: PgConnectOptions, set_path: String, session: Vec<String>) -> PgPool {
    let session: Arc<[String]> = session.into();
    PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |connection, _| {
            let set_path = set_path.clone();
            let session = Arc::clone(&session);
            Box::pin(async move {
                sqlx::query(&set_path).execute(&mut *connection).await?;
                for statement in session.iter() {
                    sqlx::query(statement).execute(&mut *connection).await?;
                }
                Ok(())
            })
        })
        .connect_lazy_with(options)
}

/// Schema names are ours (`read_g<N>`), never user input; still, refuse anything but
/// `[a-z0-9_]` before putting one in DDL, which cannot take parameters.
fn quoted_identifier(name: &str) -> Result<String, sqlx::Error> {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid {
        return Err(sqlx::Error::Configuration(
            format!("{name:?} is not a read-model schema name").into(),
        ));
    }
    Ok(format!("\"{name}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_live_beside_the_store() {
        assert_eq!(
            Location::of(&Home::Sqlite("data/compact-tracker.db".into()), 3),
            Location::SqliteFile(PathBuf::from("data/compact-tracker.read-g3.db"))
        );
        assert_eq!(
            Location::of(&Home::Postgres("postgres://u@h/db".into()), 2),
            Location::PostgresSchema {
                url: "postgres://u@h/db".into(),
                schema: "read_g2".into()
            }
        );
    }

    #[test]
    fn only_our_schema_names_reach_ddl() {
        assert!(quoted_identifier("read_g1").is_ok());
        assert!(quoted_identifier("x\"; drop table y").is_err());
    }
}
