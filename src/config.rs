//! Typed configuration pieces shared by every subcommand: which database the store lives in,
//! parsed once from the command line or the environment.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where the events live: the embedded SQLite file, or a PostgreSQL database. Parsed once, at
/// the command line, so nothing downstream sniffs URL prefixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite file (`sqlite://path` or `sqlite:path`, with any `?options` kept).
    Sqlite(String),
    /// A PostgreSQL database (`postgres://…` or `postgresql://…`).
    Postgres(String),
}

/// The embedded default: `data/compact-tracker.db`, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/compact-tracker.db";

impl Default for DatabaseUrl {
    fn default() -> Self {
        Self::Sqlite(DEFAULT_DATABASE_URL.to_owned())
    }
}

impl DatabaseUrl {
    /// The URL as given (with its password: only for connecting, never for messages).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sqlite(url) | Self::Postgres(url) => url,
        }
    }

    /// The SQLite file, for a SQLite URL.
    pub fn sqlite_path(&self) -> Option<&Path> {
        let Self::Sqlite(url) = self else {
            return None;
        };
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Some(Path::new(path.split('?').next().unwrap_or(path)))
    }

    /// The URL with any password replaced by `***`, for messages and logs.
    pub fn redacted(&self) -> String {
        redact(self.as_str())
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else if url.starts_with("sqlite:") {
            Ok(Self::Sqlite(url.to_owned()))
        } else {
            Err(format!(
                "`{}` is not a database URL this service uses: give sqlite://<file> or postgres://<user>@<host>/<database>",
                redact(url)
            ))
        }
    }
}

impl fmt::Display for DatabaseUrl {
    /// Redacted: a URL printed never shows its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Replaces the password of a URL with `***`.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Where the parent directory of a SQLite file is, if it must be created first.
pub fn parent_to_create(url: &DatabaseUrl) -> Option<PathBuf> {
    let parent = url.sqlite_path()?.parent()?;
    (!parent.as_os_str().is_empty()).then(|| parent.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_parsed_into_their_backend_once() {
        assert_eq!(
            "postgresql://u@h/db".parse(),
            Ok(DatabaseUrl::Postgres("postgresql://u@h/db".to_owned()))
        );
        let sqlite: DatabaseUrl = "sqlite:data/x.db?mode=rwc".parse().expect("a sqlite URL");
        assert_eq!(sqlite.sqlite_path(), Some(Path::new("data/x.db")));
        assert_eq!(parent_to_create(&sqlite), Some(PathBuf::from("data")));
        for wrong in ["mysql://root@localhost/db", "notaurl", "data/x.db", ""] {
            let error = wrong.parse::<DatabaseUrl>().expect_err(wrong);
            assert!(error.contains("sqlite://"), "{error}");
        }
    }

    #[test]
    fn passwords_never_reach_messages() {
        let url: DatabaseUrl = "postgres://user:secret@host:5432/db"
            .parse()
            .expect("a URL");
        assert_eq!(url.to_string(), "postgres://user:***@host:5432/db");
        assert!(!url.redacted().contains("secret"));
        assert_eq!(redact("postgres://user@host/db"), "postgres://user@host/db");
    }
}
