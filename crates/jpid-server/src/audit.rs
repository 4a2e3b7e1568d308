//! The audit writer: every verification's record is committed before its answer leaves.
//! Records from concurrent requests are committed together (group commit), so durability costs
//! one transaction per batch, not per request.

use tokio::sync::{mpsc, oneshot};

use crate::store::{AuditRecord, Store};

/// The largest batch committed at once.
const MAX_BATCH: usize = 256;

type Pending = (AuditRecord, oneshot::Sender<Result<(), String>>);

/// A handle to the writer task.
#[derive(Clone)]
pub struct AuditLog {
    tx: mpsc::Sender<Pending>,
}

impl AuditLog {
    /// Starts the writer on the current runtime.
    pub fn start(store: Store) -> Self {
        let (tx, mut rx) = mpsc::channel::<Pending>(4096);
        tokio::spawn(async move {
            let mut waiting = Vec::with_capacity(MAX_BATCH);
            while let Some(first) = rx.recv().await {
                // The records move to the store; their senders wait here for the outcome.
                let mut recs: Vec<AuditRecord> = Vec::with_capacity(MAX_BATCH);
                let (r, done) = first;
                recs.push(r);
                waiting.push(done);
                while recs.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok((r, done)) => {
                            recs.push(r);
                            waiting.push(done);
                        }
                        Err(_) => break,
                    }
                }
                let result = store.insert_audit(recs).await.map_err(|e| e.to_string());
                if let Err(e) = &result {
                    log::error!("audit batch of {} not committed: {e}", waiting.len());
                }
                for done in waiting.drain(..) {
                    let _ = done.send(result.clone());
                }
            }
        });
        Self { tx }
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

/// A fresh record id: 16 random bytes, hex.
pub fn new_id() -> Result<String, getrandom::Error> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b)?;
    Ok(hex::encode(b))
}
