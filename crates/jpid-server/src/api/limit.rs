//! The per-key rate limit on JPKI challenges (a token bucket per API key).

#[allow(unused_imports)]
use super::*;

/// Takes one token from `key`'s bucket.
pub(crate) fn take_token(s: &AppState, key: &str) -> bool {
    let mut b = lock(&s.buckets);
    if b.len() > 10_000 {
        b.clear();
    }
    let burst = s.challenge_rate * 5.0;
    let e = b.entry(key.to_string()).or_insert((burst, Instant::now()));
    let refill = e.1.elapsed().as_secs_f64() * s.challenge_rate;
    e.0 = (e.0 + refill).min(burst);
    e.1 = Instant::now();
    if e.0 >= 1.0 {
        e.0 -= 1.0;
        true
    } else {
        false
    }
}
