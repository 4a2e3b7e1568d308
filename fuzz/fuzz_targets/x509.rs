//! X.509 certificates from outside: `x509::ParsedCert::parse` and everything read from a parsed
//! certificate, the JPKI chain check `jpki::verify_certificate` (both purposes, revocation not
//! checked and required against the TEST CRLs), and `TrustStore::add_bytes` (anchor files, DER
//! or PEM).
//!
//! Input: the certificate (or anchor file) bytes.
//!
//! Checks, beyond "no panic":
//! - a parsed certificate's `der` is the input up to trailing `00` bytes, and `tbs` lies inside
//!   it; `spki_der` parses as a DER object of its own;
//! - `valid_at` agrees with `validity()`;
//! - a valid JPKI verdict has no reasons, is not a trust anchor itself, is valid at the time,
//!   chains for the purpose asked, and under a required revocation check was found good;
//! - an anchor added for a residence purpose matches a published fingerprint pin.
#![no_main]

use jpid_apdu::tlv;
use jpid_apdu_fuzz::support::{crls, pki, trust, AT};
use jpid_verify::jpki::{holder_attributes, verify_certificate};
use jpid_verify::trust::RESIDENCE_PINS;
use jpid_verify::x509::ParsedCert;
use jpid_verify::{Purpose, RevocationPolicy, RevocationStatus, TrustStore};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = ParsedCert::parse(data) {
        assert!(data.starts_with(&c.der), "der is not the input's start");
        assert!(
            data[c.der.len()..].iter().all(|b| *b == 0),
            "accepted trailing data"
        );
        let tbs_at = c
            .der
            .windows(c.tbs.len().max(1))
            .position(|w| w == c.tbs.as_slice());
        assert!(tbs_at.is_some(), "tbs is not inside der");
        if let Ok(spki) = c.spki_der() {
            let (obj, rest) = tlv::parse_one(&spki).expect("spki_der is one object");
            assert!(rest.is_empty() && obj.raw() == spki.as_slice());
        }
        let _ = (
            c.subject(),
            c.issuer(),
            c.serial_hex(),
            holder_attributes(&c),
        );
        let (from, to) = c.validity();
        assert_eq!(
            c.valid_at(AT),
            from <= AT && AT <= to,
            "valid_at disagrees with validity"
        );
        let p = pki();
        for ca in [p.jpki_auth_ca(), p.jpki_sign_ca(), p.zairyu_ca()] {
            let ca = ParsedCert::parse(ca.cert_der()).expect("TEST CA parses");
            let _ = c.issued_by_name(&ca);
            let _ = c.verify_signed_by(&ca);
        }

        for purpose in [Purpose::JpkiAuth, Purpose::JpkiSign] {
            for required in [false, true] {
                let policy = if required {
                    RevocationPolicy::Required(crls())
                } else {
                    RevocationPolicy::NotChecked
                };
                let Ok(v) = verify_certificate(data, purpose, trust(), AT, policy) else {
                    panic!("verify_certificate refused what ParsedCert::parse took");
                };
                if let Some(proof) = v.proof() {
                    assert!(v.reasons.is_empty(), "valid with reasons {:?}", v.reasons);
                    assert_eq!(proof.get().purpose, purpose);
                    assert!(c.valid_at(AT), "valid outside its validity");
                    assert!(
                        !trust()
                            .anchors()
                            .iter()
                            .any(|a| a.der() == c.der.as_slice()),
                        "a trust anchor accepted as an end entity"
                    );
                    if required {
                        assert!(
                            matches!(proof.get().revocation, RevocationStatus::Good { .. }),
                            "valid under a required check without a good status"
                        );
                    }
                }
            }
        }
    }

    let mut store = TrustStore::empty();
    if let Ok(n) = store.add_bytes("fuzz.pem", data) {
        assert!(n >= 1 && store.anchors().len() <= n);
        for a in store.anchors() {
            if matches!(a.purpose(), Purpose::Residence | Purpose::ResidenceGen2) {
                assert!(
                    RESIDENCE_PINS.iter().any(|p| p.matches(a.sha256())),
                    "a residence anchor without a pin"
                );
            }
        }
    }
});
