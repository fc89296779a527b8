//! Integration tests through the public interfaces, against real databases.
//!
//! One test binary (faster to link than one per file). SQLite tests always run; PostgreSQL tests
//! run when `TEST_DATABASE_URL` is set (each in a fresh database) and print a "skipped" line
//! otherwise. CI sets `COMPACT_REQUIRE_POSTGRES=1`, which turns a skip into a failure.

#![allow(
    clippy::unwrap_used,
    reason = "a panic is how a test helper reports a failed step"
)]

mod api;
mod architecture;
mod backends;
mod cli;
mod projections;
mod store_conformance;
mod web;
