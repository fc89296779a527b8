//! The web dashboard (SPEC.md "Web dashboard").
//!
//! Two kinds of tests:
//! - in a real headless Chromium driven through chromedriver (WebDriver): the overview against the
//!   JSON API, the two clocks, signing in and logging progress through the form, a form error;
//!   each saves screenshots under `target/screenshots/`. They print a "skipped" line when
//!   `chromedriver` or `chromium` is not installed, unless `COMPACT_REQUIRE_BROWSER=1` (then they
//!   fail);
//! - in-process through the router, always: page weight, CSV downloads, error pages, languages,
//!   the session cookie and CSRF refusals.
//!
//! # Layout
//!
//! - `web/browser.rs`: one chromedriver per test run (spawned on a free port, shut down when the
//!   last browser test ends) and a thin page-reading layer over the WebDriver client;
//! - `web/history.rs`: a demo-like data set recorded over the years (2018 to 2023), so "as known
//!   then" differs from "as known now";
//! - `web/dashboard.rs`, `web/forms.rs`: the browser tests;
//! - `web/pages.rs`: the in-process tests.

#![allow(clippy::duplicate_mod, reason = "`api::helpers` is private to `api`")]

mod browser;
mod dashboard;
mod forms;
mod history;
mod pages;

// The API tests' `TestApp` (tokens, fixtures, a real socket server). Its module is private to
// `api`, so it is compiled again here; the helpers these tests do not use are expected.
#[path = "api/helpers.rs"]
#[allow(
    dead_code,
    reason = "only some of the API tests' helpers are used here"
)]
mod helpers;
