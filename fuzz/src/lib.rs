//! Helpers shared by the fuzz targets: an independent reference reader for the BER-TLV subset
//! `jpid_apdu::tlv` documents, used as a differential oracle.
//!
//! It is written from the module documentation (`crates/jpid-apdu/src/tlv.rs`), not from the
//! implementation, and deliberately in a different style (indices instead of slices):
//!
//! - tags of one to three bytes; a first byte with its low five bits set (`xx & 1F == 1F`) is
//!   followed by more tag bytes while bit 8 of the last one read is set (`TagRule::Ber`), or by
//!   exactly one more byte, whatever its bit 8 (`TagRule::TwoByte`, for the generation-2
//!   residence card's `DF D1`);
//! - lengths `00`-`7F`, or `81`-`84` followed by one to four big-endian bytes; `80` (indefinite)
//!   and `85`-`FF` are refused; a value may not run past the end of the input;
//! - in a sequence, `00` bytes before and between objects are skipped, and a run of `FF` that
//!   reaches the end of the input (after any `00`s) is filler and ends the sequence;
//! - `walk` visits objects depth first and refuses to open a constructed object (bit 6 of the
//!   first tag byte) at depth `MAX_DEPTH - 1`, i.e. more than `MAX_DEPTH` levels; it reads
//!   with `TagRule::Ber` at every level.

use jpid_apdu::TagRule;

/// One object found by the reference reader, as offsets into its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefTlv {
    /// The tag bytes read as a big-endian number.
    pub tag: u32,
    /// Offset of the first tag byte.
    pub start: usize,
    /// Offset of the first value byte.
    pub value_start: usize,
    /// Offset one past the last value byte.
    pub end: usize,
}

impl RefTlv {
    /// True when bit 6 of the first tag byte is set.
    pub fn constructed(&self, input: &[u8]) -> bool {
        input.get(self.start).is_some_and(|b| b & 0x20 != 0)
    }
}

/// Parses one object at `pos`; `None` when the bytes there are not a well-formed object.
pub fn parse_at(input: &[u8], pos: usize, rule: TagRule) -> Option<RefTlv> {
    let mut i = pos;
    let first = *input.get(i)?;
    i += 1;
    let mut tag = u32::from(first);
    if first & 0x1F == 0x1F {
        match rule {
            TagRule::TwoByte => {
                tag = (tag << 8) | u32::from(*input.get(i)?);
                i += 1;
            }
            TagRule::Ber => {
                let mut extra = 0;
                loop {
                    let b = *input.get(i)?;
                    i += 1;
                    extra += 1;
                    tag = (tag << 8) | u32::from(b);
                    if b & 0x80 == 0 {
                        break;
                    }
                    if extra == 2 {
                        return None; // a fourth tag byte would follow
                    }
                }
            }
        }
    }
    let l0 = *input.get(i)?;
    i += 1;
    let len: u64 = match l0 {
        0x00..=0x7F => u64::from(l0),
        0x81..=0x84 => {
            let n = usize::from(l0 - 0x80);
            let mut v = 0u64;
            for k in 0..n {
                v = v * 256 + u64::from(*input.get(i + k)?);
            }
            i += n;
            v
        }
        _ => return None,
    };
    let remaining = (input.len() - i) as u64;
    if len > remaining {
        return None;
    }
    Some(RefTlv {
        tag,
        start: pos,
        value_start: i,
        end: i + len as usize,
    })
}

/// The objects of a sequence, and whether reading stopped at a malformed object.
pub fn parse_seq(input: &[u8], rule: TagRule) -> (Vec<RefTlv>, bool) {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        while input.get(pos) == Some(&0) {
            pos += 1;
        }
        if input[pos..].iter().all(|b| *b == 0xFF) {
            return (out, false);
        }
        match parse_at(input, pos, rule) {
            Some(t) => {
                pos = t.end;
                out.push(t);
            }
            None => return (out, true),
        }
    }
}

/// One visit of the reference walk: depth and the object's offsets in the walk's input.
pub type Visit = (usize, RefTlv);

/// Depth-first walk over `input[from..to]`; offsets stay relative to `input`. Returns false on
/// any error (malformed object or too deep), after recording the visits made before it.
pub fn walk(input: &[u8], max_depth: usize, visits: &mut Vec<Visit>) -> bool {
    walk_range(input, 0, input.len(), 0, max_depth, visits)
}

fn walk_range(
    input: &[u8],
    from: usize,
    to: usize,
    depth: usize,
    max_depth: usize,
    visits: &mut Vec<Visit>,
) -> bool {
    if depth >= max_depth {
        return false;
    }
    let slice = &input[from..to];
    let (objs, failed) = parse_seq(slice, TagRule::Ber);
    for o in objs {
        let abs = RefTlv {
            tag: o.tag,
            start: o.start + from,
            value_start: o.value_start + from,
            end: o.end + from,
        };
        visits.push((depth, abs));
        if abs.constructed(input)
            && !walk_range(
                input,
                abs.value_start,
                abs.end,
                depth + 1,
                max_depth,
                visits,
            )
        {
            return false;
        }
    }
    !failed
}

/// Offset of `inner` inside `outer` (they must share memory).
pub fn offset_in(outer: &[u8], inner: &[u8]) -> usize {
    let o = outer.as_ptr() as usize;
    let i = inner.as_ptr() as usize;
    assert!(
        i >= o && i + inner.len() <= o + outer.len(),
        "slice does not borrow from the input"
    );
    i - o
}

/// The reference view of an object parsed by `jpid_apdu::tlv` out of `input`.
pub fn reference_of(input: &[u8], t: &jpid_apdu::tlv::Tlv<'_>) -> RefTlv {
    let start = offset_in(input, t.raw());
    let value_start = offset_in(input, t.value());
    RefTlv {
        tag: t.tag().value(),
        start,
        value_start,
        end: value_start + t.value().len(),
    }
}

pub mod support;
