//! The audit store and API keys: SQLite (default, one file, [`sqlite`]) or PostgreSQL
//! ([`postgres`]). Migrations run at start. Nothing here ever sees a My Number, a PIN or an
//! image: [`AuditRecord`] has no field that could hold one.
//!
//! [`Store`] is the one face the service sees; each engine's queries live in its own room.

use std::path::PathBuf;

pub(crate) mod postgres;
mod sqlite;

pub use postgres::{DbTls, PgClient};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL is not one jpid knows.
    #[error("unknown database URL {0:?} (password hidden): use sqlite://PATH or postgres://USER@HOST/DB")]
    Url(String),
    /// SQLite failed.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[error("PostgreSQL: {}", with_causes(.0))]
    Postgres(#[from] tokio_postgres::Error),
    /// Creating the database's directory failed.
    #[error("cannot create {0}: {1}")]
    Dir(PathBuf, std::io::Error),
    /// A blocking task died.
    #[error("database task failed: {0}")]
    Task(String),
    /// A row held something this jpid did not write.
    #[error("unexpected row: {0}")]
    Row(String),
    /// The database could not be reached in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The TLS settings for PostgreSQL cannot be used (an unreadable CA file, say).
    #[error("TLS to PostgreSQL: {0}")]
    Tls(String),
}

/// An error and its causes: tokio-postgres says only "error performing TLS handshake" and
/// keeps the reason (OpenSSL's "certificate verify failed", say) in its source.
fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let c_text = c.to_string();
        if !s.contains(&c_text) {
            s.push_str(": ");
            s.push_str(&c_text);
        }
        cause = c.source();
    }
    s
}

/// One audit record: what was verified, for whom, with what result. Never personal data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditRecord {
    /// Time-ordered random id ([`crate::audit::new_record_id`]), returned to the caller as
    /// `audit_id`.
    pub id: String,
    /// Unix seconds.
    pub at: i64,
    /// The API key's id (`web:<key id>` for the counter page).
    pub key_id: String,
    /// `residence`, `mynumber-text`, `jpki-login`, `jpki-signature`, `jpki-pdf-signature`, `age`, …
    pub method: String,
    /// `genuine`, `not_genuine`, `valid`, `invalid`, `authenticated`, `rejected`, `over`, `not_over`.
    pub result: String,
    /// Reason codes, comma-separated.
    pub reasons: String,
    /// Certificate serial (hex) when one was involved.
    pub cert_serial: Option<String>,
    /// Certificate issuer when one was involved.
    pub cert_issuer: Option<String>,
    /// SHA-256 (hex) of the request body.
    pub input_sha256: String,
    /// What the verdict depended on besides the input, as JSON: the time checked at and where
    /// it came from, the age asked about, whether the My Number was shown. Never personal data.
    pub detail: Option<String>,
}

/// A stored API key (the secret itself is never stored, only its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyRow {
    /// Public id.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// SHA-256 of the secret, hex.
    #[serde(skip)]
    pub secret_sha256: String,
    /// Scopes, space-separated.
    pub scopes: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds, when revoked.
    pub revoked_at: Option<i64>,
}

/// Each migration once, in order. Both engines understand this SQL.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        secret_sha256 TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
    );
    CREATE TABLE audit (
        id TEXT PRIMARY KEY,
        at BIGINT NOT NULL,
        key_id TEXT NOT NULL,
        method TEXT NOT NULL,
        result TEXT NOT NULL,
        reasons TEXT NOT NULL,
        cert_serial TEXT,
        cert_issuer TEXT,
        input_sha256 TEXT NOT NULL
    );
    CREATE INDEX audit_at ON audit (at);",
    ),
    (2, "ALTER TABLE audit ADD COLUMN detail TEXT;"),
    (
        3,
        "CREATE TABLE pairing_codes (
        code_sha256 TEXT PRIMARY KEY,
        key_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT
    );",
    ),
    (
        4,
        "CREATE TABLE health (id INTEGER PRIMARY KEY, at BIGINT NOT NULL);",
    ),
    // JPKI challenges and their per-key rate, shared by the instances on one PostgreSQL
    // (crate::challenges; unused on SQLite, where they live in memory).
    (
        5,
        "CREATE TABLE jpki_challenges (
        id TEXT PRIMARY KEY,
        nonce TEXT NOT NULL,
        key_id TEXT NOT NULL,
        expires_at_ms BIGINT NOT NULL
    );
    CREATE INDEX jpki_challenges_expiry ON jpki_challenges (expires_at_ms);
    CREATE TABLE challenge_buckets (
        key_id TEXT PRIMARY KEY,
        tokens DOUBLE PRECISION NOT NULL,
        at_ms BIGINT NOT NULL
    );",
    ),
];

/// The store.
#[derive(Clone)]
pub enum Store {
    /// SQLite: one connection for writes, one for reads, in WAL mode.
    Sqlite(sqlite::SqliteStore),
    /// PostgreSQL: one client for writes, one for reads (each pipelines its queries).
    Postgres(postgres::PgStore),
}

/// Calls the same method on whichever engine the store is.
macro_rules! engine {
    ($self:ident . $($call:tt)*) => {
        match $self {
            Store::Sqlite(s) => s.$($call)*.await,
            Store::Postgres(p) => p.$($call)*.await,
        }
    };
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// jpid's data directory: `$XDG_DATA_HOME/jpid`, else `~/.local/share/jpid`, else `None`
/// (no home: callers fall back to the working directory). The audit store and the trust roots
/// kept by `jpid trust add` live there.
pub fn data_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local/share"))
        })
        .map(|b| b.join("jpid"))
}

/// The default SQLite file: `jpid.sqlite3` in [`data_dir`], else `./jpid.sqlite3`.
pub fn default_sqlite_path() -> PathBuf {
    data_dir().map_or_else(|| PathBuf::from("jpid.sqlite3"), |d| d.join("jpid.sqlite3"))
}

impl Store {
    /// Opens `url` (`sqlite://PATH`, `postgres://…`, `postgresql://…`) or, with `None`, the
    /// default SQLite file, and runs the migrations.
    pub async fn open(url: Option<&str>) -> Result<Self, StoreError> {
        Self::open_with(url, &DbTls::default()).await
    }

    /// [`Self::open`] with TLS settings for PostgreSQL (SQLite ignores them).
    pub async fn open_with(url: Option<&str>, tls: &DbTls) -> Result<Self, StoreError> {
        let url = url.map(str::trim);
        match url {
            None => Ok(Self::Sqlite(
                sqlite::SqliteStore::open(default_sqlite_path()).await?,
            )),
            Some(u) if u.starts_with("sqlite://") => {
                let p = u.trim_start_matches("sqlite://");
                if p.is_empty() {
                    return Err(StoreError::Url(u.to_string()));
                }
                Ok(Self::Sqlite(
                    sqlite::SqliteStore::open(PathBuf::from(p)).await?,
                ))
            }
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Ok(Self::Postgres(postgres::PgStore::open(u, tls).await?))
            }
            Some(u) => Err(StoreError::Url(redact_url(u))),
        }
    }

    /// Which database, for people (no password).
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(s) => s.describe(),
            Self::Postgres(p) => p.describe(),
        }
    }

    /// A trivial query: does the database answer?
    pub async fn ping(&self) -> Result<(), StoreError> {
        engine!(self.ping())
    }

    /// Free bytes on the file system that holds a SQLite store (`None` for PostgreSQL, whose
    /// server reports its own disk through failed commits).
    pub fn free_space(&self) -> Option<u64> {
        match self {
            Store::Sqlite(s) => s.free_space(),
            Store::Postgres(_) => None,
        }
    }

    /// Commits one small write (a single row of `health`) and returns once it is durable:
    /// whether the store can commit now, as `/healthz` reports it. A store that answers reads
    /// but cannot write (a full disk) fails here.
    pub async fn probe_commit(&self, now: i64) -> Result<(), StoreError> {
        engine!(self.probe_commit(now))
    }

    /// Commits a batch of audit records in one transaction; returns only once committed.
    pub async fn insert_audit(&self, recs: Vec<AuditRecord>) -> Result<(), StoreError> {
        engine!(self.insert_audit(recs))
    }

    /// The newest audit records, newest first, at most `limit` (≤ 1000).
    pub async fn history(&self, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        let limit = i64::from(limit.min(1000));
        engine!(self.history(limit))
    }

    /// One record by id.
    pub async fn audit_record(&self, id: &str) -> Result<Option<AuditRecord>, StoreError> {
        engine!(self.audit_record(id.to_string()))
    }

    /// Deletes audit records older than `before` (Unix seconds); returns how many.
    pub async fn purge(&self, before: i64) -> Result<u64, StoreError> {
        engine!(self.purge(before))
    }

    /// Stores a new key.
    pub async fn insert_key(&self, k: KeyRow) -> Result<(), StoreError> {
        engine!(self.insert_key(k))
    }

    /// Every key, oldest first.
    pub async fn list_keys(&self) -> Result<Vec<KeyRow>, StoreError> {
        engine!(self.keys_where(None))
    }

    /// One key by id.
    pub async fn find_key(&self, id: &str) -> Result<Option<KeyRow>, StoreError> {
        let keys = engine!(self.keys_where(Some(id.to_string())))?;
        Ok(keys.into_iter().next())
    }

    /// Stores a pairing code's hash for `key_id`, valid until `expires_at`; codes that have
    /// expired are deleted on the way.
    pub async fn insert_pairing(
        &self,
        code_sha256: String,
        key_id: String,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        engine!(self.insert_pairing(code_sha256, key_id, now, expires_at))
    }

    /// Uses a pairing code: the key id it was made for, if the code exists, has not expired
    /// and was not used before. One statement marks it used, so two sign-ins racing with one
    /// code (on one instance or several) get one session between them.
    pub async fn redeem_pairing(
        &self,
        code_sha256: String,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        engine!(self.redeem_pairing(code_sha256, now))
    }

    /// Marks a key revoked; false when there is no such key or it was already revoked.
    pub async fn revoke_key(&self, id: &str, at: i64) -> Result<bool, StoreError> {
        engine!(self.revoke_key(id.to_string(), at))
    }
}

/// The columns of an audit record, in the order both engines select them.
const AUDIT_COLUMNS: &str =
    "id, at, key_id, method, result, reasons, cert_serial, cert_issuer, input_sha256, detail";
/// The columns of a key row, in the order both engines select them.
const KEY_COLUMNS: &str = "id, name, secret_sha256, scopes, created_at, revoked_at";

/// Unix seconds now (the service's clock; libraries below take time as a parameter).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact_url(url: &str) -> String {
    let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
    if !postgres {
        // Not a database URL jpid reads (an error message names it): keep the scheme only, a
        // typo'd URL may still hold a password.
        return match url.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://(rest hidden)"),
            None => "(hidden)".into(),
        };
    }
    // An unencoded '@' in the password: the parser splits at the first one and would show the
    // rest of the password as the host.
    let authority = url
        .split_once("://")
        .map_or("", |(_, rest)| rest.split(['/', '?']).next().unwrap_or(""));
    if authority.matches('@').count() > 1 {
        return "postgres://(URL with more than one '@' hidden)".into();
    }
    // Rebuilt from what tokio-postgres understood, never from the text: a password may sit in
    // the user part or in a `password=` parameter.
    let Ok(config) = url.parse::<tokio_postgres::Config>() else {
        return "postgres://(unparsable URL hidden)".into();
    };
    let user = match (config.get_user(), config.get_password().is_some()) {
        (Some(u), true) => format!("{u}:***@"),
        (Some(u), false) => format!("{u}@"),
        (None, true) => ":***@".into(),
        (None, false) => String::new(),
    };
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let host = match h {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            };
            match config.get_ports().get(i) {
                Some(port) => format!("{host}:{port}"),
                None => host,
            }
        })
        .collect();
    format!(
        "postgres://{user}{}/{}",
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://jpid:hunter2@localhost/jpid"),
            "postgres://jpid:***@localhost:5432/jpid"
        );
        assert_eq!(
            redact_url("postgres://jpid@localhost:5433/jpid"),
            "postgres://jpid@localhost:5433/jpid"
        );
        // Found by review: a password in a parameter, or with an '@' in it.
        for (url, secret) in [
            ("postgres://jpid@db/jpid?password=s3cret", "s3cret"),
            ("postgresql://jpid:p@ss@db/jpid", "p@ss"),
            (
                "postgres://jpid:hunter2@db/jpid?sslmode=disable&password=other",
                "other",
            ),
            ("sqlite3://user:hunter2@x", "hunter2"),
            ("postgres://jpid:hunter2@[::1/jpid", "hunter2"),
        ] {
            let shown = redact_url(url);
            assert!(!shown.contains(secret), "{url} -> {shown}");
        }
        // Nor any part of it (the parser takes what follows the first '@' for the host).
        for (url, part) in [
            ("postgresql://jpid:p@ss@db/jpid", "ss"),
            ("postgres://jpid:a@b@c@db:5432/jpid?sslmode=require", "b@c"),
        ] {
            let shown = redact_url(url);
            assert!(!shown.contains(part), "{url} -> {shown}");
        }
    }
}
