use std::fmt;

use zeroize::Zeroizing;

/// Bytes that must never be shown: PINs, card numbers used as keys, session keys, plaintext of
/// secure messaging. The buffer is wiped on drop and `Debug` prints `REDACTED`.
///
/// There is deliberately no `Display`, `Serialize` or `PartialEq` (comparisons of secrets belong
/// in constant-time code next to where they are needed).
#[derive(Clone, Default)]
pub struct Sensitive(Zeroizing<Vec<u8>>);

impl Sensitive {
    /// Wraps `bytes`; the caller's vector is moved, not copied.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret bytes, for the code that must send or use them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no byte is held.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&[u8]> for Sensitive {
    fn from(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("REDACTED")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_bytes() {
        let s = Sensitive::new(b"1234".to_vec());
        let shown = format!("{s:?} {s:#?}");
        assert!(!shown.contains("1234"), "{shown}");
        assert!(!shown.contains("49"), "decimal bytes leaked: {shown}");
        assert!(!shown.contains("31"), "hex bytes leaked: {shown}");
        assert_eq!(format!("{s:?}"), "REDACTED");
        assert_eq!(s.expose(), b"1234");
    }
}
