//! [`AnyStore`]: the store the service runs on, chosen at start-up from the database URL.

use compact_projections::db::Home;
use tokio::sync::watch;

use crate::config::DatabaseUrl;

use super::postgres::PostgresStore;
use super::sqlite::SqliteStore;
use super::{
    AppendRequest, AppendResult, EventStore, EventToProject, Position, RecordedEvent, StoreError,
    StoredResponse, StreamVersion,
};

/// Either backend, behind one concrete type (static dispatch, no boxed futures).
#[derive(Clone)]
pub enum AnyStore {
    /// The embedded SQLite store.
    Sqlite(SqliteStore),
    /// A PostgreSQL store.
    Postgres(PostgresStore),
}

impl AnyStore {
    /// Opens the store a URL names.
    pub async fn connect(url: &DatabaseUrl) -> Result<Self, StoreError> {
        match url {
            DatabaseUrl::Postgres(url) => Ok(Self::Postgres(PostgresStore::connect(url).await?)),
            DatabaseUrl::Sqlite(url) => Ok(Self::Sqlite(SqliteStore::connect(url).await?)),
        }
    }

    /// Where this store keeps its read models.
    pub fn read_home(&self) -> Home {
        match self {
            Self::Sqlite(store) => Home::Sqlite(store.path().to_path_buf()),
            Self::Postgres(store) => Home::Postgres(store.url().to_owned()),
        }
    }

    /// A URL naming the store's database, from which the read models' locations derive.
    pub fn url(&self) -> String {
        match self {
            Self::Sqlite(store) => format!("sqlite://{}", store.path().display()),
            Self::Postgres(store) => store.url().to_owned(),
        }
    }

    /// The backend's name, for logs and health output.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

impl EventStore for AnyStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendResult, StoreError> {
        match self {
            Self::Sqlite(store) => store.append(request).await,
            Self::Postgres(store) => store.append(request).await,
        }
    }

    async fn append_at(
        &self,
        request: AppendRequest,
        recorded_at: time::OffsetDateTime,
    ) -> Result<AppendResult, StoreError> {
        match self {
            Self::Sqlite(store) => store.append_at(request, recorded_at).await,
            Self::Postgres(store) => store.append_at(request, recorded_at).await,
        }
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: StreamVersion,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        match self {
            Self::Sqlite(store) => store.read_stream(stream_id, from_version).await,
            Self::Postgres(store) => store.read_stream(stream_id, from_version).await,
        }
    }

    async fn read_all(
        &self,
        after: Position,
        limit: i64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        match self {
            Self::Sqlite(store) => store.read_all(after, limit).await,
            Self::Postgres(store) => store.read_all(after, limit).await,
        }
    }

    async fn read_all_for_projection(
        &self,
        after: Position,
        limit: i64,
    ) -> Result<Vec<EventToProject>, StoreError> {
        match self {
            Self::Sqlite(store) => store.read_all_for_projection(after, limit).await,
            Self::Postgres(store) => store.read_all_for_projection(after, limit).await,
        }
    }

    async fn idempotent_response(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        match self {
            Self::Sqlite(store) => store.idempotent_response(scope, key).await,
            Self::Postgres(store) => store.idempotent_response(scope, key).await,
        }
    }

    async fn position_at(&self, at: time::OffsetDateTime) -> Result<Position, StoreError> {
        match self {
            Self::Sqlite(store) => store.position_at(at).await,
            Self::Postgres(store) => store.position_at(at).await,
        }
    }

    async fn head(&self) -> Result<Position, StoreError> {
        match self {
            Self::Sqlite(store) => store.head().await,
            Self::Postgres(store) => store.head().await,
        }
    }

    fn head_watch(&self) -> watch::Receiver<Position> {
        match self {
            Self::Sqlite(store) => store.head_watch(),
            Self::Postgres(store) => store.head_watch(),
        }
    }
}
