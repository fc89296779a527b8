//! [`StateCache`]: recently folded stream states, so a write reads only the events appended since
//! it last saw the stream instead of the whole stream.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Folded stream states by stream id. Streams are append-only, so a state folded up to version
/// `v` stays right forever; the cache only saves work. One per store (it lives in the
/// [`super::Executor`]).
#[derive(Clone, Default)]
pub struct StateCache(Arc<Mutex<HashMap<String, CachedState>>>);

/// A stream's version and its state folded up to it.
type CachedState = (i64, Arc<dyn Any + Send + Sync>);

/// How many streams the cache holds before it starts over.
const STATE_CACHE_LIMIT: usize = 20_000;

impl StateCache {
    /// The state of `stream` folded up to the version returned, if kept and of type `D`.
    pub(super) fn get<D: Clone + 'static>(&self, stream: &str) -> Option<(i64, D)> {
        let cache = self.0.lock().ok()?;
        let (version, state) = cache.get(stream)?;
        state
            .downcast_ref::<D>()
            .map(|state| (*version, state.clone()))
    }

    /// Keeps `state`, folded up to `version`.
    pub(super) fn put<D: Send + Sync + 'static>(&self, stream: &str, version: i64, state: D) {
        if let Ok(mut cache) = self.0.lock() {
            if cache.len() >= STATE_CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(stream.to_owned(), (version, Arc::new(state)));
        }
    }
}

impl std::fmt::Debug for StateCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateCache").finish_non_exhaustive()
    }
}
