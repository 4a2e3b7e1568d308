//! Hostile cards: a wrapper around any simulated card that corrupts its answers on purpose, so
//! that jpid's handling of broken, lying or vanishing cards can be tested (`sim:KIND,hostile=SEED`
//! and/or `hostile-mode=NAME`, docs/simulator.md "Hostile cards").
//!
//! Every mode is deterministic: the seed decides the details (which bytes, how many, which
//! variant), never whether the card is hostile. Unless a mode says otherwise it leaves answers
//! without data (SELECT, VERIFY, errors) alone and corrupts **every** answer that carries data,
//! so each command that reads anything meets the fault; `hostile-after=N` leaves the first `N`
//! of those answers honest, to place the fault deeper in a read.

use jpid_apdu::Command;

use crate::SmartCard;

/// What a hostile card does wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HostileMode {
    /// Data cut short (a seeded prefix of at most a quarter is kept), status word kept.
    Truncate,
    /// The answer is a lone SW1 byte: no data, no SW2.
    LoneSw,
    /// The answer is empty: not even a status word.
    Empty,
    /// Data replaced by seeded random bytes of the same length, status word kept.
    Garbage,
    /// The first BER-TLV length claims more bytes than follow (short or long form).
    BerOverlong,
    /// The first BER-TLV length in the 4-byte form `84`, claiming 2^31 bytes or more.
    Ber4Byte,
    /// The first BER-TLV length in the (invalid) 5-byte form `85`, claiming 2^32 bytes or more.
    Ber5Byte,
    /// A constructed TLV whose first inner object claims more bytes than the outer one holds.
    BerNested,
    /// Residence kinds: the MAC of the card's MUTUAL AUTHENTICATE answer (M.ICC) has one bit
    /// flipped.
    BadMac,
    /// Residence kinds: secure-messaging answers with bad padding (the seed picks: junk after
    /// the `80` marker, padding longer than a block, or padding indicator `02`).
    BadPadding,
    /// Every answer with data becomes `61 xx`, and every GET RESPONSE yields a piece and another
    /// `61 xx`: the chain never ends.
    Storm61,
    /// Every answer with data becomes `6C xx`, with a different `xx` on each resend.
    Storm6C,
    /// READ BINARY never finds the end of a file: every read, at any offset, is answered with
    /// as many bytes as asked (the honest data, then seeded filler) and `90 00`.
    Endless,
    /// The card leaves the field in the middle of a read: a command whose answer has data gets
    /// no answer, and the card is gone for good.
    Removed,
}

impl HostileMode {
    /// Every mode, in the order `hostile=SEED` picks from (`SEED % count`).
    pub const ALL: [HostileMode; 14] = [
        Self::Truncate,
        Self::LoneSw,
        Self::Empty,
        Self::Garbage,
        Self::BerOverlong,
        Self::Ber4Byte,
        Self::Ber5Byte,
        Self::BerNested,
        Self::Storm61,
        Self::Storm6C,
        Self::Endless,
        Self::Removed,
        Self::BadMac,
        Self::BadPadding,
    ];

    /// The name used in `hostile-mode=NAME`.
    pub fn id(self) -> &'static str {
        match self {
            Self::Truncate => "truncate",
            Self::LoneSw => "lone-sw",
            Self::Empty => "empty",
            Self::Garbage => "garbage",
            Self::BerOverlong => "ber-overlong",
            Self::Ber4Byte => "ber-4byte",
            Self::Ber5Byte => "ber-5byte",
            Self::BerNested => "ber-nested",
            Self::BadMac => "bad-mac",
            Self::BadPadding => "bad-padding",
            Self::Storm61 => "storm-61",
            Self::Storm6C => "storm-6c",
            Self::Endless => "endless",
            Self::Removed => "removed",
        }
    }

    /// Parses a mode name.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.id() == id)
    }

    /// Whether the mode needs secure messaging, which only the residence kinds have.
    pub fn needs_secure_messaging(self) -> bool {
        matches!(self, Self::BadMac | Self::BadPadding)
    }

    /// The modes a card with (`sm = true`) or without secure messaging can take, in the order
    /// `hostile=SEED` picks from.
    pub fn available(sm: bool) -> Vec<HostileMode> {
        Self::ALL
            .into_iter()
            .filter(|m| sm || !m.needs_secure_messaging())
            .collect()
    }
}

impl std::fmt::Display for HostileMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// A hostile mode with its seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hostile {
    /// What goes wrong.
    pub mode: HostileMode,
    /// The details.
    pub seed: u64,
    /// How many of the answers the mode aims at are left honest first (`hostile-after=N`), so
    /// that a fault can be placed deep inside a read. `bad-mac` and `bad-padding` ignore it.
    pub after: u64,
}

/// Faults the residence applet itself commits in its secure-messaging answers (it alone holds
/// the session key, so a wrapper could not produce them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmFault {
    /// A non-zero byte after the `80` padding marker.
    JunkAfterMarker,
    /// `80` and zeros over more than one whole block.
    OverlongPadding,
    /// Padding indicator `02` instead of `01`.
    WrongIndicator,
}

impl SmFault {
    /// The fault `seed` picks for [`HostileMode::BadPadding`].
    pub fn from_seed(seed: u64) -> Self {
        match seed % 3 {
            0 => Self::JunkAfterMarker,
            1 => Self::OverlongPadding,
            _ => Self::WrongIndicator,
        }
    }
}

/// SplitMix64: a tiny deterministic generator for the seeded details.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        match u64::try_from(n) {
            Ok(0) | Err(_) => 0,
            Ok(n) => usize::try_from(self.next() % n).unwrap_or(0),
        }
    }

    fn byte(&mut self) -> u8 {
        self.next().to_be_bytes().first().copied().unwrap_or(0)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
}

/// A simulated card behind a [`Hostile`] layer.
pub struct HostileCard<C: SmartCard> {
    inner: C,
    hostile: Hostile,
    rng: Rng,
    /// Answers the mode aimed at so far.
    targeted: u64,
    /// The last answer was a `61 xx` of the storm: GET RESPONSE is ours to answer.
    in_storm: bool,
    removed: bool,
    kind: String,
}

impl<C: SmartCard> HostileCard<C> {
    /// Wraps `inner`.
    pub fn new(inner: C, hostile: Hostile) -> Self {
        let kind = format!("{},hostile-mode={}", inner.kind(), hostile.mode.id());
        Self {
            inner,
            hostile,
            rng: Rng(hostile.seed),
            targeted: 0,
            in_storm: false,
            removed: false,
            kind,
        }
    }

    /// The honest card inside.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// Whether the mode aims at this answer: any answer with data, READ BINARY at all for
    /// [`HostileMode::Endless`], MUTUAL AUTHENTICATE only for [`HostileMode::BadMac`].
    fn targets(&self, ins: Option<u8>, data: &[u8]) -> bool {
        match self.hostile.mode {
            HostileMode::Endless => ins == Some(0xB0) || !data.is_empty(),
            HostileMode::BadMac => ins == Some(0x82) && !data.is_empty(),
            HostileMode::BadPadding => false,
            _ => !data.is_empty(),
        }
    }

    fn corrupt(&mut self, cmd: &[u8], honest: Vec<u8>) -> Vec<u8> {
        let Some((data, sw)) = split_sw(&honest) else {
            return honest;
        };
        let ins = cmd.get(1).copied();
        if !self.targets(ins, data) {
            return honest;
        }
        self.targeted = self.targeted.saturating_add(1);
        // A read authenticates once: bad-mac strikes the first MUTUAL AUTHENTICATE whatever
        // hostile-after says.
        if self.targeted <= self.hostile.after && self.hostile.mode != HostileMode::BadMac {
            return honest;
        }
        let r = &mut self.rng;
        match self.hostile.mode {
            HostileMode::Endless if ins == Some(0xB0) => self.endless(cmd, data),
            // Any other answer with data: as if the end never came (61 00 is not needed: the
            // data is padded to 256 with 90 00). An answer that is already 256 bytes long (a
            // signature) overflows by a few bytes instead, so that it is never the honest one.
            HostileMode::Endless => {
                let mut out = data.to_vec();
                let fill = 256usize.saturating_sub(data.len()).max(1 + r.below(16));
                out.extend(r.bytes(fill));
                out.extend_from_slice(&sw);
                out
            }
            HostileMode::Truncate => {
                let keep = r.below(data.len() / 4 + 1);
                let mut out = data.get(..keep).unwrap_or_default().to_vec();
                out.extend_from_slice(&sw);
                out
            }
            HostileMode::LoneSw => sw.get(..1).unwrap_or_default().to_vec(),
            HostileMode::Empty => Vec::new(),
            HostileMode::Garbage => {
                let mut out = r.bytes(data.len());
                // Never the honest bytes by chance.
                if out == data {
                    if let Some(b) = out.first_mut() {
                        *b ^= 0xFF;
                    }
                }
                out.extend_from_slice(&sw);
                out
            }
            HostileMode::BerOverlong
            | HostileMode::Ber4Byte
            | HostileMode::Ber5Byte
            | HostileMode::BerNested => {
                let mut out = ber_lie(self.hostile.mode, data, r);
                out.extend_from_slice(&sw);
                out
            }
            HostileMode::BadMac => {
                let mut out = data.to_vec();
                let len = out.len();
                let at = len.saturating_sub(1 + r.below(8.min(len)));
                let bit = 1u8 << r.below(8);
                if let Some(b) = out.get_mut(at) {
                    *b ^= bit;
                }
                out.extend_from_slice(&sw);
                out
            }
            HostileMode::Storm61 => {
                self.in_storm = true;
                vec![0x61, r.byte()]
            }
            HostileMode::Storm6C => {
                // Never 00: that asks for 256, which could be what was sent.
                vec![0x6C, r.byte() | 0x01]
            }
            HostileMode::Removed => {
                log::debug!("hostile card: removed from the field");
                self.removed = true;
                Vec::new()
            }
            HostileMode::BadPadding => honest,
        }
    }

    /// READ BINARY that never reaches the end: as many bytes as asked, the honest ones first.
    fn endless(&mut self, cmd: &[u8], honest: &[u8]) -> Vec<u8> {
        let want = match Command::parse(cmd).ok().and_then(|c| c.le()) {
            Some(le) => usize::try_from(le).unwrap_or(256),
            None => 256,
        };
        let mut out = honest
            .get(..want.min(honest.len()))
            .unwrap_or_default()
            .to_vec();
        let fill = want.saturating_sub(out.len());
        out.extend(self.rng.bytes(fill));
        out.extend_from_slice(&[0x90, 0x00]);
        out
    }

    /// The storm's answer to GET RESPONSE: `xx` bytes (256 for `00`) and another `61 xx`.
    fn storm_piece(&mut self, cmd: &[u8]) -> Vec<u8> {
        let asked = cmd.get(4).copied().unwrap_or(0);
        let n = if asked == 0 { 256 } else { usize::from(asked) };
        let mut out = self.rng.bytes(n);
        out.extend_from_slice(&[0x61, self.rng.byte()]);
        out
    }
}

/// Splits a raw answer into data and SW1 SW2.
fn split_sw(raw: &[u8]) -> Option<(&[u8], [u8; 2])> {
    let split = raw.len().checked_sub(2)?;
    let (data, sw) = raw.split_at(split);
    Some((data, [*sw.first()?, *sw.get(1)?]))
}

/// The header of the first BER-TLV in `data`: (tag bytes, value start, value length), when the
/// data starts with a well-formed header.
fn tlv_header(data: &[u8]) -> Option<(&[u8], usize, usize)> {
    let first = *data.first()?;
    let mut tag_len = 1;
    if first & 0x1F == 0x1F {
        loop {
            let b = *data.get(tag_len)?;
            tag_len += 1;
            if b & 0x80 == 0 || tag_len > 3 {
                break;
            }
        }
    }
    let l0 = *data.get(tag_len)?;
    let (len, len_len) = match l0 {
        0x00..=0x7F => (usize::from(l0), 1),
        0x81..=0x83 => {
            let n = usize::from(l0 & 0x7F);
            let bytes = data.get(tag_len + 1..tag_len + 1 + n)?;
            (
                bytes.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b)),
                1 + n,
            )
        }
        _ => return None,
    };
    Some((data.get(..tag_len)?, tag_len + len_len, len))
}

/// A BER length in its shortest form.
fn ber_len(n: usize) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let significant = bytes.get(skip..).unwrap_or_default();
    match significant {
        [] => vec![0],
        [b] if *b < 0x80 => vec![*b],
        s => {
            let mut v = vec![0x80 | u8::try_from(s.len()).unwrap_or(0x7F)];
            v.extend_from_slice(s);
            v
        }
    }
}

/// Rewrites the first TLV of `data` with a lying length.
fn ber_lie(mode: HostileMode, data: &[u8], r: &mut Rng) -> Vec<u8> {
    // Data that is no TLV (a challenge, a cryptogram) gets a TLV header that lies about it.
    let (tag, value) = match tlv_header(data) {
        Some((tag, start, _)) => (tag.to_vec(), data.get(start..).unwrap_or_default()),
        None => (vec![0x30], data),
    };
    let extra = 1 + r.below(255);
    let mut out = tag.clone();
    match mode {
        HostileMode::Ber4Byte => {
            let claim = 0x8000_0000u32 | u32::try_from(r.below(0xFFFF)).unwrap_or(0);
            out.push(0x84);
            out.extend_from_slice(&claim.to_be_bytes());
            out.extend_from_slice(value);
        }
        HostileMode::Ber5Byte => {
            let claim = 0x01_0000_0000u64 | u64::try_from(r.below(0xFFFF)).unwrap_or(0);
            out.push(0x85);
            out.extend_from_slice(claim.to_be_bytes().get(3..).unwrap_or_default());
            out.extend_from_slice(value);
        }
        HostileMode::BerNested => {
            // The inner object: the first child if the value is constructed, else the value
            // itself under the same tag; its length runs past the end of the outer object.
            let (inner_tag, inner_value) = match tlv_header(value) {
                Some((t, start, _)) => (t.to_vec(), value.get(start..).unwrap_or_default()),
                None => (tag, value),
            };
            let mut inner = inner_tag;
            inner.extend(ber_len(inner_value.len() + extra));
            inner.extend_from_slice(inner_value);
            out.extend(ber_len(inner.len()));
            out.extend(inner);
        }
        _ => {
            out.extend(ber_len(value.len() + extra));
            out.extend_from_slice(value);
        }
    }
    out
}

impl<C: SmartCard> SmartCard for HostileCard<C> {
    fn atr(&self) -> Vec<u8> {
        self.inner.atr()
    }

    fn reset(&mut self) {
        self.in_storm = false;
        self.inner.reset();
    }

    fn power_off(&mut self) {
        self.in_storm = false;
        self.inner.power_off();
    }

    fn process(&mut self, command: &[u8]) -> Vec<u8> {
        if self.removed {
            return Vec::new();
        }
        let ins = command.get(1).copied();
        if self.hostile.mode == HostileMode::Storm61 {
            if self.in_storm && ins == Some(0xC0) {
                return self.storm_piece(command);
            }
            self.in_storm = false;
        }
        let honest = self.inner.process(command);
        self.corrupt(command, honest)
    }

    fn kind(&self) -> &str {
        &self.kind
    }

    fn present(&self) -> bool {
        !self.removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jpid_apdu::tlv;

    struct Echo;
    impl SmartCard for Echo {
        fn atr(&self) -> Vec<u8> {
            vec![0x3B, 0x00]
        }
        fn reset(&mut self) {}
        fn power_off(&mut self) {}
        fn process(&mut self, command: &[u8]) -> Vec<u8> {
            match command.get(1) {
                // SELECT: no data.
                Some(0xA4) => vec![0x90, 0x00],
                // Anything else: a small constructed TLV.
                _ => vec![0x70, 0x06, 0x5A, 0x04, 1, 2, 3, 4, 0x90, 0x00],
            }
        }
        fn kind(&self) -> &str {
            "echo"
        }
    }

    fn card(mode: HostileMode, seed: u64) -> HostileCard<Echo> {
        HostileCard::new(
            Echo,
            Hostile {
                mode,
                seed,
                after: 0,
            },
        )
    }

    const READ: [u8; 5] = [0x00, 0xB0, 0x00, 0x00, 0x00];
    const SELECT: [u8; 7] = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x01];

    #[test]
    fn names_round_trip() {
        for m in HostileMode::ALL {
            assert_eq!(HostileMode::from_id(m.id()), Some(m));
        }
        assert_eq!(HostileMode::available(false).len(), 12);
    }

    #[test]
    fn answers_without_data_pass_and_data_is_corrupted() {
        for m in HostileMode::ALL {
            if m.needs_secure_messaging() {
                continue;
            }
            let mut c = card(m, 7);
            assert_eq!(c.process(&SELECT), vec![0x90, 0x00], "{m}");
            let honest = Echo.process(&READ);
            assert_ne!(c.process(&READ), honest, "{m}");
        }
    }

    #[test]
    fn ber_lies_do_not_parse() {
        for m in [
            HostileMode::BerOverlong,
            HostileMode::Ber4Byte,
            HostileMode::Ber5Byte,
            HostileMode::BerNested,
        ] {
            for seed in 0..20 {
                let out = card(m, seed).process(&READ);
                let data = out.get(..out.len() - 2).unwrap();
                let whole = tlv::expect_single(data, tlv::Tag::new(0x70));
                let nested = whole
                    .as_ref()
                    .ok()
                    .map(|t| tlv::expect_single(t.value(), tlv::Tag::new(0x5A)));
                assert!(
                    whole.is_err() || nested.is_some_and(|n| n.is_err()),
                    "{m} {seed}: {}",
                    hex::encode(data)
                );
            }
        }
    }

    #[test]
    fn storms_and_removal() {
        let mut c = card(HostileMode::Storm61, 1);
        assert_eq!(c.process(&READ).first(), Some(&0x61));
        for _ in 0..5 {
            let piece = c.process(&[0x00, 0xC0, 0x00, 0x00, 0x10]);
            assert_eq!(piece.len(), 18);
            assert_eq!(piece.get(16), Some(&0x61));
        }
        let mut c = HostileCard::new(
            Echo,
            Hostile {
                mode: HostileMode::Removed,
                seed: 0,
                after: 2,
            },
        );
        assert!(c.process(&READ).len() > 2);
        assert!(c.process(&READ).len() > 2);
        assert!(c.present());
        assert!(c.process(&READ).is_empty());
        assert!(!c.present());
        assert!(c.process(&SELECT).is_empty());
    }

    #[test]
    fn endless_reads_fill_every_request() {
        let mut c = card(HostileMode::Endless, 3);
        let out = c.process(&[0x00, 0xB0, 0x7F, 0x00, 0x00]);
        assert_eq!(out.len(), 258);
        assert_eq!(out.get(256..), Some(&[0x90, 0x00][..]));
    }
}
