//! The PostgreSQL engine of the store: one client for writes and one for reads (each pipelines
//! its queries), reconnecting after the server went away, TLS through OpenSSL.

use std::path::PathBuf;
use std::sync::Arc;

use postgres_openssl::MakeTlsConnector;

use super::{
    now, redact_url, AuditRecord, KeyRow, StoreError, AUDIT_COLUMNS, KEY_COLUMNS, MIGRATIONS,
};

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
            // Bounded (1 MiB holds any CA bundle one would name here), like every file jpid
            // reads.
            let mut pem = Vec::new();
            {
                use std::io::Read;
                std::fs::File::open(ca)
                    .and_then(|f| f.take((1 << 20) + 1).read_to_end(&mut pem))
                    .map_err(|e| StoreError::Tls(format!("cannot read {}: {e}", ca.display())))?;
            }
            if pem.len() > 1 << 20 {
                return Err(StoreError::Tls(format!(
                    "{} is larger than 1 MiB: not a CA file",
                    ca.display()
                )));
            }
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

/// An open PostgreSQL store.
#[derive(Clone)]
pub struct PgStore {
    /// The URL with any password removed, for messages.
    shown: String,
    /// Writer.
    write: Arc<PgClient>,
    /// Reader.
    read: Arc<PgClient>,
    /// JPKI challenges (crate::challenges), on a connection of their own whose commits do not
    /// wait for the WAL flush (`synchronous_commit=off`): a challenge issued or taken is not
    /// worth an fsync of its own, and stays safe without one, because an answer that depends
    /// on a taken challenge is sent only after its audit record commits synchronously, and
    /// PostgreSQL flushes the WAL in order: that flush makes the earlier take durable too. A
    /// crash can only lose challenges not yet answered (their logins then fail).
    challenges: Arc<PgClient>,
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

impl PgStore {
    /// Connects to `url`, runs the migrations, and opens the two clients.
    pub(super) async fn open(url: &str, tls: &DbTls) -> Result<Self, StoreError> {
        let shown = redact_url(url);
        let (config, tls) = tls.prepare(url)?;
        // Migrations need `&mut Client`: a connection of their own, closed when done.
        let (mut migrator, conn) = config.connect(tls.clone()).await?;
        let task = tokio::spawn(conn);
        migrate(&mut migrator).await?;
        drop(migrator);
        let _ = task.await;
        let mut relaxed = config.clone();
        let options = match config.get_options() {
            Some(o) if !o.is_empty() => format!("{o} -c synchronous_commit=off"),
            _ => "-c synchronous_commit=off".to_string(),
        };
        relaxed.options(&options);
        Ok(Self {
            write: Arc::new(PgClient::open(&config, &shown, &tls).await?),
            read: Arc::new(PgClient::open(&config, &shown, &tls).await?),
            challenges: Arc::new(PgClient::open(&relaxed, &shown, &tls).await?),
            shown,
        })
    }

    pub(super) fn describe(&self) -> String {
        self.shown.clone()
    }

    pub(super) async fn ping(&self) -> Result<(), StoreError> {
        self.read.get().await?.simple_query("SELECT 1").await?;
        Ok(())
    }

    pub(super) async fn insert_audit(&self, recs: Vec<AuditRecord>) -> Result<(), StoreError> {
        let write = self.write.get().await?;
        // One statement for the whole batch: an implicit transaction, one round trip.
        let mut sql = format!("INSERT INTO audit ({AUDIT_COLUMNS}) VALUES ");
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

    pub(super) async fn history(&self, limit: i64) -> Result<Vec<AuditRecord>, StoreError> {
        let read = self.read.get().await?;
        let q = format!("SELECT {AUDIT_COLUMNS} FROM audit ORDER BY at DESC, id DESC LIMIT $1");
        let rows = read.query(&q, &[&limit]).await?;
        rows.iter().map(audit_row).collect()
    }

    pub(super) async fn audit_record(&self, id: String) -> Result<Option<AuditRecord>, StoreError> {
        let read = self.read.get().await?;
        let q = format!("SELECT {AUDIT_COLUMNS} FROM audit WHERE id = $1");
        let rows = read.query(&q, &[&id]).await?;
        rows.first().map(audit_row).transpose()
    }

    pub(super) async fn purge(&self, before: i64) -> Result<u64, StoreError> {
        Ok(self
            .write
            .get()
            .await?
            .execute("DELETE FROM audit WHERE at < $1", &[&before])
            .await?)
    }

    pub(super) async fn insert_key(&self, k: KeyRow) -> Result<(), StoreError> {
        let write = self.write.get().await?;
        write
            .execute(
                &format!("INSERT INTO api_keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, NULL)"),
                &[&k.id, &k.name, &k.secret_sha256, &k.scopes, &k.created_at],
            )
            .await?;
        Ok(())
    }

    pub(super) async fn keys_where(&self, id: Option<String>) -> Result<Vec<KeyRow>, StoreError> {
        let read = self.read.get().await?;
        let q = format!("SELECT {KEY_COLUMNS} FROM api_keys");
        let rows = match &id {
            Some(id) => read.query(&format!("{q} WHERE id = $1"), &[id]).await?,
            None => {
                read.query(&format!("{q} ORDER BY created_at, id"), &[])
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

    pub(super) async fn probe_commit(&self, now: i64) -> Result<(), StoreError> {
        self.write
            .get()
            .await?
            .execute(
                "INSERT INTO health (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                &[&now],
            )
            .await?;
        Ok(())
    }

    /// Issues a challenge if `key` has a token: refills the key's bucket for the time since
    /// its last use, spends one token and keeps the challenge, all in one statement; false
    /// (nothing kept) when less than one token is there. Every 64th call also deletes the
    /// expired challenges.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn issue_challenge(
        &self,
        id: &str,
        nonce: &[u8; 32],
        key: &str,
        expires_ms: i64,
        now_ms: i64,
        burst: f64,
        rate: f64,
    ) -> Result<bool, StoreError> {
        static ISSUED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let client = self.challenges.get().await?;
        if ISSUED
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .is_multiple_of(64)
        {
            client
                .execute(
                    "DELETE FROM jpki_challenges WHERE expires_at_ms < $1",
                    &[&now_ms],
                )
                .await?;
        }
        let rows = client
            .query(
                "WITH spent AS (
                   INSERT INTO challenge_buckets (key_id, tokens, at_ms) VALUES ($3, $5::float8 - 1, $6::int8)
                   ON CONFLICT (key_id) DO UPDATE SET
                     tokens = LEAST($5::float8, challenge_buckets.tokens
                         + GREATEST(0, $6::int8 - challenge_buckets.at_ms) / 1000.0 * $7::float8) - 1,
                     at_ms = GREATEST($6::int8, challenge_buckets.at_ms)
                   WHERE LEAST($5::float8, challenge_buckets.tokens
                         + GREATEST(0, $6::int8 - challenge_buckets.at_ms) / 1000.0 * $7::float8) >= 1
                   RETURNING key_id
                 )
                 INSERT INTO jpki_challenges (id, nonce, key_id, expires_at_ms)
                 SELECT $1, $2, key_id, $4 FROM spent
                 RETURNING id",
                &[&id, &hex::encode(nonce), &key, &expires_ms, &burst, &now_ms, &rate],
            )
            .await?;
        Ok(!rows.is_empty())
    }

    /// Takes challenge `id` of `key` (deleted in the same statement): its nonce and expiry.
    pub(crate) async fn take_challenge(
        &self,
        id: &str,
        key: &str,
    ) -> Result<Option<([u8; 32], i64)>, StoreError> {
        let rows = self
            .challenges
            .get()
            .await?
            .query(
                "DELETE FROM jpki_challenges WHERE id = $1 AND key_id = $2 RETURNING nonce, expires_at_ms",
                &[&id, &key],
            )
            .await?;
        let Some(r) = rows.first() else {
            return Ok(None);
        };
        let nonce: String = r.try_get(0)?;
        let nonce = hex::decode(nonce)
            .ok()
            .and_then(|n| <[u8; 32]>::try_from(n).ok())
            .ok_or_else(|| {
                StoreError::Row("a stored challenge nonce is not 32 bytes of hex".into())
            })?;
        Ok(Some((nonce, r.try_get(1)?)))
    }

    pub(super) async fn insert_pairing(
        &self,
        code_sha256: String,
        key_id: String,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let write = self.write.get().await?;
        write
            .execute("DELETE FROM pairing_codes WHERE expires_at <= $1", &[&now])
            .await?;
        write
            .execute(
                "INSERT INTO pairing_codes (code_sha256, key_id, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, NULL)",
                &[&code_sha256, &key_id, &now, &expires_at],
            )
            .await?;
        Ok(())
    }

    pub(super) async fn redeem_pairing(
        &self,
        code_sha256: String,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let write = self.write.get().await?;
        let rows = write
            .query(
                "UPDATE pairing_codes SET used_at = $1 WHERE code_sha256 = $2 AND used_at IS NULL AND expires_at > $1 RETURNING key_id",
                &[&now, &code_sha256],
            )
            .await?;
        match rows.first() {
            Some(r) => Ok(Some(r.try_get(0)?)),
            None => Ok(None),
        }
    }

    pub(super) async fn revoke_key(&self, id: String, at: i64) -> Result<bool, StoreError> {
        Ok(self
            .write
            .get()
            .await?
            .execute(
                "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                &[&at, &id],
            )
            .await?
            > 0)
    }
}

fn audit_row(r: &tokio_postgres::Row) -> Result<AuditRecord, StoreError> {
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

async fn migrate(c: &mut tokio_postgres::Client) -> Result<(), StoreError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
