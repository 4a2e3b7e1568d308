//! The SQLite engine of the store: one file in WAL mode, one connection for writes and one
//! for reads, each used on the blocking pool.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{now, AuditRecord, KeyRow, StoreError, AUDIT_COLUMNS, KEY_COLUMNS, MIGRATIONS};

/// An open SQLite store.
#[derive(Clone)]
pub struct SqliteStore {
    /// Where.
    path: PathBuf,
    /// Writer.
    write: Arc<Mutex<rusqlite::Connection>>,
    /// Reader.
    read: Arc<Mutex<rusqlite::Connection>>,
}

fn blocking_err(e: tokio::task::JoinError) -> StoreError {
    StoreError::Task(e.to_string())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn connection(path: &Path) -> Result<rusqlite::Connection, StoreError> {
    let c = rusqlite::Connection::open(path)?;
    c.busy_timeout(std::time::Duration::from_secs(10))?;
    // WAL + synchronous=FULL: a committed record survives a crash of the process and of the
    // machine. Group commit (one transaction per batch) keeps that affordable.
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "FULL")?;
    Ok(c)
}

impl SqliteStore {
    /// Opens (creating it and its directory when missing) and migrates the file at `path`.
    pub(super) async fn open(path: PathBuf) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Dir(dir.to_path_buf(), e))?;
        }
        let p = path.clone();
        let (write, read) = tokio::task::spawn_blocking(move || {
            let mut w = connection(&p)?;
            migrate(&mut w)?;
            let r = connection(&p)?;
            Ok::<_, StoreError>((w, r))
        })
        .await
        .map_err(blocking_err)??;
        Ok(Self {
            path,
            write: Arc::new(Mutex::new(write)),
            read: Arc::new(Mutex::new(read)),
        })
    }

    pub(super) fn describe(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }

    /// Runs `work` with the writer (`write`) or the reader on the blocking pool.
    async fn with<T: Send + 'static>(
        &self,
        write: bool,
        work: impl FnOnce(&mut rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = if write {
            self.write.clone()
        } else {
            self.read.clone()
        };
        tokio::task::spawn_blocking(move || work(&mut lock(&conn)))
            .await
            .map_err(blocking_err)?
    }

    pub(super) async fn ping(&self) -> Result<(), StoreError> {
        self.with(false, |c| {
            c.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }

    pub(super) async fn insert_audit(&self, recs: Vec<AuditRecord>) -> Result<(), StoreError> {
        self.with(true, move |c| {
            let tx = c.transaction()?;
            {
                let mut st = tx.prepare_cached(&format!(
                    "INSERT INTO audit ({AUDIT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                ))?;
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
    }

    pub(super) async fn history(&self, limit: i64) -> Result<Vec<AuditRecord>, StoreError> {
        self.with(false, move |c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audit ORDER BY at DESC, id DESC LIMIT ?1"
            ))?;
            let rows = st.query_map([limit], audit_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    pub(super) async fn audit_record(&self, id: String) -> Result<Option<AuditRecord>, StoreError> {
        self.with(false, move |c| {
            let mut st =
                c.prepare_cached(&format!("SELECT {AUDIT_COLUMNS} FROM audit WHERE id = ?1"))?;
            let mut rows = st.query_map([&id], audit_row)?;
            Ok(rows.next().transpose()?)
        })
        .await
    }

    pub(super) async fn purge(&self, before: i64) -> Result<u64, StoreError> {
        self.with(true, move |c| {
            let n = c.execute("DELETE FROM audit WHERE at < ?1", [before])?;
            Ok(n as u64)
        })
        .await
    }

    pub(super) async fn insert_key(&self, k: KeyRow) -> Result<(), StoreError> {
        self.with(true, move |c| {
            c.execute(
                &format!("INSERT INTO api_keys ({KEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, NULL)"),
                rusqlite::params![k.id, k.name, k.secret_sha256, k.scopes, k.created_at],
            )?;
            Ok(())
        })
        .await
    }

    pub(super) async fn keys_where(&self, id: Option<String>) -> Result<Vec<KeyRow>, StoreError> {
        self.with(false, move |c| {
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
            let q = format!("SELECT {KEY_COLUMNS} FROM api_keys");
            let rows = match &id {
                Some(id) => c
                    .prepare_cached(&format!("{q} WHERE id = ?1"))?
                    .query_map([id], map)?
                    .collect::<Result<Vec<_>, _>>()?,
                None => c
                    .prepare_cached(&format!("{q} ORDER BY created_at, id"))?
                    .query_map([], map)?
                    .collect::<Result<Vec<_>, _>>()?,
            };
            Ok(rows)
        })
        .await
    }

    /// Free bytes (for an unprivileged process) where the database lives.
    pub(super) fn free_space(&self) -> Option<u64> {
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let st = rustix::fs::statvfs(dir).ok()?;
        Some(st.f_bavail.saturating_mul(st.f_frsize))
    }

    pub(super) async fn probe_commit(&self, now: i64) -> Result<(), StoreError> {
        self.with(true, move |c| {
            c.execute(
                "INSERT INTO health (id, at) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                [now],
            )?;
            Ok(())
        })
        .await
    }

    pub(super) async fn insert_pairing(
        &self,
        code_sha256: String,
        key_id: String,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.with(true, move |c| {
            c.execute("DELETE FROM pairing_codes WHERE expires_at <= ?1", [now])?;
            c.execute(
                "INSERT INTO pairing_codes (code_sha256, key_id, created_at, expires_at, used_at) VALUES (?1, ?2, ?3, ?4, NULL)",
                rusqlite::params![code_sha256, key_id, now, expires_at],
            )?;
            Ok(())
        })
        .await
    }

    pub(super) async fn redeem_pairing(
        &self,
        code_sha256: String,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        self.with(true, move |c| {
            let mut q = c.prepare_cached(
                "UPDATE pairing_codes SET used_at = ?1 WHERE code_sha256 = ?2 AND used_at IS NULL AND expires_at > ?1 RETURNING key_id",
            )?;
            let mut rows = q.query(rusqlite::params![now, code_sha256])?;
            Ok(match rows.next()? {
                Some(r) => Some(r.get(0)?),
                None => None,
            })
        })
        .await
    }

    pub(super) async fn revoke_key(&self, id: String, at: i64) -> Result<bool, StoreError> {
        self.with(true, move |c| {
            let n = c.execute(
                "UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                rusqlite::params![at, id],
            )?;
            Ok(n > 0)
        })
        .await
    }
}

fn audit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRecord> {
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

fn migrate(c: &mut rusqlite::Connection) -> Result<(), StoreError> {
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
