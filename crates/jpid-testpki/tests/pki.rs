//! Tests of the TEST PKI: fixture stability, chains, extensions, SAN round trip and OpenSSL's view.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use der::asn1::{AnyRef, Utf8StringRef};
use der::{Decode, Encode, Reader, SliceReader, Tag, Tagged};
use jpid_testpki::{
    derive_rng, fixtures, load_default, BirthDate, CvcIssuer, Gender, JpkiHolder, TestPki,
    DEFAULT_SEED, ECDSA_WITH_SHA256, SHA256_WITH_RSA,
};
use p384::ecdsa::signature::hazmat::PrehashVerifier;
use rsa::pkcs8::{DecodePublicKey, EncodePrivateKey};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages, SubjectAltName};
use x509_cert::Certificate;

/// One generation per test binary: RSA key generation dominates the run time.
fn generated() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| TestPki::generate(DEFAULT_SEED).unwrap())
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every certificate as (fixture stem, issuer's fixture stem, issuer DER, certificate DER);
/// roots are paired with themselves.
fn chains(pki: &TestPki) -> Vec<(&'static str, &'static str, Vec<u8>, Vec<u8>)> {
    let h = pki.jpki_holder();
    let zc = pki.zairyu_ca().cert_der();
    let z2 = pki.zairyu2_ca().cert_der();
    let ja = pki.jpki_auth_ca().cert_der();
    let js = pki.jpki_sign_ca().cert_der();
    [
        ("zairyu-ca", "zairyu-ca", zc, zc),
        (
            "zairyu-signer",
            "zairyu-ca",
            zc,
            pki.zairyu_signer().cert_der(),
        ),
        ("zairyu2-ca", "zairyu2-ca", z2, z2),
        (
            "zairyu2-signer",
            "zairyu2-ca",
            z2,
            pki.zairyu2_signer().cert_der(),
        ),
        ("jpki-auth-ca", "jpki-auth-ca", ja, ja),
        ("jpki-sign-ca", "jpki-sign-ca", js, js),
        ("jpki-holder-auth", "jpki-auth-ca", ja, h.auth().cert_der()),
        ("jpki-holder-sign", "jpki-sign-ca", js, h.sign().cert_der()),
    ]
    .into_iter()
    .map(|(name, root, issuer, cert)| (name, root, issuer.to_vec(), cert.to_vec()))
    .collect()
}

/// The TBSCertificate exactly as encoded in `der` (not re-encoded from the parsed structure).
fn raw_tbs(der: &[u8]) -> Vec<u8> {
    let outer = AnyRef::from_der(der).unwrap();
    assert_eq!(outer.tag(), Tag::Sequence);
    let mut reader = SliceReader::new(outer.value()).unwrap();
    let tbs: AnyRef<'_> = reader.decode().unwrap();
    let bytes = tbs.to_der().unwrap();
    assert!(der.windows(bytes.len()).any(|w| w == bytes.as_slice()));
    bytes
}

/// Checks `cert`'s signature with `issuer`'s public key, directly with rsa / p384.
fn verify_signature(issuer_der: &[u8], cert_der: &[u8]) -> bool {
    let issuer = Certificate::from_der(issuer_der).unwrap();
    let cert = Certificate::from_der(cert_der).unwrap();
    let spki = issuer
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    let digest = Sha256::digest(raw_tbs(cert_der));
    let sig = cert.signature.as_bytes().unwrap();
    assert_eq!(cert.signature_algorithm, cert.tbs_certificate.signature);
    match cert.signature_algorithm.oid {
        oid if oid == SHA256_WITH_RSA => {
            let key = RsaPublicKey::from_public_key_der(&spki).unwrap();
            key.verify(Pkcs1v15Sign::new::<Sha256>(), &digest, sig)
                .is_ok()
        }
        oid if oid == ECDSA_WITH_SHA256 => {
            let key = p384::ecdsa::VerifyingKey::from_public_key_der(&spki).unwrap();
            let sig = p384::ecdsa::Signature::from_der(sig).unwrap();
            key.verify_prehash(&digest, &sig).is_ok()
        }
        other => panic!("unexpected signature algorithm {other}"),
    }
}

fn extension<'a, T: Decode<'a> + der::oid::AssociatedOid>(
    cert: &'a Certificate,
) -> Option<(bool, T)> {
    cert.tbs_certificate.get::<T>().unwrap()
}

#[test]
fn fixtures_regenerate_byte_identical() {
    let files = generated().fixture_files().unwrap();
    let generated_names: BTreeSet<&str> = files.iter().map(|f| f.name).collect();
    assert_eq!(
        generated_names.len(),
        files.len(),
        "duplicate fixture names"
    );

    let on_disk: BTreeSet<String> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let on_disk: BTreeSet<&str> = on_disk.iter().map(String::as_str).collect();
    assert_eq!(
        generated_names,
        on_disk,
        "fixture file set differs; run `{}`",
        fixtures::REGENERATE_COMMAND
    );

    let mut differ = Vec::new();
    for f in &files {
        let committed = std::fs::read(fixture_dir().join(f.name)).unwrap();
        if committed != f.bytes {
            differ.push(f.name);
        }
    }
    assert!(
        differ.is_empty(),
        "regenerating from DEFAULT_SEED changed {differ:?}; if intended, run `{}` and commit",
        fixtures::REGENERATE_COMMAND
    );

    // The embedded constants are the files on disk, and cover everything but the README.
    let embedded: BTreeSet<&str> = fixtures::ALL.iter().map(|(n, _)| *n).collect();
    let mut expected = on_disk.clone();
    expected.remove(fixtures::README_NAME);
    assert_eq!(embedded, expected);
    for (name, bytes) in fixtures::ALL {
        assert_eq!(
            *bytes,
            std::fs::read(fixture_dir().join(name)).unwrap().as_slice(),
            "{name}"
        );
    }
}

#[test]
fn load_default_equals_generate() {
    let loaded = load_default().unwrap();
    let fresh = generated();
    for ((name, _, li, lc), (_, _, gi, gc)) in chains(&loaded).into_iter().zip(chains(fresh)) {
        assert_eq!(li, gi, "{name} issuer");
        assert_eq!(lc, gc, "{name}");
    }
    let pk8 = |k: &RsaPrivateKey| k.to_pkcs8_der().unwrap().as_bytes().to_vec();
    assert_eq!(
        pk8(loaded.zairyu_signer().private_key()),
        pk8(fresh.zairyu_signer().private_key())
    );
    assert_eq!(
        pk8(loaded.jpki_holder().sign().private_key()),
        pk8(fresh.jpki_holder().sign().private_key())
    );
    assert_eq!(
        loaded.zairyu2_signer().private_key(),
        fresh.zairyu2_signer().private_key()
    );
    for issuer in CvcIssuer::ALL {
        assert_eq!(
            loaded.cvc_key(issuer).modulus(),
            fresh.cvc_key(issuer).modulus()
        );
    }
    assert_eq!(loaded.jpki_holder().holder(), &JpkiHolder::default());
    assert_eq!(loaded.seed(), DEFAULT_SEED);
}

#[test]
fn issuing_after_load_matches_fixtures() {
    // The simulator can issue further holders from the loaded fixtures; for the default holder
    // that must reproduce the committed certificates exactly.
    let loaded = load_default().unwrap();
    let again = loaded.issue_jpki_holder(&JpkiHolder::default()).unwrap();
    assert_eq!(again.auth().cert_der(), fixtures::JPKI_HOLDER_AUTH_DER);
    assert_eq!(again.sign().cert_der(), fixtures::JPKI_HOLDER_SIGN_DER);
}

#[test]
fn rsa_keygen_is_deterministic_for_a_seeded_rng() {
    let a = RsaPrivateKey::new(&mut derive_rng(b"determinism", "k").unwrap(), 2048).unwrap();
    let b = RsaPrivateKey::new(&mut derive_rng(b"determinism", "k").unwrap(), 2048).unwrap();
    let c = RsaPrivateKey::new(&mut derive_rng(b"determinism", "other").unwrap(), 2048).unwrap();
    assert_eq!(a.n(), b.n());
    assert_eq!(a.d(), b.d());
    assert_eq!(a.primes(), b.primes());
    assert_ne!(a.n(), c.n());
    assert_eq!(a.n().bits(), 2048);
}

#[test]
fn every_certificate_verifies_under_its_issuer() {
    for (name, _, issuer, cert) in chains(generated()) {
        assert!(
            verify_signature(&issuer, &cert),
            "{name} does not verify under its issuer"
        );
    }
    // Negative checks: wrong root, and a flipped signature bit.
    let pki = generated();
    assert!(!verify_signature(
        pki.jpki_sign_ca().cert_der(),
        pki.jpki_holder().auth().cert_der()
    ));
    let mut tampered = pki.zairyu_signer().cert_der().to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert!(!verify_signature(pki.zairyu_ca().cert_der(), &tampered));
}

#[test]
fn signature_algorithm_identifiers() {
    for (name, _, _, der) in chains(generated()) {
        let cert = Certificate::from_der(&der).unwrap();
        let alg = &cert.signature_algorithm;
        if name.starts_with("zairyu2") {
            assert_eq!(alg.oid, ECDSA_WITH_SHA256, "{name}");
            // RFC 5758 §3.2: parameters absent, not NULL.
            assert!(alg.parameters.is_none(), "{name}");
            let absent = hex_bytes("300a06082a8648ce3d040302");
            let null = hex_bytes("300c06082a8648ce3d0403020500");
            assert!(
                der.windows(absent.len()).any(|w| w == absent.as_slice()),
                "{name}"
            );
            assert!(
                !der.windows(null.len()).any(|w| w == null.as_slice()),
                "{name}"
            );
            let spki = &cert.tbs_certificate.subject_public_key_info;
            assert_eq!(spki.algorithm.oid.to_string(), "1.2.840.10045.2.1");
        } else {
            assert_eq!(alg.oid, SHA256_WITH_RSA, "{name}");
            assert_eq!(
                alg.parameters.as_ref().map(|p| p.tag()),
                Some(Tag::Null),
                "{name}"
            );
        }
    }
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn ca_and_end_entity_extensions() {
    let pki = generated();
    for der in [
        pki.zairyu_ca().cert_der(),
        pki.zairyu2_ca().cert_der(),
        pki.jpki_auth_ca().cert_der(),
        pki.jpki_sign_ca().cert_der(),
    ] {
        let cert = Certificate::from_der(der).unwrap();
        let tbs = &cert.tbs_certificate;
        assert_eq!(tbs.issuer, tbs.subject, "roots are self-issued");
        let (critical, bc) = extension::<BasicConstraints>(&cert).unwrap();
        assert!(critical && bc.ca);
        assert_eq!(bc.path_len_constraint, Some(0));
        let (critical, ku) = extension::<KeyUsage>(&cert).unwrap();
        assert!(critical);
        assert_eq!(ku.0, KeyUsages::KeyCertSign | KeyUsages::CRLSign);
    }
    let h = pki.jpki_holder();
    for (der, usage) in [
        (
            pki.zairyu_signer().cert_der(),
            KeyUsages::DigitalSignature.into(),
        ),
        (
            pki.zairyu2_signer().cert_der(),
            KeyUsages::DigitalSignature.into(),
        ),
        (h.auth().cert_der(), KeyUsages::DigitalSignature.into()),
        (
            h.sign().cert_der(),
            KeyUsages::DigitalSignature | KeyUsages::NonRepudiation,
        ),
    ] {
        let cert = Certificate::from_der(der).unwrap();
        let (critical, ku) = extension::<KeyUsage>(&cert).unwrap();
        assert!(critical);
        assert_eq!(ku.0, usage);
        assert!(extension::<BasicConstraints>(&cert).is_none_or(|(_, bc)| !bc.ca));
    }
}

#[test]
fn every_subject_says_test_and_dates_are_fixed() {
    for (name, _, _, der) in chains(generated()) {
        let cert = Certificate::from_der(&der).unwrap();
        let subject = cert.tbs_certificate.subject.to_string();
        assert!(subject.contains("TEST"), "{name}: {subject}");
        let nb = cert
            .tbs_certificate
            .validity
            .not_before
            .to_unix_duration()
            .as_secs();
        assert_eq!(nb, 1_704_067_200, "{name}: not before 2024-01-01T00:00:00Z");
    }
    let auth = Certificate::from_der(generated().jpki_holder().auth().cert_der()).unwrap();
    assert_eq!(
        auth.tbs_certificate.subject.to_string(),
        "CN=JPIDTEST0000000000000001,C=JP"
    );
    assert!(
        extension::<SubjectAltName>(&auth).is_none(),
        "no personal data in the auth cert"
    );
}

/// The SubjectAltName otherNames as (OID, text), checking the `[0] EXPLICIT UTF8String` form.
fn san_other_names(der: &[u8]) -> Vec<(String, String)> {
    let cert = Certificate::from_der(der).unwrap();
    let (critical, san) = extension::<SubjectAltName>(&cert).unwrap();
    assert!(!critical);
    san.0
        .iter()
        .map(|gn| match gn {
            GeneralName::OtherName(on) => {
                assert_eq!(on.value.tag(), Tag::Utf8String);
                let text = Utf8StringRef::try_from(&on.value)
                    .unwrap()
                    .as_str()
                    .to_owned();
                (on.type_id.to_string(), text)
            }
            other => panic!("unexpected general name {other:?}"),
        })
        .collect()
}

fn expected_san(values: [&str; 6]) -> Vec<(String, String)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("1.2.392.200149.8.5.5.{}", i + 1), (*v).to_owned()))
        .collect()
}

#[test]
fn signature_cert_san_parses_back_to_the_holder() {
    let got = san_other_names(generated().jpki_holder().sign().cert_der());
    let want = expected_san([
        "試験\u{3000}花子",
        "試験\u{3000}花子",
        "2",
        "419900101",
        "東京都千代田区霞が関１－１－１",
        "東京都千代田区霞が関１－１－１",
    ]);
    assert_eq!(got, want);

    // Raw form of the first entry: OID 1.2.392.200149.8.5.5.1, then [0] (A0 len) UTF8String (0C).
    let der = generated().jpki_holder().sign().cert_der();
    let oid_then_explicit = hex_bytes("060a2a83088c9b5508050501a0");
    let at = der
        .windows(oid_then_explicit.len())
        .position(|w| w == oid_then_explicit.as_slice())
        .expect("otherName for 1.2.392.200149.8.5.5.1");
    assert_eq!(
        der[at + oid_then_explicit.len() + 1],
        0x0c,
        "explicit [0] must wrap a UTF8String"
    );
}

fn second_holder() -> JpkiHolder {
    JpkiHolder {
        cert_id: "JPIDTEST-SMARTPHONE-0002".into(),
        // 髙 (hashigo-daka) stands for a character that needs a substitute.
        name: "髙試\u{3000}太郎".into(),
        name_substitute: "高試\u{3000}太郎".into(),
        gender: Gender::Other,
        date_of_birth: BirthDate::new(1985, 6, 15).unwrap(),
        address: "東京都千代田区永田町１－７－１".into(),
        address_substitute: "東京都千代田区永田町１－７－１".into(),
    }
}

#[test]
fn another_holder_gets_own_keys_and_certificates() {
    let pki = generated();
    let holder = second_holder();
    let creds = pki.issue_jpki_holder(&holder).unwrap();
    assert_eq!(creds.holder(), &holder);
    assert!(verify_signature(
        pki.jpki_auth_ca().cert_der(),
        creds.auth().cert_der()
    ));
    assert!(verify_signature(
        pki.jpki_sign_ca().cert_der(),
        creds.sign().cert_der()
    ));
    assert_ne!(
        creds.auth().public_key(),
        pki.jpki_holder().auth().public_key()
    );
    assert_ne!(
        creds.sign().public_key(),
        pki.jpki_holder().sign().public_key()
    );
    assert_ne!(creds.auth().public_key(), creds.sign().public_key());
    assert_eq!(
        san_other_names(creds.sign().cert_der()),
        expected_san([
            "髙試\u{3000}太郎",
            "高試\u{3000}太郎",
            "3",
            "319850615",
            "東京都千代田区永田町１－７－１",
            "東京都千代田区永田町１－７－１",
        ])
    );
    // Issuing is deterministic and leaves the default holder untouched.
    let again = pki.issue_jpki_holder(&holder).unwrap();
    assert_eq!(again.sign().cert_der(), creds.sign().cert_der());
    assert_eq!(
        pki.jpki_holder().sign().cert_der(),
        fixtures::JPKI_HOLDER_SIGN_DER
    );
}

#[test]
fn holder_without_test_id_is_rejected() {
    let mut holder = second_holder();
    holder.cert_id = "201510000000000000001".into();
    assert!(generated().issue_jpki_holder(&holder).is_err());
}

#[test]
fn card_certificates_fit_their_card_files() {
    let pki = load_default().unwrap();
    // residence-card.md §3: DB is zero-padded to 1200 bytes (1st gen), DD to 602 (2nd gen).
    assert!(pki.zairyu_signer().cert_der().len() <= 1200);
    assert!(pki.zairyu2_signer().cert_der().len() <= 602);
}

#[test]
fn signing_keys_sign_what_the_simulator_needs() {
    let pki = load_default().unwrap();
    // 1st gen check code: RSASSA-PKCS1-v1_5 / SHA-256 over 7000 + 3000 bytes (residence-card.md §4).
    let data = vec![0x5A; 10_000];
    let digest = Sha256::digest(&data);
    let code = pki
        .zairyu_signer()
        .private_key()
        .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
        .unwrap();
    assert_eq!(code.len(), 256);
    let cert = Certificate::from_der(pki.zairyu_signer().cert_der()).unwrap();
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    let key = RsaPublicKey::from_public_key_der(&spki).unwrap();
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &digest, &code)
        .unwrap();

    // 2nd gen: ECDSA P-384 over SHA-256, raw r‖s is 96 bytes (the size of DC).
    use p384::ecdsa::signature::hazmat::PrehashSigner;
    let signer = p384::ecdsa::SigningKey::from(pki.zairyu2_signer().private_key());
    let sig: p384::ecdsa::Signature = signer.sign_prehash(&digest).unwrap();
    assert_eq!(sig.to_bytes().len(), 96);
    let cert = Certificate::from_der(pki.zairyu2_signer().cert_der()).unwrap();
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    let vk = p384::ecdsa::VerifyingKey::from_public_key_der(&spki).unwrap();
    vk.verify_prehash(&digest, &sig).unwrap();
}

#[test]
fn cvc_test_keys() {
    let pki = load_default().unwrap();
    let ids: Vec<&str> = pki.cvc_keys().iter().map(|k| k.key_id()).collect();
    assert_eq!(ids, ["9000033", "9000023", "9000020"]);
    let mut moduli = BTreeSet::new();
    for key in pki.cvc_keys() {
        assert!(!key.key_id().starts_with('5') && !key.key_id().starts_with('6'));
        let n = key.modulus();
        assert_eq!(n.len(), 256);
        assert!(n[0] & 0x80 != 0);
        assert_eq!(key.public_exponent(), [1, 0, 1]);
        assert_eq!(key.public_key().n().to_bytes_be(), n);
        moduli.insert(n);
    }
    assert_eq!(moduli.len(), 3);
    assert_eq!(pki.cvc_key(CvcIssuer::MfChain).key_id(), "9000020");
}

#[test]
fn debug_output_redacts_keys() {
    let pki = load_default().unwrap();
    let text = format!("{pki:?} {:?} {:?}", pki.zairyu_signer(), pki.cvc_keys());
    assert!(text.contains("REDACTED"));
    let d = pki.zairyu_signer().private_key().d().to_string();
    assert!(!text.contains(&d));
}

// ---- OpenSSL's view -------------------------------------------------------------------------

/// 2025-06-01T00:00:00Z, inside every certificate's fixed validity.
const ATTIME_2025: &str = "1748736000";
/// 2045-01-01T00:00:00Z, after every certificate has expired.
const ATTIME_2045: &str = "2366841600";

fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(fixture_dir())
        .output()
        .unwrap_or_else(|e| panic!("cannot run the openssl CLI (needed by this test): {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn openssl_parses_every_certificate_and_key() {
    for (name, _, _, _) in chains(generated()) {
        let der = format!("{name}.der");
        let (ok, text) = openssl(&["x509", "-in", &der, "-inform", "DER", "-noout", "-text"]);
        assert!(ok, "openssl x509 rejected {der}: {text}");
        assert!(text.contains("TEST"), "{der}");
        let pem = format!("{name}.pem");
        let (ok, text) = openssl(&["x509", "-in", &pem, "-noout", "-subject"]);
        assert!(ok, "openssl x509 rejected {pem}: {text}");
    }
    for (name, _) in fixtures::ALL.iter().filter(|(n, _)| n.ends_with(".pk8")) {
        let (ok, text) = openssl(&["pkey", "-inform", "DER", "-in", name, "-noout"]);
        assert!(ok, "openssl pkey rejected {name}: {text}");
    }
    let (_, text) = openssl(&[
        "x509",
        "-in",
        "jpki-holder-sign.der",
        "-inform",
        "DER",
        "-noout",
        "-text",
    ]);
    assert!(text.contains("1.2.392.200149.8.5.5.4"), "{text}");
}

#[test]
fn openssl_verifies_every_chain() {
    for (name, root, _, _) in chains(generated()) {
        let ca = format!("{root}.pem");
        let ee = format!("{name}.pem");
        let (ok, text) = openssl(&[
            "verify",
            "-x509_strict",
            "-attime",
            ATTIME_2025,
            "-CAfile",
            &ca,
            &ee,
        ]);
        assert!(
            ok && text.contains(&format!("{ee}: OK")),
            "openssl verify {ee} under {ca}: {text}"
        );
        let (ok, text) = openssl(&["verify", "-attime", ATTIME_2045, "-CAfile", &ca, &ee]);
        assert!(
            !ok && text.contains("expired"),
            "{ee} should have expired by 2045: {text}"
        );
    }
    // Cross-chain must fail.
    let (ok, _) = openssl(&[
        "verify",
        "-attime",
        ATTIME_2025,
        "-CAfile",
        "jpki-sign-ca.pem",
        "jpki-holder-auth.pem",
    ]);
    assert!(!ok);
}

// ---- CRLs -----------------------------------------------------------------------------------

/// Whether the openssl CLI runs; the CRL tests below skip (saying so) without it.
fn have_openssl() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: the openssl CLI is not on PATH (scripts/test installs it)");
    }
    ok
}

#[test]
fn crls_revoke_only_the_revoked_holder() {
    let pki = load_default().unwrap();
    for (crl, ca, revoked, good) in [
        (
            fixtures::JPKI_AUTH_CRL_DER,
            pki.jpki_auth_ca(),
            pki.jpki_revoked_holder().auth(),
            pki.jpki_holder().auth(),
        ),
        (
            fixtures::JPKI_SIGN_CRL_DER,
            pki.jpki_sign_ca(),
            pki.jpki_revoked_holder().sign(),
            pki.jpki_holder().sign(),
        ),
    ] {
        let list = x509_cert::crl::CertificateList::from_der(crl).unwrap();
        let tbs = &list.tbs_cert_list;
        assert_eq!(
            tbs.issuer,
            ca.certificate().unwrap().tbs_certificate.subject
        );
        let serials: Vec<_> = tbs
            .revoked_certificates
            .iter()
            .flatten()
            .map(|r| r.serial_number.clone())
            .collect();
        assert_eq!(
            serials,
            [revoked.certificate().unwrap().tbs_certificate.serial_number]
        );
        assert!(!serials.contains(&good.certificate().unwrap().tbs_certificate.serial_number));
        // Signed by the CA's key, over the TBSCertList as encoded.
        assert_eq!(list.signature_algorithm, tbs.signature);
        let digest = Sha256::digest(raw_tbs(crl));
        ca.public_key()
            .verify(
                Pkcs1v15Sign::new::<Sha256>(),
                &digest,
                list.signature.as_bytes().unwrap(),
            )
            .unwrap();
    }
    assert_eq!(
        pki.jpki_revoked_holder().holder(),
        &JpkiHolder::revoked_synthetic()
    );
}

#[test]
fn openssl_reads_the_crls_and_agrees_on_revocation() {
    if !have_openssl() {
        return;
    }
    for purpose in ["auth", "sign"] {
        let crl_der = format!("jpki-{purpose}-crl.der");
        let (ok, text) = openssl(&["crl", "-inform", "DER", "-in", &crl_der, "-noout", "-text"]);
        assert!(ok, "openssl crl rejected {crl_der}: {text}");
        assert!(
            text.contains("Next Update: Jan  1 00:00:00 2029 GMT"),
            "{text}"
        );
        let ca = format!("jpki-{purpose}-ca.pem");
        let crl = format!("jpki-{purpose}-crl.pem");
        let run = |ee: &str| {
            openssl(&[
                "verify",
                "-x509_strict",
                "-crl_check",
                "-attime",
                ATTIME_2025,
                "-CAfile",
                &ca,
                "-CRLfile",
                &crl,
                ee,
            ])
        };
        let good = format!("jpki-holder-{purpose}.pem");
        let (ok, text) = run(&good);
        assert!(
            ok && text.contains(&format!("{good}: OK")),
            "{good}: {text}"
        );
        let revoked = format!("jpki-revoked-{purpose}.pem");
        let (ok, text) = run(&revoked);
        assert!(
            !ok && text.contains("certificate revoked"),
            "{revoked}: {text}"
        );
        // The other root's CRL does not cover this root: openssl finds no CRL (unable to get CRL).
        let other = if purpose == "auth" { "sign" } else { "auth" };
        let (ok, text) = openssl(&[
            "verify",
            "-crl_check",
            "-attime",
            ATTIME_2025,
            "-CAfile",
            &ca,
            "-CRLfile",
            &format!("jpki-{other}-crl.pem"),
            &good,
        ]);
        assert!(
            !ok && text.contains("unable to get certificate CRL"),
            "{text}"
        );
    }
}
