//! The command line (SPEC.md "Command line"), parsed by clap.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::DatabaseUrl;

/// Tracks commitments toward the Global Compact for Migration and the SDGs, as an event log.
#[derive(Debug, Parser)]
#[command(name = "compact-tracker", version, about)]
pub struct Cli {
    /// Where the events live: `postgres://…`, or `sqlite://path` (default: the embedded SQLite
    /// file data/compact-tracker.db, created on first use).
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<DatabaseUrl>,

    /// Events per read-model batch, overriding the built-in sizes (400,000 for a build, 20,000
    /// live), e.g. to bound a build's memory.
    #[arg(long, env = "COMPACT_PROJECTION_BATCH", global = true, value_parser = clap::value_parser!(i64).range(1..=1_000_000))]
    pub projection_batch: Option<i64>,

    /// What to do (default: serve, with `serve`'s options from the environment).
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// The database URL, or the embedded default.
    pub fn database_url(&self) -> DatabaseUrl {
        self.database_url.clone().unwrap_or_default()
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and dashboard (the default).
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage API tokens.
    Token {
        /// What to do with tokens.
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Walk the hash chain; exit 1 and name the first broken position if it is broken.
    Verify,
    /// Rebuild the read models from position 0 into a fresh generation, then switch to it (serving
    /// processes keep reading the old one meanwhile and switch within seconds).
    Rebuild {
        /// A projection to rebuild (`directory` or `progress`); they share a generation, so either
        /// rebuilds both. Default: all.
        name: Option<String>,
        /// Hide the progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Load a realistic, deterministic demo history (mechanisms of GRCP 7, commitments, progress
    /// from 2018 to today) through the normal append path.
    Demo(DemoArgs),
    /// Write the whole event log as NDJSON (one event per line, hashes included).
    Export {
        /// The file to write; `-` for standard output.
        file: PathBuf,
    },
    /// Load an NDJSON export into an empty store: the whole file's hash chain is checked before
    /// anything is written, every event keeps its position and hash, and the result is verified.
    Import {
        /// The export to read.
        file: PathBuf,
    },
    /// Copy a whole event log into an empty store (e.g. SQLite to PostgreSQL), checking the
    /// source's chain first and verifying the copy. API tokens are not copied.
    CopyStore {
        /// The store to copy from.
        #[arg(long)]
        from: DatabaseUrl,
        /// The empty store to copy into.
        #[arg(long)]
        to: DatabaseUrl,
    },
}

/// Options of `demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// How many commitments to make (each gets a history of progress updates).
    #[arg(long, default_value_t = 400)]
    pub commitments: usize,
    /// Stop after about this many events in all (overrides --commitments when larger), e.g.
    /// 1000000 for a benchmark-sized store.
    #[arg(long)]
    pub events: Option<usize>,
    /// The random seed: the same seed gives the same history.
    #[arg(long, default_value_t = 2017)]
    pub seed: u64,
    /// Hide the progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Options of `serve`: flags, or the environment. A bare `compact-tracker` serves with these as
/// the environment sets them ([`ServeArgs::from_env`]).
#[derive(Debug, Clone, Parser)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "COMPACT_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Require a token for reads too.
    #[arg(long, env = "COMPACT_PRIVATE")]
    pub private: bool,
}

impl ServeArgs {
    /// The options as `compact-tracker serve` with no flags would have them: from the
    /// environment (`COMPACT_LISTEN`, `COMPACT_PRIVATE`), else the defaults.
    pub fn from_env() -> Result<Self, clap::Error> {
        Self::try_parse_from(["serve"])
    }
}

/// `token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is printed once, alone on the last line of standard output.
    Create {
        /// What the token may do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The mechanism a reporter writes for (required for reporters, refused for others).
        #[arg(long)]
        mechanism: Option<String>,
        /// A note on who holds it.
        #[arg(long)]
        label: Option<String>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke {
        /// The token's id (the part after `ct_`, before the second `_`).
        id: String,
    },
}

/// Roles a token can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Writes everything, validates progress.
    Admin,
    /// Writes one mechanism's commitments.
    Reporter,
    /// Reads only.
    Reviewer,
}
