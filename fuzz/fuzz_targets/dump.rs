//! Dump files (`dump::ResidenceDump`, `TextDump`, `FaceDump` `::from_json`) and what the
//! verifier does with a residence dump's files: `residence::parse`, then `residence::verify`
//! under the TEST trust store at the dump's own read time.
//!
//! Input: the JSON text (non-UTF-8 inputs are skipped, as `&str` cannot hold them).
//!
//! Checks, beyond "no panic":
//! - the one dump parser decides the same on the text and on a JSON value of it
//!   (`from_json` and `from_value`), with the same dump, except that only the text can hold a
//!   field twice (refused there; a JSON value keeps the last one);
//! - every accepted dump writes back (`to_json`) to JSON that parses to the same dump;
//! - a text dump written without the My Number has no `my_number` file, and a face dump
//!   written without the image has no `my_number_image`;
//! - a residence dump holds only the file names docs/dump.md lists ("unknown file names are
//!   refused");
//! - a parsed card's generation and kind match its `mf.card_type` file; a verdict is genuine
//!   exactly with a proof, and then has no reasons and every check passed, and the proof's
//!   digest is SHA-256 of `signed_data()`.
#![no_main]

use jpid_apdu_fuzz::support::trust;
use jpid_model::dump::{FaceDump, ResidenceDump, TextDump};
use jpid_model::ResidenceFile;
use jpid_verify::residence;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

/// Whether any object in the JSON `text` names a key twice: a JSON value keeps only the last
/// one, while the text parser may refuse the text for an error in an earlier one (a bad
/// base64 file, say) before it notices the repeat.
fn repeats_a_key(text: &str) -> bool {
    use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    struct Repeats(bool);
    impl<'de> Deserialize<'de> for Repeats {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(Walk)
        }
    }
    struct Walk;
    impl<'de> Visitor<'de> for Walk {
        type Value = Repeats;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Repeats, A::Error> {
            let mut seen = std::collections::HashSet::new();
            let mut repeats = false;
            while let Some(k) = m.next_key::<String>()? {
                repeats |= !seen.insert(k);
                repeats |= m.next_value::<Repeats>()?.0;
            }
            Ok(Repeats(repeats))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Repeats, A::Error> {
            let mut repeats = false;
            while let Some(r) = s.next_element::<Repeats>()? {
                repeats |= r.0;
            }
            Ok(Repeats(repeats))
        }
        fn visit_bool<E>(self, _: bool) -> Result<Repeats, E> {
            Ok(Repeats(false))
        }
        fn visit_i64<E>(self, _: i64) -> Result<Repeats, E> {
            Ok(Repeats(false))
        }
        fn visit_u64<E>(self, _: u64) -> Result<Repeats, E> {
            Ok(Repeats(false))
        }
        fn visit_f64<E>(self, _: f64) -> Result<Repeats, E> {
            Ok(Repeats(false))
        }
        fn visit_str<E>(self, _: &str) -> Result<Repeats, E> {
            Ok(Repeats(false))
        }
        fn visit_unit<E>(self) -> Result<Repeats, E> {
            Ok(Repeats(false))
        }
    }
    serde_json::from_str::<Repeats>(text).is_ok_and(|r| r.0)
}

fn same_opt(a: &Option<Vec<u8>>, b: &Option<Vec<u8>>) -> bool {
    a == b
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    // The text and a JSON value of it are read by the same parser, with the same decision.
    let parsed = ResidenceDump::from_json(text);
    if text.len() <= jpid_model::dump::MAX_DUMP_BYTES {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
            match (&parsed, ResidenceDump::from_value(&v)) {
                (Ok(a), Ok(b)) => assert_eq!(
                    format!("{:?}", a.to_json()),
                    format!("{:?}", b.to_json()),
                    "the text and its JSON value read as different dumps"
                ),
                // Positions in serde's messages differ between the text and the re-encoded
                // value; the decision may not.
                (Err(_), Err(_)) => {}
                // A JSON value cannot hold a field twice (the last one wins), so only the text
                // can be refused for it, or for an error in a value the JSON value dropped.
                (Err(_), Ok(_)) if repeats_a_key(text) => {}
                (a, b) => panic!("one form accepted, the other refused: {a:?} / {b:?}"),
            }
        }
    }
    if let Ok(d) = parsed {
        for (file, _) in d.files.iter() {
            assert_eq!(
                ResidenceFile::from_name(file.name()),
                Some(file),
                "a residence dump with a file docs/dump.md does not list was accepted"
            );
        }
        let again = ResidenceDump::from_value(&d.to_json()).expect("own JSON parses");
        assert_eq!(again.read_at, d.read_at);
        assert_eq!(again.reader, d.reader);
        assert_eq!(again.card_type, d.card_type);
        assert_eq!(again.generation, d.generation);
        assert_eq!(again.files, d.files);

        if let Ok(card) = residence::parse(&d.files) {
            let (generation, is_residence) = match card.card_type.value() {
                "1" => (1, true),
                "2" => (1, false),
                "05" => (2, true),
                "06" => (2, false),
                other => panic!("parsed card type {other:?}"),
            };
            assert_eq!(card.generation, generation);
            assert_eq!(card.is_residence_card, is_residence);
            let v = residence::verify(&card, trust(), d.read_at, residence::ReadFrom::Dump);
            assert_eq!(v.genuine(), v.proof().is_some());
            if let Some(p) = v.proof() {
                assert!(v.reasons.is_empty(), "genuine with reasons");
                assert!(
                    v.checks.iter().all(|c| c.passed),
                    "genuine with a failed check"
                );
                let digest: [u8; 32] = Sha256::digest(card.signed_data()).into();
                assert_eq!(p.get().signed_data_sha256, digest);
                assert_eq!(p.get().card_type, card.card_type);
            }
        }
    }

    if let Ok(d) = TextDump::from_json(text) {
        let again = TextDump::from_value(&d.to_json(true)).expect("own JSON parses");
        assert_eq!(again.read_at, d.read_at);
        assert_eq!(again.reader, d.reader);
        assert!(same_opt(&again.files.my_number, &d.files.my_number));
        assert!(same_opt(&again.files.basic, &d.files.basic));
        assert_eq!(again.files.integrity, d.files.integrity);
        assert_eq!(again.files.cvc, d.files.cvc);
        let hidden = d.to_json(false);
        assert!(
            hidden["files"].get("my_number").is_none(),
            "My Number written unasked"
        );
        match TextDump::from_value(&hidden) {
            Ok(h) => assert!(h.files.my_number.is_none()),
            Err(_) => assert!(d.files.basic.is_none(), "refused without the My Number"),
        }
    }

    if let Ok(d) = FaceDump::from_json(text) {
        let again = FaceDump::from_value(&d.to_json(true)).expect("own JSON parses");
        assert_eq!(again.read_at, d.read_at);
        assert_eq!(again.reader, d.reader);
        let (a, b) = (&again.files, &d.files);
        assert!(same_opt(&a.birth, &b.birth) && same_opt(&a.face, &b.face));
        assert!(same_opt(&a.info, &b.info) && same_opt(&a.my_number_image, &b.my_number_image));
        assert_eq!(a.cvc, b.cvc);
        let hidden = d.to_json(false);
        assert!(
            hidden["files"].get("my_number_image").is_none(),
            "image written unasked"
        );
        if let Ok(h) = FaceDump::from_value(&hidden) {
            assert!(h.files.my_number_image.is_none());
        }
    }
});
