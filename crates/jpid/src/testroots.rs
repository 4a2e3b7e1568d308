//! The simulator's test roots, handed to the trust store only on request.

use jpid_verify::Purpose;

/// Every test root with its purpose.
pub fn roots() -> Vec<(&'static str, Purpose, &'static [u8])> {
    Vec::new()
}
