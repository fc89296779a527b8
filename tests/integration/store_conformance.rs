//! The event store contract (SPEC.md "Event store guarantees"), one generic body per guarantee,
//! run against SQLite and PostgreSQL alike.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use compact_tracker::store::chain_check::ChainCheck;
use compact_tracker::store::{
    AppendOutcome, AppendRequest, EventStore, ExpectedVersion, IdempotencyRecord, Metadata,
    NewEvent, StoreError,
};
use serde_json::json;
use tokio::sync::Barrier;
use uuid::Uuid;

use crate::backends::{Backend, for_each_backend};

for_each_backend!(
    appended_events_read_back_in_order_with_a_hash_chain,
    expected_versions_are_enforced_with_the_actual_version,
    concurrent_appenders_to_one_stream_win_each_version_exactly_once,
    a_subscriber_sees_every_acknowledged_event_once_in_order_while_many_write,
    two_store_handles_on_one_database_keep_a_single_order,
    retrying_an_append_returns_the_original_result_and_writes_nothing,
    an_idempotency_key_is_stored_with_its_append_and_blocks_a_second_write,
    the_database_refuses_update_and_delete_of_events,
    verify_names_the_first_tampered_position,
    the_audit_pages_chain_check_extends_over_new_events_and_finds_tampering_after_them,
    reopening_a_store_keeps_everything,
    append_at_records_the_given_time_but_never_goes_back,
    the_projection_read_returns_what_read_all_returns_with_the_payload_as_text,
);

fn event(payload: serde_json::Value) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "thing_happened".into(),
        schema_version: 1,
        payload,
        metadata: Metadata {
            token_id: Some("token-1".into()),
            role: "admin".into(),
            correlation_id: Some("request-1".into()),
            causation_id: None,
        },
    }
}

fn append(stream: &str, expected: ExpectedVersion, events: Vec<NewEvent>) -> AppendRequest {
    AppendRequest {
        stream_id: stream.into(),
        expected_version: expected,
        events,
        idempotency: None,
    }
}

async fn appended_events_read_back_in_order_with_a_hash_chain(backend: &impl Backend) {
    let store = backend.open().await;
    let first = store
        .append(append(
            "a",
            ExpectedVersion::NoStream,
            vec![event(json!({"n": 1})), event(json!({"n": 2}))],
        ))
        .await
        .unwrap();
    assert_eq!(
        (
            first.first_position,
            first.last_position,
            first.stream_version
        ),
        (1, 2, 2)
    );
    let second = store
        .append(append(
            "b",
            ExpectedVersion::Any,
            vec![event(json!({"text": "é ✓ \"quoted\""}))],
        ))
        .await
        .unwrap();
    assert_eq!((second.first_position, second.stream_version), (3, 1));

    let all = store.read_all(0, 100).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.position).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(all[2].payload, json!({"text": "é ✓ \"quoted\""}));
    assert_eq!(all[0].metadata.token_id.as_deref(), Some("token-1"));
    assert!(all.windows(2).all(|w| w[0].recorded_at <= w[1].recorded_at));
    assert!(all.windows(2).all(|w| w[0].hash != w[1].hash));

    let stream = store.read_stream("a", 2).await.unwrap();
    assert_eq!(stream.len(), 1);
    assert_eq!(stream[0].payload, json!({"n": 2}));
    assert_eq!(store.head().await.unwrap(), 3);

    let report = store.verify().await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.events_checked, 3);
    assert_eq!(report.head_hash, Some(all[2].hash));
}

async fn expected_versions_are_enforced_with_the_actual_version(backend: &impl Backend) {
    let store = backend.open().await;
    let missing = store
        .append(append(
            "s",
            ExpectedVersion::StreamExists,
            vec![event(json!(1))],
        ))
        .await;
    assert!(matches!(
        missing,
        Err(StoreError::WrongExpectedVersion { actual: 0, .. })
    ));
    store
        .append(append(
            "s",
            ExpectedVersion::Exact(0),
            vec![event(json!(1))],
        ))
        .await
        .unwrap();
    for expected in [
        ExpectedVersion::NoStream,
        ExpectedVersion::Exact(0),
        ExpectedVersion::Exact(5),
    ] {
        let result = store
            .append(append("s", expected, vec![event(json!(2))]))
            .await;
        assert!(
            matches!(
                result,
                Err(StoreError::WrongExpectedVersion { actual: 1, .. })
            ),
            "{expected:?}: {result:?}"
        );
    }
    let accepted = store
        .append(append(
            "s",
            ExpectedVersion::Exact(1),
            vec![event(json!(2))],
        ))
        .await
        .unwrap();
    assert_eq!(accepted.stream_version, 2);
    assert_eq!(
        store.head().await.unwrap(),
        2,
        "rejected appends wrote nothing"
    );
}

async fn concurrent_appenders_to_one_stream_win_each_version_exactly_once(backend: &impl Backend) {
    const WRITERS: usize = 16;
    const ROUNDS: i64 = 12;
    let store = backend.open().await;
    let barrier = Arc::new(Barrier::new(WRITERS));
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let store = store.clone();
        let barrier = Arc::clone(&barrier);
        tasks.push(tokio::spawn(async move {
            let mut wins = Vec::new();
            for round in 0..ROUNDS {
                barrier.wait().await;
                let request = append(
                    "contended",
                    ExpectedVersion::Exact(round),
                    vec![event(json!({"writer": writer, "round": round}))],
                );
                match store.append(request).await {
                    Ok(result) => wins.push(result.stream_version),
                    Err(StoreError::WrongExpectedVersion { actual, .. }) => {
                        assert_eq!(actual, round + 1, "a loser sees the winner's version");
                    }
                    Err(other) => panic!("unexpected error: {other}"),
                }
            }
            wins
        }));
    }
    let mut wins: Vec<i64> = Vec::new();
    for task in tasks {
        wins.extend(task.await.unwrap());
    }
    wins.sort_unstable();
    assert_eq!(
        wins,
        (1..=ROUNDS).collect::<Vec<_>>(),
        "one winner per version, no gaps"
    );
    let stream = store.read_stream("contended", 1).await.unwrap();
    let versions: Vec<i64> = stream.iter().map(|e| e.stream_version).collect();
    assert_eq!(versions, (1..=ROUNDS).collect::<Vec<_>>());
}

/// Appends from `writers` tasks to distinct streams with random pauses, returning every
/// acknowledged (event id, stream, version).
async fn write_concurrently<S: EventStore>(
    stores: Vec<S>,
    writers: usize,
    appends_each: usize,
) -> Vec<(Uuid, String, i64)> {
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let store = stores[writer % stores.len()].clone();
        tasks.push(tokio::spawn(async move {
            let stream = format!("writer-{writer}");
            let mut acknowledged = Vec::new();
            for n in 0..appends_each {
                let events: Vec<NewEvent> = (0..1 + n % 3)
                    .map(|i| event(json!({"n": n, "i": i})))
                    .collect();
                let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
                let result = store
                    .append(append(&stream, ExpectedVersion::Any, events))
                    .await
                    .unwrap();
                let first_version = result.stream_version - i64::try_from(ids.len()).unwrap() + 1;
                for (offset, id) in ids.into_iter().enumerate() {
                    let version = first_version + i64::try_from(offset).unwrap();
                    acknowledged.push((id, stream.clone(), version));
                }
                if (writer + n) % 4 == 0 {
                    let pause = u64::try_from((writer * 7 + n * 13) % 5).unwrap();
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
            }
            acknowledged
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all
}

/// Reads `count` events from a subscription started at 0 and checks order and uniqueness.
async fn tail<S: EventStore>(store: S, count: usize) -> Vec<(Uuid, String, i64)> {
    let mut subscription = store.subscribe(0);
    let mut seen = Vec::with_capacity(count);
    let mut last_position = 0;
    while seen.len() < count {
        let next = tokio::time::timeout(Duration::from_secs(30), subscription.next()).await;
        let event = next.expect("the subscriber keeps up").unwrap();
        assert_eq!(
            event.position,
            last_position + 1,
            "no gap, no repeat, in order"
        );
        last_position = event.position;
        seen.push((event.event_id, event.stream_id, event.stream_version));
    }
    seen
}

fn assert_seen_exactly(seen: &[(Uuid, String, i64)], acknowledged: &[(Uuid, String, i64)]) {
    assert_eq!(seen.len(), acknowledged.len());
    let seen_set: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(seen_set.len(), seen.len(), "no event twice");
    let acknowledged_set: HashSet<_> = acknowledged.iter().cloned().collect();
    assert_eq!(
        seen_set, acknowledged_set,
        "every acknowledged event, with its version"
    );
    let mut last_version: HashMap<&str, i64> = HashMap::new();
    for (_, stream, version) in seen {
        let previous = last_version.insert(stream, *version).unwrap_or(0);
        assert_eq!(
            *version,
            previous + 1,
            "stream {stream} versions are contiguous in order"
        );
    }
}

async fn a_subscriber_sees_every_acknowledged_event_once_in_order_while_many_write(
    backend: &impl Backend,
) {
    const WRITERS: usize = 12;
    const APPENDS: usize = 40;
    let store = backend.open().await;
    let expected_events = WRITERS * (0..APPENDS).map(|n| 1 + n % 3).sum::<usize>();
    let subscriber = tokio::spawn(tail(store.clone(), expected_events));
    let acknowledged = write_concurrently(vec![store.clone()], WRITERS, APPENDS).await;
    let seen = subscriber.await.unwrap();
    assert_seen_exactly(&seen, &acknowledged);
}

async fn two_store_handles_on_one_database_keep_a_single_order(backend: &impl Backend) {
    // Two handles behave like two processes: separate writers contending for the database lock.
    const WRITERS: usize = 8;
    const APPENDS: usize = 25;
    let first = backend.open().await;
    let second = backend.open().await;
    let expected_events = WRITERS * (0..APPENDS).map(|n| 1 + n % 3).sum::<usize>();
    let subscriber = tokio::spawn(tail(first.clone(), expected_events));
    let acknowledged =
        write_concurrently(vec![first.clone(), second.clone()], WRITERS, APPENDS).await;
    let seen = subscriber.await.unwrap();
    assert_seen_exactly(&seen, &acknowledged);
    assert!(second.verify().await.unwrap().ok);
}

async fn retrying_an_append_returns_the_original_result_and_writes_nothing(backend: &impl Backend) {
    let store = backend.open().await;
    let request = append(
        "r",
        ExpectedVersion::NoStream,
        vec![event(json!({"a": 1})), event(json!({"b": 2}))],
    );
    let original = store.append(request.clone()).await.unwrap();
    assert_eq!(original.outcome, AppendOutcome::Appended);
    store
        .append(append("other", ExpectedVersion::Any, vec![event(json!(0))]))
        .await
        .unwrap();

    // The retry carries a NoStream expectation that no longer holds: idempotency wins.
    let retry = store.append(request.clone()).await.unwrap();
    assert_eq!(retry.outcome, AppendOutcome::AlreadyAppended);
    assert_eq!(
        (
            retry.first_position,
            retry.last_position,
            retry.stream_version
        ),
        (
            original.first_position,
            original.last_position,
            original.stream_version
        )
    );

    let mut changed = request.clone();
    changed.events[1].payload = json!({"b": 3});
    let conflict = store.append(changed).await;
    assert!(
        matches!(conflict, Err(StoreError::IdempotencyConflict { .. })),
        "{conflict:?}"
    );

    let mut moved = request;
    moved.stream_id = "elsewhere".into();
    let conflict = store.append(moved).await;
    assert!(
        matches!(conflict, Err(StoreError::IdempotencyConflict { .. })),
        "{conflict:?}"
    );

    assert_eq!(
        store.head().await.unwrap(),
        3,
        "retries and conflicts wrote nothing"
    );
}

async fn the_database_refuses_update_and_delete_of_events(backend: &impl Backend) {
    let store = backend.open().await;
    store
        .append(append(
            "i",
            ExpectedVersion::Any,
            vec![event(json!({"keep": true}))],
        ))
        .await
        .unwrap();
    let before = store.read_all(0, 10).await.unwrap();
    for sql in [
        "update events set event_type = 'changed' where position = 1",
        "update events set stream_version = 2",
        "delete from events where position = 1",
        "delete from events",
    ] {
        let result = backend.raw(sql).await;
        let error = result.expect_err(sql).to_string();
        assert!(error.contains("events are immutable"), "{sql}: {error}");
    }
    if backend.has_truncate() {
        let error = backend
            .raw("truncate events")
            .await
            .expect_err("truncate")
            .to_string();
        assert!(error.contains("events are immutable"), "truncate: {error}");
    }
    assert_eq!(store.read_all(0, 10).await.unwrap(), before);
}

async fn verify_names_the_first_tampered_position(backend: &impl Backend) {
    let store = backend.open().await;
    for n in 0..6 {
        store
            .append(append(
                &format!("t-{}", n % 2),
                ExpectedVersion::Any,
                vec![event(json!({"n": n}))],
            ))
            .await
            .unwrap();
    }
    assert!(store.verify().await.unwrap().ok);
    backend.tamper(4).await;
    let report = store.verify().await.unwrap();
    assert!(!report.ok);
    assert_eq!(report.first_broken_position, Some(4));
    assert_eq!(report.events_checked, 3);
}

/// The audit page's check walks the chain once, then only the events recorded since: it must
/// agree with a full walk at every step, and a break in the new events must be found.
async fn the_audit_pages_chain_check_extends_over_new_events_and_finds_tampering_after_them(
    backend: &impl Backend,
) {
    let store = backend.open().await;
    let write = |from: i32, to: i32| {
        let store = store.clone();
        async move {
            for n in from..to {
                store
                    .append(append(
                        "audit",
                        ExpectedVersion::Any,
                        vec![event(json!({"n": n}))],
                    ))
                    .await
                    .unwrap();
            }
        }
    };
    let check = Arc::new(ChainCheck::default());
    write(0, 4).await;
    let first = check.status(&store).await.unwrap();
    assert_eq!(first.report, store.verify().await.unwrap());
    assert_eq!(first.report.events_checked, 4);

    write(4, 9).await;
    let extended = check.status(&store).await.unwrap();
    assert_eq!(extended.report, store.verify().await.unwrap());
    assert_eq!(extended.report.events_checked, 9);
    assert_eq!(
        extended.full_walk_at, first.full_walk_at,
        "no second full walk"
    );

    write(9, 12).await;
    backend.tamper(11).await;
    let broken = check.status(&store).await.unwrap();
    assert!(!broken.report.ok);
    assert_eq!(broken.report.first_broken_position, Some(11));
    assert_eq!(broken.report, store.verify().await.unwrap());
}

async fn reopening_a_store_keeps_everything(backend: &impl Backend) {
    let before = {
        let store = backend.open().await;
        for n in 0..5 {
            store
                .append(append(
                    "kept",
                    ExpectedVersion::Exact(n),
                    vec![event(json!({"n": n}))],
                ))
                .await
                .unwrap();
        }
        store.read_all(0, 100).await.unwrap()
    };
    let store = backend.open().await;
    assert_eq!(store.read_all(0, 100).await.unwrap(), before);
    let next = store
        .append(append(
            "kept",
            ExpectedVersion::Exact(5),
            vec![event(json!({"n": 5}))],
        ))
        .await
        .unwrap();
    assert_eq!((next.first_position, next.stream_version), (6, 6));
    let report = store.verify().await.unwrap();
    assert!(report.ok);
    assert_eq!(report.events_checked, 6);
}

async fn an_idempotency_key_is_stored_with_its_append_and_blocks_a_second_write(
    backend: &impl Backend,
) {
    let store = backend.open().await;
    let keyed = |payload| {
        let mut request = append("k", ExpectedVersion::Any, vec![event(payload)]);
        request.idempotency = Some(IdempotencyRecord {
            scope: "token-1".into(),
            key: "key-1".into(),
            request_hash: [9; 32],
            response: json!({"id": "k", "seq": 1}),
        });
        request
    };
    let first = store.append(keyed(json!({"n": 1}))).await.unwrap();
    assert!(
        store
            .idempotent_response("token-2", "key-1")
            .await
            .unwrap()
            .is_none()
    );
    let stored = store
        .idempotent_response("token-1", "key-1")
        .await
        .unwrap()
        .expect("the key is stored with the append");
    assert_eq!(stored.request_hash, [9; 32]);
    assert_eq!(stored.response, json!({"id": "k", "seq": 1}));
    assert_eq!(stored.result.last_position, first.last_position);

    // A second request with the same key, even with fresh event ids, writes nothing.
    let again = store.append(keyed(json!({"n": 2}))).await;
    let Err(StoreError::IdempotencyKeyUsed(found)) = again else {
        panic!("expected the key to be reported as used: {again:?}");
    };
    assert_eq!(found.result.first_position, first.first_position);
    assert_eq!(store.head().await.unwrap(), 1);
}

async fn append_at_records_the_given_time_but_never_goes_back(backend: &impl Backend) {
    use time::macros::datetime;
    let store = backend.open().await;
    let may_2022 = datetime!(2022-05-18 09:30:00.123456 UTC);
    store
        .append_at(
            append("h", ExpectedVersion::Any, vec![event(json!(1))]),
            may_2022,
        )
        .await
        .unwrap();
    // An earlier time than the head's is raised to it: recorded_at never decreases.
    store
        .append_at(
            append("h", ExpectedVersion::Any, vec![event(json!(2))]),
            datetime!(2019-01-01 00:00 UTC),
        )
        .await
        .unwrap();
    store
        .append(append("h", ExpectedVersion::Any, vec![event(json!(3))]))
        .await
        .unwrap();
    let events = store.read_all(0, 10).await.unwrap();
    assert_eq!(events[0].recorded_at, may_2022);
    assert_eq!(events[1].recorded_at, may_2022);
    assert!(events[2].recorded_at > may_2022);
    assert!(store.verify().await.unwrap().ok);

    // "What was known then" is a prefix of the log.
    assert_eq!(
        store
            .position_at(datetime!(2022-05-18 09:30:00 UTC))
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.position_at(may_2022).await.unwrap(), 2);
    assert_eq!(
        store
            .position_at(datetime!(2022-06-01 00:00 UTC))
            .await
            .unwrap(),
        2
    );
    assert_eq!(store.position_at(events[2].recorded_at).await.unwrap(), 3);
}

async fn the_projection_read_returns_what_read_all_returns_with_the_payload_as_text(
    backend: &impl Backend,
) {
    let store = backend.open().await;
    let payloads = [
        json!({"n": 1, "nested": {"list": [1, 2.5, null, true]}}),
        json!({"text": "é ✓ \"quoted\" \\ \n"}),
        json!({}),
    ];
    for (stream, payload) in ["a", "b", "a"].into_iter().zip(&payloads) {
        store
            .append(append(
                stream,
                ExpectedVersion::Any,
                vec![event(payload.clone())],
            ))
            .await
            .unwrap();
    }

    let whole = store.read_all(0, 100).await.unwrap();
    let lean = store.read_all_for_projection(0, 100).await.unwrap();
    assert_eq!(lean.len(), whole.len());
    for (lean, whole) in lean.iter().zip(&whole) {
        let case = format!("position {}", whole.position);
        assert_eq!(lean.position, whole.position, "{case}");
        assert_eq!(lean.stream_id, whole.stream_id, "{case}");
        assert_eq!(lean.event_type, whole.event_type, "{case}");
        assert_eq!(lean.schema_version, whole.schema_version, "{case}");
        assert_eq!(lean.recorded_at, whole.recorded_at, "{case}");
        let payload: serde_json::Value = serde_json::from_str(&lean.payload).unwrap();
        assert_eq!(payload, whole.payload, "{case}");
    }

    let page = store.read_all_for_projection(1, 1).await.unwrap();
    assert_eq!(page.iter().map(|e| e.position).collect::<Vec<_>>(), [2]);
    assert!(
        store
            .read_all_for_projection(3, 10)
            .await
            .unwrap()
            .is_empty()
    );
}
