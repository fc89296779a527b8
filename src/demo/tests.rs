//! Tests of the demo: its content tables, the determinism and variety of its history, and a load
//! into a real SQLite store.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use compact_events::catalogue;
use compact_events::event::Event;
use compact_events::event::commitment::CommitmentEvent;
use compact_events::event::registry::EVENT_TYPES;
use compact_events::freshness::Freshness;
use compact_events::ids::{MechanismId, ObjectiveNumber, RecommendationId, SdgTargetCode};
use indicatif::ProgressBar;
use time::Date;
use time::macros::date;

use super::history::{Decided, History, Params};
use super::mechanisms::MECHANISMS;
use super::plan::IMRF_2022;
use super::templates::TEMPLATES;
use super::{DemoError, DemoReport, load};
use crate::store::EventStore;
use crate::store::sqlite::SqliteStore;

const TODAY: Date = date!(2026 - 11 - 28);

fn params(seed: u64, commitments: usize) -> Params {
    Params {
        seed,
        commitments,
        events: None,
        today: TODAY,
    }
}

/// Every decision of a history; fails the test on a skipped step.
fn decide_all(params: &Params) -> Vec<Decided> {
    History::plan(params)
        .expect("the history plans")
        .map(|item| item.unwrap_or_else(|skipped| panic!("step skipped: {skipped:?}")))
        .collect()
}

/// What must be identical between two runs: everything but the event ids, which the store's
/// caller draws fresh (and which `Decided` does not hold yet).
fn fingerprint(decided: &[Decided]) -> Vec<(String, i64, String, String, String, Vec<String>)> {
    decided
        .iter()
        .map(|d| {
            (
                d.stream_id.clone(),
                d.expected_version,
                d.at.to_string(),
                d.actor.token_id.clone(),
                d.correlation_id.clone(),
                d.events
                    .iter()
                    .map(|e| format!("{} {}", e.event_type(), e.to_payload()))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn the_same_seed_decides_the_same_history() {
    let first = decide_all(&params(2017, 80));
    let second = decide_all(&params(2017, 80));
    assert!(first.len() > 500, "{} appends", first.len());
    assert_eq!(fingerprint(&first), fingerprint(&second));
}

#[test]
fn another_seed_decides_another_history() {
    let first = fingerprint(&decide_all(&params(2017, 80)));
    let second = fingerprint(&decide_all(&params(2018, 80)));
    assert_ne!(first, second);
    // The built-in catalogues are the same whatever the seed.
    assert_eq!(first[0], second[0]);
}

#[test]
fn a_commitment_plans_the_same_whatever_the_size_of_the_demo() {
    let small = decide_all(&params(9, 30));
    let large = decide_all(&params(9, 60));
    let made = |decided: &[Decided]| -> Vec<String> {
        decided
            .iter()
            .filter(|d| d.stream_id.starts_with("commitment-") && d.expected_version == 0)
            .map(|d| d.stream_id.clone())
            .collect()
    };
    let small = made(&small);
    let large = made(&large);
    assert!(small.iter().all(|stream| large.contains(stream)));
}

#[test]
fn no_planned_step_is_refused_by_the_domain() {
    for seed in [1, 2, 3, 2017, u64::MAX] {
        let history = History::plan(&params(seed, 300)).expect("the history plans");
        let skipped: Vec<_> = history.filter_map(Result::err).collect();
        assert!(skipped.is_empty(), "seed {seed}: {skipped:?}");
    }
}

#[test]
fn recording_times_never_go_back_and_end_before_today() {
    let decided = decide_all(&params(5, 200));
    for pair in decided.windows(2) {
        assert!(
            pair[0].at <= pair[1].at,
            "{:?} after {:?}",
            pair[0].at,
            pair[1].at
        );
    }
    let first = decided.first().expect("a history");
    let last = decided.last().expect("a history");
    assert_eq!(first.at.year(), 2018);
    assert!(last.at.date() < TODAY, "{}", last.at);
}

#[test]
fn the_default_size_is_four_to_six_thousand_events() {
    let history = History::plan(&params(2017, 400)).expect("the history plans");
    let planned = history.planned_events();
    assert!((4_000..=6_000).contains(&planned), "{planned} events");
}

#[test]
fn events_add_commitments_until_the_target() {
    let history = History::plan(&Params {
        events: Some(20_000),
        ..params(3, 400)
    })
    .expect("the history plans");
    let planned = history.planned_events();
    assert!((20_000..20_100).contains(&planned), "{planned} events");
    assert!(history.commitments() > 400);
}

/// Per commitment: when it was made, and the recording dates of its counted updates.
fn updates_by_commitment(decided: &[Decided]) -> HashMap<String, (Date, Vec<Date>)> {
    let mut commitments: HashMap<String, (Date, Vec<Date>)> = HashMap::new();
    for d in decided {
        for event in &d.events {
            match event {
                Event::Commitment(CommitmentEvent::CommitmentMade(made)) => {
                    commitments.insert(d.stream_id.clone(), (made.made_on, Vec::new()));
                }
                Event::Commitment(CommitmentEvent::ProgressReported(_)) => {
                    if let Some((_, updates)) = commitments.get_mut(&d.stream_id) {
                        updates.push(d.at.date());
                    }
                }
                _ => {}
            }
        }
    }
    commitments
}

#[test]
fn the_default_demo_shows_every_freshness_state_and_late_reports() {
    let decided = decide_all(&params(2017, 400));
    let mut freshness = BTreeMap::new();
    for (made_on, updates) in updates_by_commitment(&decided).values() {
        let state = Freshness::of(updates.iter().max().copied(), *made_on, TODAY);
        *freshness.entry(state).or_insert(0) += 1;
    }
    for state in Freshness::ALL {
        assert!(
            freshness.get(&state).copied().unwrap_or(0) >= 10,
            "{freshness:?}"
        );
    }
    let late_after_imrf = decided
        .iter()
        .flat_map(|d| d.events.iter().map(move |e| (d, e)))
        .filter(|(d, e)| match e {
            Event::Commitment(CommitmentEvent::ProgressReported(report)) => {
                report.effective_date < IMRF_2022 && d.at.date() > IMRF_2022
            }
            _ => false,
        })
        .count();
    assert!(late_after_imrf >= 20, "{late_after_imrf} late reports");
    let made_before_recorded = decided
        .iter()
        .flat_map(|d| d.events.iter().map(move |e| (d, e)))
        .filter(|(d, e)| match e {
            Event::Commitment(CommitmentEvent::CommitmentMade(made)) => made.made_on < d.at.date(),
            _ => false,
        })
        .count();
    assert!(made_before_recorded >= 100, "{made_before_recorded}");
}

#[test]
fn every_gcm_objective_and_migration_relevant_target_is_covered() {
    let objectives: BTreeSet<u8> = TEMPLATES.iter().map(|t| t.objective).collect();
    assert_eq!(objectives, (1..=23).collect());
    let used: BTreeSet<&str> = TEMPLATES
        .iter()
        .flat_map(|t| t.sdg_targets.iter().copied())
        .collect();
    for target in catalogue::migration_relevant_targets() {
        assert!(
            used.contains(target.code.as_str()),
            "{} unused",
            target.code
        );
    }
    let recommendations: BTreeSet<&str> = TEMPLATES
        .iter()
        .flat_map(|t| t.recommendations.iter().copied())
        .collect();
    for recommendation in catalogue::grcp7_recommendations() {
        assert!(
            recommendations.contains(recommendation.id.as_str()),
            "{} unused",
            recommendation.id
        );
    }
}

#[test]
fn template_targets_follow_the_crosswalk() {
    for template in TEMPLATES {
        let objective = ObjectiveNumber::new(i64::from(template.objective)).expect("objective");
        let mapped: Vec<&str> = catalogue::crosswalk()
            .iter()
            .filter(|entry| entry.objective == objective)
            .map(|entry| entry.sdg_target.as_str())
            .collect();
        for code in template.sdg_targets.iter().chain(template.extra_targets) {
            let code = SdgTargetCode::parse(code).expect("target code");
            let target = catalogue::sdg_target(&code).expect("target in the catalogue");
            assert!(target.migration_relevant, "{code} in {}", template.title);
        }
        if !mapped.is_empty() {
            assert!(
                template
                    .sdg_targets
                    .iter()
                    .any(|code| mapped.contains(code)),
                "{} names none of {mapped:?}",
                template.title
            );
        }
        for code in template.extra_targets {
            assert!(!template.sdg_targets.contains(code), "{}", template.title);
        }
        for id in template.recommendations {
            let id = RecommendationId::parse(id).expect("slug");
            assert!(catalogue::grcp7_recommendation(&id).is_some(), "{id}");
        }
    }
}

#[test]
fn every_mechanism_is_valid_and_every_objective_has_a_mechanism() {
    for mechanism in MECHANISMS {
        MechanismId::parse(mechanism.slug).expect("slug");
        assert!(!mechanism.venues.is_empty(), "{}", mechanism.slug);
        assert!(mechanism.name.chars().count() <= 200, "{}", mechanism.slug);
        for objective in mechanism.focus {
            assert!((1..=23).contains(objective), "{}", mechanism.slug);
        }
    }
    for template in TEMPLATES {
        assert!(
            MECHANISMS
                .iter()
                .any(|m| m.focus.contains(&template.objective)),
            "objective {} has no mechanism",
            template.objective
        );
    }
    let slugs: BTreeSet<&str> = MECHANISMS.iter().map(|m| m.slug).collect();
    assert_eq!(slugs.len(), MECHANISMS.len());
}

#[test]
fn the_report_is_one_line() {
    let report = DemoReport {
        mechanisms: 29,
        commitments: 400,
        events: 5_000,
        elapsed: std::time::Duration::from_secs(2),
        ..DemoReport::default()
    };
    let line = report.to_string();
    assert!(!line.contains('\n'));
    assert!(line.contains("29 mechanisms"), "{line}");
    assert!(line.contains("2500 events/s"), "{line}");
}

#[tokio::test]
async fn a_small_demo_loads_into_sqlite_with_a_sound_chain_and_every_event_type() {
    load_and_check(params(2017, 40)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_larger_demo_loads_in_history_order_on_a_multi_threaded_runtime() {
    load_and_check(params(11, 600)).await;
}

/// Loads a demo into a fresh SQLite store and checks what the store holds.
async fn load_and_check(params: Params) {
    let directory = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(&directory.path().join("demo.db"))
        .await
        .expect("store");
    let report = load(&store, &params, ProgressBar::hidden())
        .await
        .expect("the demo loads");
    assert_eq!(report.skipped, 0);
    assert_eq!(report.mechanisms, MECHANISMS.len() as u64);
    assert_eq!(report.commitments, params.commitments as u64);

    let verified = store.verify().await.expect("verify");
    assert!(verified.ok, "{verified:?}");
    assert_eq!(verified.events_checked, report.events);

    let events = store.read_all(0, 1_000_000).await.expect("read");
    assert_eq!(events.len() as u64, report.events);
    let types: BTreeSet<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    for event_type in EVENT_TYPES {
        assert!(types.contains(event_type.name), "no {}", event_type.name);
    }
    // Recording times are the simulated ones, in history order, from the first start in January
    // 2018 on: no append overtook another.
    assert_eq!(events[0].recorded_at.date(), date!(2018 - 01 - 08));
    assert!(events.last().expect("events").recorded_at.date() < TODAY);
    let expected: Vec<_> = decide_all(&params)
        .iter()
        .flat_map(|d| d.events.iter().map(move |_| (d.stream_id.clone(), d.at)))
        .collect();
    let recorded: Vec<_> = events
        .iter()
        .map(|e| (e.stream_id.clone(), e.recorded_at))
        .collect();
    assert!(recorded == expected, "the log is not in history order");
    let reporter = events
        .iter()
        .find(|e| e.event_type == "progress_reported")
        .expect("an update");
    assert_eq!(reporter.metadata.role, "reporter");
    assert!(
        reporter
            .metadata
            .token_id
            .as_deref()
            .is_some_and(|token| token.starts_with("demo-"))
    );

    // A second run finds the demo and adds nothing.
    let again = load(&store, &params, ProgressBar::hidden())
        .await
        .expect("a second run succeeds");
    assert!(again.already_present);
    assert_eq!(again.events, report.events);
    assert_eq!(store.head().await.expect("head"), events.len() as i64);
}

#[tokio::test]
async fn a_store_with_other_data_is_refused() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(&directory.path().join("busy.db"))
        .await
        .expect("store");
    crate::seed::load_builtin_catalogues(&store)
        .await
        .expect("catalogues");
    let head = store.head().await.expect("head");
    let error = load(&store, &params(1, 5), ProgressBar::hidden())
        .await
        .expect_err("refused");
    assert!(matches!(error, DemoError::NotEmpty { .. }), "{error}");
    assert_eq!(store.head().await.expect("head"), head);
}
