//! The audit store and API keys: SQLite (default, one file) or PostgreSQL. Migrations run at
//! start. Nothing here ever sees a My Number, a PIN or an image: [`AuditRecord`] has no field
//! that could hold one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use postgres_openssl::MakeTlsConnector;

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

/// How jpid talks TLS to PostgreSQL. The URL's `sslmode` decides whether TLS is used:
/// `disable` never, `prefer` (the default) when the server offers it, `require` always (the
/// connection fails without it). Whenever TLS is used the server's certificate must chain to a
/// trusted CA and name the host of the URL, as libpq's `verify-full` does; there is no mode that
/// takes an unverified certificate. With a CA file, only its CAs are trusted and TLS is required
/// (`prefer` becomes `require`: a network attacker could otherwise answer "no TLS" for the
/// server; `disable` is refused).
#[derive(Debug, Clone, Default)]
pub struct DbTls {
    /// The CA certificates (PEM) that issued the database server's certificate; when set, the
    /// system's CAs are not used.
    pub ca_file: Option<PathBuf>,
}

impl DbTls {
    /// The parsed URL with its TLS mode settled, and the TLS connector.
    fn prepare(&self, url: &str) -> Result<(tokio_postgres::Config, MakeTlsConnector), StoreError> {
        use tokio_postgres::config::SslMode;
        let mut config: tokio_postgres::Config = url.parse()?;
        match (config.get_ssl_mode(), &self.ca_file) {
            (SslMode::Disable, Some(_)) => {
                return Err(StoreError::Tls(
                    "--db-ca asks for TLS but the URL says sslmode=disable".into(),
                ))
            }
            (SslMode::Prefer, Some(_)) => {
                config.ssl_mode(SslMode::Require);
            }
            (SslMode::Prefer, None) if !local_only(&config) => log::warn!(
                "the connection to PostgreSQL uses TLS only if the server offers it (sslmode=prefer); \
                 someone on the network could make it plain: add sslmode=require to the URL"
            ),
            _ => {}
        }
        Ok((config, self.connector()?))
    }

    fn connector(&self) -> Result<MakeTlsConnector, StoreError> {
        use openssl::ssl::{SslConnector, SslMethod, SslVersion};
        let tls = |e: openssl::error::ErrorStack| StoreError::Tls(e.to_string());
        let mut b = SslConnector::builder(SslMethod::tls_client()).map_err(tls)?;
        b.set_min_proto_version(Some(SslVersion::TLS1_2))
            .map_err(tls)?;
        if let Some(ca) = &self.ca_file {
            let pem = std::fs::read(ca)
                .map_err(|e| StoreError::Tls(format!("cannot read {}: {e}", ca.display())))?;
            let certs = openssl::x509::X509::stack_from_pem(&pem)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    StoreError::Tls(format!(
                        "{} does not hold readable PEM certificates (-----BEGIN CERTIFICATE-----)",
                        ca.display()
                    ))
                })?;
            // Only these CAs: the system's would let any public CA vouch for the database.
            let mut store = openssl::x509::store::X509StoreBuilder::new().map_err(tls)?;
            for c in certs {
                store.add_cert(c).map_err(tls)?;
            }
            b.set_cert_store(store.build());
        }
        Ok(MakeTlsConnector::new(b.build()))
    }
}

/// Whether every host of `config` is this machine (loopback or a Unix socket).
fn local_only(config: &tokio_postgres::Config) -> bool {
    config.get_hosts().iter().all(|h| match h {
        tokio_postgres::config::Host::Tcp(name) => {
            name == "localhost"
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        #[cfg(unix)]
        tokio_postgres::config::Host::Unix(_) => true,
    })
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
    /// `residence`, `mynumber-text`, `jpki-login`, `jpki-signature`, `age`, …
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
];

/// The store.
#[derive(Clone)]
pub enum Store {
    /// SQLite: one connection for writes, one for reads, in WAL mode.
    Sqlite {
        /// Where.
        path: PathBuf,
        /// Writer.
        write: Arc<Mutex<rusqlite::Connection>>,
        /// Reader.
        read: Arc<Mutex<rusqlite::Connection>>,
    },
    /// PostgreSQL: one client for writes, one for reads (each pipelines its queries).
    Postgres {
        /// The URL with any password removed, for messages.
        shown: String,
        /// Writer.
        write: Arc<PgClient>,
        /// Reader.
        read: Arc<PgClient>,
    },
}

/// How long a (re)connection to PostgreSQL may take before the request that needed it fails.
const PG_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// After a failed reconnection, requests fail at once for this long instead of each trying
/// again (and queueing behind one another's attempts).
const PG_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// A PostgreSQL client that reconnects when its connection has ended (the server restarted,
/// the network dropped): the request that met the failure gets an error (503, nothing
/// answered), and the next one opens a new connection. One reconnection at a time, each bounded
/// by [`PG_CONNECT_TIMEOUT`]; after a failed one, requests fail at once for
/// [`PG_RETRY_AFTER`], so no request waits for more than one attempt.
pub struct PgClient {
    /// The parsed URL (it may hold a password: never printed).
    config: tokio_postgres::Config,
    /// TLS for each (re)connection.
    tls: MakeTlsConnector,
    /// The URL without its password, for messages.
    shown: String,
    /// The client, and when the last reconnection failed.
    client: tokio::sync::Mutex<(Arc<tokio_postgres::Client>, Option<std::time::Instant>)>,
}

impl PgClient {
    async fn connect(
        config: &tokio_postgres::Config,
        shown: &str,
        tls: &MakeTlsConnector,
    ) -> Result<Arc<tokio_postgres::Client>, StoreError> {
        let (client, conn) = tokio::time::timeout(PG_CONNECT_TIMEOUT, config.connect(tls.clone()))
            .await
            .map_err(|_| {
                StoreError::Unavailable(format!(
                    "no connection to {shown} within {} s",
                    PG_CONNECT_TIMEOUT.as_secs()
                ))
            })??;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                log::error!("PostgreSQL connection ended: {e}");
            }
        });
        Ok(Arc::new(client))
    }

    async fn open(
        config: &tokio_postgres::Config,
        shown: &str,
        tls: &MakeTlsConnector,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            client: tokio::sync::Mutex::new((Self::connect(config, shown, tls).await?, None)),
            config: config.clone(),
            tls: tls.clone(),
            shown: shown.to_string(),
        })
    }

    /// The client, reconnected first if its connection has ended.
    async fn get(&self) -> Result<Arc<tokio_postgres::Client>, StoreError> {
        let mut guard = self.client.lock().await;
        let (client, failed_at) = &mut *guard;
        if client.is_closed() {
            if failed_at.is_some_and(|t| t.elapsed() < PG_RETRY_AFTER) {
                return Err(StoreError::Unavailable(
                    "the database connection is down; reconnecting failed moments ago".into(),
                ));
            }
            log::warn!("the connection to {} has ended; reconnecting", self.shown);
            match Self::connect(&self.config, &self.shown, &self.tls).await {
                Ok(c) => {
                    *client = c;
                    *failed_at = None;
                    log::info!("reconnected to {}", self.shown);
                }
                Err(e) => {
                    *failed_at = Some(std::time::Instant::now());
                    return Err(e);
                }
            }
        }
        Ok(client.clone())
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// The default SQLite file: `$XDG_DATA_HOME/jpid/jpid.sqlite3`, else
/// `~/.local/share/jpid/jpid.sqlite3`, else `./jpid.sqlite3`.
pub fn default_sqlite_path() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local/share"))
        });
    match base {
        Some(b) => b.join("jpid").join("jpid.sqlite3"),
        None => PathBuf::from("jpid.sqlite3"),
    }
}

fn blocking_err(e: tokio::task::JoinError) -> StoreError {
    StoreError::Task(e.to_string())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn open_sqlite(path: &Path) -> Result<rusqlite::Connection, StoreError> {
    let c = rusqlite::Connection::open(path)?;
    c.busy_timeout(std::time::Duration::from_secs(10))?;
    // WAL + synchronous=FULL: a committed record survives a crash of the process and of the
    // machine. Group commit (one transaction per batch) keeps that affordable.
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "FULL")?;
    Ok(c)
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
            None => Self::open_sqlite(default_sqlite_path()).await,
            Some(u) if u.starts_with("sqlite://") => {
                let p = u.trim_start_matches("sqlite://");
                if p.is_empty() {
                    return Err(StoreError::Url(u.to_string()));
                }
                Self::open_sqlite(PathBuf::from(p)).await
            }
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Self::open_postgres(u, tls).await
            }
            Some(u) => Err(StoreError::Url(redact_url(u))),
        }
    }

    async fn open_sqlite(path: PathBuf) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Dir(dir.to_path_buf(), e))?;
        }
        let p = path.clone();
        let (write, read) = tokio::task::spawn_blocking(move || {
            let mut w = open_sqlite(&p)?;
            migrate_sqlite(&mut w)?;
            let r = open_sqlite(&p)?;
            Ok::<_, StoreError>((w, r))
        })
        .await
        .map_err(blocking_err)??;
        Ok(Self::Sqlite {
            path,
            write: Arc::new(Mutex::new(write)),
            read: Arc::new(Mutex::new(read)),
        })
    }

    async fn open_postgres(url: &str, tls: &DbTls) -> Result<Self, StoreError> {
        let shown = redact_url(url);
        let (config, tls) = tls.prepare(url)?;
        // Migrations need `&mut Client`: a connection of their own, closed when done.
        let (mut migrator, conn) = config.connect(tls.clone()).await?;
        let task = tokio::spawn(conn);
        migrate_postgres(&mut migrator).await?;
        drop(migrator);
        let _ = task.await;
        Ok(Self::Postgres {
            write: Arc::new(PgClient::open(&config, &shown, &tls).await?),
            read: Arc::new(PgClient::open(&config, &shown, &tls).await?),
            shown,
        })
    }

    /// Which database, for people (no password).
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
            Self::Postgres { shown, .. } => shown.clone(),
        }
    }

    /// A trivial query: does the database answer?
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite { read, .. } => {
                let read = read.clone();
                tokio::task::spawn_blocking(move || {
                    lock(&read).query_row("SELECT 1", [], |_| Ok(()))?;
                    Ok(())
                })
                .await
                .map_err(blocking_err)?
            }
            Self::Postgres { read, .. } => {
                let read = read.get().await?;
                read.simple_query("SELECT 1").await?;
                Ok(())
            }
        }
    }

    /// Commits a batch of audit records in one transaction; returns only once committed.
    pub async fn insert_audit(&self, recs: Vec<AuditRecord>) -> Result<(), StoreError> {
        match self {
            Self::Sqlite { write, .. } => {
                let write = write.clone();
                tokio::task::spawn_blocking(move || {
                    let mut c = lock(&write);
                    let tx = c.transaction()?;
                    {
                        let mut st = tx.prepare_cached(
                            "INSERT INTO audit (id, at, key_id, method, result, reasons, cert_serial, cert_issuer, input_sha256, detail)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                        )?;
                        for r in &recs {
                            st.execute(rusqlite::params![
                                r.id, r.at, r.key_id, r.method, r.result, r.reasons,
                                r.cert_serial, r.cert_issuer, r.input_sha256, r.detail
                            ])?;
                        }
                    }
                    tx.commit()?;
                    Ok(())
                })
                .await
                .map_err(blocking_err)?
            }
            Self::Postgres { write, .. } => {
                let write = write.get().await?;
                // One statement for the whole batch: an implicit transaction, one round trip.
                let mut sql = String::from(
                    "INSERT INTO audit (id, at, key_id, method, result, reasons, cert_serial, cert_issuer, input_sha256, detail) VALUES ",
                );
                let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = Vec::new();
                for (i, r) in recs.iter().enumerate() {
                    if i > 0 {
                        sql.push(',');
                    }
                    let b = i * 10;
                    let marks: Vec<String> = (1..=10).map(|k| format!("${}", b + k)).collect();
                    sql.push_str(&format!("({})", marks.join(",")));
                    params.extend_from_slice(&[
                        &r.id,
                        &r.at,
                        &r.key_id,
                        &r.method,
                        &r.result,
                        &r.reasons,
                        &r.cert_serial,
                        &r.cert_issuer,
                        &r.input_sha256,
                        &r.detail,
                    ]);
                }
                write.execute(sql.as_str(), &params).await?;
                Ok(())
            }
        }
    }

    /// The newest audit records, newest first, at most `limit` (≤ 1000).
    pub async fn history(&self, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        let limit = i64::from(limit.min(1000));
        const Q: &str =
            "SELECT id, at, key_id, method, result, reasons, cert_serial, cert_issuer, input_sha256, detail
                         FROM audit ORDER BY at DESC, id DESC LIMIT ";
        match self {
            Self::Sqlite { read, .. } => {
                let read = read.clone();
                tokio::task::spawn_blocking(move || {
                    let c = lock(&read);
                    let mut st = c.prepare_cached(&format!("{Q}?1"))?;
                    let rows = st.query_map([limit], sqlite_audit)?;
                    Ok(rows.collect::<Result<Vec<_>, _>>()?)
                })
                .await
                .map_err(blocking_err)?
            }
            Self::Postgres { read, .. } => {
                let read = read.get().await?;
                let rows = read.query(&format!("{Q}$1"), &[&limit]).await?;
                rows.iter().map(pg_audit).collect()
            }
        }
    }

    /// One record by id.
    pub async fn audit_record(&self, id: &str) -> Result<Option<AuditRecord>, StoreError> {
        const Q: &str =
            "SELECT id, at, key_id, method, result, reasons, cert_serial, cert_issuer, input_sha256, detail
                         FROM audit WHERE id = ";
        let id = id.to_string();
        match self {
            Self::Sqlite { read, .. } => {
                let read = read.clone();
                tokio::task::spawn_blocking(move || {
                    let c = lock(&read);
                    let mut st = c.prepare_cached(&format!("{Q}?1"))?;
                    let mut rows = st.query_map([&id], sqlite_audit)?;
                    Ok(rows.next().transpose()?)
                })
                .await
                .map_err(blocking_err)?
            }
            Self::Postgres { read, .. } => {
                let read = read.get().await?;
                let rows = read.query(&format!("{Q}$1"), &[&id]).await?;
                rows.first().map(pg_audit).transpose()
            }
        }
    }

    /// Deletes audit records older than `before` (Unix seconds); returns how many.
    pub async fn purge(&self, before: i64) -> Result<u64, StoreError> {
        match self {
            Self::Sqlite { write, .. } => {
                let write = write.clone();
                tokio::task::spawn_blocking(move || {
                    let c = lock(&write);
                    let n = c.execute("DELETE FROM audit WHERE at < ?1", [before])?;
                    Ok(n as u64)
                })
                .await
                .map_err(blocking_err)?
            }
            Self::Postgres { write, .. } => Ok(write
                .get()
                .await?
                .execute("DELETE FROM audit WHERE at < $1", &[&before])
                .await?),
        }
    }

    /// Stores a new key.
    pub async fn insert_key(&self, k: KeyRow) -> Result<(), StoreError> {
        const Q: &str =
            "INSERT INTO api_keys (id, name, secret_sha256, scopes, created_at, revoked_at)";
        match self {
            Self::Sqlite { write, .. } => {
                let write = write.clone();
                tokio::task::spawn_blocking(move || {
                    let c = lock(&write);
                    c.execute(
                        &format!("{Q} VALUES (?1, ?2, ?3, ?4, ?5, NULL)"),
                        rusqlite::params![k.id, k.name, k.secret_sha256, k.scopes, k.created_at],
                    )?;
                    Ok(())
                })
                .await
                .map_err(blocking_err)?
            }
            Self::Postgres { write, .. } => {
                let write = write.get().await?;
                write
                    .execute(
                        &format!("{Q} VALUES ($1, $2, $3, $4, $5, NULL)"),
                        &[&k.id, &k.name, &k.secret_sha256, &k.scopes, &k.created_at],
                    )
                    .await?;
                Ok(())
            }
        }
    }

    /// Every key, oldest first.
    pub async fn list_keys(&self) -> Result<Vec<KeyRow>, StoreError> {
        self.keys_where(None).await
    }

    /// One key by id.
    pub async fn find_key(&self, id: &str) -> Result<Option<KeyRow>, StoreError> {
        Ok(self
            .keys_where(Some(id.to_string()))
            .await?
            .into_iter()
            .next())
    }

    async fn keys_where(&self, id: Option<String>) -> Result<Vec<KeyRow>, StoreError> {
        const Q: &str =
            "SELECT id, name, secret_sha256, scopes, created_at, revoked_at FROM api_keys";
        match self {
            Self::Sqlite { read, .. } => {
                let read = read.clone();
                tokio::task::spawn_blocking(move || {
                    let c = lock(&read);
                    let map = |r: &rusqlite::Row<'_>| {
                        Ok(KeyRow {
                            id: r.get(0)?,
                            name: r.get(1)?,
                            secret_sha256: r.get(2)?,
                            scopes: r.get(3)?,
                            created_at: r.get(4)?,
                            revoked_at: r.get(5)?,
                        })
                    };
                    let rows = match &id {
                        Some(id) => c
                            .prepare_cached(&format!("{Q} WHERE id = ?1"))?
                            .query_map([id], map)?
                            .collect::<Result<Vec<_>, _>>()?,
                        None => c
                            .prepare_cached(&format!("{Q} ORDER BY created_at, id"))?
                            .query_map([], map)?
                            .collect::<Result<Vec<_>, _>>()?,
                    };
                    Ok(rows)
                })
                .await
                .map_err(blocking_err)?
            }
            Self::Postgres { read, .. } => {
                let read = read.get().await?;
                let rows = match &id {
                    Some(id) => read.query(&format!("{Q} WHERE id = $1"), &[id]).await?,
                    None => {
                        read.query(&format!("{Q} ORDER BY created_at, id"), &[])
                            .await?
                    }
                };
                rows.iter()
                    .map(|r| {
                        Ok(KeyRow {
                            id: r.try_get(0)?,
                            name: r.try_get(1)?,
                            secret_sha256: r.try_get(2)?,
                            scopes: r.try_get(3)?,
                            created_at: r.try_get(4)?,
                            revoked_at: r.try_get(5)?,
                        })
                    })
                    .collect()
            }
        }
    }

    /// Marks a key revoked; false when there is no such key or it was already revoked.
    pub async fn revoke_key(&self, id: &str, at: i64) -> Result<bool, StoreError> {
        let id = id.to_string();
        match self {
            Self::Sqlite { write, .. } => {
                let write = write.clone();
                tokio::task::spawn_blocking(move || {
                    let c = lock(&write);
                    let n = c.execute(
                        "UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                        rusqlite::params![at, id],
                    )?;
                    Ok(n > 0)
                })
                .await
                .map_err(blocking_err)?
            }
            Self::Postgres { write, .. } => Ok(write
                .get()
                .await?
                .execute(
                    "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                    &[&at, &id],
                )
                .await?
                > 0),
        }
    }
}

fn sqlite_audit(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRecord> {
    Ok(AuditRecord {
        id: r.get(0)?,
        at: r.get(1)?,
        key_id: r.get(2)?,
        method: r.get(3)?,
        result: r.get(4)?,
        reasons: r.get(5)?,
        cert_serial: r.get(6)?,
        cert_issuer: r.get(7)?,
        input_sha256: r.get(8)?,
        detail: r.get(9)?,
    })
}

fn pg_audit(r: &tokio_postgres::Row) -> Result<AuditRecord, StoreError> {
    Ok(AuditRecord {
        id: r.try_get(0)?,
        at: r.try_get(1)?,
        key_id: r.try_get(2)?,
        method: r.try_get(3)?,
        result: r.try_get(4)?,
        reasons: r.try_get(5)?,
        cert_serial: r.try_get(6)?,
        cert_issuer: r.try_get(7)?,
        input_sha256: r.try_get(8)?,
        detail: r.try_get(9)?,
    })
}

fn migrate_sqlite(c: &mut rusqlite::Connection) -> Result<(), StoreError> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )?;
    let done: i64 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?;
    for (v, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > done) {
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            rusqlite::params![v, now()],
        )?;
        log::info!("database migrated to version {v}");
    }
    tx.commit()?;
    Ok(())
}

async fn migrate_postgres(c: &mut tokio_postgres::Client) -> Result<(), StoreError> {
    let tx = c.transaction().await?;
    // Serialises concurrent starts of several servers on one database.
    tx.batch_execute(
        "SELECT pg_advisory_xact_lock(7364901);
         CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let done: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .try_get(0)?;
    for (v, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > done) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[v, &now()],
        )
        .await?;
        log::info!("database migrated to version {v}");
    }
    tx.commit().await?;
    Ok(())
}

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

    /// A CA file means TLS, verified by that CA alone: `prefer` becomes `require`, `disable` is
    /// refused, and a file without certificates is named in the error.
    #[test]
    fn a_ca_file_requires_tls() {
        use tokio_postgres::config::SslMode;
        let dir = std::env::temp_dir().join(format!("jpid-dbtls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = dir.join("ca.pem");
        let pki = jpid_testpki::load_default().unwrap();
        let der = pki.jpki_auth_ca().cert_der();
        let pem = openssl::x509::X509::from_der(der)
            .unwrap()
            .to_pem()
            .unwrap();
        std::fs::write(&ca, pem).unwrap();
        let with_ca = DbTls {
            ca_file: Some(ca.clone()),
        };
        let none = DbTls::default();
        for (url, tls, mode) in [
            (
                "postgres://u@db.example/x",
                &with_ca,
                Some(SslMode::Require),
            ),
            (
                "postgres://u@db.example/x?sslmode=prefer",
                &with_ca,
                Some(SslMode::Require),
            ),
            (
                "postgres://u@db.example/x?sslmode=require",
                &with_ca,
                Some(SslMode::Require),
            ),
            ("postgres://u@db.example/x?sslmode=disable", &with_ca, None),
            ("postgres://u@db.example/x", &none, Some(SslMode::Prefer)),
            (
                "postgres://u@db.example/x?sslmode=disable",
                &none,
                Some(SslMode::Disable),
            ),
        ] {
            match (tls.prepare(url), mode) {
                (Ok((c, _)), Some(m)) => assert_eq!(c.get_ssl_mode(), m, "{url}"),
                (Err(e), None) => assert!(e.to_string().contains("sslmode=disable"), "{e}"),
                (r, m) => panic!("{url}: {:?} vs {m:?}", r.map(|(c, _)| c.get_ssl_mode())),
            }
        }
        std::fs::write(&ca, "not a certificate").unwrap();
        let e = with_ca
            .prepare("postgres://u@db/x")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("ca.pem") && e.contains("PEM"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
