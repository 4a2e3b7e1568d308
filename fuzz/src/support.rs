//! Shared fixtures for the targets of the verification side (`jpid-verify`, `jpid-card`'s
//! secure messaging, `jpid-server`): the TEST trust store, the TEST CRLs, a fixed time, and the
//! way one fuzz input is cut into several files.
//!
//! Everything comes from the deterministic TEST PKI (`crates/jpid-testpki/fixtures`): synthetic
//! keys, no real card data.

use std::sync::OnceLock;

use jpid_testpki::TestPki;
use jpid_verify::cvc::CvcIssuerKey;
use jpid_verify::{CrlStore, Purpose, TrustStore, UnixTime};

/// The time every target verifies at: 2026-01-01T00:00:00Z, inside the validity of every TEST
/// certificate and CRL (`thisUpdate` 2025-01-01, `nextUpdate` 2029-01-01).
pub const AT: UnixTime = UnixTime(1_767_225_600);

/// The TEST PKI, parsed once.
pub fn pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| jpid_testpki::load_default().expect("the committed TEST PKI loads"))
}

/// The TEST CVC issuer keys as the verifier sees them.
pub fn cvc_keys() -> Vec<CvcIssuerKey> {
    pki()
        .cvc_keys()
        .iter()
        .map(|k| CvcIssuerKey {
            id: k.key_id().to_string(),
            key_id: CvcIssuerKey::test_key_id(k.key_id()),
            modulus: k.modulus(),
            exponent: k.public_exponent(),
            test: true,
        })
        .collect()
}

/// Production trust plus every TEST root and CVC issuer key (what `--trust test` gives).
pub fn trust() -> &'static TrustStore {
    static TRUST: OnceLock<TrustStore> = OnceLock::new();
    TRUST.get_or_init(|| {
        let p = pki();
        TrustStore::production()
            .with_test_anchors([
                (
                    "ZairyuCard CA",
                    Purpose::Residence,
                    p.zairyu_ca().cert_der(),
                ),
                (
                    "ZairyuCard CA2",
                    Purpose::ResidenceGen2,
                    p.zairyu2_ca().cert_der(),
                ),
                ("JPKI auth", Purpose::JpkiAuth, p.jpki_auth_ca().cert_der()),
                ("JPKI sign", Purpose::JpkiSign, p.jpki_sign_ca().cert_der()),
            ])
            .with_test_cvc_keys(cvc_keys())
    })
}

/// A store holding the two TEST CRLs.
pub fn crls() -> &'static CrlStore {
    static CRLS: OnceLock<CrlStore> = OnceLock::new();
    CRLS.get_or_init(|| {
        let mut s = CrlStore::new();
        s.add_bytes("jpki-auth-crl.der", pki().jpki_auth_crl())
            .expect("TEST auth CRL loads");
        s.add_bytes("jpki-sign-crl.der", pki().jpki_sign_crl())
            .expect("TEST sign CRL loads");
        s
    })
}

/// Cuts `data` into `n` parts: each of the first `n - 1` is a two-byte big-endian length and
/// that many bytes (cut short at the end of the input), the last is whatever remains. Missing
/// parts are empty. `seeds/make_verify_seeds.py` writes the same format.
pub fn parts(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(n);
    let mut rest = data;
    for _ in 1..n {
        let (len, tail) = match rest {
            [a, b, tail @ ..] => (usize::from(u16::from_be_bytes([*a, *b])), tail),
            _ => (0, &[][..]),
        };
        let (part, tail) = tail.split_at(len.min(tail.len()));
        out.push(part);
        rest = tail;
    }
    out.push(rest);
    out
}

/// `Some(part)` unless the flag bit `bit` of `flags` is clear.
pub fn opt(flags: u8, bit: u8, part: &[u8]) -> Option<Vec<u8>> {
    (flags & (1 << bit) != 0).then(|| part.to_vec())
}
