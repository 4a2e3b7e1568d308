//! The card-face AP (券面事項確認AP, mynumber-card.md §4) of the simulated My Number card, read
//! through jpid-card and proven with jpid-verify: each key opens what it should, the data proves
//! genuine under TEST trust only, and every tamper option is caught with the right reason.

use jpid_apdu::{Command, StatusWord};
use jpid_card::mynumber::{read_card_face, CardFaceKey, KeyError, MyNumber};
use jpid_card::Channel;
use jpid_sim::kinds::SimSpec;
use jpid_sim::SimTransport;
use jpid_verify::card_face::{verify_card_face, CardFaceFiles, CardFaceVerdict};
use jpid_verify::cvc::CvcIssuerKey;
use jpid_verify::TrustStore;

fn trust() -> TrustStore {
    let pki = jpid_sim::kinds::test_pki().unwrap();
    let keys: Vec<CvcIssuerKey> = pki
        .cvc_keys()
        .iter()
        .map(|k| CvcIssuerKey {
            id: k.key_id().into(),
            key_id: CvcIssuerKey::test_key_id(k.key_id()),
            modulus: k.modulus(),
            exponent: k.public_exponent(),
            test: true,
        })
        .collect();
    TrustStore::production().with_test_cvc_keys(keys)
}

fn card(spec: &str) -> Channel<SimTransport> {
    Channel::new(SimSpec::parse(spec).unwrap().transport().unwrap())
}

fn files(r: CardFaceFiles) -> CardFaceFiles {
    r
}

fn read(spec: &str, key: &CardFaceKey, trust: &TrustStore) -> CardFaceVerdict {
    let r = read_card_face(&mut card(spec), key, false, MyNumber::Read).unwrap();
    verify_card_face(&files(r), trust, jpid_verify::UnixTime(1_800_000_000), None).unwrap()
}

fn a() -> CardFaceKey {
    CardFaceKey::a("999900000001").unwrap()
}
fn b() -> CardFaceKey {
    CardFaceKey::b("02010120351234").unwrap()
}
fn dob() -> CardFaceKey {
    CardFaceKey::birth_date("020101").unwrap()
}

#[test]
fn each_key_opens_its_records_and_they_prove_genuine() {
    let trust = trust();
    // 照合番号A: the card face and the My Number image.
    let v = read("mynumber", &a(), &trust);
    assert!(v.genuine(), "{:?}", v.reasons);
    let p = v.proof().unwrap().get();
    assert_eq!(p.issuer, "9000023");
    assert_eq!(p.covered, ["card_face", "my_number_image"]);
    assert_eq!(
        p.unsigned,
        ["expiry", "security_code_image", "municipality_code"]
    );
    let face = v.face.as_ref().unwrap();
    assert_eq!(face.birth_date.compact(), "19900101");
    assert_eq!(face.sex.as_str(), "2");
    assert_eq!(face.expiry.compact(), "20350101");
    let photo = jpid_image::to_png(&face.photo).unwrap();
    assert_eq!((photo.width, photo.height), (200, 250));
    for png in [
        &face.name_image,
        &face.address_image,
        &face.security_code_image,
        &v.my_number_image.as_ref().unwrap().image,
    ] {
        jpid_image::to_png(png).unwrap();
    }
    assert!(v.birth.is_none());
    assert_eq!(v.info.as_ref().unwrap().municipality_code, "13101");
    // 照合番号B: the card face only.
    let v = read("mynumber", &b(), &trust);
    assert!(v.genuine(), "{:?}", v.reasons);
    assert!(v.face.is_some() && v.my_number_image.is_none());
    // The birth-date key: the birth record only.
    let v = read("mynumber", &dob(), &trust);
    assert!(v.genuine(), "{:?}", v.reasons);
    assert_eq!(v.proof().unwrap().get().covered, ["birth_record"]);
    assert_eq!(v.birth.as_ref().unwrap().birth_date.compact(), "19900101");
    assert!(v.face.is_none());
    // EF 0003 is read under every key and is not signed: its municipality code says so.
    let unsigned: Vec<_> = v.unsigned.iter().map(|u| u.item).collect();
    assert_eq!(unsigned, ["municipality_code"]);
    // Production trust has no TEST key: never genuine.
    let v = read("mynumber", &a(), &TrustStore::production());
    assert!(!v.genuine());
    assert_eq!(v.reasons[0].code, "unknown_issuer");
}

#[test]
fn the_text_ap_issuer_key_does_not_certify_the_card_face_ap() {
    // A store holding only the TEST text-AP issuer key (9000033) must not accept a card-face CVC.
    let pki = jpid_sim::kinds::test_pki().unwrap();
    let keys: Vec<CvcIssuerKey> = pki
        .cvc_keys()
        .iter()
        .filter(|k| k.key_id() != "9000023")
        .map(|k| CvcIssuerKey {
            id: k.key_id().into(),
            key_id: CvcIssuerKey::test_key_id(k.key_id()),
            modulus: k.modulus(),
            exponent: k.public_exponent(),
            test: true,
        })
        .collect();
    let v = read(
        "mynumber",
        &a(),
        &TrustStore::production().with_test_cvc_keys(keys),
    );
    assert!(!v.genuine());
}

#[test]
fn every_tamper_option_is_caught_with_its_reason() {
    let trust = trust();
    for (tamper, key, code, check) in [
        ("face-photo", a(), "data_altered", "card_face"),
        ("face-dob", b(), "data_altered", "card_face"),
        ("birth-record", dob(), "data_altered", "birth_record"),
        ("my-number-image", a(), "data_altered", "my_number_image"),
        ("surface-cvc", a(), "unknown_issuer", "cvc"),
        // Signed by a trusted key, but the text AP's issuer (9000033) may not certify this AP.
        ("surface-cvc-issuer", dob(), "unknown_issuer", "cvc"),
    ] {
        let v = read(&format!("mynumber,tamper={tamper}"), &key, &trust);
        assert!(!v.genuine(), "{tamper}");
        assert_eq!(v.reasons[0].code, code, "{tamper}: {:?}", v.reasons);
        assert!(
            v.checks.iter().any(|c| c.name == check && !c.passed),
            "{tamper}"
        );
    }
    // The expiry is not signed: altering it goes unnoticed, and the verdict says it is unsigned.
    let v = read("mynumber,tamper=face-expiry", &b(), &trust);
    assert!(v.genuine());
    assert_eq!(v.face.as_ref().unwrap().expiry.compact(), "20450101");
    assert!(v.unsigned.iter().any(|u| u.item == "expiry"));
    // The text AP is untouched by card-face tampering.
    assert!(SimSpec::parse("mynumber,tamper=nonsense").is_err());
}

#[test]
fn wrong_keys_cost_a_try_and_the_last_is_kept() {
    let mut ch = card("mynumber");
    for remaining in (1..=9).rev() {
        let r = read_card_face(
            &mut ch,
            &CardFaceKey::birth_date("010101").unwrap(),
            false,
            MyNumber::Leave,
        );
        assert!(
            matches!(r, Err(KeyError::Wrong { remaining: n, .. }) if n == remaining),
            "{r:?}"
        );
    }
    let r = read_card_face(&mut ch, &dob(), false, MyNumber::Leave);
    assert!(matches!(r, Err(KeyError::LastTry(_))), "{r:?}");
    // B's counter is separate and full.
    assert!(read_card_face(&mut ch, &b(), false, MyNumber::Leave).is_ok());
    assert!(read_card_face(&mut ch, &dob(), true, MyNumber::Leave).is_ok());
    assert!(CardFaceKey::birth_date("02010").is_err());
    assert!(CardFaceKey::birth_date("0201011").is_err());
    assert_eq!(format!("{:?}", dob()), "CardFaceKey::BirthDate(REDACTED)");
}

#[test]
fn key_b_cannot_read_the_my_number_image_nor_the_birth_record() {
    let mut ch = card("mynumber");
    // read_card_face never asks B for EF 0005; ask the card directly.
    let r = read_card_face(&mut ch, &b(), false, MyNumber::Read).unwrap();
    assert!(r.my_number_image.is_none() && r.face.is_some());
    for fid in [0x0005u16, 0x0001] {
        assert_eq!(ch.select_ef(fid).unwrap(), StatusWord::Success);
        let sw = ch
            .transmit(&Command::new(0x00, 0xB0, 0x00, 0x00).with_le(256))
            .unwrap()
            .sw();
        assert_eq!(sw, StatusWord::SecurityStatusNotSatisfied, "EF {fid:04X}");
    }
}

#[test]
fn short_apdus_read_the_same_card_face() {
    let trust = trust();
    let mut ch = card("mynumber,ext=off");
    let r = read_card_face(&mut ch, &a(), false, MyNumber::Read).unwrap();
    let v = verify_card_face(
        &files(r),
        &trust,
        jpid_verify::UnixTime(1_800_000_000),
        None,
    )
    .unwrap();
    assert!(v.genuine(), "{:?}", v.reasons);
    assert!(v.face.unwrap().photo.len() > 2000);
}

/// An independent producer's view of DF28: openssl recovers the signed block with the AP key
/// and parses it as a DER DigestInfo (SHA-256 OID, 96-byte OCTET STRING) holding the three
/// segment digests computed here from the card face's TLVs (docs/spec/mynumber-card.md §4).
#[test]
fn openssl_recovers_the_df28_digest_info() {
    use jpid_apdu::tlv::{self, Tag};
    use sha2::{Digest, Sha256};
    let r = read_card_face(&mut card("mynumber"), &b(), false, MyNumber::Leave).unwrap();
    let face = r.face.unwrap();
    let outer = tlv::expect_single(&face, Tag::new(0xFF20)).unwrap();
    let raw = |t: u32| outer.require_child(Tag::new(t)).unwrap().raw().to_vec();
    let mut want = Vec::new();
    for group in [
        [raw(0xDF22), raw(0xDF23), raw(0xDF24)].concat(),
        [raw(0xDF25), raw(0xDF26)].concat(),
        raw(0xDF27),
    ] {
        want.extend_from_slice(&Sha256::digest(&group));
    }
    let sig = outer
        .require_child(Tag::new(0xDF28))
        .unwrap()
        .value()
        .to_vec();
    let dir = std::env::temp_dir().join(format!("jpid-surface-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = jpid_testpki::fixtures::ALL
        .iter()
        .find(|(n, _)| *n == "mynumber-surface-ap-key.pk8")
        .unwrap()
        .1;
    std::fs::write(dir.join("key.pk8"), key).unwrap();
    std::fs::write(dir.join("sig"), &sig).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["pkeyutl", "-verifyrecover", "-keyform", "DER", "-inkey"])
        .arg(dir.join("key.pk8"))
        .arg("-in")
        .arg(dir.join("sig"))
        .output()
        .expect("openssl (installed by scripts/test)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recovered = out.stdout;
    std::fs::write(dir.join("di"), &recovered).unwrap();
    let parsed = std::process::Command::new("openssl")
        .args(["asn1parse", "-inform", "DER", "-in"])
        .arg(dir.join("di"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&parsed.stdout);
    assert!(parsed.status.success(), "{text}");
    assert!(
        text.contains("sha256") && text.contains("OCTET STRING"),
        "{text}"
    );
    assert_eq!(recovered.len(), 19 + 96);
    assert_eq!(recovered.get(19..).unwrap(), &want[..]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The card-face AP's chip signs a fresh challenge with the card key its signed records carry
/// (DF24); a clone's chip does not (docs/spec/mynumber-card.md §4, MC only, UNCONFIRMED). The
/// expiry DF29 is compared with the time of the check, marked unsigned.
#[test]
fn the_card_face_chip_answers_a_challenge_and_expiry_is_unsigned() {
    use jpid_card::mynumber::chip_answer;
    use jpid_verify::verdict::{ChipAuth, Outcome, ValidityState};
    let trust = trust();
    let challenge = b"another fresh challenge, 32 byte";
    let read = |spec: &str| {
        let mut ch = card(spec);
        // 照合番号B carries the card's expiry year.
        let year = spec
            .split("expiry=")
            .nth(1)
            .and_then(|d| d.get(..4))
            .unwrap_or("2035");
        let key = CardFaceKey::b(&format!("020101{year}1234")).unwrap();
        let files = read_card_face(&mut ch, &key, false, MyNumber::Leave).unwrap();
        (files, chip_answer(&mut ch, challenge).unwrap())
    };
    let at = jpid_verify::UnixTime(1_800_000_000); // 2027-01-15
    let (files, answer) = read("mynumber");
    let v = verify_card_face(&files, &trust, at, Some(&answer)).unwrap();
    assert!(
        matches!(v.chip, ChipAuth::Authenticated { .. }),
        "{:?}",
        v.chip
    );
    assert_eq!(v.outcome(), Outcome::Genuine);
    let d = &v.validity.dates[0];
    assert_eq!((d.what, d.signed, d.in_force), ("card_expiry", false, true));
    assert!(v.unsigned.iter().any(|u| u.item == "expiry"));
    // Expired: the (unsigned) expiry has passed, so never plain genuine.
    let (files, answer) = read("mynumber,expiry=2026-12-31");
    let v = verify_card_face(&files, &trust, at, Some(&answer)).unwrap();
    assert_eq!(v.validity.state, ValidityState::Expired);
    assert_eq!(v.outcome(), Outcome::GenuineExpired);
    // A clone.
    let (files, answer) = read("mynumber,tamper=clone");
    let v = verify_card_face(&files, &trust, at, Some(&answer)).unwrap();
    assert_eq!(v.outcome(), Outcome::NotGenuine);
    assert!(v.reasons.iter().any(|r| r.code == "chip_not_authenticated"));
    // Under a CVC no trusted issuer signed, the chip's answer proves nothing: the key it
    // answers with is certified by no one the verifier trusts, so the facet never says yes.
    let (files, answer) = read("mynumber,tamper=surface-cvc");
    let v = verify_card_face(&files, &trust, at, Some(&answer)).unwrap();
    assert_eq!(v.outcome(), Outcome::NotGenuine);
    assert!(matches!(v.chip, ChipAuth::Failed { .. }), "{:?}", v.chip);
}
