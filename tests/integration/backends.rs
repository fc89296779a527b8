//! Real databases for the tests: a fresh SQLite file or a fresh PostgreSQL database per test.

use std::path::PathBuf;
use std::str::FromStr;

use compact_tracker::store::postgres::PostgresStore;
use compact_tracker::store::sqlite::SqliteStore;
use compact_tracker::store::{AnyStore, EventStore};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// A database the tests can open stores on and also reach with raw SQL, as an operator would.
pub trait Backend: Send + Sync {
    /// The store type this backend opens.
    type Store: EventStore;

    /// Opens a store on the backend's database (again, if called twice: like a second process).
    async fn open(&self) -> Self::Store;

    /// Opens a store on the backend's database as the service runs it: behind [`AnyStore`].
    async fn open_any(&self) -> AnyStore;

    /// Runs one raw SQL statement outside the store.
    async fn raw(&self, sql: &str) -> Result<u64, sqlx::Error>;

    /// Whether the database has a `TRUNCATE` statement (PostgreSQL; SQLite's is `DELETE`
    /// without `WHERE`).
    fn has_truncate(&self) -> bool;

    /// Alters the payload of the event at `position`, bypassing the immutability triggers the way
    /// a database superuser could.
    async fn tamper(&self, position: i64);
}

/// A SQLite file in a temporary directory, removed when dropped.
pub struct SqliteBackend {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl SqliteBackend {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("events.db");
        Self { _dir: dir, path }
    }
}

impl Backend for SqliteBackend {
    type Store = SqliteStore;

    async fn open(&self) -> SqliteStore {
        SqliteStore::open(&self.path)
            .await
            .expect("open the SQLite store")
    }

    async fn open_any(&self) -> AnyStore {
        AnyStore::Sqlite(self.open().await)
    }

    fn has_truncate(&self) -> bool {
        false
    }

    async fn raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        let mut connection =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}", self.path.display())).await?;
        let result = sqlx::query(sql).execute(&mut connection).await?;
        Ok(result.rows_affected())
    }

    async fn tamper(&self, position: i64) {
        self.raw("drop trigger events_refuse_update").await.unwrap();
        let changed = self
            .raw(&format!(
                r#"update events set payload = '{{"tampered":true}}' where position = {position}"#
            ))
            .await
            .unwrap();
        assert_eq!(changed, 1);
        self.raw(
            "create trigger events_refuse_update before update on events \
             begin select raise(abort, 'events are immutable: UPDATE is not allowed'); end",
        )
        .await
        .unwrap();
    }
}

/// A fresh PostgreSQL database, created from `TEST_DATABASE_URL` and dropped by [`Self::finish`].
pub struct PostgresBackend {
    admin: PgConnectOptions,
    options: PgConnectOptions,
    name: String,
    url: String,
}

impl PostgresBackend {
    /// `None` (after printing why) when `TEST_DATABASE_URL` is unset, unless CI requires PostgreSQL.
    pub async fn new(test: &str) -> Option<Self> {
        let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
            assert!(
                std::env::var_os("COMPACT_REQUIRE_POSTGRES").is_none(),
                "COMPACT_REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not"
            );
            println!("skipped {test} on PostgreSQL: TEST_DATABASE_URL is not set");
            return None;
        };
        let admin = PgConnectOptions::from_str(&url).expect("TEST_DATABASE_URL is a postgres URL");
        let name = format!("compact_test_{}", uuid::Uuid::new_v4().simple());
        let mut connection = admin.connect().await.expect("connect to TEST_DATABASE_URL");
        sqlx::query(&format!(r#"create database "{name}""#))
            .execute(&mut connection)
            .await
            .expect("create a test database");
        let options = admin.clone().database(&name);
        let server = url.split('?').next().unwrap_or(&url);
        let server = server.rsplit_once('/').map_or(server, |(server, _)| server);
        Some(Self {
            admin,
            options,
            url: format!("{server}/{name}"),
            name,
        })
    }

    /// The URL of the test database, for the command line.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the test database (after the stores using it are gone).
    pub async fn finish(self) {
        let mut connection = self
            .admin
            .connect()
            .await
            .expect("connect to TEST_DATABASE_URL");
        sqlx::query(&format!(
            r#"drop database if exists "{}" with (force)"#,
            self.name
        ))
        .execute(&mut connection)
        .await
        .expect("drop the test database");
    }
}

impl Backend for PostgresBackend {
    type Store = PostgresStore;

    async fn open(&self) -> PostgresStore {
        PostgresStore::connect_with(self.options.clone())
            .await
            .expect("open the PostgreSQL store")
    }

    async fn open_any(&self) -> AnyStore {
        AnyStore::Postgres(self.open().await)
    }

    fn has_truncate(&self) -> bool {
        true
    }

    async fn raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        let mut connection = self.options.connect().await?;
        let result = sqlx::query(sql).execute(&mut connection).await?;
        Ok(result.rows_affected())
    }

    async fn tamper(&self, position: i64) {
        let mut connection = self.options.connect().await.unwrap();
        let mut tx = connection.begin().await.unwrap();
        sqlx::query("alter table events disable trigger user")
            .execute(&mut *tx)
            .await
            .unwrap();
        let changed =
            sqlx::query(r#"update events set payload = '{"tampered":true}' where position = $1"#)
                .bind(position)
                .execute(&mut *tx)
                .await
                .unwrap();
        assert_eq!(changed.rows_affected(), 1);
        sqlx::query("alter table events enable trigger user")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
}

/// Instantiates generic test bodies `async fn name(backend: impl Backend)` for both backends.
macro_rules! for_each_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(&crate::backends::SqliteBackend::new()).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(backend) =
                        crate::backends::PostgresBackend::new(stringify!($name)).await
                    else {
                        return;
                    };
                    super::$name(&backend).await;
                    backend.finish().await;
                }
            )*
        }
    };
}

pub(crate) use for_each_backend;
