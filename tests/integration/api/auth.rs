//! The auth matrix (SPEC.md "Auth"): one test per status. Missing or invalid token on a write:
//! 401 with `WWW-Authenticate`; a valid token whose role or mechanism may not write: 403; the
//! right token: 201. Reads are public unless the server runs with `--private`.

use axum::http::StatusCode;
use compact_tracker::state::HttpConfig;

use super::helpers::{
    MECHANISM_A, MECHANISM_B, TestApp, commitment_body, progress_body, reporter_of, write_routes,
};
use crate::backends::{Backend, for_each_backend};

for_each_backend!(
    a_write_without_a_token_is_401_with_www_authenticate,
    a_malformed_unknown_or_revoked_token_is_401,
    a_reviewer_writing_is_403,
    a_reporter_writing_for_another_mechanism_is_403,
    a_reporter_writing_its_own_mechanisms_commitments_gets_201,
    an_admin_writing_gets_201_on_every_write_route,
    a_private_server_answers_reads_without_a_token_401_and_with_one_200,
);

/// A commitment of mechanism A with one progress update.
async fn fixture(app: &TestApp) -> String {
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    app.report(
        &app.reporter_a.token,
        &id,
        &progress_body("in_progress", "2021-03-31", 20),
    )
    .await;
    id
}

async fn a_write_without_a_token_is_401_with_www_authenticate(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = fixture(&app).await;
    let head = app.feed_head().await;
    for (case, path, body) in write_routes(&id) {
        let reply = app
            .post_json(&path, None, &body)
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, case);
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{case}");
        app.assert_head_unchanged(head, case).await;
    }
}

async fn a_malformed_unknown_or_revoked_token_is_401(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = fixture(&app).await;
    let revoked = app.issue(reporter_of(MECHANISM_A)).await;
    app.post_json(
        &format!("/v1/commitments/{id}/progress"),
        Some(&revoked.token),
        &progress_body("in_progress", "2021-04-30", 25),
    )
    .await
    .expect_created("the token works before it is revoked");
    app.tokens.revoke(&revoked.id).await.unwrap();
    let unknown = format!("ct_{}_{}", "0".repeat(12), "a".repeat(64));
    let wrong_secret = format!("{}{}", &app.admin.token[..16], "b".repeat(64));
    let head = app.feed_head().await;
    let cases = [
        ("not a token", "Bearer not-a-token".to_owned()),
        ("empty bearer", "Bearer ".to_owned()),
        (
            "truncated token",
            format!("Bearer {}", &app.admin.token[..40]),
        ),
        ("basic scheme", "Basic YWRtaW46YWRtaW4=".to_owned()),
        ("unknown token", format!("Bearer {unknown}")),
        ("right id, wrong secret", format!("Bearer {wrong_secret}")),
        ("revoked token", format!("Bearer {}", revoked.token)),
        (
            "lower-case scheme, unknown token",
            format!("bearer {unknown}"),
        ),
        (
            "token with trailing junk",
            format!("Bearer {} x", app.admin.token),
        ),
    ];
    for (case, authorization) in cases {
        for (route, path, body) in write_routes(&id) {
            let case = format!("{case} on {route}");
            let reply = app
                .post(&path)
                .header("authorization", &authorization)
                .json(&body)
                .send()
                .await
                .expect_problem(StatusCode::UNAUTHORIZED, &case);
            assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{case}");
        }
        app.assert_head_unchanged(head, case).await;
    }
    let case = "an Authorization header that is not text";
    app.post("/v1/mechanisms")
        .header_bytes("authorization", b"Bearer ct_\xe9\xe9")
        .json(&write_routes(&id)[0].2)
        .send()
        .await
        .expect_problem(StatusCode::UNAUTHORIZED, case);
    app.assert_head_unchanged(head, case).await;
}

async fn a_reviewer_writing_is_403(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = fixture(&app).await;
    let head = app.feed_head().await;
    for (case, path, body) in write_routes(&id) {
        app.post_json(&path, Some(&app.reviewer.token), &body)
            .await
            .expect_problem(StatusCode::FORBIDDEN, case);
        app.assert_head_unchanged(head, case).await;
        // The role is checked before the body: a reviewer learns nothing about its body.
        for (what, content_type, bytes) in [
            ("not JSON", Some("application/json"), b"{".to_vec()),
            ("an invalid body", Some("application/json"), b"{}".to_vec()),
            ("no content type", None, b"{}".to_vec()),
        ] {
            let case = format!("{case}, with {what}");
            app.post(&path)
                .bearer(&app.reviewer.token)
                .raw(content_type, bytes)
                .send()
                .await
                .expect_problem(StatusCode::FORBIDDEN, &case);
            app.assert_head_unchanged(head, &case).await;
        }
    }
}

async fn a_reporter_writing_for_another_mechanism_is_403(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    // A commitment of mechanism A; the reporter of B may not touch it.
    let id = fixture(&app).await;
    let head = app.feed_head().await;
    for (case, path, body) in write_routes(&id) {
        app.post_json(&path, Some(&app.reporter_b.token), &body)
            .await
            .expect_problem(StatusCode::FORBIDDEN, case);
        app.assert_head_unchanged(head, case).await;
    }
    // Nor make one in A's name.
    let case = "reporter of B makes a commitment for A";
    app.post_json(
        "/v1/commitments",
        Some(&app.reporter_b.token),
        &commitment_body(MECHANISM_A),
    )
    .await
    .expect_problem(StatusCode::FORBIDDEN, case);
    // Even for a mechanism that does not exist, authorization comes first.
    let case = "reporter of B makes a commitment for an unknown mechanism";
    app.post_json(
        "/v1/commitments",
        Some(&app.reporter_b.token),
        &commitment_body("no-such-mechanism"),
    )
    .await
    .expect_problem(StatusCode::FORBIDDEN, case);
    app.assert_head_unchanged(head, case).await;
    // The reporter of B still writes for B.
    app.post_json(
        "/v1/commitments",
        Some(&app.reporter_b.token),
        &commitment_body(MECHANISM_B),
    )
    .await
    .expect_created("reporter of B makes a commitment for B");
}

async fn a_reporter_writing_its_own_mechanisms_commitments_gets_201(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = fixture(&app).await;
    let token = app.reporter_a.token.clone();
    let mut version = 2;
    for (case, path, body) in write_routes(&id) {
        let reply = app.post_json(&path, Some(&token), &body).await;
        match case {
            // Registering mechanisms, adding recommendations and validating are the admin's.
            "register a mechanism" | "add a recommendation" | "validate" => {
                reply.expect_problem(StatusCode::FORBIDDEN, case);
            }
            "make a commitment" => {
                let reply = reply.expect_created(case);
                assert_eq!(reply.body["version"], 1, "{case}");
            }
            _ => {
                version += 1;
                let reply = reply.expect_created(case);
                assert_eq!(reply.body["id"], id.as_str(), "{case}");
                assert_eq!(reply.body["version"], version, "{case}");
            }
        }
    }
    let view = app.commitment(&id, "").await;
    assert_eq!(view["status"], "withdrawn");
}

async fn an_admin_writing_gets_201_on_every_write_route(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = fixture(&app).await;
    for (case, path, body) in write_routes(&id) {
        let before = app.feed_head().await;
        let reply = app
            .post_json(&path, Some(&app.admin.token), &body)
            .await
            .expect_created(case);
        let position = reply.body["position"].as_i64().unwrap();
        assert_eq!(
            position,
            before + 1,
            "{case}: position is the event just written"
        );
        assert_eq!(app.feed_head().await, position, "{case}");
    }
    let history = app.history(&id).await;
    let last = history.last().unwrap();
    assert_eq!(last["type"], "commitment_withdrawn");
    assert_eq!(last["actor"]["token_id"], app.admin.id.as_str());
    assert_eq!(last["actor"]["role"], "admin");
}

async fn a_private_server_answers_reads_without_a_token_401_and_with_one_200(
    backend: &impl Backend,
) {
    let app = TestApp::spawn_with(backend, HttpConfig { private: true }).await;
    let id = fixture(&app).await;
    let reads = [
        format!("/v1/commitments/{id}"),
        format!("/v1/commitments/{id}/history"),
        "/v1/events".to_owned(),
        "/v1/audit/verify".to_owned(),
    ];
    for path in &reads {
        let reply = app
            .get(path)
            .send()
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, &format!("{path} without a token"));
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{path}");
        app.get(path)
            .bearer("ct_nonsense")
            .send()
            .await
            .expect_problem(
                StatusCode::UNAUTHORIZED,
                &format!("{path} with a bad token"),
            );
        for (who, token) in [
            ("reviewer", &app.reviewer.token),
            ("reporter", &app.reporter_b.token),
            ("admin", &app.admin.token),
        ] {
            app.get(path)
                .bearer(token)
                .send()
                .await
                .expect_status(StatusCode::OK, &format!("{path} with a {who} token"));
        }
    }
    // The live feed too (the 401 comes before the stream starts).
    app.get("/v1/events/subscribe")
        .send()
        .await
        .expect_problem(StatusCode::UNAUTHORIZED, "subscribe without a token");
    let (status, headers) = app
        .get("/v1/events/subscribe")
        .bearer(&app.reviewer.token)
        .send_for_head()
        .await;
    assert_eq!(status, StatusCode::OK, "subscribe with a reviewer token");
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    // Probes stay open: an orchestrator has no token.
    for path in ["/healthz", "/readyz"] {
        app.get(path)
            .send()
            .await
            .expect_status(StatusCode::OK, path);
    }
}
