//! The compact-tracker domain: pure and synchronous.
//!
//! # Layout
//!
//! - [`ids`]: identifiers and small values, parsed at the edge (slugs, GCM objective numbers, SDG
//!   target codes, percentages).
//! - [`catalogue`]: the built-in catalogues (GCM objectives, SDG targets, GRCP 7 recommendations,
//!   review points), shipped as data files with their sources.
//! - [`quantity`]: exact decimals for indicator values, never `f64`.
//! - [`event`]: one event enum per stream kind, [`event::Event`] covering them all, the stored
//!   type registry and the upcasters that read older schema versions.
//! - [`stream`]: stream ids (`commitment-<uuid>`, …) and their kinds.
//! - [`decider`]: the `decide`/`evolve` shape every stream kind implements.
//! - [`command`]: one module per command, each with its rules and given/when/then tests.
//! - [`commitment`]: a commitment stream's state, and the `as_of` queries projections share.
//! - [`context`]: what a decision may know besides its stream (time, actor, catalogue lookups).
//! - [`error`]: [`error::DomainError`], one variant per rule, with its HTTP kind and field.
//! - [`rules`]: field limits shared by several commands.
//!
//! Architecture invariant: this crate does no I/O. It depends on serde, thiserror, time and uuid only;
//! time, the actor and catalogue lookups are passed in by the caller.

pub mod catalogue;
pub mod ids;

pub mod command;
pub mod commitment;
pub mod context;
pub mod decider;
pub mod error;
pub mod event;
pub mod freshness;
pub mod quantity;
pub mod rules;
pub mod stream;

#[cfg(test)]
mod testing;
