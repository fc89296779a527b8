//! Absurd dates: refused at the edge, and still readable once stored.
//!
//! Before the date ranges existed, a reporter could make a commitment `made_on` `-0001-01-01`; from
//! then on every list, progress view and page that met its rows answered 500, and views known
//! before a correcting revision stayed broken for good (events are immutable). These tests store
//! such an event as that build did, straight into the log, and read it back through every route.

use axum::http::StatusCode;
use compact_events::event::Event;
use compact_events::event::commitment::{Commitment, CommitmentEvent};
use compact_events::ids::{CommitmentId, MechanismId, ObjectiveNumber, SdgTargetCode};
use compact_events::stream::StreamId;
use compact_tracker::store::{AppendRequest, EventStore, ExpectedVersion, Metadata, NewEvent};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::date;
use uuid::Uuid;

use super::helpers::{MECHANISM_A, TestApp, commitment_body, encode, progress_body};
use crate::backends::{Backend, for_each_backend};

for_each_backend!(
    absurd_dates_are_refused_in_bodies_and_queries_and_append_nothing,
    a_stored_absurd_date_is_read_by_every_route_before_and_after_its_correction,
);

async fn absurd_dates_are_refused_in_bodies_and_queries_and_append_nothing(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    let head = app.feed_head().await;
    let bodies = [
        ("made_on", "-0001-01-01"),
        ("made_on", "0000-01-01"),
        ("made_on", "2015-12-31"),
        ("due_date", "9999-12-31"),
        ("due_date", "2120-01-16"),
    ];
    for (field, date) in bodies {
        let case = format!("{field} {date}");
        let mut body = commitment_body(MECHANISM_A);
        body[field] = json!(date);
        let reply = app
            .post_json("/v1/commitments", Some(&app.reporter_a.token), &body)
            .await
            .expect_invalid(Some(field), &case);
        assert!(
            reply.body["detail"].as_str().unwrap().contains(" and "),
            "{case}: the detail gives the range: {}",
            reply.text
        );
        app.assert_head_unchanged(head, &case).await;
    }
    let revisions = format!("/v1/commitments/{id}/revisions");
    for (field, date) in [("made_on", "0000-01-01"), ("due_date", "9999-12-31")] {
        let case = format!("a revision to {field} {date}");
        app.post_json(
            &revisions,
            Some(&app.reporter_a.token),
            &json!({field: date, "reason": "Typed in a hurry."}),
        )
        .await
        .expect_invalid(Some(field), &case);
        app.assert_head_unchanged(head, &case).await;
    }
    // A century after made_on is the last due date accepted.
    let mut body = commitment_body(MECHANISM_A);
    body["due_date"] = json!("2120-01-15");
    app.post_json("/v1/commitments", Some(&app.reporter_a.token), &body)
        .await
        .expect_created("due a century after made_on");

    let head = app.feed_head().await;
    for query in [
        "/v1/commitments?as_of=0000-01-01",
        "/v1/progress/objectives?as_of=-0001-01-01",
        "/v1/progress/changes?from=0000-01-01",
        "/v1/progress/changes?from=2018-01-01&to=9999-12-31",
        "/v1/progress/timeline?from=1899-12-31",
    ] {
        app.get(query)
            .send()
            .await
            .expect_problem(StatusCode::BAD_REQUEST, query);
    }
    for page in [
        "/objectives/5?as_of=0000-01-01",
        "/?as_of=2200-01-01",
        "/changes?from=0000-01-01",
    ] {
        let reply = app.get(page).send().await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{page}: {}",
            reply.text
        );
    }
    app.assert_head_unchanged(head, "reads").await;
}

async fn a_stored_absurd_date_is_read_by_every_route_before_and_after_its_correction(
    backend: &impl Backend,
) {
    let app = TestApp::spawn(backend).await;
    let sound = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    app.report(
        &app.reporter_a.token,
        &sound,
        &progress_body("in_progress", "2021-06-30", 40),
    )
    .await;
    let id = CommitmentId::new(Uuid::now_v7());
    append_as_an_old_build_did(&app, id).await;
    let poisoned_at = app.feed_head().await;
    app.caught_up().await;
    assert_eq!(
        app.commitment(&id.to_string(), "").await["made_on"],
        "-0001-01-01",
        "the commitment is shown with the date it was stored with"
    );
    // Far enough from the revision that `known_at` falls between the two events.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let before_fix = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .expect("format a time");
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    every_read_answers(&app, &id, "", "before its correction").await;

    app.post_json(
        &format!("/v1/commitments/{id}/revisions"),
        Some(&app.reporter_a.token),
        &json!({"made_on": "2019-03-01", "due_date": "2030-12-31", "reason": "The dates were typed wrong."}),
    )
    .await
    .expect_created("correct the dates");
    app.caught_up().await;
    assert_eq!(
        app.commitment(&id.to_string(), "").await["made_on"],
        "2019-03-01"
    );
    every_read_answers(&app, &id, "", "after its correction").await;
    let known_then = format!("known_at={}", encode(&before_fix));
    every_read_answers(&app, &id, &known_then, "as known before its correction").await;
    let then = app
        .commitment(&id.to_string(), &format!("?{known_then}"))
        .await;
    assert_eq!(then["made_on"], "-0001-01-01", "{then}");
    assert_eq!(then["due_date"], "9999-12-31", "{then}");
    assert!(app.feed_head().await > poisoned_at);
}

/// Appends a `commitment_made` with `made_on` -0001-01-01 and `due_date` 9999-12-31, as the
/// service did before it refused such dates.
async fn append_as_an_old_build_did(app: &TestApp, id: CommitmentId) {
    let event = Event::Commitment(CommitmentEvent::CommitmentMade(Commitment {
        commitment_id: id,
        mechanism_id: MechanismId::parse(MECHANISM_A).expect("a slug"),
        title: "A commitment with absurd dates".to_owned(),
        description: String::new(),
        gcm_objectives: vec![ObjectiveNumber::new(5).expect("an objective")],
        sdg_targets: vec![SdgTargetCode::parse("10.7").expect("a target")],
        recommendation_ids: Vec::new(),
        made_on: date!(-0001 - 01 - 01),
        due_date: Some(date!(9999 - 12 - 31)),
        indicator: None,
    }));
    app.store
        .append(AppendRequest {
            stream_id: StreamId::Commitment(id).to_string(),
            expected_version: ExpectedVersion::NoStream,
            events: vec![NewEvent {
                event_id: Uuid::now_v7(),
                event_type: event.event_type().to_owned(),
                schema_version: i32::try_from(event.schema_version()).expect("a small version"),
                payload: event.to_payload(),
                metadata: Metadata {
                    token_id: Some(app.reporter_a.id.clone()),
                    role: "reporter".to_owned(),
                    correlation_id: None,
                    causation_id: None,
                },
            }],
            idempotency: None,
        })
        .await
        .expect("append the old build's event");
}

/// Every read that lists, counts or shows commitments answers 200 (`query` is added to each; the
/// pages take no `known_at`, so with one only the API is asked).
async fn every_read_answers(app: &TestApp, id: &CommitmentId, query: &str, case: &str) {
    let routes = [
        "/v1/commitments?".to_owned(),
        "/v1/commitments?format=csv&".to_owned(),
        format!("/v1/commitments/{id}?"),
        format!("/v1/commitments/{id}/history?"),
        "/v1/progress/objectives?".to_owned(),
        "/v1/progress/sdg-targets?".to_owned(),
        "/v1/progress/objectives?as_of=2016-01-01&".to_owned(),
        "/v1/progress/timeline?objective=5&".to_owned(),
        "/v1/progress/changes?from=2018-01-01&".to_owned(),
        "/v1/progress/changes?from=1900-01-01&".to_owned(),
        "/?".to_owned(),
        "/objectives/5?".to_owned(),
        "/sdg-targets/10.7?".to_owned(),
        format!("/mechanisms/{MECHANISM_A}?"),
        format!("/commitments/{id}?"),
        "/changes?from=2018-01-01&".to_owned(),
        "/commitments.csv?".to_owned(),
        "/progress/objectives.csv?".to_owned(),
    ];
    for route in routes {
        if query.contains("known_at") && !route.starts_with("/v1/") {
            continue;
        }
        let path = format!("{route}{query}");
        let reply = app.get(&path).send().await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{case}: {path}: {}",
            reply.text
        );
    }
}
