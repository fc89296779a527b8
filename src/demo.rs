//! `compact-tracker demo`: a realistic, deterministic history (placeholder until implemented).

use std::fmt;

use crate::cli::DemoArgs;
use crate::store::EventStore;

/// What the demo wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct DemoReport {
    /// Events appended.
    pub events: u64,
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "demo data loaded: {} events", self.events)
    }
}

/// Why the demo could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DemoError(pub String);

/// Loads the demo history into `store`.
pub async fn run<S: EventStore>(_store: &S, _args: &DemoArgs) -> Result<DemoReport, DemoError> {
    Ok(DemoReport::default())
}
