//! The My Number card's card-face AP (券面事項確認AP): the records `BirthRecord` (EF 0001),
//! `CardFace` (EF 0002), `ApBasicInfo` (EF 0003) and `MyNumberImage` (EF 0005) through their
//! `TryFrom<&[u8]>`, and `card_face::verify_card_face` over all of them and the CVC (EF 0004) under
//! the TEST trust store.
//!
//! Input: a flags byte (bit 0: EF 0001 read, bit 1: EF 0002, bit 2: EF 0003, bit 3: EF 0005),
//! then five parts (`support::parts`): EF 0001, EF 0002, EF 0003, EF 0004, EF 0005.
//!
//! Checks, beyond "no panic":
//! - dates are 8 digits with month 1-12 and day 1-31, sex one digit, a municipality code 5
//!   digits;
//! - `verify_card_face` succeeds only when every record read parses on its own, and gives back
//!   those same records;
//! - genuine exactly when there is a proof; then no reasons, every check passed, the card-face
//!   issuer id, at least one record covered and only records that were read; the expiry and the
//!   security-code image are listed as unsigned exactly when EF 0002 was read;
//! - `Debug` of a birth record and of the verdict never shows the birth date of EF 0001, and
//!   `Debug` of a My Number image never shows the image.
#![no_main]

use jpid_apdu_fuzz::support::{opt, parts, trust};
use jpid_verify::card_face::{
    verify_card_face, ApBasicInfo, BirthRecord, CardDate, CardFace, CardFaceFiles, MyNumberImage,
};
use libfuzzer_sys::fuzz_target;

fn check_date(d: &CardDate) {
    let text = d.compact();
    let s = text.as_bytes();
    assert!(
        s.len() == 8 && s.iter().all(u8::is_ascii_digit),
        "date {s:?}"
    );
    // A date that exists: it parses back to itself.
    assert_eq!(CardDate::parse(&text), Some(*d), "date {s:?}");
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let p = parts(rest, 5);
    let files = CardFaceFiles {
        birth: opt(flags, 0, p[0]),
        face: opt(flags, 1, p[1]),
        info: opt(flags, 2, p[2]),
        cvc: p[3].to_vec(),
        my_number_image: opt(flags, 3, p[4]),
    };

    // Each record on its own, whatever the flags say.
    let birth = BirthRecord::try_from(p[0]);
    if let Ok(b) = &birth {
        check_date(&b.birth_date);
        let date = b.birth_date.compact();
        let date = date.as_str();
        if !b.card_key.fingerprint().contains(date) {
            assert!(
                !format!("{b:?}").contains(date),
                "Debug shows the birth date"
            );
        }
    }
    let face = CardFace::try_from(p[1]);
    if let Ok(f) = &face {
        check_date(&f.birth_date);
        check_date(&f.expiry);
        let sex = f.sex.as_str().as_bytes();
        assert!(sex.len() == 1 && sex[0].is_ascii_digit());
    }
    let info = ApBasicInfo::try_from(p[2]);
    if let Ok(i) = &info {
        let c = i.municipality_code.as_bytes();
        assert!(c.len() == 5 && c.iter().all(u8::is_ascii_digit));
    }
    let image = MyNumberImage::try_from(p[4]);
    if let Ok(m) = &image {
        if m.image.len() >= 4 {
            let shown = format!("{m:?}");
            assert!(
                !shown.contains(&format!("{:?}", m.image)),
                "Debug shows the image"
            );
        }
    }

    // A dump's check (no chip answer), at a fixed time: the expiry may come out passed.
    let result = verify_card_face(&files, trust(), jpid_verify::UnixTime(1_800_000_000), None);
    let Ok(v) = result else {
        return;
    };
    // Success means every record read parsed on its own.
    assert!(files.birth.is_none() || birth.is_ok());
    assert!(files.face.is_none() || face.is_ok());
    assert!(files.info.is_none() || info.is_ok());
    assert!(files.my_number_image.is_none() || image.is_ok());
    assert_eq!(v.birth.is_some(), files.birth.is_some());
    assert_eq!(v.face.is_some(), files.face.is_some());
    assert_eq!(v.info.is_some(), files.info.is_some());
    assert_eq!(v.my_number_image.is_some(), files.my_number_image.is_some());
    if let (Some(a), Ok(b)) = (&v.birth, &birth) {
        assert_eq!(a.birth_date, b.birth_date);
        assert_eq!(a.card_key, b.card_key);
    }
    if let (Some(a), Ok(b)) = (&v.info, &info) {
        assert_eq!(a, b);
    }
    let face_read = files.face.is_some();
    assert_eq!(
        v.unsigned.iter().any(|u| u.item == "expiry")
            && v.unsigned.iter().any(|u| u.item == "security_code_image"),
        face_read
    );
    assert_eq!(v.genuine(), v.proof().is_some());
    // No chip answered: the verdict never says one did.
    assert_eq!(v.chip.id(), "not_applicable");
    if let Some(p) = v.proof() {
        let p = p.get();
        assert!(v.reasons.is_empty(), "genuine with reasons {:?}", v.reasons);
        assert!(
            v.checks.iter().all(|c| c.passed),
            "genuine with a failed check"
        );
        assert_eq!(
            p.issuer, "9000023",
            "a card-face AP certified by another issuer"
        );
        assert!(!p.covered.is_empty());
        for c in &p.covered {
            match *c {
                "birth_record" => assert!(files.birth.is_some()),
                "card_face" => assert!(face_read),
                "my_number_image" => assert!(files.my_number_image.is_some()),
                other => panic!("covers {other}"),
            }
        }
    }
    if let Some(b) = &v.birth {
        let date = b.birth_date.compact();
        let date = date.as_str();
        let elsewhere = format!("{:?}{:?}{:?}{:?}", v.face, v.info, v.checks, v.reasons);
        if !elsewhere.contains(date) && !b.card_key.fingerprint().contains(date) {
            assert!(
                !format!("{v:?}").contains(date),
                "Debug shows the birth date"
            );
        }
    }
});
