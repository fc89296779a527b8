//! Event-store append throughput, beside the raw limit of the same database measured in the same run.
//!
//! What it measures, on each backend (SQLite in a fresh temporary file; PostgreSQL in a fresh
//! database created from `BENCH_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`,
//! dropped at the end; skipped with a note when unreachable):
//!
//! - `store_single_1w` / `store_single_16w`: durable single-event appends through
//!   [`EventStore::append`] from 1 and from 16 concurrent writers, each writer on its own stream with
//!   `ExpectedVersion::Exact`;
//! - `store_batch100_1w` / `store_batch100_4w`: appends of 100 events each, from 1 and 4 writers;
//! - `raw_*`: the raw limit — a plain sqlx `INSERT` of the same ~300-byte JSON rows into a bare table
//!   (`bigserial`/rowid key, no other index, no ordering guarantee) with the same durability
//!   (PostgreSQL `synchronous_commit=on`; SQLite WAL with `synchronous=FULL`): one row per
//!   transaction (an autocommit statement, the cheapest way to commit one row) from 1 and 16
//!   connections (PostgreSQL) or 1 connection (SQLite has one writer), and 100 rows per transaction
//!   (`UNNEST` on PostgreSQL, multi-row `VALUES` on SQLite) from 1 and 4 connections.
//!
//! Why: the store keeps a gapless total order by serializing appends under one write lock, and
//! relies on group commit to pay for it. The aim (docs/benchmarks.md) is that 16 concurrent
//! single-event appenders reach at least the raw one-row-per-transaction rate of 16 unordered
//! connections, and that batches of 100 reach at least 25,000 events/s. Comparing against the raw
//! rate of the same machine, in the same run, makes the ratio meaningful on a noisy 2-core machine.
//!
//! Criterion reports the time per iteration and, through `Throughput::Elements`, events/s; one
//! iteration is one append (or one raw transaction) per writer. Sampling is flat, so every sample
//! has the same size. After criterion's own output the bench prints a Markdown summary: the median
//! over the measurement samples of events/s, the store/raw ratio, per-append latency percentiles
//! (p50/p99, over the measurement samples), and for the store the number of commits the group-commit
//! writer made and the mean events per commit (counted as distinct `recorded_at` values, which one
//! commit shares), i.e. how well concurrent appends were grouped.
//!
//! Each store workload runs on a fresh SQLite file or PostgreSQL schema, seeded first with
//! `BENCH_SEED_EVENTS` events (default 10,000; 0 for none) and, on PostgreSQL, analysed, so that
//! appends run against a table in use rather than an empty one (whose cached generic plans are
//! sequential scans until autovacuum's first analyze; see docs/benchmarks.md).
//!
//! Run with `cargo bench --bench store` (add `-- <filter>` to run some of it, e.g. `-- postgres/`).
//! The run is kept short: sample size 10, 1 s warm-up, 4 s measurement per benchmark. Diagnostics,
//! off by default: `BENCH_TRACE=1` prints, per benchmark, the group-commit batch sizes and the time
//! of each statement in the writer's transaction (a minimal `tracing` subscriber, see [`probe`]);
//! `BENCH_AUTO_EXPLAIN=<ms>` makes PostgreSQL log the plans of statements slower than that.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use compact_tracker::store::postgres::PostgresStore;
use compact_tracker::store::sqlite::SqliteStore;
use compact_tracker::store::{AppendRequest, EventStore, ExpectedVersion, Metadata, NewEvent};
use criterion::{Criterion, SamplingMode, Throughput};
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions as _, Connection as _, PgPool, QueryBuilder, SqlitePool};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;
use uuid::Uuid;

const SAMPLE_SIZE: usize = 10;
const WARM_UP: Duration = Duration::from_secs(1);
const MEASUREMENT: Duration = Duration::from_secs(4);
const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut criterion = Criterion::default()
        .sample_size(SAMPLE_SIZE)
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT)
        .configure_from_args();
    let report = Report::default();
    report.note(format!("load average at start: {}", load_average()));
    if std::env::var_os("BENCH_TRACE").is_some() {
        probe::install();
    }

    println!(
        "payload: {} bytes of JSON",
        payload_text(0, Uuid::nil(), 0).len()
    );
    bench_sqlite(&mut criterion, &runtime, &report);
    match runtime.block_on(PgBench::create()) {
        Some(pg) => {
            bench_postgres(&mut criterion, &runtime, &report, &pg);
            runtime.block_on(pg.drop_database());
        }
        None => report.note("PostgreSQL: skipped (see above)".to_owned()),
    }
    criterion.final_summary();
    report.note(format!(
        "load average at end: {} (2 cores; above ~2 means something else competed)",
        load_average()
    ));
    report.print();
}

// ---------------------------------------------------------------------------------------------
// Workloads
// ---------------------------------------------------------------------------------------------

/// The `serde_json` payload of a progress update, about 300 bytes.
fn payload(writer: usize, commitment: Uuid, seq: u64) -> serde_json::Value {
    json!({
        "commitment_id": commitment,
        "indicator": "sdg-10.7.2",
        "objective": 5,
        "period": "2026-Q3",
        "value": (seq % 1000) as f64 / 10.0,
        "unit": "percent",
        "status": "on_track",
        "narrative": "Bilateral labour-mobility pilot extended to two further regions; placements up on the previous quarter.",
        "evidence": [format!("https://example.org/evidence/{writer}/{seq}.pdf")],
    })
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn payload_text(writer: usize, commitment: Uuid, seq: u64) -> String {
    payload(writer, commitment, seq).to_string()
}

fn metadata() -> Metadata {
    Metadata {
        token_id: Some("tok-bench".to_owned()),
        role: "reporter".to_owned(),
        correlation_id: Some(Uuid::now_v7().to_string()),
        causation_id: None,
    }
}

fn progress_event(writer: usize, commitment: Uuid, seq: u64) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "progress_reported".to_owned(),
        schema_version: 1,
        payload: payload(writer, commitment, seq),
        metadata: metadata(),
    }
}

/// One call of a benchmark routine: how many events it wrote, in how long, and each append's time.
struct Sample {
    events: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Sample {
    fn merge(elapsed: Duration, per_writer: Vec<(u64, Vec<Duration>)>) -> Self {
        let events = per_writer.iter().map(|(events, _)| events).sum();
        let latencies = per_writer.into_iter().flat_map(|(_, l)| l).collect();
        Self {
            events,
            elapsed,
            latencies,
        }
    }
}

async fn join_all(mut tasks: JoinSet<(u64, Vec<Duration>)>) -> Vec<(u64, Vec<Duration>)> {
    let mut out = Vec::with_capacity(tasks.len());
    while let Some(result) = tasks.join_next().await {
        out.push(result.expect("a benchmark writer panicked"));
    }
    out
}

/// `writers` concurrent writers, each on its own new stream, each making `iters` appends of
/// `events_per_append` events.
async fn store_appends<S: EventStore>(
    store: &S,
    writers: usize,
    events_per_append: usize,
    iters: u64,
) -> Sample {
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for writer in 0..writers {
        let store = store.clone();
        tasks.spawn(async move {
            let commitment = Uuid::now_v7();
            let stream_id = format!("commitment-{commitment}");
            let mut latencies = Vec::with_capacity(usize::try_from(iters).unwrap_or(0));
            let mut version = 0;
            let mut seq = 0;
            for _ in 0..iters {
                let events = (0..events_per_append)
                    .map(|_| {
                        seq += 1;
                        progress_event(writer, commitment, seq)
                    })
                    .collect();
                let request = AppendRequest {
                    stream_id: stream_id.clone(),
                    expected_version: ExpectedVersion::Exact(version),
                    events,
                    idempotency: None,
                };
                let started = Instant::now();
                let result = store.append(request).await.expect("append");
                latencies.push(started.elapsed());
                version = result.stream_version;
            }
            (seq, latencies)
        });
    }
    let per_writer = join_all(tasks).await;
    Sample::merge(start.elapsed(), per_writer)
}

/// Raw PostgreSQL: `connections` connections, each committing `iters` transactions of
/// `rows_per_tx` rows (one autocommit statement each).
async fn pg_raw(pool: &PgPool, connections: usize, rows_per_tx: usize, iters: u64) -> Sample {
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for writer in 0..connections {
        let pool = pool.clone();
        tasks.spawn(async move {
            let mut connection = pool.acquire().await.expect("a raw connection");
            let commitment = Uuid::now_v7();
            let stream_id = format!("commitment-{commitment}");
            let mut latencies = Vec::with_capacity(usize::try_from(iters).unwrap_or(0));
            let mut seq = 0;
            for _ in 0..iters {
                let started;
                if rows_per_tx == 1 {
                    seq += 1;
                    let payload = payload_text(writer, commitment, seq);
                    let metadata = serde_json::to_string(&metadata()).expect("metadata");
                    started = Instant::now();
                    sqlx::query(
                        r"insert into raw_events (stream_id, event_id, event_type, schema_version,
                                                  payload, metadata)
                          values ($1, $2, $3, $4, $5::jsonb, $6::jsonb)",
                    )
                    .bind(&stream_id)
                    .bind(Uuid::now_v7())
                    .bind("progress_reported")
                    .bind(1_i32)
                    .bind(payload)
                    .bind(metadata)
                    .execute(&mut *connection)
                    .await
                    .expect("raw insert");
                } else {
                    let mut payloads = Vec::with_capacity(rows_per_tx);
                    let mut metadatas = Vec::with_capacity(rows_per_tx);
                    let mut ids = Vec::with_capacity(rows_per_tx);
                    for _ in 0..rows_per_tx {
                        seq += 1;
                        payloads.push(payload_text(writer, commitment, seq));
                        metadatas.push(serde_json::to_string(&metadata()).expect("metadata"));
                        ids.push(Uuid::now_v7());
                    }
                    started = Instant::now();
                    sqlx::query(
                        r"insert into raw_events (stream_id, event_id, event_type, schema_version,
                                                  payload, metadata)
                          select $1, event_id, $2, $3, payload::jsonb, metadata::jsonb
                          from unnest($4::uuid[], $5::text[], $6::text[])
                               as t(event_id, payload, metadata)",
                    )
                    .bind(&stream_id)
                    .bind("progress_reported")
                    .bind(1_i32)
                    .bind(ids)
                    .bind(payloads)
                    .bind(metadatas)
                    .execute(&mut *connection)
                    .await
                    .expect("raw batch insert");
                }
                latencies.push(started.elapsed());
            }
            (seq, latencies)
        });
    }
    let per_writer = join_all(tasks).await;
    Sample::merge(start.elapsed(), per_writer)
}

/// Raw SQLite: one connection committing `iters` transactions of `rows_per_tx` rows.
async fn sqlite_raw(pool: &SqlitePool, rows_per_tx: usize, iters: u64) -> Sample {
    let start = Instant::now();
    let mut connection = pool.acquire().await.expect("the raw SQLite connection");
    let commitment = Uuid::now_v7();
    let stream_id = format!("commitment-{commitment}");
    let mut latencies = Vec::with_capacity(usize::try_from(iters).unwrap_or(0));
    let mut seq = 0;
    for _ in 0..iters {
        let rows: Vec<(String, String, String)> = (0..rows_per_tx)
            .map(|_| {
                seq += 1;
                (
                    Uuid::now_v7().to_string(),
                    payload_text(0, commitment, seq),
                    serde_json::to_string(&metadata()).expect("metadata"),
                )
            })
            .collect();
        let started = Instant::now();
        let mut insert = QueryBuilder::new(
            "insert into raw_events (stream_id, event_id, event_type, schema_version, payload, \
             metadata, recorded_at) ",
        );
        insert.push_values(&rows, |mut values, (event_id, payload, metadata)| {
            values
                .push_bind(&stream_id)
                .push_bind(event_id)
                .push_bind("progress_reported")
                .push_bind(1_i32)
                .push_bind(payload)
                .push_bind(metadata)
                .push("strftime('%Y-%m-%dT%H:%M:%fZ', 'now')");
        });
        insert
            .build()
            .execute(&mut *connection)
            .await
            .expect("raw SQLite insert");
        latencies.push(started.elapsed());
    }
    Sample::merge(start.elapsed(), vec![(seq, latencies)])
}

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

/// What each benchmark's routine calls measured, and what the store's commits looked like.
#[derive(Default)]
struct Report {
    inner: Arc<Mutex<ReportInner>>,
}

#[derive(Default)]
struct ReportInner {
    samples: BTreeMap<String, Vec<Sample>>,
    commits: BTreeMap<String, (i64, i64)>,
    notes: Vec<String>,
}

impl Report {
    fn record(&self, id: &str, sample: Sample) -> Duration {
        let elapsed = sample.elapsed;
        self.inner
            .lock()
            .expect("report lock")
            .samples
            .entry(id.to_owned())
            .or_default()
            .push(sample);
        elapsed
    }

    fn commits(&self, id: &str, events: i64, commits: i64) {
        self.inner
            .lock()
            .expect("report lock")
            .commits
            .insert(id.to_owned(), (events, commits));
    }

    fn note(&self, note: String) {
        println!("{note}");
        self.inner.lock().expect("report lock").notes.push(note);
    }

    fn stats(&self, id: &str) -> Option<Stats> {
        let inner = self.inner.lock().expect("report lock");
        let all = inner.samples.get(id)?;
        let measured = &all[all.len().saturating_sub(SAMPLE_SIZE)..];
        let mut rates: Vec<f64> = measured
            .iter()
            .map(|s| s.events as f64 / s.elapsed.as_secs_f64())
            .collect();
        rates.sort_by(f64::total_cmp);
        let mut latencies: Vec<Duration> = measured
            .iter()
            .flat_map(|s| s.latencies.iter().copied())
            .collect();
        latencies.sort();
        let all_elapsed: Duration = all.iter().map(|s| s.elapsed).sum();
        let commits = inner.commits.get(id).map(|&(events, commits)| {
            (
                commits as f64 / all_elapsed.as_secs_f64(),
                events as f64 / commits.max(1) as f64,
            )
        });
        Some(Stats {
            median: median(&rates),
            min: rates.first().copied().unwrap_or(0.0),
            max: rates.last().copied().unwrap_or(0.0),
            p50: percentile(&latencies, 0.50),
            p99: percentile(&latencies, 0.99),
            commits,
        })
    }

    fn print(&self) {
        println!("\n## Summary (medians over the {SAMPLE_SIZE} measurement samples)\n");
        for (backend, rows) in [
            (
                "sqlite",
                [
                    (
                        "1 writer, 1 event per append",
                        "store_single_1w",
                        "raw_single_1c",
                    ),
                    (
                        "16 writers, 1 event per append",
                        "store_single_16w",
                        "raw_single_1c",
                    ),
                    (
                        "1 writer, 100 events per append",
                        "store_batch100_1w",
                        "raw_batch100_1c",
                    ),
                    (
                        "4 writers, 100 events per append",
                        "store_batch100_4w",
                        "raw_batch100_1c",
                    ),
                ],
            ),
            (
                "postgres",
                [
                    (
                        "1 writer, 1 event per append",
                        "store_single_1w",
                        "raw_single_1c",
                    ),
                    (
                        "16 writers, 1 event per append",
                        "store_single_16w",
                        "raw_single_16c",
                    ),
                    (
                        "1 writer, 100 events per append",
                        "store_batch100_1w",
                        "raw_batch100_1c",
                    ),
                    (
                        "4 writers, 100 events per append",
                        "store_batch100_4w",
                        "raw_batch100_4c",
                    ),
                ],
            ),
        ] {
            println!("### {backend}\n");
            println!(
                "| workload | store events/s (median, min–max) | raw limit | raw events/s (median, min–max) | ratio | store p50 / p99 per append | raw p50 / p99 per tx | store commits/s | events per commit |"
            );
            println!("|---|---:|---|---:|---:|---:|---:|---:|---:|");
            for (label, store, raw) in rows {
                let Some(s) = self.stats(&format!("{backend}/{store}")) else {
                    continue;
                };
                let r = self.stats(&format!("{backend}/{raw}"));
                let (raw_rate, ratio, raw_latency) = match &r {
                    Some(r) => (
                        format!(
                            "{} ({}–{})",
                            thousands(r.median),
                            thousands(r.min),
                            thousands(r.max)
                        ),
                        format!("{:.2}×", s.median / r.median),
                        format!("{} / {}", millis(r.p50), millis(r.p99)),
                    ),
                    None => ("—".to_owned(), "—".to_owned(), "—".to_owned()),
                };
                let (commits_s, per_commit) = s
                    .commits
                    .map_or(("—".to_owned(), "—".to_owned()), |(c, e)| {
                        (format!("{c:.0}"), format!("{e:.1}"))
                    });
                println!(
                    "| {label} | {} ({}–{}) | {raw} | {raw_rate} | {ratio} | {} / {} | {raw_latency} | {commits_s} | {per_commit} |",
                    thousands(s.median),
                    thousands(s.min),
                    thousands(s.max),
                    millis(s.p50),
                    millis(s.p99),
                );
            }
            println!();
        }
        for note in &self.inner.lock().expect("report lock").notes {
            println!("- {note}");
        }
    }
}

struct Stats {
    median: f64,
    min: f64,
    max: f64,
    p50: Duration,
    p99: Duration,
    commits: Option<(f64, f64)>,
}

fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

// ---------------------------------------------------------------------------------------------
// Benchmarks
// ---------------------------------------------------------------------------------------------

/// One benchmark: `elements` events per iteration; `routine(iters)` returns the sample.
fn bench<F, Fut>(
    criterion: &mut Criterion,
    runtime: &Runtime,
    report: &Report,
    id: &str,
    elements: u64,
    mut routine: F,
) where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Sample>,
{
    let (group, name) = id.split_once('/').expect("ids are group/name");
    let mut group = criterion.benchmark_group(group);
    group
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(elements));
    group.bench_function(name, |b| {
        b.to_async(runtime).iter_custom(|iters| {
            let sample = routine(iters);
            async move { report.record(id, sample.await) }
        });
    });
    group.finish();
    probe::report(id);
}

fn bench_sqlite(criterion: &mut Criterion, runtime: &Runtime, report: &Report) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut files = 0;
    let mut fresh_file = move || {
        files += 1;
        dir.path().join(format!("bench-{files}.db"))
    };

    let version: String = runtime.block_on(async {
        let mut connection = SqliteConnectOptions::new()
            .in_memory(true)
            .connect()
            .await
            .expect("an in-memory SQLite connection");
        sqlx::query_scalar("select sqlite_version()")
            .fetch_one(&mut connection)
            .await
            .expect("sqlite_version()")
    });
    report.note(format!(
        "SQLite {version} (bundled by sqlx), WAL, synchronous=FULL, files in {}",
        std::env::temp_dir().display()
    ));

    let store_workloads = [
        ("sqlite/store_single_1w", 1, 1),
        ("sqlite/store_single_16w", 16, 1),
        ("sqlite/store_batch100_1w", 1, 100),
        ("sqlite/store_batch100_4w", 4, 100),
    ];
    for (id, writers, events) in store_workloads {
        let store = runtime
            .block_on(SqliteStore::open(&fresh_file()))
            .expect("open the SQLite store");
        runtime.block_on(seed(&store));
        let before = runtime.block_on(sqlx::query_as(COUNT_COMMITS).fetch_one(store.readers()));
        bench(
            criterion,
            runtime,
            report,
            id,
            (writers * events) as u64,
            |iters| {
                let store = store.clone();
                async move { store_appends(&store, writers, events, iters).await }
            },
        );
        let after = runtime.block_on(sqlx::query_as(COUNT_COMMITS).fetch_one(store.readers()));
        record_commits(report, id, before, after);
        drop(store);

        // The raw limit right after the store, on a fresh file, so both see the same conditions.
        if events == 1 && writers == 16 {
            continue; // SQLite has one writer: the 1-connection raw rate is measured once.
        }
        if events == 100 && writers == 4 {
            continue;
        }
        let raw_id = if events == 1 {
            "sqlite/raw_single_1c"
        } else {
            "sqlite/raw_batch100_1c"
        };
        let pool = runtime.block_on(sqlite_raw_pool(&fresh_file()));
        bench(criterion, runtime, report, raw_id, events as u64, |iters| {
            let pool = pool.clone();
            async move { sqlite_raw(&pool, events, iters).await }
        });
        runtime.block_on(pool.close());
    }
}

/// Counts the events the store holds and the commits that wrote them: every event of one commit
/// shares its `recorded_at`, so distinct values count commits.
fn record_commits(
    report: &Report,
    id: &str,
    before: Result<(i64, i64), sqlx::Error>,
    after: Result<(i64, i64), sqlx::Error>,
) {
    match before.and_then(|before| Ok((before, after?))) {
        Ok(((events_0, commits_0), (events, commits))) => {
            report.commits(id, events - events_0, commits - commits_0);
        }
        Err(error) => report.note(format!("{id}: cannot count commits: {error}")),
    }
}

/// How many events to store before measuring (`BENCH_SEED_EVENTS`, default 10,000; 0 for none),
/// so that appends run against a table of some size rather than an empty one.
fn seed_events() -> usize {
    std::env::var("BENCH_SEED_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}

/// Appends [`seed_events`] events, 100 per append, each append a new stream.
async fn seed<S: EventStore>(store: &S) {
    for _ in 0..seed_events().div_ceil(100) {
        let commitment = Uuid::now_v7();
        let request = AppendRequest {
            stream_id: format!("seed-{commitment}"),
            expected_version: ExpectedVersion::NoStream,
            events: (1..=100)
                .map(|seq| progress_event(0, commitment, seq))
                .collect(),
            idempotency: None,
        };
        store.append(request).await.expect("seed append");
    }
}

const COUNT_COMMITS: &str = "select count(*), count(distinct recorded_at) from events";

async fn sqlite_raw_pool(path: &std::path::Path) -> SqlitePool {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .expect("open the raw SQLite file");
    sqlx::query(
        r"create table raw_events (
              id integer primary key,
              stream_id text not null,
              event_id text not null,
              event_type text not null,
              schema_version integer not null,
              payload text not null,
              metadata text not null,
              recorded_at text not null
          )",
    )
    .execute(&pool)
    .await
    .expect("create raw_events");
    pool
}

/// A database made for this run, with one fresh schema per workload.
struct PgBench {
    admin: PgConnectOptions,
    database: String,
    schemas: std::cell::Cell<u32>,
}

impl PgBench {
    async fn create() -> Option<Self> {
        let url =
            std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
        let admin = match PgConnectOptions::from_str(&url) {
            Ok(options) => options,
            Err(error) => {
                println!("PostgreSQL skipped: BENCH_DATABASE_URL is not a postgres URL: {error}");
                return None;
            }
        };
        let connected = tokio::time::timeout(Duration::from_secs(5), admin.connect()).await;
        let mut connection = match connected {
            Ok(Ok(connection)) => connection,
            Ok(Err(error)) => {
                println!("PostgreSQL skipped: cannot connect to {url}: {error}");
                return None;
            }
            Err(_) => {
                println!("PostgreSQL skipped: connecting to {url} timed out");
                return None;
            }
        };
        let database = format!(
            "ct_bench_{}_{}",
            std::process::id(),
            time::OffsetDateTime::now_utc().unix_timestamp()
        );
        if let Err(error) = sqlx::query(&format!(r#"create database "{database}""#))
            .execute(&mut connection)
            .await
        {
            println!("PostgreSQL skipped: cannot create database {database}: {error}");
            return None;
        }
        let mut settings = Vec::new();
        for setting in [
            "server_version",
            "synchronous_commit",
            "fsync",
            "wal_sync_method",
            "full_page_writes",
            "shared_buffers",
        ] {
            let value: String = sqlx::query_scalar(&format!("show {setting}"))
                .fetch_one(&mut connection)
                .await
                .unwrap_or_else(|error| error.to_string());
            settings.push(format!("{setting}={value}"));
        }
        println!("PostgreSQL: database {database}; {}", settings.join(", "));
        let _ = connection.close().await;
        Some(Self {
            admin,
            database,
            schemas: std::cell::Cell::new(0),
        })
    }

    /// Connect options for a new, empty schema of the run's database.
    async fn fresh_schema(&self) -> PgConnectOptions {
        let n = self.schemas.get() + 1;
        self.schemas.set(n);
        let schema = format!("w{n}");
        let database = self.admin.clone().database(&self.database);
        let mut connection = database
            .connect()
            .await
            .expect("connect to the bench database");
        sqlx::query(&format!("create schema {schema}"))
            .execute(&mut connection)
            .await
            .expect("create a schema");
        let _ = connection.close().await;
        let options = database.options([("search_path", schema)]);
        // Instrumentation: log the plans of statements slower than this many ms to the server log.
        match std::env::var("BENCH_AUTO_EXPLAIN") {
            Ok(ms) => options.options([
                ("session_preload_libraries", "auto_explain".to_owned()),
                ("auto_explain.log_min_duration", ms),
            ]),
            Err(_) => options,
        }
    }

    async fn drop_database(self) {
        let mut connection = self
            .admin
            .connect()
            .await
            .expect("connect to drop the database");
        let dropped = sqlx::query(&format!(
            r#"drop database if exists "{}" with (force)"#,
            self.database
        ))
        .execute(&mut connection)
        .await;
        if let Err(error) = dropped {
            println!("could not drop database {}: {error}", self.database);
        }
    }
}

fn bench_postgres(criterion: &mut Criterion, runtime: &Runtime, report: &Report, pg: &PgBench) {
    report.note(format!(
        "PostgreSQL: one fresh schema per workload in database {}",
        pg.database
    ));
    let workloads = [
        ("store_single_1w", "raw_single_1c", 1, 1),
        ("store_single_16w", "raw_single_16c", 16, 1),
        ("store_batch100_1w", "raw_batch100_1c", 1, 100),
        ("store_batch100_4w", "raw_batch100_4c", 4, 100),
    ];
    for (store_name, raw_name, writers, events) in workloads {
        let options = runtime.block_on(pg.fresh_schema());
        let store = runtime
            .block_on(PostgresStore::connect_with(options.clone()))
            .expect("connect the PostgreSQL store");
        runtime.block_on(async {
            seed(&store).await;
            // Plan the store's statements with real statistics, as autovacuum would have on a
            // database in use (a fresh table has none until the first auto-analyze, up to a
            // minute later; see docs/benchmarks.md).
            if seed_events() > 0 {
                sqlx::query("analyze events")
                    .execute(store.pool())
                    .await
                    .expect("analyze events");
            }
        });
        let before = runtime.block_on(sqlx::query_as(COUNT_COMMITS).fetch_one(store.pool()));
        let id = format!("postgres/{store_name}");
        bench(
            criterion,
            runtime,
            report,
            &id,
            (writers * events) as u64,
            |iters| {
                let store = store.clone();
                async move { store_appends(&store, writers, events, iters).await }
            },
        );
        let after = runtime.block_on(sqlx::query_as(COUNT_COMMITS).fetch_one(store.pool()));
        record_commits(report, &id, before, after);
        drop(store);

        let pool = runtime.block_on(async {
            let pool = PgPoolOptions::new()
                .max_connections(u32::try_from(writers).expect("few writers"))
                .connect_with(options)
                .await
                .expect("the raw pool");
            sqlx::query(
                r"create table raw_events (
                      id bigserial primary key,
                      stream_id text not null,
                      event_id uuid not null,
                      event_type text not null,
                      schema_version integer not null,
                      payload jsonb not null,
                      metadata jsonb not null,
                      recorded_at timestamptz not null default now()
                  )",
            )
            .execute(&pool)
            .await
            .expect("create raw_events");
            pool
        });
        let raw_id = format!("postgres/{raw_name}");
        bench(
            criterion,
            runtime,
            report,
            &raw_id,
            (writers * events) as u64,
            |iters| {
                let pool = pool.clone();
                async move { pg_raw(&pool, writers, events, iters).await }
            },
        );
        runtime.block_on(pool.close());
    }
}

// ---------------------------------------------------------------------------------------------
// Instrumentation (only with BENCH_TRACE=1; it costs a little time per statement)
// ---------------------------------------------------------------------------------------------

/// A minimal `tracing` subscriber that watches the group-commit writer from outside the store: the
/// `append_batch` span (one per transaction, with the number of appends and events) and sqlx's
/// per-statement events (`sqlx::query`, with `elapsed_secs`), attributed to the batch they ran in.
mod probe {
    use std::cell::RefCell;
    use std::collections::{BTreeMap, HashMap};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Mutex, OnceLock};
    use std::time::{Duration, Instant};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    static PROBE: OnceLock<Probe> = OnceLock::new();

    thread_local! {
        static ENTERED: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    }

    #[derive(Default)]
    struct Probe {
        next_id: AtomicU64,
        state: Mutex<State>,
    }

    #[derive(Default)]
    struct State {
        open: HashMap<u64, (Instant, u64, u64)>,
        /// (start, duration, appends, events) per finished batch.
        batches: Vec<(Instant, Duration, u64, u64)>,
        /// Statement summary → (count, total seconds), inside a batch and outside any.
        in_batch: BTreeMap<String, (u64, f64)>,
        outside: BTreeMap<String, (u64, f64)>,
    }

    pub fn install() {
        let probe = PROBE.get_or_init(Probe::default);
        tracing::subscriber::set_global_default(Forward(probe))
            .expect("no other global tracing subscriber");
        println!("BENCH_TRACE: recording group-commit batches and statement times");
    }

    struct Forward(&'static Probe);

    #[derive(Default)]
    struct Fields {
        appends: u64,
        events: u64,
        summary: String,
        elapsed_secs: f64,
    }

    impl Visit for Fields {
        fn record_u64(&mut self, field: &Field, value: u64) {
            match field.name() {
                "appends" => self.appends = value,
                "events" => self.events = value,
                _ => {}
            }
        }
        fn record_i64(&mut self, field: &Field, value: i64) {
            self.record_u64(field, u64::try_from(value).unwrap_or(0));
        }
        fn record_f64(&mut self, field: &Field, value: f64) {
            if field.name() == "elapsed_secs" {
                self.elapsed_secs = value;
            }
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            if field.name() == "summary" {
                value.clone_into(&mut self.summary);
            }
        }
        fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
    }

    impl Subscriber for Forward {
        fn enabled(&self, metadata: &Metadata<'_>) -> bool {
            metadata.name() == "append_batch" || metadata.target() == "sqlx::query"
        }

        fn new_span(&self, span: &Attributes<'_>) -> Id {
            let id = self.0.next_id.fetch_add(1, Ordering::Relaxed) + 1;
            if span.metadata().name() == "append_batch" {
                let mut fields = Fields::default();
                span.record(&mut fields);
                let mut state = self.0.state.lock().expect("probe lock");
                state
                    .open
                    .insert(id, (Instant::now(), fields.appends, fields.events));
            }
            Id::from_u64(id)
        }

        fn record(&self, _span: &Id, _values: &Record<'_>) {}

        fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

        fn event(&self, event: &Event<'_>) {
            let mut fields = Fields::default();
            event.record(&mut fields);
            let in_batch = ENTERED.with(|entered| !entered.borrow().is_empty());
            let mut state = self.0.state.lock().expect("probe lock");
            let table = if in_batch {
                &mut state.in_batch
            } else {
                &mut state.outside
            };
            let entry = table.entry(fields.summary).or_default();
            entry.0 += 1;
            entry.1 += fields.elapsed_secs;
        }

        fn enter(&self, span: &Id) {
            let id = span.into_u64();
            let tracked = self
                .0
                .state
                .lock()
                .expect("probe lock")
                .open
                .contains_key(&id);
            if tracked {
                ENTERED.with(|entered| entered.borrow_mut().push(id));
            }
        }

        fn exit(&self, span: &Id) {
            let id = span.into_u64();
            ENTERED.with(|entered| {
                let mut entered = entered.borrow_mut();
                if entered.last() == Some(&id) {
                    entered.pop();
                }
            });
        }

        fn try_close(&self, span: Id) -> bool {
            let id = span.into_u64();
            let mut state = self.0.state.lock().expect("probe lock");
            if let Some((start, appends, events)) = state.open.remove(&id) {
                state
                    .batches
                    .push((start, start.elapsed(), appends, events));
            }
            true
        }
    }

    /// Prints what was recorded since the last report, then forgets it.
    pub fn report(id: &str) {
        let Some(probe) = PROBE.get() else {
            return;
        };
        let state = std::mem::take(&mut *probe.state.lock().expect("probe lock"));
        println!("\n[probe] {id}");
        let batches = &state.batches;
        if !batches.is_empty() {
            let n = batches.len() as f64;
            let busy: Duration = batches.iter().map(|b| b.1).sum();
            let span = batches
                .last()
                .map(|b| b.0 + b.1)
                .zip(batches.first().map(|b| b.0))
                .map_or(Duration::ZERO, |(end, start)| end - start);
            let appends: u64 = batches.iter().map(|b| b.2).sum();
            let events: u64 = batches.iter().map(|b| b.3).sum();
            let mut sizes: BTreeMap<u64, u64> = BTreeMap::new();
            for batch in batches {
                *sizes.entry(batch.2).or_default() += 1;
            }
            let mut durations: Vec<Duration> = batches.iter().map(|b| b.1).collect();
            durations.sort();
            println!(
                "  {} batches; mean {:.1} appends / {:.1} events per batch; write_batch mean {:.3} ms, p50 {:.3} ms, p90 {:.3} ms; writer busy {:.0}% of {:.2} s",
                batches.len(),
                appends as f64 / n,
                events as f64 / n,
                busy.as_secs_f64() * 1e3 / n,
                durations[durations.len() / 2].as_secs_f64() * 1e3,
                durations[durations.len() * 9 / 10].as_secs_f64() * 1e3,
                100.0 * busy.as_secs_f64() / span.as_secs_f64().max(1e-9),
                span.as_secs_f64(),
            );
            let sizes: Vec<String> = sizes
                .iter()
                .map(|(size, count)| format!("{size}:{count}"))
                .collect();
            println!("  appends per batch (size:count): {}", sizes.join(" "));
            let mut statements = 0.0;
            for (summary, (count, total)) in &state.in_batch {
                statements += total;
                println!(
                    "  in batch: {:>8.3} ms/batch  {:>7.3} ms mean  x{count:<7} {summary}",
                    total * 1e3 / n,
                    total * 1e3 / *count as f64,
                );
            }
            println!(
                "  in batch: statements {:.3} ms/batch; the rest (pool acquire + ping, planning, hashing) {:.3} ms/batch",
                statements * 1e3 / n,
                (busy.as_secs_f64() - statements) * 1e3 / n
            );
        }
        for (summary, (count, total)) in &state.outside {
            if *count > 100 {
                println!(
                    "  outside: {:>7.3} ms mean  x{count:<7} {summary}",
                    total * 1e3 / *count as f64
                );
            }
        }
    }
}
