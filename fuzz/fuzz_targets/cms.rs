//! Signatures made elsewhere: detached CMS SignedData (`signature::verify_cms`) and bare
//! PKCS#1 v1.5 signatures with their certificate (`signature::verify_raw`), under the TEST trust
//! store, with revocation not checked and required against the TEST CRLs.
//!
//! Input: a mode byte, then
//! - bit 0 clear: the `.p7s` bytes;
//! - bit 0 set: two parts (`support::parts`), the signature and the certificate DER.
//!
//! Bit 1 picks the revocation policy (set: `Required` with the TEST CRLs). The content's
//! SHA-256 is fixed: that of `CONTENT`, what the seeds were signed over.
//!
//! Checks, beyond "no panic":
//! - valid only with `signature_ok`, no reasons, a JPKI purpose and a valid certificate verdict
//!   whose purpose is the same; under `Required` only with a good revocation status;
//! - a signature valid for the content is not valid for any other digest;
//! - a certificate that chains to the authentication root carries no holder attributes.
#![no_main]

use jpid_apdu_fuzz::support::{crls, parts, trust, AT};
use jpid_verify::signature::{verify_cms, verify_raw};
use jpid_verify::{Purpose, RevocationPolicy, RevocationStatus};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

/// What the seed signatures sign (see `seeds/make_verify_seeds.py`).
const CONTENT: &[u8] = b"jpid fuzz seed content\n";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let digest: [u8; 32] = Sha256::digest(CONTENT).into();
    let required = mode & 2 != 0;
    let policy = || {
        if required {
            RevocationPolicy::Required(crls())
        } else {
            RevocationPolicy::NotChecked
        }
    };
    let raw = mode & 1 != 0;
    let run = |d: &[u8; 32]| {
        if raw {
            let p = parts(rest, 2);
            verify_raw(d, p[0], p[1], trust(), AT, policy())
        } else {
            verify_cms(d, rest, trust(), AT, policy())
        }
    };
    let Ok(v) = run(&digest) else {
        return;
    };
    if v.purpose == Some(Purpose::JpkiAuth) {
        assert!(
            v.holder.is_empty(),
            "holder attributes from an authentication certificate: {:?}",
            v.reasons
        );
    }
    if let Some(proof) = v.proof() {
        assert!(
            v.signature_ok && v.reasons.is_empty(),
            "valid with {:?}",
            v.reasons
        );
        assert!(v.certificate.valid(), "valid with an invalid certificate");
        assert_eq!(v.purpose, Some(proof.get().purpose));
        assert_eq!(
            v.certificate.proof().map(|p| p.get().purpose),
            Some(proof.get().purpose)
        );
        if required {
            assert!(matches!(
                proof.get().revocation,
                RevocationStatus::Good { .. }
            ));
        }
        let mut other = digest;
        other[usize::from(mode) % 32] ^= 0x01;
        assert!(
            !run(&other).is_ok_and(|w| w.valid() || w.signature_ok),
            "the same signature is valid for another digest"
        );
    }
});
