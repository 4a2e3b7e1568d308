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
//! In the text AP and the card-face AP, `80 2A 00 00 Lc <DigestInfo> 00` is INTERNAL
//! AUTHENTICATE: the chip signs with its own key, no PIN needed, which is how a reader proves
//! the chip itself answered (docs/spec/mynumber-card.md §3 "Proving the card is live", §4; MC,
//! P8N; UNCONFIRMED on hardware). P2 other than `00` (the AP's default key) answers `6A 86`.

use jpid_apdu::{Command, Response, StatusWord};
use jpid_card::spec::{CARD_FACE_AID, JPKI_AID, TEXT_AID};
use rsa::{Pkcs1v15Sign, RsaPrivateKey};

use crate::fs::{Extension, Os, Selected};

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
            _ => None,
        }
    }

    fn allows(&self, _os: &Os, _rule: u8) -> bool {
        false
    }

    fn reset(&mut self) {}
}
