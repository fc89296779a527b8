//! The read models against an independent recomputation: the whole log folded in memory with the
//! domain's `evolve`, queried with the domain's own `status_as_of`, compared with what the tables
//! answer — on both clocks, on both backends.

mod history;
mod resilience;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use compact_events::commitment::CommitmentState;
use compact_events::decider::Decider;
use compact_events::event::Event;
use compact_events::event::commitment::CommitmentEvent;
use compact_events::freshness::Freshness;
use compact_events::ids::{CommitmentId, ObjectiveNumber};
use compact_events::stream::StreamId;
use compact_projections::ProjectionError;
use compact_projections::apply::{Envelope, Projector, StateSource};
use compact_projections::curve::Basis;
use compact_projections::db::{Location, ReadDb};
use compact_projections::query::{self, Clock, Filter, GroupBy};
use compact_tracker::read_side::runner::rebuild;
use compact_tracker::store::{AnyStore, EventStore, RecordedEvent};
use time::Date;
use time::macros::{date, datetime};

use crate::backends::{Backend, for_each_backend};

for_each_backend!(
    read_models_equal_a_recomputation_from_the_log_on_both_clocks,
    a_late_report_changes_as_of_views_of_the_past_but_not_known_at_views,
    an_answer_asked_for_before_its_position_was_applied_is_not_kept,
    a_refresh_answers_the_questions_about_the_newest_position_at_the_next_one,
    what_moved_between_two_reviews_equals_the_recomputation_page_by_page,
    a_rebuild_ends_with_every_index_the_migrations_create,
);

/// One group's counts, as both sides compute them.
#[derive(Debug, Default, PartialEq, Eq)]
struct GroupTally {
    by_status: BTreeMap<String, i64>,
    percent_sum: i64,
    percent_count: i64,
    mechanisms: BTreeSet<String>,
    freshness: BTreeMap<Freshness, i64>,
}

/// What the domain says, folded from every event up to a position.
struct Recomputed {
    states: BTreeMap<String, CommitmentState>,
    /// Per commitment: (seq, recorded day, position) of each report, and retraction positions.
    reports: HashMap<String, Vec<(u32, Date, i64)>>,
    retracted: HashMap<(String, u32), i64>,
}

fn recompute(events: &[RecordedEvent], known: i64) -> Recomputed {
    let mut streams: BTreeMap<String, Vec<CommitmentEvent>> = BTreeMap::new();
    let mut reports: HashMap<String, Vec<(u32, Date, i64)>> = HashMap::new();
    let mut retracted = HashMap::new();
    for recorded in events.iter().filter(|e| e.position <= known) {
        let event = Event::from_stored(
            &recorded.event_type,
            u32::try_from(recorded.schema_version).unwrap(),
            recorded.payload.clone(),
        )
        .unwrap();
        let Event::Commitment(event) = event else {
            continue;
        };
        let Ok(StreamId::Commitment(id)) = StreamId::parse(&recorded.stream_id) else {
            panic!("a commitment event outside a commitment stream");
        };
        let id = id.to_string();
        match &event {
            CommitmentEvent::ProgressReported(report) => reports
                .entry(id.clone())
                .or_default()
                .push((report.seq, recorded.recorded_at.date(), recorded.position)),
            CommitmentEvent::ProgressRetracted { seq, .. } => {
                retracted.insert((id.clone(), *seq), recorded.position);
            }
            _ => {}
        }
        streams.entry(id).or_default().push(event);
    }
    Recomputed {
        states: streams
            .into_iter()
            .map(|(id, events)| (id, CommitmentState::fold(&events)))
            .collect(),
        reports,
        retracted,
    }
}

impl Recomputed {
    fn freshness(&self, id: &str, state: &CommitmentState, reference_day: Date) -> Freshness {
        let latest = self
            .reports
            .get(id)
            .into_iter()
            .flatten()
            .filter(|(seq, day, _)| {
                *day <= reference_day && !self.retracted.contains_key(&(id.to_owned(), *seq))
            })
            .map(|(_, day, _)| *day)
            .max();
        let made_on = state.commitment.as_ref().map(|c| c.made_on).unwrap();
        Freshness::of(latest, made_on, reference_day)
    }
}

async fn read_models(store: &AnyStore) -> ReadDb {
    let (generation, _) = rebuild(store, false).await.unwrap();
    ReadDb::open(&Location::of(&store.read_home(), generation))
        .await
        .unwrap()
}

/// Compares the read models with the recomputation at one point of both clocks.
async fn compare(db: &ReadDb, events: &[RecordedEvent], as_of: Date, known: i64, basis: Basis) {
    let recomputed = recompute(events, known);
    let known_day = events
        .iter()
        .rfind(|e| e.position <= known)
        .map_or(as_of, |e| e.recorded_at.date());
    let clock = Clock {
        as_of,
        known,
        reference_day: as_of.min(known_day),
        basis,
        latest: false,
    };
    let case = format!("as_of {as_of}, known at {known}, {basis:?}");
    let validated_only = basis == Basis::Validated;

    // Every commitment: status, percent, freshness.
    let expected_commitments: BTreeMap<String, (String, Option<u8>, Freshness)> = recomputed
        .states
        .iter()
        .filter_map(|(id, state)| {
            let status = state.status_as_of(as_of, validated_only)?;
            let percent = state.percent_as_of(as_of, validated_only).map(|p| p.get());
            let freshness = recomputed.freshness(id, state, clock.reference_day);
            Some((id.clone(), (status.as_str().to_owned(), percent, freshness)))
        })
        .collect();
    let actual: BTreeMap<String, (String, Option<u8>, Freshness)> =
        query::commitments(db, &clock, &Filter::default(), None, i64::MAX)
            .await
            .unwrap()
            .into_iter()
            .map(|row| (row.id, (row.status, row.percent, row.freshness)))
            .collect();
    assert_eq!(actual, expected_commitments, "commitments, {case}");

    // Progress per objective and per SDG target: counts, percent sums, mechanisms, freshness.
    for group_by in [GroupBy::Objective, GroupBy::SdgTarget, GroupBy::Mechanism] {
        let mut expected: BTreeMap<String, GroupTally> = BTreeMap::new();
        for (id, (status, percent, freshness)) in &expected_commitments {
            let commitment = recomputed.states[id].commitment.as_ref().unwrap();
            let groups: Vec<String> = match group_by {
                GroupBy::Objective => commitment
                    .gcm_objectives
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                GroupBy::SdgTarget => commitment
                    .sdg_targets
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                GroupBy::Mechanism => vec![commitment.mechanism_id.to_string()],
            };
            for group in groups {
                let entry = expected.entry(group).or_default();
                *entry.by_status.entry(status.clone()).or_default() += 1;
                if status != "withdrawn" {
                    if let Some(percent) = percent {
                        entry.percent_sum += i64::from(*percent);
                        entry.percent_count += 1;
                    }
                    *entry.freshness.entry(*freshness).or_default() += 1;
                }
                entry.mechanisms.insert(commitment.mechanism_id.to_string());
            }
        }
        let actual: BTreeMap<String, GroupTally> =
            query::progress(db, &clock, &Filter::default(), group_by)
                .await
                .unwrap()
                .into_iter()
                .map(|(group, tally)| {
                    let count = usize::try_from(tally.mechanisms).unwrap();
                    let tally_view = GroupTally {
                        by_status: tally.by_status,
                        percent_sum: tally.percent_sum,
                        percent_count: tally.percent_count,
                        // The query counts distinct mechanisms; stand-in names keep the comparison
                        // on the count alone.
                        mechanisms: (0..count).map(|n| n.to_string()).collect(),
                        freshness: tally
                            .freshness
                            .into_iter()
                            .filter(|(_, n)| *n > 0)
                            .collect(),
                    };
                    (group, tally_view)
                })
                .collect();
        let expected: BTreeMap<String, GroupTally> = expected
            .into_iter()
            .map(|(group, tally)| {
                let count = tally.mechanisms.len();
                let mechanisms = (0..count).map(|n| n.to_string()).collect();
                (
                    group,
                    GroupTally {
                        mechanisms,
                        ..tally
                    },
                )
            })
            .collect();
        assert_eq!(actual, expected, "progress by {group_by:?}, {case}");
    }

    // The timeline: status counts on several dates in one read, overall and for one objective.
    let ends = [
        as_of - time::Duration::days(400),
        as_of - time::Duration::days(90),
        as_of,
    ];
    for objective in [None, Some(3_u8)] {
        let expected: BTreeMap<Date, BTreeMap<String, i64>> = ends
            .iter()
            .map(|end| {
                let mut counts: BTreeMap<String, i64> = BTreeMap::new();
                for state in recomputed.states.values() {
                    let Some(commitment) = &state.commitment else {
                        continue;
                    };
                    let serves = |n: u8| {
                        commitment
                            .gcm_objectives
                            .iter()
                            .any(|o| o.to_string() == n.to_string())
                    };
                    if objective.is_some_and(|n| !serves(n)) {
                        continue;
                    }
                    if let Some(status) = state.status_as_of(*end, validated_only) {
                        *counts.entry(status.as_str().to_owned()).or_default() += 1;
                    }
                }
                (*end, counts)
            })
            .collect();
        let filter = Filter {
            objective: objective.map(|n| ObjectiveNumber::new(i64::from(n)).unwrap()),
            ..Filter::default()
        };
        let actual = query::timeline(db, &clock, &filter, &ends).await.unwrap();
        assert_eq!(
            actual, expected,
            "timeline for objective {objective:?}, {case}"
        );
    }
}

async fn read_models_equal_a_recomputation_from_the_log_on_both_clocks(backend: &impl Backend) {
    let store = backend.open_any().await;
    let written = history::write(&store, 7, 700).await;
    for event_type in [
        "commitment_made",
        "commitment_revised",
        "progress_reported",
        "progress_validated",
        "progress_rejected",
        "progress_retracted",
        "commitment_withdrawn",
    ] {
        assert!(
            written.by_type.get(event_type).copied().unwrap_or(0) > 0,
            "the history has {event_type}"
        );
    }
    let db = read_models(&store).await;
    let events = store.read_all(0, i64::MAX).await.unwrap();
    let head = events.last().unwrap().position;
    let review_dates = [
        date!(2019 - 06 - 30),
        date!(2021 - 03 - 01),
        date!(2022 - 05 - 20),
        date!(2024 - 12 - 31),
        date!(2026 - 11 - 01),
    ];
    for known_at in [
        datetime!(2020-01-01 0:00 UTC),
        datetime!(2022-05-20 23:59 UTC),
        datetime!(2025-01-01 0:00 UTC),
    ] {
        let known = store.position_at(known_at).await.unwrap();
        for as_of in review_dates {
            compare(&db, &events, as_of, known, Basis::Reported).await;
        }
    }
    for as_of in review_dates {
        compare(&db, &events, as_of, head, Basis::Reported).await;
        compare(&db, &events, as_of, head, Basis::Validated).await;
    }
}

async fn a_late_report_changes_as_of_views_of_the_past_but_not_known_at_views(
    backend: &impl Backend,
) {
    use compact_tracker::store::{AppendRequest, ExpectedVersion, Metadata, NewEvent};
    let store = backend.open_any().await;
    let commitment = uuid::Uuid::now_v7();
    let stream = format!("commitment-{commitment}");
    let event = |event: CommitmentEvent| {
        let event = Event::Commitment(event);
        NewEvent {
            event_id: uuid::Uuid::now_v7(),
            event_type: event.event_type().to_owned(),
            schema_version: i32::try_from(event.schema_version()).unwrap(),
            payload: event.to_payload(),
            metadata: Metadata {
                role: "admin".into(),
                ..Metadata::default()
            },
        }
    };
    let made: CommitmentEvent = serde_json::from_value(serde_json::json!({
        "type": "commitment_made", "commitment_id": commitment, "mechanism_id": "bali-process",
        "title": "Pre-departure orientation", "description": "d", "gcm_objectives": [3],
        "sdg_targets": ["10.7"], "recommendation_ids": [], "made_on": "2021-03-01",
        "due_date": null, "indicator": null
    }))
    .unwrap();
    let late: CommitmentEvent = serde_json::from_value(serde_json::json!({
        "type": "progress_reported", "seq": 1, "status": "achieved", "effective_date": "2022-05-01",
        "percent_complete": 100, "indicator_value": null, "narrative": "Done before the IMRF",
        "evidence_urls": []
    }))
    .unwrap();
    let append = |events, version, at| {
        let store = store.clone();
        let stream = stream.clone();
        async move {
            let request = AppendRequest {
                stream_id: stream,
                expected_version: ExpectedVersion::Exact(version),
                events,
                idempotency: None,
            };
            store.append_at(request, at).await.unwrap();
        }
    };
    append(vec![event(made)], 0, datetime!(2021-03-10 10:00 UTC)).await;
    // Effective 1 May 2022, but recorded in July, after the IMRF (17–20 May 2022).
    append(vec![event(late)], 1, datetime!(2022-07-04 09:00 UTC)).await;

    let db = read_models(&store).await;
    let at_imrf = store
        .position_at(datetime!(2022-05-20 23:59 UTC))
        .await
        .unwrap();
    let now = store.head().await.unwrap();
    let status = |known| {
        let db = db.clone();
        async move {
            let clock = Clock {
                as_of: date!(2022 - 05 - 20),
                known,
                reference_day: date!(2022 - 05 - 20),
                basis: Basis::Reported,
                latest: false,
            };
            let rows = query::commitments(&db, &clock, &Filter::default(), None, 10)
                .await
                .unwrap();
            rows.into_iter()
                .map(|row| (row.status, row.percent))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        status(at_imrf).await,
        [("planned".to_owned(), None)],
        "as known at the IMRF"
    );
    assert_eq!(
        status(now).await,
        [("achieved".to_owned(), Some(100))],
        "as known now, about the same day"
    );
}

mod properties {
    //! Property: for any seeded history and any point on both clocks, the read models agree with
    //! the recomputation. SQLite only, to keep the run short; the generic test above covers
    //! PostgreSQL on a larger history.

    use proptest::prelude::*;

    use super::{Basis, compare, history, read_models};
    use crate::backends::{Backend, SqliteBackend};
    use compact_tracker::store::EventStore;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

        #[test]
        fn read_models_agree_with_the_domain_for_any_history(
            seed in any::<u64>(),
            steps in 20usize..160,
            as_of_days in prop::collection::vec(0i64..3300, 3),
            known_fraction in 0u32..=100,
            validated in any::<bool>(),
        ) {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let backend = SqliteBackend::new();
                let store = backend.open_any().await;
                history::write(&store, seed, steps).await;
                let db = read_models(&store).await;
                let events = store.read_all(0, i64::MAX).await.unwrap();
                let head = events.last().map_or(0, |e| e.position);
                let known = head * i64::from(known_fraction) / 100;
                let basis = if validated { Basis::Validated } else { Basis::Reported };
                for days in as_of_days {
                    let as_of = time::macros::date!(2018 - 01 - 01) + time::Duration::days(days);
                    compare(&db, &events, as_of, known, basis).await;
                    compare(&db, &events, as_of, head, basis).await;
                }
            });
        }
    }
}

/// The projector's source of commitments it has not seen: none are needed when it applies the
/// log from position 1 itself.
struct FromStart;

impl StateSource for FromStart {
    async fn load(
        &self,
        commitment: CommitmentId,
        _before_position: i64,
    ) -> Result<CommitmentState, ProjectionError> {
        Err(ProjectionError::Source(format!(
            "commitment {commitment} should be in memory"
        )))
    }
}

fn envelopes(events: &[RecordedEvent]) -> Vec<Envelope> {
    events
        .iter()
        .map(|recorded| Envelope {
            position: recorded.position,
            stream_id: recorded.stream_id.clone(),
            recorded_at: recorded.recorded_at,
            event: Event::from_stored(
                &recorded.event_type,
                u32::try_from(recorded.schema_version).unwrap(),
                recorded.payload.clone(),
            )
            .unwrap(),
        })
        .collect()
}

/// A generation that has applied the first half of a generated history.
struct HalfApplied {
    events: Vec<RecordedEvent>,
    head: i64,
    location: Location,
    db: ReadDb,
    projector: Projector,
    half: usize,
}

impl HalfApplied {
    /// The last position of the applied half.
    fn middle(&self) -> i64 {
        self.events[self.half - 1].position
    }

    /// Applies the second half.
    async fn apply_the_rest(&mut self) {
        self.projector
            .apply(&self.db, &envelopes(&self.events[self.half..]), &FromStart)
            .await
            .unwrap();
    }
}

async fn half_applied(backend: &impl Backend, seed: u64, generation: i64) -> HalfApplied {
    let store = backend.open_any().await;
    history::write(&store, seed, 300).await;
    let events = store.read_all(0, i64::MAX).await.unwrap();
    let head = events.last().unwrap().position;
    let location = Location::of(&store.read_home(), generation);
    let db = ReadDb::open(&location).await.unwrap();
    let mut projector = Projector::new();
    let half = events.len() / 2;
    projector
        .apply(&db, &envelopes(&events[..half]), &FromStart)
        .await
        .unwrap();
    HalfApplied {
        events,
        head,
        location,
        db,
        projector,
        half,
    }
}

/// Answers are kept per question, and a question names its known position. A question about a
/// position the read models have not applied yet must be answered but not kept, or the partial
/// answer would be served for good.
async fn an_answer_asked_for_before_its_position_was_applied_is_not_kept(backend: &impl Backend) {
    let mut run = half_applied(backend, 11, 90).await;
    let (head, db) = (run.head, run.db.clone());
    let clock = Clock {
        as_of: date!(2026 - 11 - 01),
        known: head,
        reference_day: date!(2026 - 11 - 01),
        basis: Basis::Reported,
        latest: false,
    };
    let early = query::progress(&db, &clock, &Filter::default(), GroupBy::Objective)
        .await
        .unwrap();

    run.apply_the_rest().await;
    let later = query::progress(&db, &clock, &Filter::default(), GroupBy::Objective)
        .await
        .unwrap();
    let fresh_handle = ReadDb::open(&run.location).await.unwrap();
    let truth = query::progress(
        &fresh_handle,
        &clock,
        &Filter::default(),
        GroupBy::Objective,
    )
    .await
    .unwrap();
    assert_ne!(
        early, truth,
        "the second half of the log changes the answer"
    );
    assert_eq!(later, truth, "the partial answer was not kept");
    compare(&db, &run.events, clock.as_of, head, Basis::Reported).await;
}

/// Readers of the newest position ask the same questions again after every batch. `refresh`
/// answers those, and only those, at the next position ahead of them, and keeps the answers.
async fn a_refresh_answers_the_questions_about_the_newest_position_at_the_next_one(
    backend: &impl Backend,
) {
    let mut run = half_applied(backend, 12, 92).await;
    let (head, db) = (run.head, run.db.clone());
    let latest = Clock {
        as_of: date!(2026 - 11 - 01),
        known: run.middle(),
        reference_day: date!(2026 - 11 - 01),
        basis: Basis::Reported,
        latest: true,
    };
    let pinned = Clock {
        latest: false,
        basis: Basis::Validated,
        ..latest
    };
    let by_mechanism = Filter::default();
    for clock in [&latest, &pinned] {
        query::progress(&db, clock, &by_mechanism, GroupBy::Mechanism)
            .await
            .unwrap();
    }
    run.apply_the_rest().await;

    let asked = query::refresh(&db, head).await.unwrap();
    assert_eq!(
        asked, 1,
        "only the question about the newest position is followed"
    );
    let next = Clock {
        known: head,
        ..latest
    };
    let truth = query::progress(
        &ReadDb::open(&run.location).await.unwrap(),
        &next,
        &by_mechanism,
        GroupBy::Mechanism,
    )
    .await
    .unwrap();
    // With the rows gone, only a kept answer can still be right.
    sqlx::query("delete from commitment_status")
        .execute(db.pool())
        .await
        .unwrap();
    let kept = query::progress(&db, &next, &by_mechanism, GroupBy::Mechanism)
        .await
        .unwrap();
    assert!(!truth.is_empty(), "the history has commitments");
    assert_eq!(kept, truth, "the refreshed answer was kept");
    let pinned_next = Clock {
        known: head,
        ..pinned
    };
    let not_refreshed = query::progress(&db, &pinned_next, &by_mechanism, GroupBy::Mechanism)
        .await
        .unwrap();
    assert!(
        not_refreshed.is_empty(),
        "a question pinned to a position was not asked again: {not_refreshed:?}"
    );
}

/// "What moved" between two reviews: every commitment whose status or percent differs between the
/// two dates in the recomputation, and nothing else; the pages, followed by their cursors, list
/// exactly those once each, with the reports effective in between.
async fn what_moved_between_two_reviews_equals_the_recomputation_page_by_page(
    backend: &impl Backend,
) {
    let store = backend.open_any().await;
    history::write(&store, 13, 300).await;
    let db = read_models(&store).await;
    let events = store.read_all(0, i64::MAX).await.unwrap();
    let head = events.last().unwrap().position;
    let (from, to) = (date!(2021 - 03 - 01), date!(2024 - 12 - 31));
    let recomputed = recompute(&events, head);
    let on = |state: &CommitmentState, day: Date| {
        state.status_as_of(day, false).map(|status| {
            (
                status.as_str().to_owned(),
                state.percent_as_of(day, false).map(|p| p.get()),
            )
        })
    };
    let expected: BTreeSet<String> = recomputed
        .states
        .iter()
        .filter(|(_, state)| on(state, from) != on(state, to))
        .map(|(id, _)| id.clone())
        .collect();
    assert!(expected.len() > 20, "the history moves: {}", expected.len());

    let clock = Clock {
        as_of: to,
        known: head,
        reference_day: to,
        basis: Basis::Reported,
        latest: false,
    };
    let all = query::moves(&db, &clock, &Filter::default(), from)
        .await
        .unwrap();
    let moved: BTreeSet<String> = all
        .changes
        .iter()
        .map(|change| change.commitment_id.clone())
        .collect();
    assert_eq!(moved, expected);
    let per_mechanism: usize = all.by_mechanism.values().map(|counts| counts.moved).sum();
    assert_eq!(
        per_mechanism,
        expected.len(),
        "each move counted once per mechanism"
    );
    let per_objective: usize = all.by_objective.values().map(|counts| counts.moved).sum();
    let objective_links: usize = all
        .changes
        .iter()
        .map(|change| change.gcm_objectives.len())
        .sum();
    assert_eq!(
        per_objective, objective_links,
        "each move counted once per objective"
    );
    for change in &all.changes {
        let state = &recomputed.states[&change.commitment_id];
        let (before, after) = (on(state, from), on(state, to));
        assert_eq!(
            (change.status_before.clone(), change.percent_before),
            before.map_or((None, None), |(status, percent)| (Some(status), percent)),
            "{} before",
            change.commitment_id
        );
        assert_eq!(
            (change.status_after.clone(), change.percent_after),
            after.map_or((None, None), |(status, percent)| (Some(status), percent)),
            "{} after",
            change.commitment_id
        );
    }

    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = query::changes(&db, &clock, &Filter::default(), from, after.as_deref(), 7)
            .await
            .unwrap();
        assert!(page.len() <= 7);
        let Some(last) = page.last() else {
            break;
        };
        after = Some(last.commitment_id.clone());
        paged.extend(page);
    }
    let ids: Vec<&str> = paged
        .iter()
        .map(|change| change.commitment_id.as_str())
        .collect();
    let expected_ids: Vec<&str> = expected.iter().map(String::as_str).collect();
    assert_eq!(ids, expected_ids, "each moved commitment once, in id order");
    for change in &paged {
        for report in &change.reports {
            assert!(
                report.effective_date > from && report.effective_date <= to,
                "{}: report {} falls between the dates",
                change.commitment_id,
                report.seq
            );
        }
    }
    assert!(
        paged.iter().any(|change| !change.reports.is_empty()),
        "pages carry the reports that moved them"
    );
}

/// A build drops the secondary indexes while it fills a generation; the generation it activates
/// has them all back, as the migrations define them.
async fn a_rebuild_ends_with_every_index_the_migrations_create(backend: &impl Backend) {
    let store = backend.open_any().await;
    history::write(&store, 5, 100).await;
    let migrated = ReadDb::open(&Location::of(&store.read_home(), 91))
        .await
        .unwrap();
    let rebuilt = read_models(&store).await;
    let expected = index_names(&migrated).await;
    assert!(
        expected.contains("commitment_status_now"),
        "the migrations create secondary indexes: {expected:?}"
    );
    assert_eq!(index_names(&rebuilt).await, expected);
    let deferred: i64 = sqlx::query_scalar("select count(*) from deferred_indexes")
        .fetch_one(rebuilt.pool())
        .await
        .unwrap();
    assert_eq!(deferred, 0, "nothing is left to restore");
}

async fn index_names(db: &ReadDb) -> BTreeSet<String> {
    let sql = match db.location() {
        Location::SqliteFile(_) => {
            "select name from sqlite_master where type = 'index' and sql is not null"
        }
        Location::PostgresSchema { .. } => {
            "select indexname::text from pg_indexes where schemaname = current_schema()"
        }
    };
    sqlx::query_scalar(sql)
        .fetch_all(db.pool())
        .await
        .unwrap()
        .into_iter()
        .collect()
}
