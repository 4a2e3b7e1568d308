//! A whole residence-card read through jpid's own reader against the simulated cards, then the
//! verification a bank counter would rely on.

use jpid_apdu::{Command, StatusWord};
use jpid_card::residence::{read_card, CardNumber, ResidenceError, ResidenceRead};
use jpid_card::{spec, CardError, Channel, FileRef};
use jpid_sim::SimSpec;
use jpid_verify::residence::{self, ParsedResidence, ResidenceVerdict};
use jpid_verify::{Purpose, TrustStore, UnixTime};

fn trust() -> TrustStore {
    let pki = jpid_sim::kinds::test_pki().unwrap();
    TrustStore::empty().with_test_anchors([
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
    ])
}

fn at() -> UnixTime {
    UnixTime::parse("2026-11-23").unwrap()
}

fn counter_rng() -> impl FnMut(&mut [u8]) -> Result<(), String> {
    let mut n = 0u8;
    move |buf: &mut [u8]| {
        for b in buf {
            n = n.wrapping_mul(31).wrapping_add(7);
            *b = n;
        }
        Ok(())
    }
}

#[test]
fn a_failing_randomness_source_stops_the_read() {
    let mut ch = Channel::new(SimSpec::parse("residence").unwrap().transport().unwrap());
    let mut broken = |_: &mut [u8]| Err("no entropy".to_string());
    let r = read_card(
        &mut ch,
        &CardNumber::try_from("AB12345678CD").unwrap(),
        &mut broken,
        &mut |_| {},
    );
    assert!(matches!(r, Err(ResidenceError::Randomness(_))), "{r:?}");
}

fn read(spec: &str, number: &str) -> (Result<ResidenceRead, ResidenceError>, jpid_card::Stats) {
    let mut ch = Channel::new(SimSpec::parse(spec).unwrap().transport().unwrap());
    let mut progress_calls = 0;
    let r = read_card(
        &mut ch,
        &CardNumber::try_from(number).unwrap(),
        &mut counter_rng(),
        &mut |_| progress_calls += 1,
    );
    if let Ok(read) = &r {
        assert_eq!(
            progress_calls + 2,
            read.files.len(),
            "one progress call per file read after the MF"
        );
    }
    (r, ch.stats())
}

/// The files read, parsed as the verifier parses a dump.
fn parsed(read: &ResidenceRead) -> ParsedResidence {
    residence::parse(&read.files).unwrap()
}

fn verdict(read: &ResidenceRead) -> ResidenceVerdict {
    residence::verify(&parsed(read), &trust(), at(), residence::ReadFrom::Chip)
}

#[test]
fn every_residence_kind_reads_and_verifies_with_and_without_extended_length() {
    // (kind, files, generation, DF2/DF3 files read to their end)
    for (kind, files, generation, whole) in [
        ("residence", 9, 1, 5),
        ("spr", 6, 1, 2),
        ("residence-gen2", 10, 2, 4),
        ("spr-gen2", 8, 2, 2),
    ] {
        for ext in ["on", "off"] {
            let (r, stats) = read(&format!("{kind},ext={ext}"), "AB12345678CD");
            let r = r.unwrap_or_else(|e| panic!("{kind} ext={ext}: {e}"));
            assert_eq!(r.card_type.generation(), generation);
            assert_eq!(r.files.len(), files, "{kind}");
            let v = verdict(&r);
            assert!(v.genuine(), "{kind} ext={ext}: {:?}", v.reasons);
            assert!(v.checks.iter().all(|c| c.passed), "{kind}: {:?}", v.checks);
            if ext == "on" {
                // One APDU per file plus: GET CHALLENGE, MUTUAL AUTH, VERIFY and one SELECT per
                // DF; the DF2 and DF3 files hold several objects and padding, so each is asked
                // once more past its end (a card may answer part of a file, and only 6B00 says
                // it has ended). MF files are read by their TLV length, SM files whole in one
                // extended answer.
                assert_eq!(
                    stats.apdus as usize,
                    files + 3 + 3 + whole,
                    "{kind}: {stats:?}"
                );
            } else {
                assert!(
                    stats.apdus as usize > files + 6,
                    "{kind}: chunked reads take more APDUs"
                );
            }
        }
    }
}

#[test]
fn gen1_fields_images_and_certificate() {
    let (r, stats) = read("residence", "ab12345678cd");
    let r = r.unwrap();
    let p = parsed(&r);
    assert_eq!(p.card_type.value(), "1");
    assert!(
        p.field("address").unwrap().starts_with("東京都千代田区"),
        "Shift_JIS decoded"
    );
    assert_eq!(p.field("municipality_code"), Some("131016"));
    assert_eq!(p.field("renewal_application"), Some("0"));
    let front = p.front_image.as_ref().unwrap();
    assert!(
        front.starts_with(b"II*\0") || front.starts_with(b"MM\0*"),
        "front is a TIFF"
    );
    assert!(
        front.len() > 5_000 && front.len() <= 7_000,
        "realistic front size {}",
        front.len()
    );
    let face = p.face_image.as_ref().unwrap();
    assert!(
        face.starts_with(&[0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20]),
        "face is JP2"
    );
    assert!(face.len() > 2_000 && face.len() <= 3_000);
    assert!(
        stats.bytes_received > 10_000 && stats.bytes_received < 13_500,
        "{stats:?}"
    );
}

#[test]
fn gen2_printed_entries_are_text() {
    let (r, _) = read("residence-gen2,card-number=XY98765432ZW", "XY98765432ZW");
    let r = r.unwrap();
    let p = parsed(&r);
    assert_eq!(p.field("card_number"), Some("XY98765432ZW"));
    assert_eq!(p.field("birth_date"), Some("19950505"));
    assert_eq!(p.field("work_restriction"), Some("1"));
    assert!(p.name_image.is_some() && p.address_image.is_some());
    assert!(verdict(&r).genuine());
}

#[test]
fn tampering_is_detected_and_named() {
    for kind in ["residence", "residence-gen2", "spr"] {
        for (tamper, code) in [
            ("face", None),
            ("front", None),
            ("signature", None),
            ("certificate", Some("unknown_issuer")),
        ] {
            let (r, _) = read(&format!("{kind},tamper={tamper}"), "AB12345678CD");
            let v = verdict(&r.unwrap());
            assert!(!v.genuine(), "{kind} tamper={tamper}");
            let codes: Vec<_> = v.reasons.iter().map(|r| r.code).collect();
            match code {
                Some(c) => assert!(codes.contains(&c), "{kind} {tamper}: {codes:?}"),
                None => assert!(
                    codes.contains(&"image_altered") || codes.contains(&"data_altered"),
                    "{kind} {tamper}: {codes:?}"
                ),
            }
            if tamper == "face" || tamper == "front" {
                let msg = &v.reasons[0].message;
                assert!(
                    msg.contains(tamper) || (tamper == "front" && msg.contains("name image")),
                    "{msg}"
                );
            }
        }
        // The address is not covered by the chip's signature: still genuine, and the verdict says so.
        let (r, _) = read(&format!("{kind},tamper=address"), "AB12345678CD");
        let v = verdict(&r.unwrap());
        assert!(v.genuine());
        assert_eq!(v.outcome(), jpid_verify::verdict::Outcome::Genuine);
        let address = v.unsigned.iter().find(|u| u.item.starts_with("address"));
        assert!(address.is_some(), "{:?}", v.unsigned);
        // The value shown is marked as unsigned wherever it is a field.
        let card = parsed(&r_ok(&format!("{kind},tamper=address")));
        for f in card.fields.iter().filter(|f| f.key == "address") {
            assert!(!f.signed && f.unsigned_why.is_some(), "{f:?}");
        }
    }
}

#[test]
fn expired_and_untrusted() {
    let (r, _) = read("residence", "AB12345678CD");
    let r = r.unwrap();
    let p = parsed(&r);
    let late = residence::verify(
        &p,
        &trust(),
        UnixTime::parse("2035-01-01").unwrap(),
        residence::ReadFrom::Chip,
    );
    // After its certificate's end the card is genuine but expired, not forged: the end is a
    // passed (signed) date, and no check failed.
    assert!(late.genuine(), "{:?}", late.reasons);
    assert_eq!(
        late.outcome(),
        jpid_verify::verdict::Outcome::GenuineExpired
    );
    assert!(late
        .validity
        .dates
        .iter()
        .any(|d| d.what == "card_certificate_expiry" && !d.in_force && d.signed));
    assert!(late.checks.iter().all(|c| c.passed), "{:?}", late.checks);
    // Before its start it is a fault.
    let early = residence::verify(
        &p,
        &trust(),
        UnixTime::parse("2023-01-01").unwrap(),
        residence::ReadFrom::Chip,
    );
    assert!(!early.genuine());
    assert!(early
        .reasons
        .iter()
        .any(|r| r.code == "certificate_not_yet_valid"));
    // Production trust has no ZairyuCard root: never genuine, and it says what to do.
    let prod = residence::verify(
        &p,
        &TrustStore::production(),
        at(),
        residence::ReadFrom::Chip,
    );
    assert!(!prod.genuine());
    assert!(prod
        .reasons
        .iter()
        .any(|r| r.code == "no_trust_anchor" && r.message.contains("jpid trust add")));
}

#[test]
fn wrong_card_number_is_refused_at_mutual_authenticate() {
    let (r, stats) = read("residence", "AB12345678CE");
    assert!(matches!(r, Err(ResidenceError::WrongCardNumber)), "{r:?}");
    assert_eq!(
        stats.apdus, 4,
        "card type, common, GET CHALLENGE, MUTUAL AUTHENTICATE"
    );
    let (r, _) = read("residence-gen2", "ZZ00000000ZZ");
    assert!(matches!(r, Err(ResidenceError::WrongCardNumber)));
}

/// The check code's digest is taken piece by piece; it must be the digest of exactly the
/// bytes `signed_data` lays out (images zero-padded to their fixed lengths).
#[test]
fn the_signed_data_digest_is_that_of_the_signed_bytes() {
    use jpid_verify::residence::Gen2Layout;
    use sha2::{Digest, Sha256};
    let gen2 = Gen2Layout::PRINTED_LEN + Gen2Layout::FACE_LEN + Gen2Layout::NAME_LEN;
    for (spec, len) in [
        ("residence", 10_000),
        ("residence,photo=no", 10_000),
        ("spr", 10_000),
        ("residence-gen2", gen2),
        ("residence-gen2,photo=no", gen2),
        ("spr-gen2", gen2),
    ] {
        let (r, _) = read(spec, "AB12345678CD");
        let r = r.unwrap();
        let p = parsed(&r);
        let data = p.signed_data();
        assert_eq!(p.signed_data_len(), data.len(), "{spec}");
        assert_eq!(data.len(), len, "{spec}");
        let want: [u8; 32] = Sha256::digest(&data).into();
        assert_eq!(p.signed_data_sha256(), want, "{spec}");
    }
}

#[test]
fn photo_less_holder() {
    for kind in ["residence", "residence-gen2"] {
        let (r, _) = read(&format!("{kind},photo=no"), "AB12345678CD");
        let r = r.unwrap();
        let p = parsed(&r);
        assert!(p.face_image.is_none());
        assert!(
            residence::verify(&p, &trust(), at(), residence::ReadFrom::Chip).genuine(),
            "{kind}"
        );
    }
}

#[test]
fn secure_messaging_exactly_where_the_spec_puts_it() {
    let mut ch = Channel::new(SimSpec::parse("residence").unwrap().transport().unwrap());
    // Before authentication: DF2 refuses with 69 82.
    assert!(ch.select_aid(&spec::RESIDENCE_DF2).unwrap().is_success());
    assert_eq!(
        ch.read_binary(FileRef::Sfi(1), 0, 256).unwrap().sw(),
        StatusWord::SecurityStatusNotSatisfied
    );
    // MUTUAL AUTHENTICATE without a challenge.
    let ma = Command::new(0, 0x82, 0, 0)
        .with_data(vec![0; 40])
        .with_le(256);
    assert_eq!(
        ch.transmit(&ma).unwrap().sw(),
        StatusWord::ConditionsNotSatisfied
    );
    // After a full read the session is open: DF1 plain reads are still refused, SM on DF2 is not supported.
    let r = read_card(
        &mut ch,
        &CardNumber::try_from("AB12345678CD").unwrap(),
        &mut counter_rng(),
        &mut |_| {},
    );
    assert!(r.is_ok());
    assert!(ch.select_aid(&spec::RESIDENCE_DF1).unwrap().is_success());
    assert_eq!(
        ch.read_binary(FileRef::Sfi(5), 0, 256).unwrap().sw(),
        StatusWord::SecurityStatusNotSatisfied
    );
    assert!(ch.select_aid(&spec::RESIDENCE_DF2).unwrap().is_success());
    assert_eq!(
        ch.read_binary(FileRef::Sfi(1), 0, 256).unwrap().sw(),
        StatusWord::Success
    );
    let sm = Command::new(0x08, 0xB0, 0x81, 0)
        .with_data(vec![0x96, 2, 0, 0])
        .with_le(256);
    assert_eq!(
        ch.transmit(&sm).unwrap().sw(),
        StatusWord::SecureMessagingNotSupported
    );
    // A reset closes the session.
    ch.reset().unwrap();
    assert!(ch.select_aid(&spec::RESIDENCE_DF2).unwrap().is_success());
    assert_eq!(
        ch.read_binary(FileRef::Sfi(1), 0, 256).unwrap().sw(),
        StatusWord::SecurityStatusNotSatisfied
    );
    let _ = CardError::TooLarge {
        what: "x",
        limit: 0,
    };
}

fn r_ok(spec: &str) -> ResidenceRead {
    read(spec, "AB12345678CD").0.unwrap()
}

/// A generation-2 card whose (signed) expiry has passed is genuine but expired, never plain
/// genuine; generation 1 records no expiry and says so (the date is printed on the card).
#[test]
fn expired_cards_are_never_plain_genuine() {
    use jpid_verify::verdict::{Outcome, ValidityState};
    for kind in ["residence-gen2", "spr-gen2"] {
        let r = r_ok(&format!("{kind},expiry=2026-01-31"));
        let v = verdict(&r);
        assert_eq!(
            v.outcome(),
            Outcome::GenuineExpired,
            "{kind}: {:?}",
            v.validity
        );
        assert_eq!(v.validity.state, ValidityState::Expired);
        assert!(v.validity.dates.iter().all(|d| d.signed));
        let v = verdict(&r_ok(kind));
        assert_eq!(v.outcome(), Outcome::Genuine, "{kind}");
        assert_eq!(v.validity.state, ValidityState::Valid);
    }
    let v = verdict(&r_ok("residence"));
    assert_eq!(v.validity.state, ValidityState::NotRecorded);
    assert!(v.validity.note.is_some());
    assert_eq!(v.chip.id(), "not_possible");
}

#[test]
fn files_a_card_type_never_has_are_refused_not_dropped() {
    // A generation-1 residence card whose unsigned card type was changed to "2" (Special
    // Permanent Resident Certificate): its permission files must not vanish unmarked.
    let (r, _) = read("residence", "AB12345678CD");
    let mut files = r.unwrap().files;
    *files
        .get_mut(jpid_model::residence::ResidenceFile::CardType)
        .unwrap() = vec![0xC1, 0x01, b'2'];
    match residence::parse(&files) {
        Err(residence::ParseError::Malformed { file, detail }) => {
            assert_eq!(file, "df2.comprehensive_permission");
            assert!(detail.contains("card type"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    // Without those files it is a certificate's read, and parses.
    for f in [
        jpid_model::residence::ResidenceFile::ComprehensivePermission,
        jpid_model::residence::ResidenceFile::IndividualPermission,
        jpid_model::residence::ResidenceFile::RenewalApplication,
    ] {
        files.remove(f);
    }
    assert!(residence::parse(&files).is_ok());
}
