//! The JPKI-AP applet of the simulated My Number card: COMPUTE DIGITAL SIGNATURE with the
//! user-authentication or signature key (docs/spec/mynumber-card.md §2).
//!
//! - `80 2A 00 80 Lc <DigestInfo> 00` signs with the key EF selected before (`0017` auth,
//!   `001A` signature); P2 `97`/`9A` names the key directly (MC, MBE).
//! - The card applies PKCS#1 v1.5 type-1 padding to whatever the host sends (at most k−11 = 245
//!   bytes); the hash choice is the host's.
//! - The key's PIN (`0018` / `001B`) must be verified in this card session, else `69 82`.
//! - P1 other than `00` (schemes seen only by MC, UNCONFIRMED) answers `6A 86`.
//!
//! Card-level commands (docs/spec/mynumber-card.md §6, MC, UNCONFIRMED):
//! - GET CHALLENGE `00 84 00 00 Le` answers Le (1–256) random bytes; the extended form `69 85`.
//! - GET DATA `00 CA` at the MF (before any application is selected): `5F51` the contact ATR
//!   without its TS byte, `00F0` the municipality code, `00F2` the card's expiry (ASCII; the
//!   encoding of F0/F2 is not published, UNCONFIRMED); any other object `6A 88`. The sweep's
//!   other objects (0042, 0045, 0066, 00F7, 00F8) are not modelled and also answer `6A 88`.
//! - ISO INTERNAL AUTHENTICATE `00 88` answers `69 85`: MC saw only the common AP's key 0019
//!   answer it, with data no source describes, so that key is not modelled.
//!
//! In the text AP and the card-face AP, `80 2A 00 00 Lc <DigestInfo> 00` is INTERNAL
//! AUTHENTICATE: the chip signs with its own key, no PIN needed, which is how a reader proves
//! the chip itself answered (docs/spec/mynumber-card.md §3 "Proving the card is live", §4; MC,
//! P8N; UNCONFIRMED on hardware). P2 other than `00` (the AP's default key) answers `6A 86`.

use jpid_apdu::{Command, Response, StatusWord};
use jpid_card::spec::{CARD_FACE_AID, JPKI_AID, TEXT_AID};
use rsa::{Pkcs1v15Sign, RsaPrivateKey};

use sha2::{Digest, Sha256};

use crate::fs::{DfRef, Extension, Os, Selected};

/// Key EF of the user-authentication key and its PIN.
pub const AUTH_KEY: u16 = 0x0017;
/// Key EF of the signature key.
pub const SIGN_KEY: u16 = 0x001A;
const AUTH_PIN: u16 = 0x0018;
const SIGN_PIN: u16 = 0x001B;
/// Largest DigestInfo a 2048-bit key can pad (k − 11).
const MAX_INPUT: usize = 245;

/// The signing keys of the JPKI-AP.
pub struct JpkiApplet {
    auth: Option<RsaPrivateKey>,
    sign: Option<RsaPrivateKey>,
    /// The chip's own key (text and card-face APs).
    chip: RsaPrivateKey,
    /// What GET DATA at the MF answers: the ATR, the municipality code, the expiry.
    card_data: CardData,
    /// GET CHALLENGE counter (the challenges are a hash chain: deterministic, unpredictable
    /// enough for a simulator, never a secret).
    challenges: u64,
}

/// The data objects GET DATA answers at the MF.
#[derive(Debug, Clone, Default)]
pub struct CardData {
    /// The card's contact ATR (TS first).
    pub atr: Vec<u8>,
    /// The municipality code, ASCII.
    pub municipality: String,
    /// The card's expiry, `YYYYMMDD`.
    pub expiry: String,
}

impl JpkiApplet {
    /// An applet with the auth key and, unless the card has none (face-authentication cards,
    /// holders under 15), the signature key.
    /// `chip` signs challenges in the text and card-face APs.
    pub fn new(auth: RsaPrivateKey, sign: Option<RsaPrivateKey>, chip: RsaPrivateKey) -> Self {
        Self {
            auth: Some(auth),
            sign,
            chip,
            card_data: CardData::default(),
            challenges: 0,
        }
    }

    /// The objects GET DATA answers at the MF.
    pub fn with_card_data(mut self, data: CardData) -> Self {
        self.card_data = data;
        self
    }

    fn get_challenge(&mut self, cmd: &Command) -> Response {
        if cmd.p1() != 0 || cmd.p2() != 0 {
            return Response::status(StatusWord::IncorrectP1P2);
        }
        if cmd.needs_extended() {
            return Response::status(StatusWord::ConditionsNotSatisfied);
        }
        let n = match cmd.le() {
            Some(n @ 1..=256) => n as usize,
            _ => return Response::status(StatusWord::WrongLength),
        };
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            self.challenges += 1;
            let block = Sha256::new()
                .chain_update(b"jpid-sim GET CHALLENGE")
                .chain_update(self.challenges.to_be_bytes())
                .finalize();
            out.extend(block.iter().take(n - out.len()));
        }
        Response::ok(out)
    }

    fn get_data(&self, os: &Os, cmd: &Command) -> Response {
        if os.current_df != DfRef::Mf {
            return Response::status(StatusWord::ReferencedDataNotFound);
        }
        let data = match (cmd.p1(), cmd.p2()) {
            (0x5F, 0x51) => self.card_data.atr.get(1..).map(<[u8]>::to_vec),
            (0x00, 0xF0) => Some(self.card_data.municipality.as_bytes().to_vec()),
            (0x00, 0xF2) => Some(self.card_data.expiry.as_bytes().to_vec()),
            _ => None,
        };
        match data.filter(|d| !d.is_empty()) {
            Some(d) => Response::ok(d),
            None => Response::status(StatusWord::ReferencedDataNotFound),
        }
    }

    /// INTERNAL AUTHENTICATE in the text or card-face AP: the chip's own key, no PIN.
    fn internal_authenticate(&self, cmd: &Command) -> Response {
        if cmd.p1() != 0x00 || cmd.p2() != 0x00 {
            return Response::status(StatusWord::IncorrectP1P2);
        }
        let data = cmd.data();
        if data.is_empty() || data.len() > MAX_INPUT {
            return Response::status(StatusWord::WrongLength);
        }
        match self.chip.sign(Pkcs1v15Sign::new_unprefixed(), data) {
            Ok(sig) => Response::ok(sig),
            Err(_) => Response::status(StatusWord::ExecutionError),
        }
    }

    fn compute_signature(&self, os: &Os, cmd: &Command) -> Response {
        let aid = os.df().aid.as_deref();
        if aid == Some(&TEXT_AID[..]) || aid == Some(&CARD_FACE_AID[..]) {
            return self.internal_authenticate(cmd);
        }
        if aid != Some(&JPKI_AID[..]) {
            return Response::status(StatusWord::ConditionsNotSatisfied);
        }
        if cmd.p1() != 0x00 {
            return Response::status(StatusWord::IncorrectP1P2);
        }
        let key_fid = match cmd.p2() {
            0x80 => match os.selected {
                Selected::Ef(i) => os.df().efs.get(i).map(|e| e.fid),
                _ => None,
            },
            0x97 => Some(AUTH_KEY),
            0x9A => Some(SIGN_KEY),
            _ => return Response::status(StatusWord::IncorrectP1P2),
        };
        let (key, pin) = match key_fid {
            Some(AUTH_KEY) => (self.auth.as_ref(), AUTH_PIN),
            Some(SIGN_KEY) => (self.sign.as_ref(), SIGN_PIN),
            _ => return Response::status(StatusWord::ReferencedDataNotFound),
        };
        let Some(key) = key else {
            return Response::status(StatusWord::ReferencedDataNotFound);
        };
        let verified = os.df().pins.iter().any(|p| p.fid == pin && p.is_verified());
        if !verified {
            return Response::status(StatusWord::SecurityStatusNotSatisfied);
        }
        let data = cmd.data();
        if data.is_empty() || data.len() > MAX_INPUT {
            return Response::status(StatusWord::WrongLength);
        }
        match key.sign(Pkcs1v15Sign::new_unprefixed(), data) {
            Ok(sig) => Response::ok(sig),
            Err(_) => Response::status(StatusWord::ExecutionError),
        }
    }
}

impl Extension for JpkiApplet {
    fn handle(&mut self, os: &mut Os, cmd: &Command) -> Option<Response> {
        match (cmd.cla(), cmd.ins()) {
            (0x80, 0x2A) => Some(self.compute_signature(os, cmd)),
            (0x00, 0x84) => Some(self.get_challenge(cmd)),
            (0x00, 0xCA) => Some(self.get_data(os, cmd)),
            (0x00, 0x88) => Some(Response::status(StatusWord::ConditionsNotSatisfied)),
            _ => None,
        }
    }

    fn allows(&self, _os: &Os, _rule: u8) -> bool {
        false
    }

    fn reset(&mut self) {}
}
