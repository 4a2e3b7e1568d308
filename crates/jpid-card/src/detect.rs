//! Telling cards apart by what they answer, never by ATR (contactless ATRs are made up by the
//! reader: docs/spec/mynumber-card.md §6).
//!
//! Probes, in order:
//! 1. READ BINARY of short EF `0A` in the MF: a residence card or special permanent resident
//!    certificate answers `C1` with its card type (docs/spec/residence-card.md §0, §3). If the
//!    first read fails, SELECT MF (`00 A4 00 00 02 3F 00`) and try once more, since another program
//!    may have left a DF selected.
//! 2. SELECT of the JPKI-AP AID: a My Number card, an old 住基 card and a smartphone JPKI token
//!    all answer; EF 0006's token label tells them apart (docs/spec/mynumber-card.md §2, §7).
//!    A My Number card is then asked for the 在留AP of a specified residence card (`6A 82` on
//!    an ordinary one); if it has one, its card type `C1` (`07`/`08`) is read there, before any
//!    authentication (docs/spec/next-wave.md §1.2).
//! 3. Anything else is unknown.

use jpid_apdu::{tlv, Command, StatusWord, Tag};

use jpid_model::residence::{self, SFI_CARD_TYPE};
use jpid_model::ResidenceCardType;

use crate::spec::*;
use crate::{CardError, CardTransport, Channel, FileRef};

/// Which card (or token) is in the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CardKind {
    /// 在留カード or 特別永住者証明書, by the card type the chip records.
    Residence(ResidenceCardType),
    /// A residence-card chip whose card type jpid does not handle (`07`/`08`, specified cards,
    /// or a value no fact sheet lists).
    OtherResidenceType(String),
    /// マイナンバーカード (token label `JPKIAPICCTOKEN2`).
    MyNumberCard,
    /// 特定在留カード (`07`) or 特定特別永住者証明書 (`08`): a My Number card chip with a
    /// residence AP. Its My Number applications are read as a My Number card; its residence
    /// AP's secure messaging is not supported.
    SpecifiedResidence {
        /// `07` or `08`.
        card_type: String,
    },
    /// Smartphone JPKI (スマホ用電子証明書) seen through a reader: Android or iPhone.
    JpkiSmartphone {
        /// `android` or `ios`.
        platform: &'static str,
    },
    /// The old Basic Resident Register card with JPKI (`JPKIAPICCTOKEN`).
    JukiCard,
    /// A JPKI-AP with a token label no fact sheet lists.
    OtherJpkiToken(String),
    /// Not a card jpid knows.
    Unknown,
}

impl CardKind {
    /// Stable machine name used in JSON output and `sim:` reader specs.
    pub fn id(&self) -> &'static str {
        match self {
            Self::Residence(t) => t.id(),
            Self::OtherResidenceType(_) => "residence-other",
            Self::MyNumberCard => "mynumber",
            Self::SpecifiedResidence { card_type } if card_type == "08" => "specified-spr",
            Self::SpecifiedResidence { .. } => "specified-residence",
            Self::JpkiSmartphone { .. } => "jpki-smartphone",
            Self::JukiCard => "juki",
            Self::OtherJpkiToken(_) => "jpki-other",
            Self::Unknown => "unknown",
        }
    }

    /// A sentence for people.
    pub fn describe(&self) -> String {
        match self {
            Self::Residence(t) => t.describe(),
            Self::OtherResidenceType(t) => {
                format!("residence-card chip with card type {t:?}, which jpid does not support")
            }
            Self::MyNumberCard => "My Number Card (マイナンバーカード)".into(),
            Self::SpecifiedResidence { card_type } => format!(
                "specified {} (特定{}, card type {card_type}): a My Number Card chip with a \
                 residence AP. Its My Number applications read as a My Number Card; the residence \
                 AP's secure messaging is not supported yet",
                if card_type == "08" {
                    "SPR certificate"
                } else {
                    "residence card"
                },
                if card_type == "08" {
                    "特別永住者証明書"
                } else {
                    "在留カード"
                }
            ),
            Self::JpkiSmartphone { platform } => {
                format!("smartphone JPKI token ({platform}), not a plastic card")
            }
            Self::JukiCard => "Basic Resident Register card (住基カード) with JPKI".into(),
            Self::OtherJpkiToken(l) => format!("JPKI token with unknown label {l:?}"),
            Self::Unknown => "unknown card: not a residence card or a My Number card".into(),
        }
    }

    /// True for cards jpid can read.
    pub fn is_supported(&self) -> bool {
        matches!(
            self,
            Self::Residence(_)
                | Self::MyNumberCard
                | Self::SpecifiedResidence { .. }
                | Self::JpkiSmartphone { .. }
        )
    }
}

/// What detection found, with the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The card kind.
    pub kind: CardKind,
    /// The ATR as the transport reported it.
    pub atr: Vec<u8>,
    /// The residence card-type value (`1`, `2`, `05`, `06`, ...), when read.
    pub card_type: Option<String>,
    /// The JPKI token label, when read.
    pub token_label: Option<String>,
}

/// Identifies the card behind `channel` with a few harmless SELECT and READ BINARY probes.
/// No PIN is tried and no counter changes.
pub fn detect<T: CardTransport>(channel: &mut Channel<T>) -> Result<Detection, CardError> {
    let atr = channel.transport().atr().to_vec();
    let found = |kind, card_type, token_label| Detection {
        kind,
        atr: atr.clone(),
        card_type,
        token_label,
    };

    let mut card_type = read_card_type(channel)?;
    if card_type.is_none() {
        let mf = Command::new(0x00, 0xA4, 0x00, 0x00).with_data(vec![0x3F, 0x00]);
        if channel.transmit(&mf)?.sw().is_success() {
            card_type = read_card_type(channel)?;
        }
    }
    if let Some(t) = card_type {
        let kind = match ResidenceCardType::from_value(t.as_bytes()) {
            Some(t) => CardKind::Residence(t),
            None => CardKind::OtherResidenceType(t.clone()),
        };
        return Ok(found(kind, Some(t), None));
    }

    if channel.select_aid(&JPKI_AID)?.is_success() {
        let label = read_token_label(channel)?;
        let kind = match label.as_deref() {
            Some(TOKEN_MYNUMBER_CARD) => match specified_card_type(channel)? {
                Some(card_type) => {
                    return Ok(found(
                        CardKind::SpecifiedResidence {
                            card_type: card_type.clone(),
                        },
                        Some(card_type),
                        label,
                    ))
                }
                None => CardKind::MyNumberCard,
            },
            Some(TOKEN_JUKI_CARD) => CardKind::JukiCard,
            Some(TOKEN_ANDROID) => CardKind::JpkiSmartphone {
                platform: "android",
            },
            Some(TOKEN_IOS) => CardKind::JpkiSmartphone { platform: "ios" },
            Some(other) => CardKind::OtherJpkiToken(other.to_string()),
            None => CardKind::OtherJpkiToken(String::new()),
        };
        return Ok(found(kind, None, label));
    }
    Ok(found(CardKind::Unknown, None, None))
}

/// Reads MF/EF02 and returns the `C1` value when it is one, `None` for any other answer.
fn read_card_type<T: CardTransport>(channel: &mut Channel<T>) -> Result<Option<String>, CardError> {
    let resp = channel.read_binary(FileRef::Sfi(SFI_CARD_TYPE), 0, 256)?;
    if !resp.sw().is_success_or_warning() {
        return Ok(None);
    }
    let Ok(t) = tlv::expect_single(resp.data(), Tag::new(residence::TAG_CARD_TYPE)) else {
        return Ok(None);
    };
    let value = t.value();
    if value.is_empty() || value.len() > 2 || !value.iter().all(u8::is_ascii_digit) {
        return Ok(None);
    }
    Ok(String::from_utf8(value.to_vec()).ok())
}

/// SELECTs the 在留AP of a specified residence card and reads its card type there: `07` or `08`
/// when the card has one, `None` otherwise (an ordinary My Number card answers `6A 82`). The AP
/// is left selected; callers select what they need next.
pub fn specified_card_type<T: CardTransport>(
    channel: &mut Channel<T>,
) -> Result<Option<String>, CardError> {
    if !channel.select_aid(&RESIDENCE_SPECIFIED_AP)?.is_success() {
        return Ok(None);
    }
    Ok(read_card_type(channel)?.filter(|t| t == "07" || t == "08"))
}

/// Reads the 32-byte space-padded token label of JPKI-AP EF 0006.
fn read_token_label<T: CardTransport>(
    channel: &mut Channel<T>,
) -> Result<Option<String>, CardError> {
    if channel.select_ef(JPKI_EF_TOKEN_INFO)? != StatusWord::Success {
        return Ok(None);
    }
    let resp = channel.read_binary(FileRef::Current, 0, 32)?;
    if !resp.sw().is_success_or_warning() {
        return Ok(None);
    }
    let label: String = resp
        .data()
        .iter()
        .take(32)
        .take_while(|b| b.is_ascii_graphic())
        .map(|b| char::from(*b))
        .collect();
    Ok((!label.is_empty()).then_some(label))
}
