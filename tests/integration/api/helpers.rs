//! [`TestApp`]: the whole service on a fresh database, with its catalogues seeded, one token per
//! role, two mechanisms, and typed request helpers (STYLE.md point 17).

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use compact_events::ids::MechanismId;
use compact_tracker::seed::load_builtin_catalogues;
use compact_tracker::startup::router;
use compact_tracker::state::{AppState, HttpConfig};
use compact_tracker::store::{AnyStore, EventStore};
use compact_tracker::tokens::{TokenRole, Tokens};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower::ServiceExt as _;

use crate::backends::Backend;

/// The mechanism whose reporter is [`TestApp::reporter_a`].
pub const MECHANISM_A: &str = "mechanism-a";
/// The mechanism whose reporter is [`TestApp::reporter_b`].
pub const MECHANISM_B: &str = "mechanism-b";
/// The day the fixture commitments were made.
pub const MADE_ON: &str = "2020-01-15";

/// A token as handed to its holder: the public id and the whole bearer secret.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The public id, as recorded in event metadata.
    pub id: String,
    /// `ct_<id>_<secret>`.
    pub token: String,
}

/// The service on a fresh database.
pub struct TestApp {
    /// The store behind the service, for looking at what was appended.
    pub store: AnyStore,
    /// The token table, for issuing and revoking more tokens.
    pub tokens: Tokens,
    router: Router,
    /// An admin (the secretariat).
    pub admin: Issued,
    /// A read-only reviewer.
    pub reviewer: Issued,
    /// A reporter of [`MECHANISM_A`].
    pub reporter_a: Issued,
    /// A reporter of [`MECHANISM_B`].
    pub reporter_b: Issued,
}

impl TestApp {
    /// The public service (reads need no token).
    pub async fn spawn(backend: &impl Backend) -> Self {
        Self::spawn_with(backend, HttpConfig::default()).await
    }

    /// The service with these settings (e.g. `--private`).
    pub async fn spawn_with(backend: &impl Backend, config: HttpConfig) -> Self {
        // A 500's cause is only logged (its body says nothing of internals): show it in the
        // output of the test that met it.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("error")
            .try_init();
        let store = backend.open_any().await;
        load_builtin_catalogues(&store)
            .await
            .expect("seed the built-in catalogues");
        let tokens = Tokens::new(store.clone());
        let admin = issue(&tokens, TokenRole::Admin).await;
        let reviewer = issue(&tokens, TokenRole::Reviewer).await;
        let reporter_a = issue(&tokens, reporter_of(MECHANISM_A)).await;
        let reporter_b = issue(&tokens, reporter_of(MECHANISM_B)).await;
        let state = AppState::start(store.clone(), config)
            .await
            .expect("start the read side");
        let app = Self {
            store,
            tokens,
            router: router(state),
            admin,
            reviewer,
            reporter_a,
            reporter_b,
        };
        for mechanism in [MECHANISM_A, MECHANISM_B] {
            app.post("/v1/mechanisms")
                .bearer(&app.admin.token)
                .json(&json!({
                    "id": mechanism,
                    "name": format!("Mechanism {mechanism}"),
                    "kind": "regional_consultative_process",
                    "region": "Asia and the Pacific",
                }))
                .send()
                .await
                .expect_status(StatusCode::CREATED, "register a fixture mechanism");
        }
        app
    }

    /// Issues another token (to revoke it, or for a second client).
    pub async fn issue(&self, role: TokenRole) -> Issued {
        issue(&self.tokens, role).await
    }

    /// A request to send in-process.
    pub fn request(&self, method: Method, path: &str) -> Call<'_> {
        Call {
            app: self,
            method,
            path: path.to_owned(),
            headers: HeaderMap::new(),
            body: Vec::new(),
        }
    }

    /// A `GET`.
    pub fn get(&self, path: &str) -> Call<'_> {
        self.request(Method::GET, path)
    }

    /// A `POST`.
    pub fn post(&self, path: &str) -> Call<'_> {
        self.request(Method::POST, path)
    }

    /// `POST` a JSON body, with a token if given.
    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        let mut call = self.post(path).json(body);
        if let Some(token) = token {
            call = call.bearer(token);
        }
        call.send().await
    }

    /// `GET` without a token; the body as JSON.
    pub async fn get_json(&self, path: &str) -> Reply {
        self.get(path).send().await
    }

    /// The router, for tests that drive it from several tasks.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The position of the last event in the store.
    pub async fn feed_head(&self) -> i64 {
        self.store.head().await.expect("read the store's head")
    }

    /// Waits (through the API's read-your-writes) until the read models have applied every event
    /// written so far.
    #[allow(
        dead_code,
        reason = "used by the dashboard tests, which share these helpers"
    )]
    pub async fn caught_up(&self) {
        let head = self.feed_head().await;
        let reply = self
            .get(&format!("/v1/review-points?min_position={head}"))
            .send()
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "the read models catch up with position {head}"
        );
    }

    /// The whole global feed as the API shows it, every page of `GET /v1/events`.
    pub async fn feed(&self) -> Vec<Value> {
        let mut events = Vec::new();
        let mut after = 0;
        loop {
            let page = self
                .get(&format!("/v1/events?after={after}&limit=1000"))
                .bearer(&self.reviewer.token)
                .send()
                .await
                .expect_status(StatusCode::OK, "read the global feed");
            let batch = page.body["events"].as_array().cloned().unwrap_or_default();
            if batch.is_empty() {
                return events;
            }
            after = page.body["next_after"].as_i64().unwrap();
            events.extend(batch);
        }
    }

    /// Asserts that nothing was appended since `head` was read.
    pub async fn assert_head_unchanged(&self, head: i64, case: &str) {
        assert_eq!(
            self.feed_head().await,
            head,
            "{case}: a rejected request appended events"
        );
    }

    /// Makes a commitment of `mechanism` (made on [`MADE_ON`]) and returns its id.
    pub async fn make_commitment(&self, token: &str, mechanism: &str) -> String {
        let reply = self
            .post_json("/v1/commitments", Some(token), &commitment_body(mechanism))
            .await
            .expect_status(StatusCode::CREATED, "make a fixture commitment");
        reply.body["id"].as_str().unwrap().to_owned()
    }

    /// Logs a progress update and returns its `seq`.
    pub async fn report(&self, token: &str, commitment: &str, body: &Value) -> u64 {
        let reply = self
            .post_json(
                &format!("/v1/commitments/{commitment}/progress"),
                Some(token),
                body,
            )
            .await
            .expect_status(StatusCode::CREATED, "log a fixture progress update");
        reply.body["seq"].as_u64().unwrap()
    }

    /// `GET /v1/commitments/{id}{query}`, expecting 200.
    pub async fn commitment(&self, id: &str, query: &str) -> Value {
        self.get_json(&format!("/v1/commitments/{id}{query}"))
            .await
            .expect_status(StatusCode::OK, "read a commitment")
            .body
    }

    /// `GET /v1/commitments/{id}/history`, expecting 200: the stream's events.
    pub async fn history(&self, id: &str) -> Vec<Value> {
        self.get_json(&format!("/v1/commitments/{id}/history"))
            .await
            .expect_status(StatusCode::OK, "read a commitment's history")
            .body["events"]
            .as_array()
            .cloned()
            .unwrap()
    }

    /// Serves the router on a real socket at `127.0.0.1:<free port>` until the handle is dropped.
    pub async fn serve(&self) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let address = listener.local_addr().unwrap();
        let router = self.router.clone();
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve");
        });
        Server { address, task }
    }
}

/// The service on a real socket; stops when dropped.
pub struct Server {
    /// Where it listens.
    pub address: SocketAddr,
    task: JoinHandle<()>,
}

impl Server {
    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One request being built.
pub struct Call<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Call<'_> {
    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Any header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(
            HeaderName::try_from(name).unwrap(),
            HeaderValue::try_from(value).unwrap(),
        );
        self
    }

    /// A header whose value is not text (e.g. Latin-1 bytes).
    pub fn header_bytes(mut self, name: &str, value: &[u8]) -> Self {
        self.headers.insert(
            HeaderName::try_from(name).unwrap(),
            HeaderValue::from_bytes(value).unwrap(),
        );
        self
    }

    /// A JSON body with `Content-Type: application/json`.
    pub fn json(self, body: &Value) -> Self {
        self.raw(Some("application/json"), serde_json::to_vec(body).unwrap())
    }

    /// Any bytes, with this content type (or none).
    pub fn raw(mut self, content_type: Option<&str>, body: impl Into<Vec<u8>>) -> Self {
        if let Some(content_type) = content_type {
            self = self.header("content-type", content_type);
        }
        self.body = body.into();
        self
    }

    /// Sends the request and returns the status and headers without reading the body (for
    /// endless streams).
    pub async fn send_for_head(self) -> (StatusCode, HeaderMap) {
        let mut request = Request::builder()
            .method(self.method)
            .uri(&self.path)
            .body(Body::from(self.body))
            .unwrap();
        *request.headers_mut() = self.headers;
        let response = self.app.router.clone().oneshot(request).await.unwrap();
        (response.status(), response.headers().clone())
    }

    /// Sends the request through the router and reads the whole answer.
    pub async fn send(self) -> Reply {
        let mut request = Request::builder()
            .method(self.method)
            .uri(&self.path)
            .body(Body::from(self.body))
            .unwrap();
        *request.headers_mut() = self.headers;
        let response = self.app.router.clone().oneshot(request).await.unwrap();
        Reply::read(response).await
    }
}

/// A whole response: status, headers, and the body as text and (if it is JSON) as a value.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body parsed as JSON, or `null` when it is not JSON.
    pub body: Value,
    /// The body as text.
    pub text: String,
}

impl Reply {
    async fn read(response: axum::response::Response) -> Self {
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Self {
            status: parts.status,
            headers: parts.headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
        }
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Asserts the status, naming the case and showing the body when it differs.
    #[track_caller]
    pub fn expect_status(self, expected: StatusCode, case: &str) -> Self {
        assert_eq!(
            self.status, expected,
            "{case}: expected {expected}, got {} with {}",
            self.status, self.text
        );
        self
    }

    /// Asserts a `201` write answer: `ETag: "<version>"` and `{id, version, position}`.
    #[track_caller]
    pub fn expect_created(self, case: &str) -> Self {
        let reply = self.expect_status(StatusCode::CREATED, case);
        let version = reply.body["version"].as_i64();
        assert!(
            version.is_some_and(|v| v >= 1),
            "{case}: version: {}",
            reply.text
        );
        assert!(reply.body["id"].is_string(), "{case}: id: {}", reply.text);
        assert!(
            reply.body["position"].as_i64().is_some_and(|p| p >= 1),
            "{case}: position: {}",
            reply.text
        );
        assert_eq!(
            reply.header("etag"),
            Some(format!("\"{}\"", version.unwrap_or_default()).as_str()),
            "{case}: the ETag is the version in the body"
        );
        reply
    }

    /// Asserts an RFC 9457 problem with this status: the content type, `type`, `title`, `status`
    /// and a non-empty `detail`.
    #[track_caller]
    pub fn expect_problem(self, expected: StatusCode, case: &str) -> Self {
        let reply = self.expect_status(expected, case);
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json"),
            "{case}: content type"
        );
        assert_eq!(
            reply.body["status"].as_u64(),
            Some(u64::from(expected.as_u16())),
            "{case}: status in the body: {}",
            reply.text
        );
        assert!(
            reply.body["type"].as_str().is_some_and(|t| !t.is_empty()),
            "{case}: type: {}",
            reply.text
        );
        assert!(reply.body["title"].is_string(), "{case}: title");
        assert!(
            reply.body["detail"]
                .as_str()
                .is_some_and(|detail| detail.trim().len() > 10),
            "{case}: a clear detail: {}",
            reply.text
        );
        reply
    }

    /// Asserts a 422 problem naming `field` (or naming none, for `None`).
    #[track_caller]
    pub fn expect_invalid(self, field: Option<&str>, case: &str) -> Self {
        let reply = self.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, case);
        assert_eq!(
            reply.body["field"].as_str(),
            field,
            "{case}: the field at fault: {}",
            reply.text
        );
        reply
    }
}

async fn issue(tokens: &Tokens, role: TokenRole) -> Issued {
    let created = tokens
        .create(&role, Some("integration test"))
        .await
        .expect("create a token");
    Issued {
        id: created.id,
        token: created.token,
    }
}

/// The role of a reporter of `mechanism`.
pub fn reporter_of(mechanism: &str) -> TokenRole {
    TokenRole::Reporter(MechanismId::parse(mechanism).unwrap())
}

/// A valid commitment of `mechanism`, made on [`MADE_ON`], with an indicator.
pub fn commitment_body(mechanism: &str) -> Value {
    json!({
        "mechanism_id": mechanism,
        "title": "Regional labour mobility skills partnership",
        "description": "Member states pilot skills partnerships with countries of origin.",
        "gcm_objectives": [5, 18],
        "sdg_targets": ["10.7", "8.8"],
        "recommendation_ids": ["grcp7-6.1"],
        "made_on": MADE_ON,
        "due_date": "2026-12-31",
        "indicator": {"name": "Workers placed", "unit": "people", "baseline": "0", "target": "5000"},
    })
}

/// Every write route, with a valid body, against commitment `id` (with a progress update 1).
pub fn write_routes(id: &str) -> Vec<(&'static str, String, Value)> {
    vec![
        (
            "register a mechanism",
            "/v1/mechanisms".into(),
            json!({"id": "new-mechanism", "name": "New", "kind": "other"}),
        ),
        (
            "add a recommendation",
            "/v1/recommendations".into(),
            json!({"id": "new-recommendation", "text": "Do it.", "theme": "data", "source": "Test"}),
        ),
        (
            "make a commitment",
            "/v1/commitments".into(),
            commitment_body(MECHANISM_A),
        ),
        (
            "revise",
            format!("/v1/commitments/{id}/revisions"),
            json!({"title": "A revised title", "reason": "Clearer."}),
        ),
        (
            "log progress",
            format!("/v1/commitments/{id}/progress"),
            progress_body("in_progress", "2021-06-30", 40),
        ),
        (
            "validate",
            format!("/v1/commitments/{id}/progress/1/validation"),
            json!({"decision": "validated", "note": "Checked."}),
        ),
        (
            "retract",
            format!("/v1/commitments/{id}/progress/1/retraction"),
            json!({"reason": "Wrong figures."}),
        ),
        (
            "withdraw",
            format!("/v1/commitments/{id}/withdrawal"),
            json!({"reason": "Superseded."}),
        ),
    ]
}

/// A valid progress update.
pub fn progress_body(status: &str, effective_date: &str, percent: u8) -> Value {
    json!({
        "status": status,
        "effective_date": effective_date,
        "percent_complete": percent,
        "narrative": format!("{status} as of {effective_date}."),
        "evidence_urls": ["https://example.org/report"],
    })
}

/// Percent-encodes a query value (RFC 3339 offsets hold `+` and `:`).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Today (UTC) plus `days`, as `YYYY-MM-DD`.
pub fn today_plus(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}
