//! Every parser of outside bytes in jpid-verify, fed random and mutated input: no panic, and
//! never a "genuine" or "valid" verdict for bytes nobody signed.

use jpid_verify::card_face::{
    verify_card_face, ApBasicInfo, BirthRecord, CardFace, CardFaceFiles, MyNumberImage,
};
use jpid_verify::cvc::Cvc;
use jpid_verify::residence::{self, ResidenceFile, ResidenceFiles};
use jpid_verify::revocation::LoadedCrl;
use jpid_verify::signature::{verify_cms, verify_raw};
use jpid_verify::text::{verify_text, TextFiles};
use jpid_verify::x509::ParsedCert;
use jpid_verify::{
    CrlStore, Purpose, RevocationPolicy, RevocationSource, RevocationStatus, TrustStore, UnixTime,
};
use proptest::prelude::*;

fn trust() -> TrustStore {
    let pki = jpid_testpki::load_default().unwrap();
    TrustStore::production().with_test_anchors([
        ("zairyu", Purpose::Residence, pki.zairyu_ca().cert_der()),
        (
            "zairyu2",
            Purpose::ResidenceGen2,
            pki.zairyu2_ca().cert_der(),
        ),
        ("auth", Purpose::JpkiAuth, pki.jpki_auth_ca().cert_der()),
        ("sign", Purpose::JpkiSign, pki.jpki_sign_ca().cert_der()),
    ])
}

const KEYS: [ResidenceFile; 11] = [
    ResidenceFile::CardType,
    ResidenceFile::FrontImage,
    ResidenceFile::FaceImage,
    ResidenceFile::Address,
    ResidenceFile::Signature,
    ResidenceFile::CardNumber,
    ResidenceFile::PrintedEntries,
    ResidenceFile::Images,
    ResidenceFile::AddressImage,
    ResidenceFile::Other,
    ResidenceFile::Permissions,
];

fn card_type() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(vec![0xC1, 0x01, b'1']),
        Just(vec![0xC1, 0x01, b'2']),
        Just(vec![0xC1, 0x02, b'0', b'5']),
        Just(vec![0xC1, 0x02, b'0', b'6']),
        prop::collection::vec(any::<u8>(), 0..8),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn residence_files_never_panic_nor_pass(
        ct in card_type(),
        files in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..600), KEYS.len() - 1),
    ) {
        let mut map = ResidenceFiles::new();
        map.insert(ResidenceFile::CardType, ct);
        for (k, v) in KEYS.iter().skip(1).zip(files) {
            map.insert(*k, v);
        }
        map.insert(ResidenceFile::UpdateStatus, vec![0xD8, 0x01, b'0']);
        if let Ok(parsed) = residence::parse(&map) {
            let v = residence::verify(&parsed, &trust(), UnixTime(1_800_000_000), residence::ReadFrom::Dump);
            prop_assert!(!v.genuine());
        }
    }

    #[test]
    fn cms_never_panics_nor_passes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(v) = verify_cms(&[0u8; 32], &bytes, &trust(), UnixTime(1_800_000_000), RevocationPolicy::NotChecked) {
            prop_assert!(!v.valid());
        }
        if let Ok(v) = verify_raw(&[0u8; 32], &bytes, &bytes, &trust(), UnixTime(1_800_000_000), RevocationPolicy::NotChecked) {
            prop_assert!(!v.valid());
        }
    }

    #[test]
    fn cvc_and_text_files_never_panic_nor_pass(
        ef1 in prop::collection::vec(any::<u8>(), 0..40),
        ef2 in prop::collection::vec(any::<u8>(), 0..300),
        ef3 in prop::collection::vec(any::<u8>(), 0..400),
        ef4 in prop::collection::vec(any::<u8>(), 0..700),
    ) {
        let _ = Cvc::parse(&ef4);
        let answer = jpid_verify::text::ChipAnswer { challenge: ef1.clone(), signature: ef3.clone() };
        let files = TextFiles { my_number: Some(ef1), basic: Some(ef2), card_key: Some(ef3.clone()), integrity: ef3, cvc: ef4 };
        if let Ok(v) = verify_text(&files, &trust(), UnixTime(1_800_000_000), Some(&answer)) {
            prop_assert!(!v.genuine());
        }
    }

    #[test]
    fn surface_files_never_panic_nor_pass(
        ef1 in prop::collection::vec(any::<u8>(), 0..600),
        ef2 in prop::collection::vec(any::<u8>(), 0..1200),
        ef4 in prop::collection::vec(any::<u8>(), 0..700),
        ef5 in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let files = CardFaceFiles { birth: Some(ef1.clone()), face: Some(ef2), info: Some(ef1), cvc: ef4, my_number_image: Some(ef5) };
        if let Ok(v) = verify_card_face(&files, &surface_trust(), UnixTime(1_800_000_000), None) {
            prop_assert!(!v.genuine());
        }
    }

    /// Structure-aware: the right outer tags and inner tags with random values and lengths,
    /// then cut anywhere. Parsing returns a typed error or a value, and nothing verifies.
    #[test]
    fn structured_surface_records_never_panic_nor_pass(
        values in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 10),
        cut in any::<prop::sample::Index>(),
    ) {
        let tlv = |tag: u32, v: &[u8]| jpid_apdu::tlv::encode(jpid_apdu::Tag::new(tag), v);
        let v = |i: usize| values.get(i).cloned().unwrap_or_default();
        let inner: Vec<u8> = (0..10u32).flat_map(|i| tlv(0xDF21 + i, &v(i as usize))).collect();
        let face = tlv(0xFF20, &inner);
        let birth = tlv(0xFF10, &[tlv(0xDF11, b"19900101"), tlv(0xDF12, &v(1)), tlv(0xDF13, &v(2))].concat());
        let image = tlv(0xFF40, &[tlv(0xDF41, &v(3)), tlv(0xDF42, &v(4)), tlv(0xDF43, &v(5))].concat());
        for whole in [&face, &birth, &image] {
            let part = &whole[..cut.index(whole.len() + 1).min(whole.len())];
            let _ = CardFace::try_from(part);
            let _ = BirthRecord::try_from(part);
            let _ = MyNumberImage::try_from(part);
        }
        let info = tlv(0xFF30, &[tlv(0xDF32, &v(7)), tlv(0xDF33, &v(8)), tlv(0xDF34, &v(9))].concat());
        let _ = ApBasicInfo::try_from(&info[..cut.index(info.len() + 1).min(info.len())]);
        let files = CardFaceFiles { birth: Some(birth), face: Some(face), info: Some(info), cvc: v(6), my_number_image: Some(image) };
        if let Ok(v) = verify_card_face(&files, &surface_trust(), UnixTime(1_800_000_000), None) {
            prop_assert!(!v.genuine());
        }
    }
}

/// Production trust plus the TEST CVC issuer keys: even a store that trusts the simulator's
/// card-face key accepts nothing random.
fn surface_trust() -> TrustStore {
    let pki = jpid_testpki::load_default().unwrap();
    TrustStore::production().with_test_cvc_keys(pki.cvc_keys().iter().map(|k| {
        jpid_verify::cvc::CvcIssuerKey {
            id: k.key_id().into(),
            key_id: jpid_verify::cvc::CvcIssuerKey::test_key_id(k.key_id()),
            modulus: k.modulus(),
            exponent: k.public_exponent(),
            test: true,
        }
    }))
}

/// The test PKI, parsed once (loading parses every fixture key).
fn pki() -> &'static jpid_testpki::TestPki {
    static PKI: std::sync::OnceLock<jpid_testpki::TestPki> = std::sync::OnceLock::new();
    PKI.get_or_init(|| jpid_testpki::load_default().unwrap())
}

/// Checks the default holder's signature certificate against a store holding `crl` (if it
/// loads): whatever the bytes, never a panic, and never revoked or good unless the CRL verifies.
fn check_with_crl(crl: &[u8]) -> Option<RevocationStatus> {
    let pki = pki();
    let mut store = CrlStore::new();
    store.add_bytes("hostile.crl", crl).ok()?;
    let cert = ParsedCert::parse(pki.jpki_holder().sign().cert_der()).unwrap();
    let ca = ParsedCert::parse(pki.jpki_sign_ca().cert_der()).unwrap();
    Some(store.check(&cert, &ca, UnixTime(1_800_000_000)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn crl_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = LoadedCrl::parse("hostile.crl", &bytes);
        if let Some(status) = check_with_crl(&bytes) {
            prop_assert_eq!(status.code(), "unknown");
        }
        let mut pem = b"-----BEGIN X509 CRL-----\n".to_vec();
        pem.extend_from_slice(&bytes);
        let _ = LoadedCrl::parse("hostile.pem", &pem);
    }

    /// Structure-aware: the real CRL with a few bytes changed either fails to load or, when it
    /// loads, is not used (its signature no longer verifies), so the answer is unknown.
    #[test]
    fn mutated_crls_never_answer(
        changes in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
    ) {
        let mut crl = pki().jpki_sign_crl().to_vec();
        for (i, x) in &changes {
            let i = i.index(crl.len());
            crl[i] ^= x;
        }
        if let Some(status) = check_with_crl(&crl) {
            // A change outside the signed bytes that still parses (the signature value itself)
            // also fails verification; nothing may turn into an answer.
            prop_assert_eq!(status.code(), "unknown", "{:?}", status);
        }
    }
}

#[test]
fn hostile_crl_cases() {
    let pki = jpid_testpki::load_default().unwrap();
    let crl = pki.jpki_sign_crl();
    // Length fields claiming gigabytes, deep nesting, truncation at every point.
    for bad in [
        vec![0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF],
        vec![0x30; 4096],
        [&[0x30, 0x82, 0x10, 0x00][..], &[0u8; 16]].concat(),
    ] {
        assert!(LoadedCrl::parse("x", &bad).is_err());
    }
    for n in 0..crl.len() {
        assert!(
            LoadedCrl::parse("cut", crl.get(..n).unwrap()).is_err(),
            "cut at {n}"
        );
    }
    assert!(LoadedCrl::parse("whole", crl).is_ok());
}

/// Structure-aware: real signed files with one byte changed anywhere never verify.
#[test]
fn every_single_byte_change_of_a_real_cms_is_caught() {
    // A real detached CMS from the test holder's key, made with openssl (an independent producer).
    let dir = std::env::temp_dir().join(format!("jpid-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pki = jpid_testpki::load_default().unwrap();
    let p = |n: &str| dir.join(n).to_str().unwrap().to_string();
    std::fs::write(dir.join("doc"), b"content").unwrap();
    std::fs::write(dir.join("cert.der"), pki.jpki_holder().sign().cert_der()).unwrap();
    let key = jpid_testpki::fixtures::ALL
        .iter()
        .find(|(n, _)| *n == "jpki-holder-sign-key.pk8")
        .unwrap()
        .1;
    std::fs::write(dir.join("key.pk8"), key).unwrap();
    let run = |args: &[&str]| {
        let o = std::process::Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl (installed by scripts/test)");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run(&[
        "x509",
        "-inform",
        "DER",
        "-in",
        &p("cert.der"),
        "-out",
        &p("cert.pem"),
    ]);
    run(&[
        "pkey",
        "-inform",
        "DER",
        "-in",
        &p("key.pk8"),
        "-out",
        &p("key.pem"),
    ]);
    run(&[
        "cms",
        "-sign",
        "-binary",
        "-md",
        "sha256",
        "-in",
        &p("doc"),
        "-signer",
        &p("cert.pem"),
        "-inkey",
        &p("key.pem"),
        "-outform",
        "DER",
        "-out",
        &p("doc.p7s"),
    ]);
    let p7s = std::fs::read(dir.join("doc.p7s")).unwrap();
    use sha2::Digest;
    let digest: [u8; 32] = sha2::Sha256::digest(b"content").into();
    let at = UnixTime(1_800_000_000);
    let t = trust();
    assert!(
        verify_cms(&digest, &p7s, &t, at, RevocationPolicy::NotChecked)
            .unwrap()
            .valid()
    );
    let mut valid_after_change = 0;
    for i in 0..p7s.len() {
        let mut m = p7s.clone();
        m[i] ^= 0x01;
        if let Ok(v) = verify_cms(&digest, &m, &t, at, RevocationPolicy::NotChecked) {
            if v.valid() {
                valid_after_change += 1;
                eprintln!(
                    "still valid after changing offset {i}: {:02X} -> {:02X}",
                    p7s[i], m[i]
                );
            }
        }
    }
    // Some CMS fields are not covered by the signature (versions, the digest-algorithm set, the
    // encapsulated content type); jpid checks each of them exactly, so no change may pass.
    assert_eq!(valid_after_change, 0, "a changed byte still verified");
    let _ = std::fs::remove_dir_all(&dir);
}
