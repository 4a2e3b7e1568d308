//! The simulator's public TEST roots and TEST J-LIS CVC issuer keys, for trust stores that ask
//! for them by name (`jpid --trust test`, a `sim:` reader, the benchmarks). Their private keys
//! are in this repository: nothing they vouch for says anything about a real card.

use jpid_verify::cvc::CvcIssuerKey;
use jpid_verify::{Purpose, TrustStore};

use crate::kinds::test_pki;

/// Every test root with its purpose; empty if the test PKI cannot be loaded (then nothing
/// verifies under test trust, which is the safe failure).
pub fn roots() -> Vec<(&'static str, Purpose, &'static [u8])> {
    match test_pki() {
        Ok(pki) => vec![
            (
                "ZairyuCard CA",
                Purpose::Residence,
                pki.zairyu_ca().cert_der(),
            ),
            (
                "ZairyuCard CA2",
                Purpose::ResidenceGen2,
                pki.zairyu2_ca().cert_der(),
            ),
            (
                "JPKI user authentication root",
                Purpose::JpkiAuth,
                pki.jpki_auth_ca().cert_der(),
            ),
            (
                "JPKI digital signature root",
                Purpose::JpkiSign,
                pki.jpki_sign_ca().cert_der(),
            ),
        ],
        Err(e) => {
            log::error!("the test PKI cannot be loaded: {e}");
            Vec::new()
        }
    }
}

/// The simulator's TEST J-LIS CVC issuer keys (ids 9000033, 9000023, 9000020).
pub fn cvc_keys() -> Vec<CvcIssuerKey> {
    match test_pki() {
        Ok(pki) => pki
            .cvc_keys()
            .iter()
            .map(|k| CvcIssuerKey {
                id: k.key_id().to_string(),
                key_id: CvcIssuerKey::test_key_id(k.key_id()),
                modulus: k.modulus(),
                exponent: k.public_exponent(),
                test: true,
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// `base` with the test roots and test CVC keys added (its mode becomes test trust).
pub fn test_store(base: TrustStore) -> TrustStore {
    base.with_test_anchors(roots())
        .with_test_cvc_keys(cvc_keys())
}
