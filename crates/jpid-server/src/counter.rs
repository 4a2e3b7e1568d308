//! What the counter page needs from the machine's card reader, as a trait: the service itself
//! never touches a transport, PC/SC or the card stack. The `jpid` binary implements it with
//! `jpid-card` (a PC/SC reader or a simulated card); tests may implement it with anything that
//! returns card files.
//!
//! Every method runs on a blocking thread, one at a time (the service holds a lock around it),
//! and takes the secret the clerk typed as text; the implementation checks its form before
//! anything is sent to the card, reads the retry counter first, and never spends the last try
//! unless `force` is set.

use jpid_model::{CardFaceFiles, ChipAnswer, ResidenceFiles, TextFiles};
use zeroize::Zeroizing;

/// The card reader behind the counter page.
pub trait CounterReader: Send + Sync {
    /// Reads a Residence Card or SPR certificate with its card number: every file of its
    /// generation (docs/spec/residence-card.md §1, §3).
    fn read_residence(&self, card_number: &Zeroizing<String>) -> Result<ResidenceFiles, ReadError>;

    /// Reads the My Number card's text AP with its 4-digit PIN or 照合番号B (`key`): the basic
    /// four, the integrity record, the CVC and the card key, never the My Number, then has the
    /// chip sign `challenge` (docs/spec/mynumber-card.md §3). A chip that refuses to sign
    /// answers with an empty signature, which then does not verify.
    fn read_text(
        &self,
        key: TextKeyKind,
        secret: &Zeroizing<String>,
        force: bool,
        challenge: &[u8],
    ) -> Result<(TextFiles, ChipAnswer), ReadError>;

    /// Reads the My Number card's card-face AP with 照合番号B: the card face and the CVC, never
    /// the My Number image, then has the chip sign `challenge` (docs/spec/mynumber-card.md §4).
    fn read_card_face(
        &self,
        key_b: &Zeroizing<String>,
        force: bool,
        challenge: &[u8],
    ) -> Result<(CardFaceFiles, ChipAnswer), ReadError>;

    /// The PIN-less counter check with 照合番号B: the text AP (basic four) and the card-face AP
    /// (photo), each with the chip signing its challenge, and the JPKI user-authentication
    /// certificate, which needs no PIN. Stops after the first AP that refuses the number, so
    /// a wrong entry costs one try (docs/spec/services.md §3, 対面 without a PIN).
    fn check(
        &self,
        key_b: &Zeroizing<String>,
        force: bool,
        challenges: (&[u8], &[u8]),
    ) -> Result<CheckRead, ReadError>;
}

/// Which key opens the text AP at the counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKeyKind {
    /// The 4-digit PIN.
    Pin,
    /// 照合番号B (14 digits).
    B,
}

/// What the PIN-less counter check reads.
#[derive(Debug, Clone)]
pub struct CheckRead {
    /// The text AP, with the chip's answer.
    pub text: (TextFiles, ChipAnswer),
    /// The card-face AP, with the chip's answer.
    pub face: (CardFaceFiles, ChipAnswer),
    /// The JPKI user-authentication certificate (DER).
    pub auth_certificate: Vec<u8>,
}

/// Why a counter read failed, in kinds the page and the audit record tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadErrorKind {
    /// The typed number or PIN has the wrong form; nothing was sent to the card.
    BadInput,
    /// The card refused the card number.
    WrongCardNumber,
    /// The card refused the PIN or 照合番号; tries remain.
    WrongPin {
        /// Tries left.
        remaining: u8,
    },
    /// The key is blocked.
    PinBlocked,
    /// One try is left and it was not to be spent.
    PinLastTry,
    /// No card on the reader, or it was removed during the read.
    NoCard,
    /// No reader, or the PC/SC service is not running.
    ReaderUnavailable,
    /// The card on the reader is not the kind asked for.
    WrongCardKind,
    /// Anything else the card or the reader did.
    Card,
}

impl ReadErrorKind {
    /// Stable id, as the audit record and the page's answer name it.
    pub fn id(self) -> &'static str {
        match self {
            Self::BadInput => "bad_input",
            Self::WrongCardNumber => "wrong_card_number",
            Self::WrongPin { .. } => "wrong_pin",
            Self::PinBlocked => "pin_blocked",
            Self::PinLastTry => "pin_last_try",
            Self::NoCard => "no_card",
            Self::ReaderUnavailable => "reader_unavailable",
            Self::WrongCardKind => "wrong_card_kind",
            Self::Card => "card_error",
        }
    }
}

/// A failed counter read: its kind and a sentence for people (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ReadError {
    /// What went wrong.
    pub kind: ReadErrorKind,
    /// A sentence for people.
    pub message: String,
}

impl ReadError {
    /// A read error of `kind`.
    pub fn new(kind: ReadErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}
