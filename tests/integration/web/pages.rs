//! The dashboard through the router, without a browser (these always run): every page answers
//! HTML under 500 KB with its security headers, tables download as CSV, errors are HTML pages,
//! the language follows `Accept-Language` and `?lang=`, signing in sets a strict cookie, and form
//! posts without the session's CSRF token, or from another site, append nothing.

use axum::http::StatusCode;
use compact_tracker::state::HttpConfig;

use super::helpers::{MECHANISM_A, TestApp, progress_body};
use crate::backends::{Backend, for_each_backend};

for_each_backend!(
    every_page_answers_html_under_500_kb_with_its_security_headers,
    every_table_downloads_as_csv,
    errors_are_html_pages_with_the_right_status,
    the_language_follows_the_switch_then_the_browser,
    signing_in_sets_a_strict_cookie_and_forms_need_the_csrf_token,
    a_revision_records_only_what_changed_and_refuses_a_stale_form,
    a_private_server_sends_visitors_to_sign_in,
);

/// The most a page may weigh (the budget).
const MAX_PAGE: usize = 500 * 1024;

async fn every_page_answers_html_under_500_kb_with_its_security_headers(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    app.report(
        &app.reporter_a.token,
        &id,
        &progress_body("in_progress", "2021-06-30", 40),
    )
    .await;
    // Pages read the read models, which follow the log: wait until they hold the writes above.
    app.caught_up().await;
    let pages = [
        "/".to_owned(),
        "/?as_of=2022-05-20&known=then".to_owned(),
        "/objectives/5".to_owned(),
        "/sdg-targets/10.7".to_owned(),
        format!("/mechanisms/{MECHANISM_A}"),
        format!("/commitments/{id}"),
        "/audit".to_owned(),
        "/changes".to_owned(),
        "/sign-in".to_owned(),
    ];
    for page in pages {
        let reply = app
            .get(&page)
            .send()
            .await
            .expect_status(StatusCode::OK, &page);
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{page}"
        );
        assert!(
            reply.text.len() < MAX_PAGE,
            "{page}: {} bytes",
            reply.text.len()
        );
        assert!(reply.text.starts_with("<!doctype html>"), "{page}");
        assert!(
            reply
                .header("content-security-policy")
                .is_some_and(|csp| csp.contains("default-src 'none'")),
            "{page}: a CSP that loads nothing from elsewhere"
        );
        assert!(
            !reply.text.contains("<script"),
            "{page}: no script needed to read"
        );
        assert!(
            !reply.text.contains("http://fonts") && !reply.text.contains("cdn"),
            "{page}"
        );
    }
    let css = app
        .get("/static/dashboard.css")
        .send()
        .await
        .expect_status(StatusCode::OK, "the stylesheet");
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
}

async fn every_table_downloads_as_csv(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    app.report(
        &app.reporter_a.token,
        &id,
        &progress_body("in_progress", "2021-06-30", 40),
    )
    .await;
    app.caught_up().await;
    let downloads = [
        ("/progress/objectives.csv", "objective,title", 24),
        ("/progress/sdg-targets.csv", "sdg_target,title", 0),
        ("/progress/mechanisms.csv", "mechanism,title", 4),
        (
            &format!("/commitments/{id}/updates.csv") as &str,
            "seq,effective_date",
            2,
        ),
        (
            &format!("/commitments/{id}/events.csv"),
            "position,recorded_at",
            3,
        ),
        (
            "/audit/events.csv?after=0&limit=1000",
            "position,recorded_at",
            0,
        ),
        (
            "/changes.csv?from=2020-01-01",
            "commitment_id,mechanism_id",
            2,
        ),
    ];
    for (path, header, lines) in downloads {
        let reply = app
            .get(path)
            .send()
            .await
            .expect_status(StatusCode::OK, path);
        assert_eq!(
            reply.header("content-type"),
            Some("text/csv; charset=utf-8"),
            "{path}"
        );
        assert!(
            reply
                .header("content-disposition")
                .is_some_and(|value| value.starts_with("attachment")),
            "{path}"
        );
        assert!(reply.text.starts_with(header), "{path}: {}", reply.text);
        if lines > 0 {
            assert_eq!(reply.text.lines().count(), lines, "{path}: {}", reply.text);
        }
    }
    // Commitment lists download the API's own CSV, with the page's filters and clock.
    let page = app
        .get("/objectives/5?as_of=2022-05-20&known=then&status=in_progress")
        .send()
        .await;
    let link =
        "/commitments.csv?lang=en&as_of=2022-05-20&known=then&objective=5&status=in_progress";
    assert!(unescape(&page.text).contains(link), "{}", page.text);
    for (dashboard, api) in [
        (
            link,
            "/v1/commitments?format=csv&as_of=2022-05-20&known_at=2022-05-20T23%3A59%3A59.999999999Z&objective=5&status=in_progress",
        ),
        (
            "/commitments.csv?mechanism=mechanism-a",
            "/v1/commitments?format=csv&mechanism=mechanism-a",
        ),
    ] {
        let ours = app
            .get(dashboard)
            .send()
            .await
            .expect_status(StatusCode::OK, dashboard);
        let theirs = app.get(api).send().await.expect_status(StatusCode::OK, api);
        assert_eq!(ours.header("content-type"), Some("text/csv; charset=utf-8"));
        assert_eq!(ours.text, theirs.text, "{dashboard} is the API's CSV");
    }
}

async fn errors_are_html_pages_with_the_right_status(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let cases = [
        ("/objectives/24", StatusCode::NOT_FOUND),
        ("/sdg-targets/10.9", StatusCode::NOT_FOUND),
        ("/mechanisms/nobody", StatusCode::NOT_FOUND),
        ("/commitments/not-a-uuid", StatusCode::NOT_FOUND),
        (
            "/commitments/01a21fe7-ea6f-7241-a961-f19a342d0df4",
            StatusCode::NOT_FOUND,
        ),
        ("/?as_of=20-05-2022", StatusCode::BAD_REQUEST),
        ("/?known=sometimes", StatusCode::BAD_REQUEST),
        ("/objectives/5?status=finished", StatusCode::BAD_REQUEST),
        (
            "/changes?from=2024-01-01&to=2023-01-01",
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (path, status) in cases {
        let reply = app.get(path).send().await.expect_status(status, path);
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        assert!(reply.text.contains(&status.as_u16().to_string()), "{path}");
        assert!(reply.text.contains("id=\"error-detail\""), "{path}");
    }
    let french = app
        .get("/objectives/24?lang=fr")
        .send()
        .await
        .expect_status(StatusCode::NOT_FOUND, "in French");
    assert!(unescape(&french.text).contains("Une erreur s'est produite"));
}

async fn the_language_follows_the_switch_then_the_browser(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let cases = [
        (None, Some("fr-CH, fr;q=0.9, en;q=0.5"), "fr", "Vue d"),
        (Some("es"), Some("fr"), "es", "Panorama"),
        (None, Some("de"), "en", "Overview"),
        (None, None, "en", "Overview"),
    ];
    for (query, accept, lang, text) in cases {
        let path = query.map_or_else(|| "/".to_owned(), |lang| format!("/?lang={lang}"));
        let mut call = app.get(&path);
        if let Some(accept) = accept {
            call = call.header("accept-language", accept);
        }
        let reply = call.send().await.expect_status(StatusCode::OK, &path);
        assert!(
            reply.text.contains(&format!("<html lang=\"{lang}\">")),
            "{path} {accept:?}"
        );
        assert!(reply.text.contains(text), "{path} {accept:?}: {text}");
    }
    // Catalogue titles are translated where the catalogue has them.
    let french = app.get("/objectives/1?lang=fr").send().await;
    let title = compact_events::catalogue::gcm_objectives()[0]
        .title
        .get(compact_events::catalogue::Lang::Fr)
        .to_owned();
    assert!(
        unescape(&french.text).contains(&title),
        "the French title of objective 1"
    );
}

async fn signing_in_sets_a_strict_cookie_and_forms_need_the_csrf_token(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    let form = "application/x-www-form-urlencoded";

    // Wrong tokens and reviewer tokens do not sign in.
    for (token, case) in [
        ("ct_nonsense", "a malformed token"),
        (app.reviewer.token.as_str(), "a reviewer"),
    ] {
        let reply = app
            .post("/sign-in")
            .raw(Some(form), format!("token={token}&next=%2F"))
            .send()
            .await
            .expect_status(StatusCode::UNAUTHORIZED, case);
        assert!(reply.header("set-cookie").is_none(), "{case}");
    }

    let reply = app
        .post("/sign-in")
        .raw(
            Some(form),
            format!("token={}&next=%2Faudit", app.reporter_a.token),
        )
        .send()
        .await
        .expect_status(StatusCode::SEE_OTHER, "sign in");
    assert_eq!(reply.header("location"), Some("/audit"));
    let cookie = reply.header("set-cookie").unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let session = cookie.split(';').next().unwrap().to_owned();

    // Behind a TLS proxy, the cookie is Secure.
    let tls = app
        .post("/sign-in")
        .header("x-forwarded-proto", "https")
        .raw(
            Some(form),
            format!("token={}&next=%2F", app.reporter_a.token),
        )
        .send()
        .await
        .expect_status(StatusCode::SEE_OTHER, "sign in over TLS");
    assert!(tls.header("set-cookie").unwrap().contains("; Secure"));

    // An off-site redirect target is ignored.
    let offsite = app
        .post("/sign-in")
        .raw(
            Some(form),
            format!(
                "token={}&next=https%3A%2F%2Fevil.example",
                app.reporter_a.token
            ),
        )
        .send()
        .await;
    assert_eq!(offsite.header("location"), Some("/"));

    // The form carries the session's CSRF token; a post without it, or from another site,
    // appends nothing.
    let page = app
        .get(&format!("/commitments/{id}/progress"))
        .header("cookie", &session)
        .send()
        .await
        .expect_status(StatusCode::OK, "the form");
    let csrf = hidden_value(&page.text, "csrf");
    assert_eq!(csrf.len(), 64, "a 256-bit CSRF token");
    let head = app.feed_head().await;
    let body = "status=in_progress&effective_date=2021-06-30&narrative=Half+way";
    let refused = app
        .post(&format!("/commitments/{id}/progress"))
        .header("cookie", &session)
        .raw(Some(form), format!("csrf=forged&{body}"))
        .send()
        .await
        .expect_status(StatusCode::UNPROCESSABLE_ENTITY, "a forged CSRF token");
    assert!(refused.text.contains("id=\"form-errors\""));
    app.post(&format!("/commitments/{id}/progress"))
        .header("cookie", &session)
        .header("origin", "https://evil.example")
        .header("host", "127.0.0.1")
        .raw(Some(form), format!("csrf={csrf}&{body}"))
        .send()
        .await
        .expect_status(StatusCode::FORBIDDEN, "a cross-site post");
    app.post(&format!("/commitments/{id}/progress"))
        .raw(Some(form), format!("csrf={csrf}&{body}"))
        .send()
        .await
        .expect_status(StatusCode::SEE_OTHER, "no session: to sign-in");
    app.assert_head_unchanged(head, "refused form posts").await;

    // With the token, the post is recorded once, even when sent twice (the form's nonce).
    let nonce = hidden_value(&page.text, "nonce");
    for attempt in ["first", "repeat"] {
        app.post(&format!("/commitments/{id}/progress"))
            .header("cookie", &session)
            .raw(Some(form), format!("csrf={csrf}&nonce={nonce}&{body}"))
            .send()
            .await
            .expect_status(StatusCode::SEE_OTHER, attempt);
    }
    assert_eq!(
        app.feed_head().await,
        head + 1,
        "one update for a form sent twice"
    );

    // A revoked token stops working at once, session or not.
    app.tokens.revoke(&app.reporter_a.id).await.unwrap();
    let revoked = app
        .get(&format!("/commitments/{id}/progress"))
        .header("cookie", &session)
        .send()
        .await
        .expect_status(StatusCode::SEE_OTHER, "a revoked token");
    assert!(revoked.header("location").unwrap().starts_with("/sign-in"));

    // Signing out needs the CSRF token too.
    let reply = app
        .post("/sign-out")
        .header("cookie", &session)
        .raw(Some(form), format!("csrf={csrf}"))
        .send()
        .await
        .expect_status(StatusCode::SEE_OTHER, "sign out");
    assert!(reply.header("set-cookie").unwrap().contains("Max-Age=0"));
}

async fn a_revision_records_only_what_changed_and_refuses_a_stale_form(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    let form = "application/x-www-form-urlencoded";
    let session = sign_in(&app, &app.reporter_a.token).await;
    let page = app
        .get(&format!("/commitments/{id}/revision"))
        .header("cookie", &session)
        .send()
        .await
        .expect_status(StatusCode::OK, "the revision form");
    let csrf = hidden_value(&page.text, "csrf");
    let nonce = hidden_value(&page.text, "nonce");
    assert_eq!(hidden_value(&page.text, "version"), "1");

    // The form sends every field; only the title differs from the commitment.
    let unchanged = "description=Member+states+pilot+skills+partnerships+with+countries+of+origin.\
        &gcm_objectives=5&gcm_objectives=18&sdg_targets=10.7%2C+8.8&made_on=2020-01-15&due_date=2026-12-31";
    let head = app.feed_head().await;
    let missing_reason = app
        .post(&format!("/commitments/{id}/revision"))
        .header("cookie", &session)
        .raw(
            Some(form),
            format!(
                "csrf={csrf}&nonce={nonce}&version=1&title=A+clearer+title&{unchanged}&reason=+"
            ),
        )
        .send()
        .await
        .expect_status(StatusCode::UNPROCESSABLE_ENTITY, "a blank reason");
    assert!(
        missing_reason.text.contains("id=\"reason-error\""),
        "the message beside the reason"
    );
    app.assert_head_unchanged(head, "a revision without a reason")
        .await;

    app.post(&format!("/commitments/{id}/revision"))
        .header("cookie", &session)
        .raw(
            Some(form),
            format!("csrf={csrf}&nonce={nonce}&version=1&title=A+clearer+title&{unchanged}&reason=Clearer."),
        )
        .send()
        .await
        .expect_status(StatusCode::SEE_OTHER, "a revision");
    let history = app.history(&id).await;
    let revised = history.last().unwrap();
    assert_eq!(revised["type"], "commitment_revised");
    assert_eq!(
        revised["data"]["changes"],
        serde_json::json!({"title": "A clearer title"}),
        "only the changed field is recorded"
    );
    assert_eq!(revised["actor"]["token_id"], app.reporter_a.id.as_str());

    // A form filled from version 1, sent after the revision above: refused, current values shown.
    let head = app.feed_head().await;
    let stale = app
        .post(&format!("/commitments/{id}/revision"))
        .header("cookie", &session)
        .raw(
            Some(form),
            format!(
                "csrf={csrf}&nonce=00ff&version=1&title=Another+title&{unchanged}&reason=Later."
            ),
        )
        .send()
        .await
        .expect_status(StatusCode::UNPROCESSABLE_ENTITY, "a stale form");
    assert!(
        stale.text.contains("value=\"A clearer title\""),
        "the current title is shown"
    );
    app.assert_head_unchanged(head, "a stale revision form")
        .await;

    // A reporter of another mechanism may not open the form.
    let other = sign_in(&app, &app.reporter_b.token).await;
    app.get(&format!("/commitments/{id}/revision"))
        .header("cookie", &other)
        .send()
        .await
        .expect_status(StatusCode::FORBIDDEN, "another mechanism's reporter");
}

async fn a_private_server_sends_visitors_to_sign_in(backend: &impl Backend) {
    let app = TestApp::spawn_with(backend, HttpConfig { private: true }).await;
    let reply = app
        .get("/objectives/5?lang=fr")
        .send()
        .await
        .expect_status(StatusCode::SEE_OTHER, "a private page");
    assert_eq!(
        reply.header("location"),
        Some("/sign-in?lang=fr&next=%2Fobjectives%2F5%3Flang%3Dfr")
    );
    app.get("/sign-in")
        .send()
        .await
        .expect_status(StatusCode::OK, "the sign-in page stays open");
    let signed_in = app
        .post("/sign-in")
        .raw(
            Some("application/x-www-form-urlencoded"),
            format!("token={}&next=%2F", app.reporter_a.token),
        )
        .send()
        .await
        .expect_status(StatusCode::SEE_OTHER, "sign in");
    let session = signed_in
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    app.get("/objectives/5")
        .header("cookie", &session)
        .send()
        .await
        .expect_status(StatusCode::OK, "signed in");
}

/// Signs in with `token` and returns the session cookie (`name=value`).
async fn sign_in(app: &TestApp, token: &str) -> String {
    let reply = app
        .post("/sign-in")
        .raw(
            Some("application/x-www-form-urlencoded"),
            format!("token={token}&next=%2F"),
        )
        .send()
        .await
        .expect_status(StatusCode::SEE_OTHER, "sign in");
    reply
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// The value of a hidden input in a page.
fn hidden_value(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no hidden {name} in the page"))
        .to_owned()
}

/// Undoes the HTML escaping of apostrophes and ampersands, however the template engine spells
/// them.
fn unescape(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}
