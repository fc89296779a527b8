//! `Idempotency-Key` (SPEC.md "HTTP API"): a repeat with the same key and body returns the first
//! response and appends nothing; the same key with another body gets 422.

use axum::http::StatusCode;
use serde_json::json;

use super::helpers::{MECHANISM_A, TestApp, commitment_body, progress_body};
use crate::backends::{Backend, for_each_backend};

for_each_backend!(
    replaying_an_idempotent_request_returns_the_first_response_and_appends_nothing,
    reusing_a_key_with_another_body_or_route_is_422_and_appends_nothing,
    keys_belong_to_their_token,
);

async fn replaying_an_idempotent_request_returns_the_first_response_and_appends_nothing(
    backend: &impl Backend,
) {
    let app = TestApp::spawn(backend).await;
    let token = app.reporter_a.token.clone();
    let send_commitment = || {
        app.post("/v1/commitments")
            .bearer(&token)
            .header("idempotency-key", "make-2024-07-01-a")
            .json(&commitment_body(MECHANISM_A))
            .send()
    };
    let first = send_commitment().await.expect_created("first request");
    let head = app.feed_head().await;
    let feed = app.feed().await;
    // The same JSON with its keys in another order is the same request.
    let reordered = {
        let body = commitment_body(MECHANISM_A);
        let mut entries: Vec<_> = body.as_object().unwrap().clone().into_iter().collect();
        entries.reverse();
        let text = format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(key, value)| format!("{}: {value}", json!(key)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        app.post("/v1/commitments")
            .bearer(&token)
            .header("idempotency-key", "make-2024-07-01-a")
            .raw(Some("application/json; charset=utf-8"), text)
            .send()
    };
    for (case, replay) in [
        ("a replay", send_commitment().await),
        ("a second replay", send_commitment().await),
        ("a replay with the keys reordered", reordered.await),
    ] {
        let replay = replay.expect_created(case);
        assert_eq!(replay.body, first.body, "{case}: the first response");
        assert_eq!(replay.header("etag"), first.header("etag"), "{case}");
        app.assert_head_unchanged(head, case).await;
    }
    assert_eq!(app.feed().await, feed, "replays append nothing");

    // A progress update replays with its seq; a different key logs another update.
    let id = first.body["id"].as_str().unwrap();
    let path = format!("/v1/commitments/{id}/progress");
    let body = progress_body("in_progress", "2021-03-31", 20);
    let send = |key: &'static str| {
        app.post(&path)
            .bearer(&token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let first_update = send("progress-1").await.expect_created("progress");
    let head = app.feed_head().await;
    let replay = send("progress-1").await.expect_created("progress replay");
    assert_eq!(replay.body, first_update.body);
    assert_eq!(replay.body["seq"], 1);
    app.assert_head_unchanged(head, "progress replay").await;
    let second = send("progress-2").await.expect_created("another key");
    assert_eq!(second.body["seq"], 2, "a new key is a new update");
    assert_eq!(app.feed_head().await, head + 1);

    // Replays still answer the first response after the stream moved on.
    let late_replay = send("progress-1")
        .await
        .expect_created("replay after a later write");
    assert_eq!(late_replay.body, first_update.body);
    assert_eq!(late_replay.header("etag"), Some("\"2\""));
    app.assert_head_unchanged(head + 1, "replay after a later write")
        .await;
}

async fn reusing_a_key_with_another_body_or_route_is_422_and_appends_nothing(
    backend: &impl Backend,
) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin.token.clone();
    let id = app.make_commitment(&token, MECHANISM_A).await;
    let path = format!("/v1/commitments/{id}/progress");
    app.post(&path)
        .bearer(&token)
        .header("idempotency-key", "key-1")
        .json(&progress_body("in_progress", "2021-03-31", 20))
        .send()
        .await
        .expect_created("first use of the key");
    let head = app.feed_head().await;
    let feed = app.feed().await;
    let other_id = app.make_commitment(&token, MECHANISM_A).await;
    let head_after_fixture = app.feed_head().await;
    assert_eq!(head_after_fixture, head + 1);
    let cases = [
        (
            "another percent",
            path.clone(),
            progress_body("in_progress", "2021-03-31", 21),
        ),
        (
            "another status",
            path.clone(),
            progress_body("achieved", "2021-03-31", 20),
        ),
        (
            "the same body to another commitment",
            format!("/v1/commitments/{other_id}/progress"),
            progress_body("in_progress", "2021-03-31", 20),
        ),
        (
            "another route",
            format!("/v1/commitments/{id}/withdrawal"),
            json!({"reason": "Done."}),
        ),
    ];
    for (case, path, body) in cases {
        let reply = app
            .post(&path)
            .bearer(&token)
            .header("idempotency-key", "key-1")
            .json(&body)
            .send()
            .await
            .expect_invalid(None, case);
        assert!(
            reply.body["detail"]
                .as_str()
                .unwrap()
                .contains("Idempotency-Key"),
            "{case}: {}",
            reply.text
        );
        app.assert_head_unchanged(head_after_fixture, case).await;
    }
    assert_eq!(app.feed().await[..feed.len()], feed[..]);
    // The refused reuse did not spoil the key: the original request still replays.
    app.post(&path)
        .bearer(&token)
        .header("idempotency-key", "key-1")
        .json(&progress_body("in_progress", "2021-03-31", 20))
        .send()
        .await
        .expect_created("the original still replays");
    app.assert_head_unchanged(head_after_fixture, "replay")
        .await;
}

async fn keys_belong_to_their_token(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app.make_commitment(&app.admin.token, MECHANISM_A).await;
    let path = format!("/v1/commitments/{id}/progress");
    let body = progress_body("in_progress", "2021-03-31", 20);
    let mut seqs = Vec::new();
    for (who, token) in [
        ("admin", &app.admin.token),
        ("reporter", &app.reporter_a.token),
    ] {
        let reply = app
            .post(&path)
            .bearer(token)
            .header("idempotency-key", "shared-key")
            .json(&body)
            .send()
            .await
            .expect_created(who);
        seqs.push(reply.body["seq"].as_u64().unwrap());
    }
    assert_eq!(seqs, [1, 2], "two clients' equal keys do not collide");
    // A refused request does not use up its key.
    let head = app.feed_head().await;
    app.post(&path)
        .bearer(&app.reporter_b.token)
        .header("idempotency-key", "fresh-key")
        .json(&body)
        .send()
        .await
        .expect_problem(StatusCode::FORBIDDEN, "reporter of another mechanism");
    app.post(&path)
        .bearer(&app.admin.token)
        .header("idempotency-key", "fresh-key")
        .json(&progress_body("in_progress", "2099-03-31", 20))
        .send()
        .await
        .expect_invalid(Some("effective_date"), "refused by the domain");
    app.assert_head_unchanged(head, "refusals").await;
    let reply = app
        .post(&path)
        .bearer(&app.admin.token)
        .header("idempotency-key", "fresh-key")
        .json(&body)
        .send()
        .await
        .expect_created("the key is still fresh");
    assert_eq!(reply.body["seq"], 3);
}
