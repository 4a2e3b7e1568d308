//! CRLs from outside (`revocation::LoadedCrl::parse`, `CrlStore::add_bytes`) and the answers a
//! store gives with them (`RevocationSource::check` on the TEST JPKI certificates).
//!
//! Input: a limit byte, then the CRL (DER or PEM).
//!
//! Checks, beyond "no panic":
//! - `add_bytes` refuses exactly what exceeds the store's limit (limit byte × 16 bytes, 0 = the
//!   default) with `TooLarge`, and otherwise loads exactly what `LoadedCrl::parse` accepts;
//! - a loaded CRL keeps its name and has `thisUpdate <= nextUpdate`;
//! - `Good` and `Revoked` come only from a CRL current at the time asked;
//! - next to the two genuine TEST CRLs, the fuzzed CRL changes no answer: the TEST holder's
//!   certificates stay good and the revoked holder's stay revoked, at 2026-01-01. Only a CRL
//!   signed by the issuing TEST CA could change them, and the only such CRLs are the genuine
//!   ones, which say the same.
#![no_main]

use jpid_apdu_fuzz::support::{crls, pki, AT};
use jpid_verify::revocation::{CrlError, LoadedCrl, DEFAULT_MAX_CRL_BYTES};
use jpid_verify::x509::ParsedCert;
use jpid_verify::{CrlStore, RevocationSource, RevocationStatus, UnixTime};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn check_status(s: &RevocationStatus, crl: Option<&LoadedCrl>, at: UnixTime) {
    if let RevocationStatus::Good {
        this_update,
        next_update,
        ..
    } = s
    {
        assert!(
            *this_update <= at && at <= *next_update,
            "good from a CRL not current"
        );
    }
    if s.checked() {
        assert!(crl.is_some(), "an answer from an empty store");
    }
}

/// (certificate, its issuing CA, revoked?) for the TEST holders, parsed once.
fn cases() -> &'static [(ParsedCert, ParsedCert, bool)] {
    static CASES: OnceLock<Vec<(ParsedCert, ParsedCert, bool)>> = OnceLock::new();
    CASES.get_or_init(|| {
        let p = pki();
        let parse = |d: &[u8]| ParsedCert::parse(d).expect("TEST certificate parses");
        let (auth_ca, sign_ca) = (
            parse(p.jpki_auth_ca().cert_der()),
            parse(p.jpki_sign_ca().cert_der()),
        );
        let (good, revoked) = (p.jpki_holder(), p.jpki_revoked_holder());
        vec![
            (parse(good.auth().cert_der()), auth_ca.clone(), false),
            (parse(good.sign().cert_der()), sign_ca.clone(), false),
            (parse(revoked.auth().cert_der()), auth_ca, true),
            (parse(revoked.sign().cert_der()), sign_ca, true),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&limit, crl)) = data.split_first() else {
        return;
    };
    let parsed = LoadedCrl::parse("fuzz.crl", crl);
    if let Ok(c) = &parsed {
        assert_eq!(c.file(), "fuzz.crl");
        assert!(
            c.this_update() <= c.next_update(),
            "nextUpdate before thisUpdate"
        );
        let _ = (c.issuer(), c.number(), c.revoked_count());
    }

    let max = if limit == 0 {
        DEFAULT_MAX_CRL_BYTES
    } else {
        u64::from(limit) * 16
    };
    let mut alone = CrlStore::new().with_max_bytes(max);
    match alone.add_bytes("fuzz.crl", crl) {
        Err(CrlError::TooLarge { limit: l, .. }) => {
            assert_eq!(l, max);
            assert!(
                crl.len() as u64 > max,
                "refused as too large below the limit"
            );
        }
        Ok(()) => {
            assert!(crl.len() as u64 <= max && parsed.is_ok());
            assert_eq!(alone.len(), 1);
        }
        Err(_) => assert!(crl.len() as u64 <= max && parsed.is_err()),
    }

    let cases = cases();
    // The fuzzed CRL alone: any answer must be from a current CRL.
    for (cert, issuer, _) in cases {
        for at in [AT, UnixTime(u64::from(limit) << 26)] {
            check_status(&alone.check(cert, issuer, at), alone.crls().first(), at);
        }
    }
    // Next to the genuine CRLs it changes nothing.
    let mut store = crls().clone();
    let _ = store.add_bytes("fuzz.crl", crl);
    for (cert, issuer, is_revoked) in cases {
        let s = store.check(cert, issuer, AT);
        if *is_revoked {
            assert!(
                matches!(s, RevocationStatus::Revoked { .. }),
                "a revoked certificate is {s:?} next to a fuzzed CRL"
            );
        } else {
            assert!(
                matches!(s, RevocationStatus::Good { .. }),
                "a good certificate is {s:?} next to a fuzzed CRL"
            );
        }
    }
});
