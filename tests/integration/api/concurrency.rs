//! Many writers at once (SPEC.md "Event store guarantees": optimistic concurrency): writes without
//! `If-Match` are re-decided on the new state when they lose a race, so none is lost.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Barrier;
use tower::ServiceExt as _;

use super::helpers::{MECHANISM_A, TestApp, progress_body};
use crate::backends::{Backend, for_each_backend};

for_each_backend!(
    thirty_two_concurrent_progress_updates_without_if_match_all_land,
    concurrent_writes_with_the_same_if_match_let_exactly_one_win,
    concurrent_repeats_of_one_idempotent_request_append_once,
    concurrent_registrations_of_one_mechanism_let_one_win_and_the_rest_409,
    concurrent_retractions_of_one_update_let_one_win_and_the_rest_409,
);

const WRITERS: usize = 32;

/// Sends `writers` requests at once, each from its own task, released together by a barrier;
/// returns each task's status and body, in writer order.
async fn race(
    app: &TestApp,
    writers: usize,
    request: impl Fn(usize) -> Request<Body>,
) -> Vec<(StatusCode, Value)> {
    let barrier = Arc::new(Barrier::new(writers));
    let tasks: Vec<_> = (0..writers)
        .map(|writer| {
            let router = app.router();
            let barrier = Arc::clone(&barrier);
            let request = request(writer);
            tokio::spawn(async move {
                barrier.wait().await;
                let response = router.oneshot(request).await.unwrap();
                let status = response.status();
                let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .unwrap();
                (
                    status,
                    serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                )
            })
        })
        .collect();
    let mut results = Vec::with_capacity(writers);
    for task in tasks {
        results.push(task.await.expect("a writer task panicked"));
    }
    results
}

/// A JSON `POST` with a bearer token and optional extra headers.
fn post(path: &str, token: &str, headers: &[(&str, &str)], body: &Value) -> Request<Body> {
    let mut request = Request::post(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .body(Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap()
}

/// Progress updates from `WRITERS` writers, writer `n` reporting `n` percent.
async fn race_progress(
    app: &TestApp,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
) -> Vec<(StatusCode, Value)> {
    race(app, WRITERS, |writer| {
        let percent = u8::try_from(writer).unwrap();
        post(
            path,
            token,
            headers,
            &progress_body("in_progress", "2021-03-31", percent),
        )
    })
    .await
}

async fn thirty_two_concurrent_progress_updates_without_if_match_all_land(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    let head = app.feed_head().await;
    let path = format!("/v1/commitments/{id}/progress");

    let results = race_progress(&app, &path, &app.reporter_a.token, &[]).await;

    for (writer, (status, body)) in results.iter().enumerate() {
        assert_eq!(*status, StatusCode::CREATED, "writer {writer}: {body}");
    }
    let versions: BTreeSet<i64> = results
        .iter()
        .map(|(_, body)| body["version"].as_i64().unwrap())
        .collect();
    assert_eq!(
        versions,
        (2..=33).collect(),
        "each writer got its own version"
    );
    let seqs: BTreeSet<u64> = results
        .iter()
        .map(|(_, body)| body["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=32).collect(), "each writer got its own seq");

    let history = app.history(&id).await;
    let versions: Vec<i64> = history
        .iter()
        .map(|event| event["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, (1..=33).collect::<Vec<_>>());
    let reported: BTreeSet<u64> = history[1..]
        .iter()
        .map(|event| {
            assert_eq!(event["type"], "progress_reported");
            event["data"]["seq"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(reported, (1..=32).collect(), "no update lost or repeated");
    // Every writer's own update is the one stored under its seq.
    let percents: BTreeSet<u64> = history[1..]
        .iter()
        .map(|event| event["data"]["percent_complete"].as_u64().unwrap())
        .collect();
    assert_eq!(
        percents,
        (0..32).collect(),
        "every writer's own update is stored"
    );
    assert_eq!(app.feed_head().await, head + 32);
    assert_eq!(
        app.commitment(&id, "").await["updates"]
            .as_array()
            .unwrap()
            .len(),
        32
    );
}

async fn concurrent_writes_with_the_same_if_match_let_exactly_one_win(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    let head = app.feed_head().await;
    let path = format!("/v1/commitments/{id}/progress");

    let results = race_progress(&app, &path, &app.reporter_a.token, &[("if-match", "\"1\"")]).await;

    let winners: Vec<_> = results
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one writer wins: {results:?}");
    assert_eq!(winners[0].1["version"], 2);
    for (status, body) in &results {
        if *status != StatusCode::CREATED {
            assert_eq!(*status, StatusCode::PRECONDITION_FAILED, "{body}");
            assert_eq!(body["current_version"], 2, "{body}");
        }
    }
    assert_eq!(
        app.feed_head().await,
        head + 1,
        "the losers appended nothing"
    );
}

async fn concurrent_repeats_of_one_idempotent_request_append_once(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    let head = app.feed_head().await;
    let path = format!("/v1/commitments/{id}/progress");
    let body = progress_body("achieved", "2022-03-31", 100);

    let results = race(&app, 16, |_| {
        post(
            &path,
            &app.reporter_a.token,
            &[("idempotency-key", "retry-storm")],
            &body,
        )
    })
    .await;

    let first = &results[0].1;
    for (writer, (status, body)) in results.iter().enumerate() {
        assert_eq!(*status, StatusCode::CREATED, "writer {writer}: {body}");
        assert_eq!(body, first, "writer {writer} gets the one response");
    }
    assert_eq!(first["seq"], 1);
    assert_eq!(app.feed_head().await, head + 1, "one update was logged");
}

async fn concurrent_registrations_of_one_mechanism_let_one_win_and_the_rest_409(
    backend: &impl Backend,
) {
    let app = TestApp::spawn(backend).await;
    let head = app.feed_head().await;

    let results = race(&app, 16, |writer| {
        post(
            "/v1/mechanisms",
            &app.admin.token,
            &[],
            &json!({"id": "budapest-process", "name": format!("Budapest Process {writer}"), "kind": "interregional_forum"}),
        )
    })
    .await;

    let statuses: Vec<StatusCode> = results.iter().map(|(status, _)| *status).collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{results:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{results:?}"
    );
    assert_eq!(app.feed_head().await, head + 1);
}

async fn concurrent_retractions_of_one_update_let_one_win_and_the_rest_409(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    app.report(
        &app.reporter_a.token,
        &id,
        &progress_body("in_progress", "2021-03-31", 20),
    )
    .await;
    let head = app.feed_head().await;
    let path = format!("/v1/commitments/{id}/progress/1/retraction");

    let results = race(&app, 16, |writer| {
        post(
            &path,
            &app.reporter_a.token,
            &[],
            &json!({"reason": format!("Duplicate, says writer {writer}.")}),
        )
    })
    .await;

    let created = results
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{results:?}");
    for (status, body) in &results {
        assert!(
            *status == StatusCode::CREATED || *status == StatusCode::CONFLICT,
            "{status}: {body}"
        );
    }
    assert_eq!(app.feed_head().await, head + 1);
}
