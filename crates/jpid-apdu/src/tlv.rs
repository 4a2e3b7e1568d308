//! BER-TLV as the cards use it (ISO/IEC 7816-4 §5.2, ISO/IEC 8825-1 for the length forms).
//!
//! - Tags of one to three bytes: `C1`, `5F4E`, `7F21`, `DF21`, `FF20`, `DFD1` all appear on the
//!   cards (`docs/spec/residence-card.md` §3, `docs/spec/mynumber-card.md` §3–4).
//! - Lengths in short form (`00`–`7F`) or long form `81`–`84`; the indefinite form `80` is refused.
//! - `00` bytes before and between objects and trailing `00`/`FF` filler are skipped: card files are
//!   zero- or `FF`-padded after their last object. A run of `FF` counts as filler only when it runs
//!   to the end of the input, because `FF` also starts real tags (`FF 20`).
//!
//! Every read is bounds-checked against the input: a declared length longer than the bytes present
//! is an error, never an allocation or a panic.

use std::fmt;

/// Nesting deeper than this is refused by [`walk`]; no card file nests more than four levels.
pub const MAX_DEPTH: usize = 16;

/// Errors from parsing BER-TLV.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlvError {
    /// The input ended inside a tag.
    #[error("TLV input ends inside a tag at offset {offset}")]
    TruncatedTag {
        /// Offset of the tag's first byte.
        offset: usize,
    },
    /// A tag longer than three bytes.
    #[error("tag at offset {offset} is longer than 3 bytes")]
    TagTooLong {
        /// Offset of the tag's first byte.
        offset: usize,
    },
    /// The input ended inside a length field.
    #[error("TLV input ends inside the length of tag {tag}")]
    TruncatedLength {
        /// The tag whose length was cut.
        tag: Tag,
    },
    /// The indefinite length form (`80`), which no card file uses.
    #[error("tag {tag} uses the indefinite length form")]
    IndefiniteLength {
        /// The tag.
        tag: Tag,
    },
    /// A long-form length of more than four bytes.
    #[error("tag {tag} has a {bytes}-byte length field (at most 4 allowed)")]
    LengthTooLong {
        /// The tag.
        tag: Tag,
        /// Bytes announced by the first length byte.
        bytes: u8,
    },
    /// The declared length runs past the end of the input.
    #[error("tag {tag} declares {declared} value bytes but only {available} remain")]
    ValueTruncated {
        /// The tag.
        tag: Tag,
        /// Declared length.
        declared: u64,
        /// Bytes actually present.
        available: usize,
    },
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("TLV nesting deeper than {0} levels")]
    TooDeep(usize),
    /// Data after the one object a file or answer may hold.
    #[error("unexpected data after tag {after}{}", match .found { Some(t) => format!(" (tag {t})"), None => String::new() })]
    Trailing {
        /// The object that should have been alone.
        after: Tag,
        /// The tag of what followed, if it parsed.
        found: Option<Tag>,
    },
    /// A required tag is absent.
    #[error("required tag {0} is missing")]
    Missing(Tag),
    /// A different tag stood where one was required.
    #[error("expected tag {expected}, found {found}")]
    Unexpected {
        /// The tag required.
        expected: Tag,
        /// The tag found.
        found: Tag,
    },
}

/// A BER tag of one to three bytes, held as its big-endian value (`0xDF21` for `DF 21`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(u32);

impl Tag {
    /// A tag from its encoded bytes read as a big-endian number, e.g. `Tag::new(0x5F4E)`.
    pub const fn new(value: u32) -> Self {
        Self(value)
    }

    /// The tag's value.
    pub const fn value(self) -> u32 {
        self.0
    }

    fn first_byte(self) -> u8 {
        let [_, a, b, c] = self.0.to_be_bytes();
        if a != 0 {
            a
        } else if b != 0 {
            b
        } else {
            c
        }
    }

    /// True for constructed tags (bit 6 of the first byte), whose value is more TLVs.
    pub fn is_constructed(self) -> bool {
        self.first_byte() & 0x20 != 0
    }

    /// The tag's encoded bytes.
    pub fn to_bytes(self) -> Vec<u8> {
        let bytes = self.0.to_be_bytes();
        let skip = bytes.iter().take(3).take_while(|b| **b == 0).count();
        bytes.iter().skip(skip).copied().collect()
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.to_bytes() {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({self})")
    }
}

/// One parsed TLV, borrowing the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    tag: Tag,
    value: &'a [u8],
    raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// The tag.
    pub fn tag(&self) -> Tag {
        self.tag
    }
    /// The value bytes.
    pub fn value(&self) -> &'a [u8] {
        self.value
    }
    /// The whole encoded object: tag, length and value (what signatures over "the TLV" cover).
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }
    /// The objects inside a constructed value.
    pub fn children(&self) -> TlvIter<'a> {
        iter(self.value)
    }
    /// The first child with `tag`, if any.
    pub fn child(&self, tag: Tag) -> Result<Option<Tlv<'a>>, TlvError> {
        find(self.value, tag)
    }
    /// The first child with `tag`, or [`TlvError::Missing`].
    pub fn require_child(&self, tag: Tag) -> Result<Tlv<'a>, TlvError> {
        require(self.value, tag)
    }
}

/// Parses the TLV at the start of `input` (no filler skipping) and returns it with the rest.
pub fn parse_one(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    parse_at(input, 0, TagRule::Ber)
}

/// How multi-byte tags end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagRule {
    /// ISO/IEC 8825-1: subsequent bytes continue while bit 8 is set; up to 3 bytes.
    Ber,
    /// At most two bytes, the second taken whole. The generation-2 residence card defines its
    /// tags as one or two bytes and uses `DF D1`, whose second byte has bit 8 set
    /// (docs/spec/residence-card.md §3; ERG's transcription of the spec, p. 7).
    TwoByte,
}

fn parse_at(input: &[u8], base: usize, rule: TagRule) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    let (tag, after_tag) = parse_tag(input, base, rule)?;
    let (len, after_len) = parse_len(after_tag, tag)?;
    let available = after_len.len();
    let declared = len;
    let len = usize::try_from(len)
        .ok()
        .filter(|l| *l <= available)
        .ok_or(TlvError::ValueTruncated {
            tag,
            declared,
            available,
        })?;
    let (value, rest) = after_len.split_at(len);
    let raw_len = input.len() - rest.len();
    let (raw, _) = input.split_at(raw_len);
    Ok((Tlv { tag, value, raw }, rest))
}

fn parse_tag(input: &[u8], offset: usize, rule: TagRule) -> Result<(Tag, &[u8]), TlvError> {
    let (&first, mut rest) = input
        .split_first()
        .ok_or(TlvError::TruncatedTag { offset })?;
    let mut value = u32::from(first);
    if first & 0x1F == 0x1F {
        let mut count = 1;
        loop {
            let (&b, r) = rest
                .split_first()
                .ok_or(TlvError::TruncatedTag { offset })?;
            rest = r;
            count += 1;
            if count > 3 {
                return Err(TlvError::TagTooLong { offset });
            }
            value = (value << 8) | u32::from(b);
            if b & 0x80 == 0 || rule == TagRule::TwoByte {
                break;
            }
        }
    }
    Ok((Tag(value), rest))
}

fn parse_len(input: &[u8], tag: Tag) -> Result<(u64, &[u8]), TlvError> {
    let (&first, rest) = input
        .split_first()
        .ok_or(TlvError::TruncatedLength { tag })?;
    match first {
        0x00..=0x7F => Ok((u64::from(first), rest)),
        0x80 => Err(TlvError::IndefiniteLength { tag }),
        0x81..=0x84 => {
            let n = usize::from(first & 0x7F);
            if rest.len() < n {
                return Err(TlvError::TruncatedLength { tag });
            }
            let (len_bytes, rest) = rest.split_at(n);
            let len = len_bytes
                .iter()
                .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            Ok((len, rest))
        }
        _ => Err(TlvError::LengthTooLong {
            tag,
            bytes: first & 0x7F,
        }),
    }
}

/// Iterates over the objects of `input`, skipping `00` filler and stopping at trailing `FF` filler.
pub fn iter(input: &[u8]) -> TlvIter<'_> {
    iter_with(input, TagRule::Ber)
}

/// [`iter`] with a given [`TagRule`].
pub fn iter_with(input: &[u8], rule: TagRule) -> TlvIter<'_> {
    TlvIter {
        input,
        offset: 0,
        failed: false,
        rule,
    }
}

/// Iterator returned by [`iter`]; yields at most one error, then stops.
#[derive(Debug, Clone)]
pub struct TlvIter<'a> {
    input: &'a [u8],
    offset: usize,
    failed: bool,
    rule: TagRule,
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = Result<Tlv<'a>, TlvError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let zeros = self.input.iter().take_while(|b| **b == 0).count();
        let (_, rest) = self.input.split_at(zeros);
        self.offset += zeros;
        self.input = rest;
        if self.input.iter().all(|b| *b == 0xFF) {
            self.input = &[];
            return None;
        }
        match parse_at(self.input, self.offset, self.rule) {
            Ok((tlv, rest)) => {
                self.offset += self.input.len() - rest.len();
                self.input = rest;
                Some(Ok(tlv))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// The first top-level object of `input` with `tag`.
pub fn find(input: &[u8], tag: Tag) -> Result<Option<Tlv<'_>>, TlvError> {
    for tlv in iter(input) {
        let tlv = tlv?;
        if tlv.tag == tag {
            return Ok(Some(tlv));
        }
    }
    Ok(None)
}

/// The first top-level object of `input` with `tag`, or [`TlvError::Missing`].
pub fn require(input: &[u8], tag: Tag) -> Result<Tlv<'_>, TlvError> {
    find(input, tag)?.ok_or(TlvError::Missing(tag))
}

/// Parses the single object a card file holds and checks its tag; anything after it other than
/// `00`/`FF` filler is an error.
pub fn expect_single(input: &[u8], tag: Tag) -> Result<Tlv<'_>, TlvError> {
    let mut objects = iter(input);
    let first = objects.next().ok_or(TlvError::Missing(tag))??;
    if first.tag != tag {
        return Err(TlvError::Unexpected {
            expected: tag,
            found: first.tag,
        });
    }
    match objects.next() {
        None => Ok(first),
        Some(Ok(extra)) => Err(TlvError::Trailing {
            after: tag,
            found: Some(extra.tag),
        }),
        Some(Err(_)) => Err(TlvError::Trailing {
            after: tag,
            found: None,
        }),
    }
}

/// Calls `visit(depth, tlv)` for every object in `input`, descending into constructed ones,
/// refusing nesting deeper than [`MAX_DEPTH`].
pub fn walk<'a>(input: &'a [u8], visit: &mut dyn FnMut(usize, &Tlv<'a>)) -> Result<(), TlvError> {
    walk_at(input, 0, visit)
}

fn walk_at<'a>(
    input: &'a [u8],
    depth: usize,
    visit: &mut dyn FnMut(usize, &Tlv<'a>),
) -> Result<(), TlvError> {
    if depth >= MAX_DEPTH {
        return Err(TlvError::TooDeep(MAX_DEPTH));
    }
    for tlv in iter(input) {
        let tlv = tlv?;
        visit(depth, &tlv);
        if tlv.tag.is_constructed() {
            walk_at(tlv.value, depth + 1, visit)?;
        }
    }
    Ok(())
}

/// Appends the minimal BER length encoding of `len` (up to 4 bytes of length).
pub fn push_len(out: &mut Vec<u8>, len: usize) {
    let bytes = (len as u64).to_be_bytes();
    match len {
        0..=0x7F => out.push(bytes[7]),
        0x80..=0xFF => out.extend_from_slice(&[0x81, bytes[7]]),
        0x100..=0xFFFF => out.extend_from_slice(&[0x82, bytes[6], bytes[7]]),
        0x1_0000..=0xFF_FFFF => out.extend_from_slice(&[0x83, bytes[5], bytes[6], bytes[7]]),
        _ => out.extend_from_slice(&[0x84, bytes[4], bytes[5], bytes[6], bytes[7]]),
    }
}

/// Appends `tag ‖ length ‖ value`.
pub fn push(out: &mut Vec<u8>, tag: Tag, value: &[u8]) {
    out.extend_from_slice(&tag.to_bytes());
    push_len(out, value.len());
    out.extend_from_slice(value);
}

/// Encodes one object.
pub fn encode(tag: Tag, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(value.len() + 8);
    push(&mut v, tag, value);
    v
}

/// Builds nested TLVs: `Writer::new().constructed(Tag::new(0xFF20), |w| w.primitive(...))`.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a primitive object.
    pub fn primitive(&mut self, tag: Tag, value: &[u8]) -> &mut Self {
        push(&mut self.buf, tag, value);
        self
    }

    /// Appends a constructed object whose value `build` writes.
    pub fn constructed(&mut self, tag: Tag, build: impl FnOnce(&mut Writer)) -> &mut Self {
        let mut inner = Writer::new();
        build(&mut inner);
        push(&mut self.buf, tag, &inner.buf);
        self
    }

    /// Appends raw bytes (already-encoded objects or filler).
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self
    }

    /// The bytes written.
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap_or_default()
    }

    #[test]
    fn card_type_file_gen1_and_gen2() {
        // docs/spec/residence-card.md §0: C1 01 31 (gen 1), C1 02 30 35 (gen 2).
        let t = expect_single(&h("C10131"), Tag::new(0xC1)).map(|t| t.value().to_vec());
        assert_eq!(t, Ok(b"1".to_vec()));
        let t = expect_single(&h("C102 3035 0000"), Tag::new(0xC1)).map(|t| t.value().to_vec());
        assert_eq!(t, Ok(b"05".to_vec()));
        // Anything but filler after the object is refused.
        assert!(matches!(
            expect_single(&h("C10131 8E0412345678"), Tag::new(0xC1)),
            Err(TlvError::Trailing { found: Some(_), .. })
        ));
        assert!(matches!(
            expect_single(&h("C10131 5F"), Tag::new(0xC1)),
            Err(TlvError::Trailing { found: None, .. })
        ));
    }

    #[test]
    fn my_number_file_with_ff_filler() {
        // docs/spec/mynumber-card.md §3: EF 0001 = FF 10 0C <12 digits> FF FF.
        let file = h("FF100C353337363836363737313838FFFF");
        let t = expect_single(&file, Tag::new(0xFF10));
        assert_eq!(t.map(|t| t.value().to_vec()), Ok(b"537686677188".to_vec()));
        assert_eq!(iter(&file).count(), 1);
    }

    #[test]
    fn nested_basic_four_with_offset_table() {
        // docs/spec/mynumber-card.md §3 EF 0002 shape: FF20 { DF21 offsets, DF22 name, ... }.
        let mut w = Writer::new();
        w.constructed(Tag::new(0xFF20), |w| {
            w.primitive(Tag::new(0xDF21), &[0, 8])
                .primitive(Tag::new(0xDF22), "試験　太郎".as_bytes())
                .primitive(Tag::new(0xDF24), b"19800217")
                .primitive(Tag::new(0xDF25), b"1");
        });
        let file = w.finish();
        let outer = expect_single(&file, Tag::new(0xFF20)).ok();
        let dob = outer.and_then(|o| o.child(Tag::new(0xDF24)).ok().flatten());
        assert_eq!(dob.map(|t| t.value()), Some(&b"19800217"[..]));
        assert_eq!(
            outer.map(|o| o.require_child(Tag::new(0xDF26))),
            Some(Err(TlvError::Missing(Tag::new(0xDF26))))
        );
    }

    #[test]
    fn long_lengths() {
        // docs/spec/residence-card.md §3: DA 82 01 00 <256>, DB 82 04 B0 <1200>.
        let v = vec![0xAB; 256];
        let e = encode(Tag::new(0xDA), &v);
        assert_eq!(e.get(..4), Some(&h("DA820100")[..]));
        let (t, rest) = parse_one(&e).unwrap();
        assert_eq!(t.value().len(), 256);
        assert!(rest.is_empty());
        assert_eq!(
            encode(Tag::new(0xD1), &[0; 0x80]).get(..3),
            Some(&h("D18180")[..])
        );
        assert_eq!(
            encode(Tag::new(0xD0), &vec![0; 70_000]).get(..5),
            Some(&h("D083011170")[..])
        );
    }

    #[test]
    fn three_byte_tag_and_too_long_tag() {
        let bytes = h("5F8F01 01 AA");
        let (t, _) = parse_one(&bytes).unwrap();
        assert_eq!(t.tag(), Tag::new(0x5F8F01));
        assert_eq!(
            parse_one(&h("5F8F8F01 01 AA")),
            Err(TlvError::TagTooLong { offset: 0 })
        );
    }

    #[test]
    fn lying_lengths_are_errors() {
        assert_eq!(
            parse_one(&h("D0 82 1B 58 0000")),
            Err(TlvError::ValueTruncated {
                tag: Tag::new(0xD0),
                declared: 7000,
                available: 2
            })
        );
        assert_eq!(
            parse_one(&h("D0 84 FFFFFFFF 00")),
            Err(TlvError::ValueTruncated {
                tag: Tag::new(0xD0),
                declared: 0xFFFF_FFFF,
                available: 1
            })
        );
        assert_eq!(
            parse_one(&h("D0 85 0000000001")),
            Err(TlvError::LengthTooLong {
                tag: Tag::new(0xD0),
                bytes: 5
            })
        );
        assert_eq!(
            parse_one(&h("D0 80")),
            Err(TlvError::IndefiniteLength {
                tag: Tag::new(0xD0)
            })
        );
        assert_eq!(
            parse_one(&h("D0 82 01")),
            Err(TlvError::TruncatedLength {
                tag: Tag::new(0xD0)
            })
        );
        assert_eq!(
            parse_one(&h("5F")),
            Err(TlvError::TruncatedTag { offset: 0 })
        );
        assert_eq!(parse_one(&[]), Err(TlvError::TruncatedTag { offset: 0 }));
    }

    #[test]
    fn two_byte_rule_for_the_residence_dfd1_tag() {
        // docs/spec/residence-card.md §3: DF D1 82 09 C4 <2500 bytes> (address image,
        // generation 2).
        let mut file = h("DFD1 82 0003 414243");
        file.extend([0, 0]);
        assert!(
            iter(&file).next().unwrap().is_err(),
            "strict BER reads DF D1 82 as one tag"
        );
        let t: Vec<_> = iter_with(&file, TagRule::TwoByte)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].tag(), Tag::new(0xDFD1));
        assert_eq!(t[0].value(), b"ABC");
        // Ordinary two-byte tags read the same under both rules.
        let f = h("DF2101 AA 5F4E01BB");
        let a: Vec<_> = iter(&f).filter_map(Result::ok).collect();
        let b: Vec<_> = iter_with(&f, TagRule::TwoByte)
            .filter_map(Result::ok)
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut v = vec![0x04, 0x00];
        for _ in 0..40 {
            v = encode(Tag::new(0x30), &v);
        }
        assert_eq!(walk(&v, &mut |_, _| {}), Err(TlvError::TooDeep(MAX_DEPTH)));
        let mut shallow = vec![0x04, 0x00];
        for _ in 0..3 {
            shallow = encode(Tag::new(0x30), &shallow);
        }
        let mut seen = 0;
        assert_eq!(walk(&shallow, &mut |_, _| seen += 1), Ok(()));
        assert_eq!(seen, 4);
    }

    #[test]
    fn filler_between_and_after() {
        let file = h("00 C0 01 41 00 00 C1 01 31 FF FF FF");
        let tags: Vec<_> = iter(&file)
            .filter_map(Result::ok)
            .map(|t| t.tag())
            .collect();
        assert_eq!(tags, vec![Tag::new(0xC0), Tag::new(0xC1)]);
        // FF followed by non-FF is a tag, not filler.
        let file = h("FF 20 01 AA");
        assert_eq!(iter(&file).filter_map(Result::ok).count(), 1);
        assert_eq!(iter(&h("FFFFFFFF")).count(), 0);
        assert_eq!(iter(&h("00000000")).count(), 0);
    }

    fn arb_tag() -> impl Strategy<Value = Tag> {
        prop_oneof![
            (0u8..=0xFF)
                .prop_filter("single", |b| b & 0x1F != 0x1F && *b != 0 && *b != 0xFF)
                .prop_map(|b| Tag(u32::from(b))),
            (0u8..8, 0u8..0x80)
                .prop_map(|(c, b)| Tag((u32::from(0x1F | (c << 5)) << 8) | u32::from(b))),
            (0u8..8, 0x80u8..=0xFF, 0u8..0x80).prop_map(|(c, a, b)| Tag((u32::from(
                0x1F | (c << 5)
            ) << 16)
                | (u32::from(a) << 8)
                | u32::from(b))),
        ]
    }

    proptest! {
        #[test]
        fn primitive_round_trip(tag in arb_tag(), value in prop::collection::vec(any::<u8>(), 0..1000)) {
            let e = encode(tag, &value);
            let (t, rest) = parse_one(&e).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(t.tag(), tag);
            prop_assert_eq!(t.value(), &value[..]);
            prop_assert_eq!(t.raw(), &e[..]);
            prop_assert!(rest.is_empty());
        }

        #[test]
        fn sequence_round_trip_with_filler(
            objs in prop::collection::vec((arb_tag(), prop::collection::vec(any::<u8>(), 0..300)), 0..8),
            pad in 0usize..20,
            pad_byte in prop_oneof![Just(0u8), Just(0xFFu8)],
        ) {
            let mut buf = Vec::new();
            for (t, v) in &objs { push(&mut buf, *t, v); }
            buf.extend(std::iter::repeat_n(pad_byte, pad));
            let parsed: Result<Vec<_>, _> = iter(&buf).collect();
            let parsed = parsed.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(parsed.len(), objs.len());
            for (p, (t, v)) in parsed.iter().zip(&objs) {
                prop_assert_eq!(p.tag(), *t);
                prop_assert_eq!(p.value(), &v[..]);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = walk(&bytes, &mut |_, t| { let _ = (t.tag(), t.value().len()); });
            if let Ok((t, rest)) = parse_one(&bytes) {
                prop_assert!(t.raw().len() + rest.len() == bytes.len());
                prop_assert!(t.value().len() <= bytes.len());
            }
        }
    }
}
