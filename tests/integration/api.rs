//! The HTTP API through its router (SPEC.md "HTTP API"): every route, every error class and the
//! auth matrix, on SQLite always and on PostgreSQL when `TEST_DATABASE_URL` is set.
//!
//! Requests go in-process through `router(state).oneshot(request)` (STYLE.md point 18); only the
//! live feed and one end-to-end smoke test use a real socket, where the network adds something.
//! Every rejection is checked to leave the event store exactly as it was.

mod auth;
mod concurrency;
mod errors;
mod helpers;
mod idempotency;
mod live;
mod reads;
mod stored_dates;
mod writes;
