//! The `read_generations` table in the event store's database: which generation of the read models
//! is active, which is being built. Tiny, rarely written, so plain per-backend SQL.

use sqlx::Row as _;
use time::OffsetDateTime;

use crate::store::AnyStore;
use crate::store::sqlite::format_time;

/// A generation's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    /// Its number.
    pub generation: i64,
    /// `building`, `active` or `retired`.
    pub state: String,
    /// The projection versions it was built with.
    pub versions: String,
}

/// The projection versions of this build, e.g. `directory=1,progress=1`.
pub fn current_versions() -> String {
    compact_projections::ALL
        .iter()
        .map(|projection| format!("{}={}", projection.name, projection.version))
        .collect::<Vec<_>>()
        .join(",")
}

/// Every generation, newest first.
pub async fn list(store: &AnyStore) -> Result<Vec<Generation>, sqlx::Error> {
    let sql = r"select generation, state, versions
                from read_generations
                order by generation desc";
    let rows = match store {
        AnyStore::Sqlite(store) => sqlx::query(sql).fetch_all(store.readers()).await?,
        AnyStore::Postgres(store) => {
            let rows = sqlx::query(sql).fetch_all(store.pool()).await?;
            return rows.iter().map(decode_pg).collect();
        }
    };
    rows.iter()
        .map(|row| {
            Ok(Generation {
                generation: row.try_get("generation")?,
                state: row.try_get("state")?,
                versions: row.try_get("versions")?,
            })
        })
        .collect()
}

fn decode_pg(row: &sqlx::postgres::PgRow) -> Result<Generation, sqlx::Error> {
    Ok(Generation {
        generation: row.try_get("generation")?,
        state: row.try_get("state")?,
        versions: row.try_get("versions")?,
    })
}

/// The active generation, if any.
pub async fn active(store: &AnyStore) -> Result<Option<Generation>, sqlx::Error> {
    Ok(list(store)
        .await?
        .into_iter()
        .find(|generation| generation.state == "active"))
}

/// Registers a new generation to build, numbered after every existing one.
pub async fn create(store: &AnyStore) -> Result<i64, sqlx::Error> {
    let next = list(store).await?.first().map_or(1, |g| g.generation + 1);
    let now = OffsetDateTime::now_utc();
    match store {
        AnyStore::Sqlite(store) => {
            sqlx::query(
                r"insert into read_generations (generation, state, versions, created_at)
                  values (?1, 'building', ?2, ?3)",
            )
            .bind(next)
            .bind(current_versions())
            .bind(format_time(now))
            .execute(store.write_pool())
            .await?;
        }
        AnyStore::Postgres(store) => {
            sqlx::query(
                r"insert into read_generations (generation, state, versions, created_at)
                  values ($1, 'building', $2, $3)",
            )
            .bind(next)
            .bind(current_versions())
            .bind(now)
            .execute(store.pool())
            .await?;
        }
    }
    Ok(next)
}

/// Makes `generation` the active one and retires the others, in one transaction.
pub async fn activate(store: &AnyStore, generation: i64) -> Result<(), sqlx::Error> {
    let now = OffsetDateTime::now_utc();
    match store {
        AnyStore::Sqlite(store) => {
            let mut tx = store.write_pool().begin_with("BEGIN IMMEDIATE").await?;
            sqlx::query(
                r"update read_generations
                  set state = 'retired'
                  where state = 'active'",
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                r"update read_generations
                  set state = 'active', activated_at = ?2
                  where generation = ?1",
            )
            .bind(generation)
            .bind(format_time(now))
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        }
        AnyStore::Postgres(store) => {
            let mut tx = store.pool().begin().await?;
            sqlx::query(
                r"update read_generations
                  set state = 'retired'
                  where state = 'active'",
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                r"update read_generations
                  set state = 'active', activated_at = $2
                  where generation = $1",
            )
            .bind(generation)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        }
    }
}
