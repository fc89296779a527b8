//! [`AppState`]: what both front ends — the HTTP API (`crate::http`) and the dashboard
//! (`crate::web`) — reach: the store, the write path, the read side, tokens and settings. It sits
//! below both, so neither imports the other to get it.

use std::sync::Arc;

use crate::read_side::ReadSide;
use crate::read_side::runner::RunnerError;
use crate::store::AnyStore;
use crate::store::chain_check::ChainCheck;
use crate::tokens::Tokens;
use crate::write::Executor;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The event store.
    pub store: AnyStore,
    /// The write path: every command goes through it.
    pub executor: Executor<AnyStore>,
    /// API tokens.
    pub tokens: Tokens,
    /// The read models.
    pub read: ReadSide,
    /// Server settings.
    pub config: Arc<HttpConfig>,
    /// The hash chain's status as the audit page shows it.
    pub chain: Arc<ChainCheck>,
}

impl AppState {
    /// The state of a server on `store`: tokens in the same database, and the read side started
    /// (its runner keeps the read models up to date in the background).
    pub async fn start(store: AnyStore, config: HttpConfig) -> Result<Self, RunnerError> {
        let read = crate::read_side::runner::start(store.clone()).await?;
        Ok(Self {
            tokens: Tokens::new(store.clone()),
            executor: Executor::new(store.clone()),
            store,
            read,
            config: Arc::new(config),
            chain: Arc::default(),
        })
    }
}

/// Settings of the served application.
#[derive(Debug, Clone, Default)]
pub struct HttpConfig {
    /// Reads need a token too (`--private`).
    pub private: bool,
}
