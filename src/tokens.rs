//! API tokens: random, shown once, stored only as SHA-256 hashes.
//!
//! A token reads `ct_<id>_<secret>`: the id is public (it appears in listings and in every event's
//! metadata), the secret is 32 random bytes in hex. A SHA-256 of a 256-bit random secret needs no
//! slow password hash: there is nothing to brute-force.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use sqlx::Row as _;
use time::OffsetDateTime;

use crate::store::AnyStore;
use crate::store::sqlite::format_time;
use compact_events::ids::MechanismId;

/// What a token may do (SPEC.md "Auth").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRole {
    /// The secretariat: writes everything, validates progress.
    Admin,
    /// A mechanism's reporter: writes only that mechanism's commitments.
    Reporter(MechanismId),
    /// Read-only.
    Reviewer,
}

impl TokenRole {
    /// The role's name as stored and as recorded in event metadata.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Reporter(_) => "reporter",
            Self::Reviewer => "reviewer",
        }
    }

    /// The mechanism a reporter is bound to.
    pub fn mechanism(&self) -> Option<&MechanismId> {
        match self {
            Self::Reporter(mechanism) => Some(mechanism),
            Self::Admin | Self::Reviewer => None,
        }
    }

    fn from_stored(role: &str, mechanism: Option<String>) -> Result<Self, TokenError> {
        match (role, mechanism) {
            ("admin", None) => Ok(Self::Admin),
            ("reviewer", None) => Ok(Self::Reviewer),
            ("reporter", Some(mechanism)) => MechanismId::parse(&mechanism)
                .map(Self::Reporter)
                .map_err(|_| TokenError::Corrupt),
            _ => Err(TokenError::Corrupt),
        }
    }
}

/// A token as listed: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The public id.
    pub id: String,
    /// What it may do.
    pub role: TokenRole,
    /// A human note.
    pub label: Option<String>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// A newly created token; the only time the secret exists outside its holder's hands.
pub struct NewToken {
    /// The public id.
    pub id: String,
    /// The whole token to hand over: `ct_<id>_<secret>`.
    pub token: String,
}

/// A presented bearer token, split into id and secret.
pub struct PresentedToken {
    id: String,
    secret: String,
}

impl FromStr for PresentedToken {
    type Err = TokenError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let rest = text.strip_prefix("ct_").ok_or(TokenError::Malformed)?;
        let (id, secret) = rest.split_once('_').ok_or(TokenError::Malformed)?;
        let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex(id, 12) || !hex(secret, 64) {
            return Err(TokenError::Malformed);
        }
        Ok(Self {
            id: id.to_owned(),
            secret: secret.to_owned(),
        })
    }
}

impl fmt::Debug for PresentedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret, not even in debug logs.
        f.debug_struct("PresentedToken")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Why a token operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The text is not a compact-tracker token.
    #[error("the token is not of the form ct_<id>_<secret>")]
    Malformed,
    /// No such token, a wrong secret, or a revoked token.
    #[error("the token is unknown or revoked")]
    Rejected,
    /// `token revoke` named a token that does not exist.
    #[error("no token has the id {0}")]
    NotFound(String),
    /// `token revoke` named the whole secret instead of the id.
    #[error("give the token's id (the 12 characters after `ct_`), not the whole token")]
    SecretGiven,
    /// `token revoke` named a token revoked before.
    #[error("token {0} was already revoked")]
    AlreadyRevoked(String),
    /// The stored row is not one this program wrote.
    #[error("a stored token is malformed")]
    Corrupt,
    /// The operating system's random number generator failed.
    #[error("cannot generate a random token: {0}")]
    Random(String),
    /// The database failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
}

/// Where tokens live: the store's own database.
#[derive(Clone)]
pub struct Tokens {
    store: AnyStore,
}

impl Tokens {
    /// Tokens kept in the same database as `store`.
    pub fn new(store: AnyStore) -> Self {
        Self { store }
    }

    /// Creates a token; the returned secret is never stored.
    pub async fn create(
        &self,
        role: &TokenRole,
        label: Option<&str>,
    ) -> Result<NewToken, TokenError> {
        let id = hex(&random_bytes::<6>()?);
        let secret = hex(&random_bytes::<32>()?);
        let secret_hash = Sha256::digest(secret.as_bytes()).to_vec();
        let mechanism = role.mechanism().map(MechanismId::as_str);
        let now = OffsetDateTime::now_utc();
        match &self.store {
            AnyStore::Sqlite(store) => {
                sqlx::query(
                    r"insert into api_tokens (id, secret_hash, role, mechanism_id, label, created_at)
                      values (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .bind(&id)
                .bind(secret_hash)
                .bind(role.name())
                .bind(mechanism)
                .bind(label)
                .bind(format_time(now))
                .execute(store.write_pool())
                .await?;
            }
            AnyStore::Postgres(store) => {
                sqlx::query(
                    r"insert into api_tokens (id, secret_hash, role, mechanism_id, label, created_at)
                      values ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&id)
                .bind(secret_hash)
                .bind(role.name())
                .bind(mechanism)
                .bind(label)
                .bind(now)
                .execute(store.pool())
                .await?;
            }
        }
        let token = format!("ct_{id}_{secret}");
        Ok(NewToken { id, token })
    }

    /// The id and role of a valid, unrevoked token.
    pub async fn authenticate(
        &self,
        presented: &PresentedToken,
    ) -> Result<(String, TokenRole), TokenError> {
        let row = match &self.store {
            AnyStore::Sqlite(store) => sqlx::query(
                r"select secret_hash, role, mechanism_id
                  from api_tokens
                  where id = ?1
                    and revoked_at is null",
            )
            .bind(&presented.id)
            .fetch_optional(store.readers())
            .await?
            .map(|row| stored_credentials(&row)),
            AnyStore::Postgres(store) => sqlx::query(
                r"select secret_hash, role, mechanism_id
                  from api_tokens
                  where id = $1
                    and revoked_at is null",
            )
            .bind(&presented.id)
            .fetch_optional(store.pool())
            .await?
            .map(|row| stored_credentials(&row)),
        };
        let (stored_hash, role, mechanism) = row.ok_or(TokenError::Rejected)??;
        let presented_hash = Sha256::digest(presented.secret.as_bytes());
        if !constant_time_eq(&stored_hash, presented_hash.as_slice()) {
            return Err(TokenError::Rejected);
        }
        Ok((
            presented.id.clone(),
            TokenRole::from_stored(&role, mechanism)?,
        ))
    }

    /// Every token, newest first.
    pub async fn list(&self) -> Result<Vec<TokenInfo>, TokenError> {
        match &self.store {
            AnyStore::Sqlite(store) => {
                let rows = sqlx::query(
                    r"select id, role, mechanism_id, label, created_at, revoked_at
                      from api_tokens
                      order by created_at desc, id",
                )
                .fetch_all(store.readers())
                .await?;
                rows.iter()
                    .map(|row| {
                        token_info(
                            row.try_get("id")?,
                            row.try_get("role")?,
                            row.try_get("mechanism_id")?,
                            row.try_get("label")?,
                            row.try_get("created_at")?,
                            row.try_get("revoked_at")?,
                        )
                    })
                    .collect()
            }
            AnyStore::Postgres(store) => {
                let rows = sqlx::query(
                    r"select id, role, mechanism_id, label, created_at, revoked_at
                      from api_tokens
                      order by created_at desc, id",
                )
                .fetch_all(store.pool())
                .await?;
                rows.iter()
                    .map(|row| {
                        let created_at: OffsetDateTime = row.try_get("created_at")?;
                        let revoked_at: Option<OffsetDateTime> = row.try_get("revoked_at")?;
                        token_info(
                            row.try_get("id")?,
                            row.try_get("role")?,
                            row.try_get("mechanism_id")?,
                            row.try_get("label")?,
                            format_time(created_at),
                            revoked_at.map(format_time),
                        )
                    })
                    .collect()
            }
        }
    }

    /// Revokes a token; revoking twice is harmless.
    pub async fn revoke(&self, id: &str) -> Result<(), TokenError> {
        if id.parse::<PresentedToken>().is_ok() {
            return Err(TokenError::SecretGiven);
        }
        let now = OffsetDateTime::now_utc();
        let revoked = match &self.store {
            AnyStore::Sqlite(store) => sqlx::query(
                r"update api_tokens
                  set revoked_at = ?2
                  where id = ?1
                    and revoked_at is null",
            )
            .bind(id)
            .bind(format_time(now))
            .execute(store.write_pool())
            .await?
            .rows_affected(),
            AnyStore::Postgres(store) => sqlx::query(
                r"update api_tokens
                  set revoked_at = $2
                  where id = $1
                    and revoked_at is null",
            )
            .bind(id)
            .bind(now)
            .execute(store.pool())
            .await?
            .rows_affected(),
        };
        if revoked == 1 {
            return Ok(());
        }
        // Nothing changed: either no such token, or one revoked before (the list tells which).
        let known = self.list().await?.into_iter().any(|token| token.id == id);
        if known {
            Err(TokenError::AlreadyRevoked(id.to_owned()))
        } else {
            Err(TokenError::NotFound(id.to_owned()))
        }
    }
}

type Credentials = (Vec<u8>, String, Option<String>);

fn stored_credentials<R>(row: &R) -> Result<Credentials, TokenError>
where
    R: sqlx::Row,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database>,
{
    Ok((
        row.try_get("secret_hash")?,
        row.try_get("role")?,
        row.try_get("mechanism_id")?,
    ))
}

fn token_info(
    id: String,
    role: String,
    mechanism: Option<String>,
    label: Option<String>,
    created_at: String,
    revoked_at: Option<String>,
) -> Result<TokenInfo, TokenError> {
    Ok(TokenInfo {
        id,
        role: TokenRole::from_stored(&role, mechanism)?,
        label,
        created_at,
        revoked_at,
    })
}

fn random_bytes<const N: usize>() -> Result<[u8; N], TokenError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|error| TokenError::Random(error.to_string()))?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

/// Compares in constant time (`subtle`), so timing does not reveal how much of a hash matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(subtle::ConstantTimeEq::ct_eq(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presented_tokens_must_have_the_documented_shape() {
        let good = format!("ct_{}_{}", "a".repeat(12), "0".repeat(64));
        assert!(good.parse::<PresentedToken>().is_ok());
        for bad in ["", "ct_", "Bearer x", "ct_abc_def", &good[..good.len() - 1]] {
            assert!(bad.parse::<PresentedToken>().is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let secret = "f".repeat(64);
        let token: PresentedToken = format!("ct_{}_{secret}", "a".repeat(12)).parse().unwrap();
        assert!(!format!("{token:?}").contains(&secret));
    }
}
