//! The My Number card as a whole: every key of every application and its remaining tries, read
//! without spending any (an empty VERIFY, mynumber-card.md §2, §3, §4, §5).

use jpid_apdu::{Command, StatusWord};

use crate::jpki::PinState;
use crate::spec::{JPKI_AID, JUKI_AID, SURFACE_AID, TEXT_AID};
use crate::{CardError, CardTransport, Channel};

/// One key (PIN or 照合番号) of one application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRef {
    /// Application name: `jpki`, `text`, `surface`, `juki`, `common`.
    pub app: &'static str,
    /// Its AID.
    pub aid: &'static [u8],
    /// Short id of the key EF (VERIFY P2 = 80|id).
    pub id: u8,
    /// Stable key name.
    pub key: &'static str,
    /// What it is.
    pub label: &'static str,
    /// The retry limit the fact sheet gives (10 for the 照合番号 keys is UNCONFIRMED first-hand).
    pub max_tries: u8,
}

const fn k(
    app: &'static str,
    aid: &'static [u8],
    id: u8,
    key: &'static str,
    label: &'static str,
    max_tries: u8,
) -> KeyRef {
    KeyRef {
        app,
        aid,
        id,
        key,
        label,
        max_tries,
    }
}

/// Every key jpid knows, by application (mynumber-card.md §2–5).
pub const KEYS: [KeyRef; 9] = [
    k(
        "jpki",
        &JPKI_AID,
        0x18,
        "auth_pin",
        "JPKI user-authentication PIN (利用者証明用暗証番号)",
        3,
    ),
    k(
        "jpki",
        &JPKI_AID,
        0x1B,
        "sign_password",
        "JPKI signature password (署名用パスワード)",
        5,
    ),
    k(
        "text",
        &TEXT_AID,
        0x11,
        "pin",
        "card-face entry auxiliary PIN (券面事項入力補助用暗証番号)",
        3,
    ),
    k(
        "text",
        &TEXT_AID,
        0x14,
        "key_a",
        "照合番号A (the My Number)",
        10,
    ),
    k(
        "text",
        &TEXT_AID,
        0x15,
        "key_b",
        "照合番号B (birth date, expiry year, security code)",
        10,
    ),
    k(
        "surface",
        &SURFACE_AID,
        0x11,
        "birth_date_key",
        "card-face AP birth-date key",
        10,
    ),
    k(
        "surface",
        &SURFACE_AID,
        0x12,
        "key_b",
        "card-face AP 照合番号B",
        10,
    ),
    k(
        "surface",
        &SURFACE_AID,
        0x13,
        "key_a",
        "card-face AP 照合番号A",
        10,
    ),
    k(
        "juki",
        &JUKI_AID,
        0x1C,
        "pin",
        "Basic Resident Register PIN (住民基本台帳用暗証番号)",
        3,
    ),
];

/// The state of one key, or why it could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Read.
    State(PinState),
    /// The application or the key does not exist on this card (e.g. a smartphone token).
    Absent,
}

/// Reads the state of every key in [`KEYS`]; no try is spent.
pub fn status<T: CardTransport>(
    ch: &mut Channel<T>,
) -> Result<Vec<(KeyRef, KeyStatus)>, CardError> {
    let mut out = Vec::with_capacity(KEYS.len());
    let mut selected: Option<&[u8]> = None;
    let mut app_present = false;
    for key in KEYS {
        if selected != Some(key.aid) {
            app_present = match ch.select_aid(key.aid)? {
                StatusWord::Success => true,
                StatusWord::FileNotFound => false,
                sw => return Err(CardError::Status { op: "SELECT", sw }),
            };
            selected = Some(key.aid);
        }
        if !app_present {
            out.push((key, KeyStatus::Absent));
            continue;
        }
        let sw = ch
            .transmit(&Command::new(0x00, 0x20, 0x00, 0x80 | key.id))?
            .sw();
        let state = match sw {
            StatusWord::WrongPin { remaining: 0 } | StatusWord::ReferenceDataBlocked => {
                KeyStatus::State(PinState::Blocked)
            }
            StatusWord::WrongPin { remaining } => KeyStatus::State(PinState::Remaining(remaining)),
            StatusWord::Success => KeyStatus::State(PinState::Verified),
            StatusWord::ReferencedDataNotFound | StatusWord::FileNotFound => KeyStatus::Absent,
            sw => {
                return Err(CardError::Status {
                    op: "VERIFY (status)",
                    sw,
                })
            }
        };
        out.push((key, state));
    }
    Ok(out)
}
