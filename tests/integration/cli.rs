//! The command line as a user runs it: the real binary, a fresh data directory, exit codes and
//! output (SPEC.md "Command line").

use std::io::{BufRead, BufReader, Lines};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_compact-tracker");

/// Loads a 12-commitment demo into the embedded store under `dir`; returns the store's URL.
fn small_demo(dir: &Path) -> String {
    let demo = run(dir, &["demo", "--commitments", "12", "--quiet"]);
    assert!(demo.status.success(), "{}", stderr(&demo));
    format!("sqlite://{}", dir.join("data/compact-tracker.db").display())
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BINARY)
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run compact-tracker")
}

/// A running `compact-tracker` server, with its first line of output.
struct Server {
    child: Child,
    /// The rest of standard output, kept open: the server prints more lines, and a closed pipe
    /// would end it.
    lines: Lines<BufReader<ChildStdout>>,
    first: String,
}

impl Server {
    /// Starts the binary in `dir` with `args` and `env` and waits for its first line.
    fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(BINARY)
            .args(args)
            .envs(env.iter().copied())
            .current_dir(dir)
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let Some(Ok(first)) = lines.next() else {
            let output = child.wait_with_output().unwrap();
            panic!("serve printed nothing: {}", stderr(&output));
        };
        Self {
            child,
            lines,
            first,
        }
    }
}

/// `127.0.0.1:<port>` from serve's first line, `… listening on http://<address>/ …`.
fn listening_address(first: &str) -> String {
    first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn token_create_prints_the_token_alone_on_the_last_line_and_list_never_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let created = run(
        dir.path(),
        &["token", "create", "--role", "admin", "--label", "ops"],
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let out = stdout(&created);
    let token = out.lines().last().unwrap().trim().to_owned();
    assert!(
        token.starts_with("ct_") && token.len() == 3 + 12 + 1 + 64,
        "{out:?}"
    );
    assert!(
        dir.path().join("data/compact-tracker.db").exists(),
        "the embedded store is created under ./data"
    );

    let listed = run(dir.path(), &["token", "list"]);
    assert!(listed.status.success());
    let id = &token[3..15];
    assert!(stdout(&listed).contains(id));
    assert!(stdout(&listed).contains("admin"));
    assert!(
        !stdout(&listed).contains(&token[16..]),
        "the secret is never listed"
    );

    let revoked = run(dir.path(), &["token", "revoke", id]);
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    assert!(stdout(&run(dir.path(), &["token", "list"])).contains("revoked"));
}

#[test]
fn bad_usage_exits_two_with_one_sentence_and_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["token", "create", "--role", "reporter"],
        vec![
            "token",
            "create",
            "--role",
            "admin",
            "--mechanism",
            "bali-process",
        ],
        vec![
            "token",
            "create",
            "--role",
            "reporter",
            "--mechanism",
            "Not A Slug",
        ],
        vec!["no-such-command"],
        vec!["token", "create", "--role", "emperor"],
        vec!["--database-url", "notaurl", "verify"],
        vec!["--database-url", "mysql://root@localhost/db", "verify"],
        vec![
            "copy-store",
            "--from",
            "nosuch.db",
            "--to",
            "sqlite://copy.db",
        ],
        vec!["--projection-batch", "0", "rebuild"],
    ] {
        let output = run(dir.path(), &args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        let message = stderr(&output);
        assert!(message.contains("error"), "{args:?}: {message}");
        assert!(!message.contains("panicked"), "{args:?}: {message}");
    }
    for file in ["notaurl", "nosuch.db", "copy.db"] {
        assert!(
            !dir.path().join(file).exists(),
            "a mistyped URL created {file}"
        );
    }
}

#[test]
fn token_commands_refuse_what_would_do_nothing_in_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let unknown = run(
        dir.path(),
        &[
            "token",
            "create",
            "--role",
            "reporter",
            "--mechanism",
            "no-such-mech",
        ],
    );
    assert_eq!(unknown.status.code(), Some(1), "{}", stderr(&unknown));
    assert_eq!(
        stderr(&unknown).trim(),
        "error: no mechanism no-such-mech is registered; register it first (POST /v1/mechanisms)"
    );

    let created = run(dir.path(), &["token", "create", "--role", "admin"]);
    assert!(created.status.success(), "{}", stderr(&created));
    let token = stdout(&created).lines().last().unwrap().trim().to_owned();
    let id = token[3..15].to_owned();

    let by_secret = run(dir.path(), &["token", "revoke", &token]);
    assert_eq!(by_secret.status.code(), Some(1));
    assert!(
        stderr(&by_secret).contains("the 12 characters after `ct_`"),
        "{}",
        stderr(&by_secret)
    );
    let first = run(dir.path(), &["token", "revoke", &id]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(stdout(&first).trim(), format!("revoked token {id}"));
    let again = run(dir.path(), &["token", "revoke", &id]);
    assert_eq!(again.status.code(), Some(1), "{}", stdout(&again));
    assert_eq!(
        stderr(&again).trim(),
        format!("error: token {id} was already revoked")
    );
}

#[test]
fn a_bare_invocation_serves_with_the_options_the_environment_gives() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        dir.path(),
        &[],
        &[
            ("COMPACT_LISTEN", "127.0.0.1:0"),
            ("COMPACT_PRIVATE", "true"),
        ],
    );
    let first = server.first.clone();
    let address = listening_address(&first);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let status = runtime.block_on(async {
        reqwest::get(format!("http://{address}/v1/review-points"))
            .await
            .unwrap()
            .status()
    });
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    assert!(
        !address.ends_with(":8080"),
        "COMPACT_LISTEN is honoured: {first}"
    );
    assert_eq!(
        status, 401,
        "COMPACT_PRIVATE is honoured: reads need a token"
    );
}

#[test]
fn a_failure_exits_one_with_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["token", "revoke", "000000000000"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output).trim(),
        "error: no token has the id 000000000000"
    );

    let unreachable = run(
        dir.path(),
        &[
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
            "migrate",
        ],
    );
    assert_eq!(unreachable.status.code(), Some(1));
    assert!(
        stderr(&unreachable).starts_with("error: cannot use the database at"),
        "{}",
        stderr(&unreachable)
    );
}

#[test]
fn verify_reports_an_intact_chain_and_names_a_tampered_position() {
    use compact_tracker::store::sqlite::SqliteStore;
    use compact_tracker::store::{AppendRequest, EventStore, ExpectedVersion, Metadata, NewEvent};
    use sqlx::Connection;

    let dir = tempfile::tempdir().unwrap();
    let empty = run(dir.path(), &["verify"]);
    assert!(empty.status.success(), "{}", stderr(&empty));
    assert!(stdout(&empty).starts_with("ok: 0 events checked"));

    let path = dir.path().join("data/compact-tracker.db");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open(&path).await.unwrap();
        for n in 0..3 {
            let event = NewEvent {
                event_id: uuid::Uuid::now_v7(),
                event_type: "thing_happened".into(),
                schema_version: 1,
                payload: serde_json::json!({"n": n}),
                metadata: Metadata {
                    role: "admin".into(),
                    ..Metadata::default()
                },
            };
            let request = AppendRequest {
                stream_id: "s".into(),
                expected_version: ExpectedVersion::Any,
                events: vec![event],
                idempotency: None,
            };
            store.append(request).await.unwrap();
        }
    });
    let intact = run(dir.path(), &["verify"]);
    assert!(intact.status.success(), "{}", stderr(&intact));
    assert!(
        stdout(&intact).starts_with("ok: 3 events checked"),
        "{}",
        stdout(&intact)
    );

    runtime.block_on(async {
        let url = format!("sqlite://{}", path.display());
        let mut connection = sqlx::SqliteConnection::connect(&url).await.unwrap();
        for sql in [
            "drop trigger events_refuse_update",
            r#"update events set payload = '{"n":99}' where position = 2"#,
        ] {
            sqlx::query(sql).execute(&mut connection).await.unwrap();
        }
    });
    let broken = run(dir.path(), &["verify"]);
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(
        stderr(&broken).trim(),
        "error: the event log is broken at position 2: its hash does not match"
    );
}

#[test]
fn serve_listens_answers_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let Server {
        mut child,
        mut lines,
        first,
    } = Server::start(dir.path(), &["serve", "--listen", "127.0.0.1:0"], &[]);
    let address = listening_address(&first);
    let rest: Vec<String> = lines.by_ref().take(2).map(Result::unwrap).collect();
    assert!(
        rest.iter()
            .any(|line| line.contains("token create --role admin")),
        "{rest:?}"
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let body = runtime.block_on(async {
        let response = reqwest::get(format!("http://{address}/readyz"))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<serde_json::Value>().await.unwrap()
    });
    assert_eq!(body["backend"], "sqlite");
    assert!(
        body["head"].as_i64().unwrap() > 0,
        "built-in catalogues are loaded on first start"
    );

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

fn events_of(url: &str) -> Vec<compact_tracker::store::RecordedEvent> {
    use compact_tracker::store::EventStore;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = compact_tracker::app::open_store(&url.parse().expect("a database URL"))
            .await
            .unwrap();
        store.read_all(0, i64::MAX).await.unwrap()
    })
}

#[test]
fn an_export_imports_into_an_empty_store_with_every_position_and_hash_and_a_changed_one_writes_nothing()
 {
    let dir = tempfile::tempdir().unwrap();
    let source = small_demo(dir.path());
    let original = events_of(&source);
    assert!(original.len() > 100, "the demo wrote a history");

    let exported = run(dir.path(), &["export", "log.ndjson"]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let text = std::fs::read_to_string(dir.path().join("log.ndjson")).unwrap();
    assert_eq!(text.lines().count(), original.len());

    let copy = format!("sqlite://{}", dir.path().join("copy/events.db").display());
    let imported = run(
        dir.path(),
        &["--database-url", &copy, "import", "log.ndjson"],
    );
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(
        stdout(&imported).contains(&format!("imported {} events", original.len())),
        "{}",
        stdout(&imported)
    );
    assert_eq!(
        events_of(&copy),
        original,
        "positions, times and hashes are kept"
    );

    let again = run(
        dir.path(),
        &["--database-url", &copy, "import", "log.ndjson"],
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already holds"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        events_of(&copy),
        original,
        "a refused import writes nothing"
    );

    // One changed value near the end: the chain check stops the import before any write.
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let changed = lines.len() - 3;
    let mut line: serde_json::Value = serde_json::from_str(&lines[changed]).unwrap();
    line["metadata"]["role"] = serde_json::json!("reviewer");
    lines[changed] = line.to_string();
    std::fs::write(dir.path().join("changed.ndjson"), lines.join("\n")).unwrap();
    let fresh = format!("sqlite://{}", dir.path().join("fresh/events.db").display());
    let refused = run(
        dir.path(),
        &["--database-url", &fresh, "import", "changed.ndjson"],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains(&format!("line {} ", changed + 1)),
        "{}",
        stderr(&refused)
    );
    assert!(events_of(&fresh).is_empty(), "nothing was imported");

    let garbage = run(
        dir.path(),
        &["--database-url", &fresh, "import", "Cargo.toml"],
    );
    assert_eq!(garbage.status.code(), Some(1), "{}", stderr(&garbage));
    assert!(events_of(&fresh).is_empty());
}

#[test]
fn copy_store_moves_a_sqlite_log_to_postgresql_and_verifies_it() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(postgres) = runtime.block_on(crate::backends::PostgresBackend::new(
        "copy_store_moves_a_sqlite_log_to_postgresql_and_verifies_it",
    )) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = small_demo(dir.path());

    let copied = run(
        dir.path(),
        &["copy-store", "--from", &source, "--to", postgres.url()],
    );
    assert!(copied.status.success(), "{}", stderr(&copied));
    assert_eq!(events_of(postgres.url()), events_of(&source));

    let again = run(
        dir.path(),
        &["copy-store", "--from", &source, "--to", postgres.url()],
    );
    assert_eq!(
        again.status.code(),
        Some(1),
        "the target is no longer empty"
    );
    runtime.block_on(postgres.finish());
}
