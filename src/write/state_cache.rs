//! [`StateCache`]: recently folded stream states, so a write reads only the events appended since
//! it last saw the stream instead of the whole stream.

use std::any::Any;
use std::sync::Arc;

use moka::sync::Cache;

/// Folded stream states by stream id, at most [`STATE_CACHE_STREAMS`] of them (moka evicts the
/// least useful). Streams are append-only, so a state folded up to version `v` stays right
/// forever; the cache only saves work. One per store (it lives in the [`super::Executor`]).
///
/// States are stored as `dyn Any` because one executor serves every stream kind (commitments,
/// mechanisms, catalogues), each with its own state type; a lookup of the wrong type is a miss.
#[derive(Clone)]
pub struct StateCache(Cache<String, CachedState>);

/// A stream's version and its state folded up to it.
type CachedState = (i64, Arc<dyn Any + Send + Sync>);

/// How many streams the cache holds.
const STATE_CACHE_STREAMS: u64 = 20_000;

impl Default for StateCache {
    fn default() -> Self {
        Self(Cache::new(STATE_CACHE_STREAMS))
    }
}

impl StateCache {
    /// The state of `stream` folded up to the version returned, if kept and of type `D`.
    pub(super) fn get<D: Clone + 'static>(&self, stream: &str) -> Option<(i64, D)> {
        let (version, state) = self.0.get(stream)?;
        state
            .downcast_ref::<D>()
            .map(|state| (version, state.clone()))
    }

    /// Keeps `state`, folded up to `version`.
    pub(super) fn put<D: Send + Sync + 'static>(&self, stream: &str, version: i64, state: D) {
        self.0.insert(stream.to_owned(), (version, Arc::new(state)));
    }
}

impl std::fmt::Debug for StateCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateCache")
            .field("streams", &self.0.entry_count())
            .finish()
    }
}
