//! Seed → per-object randomness.
//!
//! Every key and every serial number has its own label. Its RNG is ChaCha20 seeded with
//!
//! ```text
//! SHA-256( "jpid-testpki/v1" 00 ‖ u64be(len(seed)) ‖ seed ‖ label )
//! ```
//!
//! so adding, removing or reordering keys never changes the others, and the derivation does
//! not depend on the platform's pointer width.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::{Digest, Sha256};
use x509_cert::serial_number::SerialNumber;

use crate::PkiError;

/// Domain separator; bump it only together with a deliberate regeneration of every fixture.
const DOMAIN: &[u8] = b"jpid-testpki/v1\0";

/// The 32-byte ChaCha20 seed for `label`.
fn derive_seed(seed: &[u8], label: &str) -> Result<[u8; 32], PkiError> {
    let len = u64::try_from(seed.len()).map_err(|_| PkiError::SeedTooLong)?;
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(len.to_be_bytes());
    h.update(seed);
    h.update(label.as_bytes());
    Ok(h.finalize().into())
}

/// The deterministic RNG for the object named `label` under `seed`.
///
/// Exposed so that tests (and the simulator, should it ever need more material) derive
/// randomness the same way as the generator does.
pub fn derive_rng(seed: &[u8], label: &str) -> Result<ChaCha20Rng, PkiError> {
    Ok(ChaCha20Rng::from_seed(derive_seed(seed, label)?))
}

/// A positive 64-bit certificate serial number derived from `seed` and `label`.
///
/// The top bit is cleared (so the INTEGER stays positive without a leading zero) and the next
/// bit set (so the encoding is always exactly 8 bytes).
pub(crate) fn derive_serial(seed: &[u8], label: &str) -> Result<SerialNumber, PkiError> {
    let full = derive_seed(seed, &format!("serial:{label}"))?;
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(full.get(..8).unwrap_or(&[0x40; 8]));
    bytes[0] = (bytes[0] & 0x7F) | 0x40;
    SerialNumber::new(&bytes).map_err(PkiError::der(format!("serial number of {label}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::RngCore;

    #[test]
    fn labels_are_independent_and_stable() {
        let a1 = derive_rng(b"s", "a").unwrap().next_u64();
        let a2 = derive_rng(b"s", "a").unwrap().next_u64();
        let b = derive_rng(b"s", "b").unwrap().next_u64();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        // Length prefix: ("s","ab") and ("sa","b") must differ.
        assert_ne!(
            derive_seed(b"s", "ab").unwrap(),
            derive_seed(b"sa", "b").unwrap()
        );
    }

    #[test]
    fn serials_are_positive_eight_bytes() {
        for label in ["x", "y", "zairyu/ca"] {
            let s = derive_serial(b"seed", label).unwrap();
            assert_eq!(s.as_bytes().len(), 8);
            assert_eq!(s.as_bytes()[0] & 0xC0, 0x40);
        }
    }
}
