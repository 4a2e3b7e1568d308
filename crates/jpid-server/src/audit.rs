//! The audit writer: every verification's record is committed before its answer leaves.
//! Records from concurrent requests are committed together (group commit), so durability costs
//! one transaction per batch, not per request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::store::{AuditRecord, Store};

/// The largest batch committed at once.
const MAX_BATCH: usize = 256;

/// How many times the writer lets other tasks run before it commits what it has gathered.
const MAX_YIELDS: usize = 8;

/// The longest the writer gathers a batch before committing it, however much keeps arriving.
const MAX_GATHER: std::time::Duration = std::time::Duration::from_millis(5);

type Pending = (AuditRecord, oneshot::Sender<Result<(), String>>);

/// A handle to the writer task.
#[derive(Clone)]
pub struct AuditLog {
    tx: mpsc::Sender<Pending>,
    counts: Arc<Counts>,
    started: std::time::Instant,
}

/// Records and batches committed so far (the mean batch size, for tests and diagnostics).
#[derive(Default)]
struct Counts {
    records: AtomicU64,
    batches: AtomicU64,
    /// When the last batch committed, and when one last failed (milliseconds since the
    /// writer started, plus one; 0 = never).
    ok_at: AtomicU64,
    failed_at: AtomicU64,
}

impl AuditLog {
    /// Starts the writer on the current runtime.
    pub fn start(store: Store) -> Self {
        Self::start_with(store, MAX_GATHER)
    }

    /// [`Self::start`] gathering each batch for at most `max_gather`.
    pub fn start_with(store: Store, max_gather: std::time::Duration) -> Self {
        let (tx, mut rx) = mpsc::channel::<Pending>(4096);
        let counts = Arc::new(Counts::default());
        let seen = counts.clone();
        let started = std::time::Instant::now();
        let stamp = move || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX) + 1;
        tokio::spawn(async move {
            let mut waiting = Vec::with_capacity(MAX_BATCH);
            while let Some(first) = rx.recv().await {
                // The records move to the store; their senders wait here for the outcome.
                let mut recs: Vec<AuditRecord> = Vec::with_capacity(MAX_BATCH);
                let (r, done) = first;
                recs.push(r);
                waiting.push(done);
                // Let the requests the workers are already running finish their verification
                // and join this batch: after each yield, what arrived meanwhile is taken, until
                // a yield brings nothing new (at most MAX_YIELDS yields, for at most
                // `max_gather`). On a busy service this makes a batch of about as
                // many records as there are requests in flight instead of one or two, and
                // SQLite writes each shared page once per batch; on an idle one it costs one
                // pass of the scheduler.
                let mut yields = 0;
                let gathering = std::time::Instant::now();
                loop {
                    while recs.len() < MAX_BATCH {
                        match rx.try_recv() {
                            Ok((r, done)) => {
                                recs.push(r);
                                waiting.push(done);
                            }
                            Err(_) => break,
                        }
                    }
                    if recs.len() >= MAX_BATCH
                        || yields == MAX_YIELDS
                        || gathering.elapsed() >= max_gather
                    {
                        break;
                    }
                    tokio::task::yield_now().await;
                    yields += 1;
                    if rx.is_empty() {
                        break;
                    }
                }
                let n = recs.len() as u64;
                let result = store.insert_audit(recs).await.map_err(|e| e.to_string());
                match &result {
                    Ok(()) => {
                        seen.records.fetch_add(n, Ordering::Relaxed);
                        seen.batches.fetch_add(1, Ordering::Relaxed);
                        seen.ok_at.store(stamp(), Ordering::Relaxed);
                    }
                    Err(e) => {
                        seen.failed_at.store(stamp(), Ordering::Relaxed);
                        log::error!("audit batch of {} not committed: {e}", waiting.len())
                    }
                }
                for done in waiting.drain(..) {
                    let _ = done.send(result.clone());
                }
            }
        });
        Self {
            tx,
            counts,
            started,
        }
    }

    /// Whether the last audit batch failed to commit within `window` and none committed
    /// since: verifications are being refused right now.
    pub fn failing(&self, window: std::time::Duration) -> bool {
        let failed = self.counts.failed_at.load(Ordering::Relaxed);
        let ok = self.counts.ok_at.load(Ordering::Relaxed);
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX) + 1;
        let window = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        failed > ok && now.saturating_sub(failed) <= window
    }

    /// Records committed and the transactions that committed them, since the start.
    pub fn committed(&self) -> (u64, u64) {
        (
            self.counts.records.load(Ordering::Relaxed),
            self.counts.batches.load(Ordering::Relaxed),
        )
    }

    /// Commits `rec`; returns once it is durable. An error means the answer must not be sent.
    pub async fn commit(&self, rec: AuditRecord) -> Result<(), String> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send((rec, done))
            .await
            .map_err(|_| "the audit writer has stopped".to_string())?;
        wait.await
            .map_err(|_| "the audit writer has stopped".to_string())?
    }
}

/// A fresh id: 16 random bytes, hex (JPKI challenge ids).
pub fn new_id() -> Result<String, getrandom::Error> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b)?;
    Ok(hex::encode(b))
}

/// A fresh audit record id, 32 hex digits: a UUIDv7 (RFC 9562: 48 bits of milliseconds
/// since 1970, then random bits), so that ids sort by time. The audit table's primary-key
/// index then grows at its end: a random id lands each record on a different index page, and
/// under load SQLite wrote about one more page per record for it. The time it shows is the
/// record's `at` anyway.
pub fn new_record_id() -> Result<String, getrandom::Error> {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    record_id_at(ms)
}

/// The UUIDv7 of millisecond `ms`, its random bits from the operating system (a failure to get
/// them is an error, never a weaker id).
fn record_id_at(ms: u128) -> Result<String, getrandom::Error> {
    let mut random = [0u8; 10];
    getrandom::getrandom(&mut random)?;
    let ms = u64::try_from(ms & 0xFFFF_FFFF_FFFF).unwrap_or(0);
    let id = uuid::Builder::from_unix_timestamp_millis(ms, &random).into_uuid();
    Ok(id.simple().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: usize) -> AuditRecord {
        AuditRecord {
            id: new_record_id().unwrap(),
            at: 1_700_000_000,
            key_id: "k".into(),
            method: "residence".into(),
            result: "genuine".into(),
            reasons: String::new(),
            cert_serial: None,
            cert_issuer: None,
            input_sha256: format!("{i:064x}"),
            detail: None,
        }
    }

    /// Requests that are running together share a transaction: 64 requests on one thread,
    /// whose verifications end a few scheduler turns apart, are all durable when their commits
    /// return, and the writer waited for the stragglers instead of committing each turn's.
    #[test]
    fn concurrent_commits_share_transactions_and_all_land() {
        let dir = std::env::temp_dir().join(format!("jpid-audit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let url = format!("sqlite://{}", dir.join("a.sqlite3").display());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let store = Store::open(Some(&url)).await.unwrap();
            // A generous bound: a test machine that pauses the thread must not split the batch.
            let log = AuditLog::start_with(store.clone(), std::time::Duration::from_secs(5));
            let tasks: Vec<_> = (0..64)
                .map(|i| {
                    let log = log.clone();
                    tokio::spawn(async move {
                        for _ in 0..i % 6 {
                            tokio::task::yield_now().await;
                        }
                        log.commit(record(i)).await
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap().unwrap();
            }
            let (records, batches) = log.committed();
            assert_eq!(records, 64);
            assert_eq!(batches, 1, "64 records took {batches} transactions");
            assert_eq!(store.history(1000).await.unwrap().len(), 64);
        });
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn record_ids_sort_by_time_and_differ_within_a_millisecond() {
        let a = record_id_at(1_700_000_000_000).unwrap();
        let b = record_id_at(1_700_000_000_001).unwrap();
        let c = record_id_at(1_700_000_000_001).unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|x| x.is_ascii_hexdigit()));
        assert!(a < b && a < c, "{a} {b} {c}");
        assert_ne!(b, c);
        assert_eq!(&b[..12], &format!("{:012x}", 1_700_000_000_001u64));
        // A UUIDv7: version 7 and the RFC 9562 variant.
        let u = uuid::Uuid::parse_str(&b).unwrap();
        assert_eq!(u.get_version_num(), 7);
        assert_eq!(u.get_variant(), uuid::Variant::RFC4122);
        // Ids made now carry the present time.
        let now = new_record_id().unwrap();
        assert!(now[..12] > a[..12]);
    }
}
