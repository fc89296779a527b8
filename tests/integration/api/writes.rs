//! Every write route (SPEC.md "HTTP API"): what it answers when it succeeds (`201`, `ETag`,
//! `{id, version, position}`), and each of its documented refusals, which append nothing.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::helpers::{MECHANISM_A, TestApp, commitment_body, progress_body, today_plus};
use crate::backends::{Backend, for_each_backend};

for_each_backend!(
    registering_a_mechanism_is_201_and_a_second_time_409,
    adding_a_recommendation_is_201_and_a_built_in_id_409,
    making_a_commitment_is_201_with_its_fields_readable,
    a_commitment_naming_unknown_things_is_422_naming_the_field,
    a_revision_must_change_something_give_a_reason_and_keep_the_mechanism,
    progress_updates_get_sequence_numbers_and_an_etag,
    a_retraction_of_an_unknown_update_is_404_and_twice_409,
    validation_is_for_admins_and_a_repeated_decision_is_409,
    after_a_withdrawal_every_write_is_409,
    writes_to_an_unknown_commitment_are_404,
    if_match_the_current_version_is_201_and_a_stale_one_412,
);

async fn registering_a_mechanism_is_201_and_a_second_time_409(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let body = json!({
        "id": "bali-process",
        "name": "Bali Process on People Smuggling, Trafficking in Persons and Related Transnational Crime",
        "kind": "regional_consultative_process",
        "region": "Asia and the Pacific",
    });
    let reply = app
        .post_json("/v1/mechanisms", Some(&app.admin.token), &body)
        .await
        .expect_created("register");
    assert_eq!(reply.body["id"], "bali-process");
    assert_eq!(reply.body["version"], 1);
    assert_eq!(
        reply.header("location"),
        Some("/v1/mechanisms/bali-process")
    );
    let event = app.feed().await.pop().unwrap();
    assert_eq!(event["stream_id"], "mechanism-bali-process");
    assert_eq!(event["type"], "mechanism_registered");
    assert_eq!(event["data"]["name"], body["name"]);

    let head = app.feed_head().await;
    let again = json!({"id": "bali-process", "name": "Another name", "kind": "other"});
    app.post_json("/v1/mechanisms", Some(&app.admin.token), &again)
        .await
        .expect_problem(StatusCode::CONFLICT, "the id exists");
    app.assert_head_unchanged(head, "duplicate mechanism").await;

    let invalid = [
        (
            "bad slug",
            json!({"id": "Bali Process", "name": "x", "kind": "other"}),
            "id",
        ),
        (
            "unknown kind",
            json!({"id": "abc", "name": "x", "kind": "empire"}),
            "kind",
        ),
        (
            "blank name",
            json!({"id": "abc", "name": "  ", "kind": "other"}),
            "name",
        ),
    ];
    for (case, body, field) in invalid {
        app.post_json("/v1/mechanisms", Some(&app.admin.token), &body)
            .await
            .expect_invalid(Some(field), case);
        app.assert_head_unchanged(head, case).await;
    }
}

async fn adding_a_recommendation_is_201_and_a_built_in_id_409(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let body = json!({
        "id": "gfmd-2024-3",
        "text": "Strengthen data on labour migration.",
        "theme": "data",
        "source": "GFMD 2024",
    });
    let reply = app
        .post_json("/v1/recommendations", Some(&app.admin.token), &body)
        .await
        .expect_created("add");
    assert_eq!(reply.body["id"], "gfmd-2024-3");
    assert_eq!(
        reply.header("location"),
        Some("/v1/recommendations/gfmd-2024-3")
    );
    // The new recommendation can be cited at once.
    let mut commitment = commitment_body(MECHANISM_A);
    commitment["recommendation_ids"] = json!(["grcp7-6.1", "gfmd-2024-3"]);
    app.post_json("/v1/commitments", Some(&app.admin.token), &commitment)
        .await
        .expect_created("cite the new recommendation");

    let head = app.feed_head().await;
    for (case, id) in [
        ("the same id again", "gfmd-2024-3"),
        ("a built-in id", "grcp7-6.1"),
    ] {
        let mut again = body.clone();
        again["id"] = json!(id);
        app.post_json("/v1/recommendations", Some(&app.admin.token), &again)
            .await
            .expect_problem(StatusCode::CONFLICT, case);
        app.assert_head_unchanged(head, case).await;
    }
}

async fn making_a_commitment_is_201_with_its_fields_readable(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let head = app.feed_head().await;
    let body = commitment_body(MECHANISM_A);
    let reply = app
        .post_json("/v1/commitments", Some(&app.reporter_a.token), &body)
        .await
        .expect_created("make");
    let id = reply.body["id"].as_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "the id is a UUID: {id}");
    assert_eq!(reply.body["version"], 1);
    assert_eq!(reply.body["position"], head + 1);
    assert_eq!(
        reply.header("location"),
        Some(format!("/v1/commitments/{id}").as_str())
    );

    let view = app.commitment(&id, "").await;
    for field in [
        "mechanism_id",
        "title",
        "description",
        "gcm_objectives",
        "sdg_targets",
        "recommendation_ids",
        "made_on",
        "due_date",
    ] {
        assert_eq!(view[field], body[field], "{field}");
    }
    assert_eq!(view["indicator"]["name"], "Workers placed");
    assert_eq!(view["status"], "planned");
    assert_eq!(view["version"], 1);

    // made_on defaults to the day it is recorded.
    let mut without_date = commitment_body(MECHANISM_A);
    without_date.as_object_mut().unwrap().remove("made_on");
    without_date.as_object_mut().unwrap().remove("due_date");
    let reply = app
        .post_json("/v1/commitments", Some(&app.admin.token), &without_date)
        .await
        .expect_created("without made_on");
    let view = app.commitment(reply.body["id"].as_str().unwrap(), "").await;
    assert_eq!(view["made_on"], today_plus(0));
}

async fn a_commitment_naming_unknown_things_is_422_naming_the_field(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let head = app.feed_head().await;
    let cases: Vec<(&str, &str, Value, Option<&str>)> = vec![
        (
            "objective 24",
            "gcm_objectives",
            json!([24]),
            Some("gcm_objectives[0]"),
        ),
        (
            "objective 0",
            "gcm_objectives",
            json!([3, 0]),
            Some("gcm_objectives[1]"),
        ),
        (
            "no objective",
            "gcm_objectives",
            json!([]),
            Some("gcm_objectives"),
        ),
        (
            "repeated objective",
            "gcm_objectives",
            json!([5, 5]),
            Some("gcm_objectives[1]"),
        ),
        (
            "SDG target 99.9",
            "sdg_targets",
            json!(["10.7", "99.9"]),
            Some("sdg_targets[1]"),
        ),
        (
            "well-formed unknown SDG target",
            "sdg_targets",
            json!(["10.7", "10.9"]),
            Some("sdg_targets[1]"),
        ),
        (
            "repeated SDG target",
            "sdg_targets",
            json!(["10.7", "10.7"]),
            Some("sdg_targets[1]"),
        ),
        (
            "unknown recommendation",
            "recommendation_ids",
            json!(["grcp7-6.1", "no-such-recommendation"]),
            Some("recommendation_ids[1]"),
        ),
        (
            "unknown mechanism",
            "mechanism_id",
            json!("no-such-mechanism"),
            Some("mechanism_id"),
        ),
        (
            "mechanism not a slug",
            "mechanism_id",
            json!("Not A Slug"),
            Some("mechanism_id"),
        ),
        ("blank title", "title", json!(" "), Some("title")),
        (
            "title too long",
            "title",
            json!("x".repeat(201)),
            Some("title"),
        ),
        (
            "made in the future",
            "made_on",
            json!(today_plus(1)),
            Some("made_on"),
        ),
        (
            "due before made",
            "due_date",
            json!("2019-12-31"),
            Some("due_date"),
        ),
        (
            "indicator without unit",
            "indicator",
            json!({"name": "People"}),
            Some("indicator.unit"),
        ),
        (
            "indicator with a blank name",
            "indicator",
            json!({"name": "", "unit": "people"}),
            Some("indicator.name"),
        ),
    ];
    for (case, field, value, expected) in cases {
        let mut body = commitment_body(MECHANISM_A);
        body[field] = value;
        app.post_json("/v1/commitments", Some(&app.admin.token), &body)
            .await
            .expect_invalid(expected, case);
        app.assert_head_unchanged(head, case).await;
    }
}

async fn a_revision_must_change_something_give_a_reason_and_keep_the_mechanism(
    backend: &impl Backend,
) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    let path = format!("/v1/commitments/{id}/revisions");
    let reply = app
        .post_json(
            &path,
            Some(&app.reporter_a.token),
            &json!({"title": "Skills partnerships, phase 2", "sdg_targets": ["10.7"], "reason": "Scope narrowed."}),
        )
        .await
        .expect_created("revise");
    assert_eq!(reply.body["version"], 2);
    let view = app.commitment(&id, "").await;
    assert_eq!(view["title"], "Skills partnerships, phase 2");
    assert_eq!(view["sdg_targets"], json!(["10.7"]));
    let revised = app.history(&id).await.pop().unwrap();
    assert_eq!(revised["type"], "commitment_revised");
    assert_eq!(revised["data"]["reason"], "Scope narrowed.");

    let head = app.feed_head().await;
    let cases: Vec<(&str, Value, Option<&str>)> = vec![
        (
            "changes nothing",
            json!({"title": "Skills partnerships, phase 2", "reason": "Again."}),
            None,
        ),
        ("no fields at all", json!({"reason": "Nothing."}), None),
        (
            "missing reason",
            json!({"title": "Another title"}),
            Some("reason"),
        ),
        (
            "blank reason",
            json!({"title": "Another title", "reason": " "}),
            Some("reason"),
        ),
        (
            "moves to another mechanism",
            json!({"mechanism_id": "mechanism-b", "reason": "Moved."}),
            Some("mechanism_id"),
        ),
        (
            "unknown objective",
            json!({"gcm_objectives": [1, 24], "reason": "More."}),
            Some("gcm_objectives[1]"),
        ),
        (
            "unknown recommendation",
            json!({"recommendation_ids": ["nope-1"], "reason": "More."}),
            Some("recommendation_ids[0]"),
        ),
        (
            "made in the future",
            json!({"made_on": today_plus(3), "reason": "Typo."}),
            Some("made_on"),
        ),
    ];
    for (case, body, field) in cases {
        app.post_json(&path, Some(&app.reporter_a.token), &body)
            .await
            .expect_invalid(field, case);
        app.assert_head_unchanged(head, case).await;
    }
}

async fn progress_updates_get_sequence_numbers_and_an_etag(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    let path = format!("/v1/commitments/{id}/progress");
    for (seq, (status, date, percent)) in [
        ("in_progress", "2021-03-31", 20),
        ("delayed", "2022-03-31", 30),
        ("in_progress", "2023-03-31", 70),
    ]
    .into_iter()
    .enumerate()
    {
        let seq = seq + 1;
        let case = format!("update {seq}");
        let reply = app
            .post_json(
                &path,
                Some(&app.reporter_a.token),
                &progress_body(status, date, percent),
            )
            .await
            .expect_created(&case);
        assert_eq!(reply.body["seq"], seq, "{case}");
        assert_eq!(reply.body["version"], seq + 1, "{case}");
        assert_eq!(reply.body["id"], id.as_str(), "{case}");
        assert_eq!(reply.body["position"], app.feed_head().await, "{case}");
    }
    let view = app.commitment(&id, "").await;
    assert_eq!(view["status"], "in_progress");
    assert_eq!(view["percent_complete"], 70);
    assert_eq!(view["latest_update"]["seq"], 3);
    assert_eq!(view["updates"].as_array().unwrap().len(), 3);
    assert_eq!(
        view["freshness"], "current",
        "updates were recorded today: {view}"
    );
}

async fn a_retraction_of_an_unknown_update_is_404_and_twice_409(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    let token = app.reporter_a.token.clone();
    app.report(&token, &id, &progress_body("achieved", "2021-03-31", 100))
        .await;
    app.report(&token, &id, &progress_body("in_progress", "2021-02-28", 50))
        .await;
    assert_eq!(app.commitment(&id, "").await["status"], "achieved");

    let reason = json!({"reason": "Reported for the wrong commitment."});
    app.post_json(
        &format!("/v1/commitments/{id}/progress/1/retraction"),
        Some(&token),
        &reason,
    )
    .await
    .expect_created("retract update 1");
    let view = app.commitment(&id, "").await;
    assert_eq!(
        view["status"], "in_progress",
        "the retracted update stops counting"
    );
    assert_eq!(
        view["updates"][0]["retracted"],
        "Reported for the wrong commitment."
    );

    let head = app.feed_head().await;
    let cases = [
        ("retract update 1 again", "1", StatusCode::CONFLICT),
        ("retract an unknown update", "3", StatusCode::NOT_FOUND),
        ("retract update 0", "0", StatusCode::NOT_FOUND),
        ("seq is not a number", "first", StatusCode::NOT_FOUND),
        ("seq overflows", "99999999999", StatusCode::NOT_FOUND),
    ];
    for (case, seq, status) in cases {
        app.post_json(
            &format!("/v1/commitments/{id}/progress/{seq}/retraction"),
            Some(&token),
            &reason,
        )
        .await
        .expect_problem(status, case);
        app.assert_head_unchanged(head, case).await;
    }
    app.post_json(
        &format!("/v1/commitments/{id}/progress/2/retraction"),
        Some(&token),
        &json!({"reason": ""}),
    )
    .await
    .expect_invalid(Some("reason"), "blank reason");
    app.assert_head_unchanged(head, "blank reason").await;
}

async fn validation_is_for_admins_and_a_repeated_decision_is_409(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    app.report(
        &app.reporter_a.token,
        &id,
        &progress_body("achieved", "2021-03-31", 100),
    )
    .await;
    let path = format!("/v1/commitments/{id}/progress/1/validation");
    let rejected = json!({"decision": "rejected", "note": "No evidence."});

    let head = app.feed_head().await;
    app.post_json(&path, Some(&app.reporter_a.token), &rejected)
        .await
        .expect_problem(StatusCode::FORBIDDEN, "the commitment's own reporter");
    app.assert_head_unchanged(head, "reporter validates").await;

    app.post_json(&path, Some(&app.admin.token), &rejected)
        .await
        .expect_created("admin rejects");
    let view = app.commitment(&id, "").await;
    assert_eq!(view["updates"][0]["validation"], "rejected");
    assert_eq!(
        view["status"], "planned",
        "a rejected update does not count"
    );

    let head = app.feed_head().await;
    app.post_json(&path, Some(&app.admin.token), &rejected)
        .await
        .expect_problem(StatusCode::CONFLICT, "rejected twice");
    app.post_json(
        &format!("/v1/commitments/{id}/progress/2/validation"),
        Some(&app.admin.token),
        &rejected,
    )
    .await
    .expect_problem(StatusCode::NOT_FOUND, "unknown update");
    app.post_json(
        &path,
        Some(&app.admin.token),
        &json!({"decision": "approved", "note": "?"}),
    )
    .await
    .expect_invalid(Some("decision"), "unknown decision");
    app.assert_head_unchanged(head, "refused decisions").await;

    app.post_json(
        &path,
        Some(&app.admin.token),
        &json!({"decision": "validated", "note": "Evidence received."}),
    )
    .await
    .expect_created("the secretariat changes its mind");
    let view = app.commitment(&id, "?validated_only=true").await;
    assert_eq!(view["status"], "achieved");

    // A retracted update is no longer open to judgement.
    app.post_json(
        &format!("/v1/commitments/{id}/progress/1/retraction"),
        Some(&app.reporter_a.token),
        &json!({"reason": "Figures were provisional."}),
    )
    .await
    .expect_created("retract the validated update");
    let head = app.feed_head().await;
    app.post_json(&path, Some(&app.admin.token), &rejected)
        .await
        .expect_problem(StatusCode::CONFLICT, "judge a retracted update");
    app.assert_head_unchanged(head, "judge a retracted update")
        .await;
}

async fn after_a_withdrawal_every_write_is_409(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    let token = app.reporter_a.token.clone();
    app.report(&token, &id, &progress_body("in_progress", "2021-03-31", 10))
        .await;
    app.post_json(
        &format!("/v1/commitments/{id}/withdrawal"),
        Some(&token),
        &json!({"reason": "Merged into another commitment."}),
    )
    .await
    .expect_created("withdraw");
    assert_eq!(app.commitment(&id, "").await["status"], "withdrawn");

    let head = app.feed_head().await;
    let cases = [
        (
            "revise",
            format!("/v1/commitments/{id}/revisions"),
            json!({"title": "New", "reason": "Why not."}),
            &token,
        ),
        (
            "log progress",
            format!("/v1/commitments/{id}/progress"),
            progress_body("achieved", "2022-01-31", 100),
            &token,
        ),
        (
            "retract",
            format!("/v1/commitments/{id}/progress/1/retraction"),
            json!({"reason": "Oops."}),
            &token,
        ),
        (
            "validate",
            format!("/v1/commitments/{id}/progress/1/validation"),
            json!({"decision": "validated", "note": ""}),
            &app.admin.token,
        ),
        (
            "withdraw again",
            format!("/v1/commitments/{id}/withdrawal"),
            json!({"reason": "Again."}),
            &token,
        ),
    ];
    for (case, path, body, token) in cases {
        app.post_json(&path, Some(token), &body)
            .await
            .expect_problem(StatusCode::CONFLICT, case);
        app.assert_head_unchanged(head, case).await;
    }
}

async fn writes_to_an_unknown_commitment_are_404(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let head = app.feed_head().await;
    let unknown = uuid::Uuid::now_v7();
    let cases = [
        (
            "revise",
            format!("/v1/commitments/{unknown}/revisions"),
            json!({"title": "New", "reason": "Why not."}),
        ),
        (
            "log progress",
            format!("/v1/commitments/{unknown}/progress"),
            progress_body("achieved", "2022-01-31", 100),
        ),
        (
            "retract",
            format!("/v1/commitments/{unknown}/progress/1/retraction"),
            json!({"reason": "Oops."}),
        ),
        (
            "validate",
            format!("/v1/commitments/{unknown}/progress/1/validation"),
            json!({"decision": "validated", "note": ""}),
        ),
        (
            "withdraw",
            format!("/v1/commitments/{unknown}/withdrawal"),
            json!({"reason": "Gone."}),
        ),
        (
            "not a UUID",
            "/v1/commitments/not-a-uuid/withdrawal".to_owned(),
            json!({"reason": "Gone."}),
        ),
    ];
    for (case, path, body) in cases {
        for (who, token) in [
            ("admin", &app.admin.token),
            ("reporter", &app.reporter_a.token),
        ] {
            if case == "validate" && who == "reporter" {
                continue; // validation is the admin's: 403 before the commitment is looked up
            }
            let case = format!("{case} as {who}");
            app.post_json(&path, Some(token), &body)
                .await
                .expect_problem(StatusCode::NOT_FOUND, &case);
            app.assert_head_unchanged(head, &case).await;
        }
    }
}

async fn if_match_the_current_version_is_201_and_a_stale_one_412(backend: &impl Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app
        .make_commitment(&app.reporter_a.token, MECHANISM_A)
        .await;
    let path = format!("/v1/commitments/{id}/progress");
    let token = app.reporter_a.token.clone();

    let reply = app
        .post(&path)
        .bearer(&token)
        .header("if-match", "\"1\"")
        .json(&progress_body("in_progress", "2021-03-31", 10))
        .send()
        .await
        .expect_created("If-Match the current version");
    assert_eq!(reply.header("etag"), Some("\"2\""));

    // The ETag of one write is the If-Match of the next.
    let etag = reply.header("etag").unwrap().to_owned();
    app.post(&format!("/v1/commitments/{id}/revisions"))
        .bearer(&token)
        .header("if-match", &etag)
        .json(&json!({"description": "Now with a pilot in two countries.", "reason": "Detail."}))
        .send()
        .await
        .expect_created("If-Match from the previous ETag");

    let head = app.feed_head().await;
    for (case, if_match) in [
        ("stale version", "\"2\""),
        ("version 0", "\"0\""),
        ("a version from the future", "\"9\""),
        ("unquoted stale version", "1"),
    ] {
        let reply = app
            .post(&path)
            .bearer(&token)
            .header("if-match", if_match)
            .json(&progress_body("achieved", "2021-06-30", 100))
            .send()
            .await
            .expect_problem(StatusCode::PRECONDITION_FAILED, case);
        assert_eq!(reply.body["current_version"], 3, "{case}: {}", reply.text);
        app.assert_head_unchanged(head, case).await;
    }
    for (case, if_match) in [
        ("not a version", "\"abc\""),
        ("negative", "\"-1\""),
        ("a list of versions", "\"1\", \"2\""),
    ] {
        app.post(&path)
            .bearer(&token)
            .header("if-match", if_match)
            .json(&progress_body("achieved", "2021-06-30", 100))
            .send()
            .await
            .expect_problem(StatusCode::BAD_REQUEST, case);
        app.assert_head_unchanged(head, case).await;
    }
    // On a new resource, If-Match names the version it must not yet have.
    let head = app.feed_head().await;
    app.post("/v1/mechanisms")
        .bearer(&app.admin.token)
        .header("if-match", "\"3\"")
        .json(&json!({"id": "if-match-mechanism", "name": "x", "kind": "other"}))
        .send()
        .await
        .expect_problem(
            StatusCode::PRECONDITION_FAILED,
            "If-Match on a stream that does not exist",
        );
    app.assert_head_unchanged(head, "If-Match on a new mechanism")
        .await;
}
