//! The one door through which outside DER (certificates, CRLs, CMS signatures, extension values)
//! reaches the `der` crate.
//!
//! Why a walk by hand before the kept decoder: `der` 0.7 decodes its owned types (`Any`,
//! `OctetString`, the `[0]` content of a CMS `ContentInfo`) by allocating the declared length
//! first and checking it against the input afterwards. A 1 750-byte signature that declares a
//! 113 MB `SEQUENCE` inside its `[0]` made the `cms` fuzz target allocate 113 MB (CI, 2026-12-05;
//! `fuzz/regressions/cms/`). The structure walk below refuses any object whose declared length
//! runs past its parent before `der` sees the bytes, so no allocation is ever larger than the
//! input. It checks structure only (tags, lengths, nesting); what the objects mean stays the
//! decoder's job.

use der::{Decode, ErrorKind, Length};

/// Nesting deeper than this is refused. A CMS signature holding a certificate nests about ten
/// levels; the cap is far above any real input and keeps the walk's stack small.
pub const MAX_DEPTH: usize = 32;

/// Decodes one `T` from outside bytes, after [`check`].
pub fn decode<'a, T: Decode<'a>>(bytes: &'a [u8]) -> der::Result<T> {
    check(bytes)?;
    T::from_der(bytes)
}

/// Checks that every object in `bytes` (descending into constructed ones) has a definite length
/// that fits inside its parent, with tags and lengths DER can encode.
pub fn check(bytes: &[u8]) -> der::Result<()> {
    walk(bytes, 0, 0)
}

fn walk(input: &[u8], base: usize, depth: usize) -> der::Result<()> {
    let mut at = 0usize;
    while at < input.len() {
        let start = base + at;
        if depth >= MAX_DEPTH {
            return Err(der::Error::new(ErrorKind::Overflow, position(start)));
        }
        let (constructed, after_tag) = tag(input, at).ok_or_else(|| short(start))?;
        let (len, value_at) = length(input, after_tag, start)?;
        let end = value_at.saturating_add(len);
        let value = input.get(value_at..end).ok_or_else(|| {
            der::Error::new(
                ErrorKind::Incomplete {
                    expected_len: position(len),
                    actual_len: position(input.len().saturating_sub(value_at)),
                },
                position(start),
            )
        })?;
        if constructed {
            walk(value, base + value_at, depth + 1)?;
        }
        at = end;
    }
    Ok(())
}

/// The tag at `at`: whether it is constructed, and where its length starts.
fn tag(input: &[u8], at: usize) -> Option<(bool, usize)> {
    let first = *input.get(at)?;
    let mut next = at + 1;
    if first & 0x1F == 0x1F {
        // High tag number: continuation bytes while bit 8 is set; four are plenty for any
        // tag number `der` accepts.
        loop {
            let b = *input.get(next)?;
            next += 1;
            if b & 0x80 == 0 {
                break;
            }
            if next - at > 4 {
                return None;
            }
        }
    }
    Some((first & 0x20 != 0, next))
}

/// The definite length at `at`, and where the value starts.
fn length(input: &[u8], at: usize, start: usize) -> der::Result<(usize, usize)> {
    let first = *input.get(at).ok_or_else(|| short(start))?;
    match first {
        0x00..=0x7F => Ok((usize::from(first), at + 1)),
        0x80 => Err(der::Error::new(
            ErrorKind::IndefiniteLength,
            position(start),
        )),
        0x81..=0x84 => {
            let n = usize::from(first & 0x7F);
            let bytes = input.get(at + 1..at + 1 + n).ok_or_else(|| short(start))?;
            let len = bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            Ok((len, at + 1 + n))
        }
        _ => Err(der::Error::new(ErrorKind::Overlength, position(start))),
    }
}

fn short(start: usize) -> der::Error {
    der::Error::new(
        ErrorKind::Incomplete {
            expected_len: Length::ONE,
            actual_len: Length::ZERO,
        },
        position(start),
    )
}

/// A byte count as a `der::Length`, saturating at its maximum (only used in error messages).
fn position(n: usize) -> Length {
    Length::try_from(n).unwrap_or(Length::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_lengths_must_fit_their_parent() {
        // [0] { SEQUENCE claiming 113 115 649 bytes }, the shape of the fuzzer's input.
        let lying = [0xA0, 0x06, 0x30, 0x84, 0x06, 0xBE, 0x02, 0x01];
        let e = check(&lying).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Incomplete { .. }), "{e}");
        // The same length on a primitive inside a constructed parent.
        let octets = [0x30, 0x06, 0x04, 0x84, 0x06, 0xBE, 0x02, 0x01];
        assert!(check(&octets).is_err());
        // A well-formed nesting passes, siblings included.
        let ok = [0x30, 0x08, 0x04, 0x02, 0xAB, 0xCD, 0xA0, 0x02, 0x05, 0x00];
        check(&ok).unwrap();
    }

    #[test]
    fn indefinite_overlong_truncated_and_deep_inputs_are_refused() {
        assert!(matches!(
            check(&[0x30, 0x80, 0x00, 0x00]).unwrap_err().kind(),
            ErrorKind::IndefiniteLength
        ));
        assert!(matches!(
            check(&[0x04, 0x85, 0, 0, 0, 0, 1]).unwrap_err().kind(),
            ErrorKind::Overlength
        ));
        assert!(check(&[0x04, 0x82, 0x01]).is_err());
        assert!(check(&[0x1F]).is_err());
        assert!(check(&[0x1F, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00]).is_err());
        let mut deep = Vec::new();
        for _ in 0..MAX_DEPTH + 1 {
            deep = [vec![0x30, u8::try_from(deep.len()).unwrap()], deep].concat();
        }
        assert!(matches!(
            check(&deep).unwrap_err().kind(),
            ErrorKind::Overflow
        ));
        deep.drain(..2);
        check(&deep).unwrap();
    }
}
