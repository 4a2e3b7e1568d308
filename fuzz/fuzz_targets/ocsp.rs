//! OCSP answers (RFC 6960) as a responder would send them: the bytes go to
//! `OcspSource::check` through a transport that returns them, about the TEST holder's
//! authentication certificate, issued by the TEST JPKI authentication CA.
//!
//! Seeds (`seeds/ocsp/`): answers of `openssl ocsp` signed by the TEST CA, without a nonce (the
//! source sends a fresh random nonce each time, which no stored answer can carry), with SHA-256
//! CertIDs, current from 2026-12-05 for ten years: the fuzzer starts on the path where an answer
//! is believed.
//!
//! Checks, beyond "no panic" and bounded allocation: an answer that is believed (good or
//! revoked) is an OCSP answer naming its responder, signed by the CA (the only key that signed
//! the seeds; the fuzzer cannot make another signature verify), and current at the time
//! checked.
#![no_main]

use std::sync::OnceLock;

use jpid_apdu_fuzz::support::pki;
use jpid_verify::x509::ParsedCert;
use jpid_verify::{
    OcspSource, OcspTransport, RevocationSource, RevocationStatus, RevocationVia, UnixTime,
};
use libfuzzer_sys::fuzz_target;

/// 2030-01-01: inside the seeds' thisUpdate..nextUpdate.
const AT: UnixTime = UnixTime(1_893_456_000);

struct Fixed(Vec<u8>);

impl OcspTransport for Fixed {
    fn post(&self, _: &str, _: &[u8]) -> Result<Vec<u8>, String> {
        Ok(self.0.clone())
    }
}

fn certs() -> &'static (ParsedCert, ParsedCert) {
    static C: OnceLock<(ParsedCert, ParsedCert)> = OnceLock::new();
    C.get_or_init(|| {
        (
            ParsedCert::parse(pki().jpki_holder().auth().cert_der()).expect("holder"),
            ParsedCert::parse(pki().jpki_auth_ca().cert_der()).expect("CA"),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let (cert, issuer) = certs();
    let src = OcspSource::with_transport("http://fuzz.invalid/", Box::new(Fixed(data.to_vec())));
    let st = src.check(cert, issuer, AT);
    let via = match &st {
        RevocationStatus::Good {
            via,
            this_update,
            next_update,
            ..
        } => {
            assert!(
                this_update.0 <= AT.0 + 300 && AT <= *next_update,
                "not current: {st:?}"
            );
            via
        }
        RevocationStatus::Revoked { via, .. } => via,
        _ => return,
    };
    match via {
        RevocationVia::Ocsp { responder, signer } => {
            assert_eq!(responder, "http://fuzz.invalid/");
            assert_eq!(signer, &issuer.subject(), "believed, signed by {signer}");
        }
        other => panic!("an OCSP answer reported as {other:?}"),
    }
});
