//! The BER-TLV reader on arbitrary bytes: `tlv::iter` and `tlv::iter_with` (both tag rules,
//! `TagRule::Ber` and `TagRule::TwoByte`), `tlv::walk` and `tlv::parse_one`.
//!
//! Checks, beyond "no panic" and "no allocation beyond the input", for each tag rule:
//! - every parsed object borrows from the input: `raw()` lies inside the input (so
//!   `raw().len() <= data.len()`), starts with the tag's bytes and ends with `value()`;
//! - `tlv::encode(tag, value)` re-parses (under the same rule) to the same tag and value, with
//!   nothing left over; it is never longer than `raw()`, and is identical to `raw()` when `raw()`
//!   used the minimal length form (so the only thing the writer normalises is the length form);
//! - `Writer::primitive` writes the same bytes as `encode`;
//! - the iterator yields its objects in input order without overlap, skips only `00` bytes
//!   between them, yields at most one error and that one last, and leaves only filler behind;
//! - re-encoding every object it found, back to back, iterates to the same tags and values
//!   (no object can be mistaken for filler, and filler is never mistaken for an object);
//! - `iter` is `iter_with(.., TagRule::Ber)`;
//! - `walk` visits depths below `MAX_DEPTH` only, fails whenever `iter` fails on the top level,
//!   and on success visits exactly `iter`'s top-level objects at depth 0, in order;
//! - `parse_one` consumes exactly `raw()` and leaves the rest of the input untouched;
//! - differential: `iter`/`iter_with` (both rules), `walk` and `parse_one` find exactly the
//!   objects (tags and byte ranges), visits and failures of an independent reference reader
//!   written from the module's documentation (`fuzz/src/lib.rs`).
#![no_main]

use jpid_apdu::tlv::{self, Tag, TagRule, Tlv, Writer, MAX_DEPTH};
use jpid_apdu_fuzz::{offset_in, reference_of, RefTlv};
use libfuzzer_sys::fuzz_target;

/// True when `inner` is a sub-slice of `outer` (same memory, not just equal bytes).
fn within(outer: &[u8], inner: &[u8]) -> bool {
    let o = outer.as_ptr() as usize;
    let i = inner.as_ptr() as usize;
    i >= o && i + inner.len() <= o + outer.len()
}

fn minimal_len_bytes(len: usize) -> usize {
    match len {
        0..=0x7F => 1,
        0x80..=0xFF => 2,
        0x100..=0xFFFF => 3,
        0x1_0000..=0xFF_FFFF => 4,
        _ => 5,
    }
}

/// Checks one object that was parsed out of `data` under `rule`.
fn check_tlv(t: &Tlv<'_>, data: &[u8], rule: TagRule) {
    let tag = t.tag();
    let raw = t.raw();
    let value = t.value();

    assert!(
        raw.len() <= data.len(),
        "raw {} > input {}",
        raw.len(),
        data.len()
    );
    assert!(within(data, raw), "raw() does not borrow from the input");
    assert!(within(raw, value), "value() is not inside raw()");
    assert!(raw.ends_with(value), "value() is not the tail of raw()");

    let tag_bytes = tag.to_bytes();
    assert!(
        (1..=3).contains(&tag_bytes.len()),
        "tag {tag:?} encodes to {tag_bytes:02X?}"
    );
    assert!(
        raw.starts_with(&tag_bytes),
        "raw() does not start with {tag:?}"
    );
    assert_eq!(Tag::new(tag.value()), tag);
    let header = raw.len() - value.len();
    assert!(header > tag_bytes.len() && header <= tag_bytes.len() + 5);
    let _ = format!("{tag} {tag:?} {}", tag.is_constructed());

    // Re-encoding re-parses, under the same rule, to the same object. (Tag `00` only comes from
    // `parse_one`, which does not skip filler; the iterators would skip its encoding `00 00` as
    // filler, so it is re-parsed with `parse_one` alone.)
    let enc = tlv::encode(tag, value);
    if tag_bytes[0] != 0 {
        let mut again = tlv::iter_with(&enc, rule);
        match again.next() {
            Some(Ok(back)) => {
                assert_eq!(back.tag(), tag, "re-encoded tag differs ({rule:?})");
                assert_eq!(back.value(), value, "re-encoded value differs ({rule:?})");
                assert_eq!(back.raw(), &enc[..]);
            }
            other => panic!(
                "encode({tag:?}, {} bytes) does not re-parse under {rule:?}: {other:?}",
                value.len()
            ),
        }
        assert!(again.next().is_none(), "re-encoded object followed by more");
    } else {
        assert_eq!(rule, TagRule::Ber, "tag 00 from an iterator");
    }
    if rule == TagRule::Ber {
        match tlv::parse_one(&enc) {
            Ok((back, rest)) => {
                assert_eq!(
                    (back.tag(), back.value(), back.raw()),
                    (tag, value, &enc[..])
                );
                assert!(rest.is_empty());
            }
            Err(e) => panic!("parse_one(encode({tag:?}, ..)) failed: {e}"),
        }
    }
    assert!(
        enc.len() <= raw.len(),
        "minimal encoding longer than the input's"
    );
    if header == tag_bytes.len() + minimal_len_bytes(value.len()) {
        assert_eq!(
            &enc[..],
            raw,
            "minimal-length object does not re-encode byte for byte"
        );
    }
    assert_eq!(Writer::new().primitive(tag, value).finish(), enc);
}

/// Everything `iter_with(data, rule)` yields, checked; returns the objects and whether it
/// stopped at an error.
fn check_sequence(data: &[u8], rule: TagRule) -> (Vec<Tlv<'_>>, bool) {
    let mut items: Vec<Tlv<'_>> = Vec::new();
    let mut failed = false;
    let mut next_free = 0usize;
    for r in tlv::iter_with(data, rule) {
        assert!(!failed, "iter yielded something after an error ({rule:?})");
        match r {
            Ok(t) => {
                check_tlv(&t, data, rule);
                let at = offset_in(data, t.raw());
                assert!(at >= next_free, "objects out of order or overlapping");
                // Only 00 filler may stand between objects.
                assert!(
                    data[next_free..at].iter().all(|b| *b == 0),
                    "non-zero bytes skipped ({rule:?})"
                );
                next_free = at + t.raw().len();
                items.push(t);
            }
            Err(e) => {
                let _ = e.to_string();
                failed = true;
            }
        }
    }
    if !failed {
        // What is left after the last object is filler: 00s, then (optionally) FFs to the end.
        let tail = &data[next_free..];
        let zeros = tail.iter().take_while(|b| **b == 0).count();
        assert!(
            tail[zeros..].iter().all(|b| *b == 0xFF),
            "trailing bytes were not filler ({rule:?})"
        );
    }

    // Re-encode the sequence back to back: it must iterate to the same objects.
    let mut w = Writer::new();
    for t in &items {
        w.primitive(t.tag(), t.value());
    }
    let seq = w.finish();
    match tlv::iter_with(&seq, rule).collect::<Result<Vec<_>, _>>() {
        Ok(again) => {
            assert_eq!(
                again.len(),
                items.len(),
                "re-encoded sequence has another count"
            );
            for (a, b) in again.iter().zip(&items) {
                assert_eq!(a.tag(), b.tag());
                assert_eq!(a.value(), b.value());
            }
        }
        Err(e) => panic!("re-encoded sequence does not parse under {rule:?}: {e}"),
    }

    // Differential: against the reference reader.
    let (ref_items, ref_failed) = jpid_apdu_fuzz::parse_seq(data, rule);
    let got: Vec<RefTlv> = items.iter().map(|t| reference_of(data, t)).collect();
    assert_eq!(
        got, ref_items,
        "{rule:?}: iter and the reference reader disagree on objects"
    );
    assert_eq!(
        failed, ref_failed,
        "{rule:?}: iter and the reference reader disagree on failure"
    );
    (items, failed)
}

fuzz_target!(|data: &[u8]| {
    let (items, iter_failed) = check_sequence(data, TagRule::Ber);
    let _ = check_sequence(data, TagRule::TwoByte);
    assert!(
        tlv::iter(data).eq(tlv::iter_with(data, TagRule::Ber)),
        "iter differs from iter_with(Ber)"
    );

    // walk with a visitor.
    let mut top: Vec<Tlv<'_>> = Vec::new();
    let mut visits = 0usize;
    let mut walk_seen: Vec<(usize, RefTlv)> = Vec::new();
    let walked = tlv::walk(data, &mut |depth, t| {
        assert!(depth < MAX_DEPTH, "visited depth {depth}");
        check_tlv(t, data, TagRule::Ber);
        visits += 1;
        walk_seen.push((depth, reference_of(data, t)));
        if depth == 0 {
            top.push(*t);
        }
    });
    let mut ref_walk = Vec::new();
    let ref_walk_ok = jpid_apdu_fuzz::walk(data, MAX_DEPTH, &mut ref_walk);
    assert_eq!(
        walk_seen, ref_walk,
        "walk and the reference walk visit different objects"
    );
    assert_eq!(
        walked.is_ok(),
        ref_walk_ok,
        "walk and the reference walk disagree on failure"
    );
    match walked {
        Ok(()) => {
            assert!(!iter_failed, "walk succeeded where iter failed");
            assert_eq!(top, items, "walk's depth-0 objects differ from iter's");
        }
        Err(e) => {
            let _ = e.to_string();
            // Whatever walk saw at depth 0 before failing is a prefix of iter's objects.
            assert!(
                top.len() <= items.len(),
                "walk saw more top-level objects than iter"
            );
            assert_eq!(&items[..top.len()], &top[..]);
        }
    }
    // Each visit covers at least two bytes of its level, and there are MAX_DEPTH levels.
    assert!(visits <= data.len() * MAX_DEPTH);

    // parse_one: no filler skipping, exact split.
    let ref_one = jpid_apdu_fuzz::parse_at(data, 0, TagRule::Ber);
    let starts_with_object =
        data.first().is_some_and(|b| *b != 0) && !data.iter().all(|b| *b == 0xFF);
    match tlv::parse_one(data) {
        Ok((t, rest)) => {
            assert_eq!(
                Some(reference_of(data, &t)),
                ref_one,
                "parse_one differs from the reference"
            );
            check_tlv(&t, data, TagRule::Ber);
            assert_eq!(t.raw().len() + rest.len(), data.len());
            assert_eq!(t.raw(), &data[..t.raw().len()]);
            assert_eq!(rest, &data[t.raw().len()..]);
            // Without leading filler, iter's first object is the same one.
            if starts_with_object {
                assert_eq!(items.first(), Some(&t));
            }
        }
        Err(e) => {
            let _ = e.to_string();
            assert_eq!(
                ref_one, None,
                "parse_one refused what the reference reader accepts"
            );
            if starts_with_object {
                assert!(
                    items.is_empty() && iter_failed,
                    "iter parsed what parse_one refused"
                );
            }
        }
    }
});
