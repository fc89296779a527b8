//! Running the subcommands: opening the store, serving, tokens, verification.
//!
//! Every failure comes back as an [`AppError`] whose message is one clear sentence; `main` prints
//! it and exits 1.

use compact_events::context::Lookup as _;
use compact_events::ids::MechanismId;
use tokio::net::TcpListener;

use crate::cli::{Cli, Command, RoleArg, ServeArgs, TokenCommand};
use crate::config::{DatabaseUrl, parent_to_create};
use crate::seed::load_builtin_catalogues;
use crate::startup::router;
use crate::state::{AppState, HttpConfig};
use crate::store::{AnyStore, EventStore, StoreError};
use crate::tokens::{TokenError, TokenRole, Tokens};
use crate::write::Prefetched;

/// A failure of a subcommand, worded for the person who ran it.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The store could not be opened or used.
    #[error("cannot use the database at {url}: {source}")]
    Store {
        /// The URL (without password).
        url: String,
        /// Why.
        #[source]
        source: StoreError,
    },
    /// Loading the built-in catalogues failed.
    #[error("cannot load the built-in catalogues: {0}")]
    Seed(String),
    /// The listen address is taken or not ours.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: std::net::SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("the server failed: {0}")]
    Serve(#[source] std::io::Error),
    /// A token operation failed.
    #[error("{0}")]
    Token(#[from] TokenError),
    /// `token create --mechanism` named a mechanism the store does not hold.
    #[error("no mechanism {0} is registered; register it first (POST /v1/mechanisms)")]
    UnknownMechanism(MechanismId),
    /// The command line is inconsistent in a way clap cannot see.
    #[error("{0}")]
    Usage(String),
    /// The read models could not be opened or rebuilt.
    #[error("cannot prepare the read models: {0}")]
    ReadSide(String),
    /// Loading the demo data set failed.
    #[error("cannot load the demo data set: {0}")]
    Demo(String),
    /// The hash chain is broken.
    #[error("the event log is broken at position {0}: its hash does not match")]
    ChainBroken(i64),
    /// An export, import or copy failed.
    #[error("{0}")]
    Transfer(#[from] crate::transfer::TransferError),
}

impl AppError {
    /// The process exit code: 2 for bad usage, 1 for every other failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            _ => 1,
        }
    }
}

/// Runs the command line.
pub async fn run(cli: Cli) -> Result<(), AppError> {
    let url = cli.database_url();
    crate::read_side::runner::override_batch_size(cli.projection_batch);
    match cli.command {
        None => {
            let args = ServeArgs::from_env().map_err(|error| AppError::Usage(error.to_string()))?;
            serve(&url, args).await
        }
        Some(Command::Serve(args)) => serve(&url, args).await,
        Some(Command::Migrate) => {
            open_store(&url).await?;
            println!("the database at {url} is up to date");
            Ok(())
        }
        Some(Command::Token { command }) => token(&url, command).await,
        Some(Command::Verify) => verify(&url).await,
        Some(Command::Rebuild { name, quiet }) => {
            if let Some(name) = &name
                && !compact_projections::ALL.iter().any(|p| p.name == name)
            {
                let known: Vec<&str> = compact_projections::ALL.iter().map(|p| p.name).collect();
                return Err(AppError::Usage(format!(
                    "there is no projection {name}; the projections are {}",
                    known.join(" and ")
                )));
            }
            let store = open_store(&url).await?;
            let started = std::time::Instant::now();
            let show_progress = !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
            let (generation, position) = crate::read_side::runner::rebuild(&store, show_progress)
                .await
                .map_err(|error| AppError::ReadSide(error.to_string()))?;
            let seconds = started.elapsed().as_secs_f64();
            #[allow(clippy::cast_precision_loss, reason = "a rate for people to read")]
            let rate = if seconds > 0.0 {
                position as f64 / seconds
            } else {
                0.0
            };
            println!(
                "rebuilt the read models as generation {generation}: {position} events in {seconds:.1} s ({rate:.0} events/s)"
            );
            Ok(())
        }
        Some(Command::Export { file }) => export(&url, &file).await,
        Some(Command::Import { file }) => {
            let store = open_store(&url).await?;
            let done = crate::transfer::import(&store, &file).await?;
            println!(
                "imported {} events into {}; the chain verifies and ends on hash {}",
                done.events,
                url,
                describe_hash(done.head_hash)
            );
            Ok(())
        }
        Some(Command::CopyStore { from, to }) => {
            let source = open_store(&from).await?;
            let target = open_store(&to).await?;
            let done = crate::transfer::copy(&source, &target).await?;
            println!(
                "copied {} events from {} to {}; the copy verifies and ends on hash {}",
                done.events,
                from,
                to,
                describe_hash(done.head_hash)
            );
            Ok(())
        }
        Some(Command::Demo(args)) => {
            let store = open_store(&url).await?;
            // The demo records history from January 2018 and loads the catalogues at its start;
            // the seed after it then finds them all and adds nothing.
            let report = crate::demo::run(&store, &args)
                .await
                .map_err(|error| AppError::Demo(error.to_string()))?;
            load_builtin_catalogues(&store)
                .await
                .map_err(|error| AppError::Seed(error.to_string()))?;
            println!("{report}");
            Ok(())
        }
    }
}

/// Opens the store, creating the embedded SQLite directory if needed, and applies migrations.
pub async fn open_store(url: &DatabaseUrl) -> Result<AnyStore, AppError> {
    if let Some(parent) = parent_to_create(url) {
        std::fs::create_dir_all(&parent).map_err(|error| AppError::Store {
            url: url.redacted(),
            source: StoreError::InvalidAppend(format!(
                "cannot create {}: {error}",
                parent.display()
            )),
        })?;
    }
    AnyStore::connect(url)
        .await
        .map_err(|source| AppError::Store {
            url: url.redacted(),
            source,
        })
}

async fn serve(url: &DatabaseUrl, args: ServeArgs) -> Result<(), AppError> {
    let store = open_store(url).await?;
    let seeded = load_builtin_catalogues(&store)
        .await
        .map_err(|error| AppError::Seed(error.to_string()))?;
    tracing::info!(
        created = seeded.created,
        existing = seeded.existing,
        "built-in catalogues"
    );
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|source| AppError::Listen {
            address: args.listen,
            source,
        })?;
    let address = listener.local_addr().map_err(AppError::Serve)?;
    let state = AppState::start(
        store.clone(),
        HttpConfig {
            private: args.private,
        },
    )
    .await
    .map_err(|error| AppError::ReadSide(error.to_string()))?;
    // Walk the hash chain once now, so the first `/audit` only checks what came since.
    let warm = state.clone();
    tokio::spawn(async move {
        if let Err(error) = warm.chain.status(&warm.store).await {
            tracing::warn!(%error, "cannot walk the hash chain at start");
        }
    });
    println!(
        "compact-tracker is listening on http://{address}/ ({} store: {})",
        store.backend(),
        url
    );
    println!("API description: http://{address}/openapi.json");
    println!("Create an admin token with: compact-tracker token create --role admin");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(AppError::Serve)?;
    tracing::info!("stopped: in-flight requests finished");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM, so in-flight requests can finish.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(error = %error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

async fn token(url: &DatabaseUrl, command: TokenCommand) -> Result<(), AppError> {
    let store = open_store(url).await?;
    let tokens = Tokens::new(store.clone());
    match command {
        TokenCommand::Create {
            role,
            mechanism,
            label,
        } => {
            let role = match (role, mechanism) {
                (RoleArg::Admin, None) => TokenRole::Admin,
                (RoleArg::Reviewer, None) => TokenRole::Reviewer,
                (RoleArg::Reporter, Some(mechanism)) => {
                    let mechanism = MechanismId::parse(&mechanism)
                        .map_err(|error| AppError::Usage(error.to_string()))?;
                    let lookup = Prefetched::fetch(&store, std::slice::from_ref(&mechanism), &[])
                        .await
                        .map_err(|source| AppError::Store {
                            url: url.redacted(),
                            source,
                        })?;
                    // A token for a mechanism nobody registered could write nothing.
                    if !lookup.mechanism_exists(&mechanism) {
                        return Err(AppError::UnknownMechanism(mechanism));
                    }
                    TokenRole::Reporter(mechanism)
                }
                (RoleArg::Reporter, None) => {
                    return Err(AppError::Usage(
                        "a reporter token needs --mechanism <slug>".into(),
                    ));
                }
                (RoleArg::Admin | RoleArg::Reviewer, Some(_)) => {
                    return Err(AppError::Usage(
                        "only reporter tokens take --mechanism".into(),
                    ));
                }
            };
            let created = tokens.create(&role, label.as_deref()).await?;
            eprintln!(
                "Created {} token {}. It is shown only now; keep it secret:",
                role.name(),
                created.id
            );
            println!("{}", created.token);
        }
        TokenCommand::List => {
            let list = tokens.list().await?;
            if list.is_empty() {
                eprintln!(
                    "no tokens yet; create one with: compact-tracker token create --role admin"
                );
            }
            for token in list {
                let mechanism = token
                    .role
                    .mechanism()
                    .map(|m| format!(" {m}"))
                    .unwrap_or_default();
                let revoked = token
                    .revoked_at
                    .map(|at| format!(" revoked {at}"))
                    .unwrap_or_default();
                let label = token.label.map(|l| format!(" \"{l}\"")).unwrap_or_default();
                println!(
                    "{}  {}{mechanism}  created {}{revoked}{label}",
                    token.id,
                    token.role.name(),
                    token.created_at
                );
            }
        }
        TokenCommand::Revoke { id } => {
            tokens.revoke(&id).await?;
            println!("revoked token {id}");
        }
    }
    Ok(())
}

async fn verify(url: &DatabaseUrl) -> Result<(), AppError> {
    let store = open_store(url).await?;
    let report = store.verify().await.map_err(|source| AppError::Store {
        url: url.redacted(),
        source,
    })?;
    if let Some(position) = report.first_broken_position {
        return Err(AppError::ChainBroken(position));
    }
    let head = report
        .head_hash
        .map(|hash| hash.to_string())
        .unwrap_or_else(|| "none (empty log)".into());
    println!(
        "ok: {} events checked, head hash {head}",
        report.events_checked
    );
    Ok(())
}

async fn export(url: &DatabaseUrl, file: &std::path::Path) -> Result<(), AppError> {
    let store = open_store(url).await?;
    let count = if file.as_os_str() == "-" {
        crate::transfer::export(&store, std::io::stdout().lock()).await?
    } else {
        let out = std::fs::File::create(file).map_err(|source| {
            AppError::Transfer(crate::transfer::TransferError::File {
                path: file.to_owned(),
                source,
            })
        })?;
        let count = crate::transfer::export(&store, out).await?;
        println!("exported {count} events to {}", file.display());
        count
    };
    tracing::info!(events = count, "export written");
    Ok(())
}

fn describe_hash(hash: Option<crate::store::EventHash>) -> String {
    hash.map_or_else(|| "none (empty log)".into(), |hash| hash.to_string())
}
