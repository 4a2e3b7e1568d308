use std::fmt;

use zeroize::Zeroizing;

use crate::Sensitive;

/// Largest Le a short APDU can ask for (`Le = 00`).
pub const MAX_SHORT_LE: u32 = 256;
/// Largest Le an extended APDU can ask for (`Le = 00 00`).
pub const MAX_EXTENDED_LE: u32 = 65_536;
const MAX_SHORT_LC: usize = 255;
const MAX_EXTENDED_LC: usize = 65_535;

/// Errors of APDU encoding and decoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApduError {
    /// A command APDU shorter than its 4-byte header.
    #[error("command APDU of {0} bytes is shorter than the 4-byte header")]
    CommandTooShort(usize),
    /// The body of a command APDU does not match any of the ISO 7816-3 cases.
    #[error("command APDU body of {body} bytes matches no ISO 7816-3 case: {reason}")]
    MalformedBody {
        /// Bytes after the header.
        body: usize,
        /// What did not fit.
        reason: &'static str,
    },
    /// A response APDU shorter than its 2-byte status word.
    #[error("response APDU of {0} bytes has no status word")]
    ResponseTooShort(usize),
    /// The command cannot be sent in short form.
    #[error(
        "command needs extended length (data {data} bytes, Le {le}) but short form was requested"
    )]
    NeedsExtendedLength {
        /// Data length.
        data: usize,
        /// Expected length (0 when absent).
        le: u32,
    },
    /// A length beyond what any APDU can carry.
    #[error("{what} of {value} exceeds the APDU limit of {limit}")]
    TooLong {
        /// Which field.
        what: &'static str,
        /// The value given.
        value: usize,
        /// The limit.
        limit: usize,
    },
}

/// How Lc and Le are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthMode {
    /// One-byte Lc (1–255) and Le (1–256).
    Short,
    /// Three-byte Lc / two- or three-byte Le (up to 65 535 and 65 536).
    Extended,
}

/// A command APDU (ISO/IEC 7816-4 §5.1).
///
/// The data field is wiped on drop. A command built with [`Command::sensitive`] prints its data as
/// `REDACTED` in `Debug` and `Display`, so APDU trace logs never show a PIN.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: Zeroizing<Vec<u8>>,
    le: Option<u32>,
    sensitive: bool,
}

impl Command {
    /// A case-1 command (header only).
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: Zeroizing::new(Vec::new()),
            le: None,
            sensitive: false,
        }
    }

    /// Adds a data field (case 3, or case 4 with [`Command::with_le`]).
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = Zeroizing::new(data.into());
        self
    }

    /// Adds a data field that must never be logged (a PIN, a key).
    pub fn sensitive(mut self, data: &Sensitive) -> Self {
        self.data = Zeroizing::new(data.expose().to_vec());
        self.sensitive = true;
        self
    }

    /// Marks the command as secret without a data field (its response is redacted in traces too).
    pub fn redacted(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Sets the expected response length; `le` is clamped to 1..=65 536 (0 means "absent").
    pub fn with_le(mut self, le: u32) -> Self {
        self.le = match le {
            0 => None,
            n => Some(n.min(MAX_EXTENDED_LE)),
        };
        self
    }

    /// CLA byte.
    pub fn cla(&self) -> u8 {
        self.cla
    }
    /// INS byte.
    pub fn ins(&self) -> u8 {
        self.ins
    }
    /// P1 byte.
    pub fn p1(&self) -> u8 {
        self.p1
    }
    /// P2 byte.
    pub fn p2(&self) -> u8 {
        self.p2
    }
    /// The data field (empty for cases 1 and 2).
    pub fn data(&self) -> &[u8] {
        &self.data
    }
    /// Expected response length, if any.
    pub fn le(&self) -> Option<u32> {
        self.le
    }
    /// Whether the data field is secret.
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }

    /// The same command with another CLA (used when wrapping for secure messaging).
    pub fn with_cla(mut self, cla: u8) -> Self {
        self.cla = cla;
        self
    }

    /// True when the command cannot be sent as a short APDU.
    pub fn needs_extended(&self) -> bool {
        self.data.len() > MAX_SHORT_LC || self.le.is_some_and(|le| le > MAX_SHORT_LE)
    }

    /// Encodes the command. Secrets stay in a wiped-on-drop buffer.
    pub fn encode(&self, mode: LengthMode) -> Result<Zeroizing<Vec<u8>>, ApduError> {
        let n = self.data.len();
        if n > MAX_EXTENDED_LC {
            return Err(ApduError::TooLong {
                what: "data field",
                value: n,
                limit: MAX_EXTENDED_LC,
            });
        }
        if mode == LengthMode::Short && self.needs_extended() {
            return Err(ApduError::NeedsExtendedLength {
                data: n,
                le: self.le.unwrap_or(0),
            });
        }
        let mut out = Zeroizing::new(Vec::with_capacity(n + 9));
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        match mode {
            LengthMode::Short => {
                if n > 0 {
                    out.push(short_byte(n));
                    out.extend_from_slice(&self.data);
                }
                if let Some(le) = self.le {
                    out.push(short_byte(le as usize));
                }
            }
            LengthMode::Extended => {
                if n > 0 {
                    out.push(0);
                    out.extend_from_slice(&ext_bytes(n));
                    out.extend_from_slice(&self.data);
                }
                if let Some(le) = self.le {
                    if n == 0 {
                        out.push(0);
                    }
                    out.extend_from_slice(&ext_bytes(le as usize));
                }
            }
        }
        Ok(out)
    }

    /// Decodes a command APDU received by a card (ISO/IEC 7816-3 §12.1.3 cases 1–4, short and
    /// extended).
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        let (header, body) = match bytes {
            [a, b, c, d, rest @ ..] => ([*a, *b, *c, *d], rest),
            _ => return Err(ApduError::CommandTooShort(bytes.len())),
        };
        let [cla, ins, p1, p2] = header;
        let mut cmd = Self::new(cla, ins, p1, p2);
        let bad = |reason| ApduError::MalformedBody {
            body: body.len(),
            reason,
        };
        match body {
            [] => {}
            [le] => cmd.le = Some(short_le(*le)),
            [0, hi, lo] => cmd.le = Some(ext_le(*hi, *lo)),
            [0, hi, lo, rest @ ..] => {
                let lc = usize::from(u16::from_be_bytes([*hi, *lo]));
                if lc == 0 {
                    return Err(bad("extended Lc of zero"));
                }
                if rest.len() == lc {
                    cmd.data = Zeroizing::new(rest.to_vec());
                } else if rest.len() == lc + 2 {
                    let (data, le) = rest.split_at(lc);
                    cmd.data = Zeroizing::new(data.to_vec());
                    if let [h, l] = le {
                        cmd.le = Some(ext_le(*h, *l));
                    }
                } else {
                    return Err(bad("extended Lc does not match the data length"));
                }
            }
            [0, _] => return Err(bad("short Lc of zero")),
            [lc, rest @ ..] => {
                let lc = usize::from(*lc);
                if rest.len() == lc {
                    cmd.data = Zeroizing::new(rest.to_vec());
                } else if rest.len() == lc + 1 {
                    let (data, le) = rest.split_at(lc);
                    cmd.data = Zeroizing::new(data.to_vec());
                    if let [l] = le {
                        cmd.le = Some(short_le(*l));
                    }
                } else {
                    return Err(bad("short Lc does not match the data length"));
                }
            }
        }
        Ok(cmd)
    }

    /// True when the encoded form the card received was extended (for card-side code that must
    /// answer in kind).
    pub fn was_extended(bytes: &[u8]) -> bool {
        matches!(bytes, [_, _, _, _, 0, _, _, ..])
    }
}

fn short_byte(n: usize) -> u8 {
    // 256 encodes as 00; callers guarantee n <= 256.
    (n & 0xFF) as u8
}

fn ext_bytes(n: usize) -> [u8; 2] {
    // 65 536 encodes as 00 00; callers guarantee n <= 65 536.
    ((n & 0xFFFF) as u16).to_be_bytes()
}

fn short_le(b: u8) -> u32 {
    if b == 0 {
        MAX_SHORT_LE
    } else {
        u32::from(b)
    }
}

fn ext_le(hi: u8, lo: u8) -> u32 {
    match u16::from_be_bytes([hi, lo]) {
        0 => MAX_EXTENDED_LE,
        n => u32::from(n),
    }
}

impl fmt::Display for Command {
    /// `CLA INS P1 P2 [Lc=n data] [Le=n]`, data shown as `REDACTED` when sensitive.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02X} {:02X} {:02X} {:02X}",
            self.cla, self.ins, self.p1, self.p2
        )?;
        if !self.data.is_empty() {
            write!(f, " Lc={} ", self.data.len())?;
            if self.sensitive {
                f.write_str("REDACTED")?;
            } else {
                for b in self.data.iter() {
                    write!(f, "{b:02X}")?;
                }
            }
        }
        if let Some(le) = self.le {
            write!(f, " Le={le}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Command({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn enc(c: &Command, m: LengthMode) -> Vec<u8> {
        c.encode(m).map(|z| z.to_vec()).unwrap_or_default()
    }

    #[test]
    fn four_cases_short() {
        let c1 = Command::new(0x00, 0x20, 0x00, 0x80);
        assert_eq!(
            enc(&c1, LengthMode::Short),
            hex::decode("00200080").unwrap_or_default()
        );
        let c2 = Command::new(0x00, 0x84, 0, 0).with_le(8);
        assert_eq!(enc(&c2, LengthMode::Short), [0x00, 0x84, 0, 0, 8]);
        let c2_256 = Command::new(0x00, 0xB0, 0, 0).with_le(256);
        assert_eq!(enc(&c2_256, LengthMode::Short), [0x00, 0xB0, 0, 0, 0]);
        let c3 = Command::new(0x00, 0xA4, 0x02, 0x0C).with_data(vec![0x00, 0x18]);
        assert_eq!(
            enc(&c3, LengthMode::Short),
            [0x00, 0xA4, 2, 0x0C, 2, 0x00, 0x18]
        );
        let c4 = Command::new(0x80, 0x2A, 0, 0x80)
            .with_data(vec![1, 2, 3])
            .with_le(256);
        assert_eq!(
            enc(&c4, LengthMode::Short),
            [0x80, 0x2A, 0, 0x80, 3, 1, 2, 3, 0]
        );
    }

    #[test]
    fn four_cases_extended() {
        // The residence-card whole-file SM read (docs/spec/residence-card.md §1): 08 B0 85 00 00 00 04 96 02 00 00 00 00
        let c = Command::new(0x08, 0xB0, 0x85, 0x00)
            .with_data(vec![0x96, 0x02, 0x00, 0x00])
            .with_le(65_536);
        assert_eq!(
            enc(&c, LengthMode::Extended),
            [0x08, 0xB0, 0x85, 0, 0, 0, 4, 0x96, 2, 0, 0, 0, 0]
        );
        // Case 2E, the My Number whole-cert read form 00 B0 8A 00 00 LL LL.
        let c = Command::new(0, 0xB0, 0x8A, 0).with_le(0x0400);
        assert_eq!(enc(&c, LengthMode::Extended), [0, 0xB0, 0x8A, 0, 0, 4, 0]);
        let c = Command::new(0, 0xB0, 0, 0).with_le(65_536);
        assert_eq!(enc(&c, LengthMode::Extended), [0, 0xB0, 0, 0, 0, 0, 0]);
        let c = Command::new(0, 0xD6, 0, 0).with_data(vec![7; 300]);
        let e = enc(&c, LengthMode::Extended);
        assert_eq!(e.get(4..7), Some(&[0u8, 0x01, 0x2C][..]));
    }

    #[test]
    fn short_refuses_what_needs_extended() {
        let c = Command::new(0, 0xB0, 0, 0).with_le(257);
        assert!(matches!(
            c.encode(LengthMode::Short),
            Err(ApduError::NeedsExtendedLength { le: 257, .. })
        ));
        let c = Command::new(0, 0xD6, 0, 0).with_data(vec![0; 256]);
        assert!(c.encode(LengthMode::Short).is_err());
    }

    #[test]
    fn parse_rejects_malformed_bodies() {
        assert_eq!(
            Command::parse(&[0, 1, 2]),
            Err(ApduError::CommandTooShort(3))
        );
        assert!(Command::parse(&[0, 0xA4, 4, 0, 5, 1, 2]).is_err());
        assert!(Command::parse(&[0, 0xB0, 0, 0, 0, 0]).is_err());
        assert!(Command::parse(&[0, 0xB0, 0, 0, 0, 0, 0, 1]).is_err());
        assert!(Command::parse(&[0, 0xB0, 0, 0, 0, 0, 2, 1]).is_err());
    }

    #[test]
    fn sensitive_data_is_redacted_in_display_and_debug() {
        let pin = Sensitive::new(b"1234".to_vec());
        let c = Command::new(0, 0x20, 0, 0x80).sensitive(&pin);
        let shown = format!("{c} {c:?}");
        assert!(shown.contains("REDACTED"));
        assert!(!shown.contains("31323334"), "{shown}");
        assert_eq!(c.data(), b"1234");
    }

    fn arb_command() -> impl Strategy<Value = Command> {
        (
            any::<[u8; 4]>(),
            prop::collection::vec(any::<u8>(), 0..600),
            prop_oneof![Just(0u32), 1u32..=256, 257u32..=65_536],
        )
            .prop_map(|(h, data, le)| {
                let [cla, ins, p1, p2] = h;
                Command::new(cla, ins, p1, p2).with_data(data).with_le(le)
            })
    }

    proptest! {
        #[test]
        fn extended_round_trips(c in arb_command()) {
            let bytes = c.encode(LengthMode::Extended).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(Command::parse(&bytes), Ok(c));
        }

        #[test]
        fn short_round_trips_when_it_fits(c in arb_command()) {
            match c.encode(LengthMode::Short) {
                Ok(bytes) => prop_assert_eq!(Command::parse(&bytes), Ok(c)),
                Err(_) => prop_assert!(c.needs_extended()),
            }
        }

        #[test]
        fn parse_never_panics_and_reencodes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(c) = Command::parse(&bytes) {
                let mode = if Command::was_extended(&bytes) { LengthMode::Extended } else { LengthMode::Short };
                let again = c.encode(mode).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(again.to_vec(), bytes);
            }
        }
    }
}
