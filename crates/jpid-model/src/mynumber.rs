//! The My Number card's files that jpid reads and verifiers check: the card-face entry
//! auxiliary AP (券面事項入力補助AP, "text AP", docs/spec/mynumber-card.md §3) and the card-face
//! AP (券面事項確認AP, §4). jpid calls the second one "card-face" everywhere (`mynumber face`,
//! `jpid.mynumber-face-dump`, `/v1/mynumber/face/verify`).

/// The text AP's files as read (docs/spec/mynumber-card.md §3). `Debug` leaves out EF 0001 and
/// EF 0003 (the My Number and the digest it can be recovered from).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TextFiles {
    /// EF 0001 (My Number), when it was opened and asked for.
    pub my_number: Option<Vec<u8>>,
    /// EF 0002 (basic four: name, address, birth date, sex), when it was opened.
    pub basic: Option<Vec<u8>>,
    /// EF 0003 (integrity record).
    pub integrity: Vec<u8>,
    /// EF 0004 (the AP's card-verifiable certificate).
    pub cvc: Vec<u8>,
    /// EF 0007, the card's own public key signed by the AP's key (`FF50 { DF51, DF52 }`), when
    /// the key that opened the AP opens it: what the chip's answer to a challenge is checked
    /// with (docs/spec/mynumber-card.md §3, UNCONFIRMED).
    pub card_key: Option<Vec<u8>>,
}

/// A chip's answer to a challenge: INTERNAL AUTHENTICATE (`80 2A 00 00`) with
/// DigestInfo(SHA-256(challenge)), which the chip signs with its own key without any PIN
/// (docs/spec/mynumber-card.md §3 "Proving the card is live", §4; single source, UNCONFIRMED).
/// Only a fresh challenge, chosen by the verifier for this read, proves anything.
#[derive(Clone, PartialEq, Eq)]
pub struct ChipAnswer {
    /// The challenge the verifier chose.
    pub challenge: Vec<u8>,
    /// The chip's signature over it.
    pub signature: Vec<u8>,
}

impl std::fmt::Debug for ChipAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ChipAnswer({} byte challenge, {} byte signature)",
            self.challenge.len(),
            self.signature.len()
        )
    }
}

impl std::fmt::Debug for TextFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextFiles")
            .field("my_number", &self.my_number.as_ref().map(|_| "REDACTED"))
            .field("basic", &self.basic.as_ref().map(Vec::len))
            .field("integrity", &"REDACTED")
            .field("cvc", &self.cvc.len())
            .field("card_key", &self.card_key.as_ref().map(Vec::len))
            .finish()
    }
}

/// The card-face AP's files as read (docs/spec/mynumber-card.md §4). `Debug` shows only sizes.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CardFaceFiles {
    /// EF 0001, the birth record, when the birth-date key opened it.
    pub birth: Option<Vec<u8>>,
    /// EF 0002, the card face, when 照合番号A or B opened it.
    pub face: Option<Vec<u8>>,
    /// EF 0003 (AP basic info, unsigned), when read.
    pub info: Option<Vec<u8>>,
    /// EF 0004 (the AP's card-verifiable certificate).
    pub cvc: Vec<u8>,
    /// EF 0005, the My Number image, when 照合番号A opened it and it was asked for.
    pub my_number_image: Option<Vec<u8>>,
}

impl std::fmt::Debug for CardFaceFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardFaceFiles")
            .field("birth", &self.birth.as_ref().map(Vec::len))
            .field("face", &self.face.as_ref().map(Vec::len))
            .field("info", &self.info.as_ref().map(Vec::len))
            .field("cvc", &self.cvc.len())
            .field(
                "my_number_image",
                &self.my_number_image.as_ref().map(|_| "REDACTED"),
            )
            .finish()
    }
}
