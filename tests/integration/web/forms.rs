//! Reporting through the dashboard in a real browser: sign in with a reporter token, log progress
//! with the form, see it on the commitment page and in its audit trail; a refused form shows the
//! domain's message beside the field and appends nothing.

use super::browser::{self, Browser};
use super::helpers::{Issued, MECHANISM_A, TestApp};
use crate::backends::{Backend, for_each_backend};

for_each_backend!(
    a_reporter_signs_in_and_logs_progress_through_the_form,
    a_form_error_shows_the_field_message_and_appends_nothing,
);

async fn a_reporter_signs_in_and_logs_progress_through_the_form(backend: &impl Backend) {
    let test = "a_reporter_signs_in_and_logs_progress_through_the_form";
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    let server = app.serve().await;
    let Some(browser) = browser::open(test, &server.url("")).await else {
        return;
    };

    // Following "log a progress update" asks to sign in first, then comes back to the form.
    browser.goto(&format!("/commitments/{id}?lang=en")).await;
    browser.click_and_load("#log-progress").await;
    assert!(browser.location().await.starts_with("/sign-in"));
    sign_in(&browser, &app.reporter_a).await;
    assert!(
        browser
            .location()
            .await
            .starts_with(&format!("/commitments/{id}/progress")),
        "back to the form after signing in"
    );
    let (http_only, same_site, secure) = browser.cookie_flags("compact_session").await;
    assert_eq!(http_only, Some(true), "the session cookie is HttpOnly");
    assert_eq!(
        same_site, "Some(Strict)",
        "the session cookie is SameSite=Strict"
    );
    assert_ne!(secure, Some(true), "no Secure flag over plain HTTP");

    let head = app.feed_head().await;
    browser.select("#status", "in_progress").await;
    browser.set_value("#effective_date", "2021-06-30").await;
    browser.type_into("#percent_complete", "40").await;
    browser
        .type_into(
            "#narrative",
            "Forty percent, reported through the dashboard.",
        )
        .await;
    browser
        .type_into("#evidence_urls", "https://example.org/evidence")
        .await;
    browser.screenshot("progress-form").await;
    browser.click_and_load("#submit").await;

    // The commitment page shows the update and its event.
    let location = browser.location().await;
    assert!(
        location.starts_with(&format!("/commitments/{id}"))
            && location.contains("recorded=progress"),
        "{location}"
    );
    assert!(browser.exists("#flash").await, "a confirmation");
    assert!(
        browser
            .text("#update-1")
            .await
            .contains("Forty percent, reported through the dashboard.")
    );
    assert_eq!(browser.text("#commitment-status").await, "in progress");
    assert_eq!(browser.text("#commitment-percent").await, "40");
    let trail = browser.text("#trail tr.event-progress_reported").await;
    assert!(
        trail.contains(&app.reporter_a.id),
        "the audit trail names the reporter's token: {trail}"
    );
    browser.screenshot("commitment-after-progress").await;

    // Through the same rules as the API: one event, by the reporter's token.
    assert_eq!(app.feed_head().await, head + 1, "one event appended");
    let history = app.history(&id).await;
    let last = history.last().unwrap();
    assert_eq!(last["type"], "progress_reported");
    assert_eq!(last["actor"]["token_id"], app.reporter_a.id.as_str());
    assert_eq!(last["actor"]["role"], "reporter");
    assert_eq!(last["data"]["percent_complete"], 40);
    assert_eq!(
        last["data"]["evidence_urls"][0],
        "https://example.org/evidence"
    );
    browser.close().await;
}

async fn a_form_error_shows_the_field_message_and_appends_nothing(backend: &impl Backend) {
    let test = "a_form_error_shows_the_field_message_and_appends_nothing";
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    let server = app.serve().await;
    let Some(browser) = browser::open(test, &server.url("")).await else {
        return;
    };
    browser.goto("/sign-in?lang=en").await;
    sign_in(&browser, &app.reporter_a).await;
    browser
        .goto(&format!("/commitments/{id}/progress?lang=en"))
        .await;

    // The commitment was made on 2020-01-15: an update cannot apply to a day before.
    let head = app.feed_head().await;
    browser.set_value("#effective_date", "2019-06-30").await;
    browser
        .type_into("#narrative", "Reported for a day before the commitment.")
        .await;
    browser.click_and_load("#submit").await;
    let message = browser.text("#effective_date-error").await;
    assert!(
        message.contains("effective_date") && message.contains("2020-01-15"),
        "the domain's message beside the field: {message}"
    );
    assert_eq!(
        browser
            .find("#effective_date")
            .await
            .attr("aria-invalid")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    assert!(
        browser.exists("#form-errors").await,
        "a summary above the form"
    );
    assert_eq!(
        browser
            .find("#narrative")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Reported for a day before the commitment."),
        "what was typed is kept"
    );
    app.assert_head_unchanged(head, "a refused form").await;
    browser.screenshot("progress-form-error").await;

    // Corrected, the same form records one update.
    browser.set_value("#effective_date", "2020-06-30").await;
    browser.click_and_load("#submit").await;
    assert!(browser.location().await.contains("recorded=progress"));
    assert_eq!(
        app.feed_head().await,
        head + 1,
        "the corrected form appends one event"
    );
    browser.close().await;
}

/// Signs in on the sign-in page with `token`.
async fn sign_in(browser: &Browser, token: &Issued) {
    browser.type_into("#token", &token.token).await;
    browser.click_and_load("#sign-in").await;
    browser.wait_for("#signed-in-as").await;
}
