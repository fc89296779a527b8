//! Over a real socket, where the network adds something: the Server-Sent Events live tail
//! (`GET /v1/events/subscribe`, resumable with `Last-Event-ID`), and one end-to-end smoke test of
//! a client talking HTTP to the served router.

use std::time::Duration;

use serde_json::{Value, json};

use super::helpers::{MECHANISM_A, TestApp, commitment_body, progress_body};
use crate::backends::{Backend, for_each_backend};

for_each_backend!(
    the_live_feed_streams_every_event_in_order_then_new_ones,
    the_live_feed_resumes_after_last_event_id,
    a_client_writes_and_reads_over_http,
);

/// How long to wait for the next SSE event before failing (the server sends them at once).
const PATIENCE: Duration = Duration::from_secs(10);

/// One Server-Sent Event.
#[derive(Debug)]
struct SseEvent {
    id: i64,
    event: String,
    data: Value,
}

/// Reads Server-Sent Events from a streaming response.
struct SseReader {
    response: reqwest::Response,
    buffer: Vec<u8>,
}

impl SseReader {
    async fn open(url: &str, last_event_id: Option<&str>) -> Self {
        let mut request = reqwest::Client::new().get(url);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.expect("connect to the live feed");
        assert_eq!(response.status(), 200, "subscribe");
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|value| value.to_str().ok()),
            Some("text/event-stream")
        );
        Self {
            response,
            buffer: Vec::new(),
        }
    }

    /// The next event (skipping keep-alive comments), or a panic after [`PATIENCE`].
    async fn next(&mut self) -> SseEvent {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let text = String::from_utf8(block).expect("SSE is UTF-8");
                let (mut id, mut event, mut data) = (None, String::new(), String::new());
                for line in text.lines() {
                    if let Some(value) = line.strip_prefix("id:") {
                        id = Some(value.trim().parse::<i64>().expect("the id is a position"));
                    } else if let Some(value) = line.strip_prefix("event:") {
                        event = value.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim_start());
                    }
                }
                if let Some(id) = id {
                    return SseEvent {
                        id,
                        event,
                        data: serde_json::from_str(&data).expect("the data is JSON"),
                    };
                }
                assert!(event != "error", "the feed reported an error: {text}");
                continue;
            }
            let chunk = tokio::time::timeout(PATIENCE, self.response.chunk())
                .await
                .expect("the next event arrives in time")
                .expect("read the live feed")
                .expect("the live feed does not end");
            self.buffer.extend_from_slice(&chunk);
        }
    }
}

async fn the_live_feed_streams_every_event_in_order_then_new_ones(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app.make_commitment(&app.admin.token, MECHANISM_A).await;
    let feed = app.feed().await;
    let server = app.serve().await;

    let mut live = SseReader::open(&server.url("/v1/events/subscribe"), None).await;
    for expected in &feed {
        let event = live.next().await;
        assert_eq!(event.id, expected["position"].as_i64().unwrap());
        assert_eq!(event.event, expected["type"].as_str().unwrap());
        assert_eq!(
            &event.data, expected,
            "the data is the event as in /v1/events"
        );
    }
    // Caught up: the next write arrives live.
    let written = app
        .post_json(
            &format!("/v1/commitments/{id}/progress"),
            Some(&app.admin.token),
            &progress_body("in_progress", "2021-03-31", 20),
        )
        .await
        .expect_created("a write while subscribed");
    let event = live.next().await;
    assert_eq!(event.id, written.body["position"].as_i64().unwrap());
    assert_eq!(event.event, "progress_reported");
    assert_eq!(event.data["data"]["seq"], 1);
    assert_eq!(event.data["stream_id"], format!("commitment-{id}"));
}

async fn the_live_feed_resumes_after_last_event_id(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app.make_commitment(&app.admin.token, MECHANISM_A).await;
    for month in 1..=3 {
        app.report(
            &app.admin.token,
            &id,
            &progress_body("in_progress", &format!("2021-0{month}-28"), month * 10),
        )
        .await;
    }
    let head = app.feed_head().await;
    let server = app.serve().await;

    // A reconnecting browser sends the last id it saw, which wins over `after`.
    let resume_at = head - 3;
    let mut live = SseReader::open(
        &server.url("/v1/events/subscribe?after=1"),
        Some(&resume_at.to_string()),
    )
    .await;
    let ids = [live.next().await, live.next().await, live.next().await].map(|event| event.id);
    assert_eq!(ids, [head - 2, head - 1, head]);

    // `after` alone starts there too.
    let mut live = SseReader::open(
        &server.url(&format!("/v1/events/subscribe?after={}", head - 1)),
        None,
    )
    .await;
    let event = live.next().await;
    assert_eq!(event.id, head);
    assert_eq!(event.data["data"]["seq"], 3);
}

async fn a_client_writes_and_reads_over_http(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let server = app.serve().await;
    let client = reqwest::Client::new();

    let made = client
        .post(server.url("/v1/commitments"))
        .bearer_auth(&app.reporter_a.token)
        .header("idempotency-key", "smoke-1")
        .json(&commitment_body(MECHANISM_A))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    assert_eq!(
        made.headers().get("etag").and_then(|v| v.to_str().ok()),
        Some("\"1\"")
    );
    let location = made.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = made.json().await.unwrap();
    let id = body["id"].as_str().unwrap();
    assert_eq!(location, format!("/v1/commitments/{id}"));

    let progress = client
        .post(server.url(&format!("/v1/commitments/{id}/progress")))
        .bearer_auth(&app.reporter_a.token)
        .header("if-match", "\"1\"")
        .json(&progress_body("achieved", "2022-06-30", 100))
        .send()
        .await
        .unwrap();
    assert_eq!(progress.status(), 201);
    let progress: Value = progress.json().await.unwrap();
    assert_eq!(progress["seq"], 1);

    let view: Value = client
        .get(server.url(&format!("{location}?min_position={}", progress["position"])))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "achieved");
    assert_eq!(view["percent_complete"], 100);
    assert_eq!(view["version"], 2);

    let missing = client
        .get(server.url("/v1/no-such-route"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let unauthorized = client
        .post(server.url("/v1/mechanisms"))
        .json(&json!({"id": "x-y", "name": "X", "kind": "other"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    assert_eq!(
        unauthorized
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
}
