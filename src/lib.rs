//! compact-tracker: an event-sourced service tracking commitments toward the Global Compact for
//! Safe, Orderly and Regular Migration and the SDGs.
//!
//! # Layout
//!
//! - [`store`]: the event store (trait, SQLite and PostgreSQL backends, group commit, subscription,
//!   hash chain).

pub mod store;
pub mod tokens;
