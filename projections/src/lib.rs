//! compact-tracker read models.
//!
//! Each read model owns its tables (created in `migrations/`), the code that applies events to them,
//! and the queries that read them. The projection runner in the service feeds them events in global
//! order and stores each checkpoint in the same transaction as the read-model writes.
//!
//! The read models arrive with the read side (issue 4); until then the service answers reads by
//! folding streams straight from the store.
