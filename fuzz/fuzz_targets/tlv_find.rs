//! `tlv::find`, `tlv::require`, `tlv::expect_single` and the `Tlv::child*` look-ups.
//!
//! Input layout: a selector byte, then (for some selectors) tag bytes, then the TLV bytes.
//! - `00`-`3F`: a tag the cards use (`C1`, `FF10`, `FF20`, `DF21`, `7F21`, `5F4E`, ...);
//! - `40`-`7F`: the tag of the (selector & 3F)-th top-level object of the rest, so look-ups hit;
//! - `80`-`FF`: the next one to three bytes taken as the tag value verbatim (including values
//!   no parser can produce, e.g. `00 00` or a 2-byte value without the `1F` marker).
//!
//! Checks, beyond "no panic":
//! - `find` returns the first top-level object with the tag, `Ok(None)` when there is none, and
//!   the reading error when a malformed object comes before any match; all agreeing with an
//!   independent reference reader (`fuzz/src/lib.rs`);
//! - `require` is `find` with `Missing(tag)` for `None`;
//! - `expect_single` returns the first object when its tag matches and only filler follows,
//!   `Trailing` naming the next tag (or none, when what follows is malformed) when more
//!   follows, `Unexpected` naming both tags when the first tag differs, `Missing` on
//!   empty/filler-only input, and the reading error when the first object is malformed;
//! - for found objects, and recursively for constructed children (bounded depth),
//!   `child`/`require_child`/`children` agree with `find`/`require`/`iter` on `value()`, and
//!   every child tag that occurs is found at its first occurrence.
#![no_main]

use jpid_apdu::tlv::{self, Tag, TagRule, Tlv, TlvError};
use jpid_apdu_fuzz::{offset_in, parse_seq, reference_of, RefTlv};
use libfuzzer_sys::fuzz_target;

/// Tags from the fact sheets (residence-card.md §3, mynumber-card.md §2-5) plus a few generic
/// ones.
const KNOWN: [u32; 48] = [
    0xC0, 0xC1, 0xC2, 0xC5, 0xC6, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xDA, 0xDB, 0xDC,
    0xDD, 0xDFD1, 0xFF10, 0xFF20, 0xFF30, 0xFF40, 0xFF50, 0xDF11, 0xDF21, 0xDF22, 0xDF23, 0xDF24,
    0xDF25, 0xDF27, 0xDF28, 0xDF29, 0xDF31, 0xDF32, 0xDF33, 0xDF41, 0xDF51, 0xDF52, 0x7F21, 0x5F4E,
    0x5F37, 0x86, 0x96, 0x90, 0x91, 0xA1, 0x30, 0x04,
];

/// How deep the child checks descend into found constructed objects.
const CHILD_DEPTH: usize = 4;
/// How many distinct tags per level are looked up (keeps each run linear-ish).
const TAGS_PER_LEVEL: usize = 8;

/// What `find(input, tag)` must return, from the reference reader: the index of the first
/// match, `None` when there is none, or `Err(())` when reading fails first.
fn expected_find(objs: &[RefTlv], failed: bool, tag: Tag) -> Result<Option<usize>, ()> {
    match objs.iter().position(|o| o.tag == tag.value()) {
        Some(i) => Ok(Some(i)),
        None if failed => Err(()),
        None => Ok(None),
    }
}

/// The error `iter` reports for `input`, if any.
fn iter_error(input: &[u8]) -> Option<TlvError> {
    tlv::iter(input).find_map(Result::err)
}

/// Checks `find`/`require` on `input` (a slice of `whole`) for `tag`.
fn check_find(whole: &[u8], input: &[u8], tag: Tag) {
    let base = offset_in(whole, input);
    let (objs, failed) = parse_seq(input, TagRule::Ber);
    let expected = expected_find(&objs, failed, tag);
    let found = tlv::find(input, tag);
    match (&found, expected) {
        (Ok(Some(t)), Ok(Some(i))) => {
            assert_eq!(t.tag(), tag);
            let mut want = objs[i];
            want.start += base;
            want.value_start += base;
            want.end += base;
            assert_eq!(reference_of(whole, t), want, "find returned another object");
        }
        (Ok(None), Ok(None)) => {}
        (Err(e), Err(())) => assert_eq!(Some(e.clone()), iter_error(input)),
        (got, want) => panic!("find({tag:?}) = {got:?}, reference says {want:?}"),
    }
    match (tlv::require(input, tag), found) {
        (Ok(a), Ok(Some(b))) => assert_eq!(a, b),
        (Err(TlvError::Missing(t)), Ok(None)) => assert_eq!(t, tag),
        (Err(a), Err(b)) => assert_eq!(a, b),
        (got, f) => panic!("require({tag:?}) = {got:?} but find = {f:?}"),
    }
}

fn check_expect_single(input: &[u8], tag: Tag) {
    let (objs, failed) = parse_seq(input, TagRule::Ber);
    let first = tlv::iter(input).next();
    let got = tlv::expect_single(input, tag);
    match (&got, objs.first()) {
        (Ok(t), Some(o)) => {
            assert_eq!(t.tag(), tag);
            assert_eq!(
                reference_of(input, t),
                *o,
                "expect_single returned another object"
            );
            assert!(
                objs.len() == 1 && !failed,
                "expect_single({tag:?}) accepted {} more object(s) / malformed bytes after the \
                 first object; only filler may follow",
                objs.len() - 1
            );
        }
        (Err(TlvError::Unexpected { expected, found }), Some(o)) => {
            assert_eq!(*expected, tag);
            assert_eq!(found.value(), o.tag);
            assert_ne!(o.tag, tag.value());
        }
        (Err(TlvError::Trailing { after, found }), Some(o)) => {
            assert_eq!(*after, tag);
            assert_eq!(
                o.tag,
                tag.value(),
                "Trailing reported for a first object of another tag"
            );
            match objs.get(1) {
                Some(second) => assert_eq!(*found, Some(Tag::new(second.tag))),
                None => {
                    assert!(
                        failed,
                        "Trailing reported for a lone {tag:?} followed by filler"
                    );
                    assert_eq!(*found, None);
                }
            }
        }
        (Err(TlvError::Missing(t)), None) => {
            assert_eq!(*t, tag);
            assert!(!failed, "Missing reported for malformed input");
        }
        (Err(e), None) => {
            assert!(failed, "expect_single error {e:?} on well-formed input");
            assert_eq!(first, Some(Err(e.clone())));
        }
        (got, first) => panic!("expect_single({tag:?}) = {got:?}, reference first = {first:?}"),
    }
}

/// Child look-ups on `t` (found in `whole`), and recursion into constructed children.
fn check_children(whole: &[u8], t: &Tlv<'_>, tag: Tag, depth: usize) {
    let value = t.value();
    let via_children: Vec<_> = t.children().collect();
    let via_iter: Vec<_> = tlv::iter(value).collect();
    assert_eq!(via_children, via_iter);

    let mut tags = vec![tag];
    for c in via_iter.iter().filter_map(|r| r.as_ref().ok()) {
        if tags.len() >= TAGS_PER_LEVEL {
            break;
        }
        if !tags.contains(&c.tag()) {
            tags.push(c.tag());
        }
    }
    for &wanted in &tags {
        check_find(whole, value, wanted);
        assert_eq!(t.child(wanted), tlv::find(value, wanted));
        assert_eq!(t.require_child(wanted), tlv::require(value, wanted));
        if depth < CHILD_DEPTH {
            if let Ok(Some(c)) = t.child(wanted) {
                if c.tag().is_constructed() {
                    check_children(whole, &c, tag, depth + 1);
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, after)) = data.split_first() else {
        return;
    };
    let (tag, rest) = match selector {
        0x00..=0x3F => (Tag::new(KNOWN[usize::from(selector) % KNOWN.len()]), after),
        0x40..=0x7F => {
            let (objs, _) = parse_seq(after, TagRule::Ber);
            let k = usize::from(selector & 0x3F);
            match objs.get(k % objs.len().max(1)) {
                Some(o) => (Tag::new(o.tag), after),
                None => (Tag::new(KNOWN[k % KNOWN.len()]), after),
            }
        }
        _ => {
            let n = usize::from(selector & 0x03) % 3 + 1;
            let n = n.min(after.len());
            let (tag_bytes, rest) = after.split_at(n);
            let v = tag_bytes
                .iter()
                .fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
            (Tag::new(v), rest)
        }
    };

    check_find(data, rest, tag);
    check_expect_single(rest, tag);

    // Every top-level tag present (a few) is found at its first occurrence.
    let (objs, _) = parse_seq(rest, TagRule::Ber);
    let mut seen: Vec<u32> = Vec::new();
    for o in &objs {
        if seen.len() >= TAGS_PER_LEVEL {
            break;
        }
        if !seen.contains(&o.tag) {
            seen.push(o.tag);
            check_find(data, rest, Tag::new(o.tag));
            check_expect_single(rest, Tag::new(o.tag));
        }
    }

    // Children of whatever was found, constructed or not (the API allows both).
    if let Ok(Some(t)) = tlv::find(rest, tag) {
        check_children(data, &t, tag, 0);
    }
    if let Ok(t) = tlv::expect_single(rest, tag) {
        check_children(data, &t, tag, 0);
    }
});
