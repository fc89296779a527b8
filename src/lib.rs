//! compact-tracker: an event-sourced service tracking commitments toward the Global Compact for
//! Safe, Orderly and Regular Migration and the SDGs.
//!
//! # Layout
//!
//! - [`store`]: the event store (trait, SQLite and PostgreSQL backends, group commit, subscription,
//!   hash chain).
//! - [`transfer`]: export, import and copy of a whole event log, verified end to end.

pub mod app;
pub mod cli;
pub mod config;
pub mod csv;
pub mod demo;
pub mod http;
pub mod read_side;
pub mod seed;
pub mod startup;
pub mod state;
pub mod store;
pub mod stream;
pub mod telemetry;
pub mod tokens;
pub mod transfer;
pub mod web;
pub mod write;
