//! The runner under failure: killed mid-catch-up and restarted, and rebuilt while writes go on —
//! either way the read models must end equal to a fresh rebuild from position 0.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use compact_projections::db::{Home, Location, ReadDb};
use compact_tracker::read_side::runner::rebuild;
use compact_tracker::state::{AppState, HttpConfig};
use compact_tracker::store::EventStore as _;
use sqlx::Connection as _;
use sqlx::Row as _;

use crate::backends::{Backend, for_each_backend};

for_each_backend!(a_rebuild_while_writes_continue_ends_equal_to_the_live_read_models);

/// Every read-model row, as text, table by table, in key order (checkpoint times excluded).
pub async fn dump(db: &ReadDb) -> Vec<String> {
    let tables = [
        (
            "mechanisms",
            "mechanism_id, known_from, name, kind, region",
            "mechanism_id",
        ),
        (
            "recommendations",
            "recommendation_id, known_from, text, theme, source",
            "recommendation_id",
        ),
        (
            "review_points",
            "review_point_id, known_from, name, starts_on, ends_on",
            "review_point_id",
        ),
        (
            "commitment_versions",
            "commitment_id, known_from, known_to, mechanism_id, title, description, made_on, due_date, gcm_objectives, sdg_targets, recommendation_ids, indicator",
            "commitment_id, known_from",
        ),
        (
            "commitment_links",
            "commitment_id, kind, link, known_from, known_to, mechanism_id",
            "commitment_id, kind, link, known_from",
        ),
        (
            "commitment_status",
            "commitment_id, basis, valid_from, valid_to, known_from, known_to, status, percent, mechanism_id",
            "commitment_id, basis, valid_from, known_from",
        ),
        (
            "progress_reports",
            "commitment_id, seq, position, recorded_on, effective_date, status, percent, retracted_position, mechanism_id",
            "commitment_id, seq",
        ),
        ("checkpoints", "projection, version, position", "projection"),
    ];
    let mut rows = Vec::new();
    for (table, columns, order) in tables {
        let text: Vec<String> = columns
            .split(", ")
            .map(|column| format!("coalesce(cast({column} as text), '-')"))
            .collect();
        let sql = format!(
            "select {} as line from {table} order by {order}",
            text.join(" || '|' || ")
        );
        for row in sqlx::query(&sql).fetch_all(db.pool()).await.unwrap() {
            rows.push(format!(
                "{table}: {}",
                row.try_get::<String, _>("line").unwrap()
            ));
        }
    }
    rows
}

const BINARY: &str = env!("CARGO_BIN_EXE_compact-tracker");

/// A server process, killed (SIGKILL) and reaped when dropped, also when a test fails.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &std::path::Path) -> Server {
    let child = Command::new(BINARY)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .env("COMPACT_PROJECTION_BATCH", "300")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Server(child)
}

async fn projected(db: &ReadDb) -> i64 {
    db.checkpoint("progress")
        .await
        .unwrap()
        .map_or(0, |(position, _)| position)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_killed_mid_catch_up_resumes_to_exactly_a_fresh_rebuild() {
    use compact_tracker::store::EventStore;
    use compact_tracker::store::sqlite::SqliteStore;

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let path = dir.path().join("data/compact-tracker.db");
    let store = SqliteStore::open(&path).await.unwrap();
    // Several catch-up batches' worth, so the kill lands between or inside batches.
    super::history::write(&store, 99, 3_000).await;
    let home = Home::Sqlite(path.clone());
    let location = Location::of(&home, 1);
    let Location::SqliteFile(file) = &location else {
        unreachable!("the embedded store keeps its read models in files");
    };

    // Kill the server (SIGKILL: no chance to finish anything) while it is still catching up. The
    // server creates generation 1 itself, so look only once its file exists.
    let server = serve(dir.path());
    let deadline = Instant::now() + Duration::from_secs(60);
    // Read the checkpoint without migrating: opening a `ReadDb` here could race the server's own
    // migration of the new file.
    let checkpoint_url = format!("sqlite://{}?mode=ro", file.display());
    loop {
        if file.exists()
            && let Ok(mut connection) = sqlx::SqliteConnection::connect(&checkpoint_url).await
            && let Ok(Some(position)) = sqlx::query_scalar::<_, i64>(
                "select position from checkpoints where projection = 'progress'",
            )
            .fetch_optional(&mut connection)
            .await
            && position > 0
        {
            drop(server);
            break;
        }
        assert!(Instant::now() < deadline, "the runner never started");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let live = ReadDb::open(&location).await.unwrap();
    let killed_at = projected(&live).await;
    let head = store.head().await.unwrap();
    println!("killed the runner at position {killed_at} of {head}");
    assert!(
        killed_at < head,
        "the kill came after the catch-up; make the history longer"
    );

    // Restart and let it finish.
    let server = serve(dir.path());
    let deadline = Instant::now() + Duration::from_secs(120);
    while projected(&live).await < head {
        assert!(
            Instant::now() < deadline,
            "the restarted runner did not catch up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The killed build had dropped the secondary indexes; the resumed one creates them after its
    // last batch.
    while sqlx::query_scalar::<_, i64>("select count(*) from deferred_indexes")
        .fetch_one(live.pool())
        .await
        .unwrap()
        > 0
    {
        assert!(
            Instant::now() < deadline,
            "the resumed build did not restore its indexes"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(server);

    let rebuilt = Command::new(BINARY)
        .args(["rebuild", "--quiet"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        rebuilt.status.success(),
        "{}",
        String::from_utf8_lossy(&rebuilt.stderr)
    );
    let fresh = ReadDb::open(&Location::of(&home, 2)).await.unwrap();
    let (live_rows, fresh_rows) = (dump(&live).await, dump(&fresh).await);
    assert!(live_rows.len() > 1_000, "{} rows", live_rows.len());
    assert_eq!(live_rows, fresh_rows);
    assert_eq!(
        super::index_names(&live).await,
        super::index_names(&fresh).await
    );
}

async fn a_rebuild_while_writes_continue_ends_equal_to_the_live_read_models(
    backend: &impl Backend,
) {
    let store = backend.open_any().await;
    super::history::write(&store, 3, 400).await;
    let state = AppState::start(store.clone(), HttpConfig::default())
        .await
        .unwrap();
    let home = store.read_home();
    let first = store.head().await.unwrap();
    assert!(
        state
            .read
            .readable_at(first, Duration::from_secs(60))
            .await
            .is_some(),
        "the first build finishes"
    );

    // Writes go on while the rebuild runs.
    let writer = {
        let store = store.clone();
        tokio::spawn(async move { super::history::write_more(&store, 4, 400).await })
    };
    let (generation, _) = rebuild(&store, false).await.unwrap();
    writer.await.unwrap();

    // The serving process switches to the rebuilt generation and follows the writes.
    let rebuilt = Location::of(&home, generation);
    let head = store.head().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while state.read.db().location() != &rebuilt || state.read.published() < head {
        assert!(
            Instant::now() < deadline,
            "the server did not switch and catch up: serving {:?} at {} of {head}, rebuilt {rebuilt:?}",
            state.read.db().location(),
            state.read.published()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let live = dump(&state.read.db()).await;
    let fresh = dump(&super::read_models(&store).await).await;
    assert!(live.len() > 500, "{} rows", live.len());
    assert_eq!(live, fresh);
}
