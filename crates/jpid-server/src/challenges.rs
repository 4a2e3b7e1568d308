//! JPKI login challenges and the per-key challenge rate: single use, an expiry, bound to the
//! key that asked. With a SQLite audit store (one instance) they live in this process's memory;
//! with PostgreSQL they live in the database, so that several `jpid serve` instances behind a
//! load balancer answer any step of a login without sticky sessions (docs/service.md,
//! "Several instances").
//!
//! The database form keeps each step to one statement, so that races between instances are
//! settled by the database: a challenge is taken by `DELETE … RETURNING` (two instances
//! answering one challenge at once: one gets it), and a key's token bucket is refilled and
//! spent by one `INSERT … ON CONFLICT … DO UPDATE … WHERE` (no read-modify-write window).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::store::{postgres::PgStore, Store, StoreError};
use crate::{lock, MAX_CHALLENGES};

/// Milliseconds since the Unix epoch by this machine's clock (instances sharing a database
/// are assumed to keep their clocks in step, e.g. by NTP; a challenge lives minutes).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A challenge as stored: the nonce, its expiry (Unix ms) and the key that asked for it.
type Entry = ([u8; 32], i64, String);

/// Where the challenges live.
pub(crate) enum Challenges {
    /// This process only (a single instance).
    Memory {
        challenges: Mutex<HashMap<String, Entry>>,
        /// Key id → (tokens, last refill in Unix ms).
        buckets: Mutex<HashMap<String, (f64, i64)>>,
    },
    /// The PostgreSQL store, shared by every instance on it.
    Shared(PgStore),
}

/// What issuing a challenge did.
pub(crate) enum Issued {
    /// Kept: it may be answered.
    Kept,
    /// The key's rate is spent.
    RateLimited,
    /// Too many outstanding (memory only).
    Full,
}

/// What taking a challenge found.
pub(crate) enum Taken {
    /// Never issued, already used, or issued to another key.
    Unknown,
    /// Issued, but its time is over (it is gone now all the same).
    Expired,
    /// The nonce to check the answer against.
    Live([u8; 32]),
}

impl Challenges {
    /// The form that fits `store`.
    pub(crate) fn for_store(store: &Store) -> Self {
        match store {
            Store::Postgres(pg) => Self::Shared(pg.clone()),
            Store::Sqlite(_) => Self::Memory {
                challenges: Mutex::new(HashMap::new()),
                buckets: Mutex::new(HashMap::new()),
            },
        }
    }

    /// Whether the challenges are shared between instances.
    pub(crate) fn shared(&self) -> bool {
        matches!(self, Self::Shared(_))
    }

    /// Issues a challenge for `key` if its bucket (`rate` per second, bursts of 5 × `rate`)
    /// has a token.
    pub(crate) async fn issue(
        &self,
        id: &str,
        nonce: [u8; 32],
        ttl: Duration,
        key: &str,
        rate: f64,
    ) -> Result<Issued, StoreError> {
        let burst = rate * 5.0;
        let now = now_ms();
        let expires = now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        match self {
            Self::Memory {
                challenges,
                buckets,
            } => {
                {
                    let mut b = lock(buckets);
                    if b.len() > 10_000 {
                        b.clear();
                    }
                    let e = b.entry(key.to_string()).or_insert((burst, now));
                    let elapsed = (now - e.1).max(0) as f64 / 1000.0;
                    e.0 = (e.0 + elapsed * rate).min(burst);
                    e.1 = now;
                    if e.0 < 1.0 {
                        return Ok(Issued::RateLimited);
                    }
                    e.0 -= 1.0;
                }
                let mut c = lock(challenges);
                if c.len() >= MAX_CHALLENGES {
                    c.retain(|_, (_, exp, _)| *exp > now);
                    if c.len() >= MAX_CHALLENGES {
                        return Ok(Issued::Full);
                    }
                }
                c.insert(id.to_string(), (nonce, expires, key.to_string()));
                Ok(Issued::Kept)
            }
            Self::Shared(pg) => Ok(
                match pg
                    .issue_challenge(id, &nonce, key, expires, now, burst, rate)
                    .await?
                {
                    true => Issued::Kept,
                    false => Issued::RateLimited,
                },
            ),
        }
    }

    /// Takes challenge `id` for `key`: single use, whatever happens next. A challenge of
    /// another key is left where it is (that key may still answer it).
    pub(crate) async fn take(&self, id: &str, key: &str) -> Result<Taken, StoreError> {
        let found = match self {
            Self::Memory { challenges, .. } => {
                let mut c = lock(challenges);
                match c.get(id) {
                    Some((_, _, owner)) if owner == key => {
                        c.remove(id).map(|(nonce, exp, _)| (nonce, exp))
                    }
                    _ => None,
                }
            }
            Self::Shared(pg) => pg.take_challenge(id, key).await?,
        };
        Ok(match found {
            None => Taken::Unknown,
            Some((_, exp)) if exp <= now_ms() => Taken::Expired,
            Some((nonce, _)) => Taken::Live(nonce),
        })
    }
}
