//! The simulator's test roots, handed to the trust store only on request (`--trust test`, or a
//! `sim:` reader).

use jpid_verify::Purpose;

/// Every test root with its purpose; empty if the test PKI cannot be loaded (then nothing
/// verifies under test trust, which is the safe failure).
pub fn roots() -> Vec<(&'static str, Purpose, &'static [u8])> {
    match jpid_sim::kinds::test_pki() {
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
pub fn cvc_keys() -> Vec<jpid_verify::mynumber::CvcIssuerKey> {
    match jpid_sim::kinds::test_pki() {
        Ok(pki) => pki
            .cvc_keys()
            .iter()
            .map(|k| jpid_verify::mynumber::CvcIssuerKey {
                id: k.key_id().to_string(),
                key_id: jpid_verify::mynumber::CvcIssuerKey::test_key_id(k.key_id()),
                modulus: k.modulus(),
                exponent: k.public_exponent(),
                test: true,
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}
