//! The OCSP source against a real responder: `openssl ocsp` (OpenSSL's own responder, from the
//! Debian package the tests install), run by the test with the test PKI's JPKI CA, answering
//! good, revoked, unknown and stale, signed by the CA, by a delegated responder, and wrongly;
//! and a responder that cannot be reached.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::PathBuf;

// The responder harness jpid's own tests use too (standard library only).
#[allow(dead_code)]
#[path = "../../jpid-testkit/src/ocsp.rs"]
mod responder;
use responder::{ca_files, index_line, responder_cert, Responder};

use jpid_verify::x509::ParsedCert;
use jpid_verify::{
    HttpTransport, OcspSource, OcspTransport, RevocationSource, RevocationStatus, RevocationVia,
    UnixTime,
};
use rsa::pkcs8::EncodePrivateKey;

fn now() -> UnixTime {
    UnixTime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("jpid-ocsp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The index line of `cert`.
fn entry(cert: &ParsedCert, revoked: bool) -> String {
    index_line(&cert.serial_hex(), revoked)
}

fn unknown_why(st: &RevocationStatus) -> String {
    match st {
        RevocationStatus::Unknown { why } => why.to_string(),
        other => panic!("expected unknown, got {other:?}"),
    }
}

#[test]
fn ocsp_answers_from_openssl_are_believed_only_when_they_should_be() {
    let dir = tmpdir("responder");
    let pki = jpid_testpki::load_default().unwrap();
    let ca = pki.jpki_auth_ca();
    let key = ca.private_key().to_pkcs8_der().unwrap();
    ca_files(&dir, ca.cert_der(), key.as_bytes());
    let issuer = ParsedCert::parse(ca.cert_der()).unwrap();
    let good = ParsedCert::parse(pki.jpki_holder().auth().cert_der()).unwrap();
    let revoked = ParsedCert::parse(pki.jpki_revoked_holder().auth().cert_der()).unwrap();
    let index = format!("{}{}", entry(&good, false), entry(&revoked, true));
    let delegated = responder_cert(&dir, "responder", Some("extendedKeyUsage = OCSPSigning"));
    let t = now();

    // A delegated responder (issued by the CA for OCSP signing): good and revoked.
    {
        let r = Responder::start(&dir, &index, (&delegated.0, &delegated.1), &["-ndays", "1"]);
        let src = OcspSource::new(&r.url);
        match src.check(&good, &issuer, t) {
            RevocationStatus::Good {
                via: RevocationVia::Ocsp { responder, signer },
                next_update,
                ..
            } => {
                assert_eq!(responder, r.url);
                assert!(signer.contains("jpid TEST responder"), "{signer}");
                assert!(next_update > t);
            }
            other => panic!("good: {other:?}"),
        }
        match src.check(&revoked, &issuer, t) {
            RevocationStatus::Revoked {
                reason,
                via: RevocationVia::Ocsp { .. },
                ..
            } => {
                assert_eq!(reason.as_deref(), Some("keyCompromise"));
            }
            other => panic!("revoked: {other:?}"),
        }
        // Cached until nextUpdate: the answer holds with the responder gone.
        drop(r);
        assert_eq!(src.check(&good, &issuer, t).code(), "good");
        // Past nextUpdate the cache does not answer, and the responder is gone: unknown.
        let later = UnixTime(t.0 + 3 * 86_400);
        assert!(unknown_why(&src.check(&good, &issuer, later)).contains("cannot be reached"));
    }

    // A replayed answer (recorded from the responder, sent back to a later request): its nonce
    // is the earlier request's, so it is refused, though correctly signed and current.
    {
        let r = Responder::start(&dir, &index, (&delegated.0, &delegated.1), &["-ndays", "1"]);
        let recorded = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        struct Recording(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl OcspTransport for Recording {
            fn post(&self, url: &str, request: &[u8]) -> Result<Vec<u8>, String> {
                let answer = HttpTransport::default().post(url, request)?;
                *self.0.lock().unwrap() = answer.clone();
                Ok(answer)
            }
        }
        struct Replaying(Vec<u8>);
        impl OcspTransport for Replaying {
            fn post(&self, _: &str, _: &[u8]) -> Result<Vec<u8>, String> {
                Ok(self.0.clone())
            }
        }
        let src = OcspSource::with_transport(&r.url, Box::new(Recording(recorded.clone())));
        assert_eq!(src.check(&good, &issuer, t).code(), "good");
        let answer = recorded.lock().unwrap().clone();
        let replayed = OcspSource::with_transport(&r.url, Box::new(Replaying(answer)));
        let why = unknown_why(&replayed.check(&good, &issuer, t));
        assert!(why.contains("nonce"), "{why}");
        // Nor does an answer about one certificate speak for another.
        let why = unknown_why(&replayed.check(&revoked, &issuer, t));
        assert!(
            why.contains("nonce") || why.contains("nothing about"),
            "{why}"
        );
    }

    // The CA signing its own answers.
    {
        let r = Responder::start(&dir, &index, ("ca.pem", "ca.key"), &["-ndays", "1"]);
        let st = OcspSource::new(&r.url).check(&good, &issuer, t);
        match st {
            RevocationStatus::Good {
                via: RevocationVia::Ocsp { signer, .. },
                ..
            } => {
                assert_eq!(signer, issuer.subject());
            }
            other => panic!("CA-signed good: {other:?}"),
        }
    }

    // A certificate the responder does not know.
    {
        let r = Responder::start(
            &dir,
            &entry(&revoked, true),
            (&delegated.0, &delegated.1),
            &["-ndays", "1"],
        );
        let why = unknown_why(&OcspSource::new(&r.url).check(&good, &issuer, t));
        assert!(why.contains("does not know"), "{why}");
    }

    // Stale: nextUpdate one minute on; checked for two hours later.
    {
        let r = Responder::start(&dir, &index, (&delegated.0, &delegated.1), &["-nmin", "1"]);
        let later = UnixTime(t.0 + 7200);
        let why = unknown_why(&OcspSource::new(&r.url).check(&good, &issuer, later));
        assert!(why.contains("stale"), "{why}");
    }

    // Wrongly signed: by a key the CA never certified, and by a CA-issued certificate that is
    // not for OCSP signing.
    {
        let rogue = responder_cert(&dir, "rogue", None);
        let r = Responder::start(&dir, &index, (&rogue.0, &rogue.1), &["-ndays", "1"]);
        let why = unknown_why(&OcspSource::new(&r.url).check(&good, &issuer, t));
        assert!(
            why.contains("did not certify") || why.contains("not signed by the CA"),
            "{why}"
        );
        drop(r);
        let plain = responder_cert(&dir, "plain", Some("keyUsage = digitalSignature"));
        let r = Responder::start(&dir, &index, (&plain.0, &plain.1), &["-ndays", "1"]);
        let why = unknown_why(&OcspSource::new(&r.url).check(&good, &issuer, t));
        assert!(why.contains("id-kp-OCSPSigning"), "{why}");
    }

    // Nobody answering: unknown, never good.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let why = unknown_why(
        &OcspSource::new(format!("http://127.0.0.1:{closed}/")).check(&good, &issuer, t),
    );
    assert!(why.contains("cannot be reached"), "{why}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The fuzz seeds (answers of `openssl ocsp` signed by the TEST CA, without a nonce, as a
/// responder with pre-produced answers sends them) are believed: no nonce is accepted (RFC
/// 8954), and so the fuzzer starts where an answer counts.
#[test]
fn a_ca_signed_answer_without_a_nonce_is_believed() {
    struct Fixed(Vec<u8>);
    impl OcspTransport for Fixed {
        fn post(&self, _: &str, _: &[u8]) -> Result<Vec<u8>, String> {
            Ok(self.0.clone())
        }
    }
    let pki = jpid_testpki::load_default().unwrap();
    let issuer = ParsedCert::parse(pki.jpki_auth_ca().cert_der()).unwrap();
    let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/seeds/ocsp/");
    let at = UnixTime::parse("2030-01-01").unwrap();
    for (file, cert, code) in [
        (
            "good-ca-signed-sha256.der",
            pki.jpki_holder().auth().cert_der(),
            "good",
        ),
        (
            "revoked-ca-signed-sha256.der",
            pki.jpki_revoked_holder().auth().cert_der(),
            "revoked",
        ),
    ] {
        let answer = std::fs::read(format!("{seeds}{file}")).unwrap();
        let cert = ParsedCert::parse(cert).unwrap();
        let src = OcspSource::with_transport("http://seed/", Box::new(Fixed(answer.clone())));
        assert_eq!(src.check(&cert, &issuer, at).code(), code, "{file}");
        // Before it was produced (2026-12-05), the answer is not yet current.
        let src = OcspSource::with_transport("http://seed/", Box::new(Fixed(answer)));
        let early = UnixTime::parse("2026-01-01").unwrap();
        assert!(
            unknown_why(&src.check(&cert, &issuer, early)).contains("thisUpdate"),
            "{file}"
        );
    }
}

/// A responder that trickles its answer (a byte a second) is cut off at the exchange's limit,
/// not kept for as long as each read gets a byte; a Content-Length with a sign is refused.
#[test]
fn a_trickling_or_lying_responder_is_cut_off() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    let serve = |answer: &'static [u8], trickle: bool| {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", l.local_addr().unwrap());
        std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf);
            for b in answer {
                if c.write_all(&[*b]).is_err() {
                    return;
                }
                if trickle {
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        });
        url
    };
    let t = HttpTransport {
        timeout: Duration::from_secs(2),
    };
    let url = serve(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789",
        true,
    );
    let started = Instant::now();
    let err = t.post(&url, b"request").unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(err.contains("within"), "{err}");
    let url = serve(b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello", false);
    let err = t.post(&url, b"request").unwrap_err();
    assert!(err.contains("Content-Length"), "{err}");
}
