//! Bounded memos of pure computations, keyed by their exact input bytes.
//!
//! A verification service sees the same few certificates and keys all day (the residence-card
//! signer certificate, the JPKI roots, a returning holder's certificate), so parsing them,
//! preparing their keys and checking their signatures once per distinct byte string saves most
//! of that work. What a memo holds is a function of its key bytes alone, never of time, trust
//! anchors or revocation; only successes are kept. Inputs longer than [`MAX_KEY_BYTES`] are
//! never kept, and each memo holds at most `2 × capacity` entries in two generations: new
//! entries go to the young one; when it is full it becomes the old one (the previous old one is
//! dropped); a hit in the old generation moves the entry back to the young one. So hostile input
//! can cost time but never memory, and a flood of distinct inputs does not evict what is used
//! between them (the residence signer certificate, the roots).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

/// Inputs longer than this are computed but never kept (real certificates are 1–2 KiB).
pub(crate) const MAX_KEY_BYTES: usize = 8 * 1024;

type Generations<V> = (HashMap<Vec<u8>, V>, HashMap<Vec<u8>, V>);

/// One memo: a `static` per kind of computation.
pub(crate) struct Memo<V> {
    /// (young, old).
    map: OnceLock<Mutex<Generations<V>>>,
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

    fn lock(&self) -> MutexGuard<'_, Generations<V>> {
        self.map
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds to the young generation, aging it first when full.
    fn insert(&self, gens: &mut Generations<V>, key: Vec<u8>, v: V) {
        if gens.0.len() >= self.capacity {
            gens.1 = std::mem::take(&mut gens.0);
        }
        gens.0.insert(key, v);
    }

    fn lookup(&self, key: &[u8]) -> Option<V> {
        let mut gens = self.lock();
        if let Some(v) = gens.0.get(key) {
            return Some(v.clone());
        }
        let (k, v) = gens.1.remove_entry(key)?;
        self.insert(&mut gens, k, v.clone());
        Some(v)
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
        if let Some(v) = self.lookup(key) {
            return Ok(v);
        }
        let v = make()?;
        let mut gens = self.lock();
        self.insert(&mut gens, key.to_vec(), v.clone());
        Ok(v)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        let gens = self.lock();
        gens.0.len() + gens.1.len()
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
        // The young generation is full: it ages, the new entry starts the next one.
        assert_eq!(M.get_or_try(b"dddd", || Ok::<_, ()>(4)), Ok(4));
        assert_eq!(M.len(), 4);
        // Never more than two generations.
        for i in 0..20u8 {
            let _ = M.get_or_try(&[b'x', i], || Ok::<_, ()>(0));
        }
        assert!(M.len() <= 6, "{}", M.len());
    }

    #[test]
    fn a_flood_of_new_keys_does_not_evict_a_key_in_use() {
        static M: Memo<u32> = Memo::new(8);
        let mut made = 0;
        let mut hot = || {
            M.get_or_try(b"hot", || {
                made += 1;
                Ok::<_, ()>(1)
            })
        };
        hot().unwrap();
        for i in 0..1000u32 {
            let _ = M.get_or_try(&i.to_be_bytes(), || Ok::<_, ()>(i));
            // Used once per 8 new keys (once per generation): it must stay remembered.
            if i % 7 == 0 {
                hot().unwrap();
            }
        }
        assert_eq!(made, 1, "the hot key was computed again");
        assert!(M.len() <= 16);
    }
}
