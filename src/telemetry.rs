//! Structured logs via `tracing`, filtered by `RUST_LOG` (default: info for us, warnings for
//! libraries).

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; logs go to standard error so standard output stays for results
/// (e.g. `token create`).
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
