//! The web dashboard (SPEC.md "Web dashboard"): server-rendered pages over the same read models
//! and event store as the JSON API, readable with JavaScript off, in English, French and Spanish.
//!
//! Every page takes the two clocks from its URL (`as_of`, `known=then|now`) and its language
//! (`lang`), so any view can be shared as a link. Charts are SVG drawn on the server with plotters;
//! each chart sits beside a table holding the same numbers, which is also its text alternative.
//! Reporters sign in with their API token to log progress or revise a commitment through forms;
//! those writes go through [`crate::write::Executor::execute`] exactly like the API's.
//!
//! # Layout
//!
//! - this module: [`router`], the stylesheet, and the headers every page carries;
//! - [`error`]: [`error::WebError`], the one error type, rendered as an HTML error page;
//! - [`i18n`]: language negotiation and the user-interface strings of each language;
//! - [`view`]: the [`view::Page`] extractor (language, clocks, session) and the shared layout;
//! - [`charts`]: the SVG charts;
//! - [`tables`]: rows of the tables several pages share (tallies, commitments, events);
//! - one module per page: [`overview`] (`/`), [`groups`] (`/objectives/{n}`,
//!   `/sdg-targets/{code}`, `/mechanisms/{id}`), [`commitment`] (`/commitments/{id}`),
//!   [`audit`] (`/audit`), [`changes`] (`/changes`);
//! - [`session`]: sign-in with a token, the session cookie and CSRF tokens;
//! - [`forms`]: the progress and revision forms.

pub mod audit;
pub mod changes;
pub mod charts;
pub mod commitment;
pub mod error;
pub mod forms;
pub mod groups;
pub mod i18n;
pub mod overview;
pub mod session;
pub mod tables;
pub mod view;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::state::AppState;
use session::Sessions;

/// The dashboard's stylesheet, compiled into the binary: no CDN, no external fonts.
const STYLESHEET: &str = include_str!("../templates/dashboard.css");

/// The dashboard's routes, to be merged into the application router.
///
/// Sessions live in this process's memory; the routes that create or end them capture the store
/// in their closures, and a middleware attaches the current session (if any) to each request.
pub fn router() -> Router<AppState> {
    let sessions = Sessions::default();
    let sign_in_sessions = sessions.clone();
    let sign_out_sessions = sessions.clone();
    Router::new()
        .route("/", get(overview::page))
        .route("/progress/objectives.csv", get(overview::objectives_csv))
        .route("/progress/sdg-targets.csv", get(overview::targets_csv))
        .route("/progress/mechanisms.csv", get(overview::mechanisms_csv))
        .route("/progress/timeline.csv", get(groups::timeline_csv))
        .route("/commitments.csv", get(groups::commitments_csv))
        .route("/objectives/{number}", get(groups::objective))
        .route("/sdg-targets/{code}", get(groups::sdg_target))
        .route("/mechanisms/{id}", get(groups::mechanism))
        .route("/commitments/{id}", get(commitment::page))
        .route(
            "/commitments/{id}/updates.csv",
            get(commitment::updates_csv),
        )
        .route("/commitments/{id}/events.csv", get(commitment::events_csv))
        .route(
            "/commitments/{id}/progress",
            get(forms::progress::progress_form).post(forms::progress::submit_progress),
        )
        .route(
            "/commitments/{id}/revision",
            get(forms::revision::revision_form).post(forms::revision::submit_revision),
        )
        .route("/audit", get(audit::page))
        .route("/audit/events.csv", get(audit::events_csv))
        .route("/changes", get(changes::page))
        .route("/changes.csv", get(changes::csv))
        .route(
            "/sign-in",
            get(session::sign_in_form).post(move |state, page, headers, form| {
                session::sign_in(sign_in_sessions.clone(), state, page, headers, form)
            }),
        )
        .route(
            "/sign-out",
            post(move |page, form| session::sign_out(sign_out_sessions.clone(), page, form)),
        )
        .route("/static/dashboard.css", get(stylesheet))
        .layer(middleware::from_fn(error::render_error_pages))
        .layer(middleware::from_fn_with_state(sessions, session::attach))
        .layer(middleware::from_fn(page_headers))
}

/// `GET /static/dashboard.css`.
async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// Headers every dashboard response carries: a Content-Security-Policy that allows nothing from
/// elsewhere and no script at all (the pages need none), and no sniffing or framing.
async fn page_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legend_colours_are_the_chart_colours() {
        for index in 0..6 {
            let rule = format!(
                ".swatch-{index} {{ background: {}; }}",
                charts::status_color_hex(index)
            );
            assert!(STYLESHEET.contains(&rule), "{rule}");
        }
    }
}
