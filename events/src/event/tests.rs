//! Wire-format tests of [`Event`]: every variant round-trips through storage, and the names and
//! shapes that clients and stored data depend on are pinned.

use serde_json::{Value, json};

use super::registry::EVENT_TYPES;
use super::samples::every_event;
use super::upcast::UpcastError;
use super::{Event, WrongStream};
use crate::event::commitment::CommitmentEvent;
use crate::stream::StreamKind;

#[test]
fn every_registered_type_has_a_sample_and_every_sample_is_registered() {
    let sampled: Vec<&str> = every_event().iter().map(Event::event_type).collect();
    let registered: Vec<&str> = EVENT_TYPES.iter().map(|t| t.name).collect();
    assert_eq!(sampled, registered);
}

#[test]
fn every_event_round_trips_through_its_stored_columns() {
    for event in every_event() {
        let payload = event.to_payload();
        assert!(payload.is_object(), "{}", event.event_type());
        assert!(payload.get("type").is_none(), "{}", event.event_type());
        let read = Event::from_stored(event.event_type(), event.schema_version(), payload);
        assert_eq!(read.as_ref(), Ok(&event), "{}", event.event_type());
    }
}

#[test]
fn serde_tags_spell_the_registered_names() {
    for event in every_event() {
        let tagged = match &event {
            Event::Mechanism(inner) => serde_json::to_value(inner),
            Event::Recommendation(inner) => serde_json::to_value(inner),
            Event::ReviewPoint(inner) => serde_json::to_value(inner),
            Event::Catalogue(inner) => serde_json::to_value(inner),
            Event::Commitment(inner) => serde_json::to_value(inner),
        }
        .expect("serialisable");
        assert_eq!(tagged["type"], Value::from(event.event_type()));
    }
}

#[test]
fn a_progress_report_is_stored_in_the_pinned_version_two_shape() {
    let event = every_event()
        .into_iter()
        .find(|event| event.event_type() == "progress_reported")
        .expect("sampled");
    assert_eq!(event.schema_version(), 2);
    assert_eq!(
        event.to_payload(),
        json!({
            "seq": 1,
            "status": "in_progress",
            "effective_date": "2021-03-31",
            "percent_complete": 40,
            "indicator_value": "1250",
            "narrative": "Piloted in two countries.",
            "evidence_urls": ["https://example.org/report.pdf"]
        })
    );
}

#[test]
fn a_revision_stores_only_changed_fields_and_null_for_a_removed_one() {
    let event = every_event()
        .into_iter()
        .find(|event| event.event_type() == "commitment_revised")
        .expect("sampled");
    assert_eq!(
        event.to_payload(),
        json!({
            "changes": {"title": "Pre-departure orientation", "due_date": null},
            "reason": "Shorter title; no fixed end date."
        })
    );
}

#[test]
fn flattened_reference_events_keep_their_fields_beside_the_tag() {
    let event = every_event()
        .into_iter()
        .find(|event| event.event_type() == "review_point_added")
        .expect("sampled");
    assert_eq!(
        event.to_payload(),
        json!({
            "id": "imrf-2022",
            "name": "First International Migration Review Forum",
            "starts_on": "2022-05-17",
            "ends_on": "2022-05-20"
        })
    );
}

#[test]
fn converting_an_event_to_another_streams_enum_names_both() {
    let mechanism = every_event().remove(0);
    assert_eq!(mechanism.stream_kind(), StreamKind::Mechanism);
    assert_eq!(
        CommitmentEvent::try_from(mechanism),
        Err(WrongStream {
            event_type: "mechanism_registered",
            expected: StreamKind::Commitment
        })
    );
}

#[test]
fn reading_the_payload_text_gives_what_reading_its_json_value_gives() {
    for event in every_event() {
        let payload = event.to_payload();
        let text = payload.to_string();
        let (name, version) = (event.event_type(), event.schema_version());
        assert_eq!(
            Event::from_stored_json(name, version, &text),
            Event::from_stored(name, version, payload),
            "{name}"
        );
        assert_eq!(
            Event::from_stored_json(name, version, &text),
            Ok(event),
            "{name}"
        );
    }
}

#[test]
fn reading_the_payload_text_of_an_older_version_upcasts_it() {
    let text = include_str!("fixtures/progress_reported.v1.json");
    let payload: Value = serde_json::from_str(text).expect("fixture is JSON");
    let read = Event::from_stored_json("progress_reported", 1, text);
    assert_eq!(read, Event::from_stored("progress_reported", 1, payload));
    let Ok(Event::Commitment(CommitmentEvent::ProgressReported(report))) = read else {
        panic!("not a progress report: {read:?}");
    };
    assert_eq!(
        report.evidence_urls,
        ["https://example.org/reports/2021-q1-orientation.pdf"]
    );
}

#[test]
fn reading_a_bad_payload_text_fails_as_reading_its_json_value_fails() {
    let cases = [
        ("not an object", "commitment_made", 1, "[]"),
        ("a missing field", "progress_validated", 1, r#"{"seq": 1}"#),
        (
            "a field of the wrong type",
            "progress_retracted",
            1,
            r#"{"seq": "one", "reason": ""}"#,
        ),
        (
            "an invalid date",
            "commitment_withdrawn",
            1,
            r#"{"reason": "", "withdrawn_on": "soon"}"#,
        ),
        (
            "an invalid slug",
            "mechanism_registered",
            1,
            r#"{"id": "Not A Slug"}"#,
        ),
        (
            "a catalogue edition",
            "sdg_targets_loaded",
            1,
            r#"{"version": 1}"#,
        ),
        ("an unknown type", "commitment_deleted", 1, "{}"),
        ("a version from a newer build", "progress_reported", 3, "{}"),
        (
            "an older version",
            "progress_reported",
            1,
            r#"{"evidence_url": 7}"#,
        ),
    ];
    for (case, name, version, text) in cases {
        let payload: Value = serde_json::from_str(text).expect("the case is JSON");
        let expected = Event::from_stored(name, version, payload);
        assert!(expected.is_err(), "{case}");
        assert_eq!(
            Event::from_stored_json(name, version, text),
            expected,
            "{case}"
        );
    }
}

#[test]
fn a_payload_text_that_is_not_json_is_an_invalid_payload() {
    let read = Event::from_stored_json("progress_validated", 1, r#"{"seq": 1,"#);
    assert!(
        matches!(
            read,
            Err(UpcastError::InvalidPayload { ref event_type, schema_version: 1, ref message })
                if event_type == "progress_validated" && message.starts_with("the payload is not JSON")
        ),
        "{read:?}"
    );
}
