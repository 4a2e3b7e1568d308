//! The My Number card's text AP (券面事項入力補助AP): its card-verifiable certificate
//! (`mynumber::Cvc::parse`, `issuer`, `signed_by`) and the whole verification of its four files
//! (`mynumber::verify_text`) under the TEST trust store.
//!
//! Input: a flags byte (bit 0: EF 0001 was read, bit 1: EF 0002 was read, bit 2: EF 0007 was
//! read, bit 3: the chip answered a challenge), then six parts (`support::parts`): EF 0001 (My
//! Number), EF 0002 (basic four), EF 0003 (integrity record), EF 0004 (CVC), EF 0007 (card key),
//! the chip's answer.
//!
//! Checks, beyond "no panic":
//! - a parsed CVC has 16-byte issuer and subject key ids and `issuer()` is the issuer id's
//!   first 7 bytes (`signed_by` runs inside `verify_text`, for the key the CVC names);
//! - `verify_text` is genuine exactly when it has a proof, and then has no reasons, passed every
//!   check, chains to the text AP's issuer id, and covers only files that were read;
//! - a My Number in the verdict is 12 ASCII digits and only present when EF 0001 was read;
//! - neither the verdict's nor the files' `Debug` shows the My Number;
//! - the chip facet is `not_applicable` without an answer, and a genuine verdict with an answer
//!   says the chip authenticated (an answer that does not verify is never genuine).
#![no_main]

use jpid_apdu_fuzz::support::{opt, parts, trust};
use jpid_verify::cvc::Cvc;
use jpid_verify::text::{verify_text, ChipAnswer, TextFiles};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let p = parts(rest, 6);
    let files = TextFiles {
        my_number: opt(flags, 0, p[0]),
        basic: opt(flags, 1, p[1]),
        integrity: p[2].to_vec(),
        cvc: p[3].to_vec(),
        card_key: opt(flags, 2, p[4]),
    };
    let answer = (flags & 8 != 0).then(|| ChipAnswer {
        challenge: b"fuzz challenge".to_vec(),
        signature: p[5].to_vec(),
    });

    if let Ok(cvc) = Cvc::parse(&files.cvc) {
        assert_eq!(cvc.issuer_id.len(), 16);
        assert_eq!(cvc.subject_id.len(), 16);
        assert_eq!(
            cvc.issuer(),
            String::from_utf8_lossy(&cvc.issuer_id[..7]),
            "issuer() is not the id's first 7 bytes"
        );
    }

    let at = jpid_verify::UnixTime(1_800_000_000);
    let Ok(v) = verify_text(&files, trust(), at, answer.as_ref()) else {
        return;
    };
    assert_eq!(v.genuine(), v.proof().is_some());
    match (&answer, v.genuine()) {
        (None, _) => assert_eq!(v.chip.id(), "not_applicable"),
        (Some(_), true) => assert_eq!(v.chip.id(), "yes"),
        (Some(_), false) => assert_ne!(v.chip.id(), "not_applicable"),
    }
    if let Some(p) = v.proof() {
        assert!(v.reasons.is_empty(), "genuine with reasons {:?}", v.reasons);
        assert!(
            v.checks.iter().all(|c| c.passed),
            "genuine with a failed check"
        );
        assert_eq!(
            p.get().issuer,
            "9000033",
            "a text AP certified by another issuer"
        );
        for c in &p.get().covered {
            match *c {
                "my_number" => assert!(files.my_number.is_some()),
                "basic_four" => assert!(files.basic.is_some()),
                other => panic!("covers {other}"),
            }
        }
        assert!(!p.get().covered.is_empty());
    }
    assert_eq!(v.basic.is_some(), files.basic.is_some());
    assert_eq!(v.my_number.is_some(), files.my_number.is_some());
    if let Some(n) = &v.my_number {
        assert!(n.len() == 12 && n.bytes().all(|b| b.is_ascii_digit()));
        let elsewhere = format!("{:?}{:?}{:?}", v.basic, v.checks, v.reasons);
        if !elsewhere.contains(n.as_str()) {
            assert!(
                !format!("{v:?}").contains(n.as_str()),
                "Debug shows the My Number"
            );
            assert!(
                !format!("{files:?}").contains(n.as_str()),
                "Debug shows EF 0001"
            );
        }
    }
});
