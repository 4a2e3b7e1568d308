//! What a simulated card is, before it is built: the kinds, their synthetic holders' defaults
//! (docs/simulator.md) and the access-rule numbers the applets and the card builder share.
//! Every holder and number here is synthetic.

use std::fmt;

/// The default card number of every simulated residence card and SPR certificate.
pub const DEFAULT_CARD_NUMBER: &str = "AB12345678CD";
/// Default JPKI user-authentication PIN of the simulated My Number card.
pub const DEFAULT_AUTH_PIN: &str = "1234";
/// Default JPKI signature password of the simulated My Number card.
pub const DEFAULT_SIGN_PASSWORD: &str = "ABC123";
/// Default PIN of the simulated card-face entry auxiliary (text) AP.
pub const DEFAULT_TEXT_PIN: &str = "1234";
/// The simulated holder's My Number (照合番号A): synthetic, not a real person's number.
pub const DEFAULT_MY_NUMBER: &str = "999900000001";
/// 照合番号B of the simulated card: born 1990-01-01 (平成2年 → `020101`), card expiry year
/// 2035, security code `1234`.
pub const DEFAULT_KEY_B: &str = "02010120351234";
/// The simulated card's serial number in the common AP record (synthetic, 15 digits).
pub const DEFAULT_CARD_SERIAL: &str = "999900000000001";
/// The simulated card's expiry date (the year matches 照合番号B).
pub const DEFAULT_CARD_EXPIRY: &str = "20350101";
/// The card-face AP's birth-date key (era YYMMDD).
pub const DEFAULT_BIRTH_KEY: &str = "020101";

/// ATR of the simulated residence cards: the PC/SC part 3 form a contactless reader builds for
/// an ISO 14443-4 card with no historical bytes (`3B 80 80 01 01`). The real cards' ATRs are not
/// in any fact sheet; this one is jpid's own, not a real card's.
pub(crate) const ATR_CONTACTLESS_GENERIC: [u8; 5] = [0x3B, 0x80, 0x80, 0x01, 0x01];
/// ATR of the simulated My Number card: a contact ATR listed by OpenSC's driver
/// (docs/spec/mynumber-card.md §6, OSC `jpki_atrs`), so that pcsc_scan names it.
pub(crate) const ATR_MYNUMBER_CONTACT: [u8; 9] =
    [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];

/// Access rule: residence card number authenticated (issue 3 adds the authentication itself).
pub const RULE_RESIDENCE_AUTH: u8 = 1;
/// Access rule: residence card number authenticated and the command under secure messaging.
pub const RULE_RESIDENCE_AUTH_SM: u8 = 2;

/// A kind of simulated card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimKind {
    /// Residence card, chip generation 1 (card type `1`).
    Residence,
    /// Residence card, chip generation 2 (card type `05`).
    ResidenceGen2,
    /// Special permanent resident certificate, generation 1 (card type `2`).
    Spr,
    /// Special permanent resident certificate, generation 2 (card type `06`).
    SprGen2,
    /// My Number card.
    MyNumber,
    /// Smartphone JPKI (Android) seen through a reader.
    JpkiSmartphone,
    /// 特定在留カード (card type `07`): a My Number card chip with a residence AP.
    SpecifiedResidence,
    /// 特定特別永住者証明書 (card type `08`).
    SpecifiedSpr,
}

impl SimKind {
    /// Every kind, in the order `jpid sim list` shows them.
    pub const ALL: [SimKind; 8] = [
        Self::Residence,
        Self::ResidenceGen2,
        Self::Spr,
        Self::SprGen2,
        Self::MyNumber,
        Self::JpkiSmartphone,
        Self::SpecifiedResidence,
        Self::SpecifiedSpr,
    ];

    /// The name used in `sim:KIND`.
    pub fn id(self) -> &'static str {
        match self {
            Self::Residence => "residence",
            Self::ResidenceGen2 => "residence-gen2",
            Self::Spr => "spr",
            Self::SprGen2 => "spr-gen2",
            Self::MyNumber => "mynumber",
            Self::JpkiSmartphone => "jpki-smartphone",
            Self::SpecifiedResidence => "specified-residence",
            Self::SpecifiedSpr => "specified-spr",
        }
    }

    /// One line for `jpid sim list`.
    pub fn description(self) -> &'static str {
        match self {
            Self::Residence => "Residence Card, chip generation 1 (3DES, RSA-2048)",
            Self::ResidenceGen2 => "Residence Card, chip generation 2 (AES, ECDSA P-384)",
            Self::Spr => "Special Permanent Resident Certificate, generation 1",
            Self::SprGen2 => "Special Permanent Resident Certificate, generation 2",
            Self::MyNumber => "My Number Card (JPKI-AP, text AP, card-face AP)",
            Self::JpkiSmartphone => "smartphone JPKI token (Android) behind a reader",
            Self::SpecifiedResidence => {
                "特定在留カード (type 07): My Number Card chip plus a residence AP (its SM not modelled)"
            }
            Self::SpecifiedSpr => {
                "特定特別永住者証明書 (type 08): My Number Card chip plus a residence AP"
            }
        }
    }

    /// Parses a kind name.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.id() == id)
    }

    /// A My Number card chip: the plain card and the specified residence kinds, which carry
    /// every My Number application (docs/spec/next-wave.md §1.1).
    pub fn is_mynumber_card(self) -> bool {
        matches!(
            self,
            Self::MyNumber | Self::SpecifiedResidence | Self::SpecifiedSpr
        )
    }

    pub(crate) fn is_residence_family(self) -> bool {
        matches!(
            self,
            Self::Residence | Self::ResidenceGen2 | Self::Spr | Self::SprGen2
        )
    }
}

impl fmt::Display for SimKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
