//! The read routes (SPEC.md "HTTP API", "Two clocks"): a commitment as of a date and as known at
//! an instant, its history, the global feed, the audit, health, and the OpenAPI document.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::helpers::{MECHANISM_A, TestApp, commitment_body, encode, progress_body, today_plus};
use crate::backends::{Backend, for_each_backend};

for_each_backend!(
    a_commitment_reads_as_of_a_date_with_its_status_percent_and_version,
    a_late_report_changes_as_of_views_of_the_past_but_not_known_at_views,
    history_lists_every_event_with_position_version_type_time_actor_data_and_hash,
    the_global_feed_pages_in_order_without_gaps,
    audit_verify_walks_the_whole_chain,
    health_and_readiness_answer,
    the_openapi_document_is_3_1_and_lists_every_route,
    titles_with_tabs_newlines_and_backslashes_read_back_as_written,
);

async fn a_commitment_reads_as_of_a_date_with_its_status_percent_and_version(
    backend: &impl Backend,
) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    let token = app.reporter_a.token.clone();
    app.report(&token, &id, &progress_body("in_progress", "2021-03-31", 25))
        .await;
    app.report(&token, &id, &progress_body("delayed", "2022-03-31", 40))
        .await;
    app.report(&token, &id, &progress_body("achieved", "2023-03-31", 100))
        .await;

    let cases = [
        ("the day it was made", "2020-01-15", "planned", Value::Null),
        (
            "before the first update",
            "2021-03-30",
            "planned",
            Value::Null,
        ),
        (
            "the first update's day",
            "2021-03-31",
            "in_progress",
            json!(25),
        ),
        (
            "between the second and third",
            "2022-12-31",
            "delayed",
            json!(40),
        ),
        ("after the last", "2024-01-01", "achieved", json!(100)),
    ];
    for (case, as_of, status, percent) in cases {
        let view = app.commitment(&id, &format!("?as_of={as_of}")).await;
        assert_eq!(view["status"], status, "{case}");
        assert_eq!(view["percent_complete"], percent, "{case}");
        assert_eq!(view["as_of"], as_of, "{case}");
        assert_eq!(view["version"], 4, "{case}: every event is known");
    }
    let now = app.commitment(&id, "").await;
    assert_eq!(now["status"], "achieved");
    assert_eq!(now["as_of"], today_plus(0), "as_of defaults to today");
    assert_eq!(now["latest_update"]["seq"], 3);
    assert_eq!(now["updates"].as_array().unwrap().len(), 3);

    // Before it was made, the commitment did not exist.
    app.get_json(&format!("/v1/commitments/{id}?as_of=2020-01-14"))
        .await
        .expect_problem(StatusCode::NOT_FOUND, "as of the day before it was made");
    // Nor before it was recorded.
    app.get_json(&format!(
        "/v1/commitments/{id}?known_at={}",
        encode("2001-01-01T00:00:00Z")
    ))
    .await
    .expect_problem(
        StatusCode::NOT_FOUND,
        "known at a time before it was recorded",
    );
}

async fn a_late_report_changes_as_of_views_of_the_past_but_not_known_at_views(
    backend: &impl Backend,
) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    let token = app.reporter_a.token.clone();
    app.report(&token, &id, &progress_body("in_progress", "2021-03-31", 25))
        .await;
    // What we knew at the review: the instant the last event before the late report was recorded.
    let known_at = app.history(&id).await.last().unwrap()["recorded_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let past = "2020-12-31";
    let before = app.commitment(&id, &format!("?as_of={past}")).await;
    assert_eq!(
        before["status"], "planned",
        "nothing was reported for 2020 yet"
    );

    // Then a late report: the state on 2020-06-30, recorded only now.
    app.report(&token, &id, &progress_body("delayed", "2020-06-30", 10))
        .await;
    let late = app.history(&id).await.last().unwrap()["recorded_at"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(late, known_at, "the late report is recorded after known_at");

    let as_of = app.commitment(&id, &format!("?as_of={past}")).await;
    assert_eq!(
        as_of["status"], "delayed",
        "as_of the past now shows the late report"
    );
    assert_eq!(as_of["percent_complete"], 10);

    let query = format!("?as_of={past}&known_at={}", encode(&known_at));
    let as_known = app.commitment(&id, &query).await;
    assert_eq!(
        as_known["status"], "planned",
        "known_at before the late report still shows what was known"
    );
    assert_eq!(as_known["percent_complete"], Value::Null);
    assert_eq!(as_known["version"], 2, "only the events recorded by then");
    assert_eq!(as_known["updates"].as_array().unwrap().len(), 1);
    // The current state is unchanged by a report about the past.
    let today = app
        .commitment(&id, &format!("?known_at={}", encode(&known_at)))
        .await;
    assert_eq!(today["status"], "in_progress");
    let today = app.commitment(&id, "").await;
    assert_eq!(
        today["status"], "in_progress",
        "the 2021 update is still the latest effective one"
    );
    assert_eq!(today["version"], 3);
}

async fn history_lists_every_event_with_position_version_type_time_actor_data_and_hash(
    backend: &impl Backend,
) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    app.report(
        &app.reporter_a.token,
        &id,
        &progress_body("in_progress", "2021-03-31", 25),
    )
    .await;
    app.post_json(
        &format!("/v1/commitments/{id}/progress/1/validation"),
        Some(&app.admin.token),
        &json!({"decision": "validated", "note": "Checked against the ministry's report."}),
    )
    .await
    .expect_created("validate");
    app.post_json(
        &format!("/v1/commitments/{id}/revisions"),
        Some(&app.reporter_a.token),
        &json!({"due_date": null, "reason": "Open-ended."}),
    )
    .await
    .expect_created("revise");

    let history = app.history(&id).await;
    let expected = [
        ("commitment_made", &app.reporter_a, "reporter"),
        ("progress_reported", &app.reporter_a, "reporter"),
        ("progress_validated", &app.admin, "admin"),
        ("commitment_revised", &app.reporter_a, "reporter"),
    ];
    assert_eq!(history.len(), expected.len(), "{history:?}");
    let feed = app.feed().await;
    let mut previous_position = 0;
    for (index, (event, (kind, token, role))) in history.iter().zip(expected).enumerate() {
        let case = format!("event {index} ({kind})");
        assert_eq!(event["version"], index + 1, "{case}");
        assert_eq!(event["type"], kind, "{case}");
        assert_eq!(event["actor"]["token_id"], token.id.as_str(), "{case}");
        assert_eq!(event["actor"]["role"], role, "{case}");
        assert_eq!(event["stream_id"], format!("commitment-{id}"), "{case}");
        let position = event["position"].as_i64().unwrap();
        assert!(position > previous_position, "{case}: positions increase");
        previous_position = position;
        let recorded_at = event["recorded_at"].as_str().unwrap();
        assert!(
            time::OffsetDateTime::parse(
                recorded_at,
                &time::format_description::well_known::Rfc3339
            )
            .is_ok(),
            "{case}: recorded_at is RFC 3339: {recorded_at}"
        );
        let hash = event["hash"].as_str().unwrap();
        assert!(
            hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
            "{case}: hash is SHA-256 hex: {hash}"
        );
        assert!(event["data"].is_object(), "{case}: data");
        assert!(
            event["correlation_id"].is_string(),
            "{case}: the request id is recorded"
        );
        let in_feed = feed
            .iter()
            .find(|candidate| candidate["position"] == event["position"])
            .unwrap();
        assert_eq!(in_feed, event, "{case}: the history shows the feed's event");
    }
    assert_eq!(
        history[0]["data"]["title"],
        "Regional labour mobility skills partnership"
    );
    assert_eq!(history[1]["data"]["seq"], 1);
    assert_eq!(
        history[2]["data"]["note"],
        "Checked against the ministry's report."
    );
    assert_eq!(history[3]["data"]["reason"], "Open-ended.");
}

async fn the_global_feed_pages_in_order_without_gaps(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app.make_commitment(&app.admin.token, MECHANISM_A).await;
    for month in 1..=5 {
        app.report(
            &app.admin.token,
            &id,
            &progress_body("in_progress", &format!("2021-{month:02}-28"), month * 10),
        )
        .await;
    }
    let head = app.feed_head().await;
    let everything = app
        .get_json("/v1/events?limit=1000")
        .await
        .expect_status(StatusCode::OK, "the whole feed");
    let events = everything.body["events"].as_array().unwrap();
    assert_eq!(everything.body["head"], head);
    assert_eq!(everything.body["next_after"], head);
    let positions: Vec<i64> = events
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect();
    assert_eq!(
        positions,
        (1..=head).collect::<Vec<_>>(),
        "every position once, in order"
    );
    assert_eq!(
        events[0]["actor"]["role"], "system",
        "the catalogues are seeded by the server"
    );

    // Default page size.
    let first = app
        .get_json("/v1/events")
        .await
        .expect_status(StatusCode::OK, "default");
    assert_eq!(
        first.body["events"].as_array().unwrap().len(),
        100.min(head as usize)
    );

    // Pages of 7, following next_after, give the same events.
    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let page = app
            .get_json(&format!("/v1/events?after={after}&limit=7"))
            .await
            .expect_status(StatusCode::OK, &format!("page after {after}"));
        let batch = page.body["events"].as_array().unwrap().clone();
        assert!(batch.len() <= 7, "page after {after}: at most limit events");
        if batch.is_empty() {
            assert_eq!(page.body["next_after"], after, "an empty page stays put");
            break;
        }
        after = page.body["next_after"].as_i64().unwrap();
        assert_eq!(batch.last().unwrap()["position"], after);
        paged.extend(batch);
    }
    assert_eq!(&paged, events);

    // `after` in the middle, and past the head.
    let tail = app
        .get_json(&format!("/v1/events?after={}", head - 2))
        .await
        .expect_status(StatusCode::OK, "the last two");
    let tail = tail.body["events"].as_array().unwrap();
    assert_eq!(tail.len(), 2);
    assert_eq!(tail[0]["position"], head - 1);
    assert_eq!(tail[1]["type"], "progress_reported");
    let beyond = app
        .get_json(&format!("/v1/events?after={}", head + 100))
        .await
        .expect_status(StatusCode::OK, "after the head");
    assert_eq!(beyond.body["events"], json!([]));
    // The limits themselves are accepted.
    for limit in [1, 1000] {
        let page = app
            .get_json(&format!("/v1/events?limit={limit}"))
            .await
            .expect_status(StatusCode::OK, &format!("limit {limit}"));
        assert_eq!(
            page.body["events"].as_array().unwrap().len(),
            (limit as usize).min(head as usize)
        );
    }
}

async fn audit_verify_walks_the_whole_chain(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app.make_commitment(&app.admin.token, MECHANISM_A).await;
    app.report(
        &app.admin.token,
        &id,
        &progress_body("in_progress", "2021-03-31", 25),
    )
    .await;
    let head = app.feed_head().await;
    let last = app.feed().await.pop().unwrap();
    let reply = app
        .get_json("/v1/audit/verify")
        .await
        .expect_status(StatusCode::OK, "verify");
    assert_eq!(reply.body["ok"], true, "{}", reply.text);
    assert_eq!(reply.body["events_checked"], head);
    assert_eq!(reply.body["head_hash"], last["hash"]);
    assert!(
        reply.body.get("first_broken_position").is_none(),
        "{}",
        reply.text
    );

    backend.tamper(head - 1).await;
    let reply = app
        .get_json("/v1/audit/verify")
        .await
        .expect_status(StatusCode::OK, "verify after tampering");
    assert_eq!(reply.body["ok"], false, "{}", reply.text);
    assert_eq!(reply.body["first_broken_position"], head - 1);
}

async fn health_and_readiness_answer(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let health = app
        .get_json("/healthz")
        .await
        .expect_status(StatusCode::OK, "healthz");
    assert_eq!(health.body["status"], "ok");
    let ready = app
        .get_json("/readyz")
        .await
        .expect_status(StatusCode::OK, "readyz");
    assert_eq!(ready.body["status"], "ready");
    assert_eq!(ready.body["head"], app.feed_head().await);
    assert_eq!(ready.body["backend"], app.store.backend());
    // Every response carries a request id, and the events record it.
    assert!(
        ready
            .header("x-request-id")
            .is_some_and(|id| !id.is_empty())
    );
    let reply = app
        .post("/v1/commitments")
        .bearer(&app.admin.token)
        .header("x-request-id", "trace-me-42")
        .json(&super::helpers::commitment_body(MECHANISM_A))
        .send()
        .await
        .expect_created("with a request id");
    assert_eq!(reply.header("x-request-id"), Some("trace-me-42"));
    let event = app.feed().await.pop().unwrap();
    assert_eq!(event["correlation_id"], "trace-me-42");
}

async fn the_openapi_document_is_3_1_and_lists_every_route(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let reply = app
        .get_json("/openapi.json")
        .await
        .expect_status(StatusCode::OK, "openapi");
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{:?}",
        reply.headers
    );
    let document = &reply.body;
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "openapi: {}",
        document["openapi"]
    );
    let routes = [
        ("post", "/v1/mechanisms"),
        ("post", "/v1/recommendations"),
        ("post", "/v1/commitments"),
        ("post", "/v1/commitments/{id}/revisions"),
        ("post", "/v1/commitments/{id}/progress"),
        ("post", "/v1/commitments/{id}/progress/{seq}/retraction"),
        ("post", "/v1/commitments/{id}/progress/{seq}/validation"),
        ("post", "/v1/commitments/{id}/withdrawal"),
        ("get", "/v1/mechanisms"),
        ("get", "/v1/mechanisms/{id}"),
        ("get", "/v1/recommendations"),
        ("get", "/v1/review-points"),
        ("get", "/v1/commitments"),
        ("get", "/v1/commitments/{id}"),
        ("get", "/v1/commitments/{id}/history"),
        ("get", "/v1/progress/objectives"),
        ("get", "/v1/progress/sdg-targets"),
        ("get", "/v1/progress/timeline"),
        ("get", "/v1/progress/changes"),
        ("get", "/v1/events"),
        ("get", "/v1/events/subscribe"),
        ("get", "/v1/audit/verify"),
        ("get", "/healthz"),
        ("get", "/readyz"),
    ];
    // The list is the whole API: a route added without a line here fails the count.
    let documented: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented,
        routes.len(),
        "every documented operation is listed here"
    );
    for (method, path) in routes {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is documented");
        let responses = operation["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|status| status.starts_with('2')),
            "{method} {path} documents its success"
        );
        if method == "post" {
            for status in ["201", "401", "403", "412", "413", "415", "422"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} documents {status}"
                );
            }
            assert!(
                operation["requestBody"].is_object(),
                "{method} {path} documents its body"
            );
        }
    }
    // Every documented route is served (none answers the unknown-route 404 problem).
    let paths = document["paths"].as_object().unwrap();
    for (path, operations) in paths {
        let concrete = path
            .replace("{id}", &uuid::Uuid::now_v7().to_string())
            .replace("{seq}", "1");
        for method in operations.as_object().unwrap().keys() {
            if method == "get" && path.ends_with("/subscribe") {
                continue; // an endless stream, read in `live`
            }
            let reply = app
                .request(method.to_uppercase().parse().unwrap(), &concrete)
                .send()
                .await;
            assert_ne!(
                reply.body["detail"], "no such route",
                "{method} {path} is documented but not served"
            );
            assert!(
                !reply.status.is_server_error(),
                "{method} {path}: {}",
                reply.text
            );
        }
    }
}

/// The read models are written with `COPY`'s text format on PostgreSQL and with bound parameters
/// on SQLite; text that format reads as structure (tab, newline, backslash, and `\N`, its null)
/// must come back from the commitments list exactly as written.
async fn titles_with_tabs_newlines_and_backslashes_read_back_as_written(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.reporter_a.token.clone();
    let titles = [
        "Tabs\there, a new\nline, a carriage\rreturn",
        r"A back\slash, \t and \n as text",
        r"\N",
    ];
    let mut ids = Vec::new();
    for title in titles {
        let mut body = commitment_body(MECHANISM_A);
        body["title"] = json!(title);
        let reply = app
            .post_json("/v1/commitments", Some(&token), &body)
            .await
            .expect_status(StatusCode::CREATED, "make a commitment with that title");
        ids.push(reply.body["id"].as_str().unwrap().to_owned());
    }
    let head = app.feed_head().await;
    let list = app
        .get_json(&format!("/v1/commitments?limit=500&min_position={head}"))
        .await
        .expect_status(StatusCode::OK, "list the commitments")
        .body;
    for (id, title) in ids.iter().zip(titles) {
        let item = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["id"] == json!(id))
            .unwrap_or_else(|| panic!("{id} is in the list"));
        assert_eq!(item["title"], json!(title), "the title of {id}");
    }
}
