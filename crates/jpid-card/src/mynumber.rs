//! The My Number card as a whole: every key of every application and its remaining tries, read
//! without spending any (an empty VERIFY, docs/spec/mynumber-card.md §2, §3, §4, §5).

use jpid_apdu::{Command, Sensitive, StatusWord};

use jpid_model::{CardFaceFiles, ChipAnswer, TextFiles};

use crate::jpki::PinState;
use crate::spec::{CARD_FACE_AID, COMMON_AID, JPKI_AID, JUKI_AID, TEXT_AID};
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

/// JPKI user-authentication PIN (docs/spec/mynumber-card.md §2).
pub const JPKI_AUTH_PIN: KeyRef = k(
    "jpki",
    &JPKI_AID,
    0x18,
    "auth_pin",
    "JPKI user-authentication PIN (利用者証明用暗証番号)",
    3,
);
/// JPKI signature password (§2).
pub const JPKI_SIGN_PASSWORD: KeyRef = k(
    "jpki",
    &JPKI_AID,
    0x1B,
    "sign_password",
    "JPKI signature password (署名用パスワード)",
    5,
);
/// Text AP PIN (§3).
pub const TEXT_PIN: KeyRef = k(
    "text",
    &TEXT_AID,
    0x11,
    "pin",
    "card-face entry auxiliary PIN (券面事項入力補助用暗証番号)",
    3,
);
/// Text AP 照合番号A (§3).
pub const TEXT_KEY_A: KeyRef = k(
    "text",
    &TEXT_AID,
    0x14,
    "key_a",
    "照合番号A (the My Number)",
    10,
);
/// Text AP 照合番号B (§3).
pub const TEXT_KEY_B: KeyRef = k(
    "text",
    &TEXT_AID,
    0x15,
    "key_b",
    "照合番号B (birth date, expiry year, security code)",
    10,
);
/// Card-face AP birth-date key (§4).
pub const CARD_FACE_BIRTH_DATE_KEY: KeyRef = k(
    "surface",
    &CARD_FACE_AID,
    0x11,
    "birth_date_key",
    "card-face AP birth-date key",
    10,
);
/// Card-face AP 照合番号B (§4).
pub const CARD_FACE_KEY_B: KeyRef = k(
    "surface",
    &CARD_FACE_AID,
    0x12,
    "key_b",
    "card-face AP 照合番号B",
    10,
);
/// Card-face AP 照合番号A (§4).
pub const CARD_FACE_KEY_A: KeyRef = k(
    "surface",
    &CARD_FACE_AID,
    0x13,
    "key_a",
    "card-face AP 照合番号A",
    10,
);
/// Basic Resident Register PIN (§5).
pub const JUKI_PIN: KeyRef = k(
    "juki",
    &JUKI_AID,
    0x1C,
    "pin",
    "Basic Resident Register PIN (住民基本台帳用暗証番号)",
    3,
);
/// The common AP's PIN, also 001C with 3 tries (§5: two 10-byte DFs carry a 001C PIN; which
/// one is officially the 住基AP is UNCONFIRMED, so `mynumber status` asks both).
pub const COMMON_PIN: KeyRef = k(
    "common",
    &COMMON_AID,
    0x1C,
    "pin",
    "common AP PIN (共通AP; 住基 by some sources, UNCONFIRMED)",
    3,
);

/// Every key jpid knows, by application (docs/spec/mynumber-card.md §2–5). The application
/// names (`surface` for the card-face AP) are part of `mynumber status`'s JSON.
pub const KEYS: [KeyRef; 10] = [
    JPKI_AUTH_PIN,
    JPKI_SIGN_PASSWORD,
    TEXT_PIN,
    TEXT_KEY_A,
    TEXT_KEY_B,
    CARD_FACE_BIRTH_DATE_KEY,
    CARD_FACE_KEY_B,
    CARD_FACE_KEY_A,
    JUKI_PIN,
    COMMON_PIN,
];

/// The state of one key, or why it could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Read.
    State(PinState),
    /// The application or the key does not exist on this card (e.g. a smartphone token).
    Absent,
    /// The key answered a status word jpid does not know for an empty VERIFY: reported for this
    /// key alone, so that one odd key does not hide the others' states.
    Unexpected(StatusWord),
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
            sw if sw.is_key_blocked() => KeyStatus::State(PinState::Blocked),
            StatusWord::WrongPin { remaining } => KeyStatus::State(PinState::Remaining(remaining)),
            StatusWord::Success => KeyStatus::State(PinState::Verified),
            StatusWord::ReferencedDataNotFound | StatusWord::FileNotFound => KeyStatus::Absent,
            sw => KeyStatus::Unexpected(sw),
        };
        out.push((key, state));
    }
    Ok(out)
}

/// How the text AP is opened (docs/spec/mynumber-card.md §3): the 4-digit PIN opens everything,
/// 照合番号A (the 12-digit My Number) opens the My Number, 照合番号B (14 digits: era birth date
/// YYMMDD, expiry year, security code) opens the basic four.
#[derive(Clone)]
pub enum TextKey {
    /// The PIN (key 0011, 3 tries).
    Pin(Sensitive),
    /// 照合番号A (key 0014).
    A(Sensitive),
    /// 照合番号B (key 0015).
    B(Sensitive),
}

impl std::fmt::Debug for TextKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pin(_) => "TextKey::Pin(REDACTED)",
            Self::A(_) => "TextKey::A(REDACTED)",
            Self::B(_) => "TextKey::B(REDACTED)",
        })
    }
}

/// A key of the wrong form (never sent to the card).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadKey(&'static str);

fn digits(text: &str, n: usize, err: &'static str) -> Result<Sensitive, BadKey> {
    let t = text.trim_end_matches(['\r', '\n']);
    if t.len() == n && t.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Sensitive::new(t.as_bytes().to_vec()))
    } else {
        Err(BadKey(err))
    }
}

impl TextKey {
    /// The 4-digit PIN.
    pub fn pin(text: &str) -> Result<Self, BadKey> {
        digits(text, 4, "the card-face entry auxiliary PIN is 4 digits").map(Self::Pin)
    }
    /// 照合番号A: the 12-digit My Number.
    pub fn a(text: &str) -> Result<Self, BadKey> {
        digits(text, 12, "照合番号A is the 12-digit My Number").map(Self::A)
    }
    /// 照合番号B: 14 digits.
    pub fn b(text: &str) -> Result<Self, BadKey> {
        digits(
            text,
            14,
            "照合番号B is 14 digits: birth date as era YYMMDD, expiry year, security code",
        )
        .map(Self::B)
    }
    fn key(&self) -> (KeyRef, &Sensitive) {
        match self {
            Self::Pin(s) => (TEXT_PIN, s),
            Self::A(s) => (TEXT_KEY_A, s),
            Self::B(s) => (TEXT_KEY_B, s),
        }
    }
}

/// Errors of keyed access to the My Number card's APs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Transport or APDU failure.
    #[error(transparent)]
    Card(#[from] CardError),
    /// The application is missing.
    #[error("this card has no {0} application")]
    NoApplication(&'static str),
    /// Blocked.
    #[error("the {0} is blocked; the holder must have it reset at the municipal office (市区町村の窓口)")]
    Blocked(&'static str),
    /// Only one try left and no `--force`.
    #[error("only 1 try of the {0} is left; jpid will not spend it without --force")]
    LastTry(&'static str),
    /// Wrong key.
    #[error("wrong {label}: {remaining} tries left")]
    Wrong {
        /// Which key.
        label: &'static str,
        /// Tries left.
        remaining: u8,
    },
}

/// VERIFY of `key` with `secret`: the counter first, never a blocked key, the last try only with
/// `force`, exactly one VERIFY.
pub fn verify_key<T: CardTransport>(
    ch: &mut Channel<T>,
    key: KeyRef,
    secret: &Sensitive,
    force: bool,
) -> Result<(), KeyError> {
    let p2 = 0x80 | key.id;
    let sw = ch.transmit(&Command::new(0x00, 0x20, 0x00, p2))?.sw();
    match sw {
        // Already verified in this session (not by us: every PIN flow starts from a reset): the
        // typed key is still checked; the counter is full after a success.
        StatusWord::Success => {}
        sw if sw.is_key_blocked() => return Err(KeyError::Blocked(key.label)),
        StatusWord::WrongPin { remaining: 1 } if !force => {
            return Err(KeyError::LastTry(key.label))
        }
        StatusWord::WrongPin { .. } => {}
        sw => {
            return Err(CardError::Status {
                op: "VERIFY (status)",
                sw,
            }
            .into())
        }
    }
    match ch
        .transmit(&Command::new(0x00, 0x20, 0x00, p2).sensitive(secret))?
        .sw()
    {
        StatusWord::Success => Ok(()),
        sw if sw.is_key_blocked() => Err(KeyError::Blocked(key.label)),
        StatusWord::WrongPin { remaining } => Err(KeyError::Wrong {
            label: key.label,
            remaining,
        }),
        sw => Err(CardError::Status { op: "VERIFY", sw }.into()),
    }
}

fn read_ef<T: CardTransport>(ch: &mut Channel<T>, fid: u16) -> Result<Vec<u8>, CardError> {
    match ch.select_ef(fid)? {
        // EF 0001 holds the My Number, EF 0002 the basic four, EF 0003 digests from which the My
        // Number can be recovered by trying all 10^12 numbers: none reaches the APDU trace.
        // EF 0001 is read whole, filler included: DF31 hashes its physical bytes. The others are
        // read by their TLV length (DF32 covers TLVs inside EF 0002; EF 0003 and the CVC are
        // parsed as one object), which needs no question past the end of the file
        // (docs/spec/mynumber-card.md §3).
        StatusWord::Success if fid == 0x0001 => ch.read_secret_file(crate::FileRef::Current, 4096),
        StatusWord::Success if fid <= 0x0003 => {
            ch.read_secret_tlv_file(crate::FileRef::Current, 4096)
        }
        StatusWord::Success => ch.read_tlv_file(crate::FileRef::Current, 4096),
        sw => Err(CardError::Status {
            op: "SELECT EF",
            sw,
        }),
    }
}

/// Whether a read takes the My Number itself (the text AP's EF 0001, the card-face AP's My
/// Number image EF 0005) when the key opens it. An age check or a counter read has no business
/// reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MyNumber {
    /// Leave it on the card.
    Leave,
    /// Read it.
    Read,
}

impl MyNumber {
    /// [`MyNumber::Read`] when `wanted`.
    pub fn read_if(wanted: bool) -> Self {
        if wanted {
            Self::Read
        } else {
            Self::Leave
        }
    }
}

/// Opens the text AP with `key` (the retry counter read first, the last try kept unless
/// `force`) and reads what it opens, plus the integrity record and the CVC
/// (docs/spec/mynumber-card.md §3). The My Number only with [`MyNumber::Read`].
pub fn read_text<T: CardTransport>(
    ch: &mut Channel<T>,
    key: &TextKey,
    force: bool,
    my_number: MyNumber,
) -> Result<TextFiles, KeyError> {
    match ch.select_aid(&TEXT_AID)? {
        StatusWord::Success => {}
        StatusWord::FileNotFound => {
            return Err(KeyError::NoApplication(
                "card-face entry auxiliary (券面事項入力補助)",
            ))
        }
        sw => {
            return Err(CardError::Status {
                op: "SELECT text AP",
                sw,
            }
            .into())
        }
    }
    let (key_ref, secret) = key.key();
    verify_key(ch, key_ref, secret, force)?;
    let mut out = TextFiles::default();
    if my_number == MyNumber::Read && matches!(key, TextKey::Pin(_) | TextKey::A(_)) {
        out.my_number = Some(read_ef(ch, 0x0001)?);
    }
    if matches!(key, TextKey::Pin(_) | TextKey::B(_)) {
        out.basic = Some(read_ef(ch, 0x0002)?);
    }
    out.integrity = read_ef(ch, 0x0003)?;
    out.cvc = read_ef(ch, 0x0004)?;
    // EF 0007, the card key its challenges are checked with (every key of the AP opens it,
    // docs/spec/mynumber-card.md §3; MC only, UNCONFIRMED): a card that refuses it still gives
    // its other files, and its verdict then says the chip could not be authenticated.
    out.card_key = match ch.select_ef(0x0007)? {
        StatusWord::Success => match ch.read_tlv_file(crate::FileRef::Current, 4096) {
            Ok(v) => Some(v),
            Err(CardError::Status { .. }) => None,
            Err(e) => return Err(e.into()),
        },
        _ => None,
    };
    Ok(out)
}

/// INTERNAL AUTHENTICATE in the selected text or card-face AP: the chip signs
/// DigestInfo(SHA-256(`challenge`)) with its own key, no PIN needed (`80 2A 00 00 Lc … 00`;
/// docs/spec/mynumber-card.md §3 "Proving the card is live", §4; MC and P8N, UNCONFIRMED on
/// hardware). The answer proves the chip is present only when the verifier chose the challenge
/// fresh for this read.
pub fn internal_authenticate<T: CardTransport>(
    ch: &mut Channel<T>,
    challenge: &[u8],
) -> Result<ChipAnswer, CardError> {
    let digest_info = crate::jpki::Hash::Sha256
        .digest_info(&sha2_256(challenge))
        .ok_or(CardError::Malformed {
            what: "challenge digest",
            detail: "not 32 bytes".into(),
        })?;
    let resp = ch.transmit(
        &Command::new(0x80, 0x2A, 0x00, 0x00)
            .with_data(digest_info)
            .with_le(256),
    )?;
    if resp.sw() != StatusWord::Success {
        return Err(CardError::Status {
            op: "INTERNAL AUTHENTICATE",
            sw: resp.sw(),
        });
    }
    Ok(ChipAnswer {
        challenge: challenge.to_vec(),
        signature: resp.data().to_vec(),
    })
}

/// [`internal_authenticate`], with a chip that refuses (a status word) answering without a
/// signature: that answer then does not verify, and the verdict says the chip was not
/// authenticated (transport failures stay errors).
pub fn chip_answer<T: CardTransport>(
    ch: &mut Channel<T>,
    challenge: &[u8],
) -> Result<ChipAnswer, CardError> {
    match internal_authenticate(ch, challenge) {
        Ok(a) => Ok(a),
        Err(CardError::Status { sw, .. }) => {
            log::warn!("the chip refused INTERNAL AUTHENTICATE ({sw})");
            Ok(ChipAnswer {
                challenge: challenge.to_vec(),
                signature: Vec::new(),
            })
        }
        Err(e) => Err(e),
    }
}

/// What the PIN-less counter check reads ([`read_check`]).
#[derive(Debug, Clone)]
pub struct CheckFiles {
    /// The text AP (basic four, never the My Number).
    pub text: TextFiles,
    /// The text AP chip's answer to its challenge.
    pub text_answer: ChipAnswer,
    /// The card-face AP (the card face, never the My Number image).
    pub face: CardFaceFiles,
    /// The card-face AP chip's answer to its challenge.
    pub face_answer: ChipAnswer,
    /// The JPKI user-authentication certificate (readable without a PIN).
    pub auth_certificate: Vec<u8>,
}

/// The PIN-less counter check (docs/spec/services.md §3, face-to-face use without a PIN): with
/// 照合番号B, the text AP's basic four and the card-face AP's card face, each followed by the
/// chip signing its own fresh challenge, then the JPKI user-authentication certificate, which
/// needs no PIN. Each AP's counter is read first and the last try kept unless `force`; a wrong
/// 照合番号B stops the read at the first AP, so one wrong entry costs one try.
pub fn read_check<T: CardTransport>(
    ch: &mut Channel<T>,
    keys: (&TextKey, &CardFaceKey),
    force: bool,
    challenges: (&[u8], &[u8]),
) -> Result<CheckFiles, KeyError> {
    let text = read_text(ch, keys.0, force, MyNumber::Leave)?;
    let text_answer = chip_answer(ch, challenges.0)?;
    let mut face = read_card_face(ch, keys.1, force, MyNumber::Leave)?;
    face.info = None;
    let face_answer = chip_answer(ch, challenges.1)?;
    let auth_certificate = (|| {
        crate::jpki::select(ch)?;
        crate::jpki::certificate(ch, crate::jpki::KeyKind::Auth)
    })()
    .map_err(|e| match e {
        crate::jpki::JpkiError::Card(c) => KeyError::Card(c),
        crate::jpki::JpkiError::NoJpki => KeyError::NoApplication("JPKI (公的個人認証)"),
        other => KeyError::Card(CardError::Malformed {
            what: "JPKI user-authentication certificate",
            detail: other.to_string(),
        }),
    })?;
    Ok(CheckFiles {
        text,
        text_answer,
        face,
        face_answer,
        auth_certificate,
    })
}

fn sha2_256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

/// How the card-face AP (券面事項確認AP) is opened (docs/spec/mynumber-card.md §4): the birth-date key
/// (6 digits, era `YYMMDD`, key 0011) opens the birth record EF 0001 only; 照合番号A (key 0013)
/// opens the card face EF 0002 and the My Number image EF 0005; 照合番号B (key 0012) opens the
/// card face but not EF 0005. EF 0003 and EF 0004 need no key.
#[derive(Clone)]
pub enum CardFaceKey {
    /// The birth-date key (key 0011).
    BirthDate(Sensitive),
    /// 照合番号A (key 0013).
    A(Sensitive),
    /// 照合番号B (key 0012).
    B(Sensitive),
}

impl std::fmt::Debug for CardFaceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::BirthDate(_) => "CardFaceKey::BirthDate(REDACTED)",
            Self::A(_) => "CardFaceKey::A(REDACTED)",
            Self::B(_) => "CardFaceKey::B(REDACTED)",
        })
    }
}

impl CardFaceKey {
    /// The birth-date key: 6 digits, the Japanese-era birth date `YYMMDD`.
    pub fn birth_date(text: &str) -> Result<Self, BadKey> {
        digits(
            text,
            6,
            "the birth-date key is 6 digits: the birth date as era YYMMDD (e.g. 平成2年1月1日 → 020101)",
        )
        .map(Self::BirthDate)
    }
    /// 照合番号A: the 12-digit My Number.
    pub fn a(text: &str) -> Result<Self, BadKey> {
        digits(text, 12, "照合番号A is the 12-digit My Number").map(Self::A)
    }
    /// 照合番号B: 14 digits.
    pub fn b(text: &str) -> Result<Self, BadKey> {
        digits(
            text,
            14,
            "照合番号B is 14 digits: birth date as era YYMMDD, expiry year, security code",
        )
        .map(Self::B)
    }
    /// Whether the key begins with `era_yymmdd` (a birth date in the era form the keys take,
    /// [`jpid_model::words::era_key`]): the birth-date key is that date, 照合番号B begins with
    /// it; `None` for 照合番号A (the My Number holds no date). On a genuine card the key that
    /// opened the AP holds the birth date its records hold. Compared without an early exit.
    pub fn holds_birth_date(&self, era_yymmdd: &str) -> Option<bool> {
        match self {
            Self::BirthDate(s) | Self::B(s) => Some(jpid_model::words::key_holds_birth_date(
                s.expose(),
                era_yymmdd,
            )),
            Self::A(_) => None,
        }
    }

    fn key(&self) -> (KeyRef, &Sensitive) {
        match self {
            Self::BirthDate(s) => (CARD_FACE_BIRTH_DATE_KEY, s),
            Self::B(s) => (CARD_FACE_KEY_B, s),
            Self::A(s) => (CARD_FACE_KEY_A, s),
        }
    }
}

/// Upper bound on a card-face AP record other than the card face (EF 0001, 0003, 0004, 0005):
/// a 256-byte signature, a 2048-bit key and a small PNG fit many times over.
pub const CARD_FACE_MAX_RECORD: usize = 8 * 1024;
/// Upper bound on the card face (EF 0002, with the photo): no public figure for its size exists
/// (docs/spec/mynumber-card.md §4, UNCONFIRMED), so jpid takes what one extended READ BINARY can return
/// (65 536 bytes); a hostile length never allocates more.
pub const CARD_FACE_MAX_FACE: usize = 64 * 1024;

fn read_card_face_ef<T: CardTransport>(
    ch: &mut Channel<T>,
    fid: u16,
    max: usize,
    personal: bool,
) -> Result<Vec<u8>, CardError> {
    match ch.select_ef(fid)? {
        // The birth record, the card face and the My Number image are personal data: their
        // READ BINARY answers never reach the APDU trace.
        // Each holds one TLV record (FF10, FF20, FF30, 7F21, FF40): read by its length.
        StatusWord::Success if personal => ch.read_secret_tlv_file(crate::FileRef::Current, max),
        StatusWord::Success => ch.read_tlv_file(crate::FileRef::Current, max),
        sw => Err(CardError::Status {
            op: "SELECT EF",
            sw,
        }),
    }
}

/// Opens the card-face AP with `key` (the retry counter read first, the last try kept unless
/// `force`) and reads what the key opens: EF 0001 with the birth-date key; EF 0002 with A or B,
/// plus EF 0005 with A when `want_my_number_image`; and always EF 0003 and the CVC (EF 0004).
/// docs/spec/mynumber-card.md §4.
pub fn read_card_face<T: CardTransport>(
    ch: &mut Channel<T>,
    key: &CardFaceKey,
    force: bool,
    my_number: MyNumber,
) -> Result<CardFaceFiles, KeyError> {
    match ch.select_aid(&CARD_FACE_AID)? {
        StatusWord::Success => {}
        StatusWord::FileNotFound => {
            return Err(KeyError::NoApplication("card-face (券面事項確認)"))
        }
        sw => {
            return Err(CardError::Status {
                op: "SELECT card-face AP",
                sw,
            }
            .into())
        }
    }
    let (key_ref, secret) = key.key();
    verify_key(ch, key_ref, secret, force)?;
    let mut out = CardFaceFiles::default();
    match key {
        CardFaceKey::BirthDate(_) => {
            out.birth = Some(read_card_face_ef(ch, 0x0001, CARD_FACE_MAX_RECORD, true)?);
        }
        CardFaceKey::A(_) | CardFaceKey::B(_) => {
            out.face = Some(read_card_face_ef(ch, 0x0002, CARD_FACE_MAX_FACE, true)?);
        }
    }
    if my_number == MyNumber::Read && matches!(key, CardFaceKey::A(_)) {
        out.my_number_image = Some(read_card_face_ef(ch, 0x0005, CARD_FACE_MAX_RECORD, true)?);
    }
    out.info = Some(read_card_face_ef(ch, 0x0003, CARD_FACE_MAX_RECORD, false)?);
    out.cvc = read_card_face_ef(ch, 0x0004, CARD_FACE_MAX_RECORD, false)?;
    Ok(out)
}

/// The card record of the common AP (`D392100031000101 0100`, EF 0001 record 1): a simple TLV
/// `01 1C` holding a 15-digit serial, the 5-digit municipality code and the expiry `YYYYMMDD`.
/// Single source (MC, docs/spec/mynumber-card.md §5): UNCONFIRMED, and isolated in this one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommonApRecord {
    /// Card serial (15 digits).
    pub serial: String,
    /// 全国地方公共団体コード without its check digit (5 digits).
    pub municipality_code: String,
    /// Expiry, `YYYYMMDD`.
    pub expiry: String,
}

impl CommonApRecord {
    /// Parses the record; `None` when it does not have the layout above.
    pub fn parse(record: &[u8]) -> Option<Self> {
        let t = jpid_apdu::tlv::expect_single(record, jpid_apdu::Tag::new(0x01)).ok()?;
        let v = t.value();
        if v.len() != 28 || !v.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let text = std::str::from_utf8(v).ok()?;
        Some(Self {
            serial: text.get(..15)?.to_string(),
            municipality_code: text.get(15..20)?.to_string(),
            expiry: text.get(20..)?.to_string(),
        })
    }
}

/// Reads the common AP's card record without any PIN (`00 B2 01 0C 00`); `Ok(None)` when the
/// card has no common AP (a smartphone token).
pub fn card_record<T: CardTransport>(
    ch: &mut Channel<T>,
) -> Result<Option<CommonApRecord>, CardError> {
    match ch.select_aid(&crate::spec::COMMON_AID)? {
        StatusWord::Success => {}
        StatusWord::FileNotFound => return Ok(None),
        sw => {
            return Err(CardError::Status {
                op: "SELECT common AP",
                sw,
            })
        }
    }
    let resp = ch.transmit(&Command::new(0x00, 0xB2, 0x01, 0x0C).with_le(256))?;
    if resp.sw() != StatusWord::Success {
        return Err(CardError::Status {
            op: "READ RECORD",
            sw: resp.sw(),
        });
    }
    CommonApRecord::parse(resp.data())
        .map(Some)
        .ok_or_else(|| CardError::Malformed {
            what: "common AP card record",
            detail: "not `01 1C` followed by 28 digits".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_ap_record_test_vector() {
        // docs/spec/mynumber-card.md §5, MC's test vector `011C 400000012719843 13221 20350217`.
        let mut r = vec![0x01, 0x1C];
        r.extend_from_slice(b"4000000127198431322120350217");
        let rec = CommonApRecord::parse(&r).unwrap();
        assert_eq!(rec.serial, "400000012719843");
        assert_eq!(rec.municipality_code, "13221");
        assert_eq!(rec.expiry, "20350217");
        assert!(CommonApRecord::parse(&r[..20]).is_none());
        r[5] = b'x';
        assert!(CommonApRecord::parse(&r).is_none());
    }
}
