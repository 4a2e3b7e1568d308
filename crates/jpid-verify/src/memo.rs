//! Bounded memos of pure computations, keyed by their exact input bytes.
//!
//! A verification service sees the same few certificates and keys all day (the residence-card
//! signer certificate, the JPKI roots, a returning holder's certificate), so parsing them,
//! preparing their keys and checking their signatures once per distinct byte string saves most
//! of that work. What a memo holds is a function of its key bytes alone, never of time, trust
//! anchors or revocation; only successes are kept. Each memo holds at most `capacity` entries and
//! is emptied when full, and inputs longer than [`MAX_KEY_BYTES`] are never kept, so hostile
//! input can cost time but never memory.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

/// Inputs longer than this are computed but never kept (real certificates are 1–2 KiB).
pub(crate) const MAX_KEY_BYTES: usize = 8 * 1024;

/// One memo: a `static` per kind of computation.
pub(crate) struct Memo<V> {
    map: OnceLock<Mutex<HashMap<Vec<u8>, V>>>,
    capacity: usize,
}

impl<V: Clone> Memo<V> {
    /// An empty memo of at most `capacity` entries.
    pub(crate) const fn new(capacity: usize) -> Self {
        Self {
            map: OnceLock::new(),
            capacity,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Vec<u8>, V>> {
        self.map
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The remembered value for `key`, or `make()`'s, remembered when it succeeds. `make` runs
    /// without the lock held, so two threads may both compute a new key once.
    pub(crate) fn get_or_try<E>(
        &self,
        key: &[u8],
        make: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        if key.len() > MAX_KEY_BYTES {
            return make();
        }
        if let Some(v) = self.lock().get(key) {
            return Ok(v.clone());
        }
        let v = make()?;
        let mut map = self.lock();
        if map.len() >= self.capacity {
            map.clear();
        }
        map.insert(key.to_vec(), v.clone());
        Ok(v)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_successes_only_bounded_and_never_long_keys() {
        static M: Memo<u32> = Memo::new(3);
        let mut calls = 0;
        let mut get = |k: &[u8], ok: bool| {
            M.get_or_try(k, || {
                calls += 1;
                if ok {
                    Ok(k.len() as u32)
                } else {
                    Err(())
                }
            })
        };
        assert_eq!(get(b"a", true), Ok(1));
        assert_eq!(get(b"a", true), Ok(1));
        assert_eq!(get(b"bb", false), Err(()));
        assert_eq!(get(b"bb", true), Ok(2));
        let long = vec![7u8; MAX_KEY_BYTES + 1];
        assert_eq!(get(&long, true), Ok(long.len() as u32));
        assert_eq!(get(&long, true), Ok(long.len() as u32));
        // "a" once, "bb" twice (the failure was not kept), the long key every time.
        assert_eq!(calls, 5);
        assert_eq!(M.len(), 2);
        assert_eq!(M.get_or_try(b"ccc", || Ok::<_, ()>(3)), Ok(3));
        assert_eq!(M.len(), 3);
        // Full: emptied, then the new entry.
        assert_eq!(M.get_or_try(b"dddd", || Ok::<_, ()>(4)), Ok(4));
        assert_eq!(M.len(), 1);
    }
}
