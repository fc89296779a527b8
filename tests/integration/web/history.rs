//! A demo-like data set with a real history: three mechanisms registered in 2018, seven
//! commitments made from 2018 to 2022, progress reported over the years, a late report, a
//! retraction, a revision and a withdrawal, each event recorded on its own (past) day.
//!
//! The events are decided by the domain exactly as the service decides them, with the clock set
//! to the day they are recorded, and appended with that recording time (`append_at`, which the
//! store offers for replaying history). Only then are the catalogues seeded and the service
//! started, since `recorded_at` never decreases along the log.
//!
//! The late report is the point of it: victim referral was reported `delayed` on 2022-03-31 but
//! only recorded on 2022-09-01, after the first IMRF (17–20 May 2022). So "as of 2022-05-20, as
//! known then" shows it `in_progress`, and "as known now" shows it `delayed`.

use std::collections::HashMap;
use std::net::SocketAddr;

use compact_events::command::CommitmentCommand;
use compact_events::command::make_commitment::MakeCommitment;
use compact_events::command::register_mechanism::{MechanismState, RegisterMechanism};
use compact_events::command::report_progress::ReportProgress;
use compact_events::command::retract_progress::RetractProgress;
use compact_events::command::revise_commitment::ReviseCommitment;
use compact_events::command::withdraw_commitment::WithdrawCommitment;
use compact_events::commitment::CommitmentState;
use compact_events::context::{Actor, Context, Lookup, Role};
use compact_events::decider::Decider;
use compact_events::event::Event;
use compact_events::event::commitment::{CommitmentChanges, ProgressStatus};
use compact_events::event::mechanism::MechanismKind;
use compact_events::ids::{
    CommitmentId, MechanismId, ObjectiveNumber, Percent, RecommendationId, SdgTargetCode,
};
use compact_events::stream::StreamId;
use compact_tracker::seed::load_builtin_catalogues;
use compact_tracker::startup::router;
use compact_tracker::state::{AppState, HttpConfig};
use compact_tracker::store::{
    AnyStore, AppendRequest, EventStore, ExpectedVersion, Metadata, NewEvent,
};
use compact_tracker::stream::load;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::backends::Backend;

/// The service over the history, on a real socket.
pub struct HistoryApp {
    /// Where the service listens.
    pub address: SocketAddr,
    /// Commitment ids by short name (`data`, `referral`, `skills`, `consular`, `remittances`,
    /// `return`, `labour`).
    pub commitments: HashMap<&'static str, String>,
    server: JoinHandle<()>,
}

impl Drop for HistoryApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl HistoryApp {
    /// `http://127.0.0.1:<port>`.
    pub fn base(&self) -> String {
        format!("http://{}", self.address)
    }

    /// `GET path` on the JSON API, as JSON.
    pub async fn api(&self, path: &str) -> serde_json::Value {
        let response = reqwest::get(format!("{}{path}", self.base()))
            .await
            .unwrap_or_else(|error| panic!("GET {path}: {error}"));
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.expect("a JSON answer")
    }
}

/// Records the history on the backend's fresh store, then seeds the catalogues and serves it
/// once the read models hold all of it.
pub async fn spawn(backend: &impl Backend) -> HistoryApp {
    let store = backend.open_any().await;
    let commitments = record(&store).await;
    load_builtin_catalogues(&store)
        .await
        .expect("seed the built-in catalogues");
    let state = AppState::start(store.clone(), HttpConfig::default())
        .await
        .expect("start the read side");
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let address = listener.local_addr().unwrap();
    let app = router(state);
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    let app = HistoryApp {
        address,
        commitments,
        server,
    };
    let head = store.head().await.expect("read the head");
    app.api(&format!("/v1/review-points?min_position={head}"))
        .await;
    app
}

async fn record(store: &AnyStore) -> HashMap<&'static str, String> {
    let admin = Actor {
        token_id: "history-admin".to_owned(),
        role: Role::Admin,
    };
    for (id, name, region) in [
        ("bali-process", "Bali Process", "Asia and the Pacific"),
        ("budapest-process", "Budapest Process", "Europe"),
        ("puebla-process", "Puebla Process", "Americas"),
    ] {
        let command = RegisterMechanism {
            id: MechanismId::parse(id).unwrap(),
            name: name.to_owned(),
            kind: MechanismKind::RegionalConsultativeProcess,
            region: Some(region.to_owned()),
        };
        decide_and_append::<MechanismState>(
            store,
            StreamId::Mechanism(command.id.clone()),
            datetime!(2018-06-01 09:00 UTC),
            &admin,
            command,
        )
        .await;
    }

    let mut ids = HashMap::new();
    let mut steps: Vec<Step> = Vec::new();
    let plans: [Plan; 7] = [
        (
            "data",
            "bali-process",
            "Regional migration data exchange",
            &[1, 23],
            &["17.18", "10.7"],
            date!(2019 - 03 - 01),
            datetime!(2019-03-05 10:00 UTC),
        ),
        (
            "referral",
            "bali-process",
            "Victim referral mechanism",
            &[10],
            &["16.2", "5.2"],
            date!(2019 - 06 - 01),
            datetime!(2019-06-10 10:00 UTC),
        ),
        (
            "skills",
            "budapest-process",
            "Skills partnerships",
            &[5, 18],
            &["10.7", "8.8"],
            date!(2020 - 01 - 15),
            datetime!(2020-02-01 10:00 UTC),
        ),
        (
            "consular",
            "puebla-process",
            "Consular protection network",
            &[14],
            &["10.7"],
            date!(2021 - 02 - 01),
            datetime!(2021-02-10 10:00 UTC),
        ),
        (
            "remittances",
            "puebla-process",
            "Lower remittance costs",
            &[20],
            &["10.c"],
            date!(2019 - 09 - 01),
            datetime!(2019-09-05 10:00 UTC),
        ),
        (
            "return",
            "budapest-process",
            "Return and reintegration",
            &[21],
            &["10.7"],
            date!(2022 - 02 - 01),
            datetime!(2022-04-01 10:00 UTC),
        ),
        (
            "labour",
            "bali-process",
            "Safe labour migration",
            &[6],
            &["8.8"],
            date!(2018 - 11 - 01),
            datetime!(2019-01-10 10:00 UTC),
        ),
    ];
    // Events in recording order across commitments: `recorded_at` never decreases.
    for (name, mechanism, title, objectives, targets, made_on, at) in plans {
        let id = CommitmentId::new(Uuid::now_v7());
        let command = MakeCommitment {
            commitment_id: id,
            mechanism_id: MechanismId::parse(mechanism).unwrap(),
            title: title.to_owned(),
            description: format!("{title}: what the member states committed to."),
            gcm_objectives: objectives
                .iter()
                .map(|n| ObjectiveNumber::new(*n).unwrap())
                .collect(),
            sdg_targets: targets
                .iter()
                .map(|code| SdgTargetCode::parse(code).unwrap())
                .collect(),
            recommendation_ids: Vec::new(),
            made_on: Some(made_on),
            due_date: Some(date!(2027 - 12 - 31)),
            indicator: None,
        };
        ids.insert(name, (id, reporter(mechanism)));
        steps.push((name, at, CommitmentCommand::Make(command)));
    }
    let report = |status, effective: Date, percent: Option<i64>, narrative: &str| {
        CommitmentCommand::ReportProgress(ReportProgress {
            status,
            effective_date: effective,
            percent_complete: percent.map(|p| Percent::new(p).unwrap()),
            indicator_value: None,
            narrative: narrative.to_owned(),
            evidence_urls: vec!["https://example.org/report".to_owned()],
        })
    };
    use ProgressStatus::{Achieved, Delayed, Discontinued, InProgress, Planned};
    steps.push((
        "labour",
        datetime!(2021-04-15 10:00 UTC),
        report(
            Achieved,
            date!(2021 - 03 - 31),
            Some(100),
            "All pilot corridors open.",
        ),
    ));
    steps.push((
        "referral",
        datetime!(2020-04-02 10:00 UTC),
        report(
            InProgress,
            date!(2020 - 03 - 31),
            Some(10),
            "Referral focal points named.",
        ),
    ));
    steps.push((
        "data",
        datetime!(2020-07-10 10:00 UTC),
        report(
            InProgress,
            date!(2020 - 06 - 30),
            Some(20),
            "Data templates agreed.",
        ),
    ));
    steps.push((
        "skills",
        datetime!(2021-07-05 10:00 UTC),
        report(
            InProgress,
            date!(2021 - 06 - 30),
            Some(40),
            "Two partnerships signed.",
        ),
    ));
    steps.push((
        "skills",
        datetime!(2021-08-01 09:00 UTC),
        CommitmentCommand::RetractProgress(RetractProgress {
            seq: 1,
            reason: "Counted a partnership that was not signed.".to_owned(),
        }),
    ));
    steps.push((
        "skills",
        datetime!(2021-08-01 10:00 UTC),
        report(
            InProgress,
            date!(2021 - 06 - 30),
            Some(35),
            "One partnership signed.",
        ),
    ));
    steps.push((
        "data",
        datetime!(2022-01-15 10:00 UTC),
        report(
            InProgress,
            date!(2021 - 12 - 31),
            Some(45),
            "First yearly exchange.",
        ),
    ));
    steps.push((
        "return",
        datetime!(2022-04-01 11:00 UTC),
        report(
            Planned,
            date!(2022 - 03 - 01),
            Some(0),
            "Work plan adopted.",
        ),
    ));
    steps.push((
        "return",
        datetime!(2022-04-20 10:00 UTC),
        CommitmentCommand::Revise(ReviseCommitment {
            changes: CommitmentChanges {
                title: Some("Return and sustainable reintegration".to_owned()),
                ..CommitmentChanges::default()
            },
            reason: "Aligned with the ministerial declaration.".to_owned(),
        }),
    ));
    // The late report: effective before the first IMRF, recorded after it.
    steps.push((
        "referral",
        datetime!(2022-09-01 10:00 UTC),
        report(
            Delayed,
            date!(2022 - 03 - 31),
            Some(30),
            "Funding gap delayed the roll-out.",
        ),
    ));
    steps.push((
        "remittances",
        datetime!(2022-10-01 10:00 UTC),
        report(
            Discontinued,
            date!(2022 - 09 - 30),
            Some(50),
            "Pilot ended.",
        ),
    ));
    steps.push((
        "remittances",
        datetime!(2023-01-10 10:00 UTC),
        CommitmentCommand::Withdraw(WithdrawCommitment {
            reason: "Superseded by a regional agreement.".to_owned(),
        }),
    ));
    steps.push((
        "data",
        datetime!(2023-07-01 10:00 UTC),
        report(
            Achieved,
            date!(2023 - 06 - 30),
            Some(100),
            "Exchange runs every year.",
        ),
    ));

    steps.sort_by_key(|(_, at, _)| *at);
    for (name, at, command) in steps {
        let (id, actor) = ids.get(name).unwrap().clone();
        decide_and_append::<CommitmentState>(store, StreamId::Commitment(id), at, &actor, command)
            .await;
    }
    ids.into_iter()
        .map(|(name, (id, _))| (name, id.to_string()))
        .collect()
}

/// A step of a commitment's history: its short name, when, and what.
type Step = (&'static str, OffsetDateTime, CommitmentCommand);

/// A commitment of the history: short name, mechanism, title, objectives, SDG targets, the day it
/// was made and when it was recorded.
type Plan = (
    &'static str,
    &'static str,
    &'static str,
    &'static [i64],
    &'static [&'static str],
    Date,
    OffsetDateTime,
);

fn reporter(mechanism: &str) -> Actor {
    Actor {
        token_id: format!("history-{mechanism}"),
        role: Role::Reporter {
            mechanism: MechanismId::parse(mechanism).unwrap(),
        },
    }
}

/// Everything exists: the history names only mechanisms it registered and catalogue targets.
struct Everything;

impl Lookup for Everything {
    fn sdg_target_exists(&self, code: &SdgTargetCode) -> bool {
        compact_events::catalogue::sdg_target(code).is_some()
    }

    fn recommendation_exists(&self, _: &RecommendationId) -> bool {
        true
    }

    fn mechanism_exists(&self, _: &MechanismId) -> bool {
        true
    }
}

/// Decides `command` on the stream as of `at` and appends the events recorded at `at`.
async fn decide_and_append<D>(
    store: &AnyStore,
    stream: StreamId,
    at: OffsetDateTime,
    actor: &Actor,
    command: D::Command,
) where
    D: Decider,
    D::Event: TryFrom<Event> + Into<Event>,
{
    let (state, recorded) = load::<D, _>(store, &stream).await.expect("load a stream");
    let context = Context {
        now: at,
        actor: actor.clone(),
        lookup: &Everything,
    };
    let events = state
        .decide(command, &context)
        .unwrap_or_else(|error| panic!("the history breaks a rule at {at}: {error}"));
    let role = match &actor.role {
        Role::Admin => "admin",
        Role::Reporter { .. } => "reporter",
        Role::Reviewer => "reviewer",
        Role::System => "system",
    };
    let request = AppendRequest {
        stream_id: stream.to_string(),
        expected_version: ExpectedVersion::Exact(i64::try_from(recorded.len()).unwrap()),
        events: events
            .into_iter()
            .map(|event| {
                let event: Event = event.into();
                NewEvent {
                    event_id: Uuid::now_v7(),
                    event_type: event.event_type().to_owned(),
                    schema_version: i32::try_from(event.schema_version()).unwrap(),
                    payload: event.to_payload(),
                    metadata: Metadata {
                        token_id: Some(actor.token_id.clone()),
                        role: role.to_owned(),
                        correlation_id: Some(format!("history-{at}")),
                        causation_id: None,
                    },
                }
            })
            .collect(),
        idempotency: None,
    };
    store
        .append_at(request, at)
        .await
        .expect("append a history event");
}
