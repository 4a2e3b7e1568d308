//! The JPKI-AP (公的個人認証AP) of the My Number card and of smartphone JPKI: token information,
//! certificates, PIN status, PIN verification that never wastes a try, and signing
//! (docs/spec/mynumber-card.md §2).

use jpid_apdu::{tlv, Command, Sensitive, StatusWord};

use crate::spec::{JPKI_AID, JPKI_EF_TOKEN_INFO};
use crate::{CardError, CardTransport, Channel, FileRef};

/// Largest certificate accepted (JPKI certificates are about 1–1.7 kB).
const MAX_CERT: usize = 8 * 1024;

/// Which key pair of the JPKI-AP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// 利用者証明用: user authentication (4-digit PIN, 3 tries).
    Auth,
    /// 署名用: digital signature (6–16 character password, 5 tries).
    Sign,
}

impl KeyKind {
    /// `auth` or `sign`.
    pub fn id(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::Sign => "sign",
        }
    }
    /// EF of the PIN (key reference): 0018 / 001B.
    fn pin_ef(self) -> u16 {
        match self {
            Self::Auth => 0x0018,
            Self::Sign => 0x001B,
        }
    }
    /// EF of the private key: 0017 / 001A.
    fn key_ef(self) -> u16 {
        match self {
            Self::Auth => 0x0017,
            Self::Sign => 0x001A,
        }
    }
    /// EF of the end-entity certificate: 000A / 0001 (the latter only after the password).
    fn cert_ef(self) -> u16 {
        match self {
            Self::Auth => 0x000A,
            Self::Sign => 0x0001,
        }
    }
    /// EF of the issuing CA's certificate: 000B / 0002.
    fn ca_ef(self) -> u16 {
        match self {
            Self::Auth => 0x000B,
            Self::Sign => 0x0002,
        }
    }
    /// The retry limit the fact sheet gives.
    pub fn max_tries(self) -> u8 {
        match self {
            Self::Auth => 3,
            Self::Sign => 5,
        }
    }
    /// Human name.
    pub fn pin_name(self) -> &'static str {
        match self {
            Self::Auth => "user-authentication PIN (利用者証明用暗証番号)",
            Self::Sign => "signature password (署名用パスワード)",
        }
    }
}

/// A PIN that has the form its key requires: 4 digits for `auth`; 6–16 of A–Z and 0–9 for
/// `sign`, upper-cased on entry because the card compares bytes (docs/spec/mynumber-card.md §2,
/// §7). Held wiped-on-drop; `Debug` prints `REDACTED`.
#[derive(Clone)]
pub struct Pin {
    kind: KeyKind,
    value: Sensitive,
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pin({}, REDACTED)", self.kind.id())
    }
}

/// A PIN of the wrong form (never sent to the card).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BadPin {
    /// Not 4 digits.
    #[error("the user-authentication PIN is 4 digits")]
    Auth,
    /// Not 6–16 letters and digits.
    #[error("the signature password is 6 to 16 characters, letters A-Z and digits only")]
    Sign,
}

impl Pin {
    /// Checks and wraps a PIN for `kind`.
    pub fn new(kind: KeyKind, text: &str) -> Result<Self, BadPin> {
        let text = text.trim_end_matches(['\r', '\n']);
        let value: Vec<u8> = match kind {
            KeyKind::Auth => {
                if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(BadPin::Auth);
                }
                text.as_bytes().to_vec()
            }
            KeyKind::Sign => {
                let up = text.to_ascii_uppercase();
                if !(6..=16).contains(&up.len())
                    || !up
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                {
                    return Err(BadPin::Sign);
                }
                up.into_bytes()
            }
        };
        Ok(Self {
            kind,
            value: Sensitive::new(value),
        })
    }

    /// Which key it opens.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }
}

/// The state of a PIN, read without spending a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinState {
    /// Not verified; this many tries left.
    Remaining(u8),
    /// Already verified in this card session.
    Verified,
    /// Blocked: only the municipal office can unblock it.
    Blocked,
}

/// Errors of the JPKI-AP.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JpkiError {
    /// Transport or APDU failure.
    #[error(transparent)]
    Card(#[from] CardError),
    /// The card has no JPKI-AP.
    #[error("this card has no JPKI application (公的個人認証AP)")]
    NoJpki,
    /// The PIN is blocked.
    #[error("the {} is blocked; the holder must have it reset at their municipal office (市区町村の窓口)", .0.pin_name())]
    Blocked(KeyKind),
    /// jpid refuses to spend the last try without `--force`.
    #[error("only 1 try of the {} is left; jpid will not spend it without --force (a wrong entry would block it)", .0.pin_name())]
    LastTry(KeyKind),
    /// A wrong PIN; the card says how many tries remain.
    #[error("wrong {}: {remaining} tries left", .kind.pin_name())]
    WrongPin {
        /// Which PIN.
        kind: KeyKind,
        /// Tries left.
        remaining: u8,
    },
    /// Signing without the PIN verified, or reading the signature certificate without the
    /// password.
    #[error("the card requires the {} first", .0.pin_name())]
    PinRequired(KeyKind),
    /// The key does not exist on this card (face-authentication cards, holders under 15).
    #[error("this card has no {} key", .0.id())]
    NoKey(KeyKind),
    /// A certificate EF that holds no certificate.
    #[error("the {0} certificate file does not hold a certificate")]
    NoCertificate(&'static str),
}

/// Selects the JPKI-AP.
pub fn select<T: CardTransport>(ch: &mut Channel<T>) -> Result<(), JpkiError> {
    match ch.select_aid(&JPKI_AID)? {
        StatusWord::Success => Ok(()),
        StatusWord::FileNotFound => Err(JpkiError::NoJpki),
        sw => Err(CardError::Status {
            op: "SELECT JPKI-AP",
            sw,
        }
        .into()),
    }
}

/// The token label of EF 0006 (`JPKIAPICCTOKEN2` on a card).
pub fn token_label<T: CardTransport>(ch: &mut Channel<T>) -> Result<String, JpkiError> {
    if ch.select_ef(JPKI_EF_TOKEN_INFO)? != StatusWord::Success {
        return Ok(String::new());
    }
    let resp = ch.read_binary(FileRef::Current, 0, 32)?;
    Ok(resp
        .data()
        .iter()
        .take_while(|b| b.is_ascii_graphic())
        .map(|b| char::from(*b))
        .collect())
}

/// Reads a certificate EF and returns exactly the DER certificate (the file may hold filler).
fn read_cert_ef<T: CardTransport>(
    ch: &mut Channel<T>,
    ef: u16,
    kind: KeyKind,
    what: &'static str,
) -> Result<Vec<u8>, JpkiError> {
    match ch.select_ef(ef)? {
        StatusWord::Success => {}
        StatusWord::FileNotFound => return Err(JpkiError::NoKey(kind)),
        sw => {
            return Err(CardError::Status {
                op: "SELECT EF",
                sw,
            }
            .into())
        }
    }
    // By the certificate's own length: the EF's FF filler is neither read nor kept. The
    // signature certificate's SubjectAltName holds the holder's name, address, birth date and
    // sex (docs/spec/mynumber-card.md §2): its READ BINARY answers never reach the APDU trace.
    let read = if kind == KeyKind::Sign {
        ch.read_secret_tlv_file(FileRef::Current, MAX_CERT)
    } else {
        ch.read_tlv_file(FileRef::Current, MAX_CERT)
    };
    let data = match read {
        Ok(d) => d,
        Err(CardError::Status {
            sw: StatusWord::SecurityStatusNotSatisfied,
            ..
        }) => return Err(JpkiError::PinRequired(kind)),
        Err(e) => return Err(e.into()),
    };
    let (cert, _) = tlv::parse_one(&data).map_err(|_| JpkiError::NoCertificate(what))?;
    if cert.tag() != tlv::Tag::new(0x30) {
        return Err(JpkiError::NoCertificate(what));
    }
    // Every nested object must fit inside its parent: a lying inner length (which the outer
    // length alone does not show) is refused here, before the bytes are kept or written out.
    tlv::walk(cert.raw(), &mut |_, _| {}).map_err(|_| JpkiError::NoCertificate(what))?;
    Ok(cert.raw().to_vec())
}

/// The end-entity certificate of `kind` (the signature certificate needs the password first).
pub fn certificate<T: CardTransport>(
    ch: &mut Channel<T>,
    kind: KeyKind,
) -> Result<Vec<u8>, JpkiError> {
    read_cert_ef(
        ch,
        kind.cert_ef(),
        kind,
        match kind {
            KeyKind::Auth => "user-authentication",
            KeyKind::Sign => "signature",
        },
    )
}

/// The CA certificate the card holds for `kind`.
pub fn ca_certificate<T: CardTransport>(
    ch: &mut Channel<T>,
    kind: KeyKind,
) -> Result<Vec<u8>, JpkiError> {
    read_cert_ef(ch, kind.ca_ef(), kind, "CA")
}

/// The PIN's state, from a VERIFY with no data (`00 20 00 80|id`): it never spends a try.
pub fn pin_state<T: CardTransport>(
    ch: &mut Channel<T>,
    kind: KeyKind,
) -> Result<PinState, JpkiError> {
    let p2 = 0x80 | (kind.pin_ef() & 0x1F) as u8;
    let sw = ch.transmit(&Command::new(0x00, 0x20, 0x00, p2))?.sw();
    match sw {
        sw if sw.is_key_blocked() => Ok(PinState::Blocked),
        StatusWord::WrongPin { remaining } => Ok(PinState::Remaining(remaining)),
        StatusWord::Success => Ok(PinState::Verified),
        // No such key: a face-authentication card has no PINs at all.
        StatusWord::ReferencedDataNotFound => Err(JpkiError::NoKey(kind)),
        sw => Err(CardError::Status {
            op: "VERIFY (status)",
            sw,
        }
        .into()),
    }
}

/// Verifies `pin`, safely: the counter is read first; a blocked PIN is reported without trying;
/// the last try is spent only with `force`; VERIFY is sent exactly once.
pub fn verify_pin<T: CardTransport>(
    ch: &mut Channel<T>,
    pin: &Pin,
    force: bool,
) -> Result<(), JpkiError> {
    let kind = pin.kind;
    match pin_state(ch, kind)? {
        // Verified by someone else in this session: still check the PIN typed here (the counter
        // is full after a success, so this spends no last try).
        PinState::Verified => {}
        PinState::Blocked => return Err(JpkiError::Blocked(kind)),
        PinState::Remaining(1) if !force => return Err(JpkiError::LastTry(kind)),
        PinState::Remaining(_) => {}
    }
    let p2 = 0x80 | (kind.pin_ef() & 0x1F) as u8;
    let sw = ch
        .transmit(&Command::new(0x00, 0x20, 0x00, p2).sensitive(&pin.value))?
        .sw();
    match sw {
        StatusWord::Success => Ok(()),
        sw if sw.is_key_blocked() => Err(JpkiError::Blocked(kind)),
        StatusWord::WrongPin { remaining } => Err(JpkiError::WrongPin { kind, remaining }),
        sw => Err(CardError::Status { op: "VERIFY", sw }.into()),
    }
}

/// Signs a DER `DigestInfo` with the key of `kind` (the card adds the PKCS#1 v1.5 padding):
/// `SELECT EF key; 80 2A 00 80 Lc DigestInfo 00`. The PIN must be verified in this session.
pub fn sign<T: CardTransport>(
    ch: &mut Channel<T>,
    kind: KeyKind,
    digest_info: &[u8],
) -> Result<Vec<u8>, JpkiError> {
    match ch.select_ef(kind.key_ef())? {
        StatusWord::Success => {}
        StatusWord::FileNotFound => return Err(JpkiError::NoKey(kind)),
        sw => {
            return Err(CardError::Status {
                op: "SELECT key EF",
                sw,
            }
            .into())
        }
    }
    let cmd = Command::new(0x80, 0x2A, 0x00, 0x80)
        .with_data(digest_info.to_vec())
        .with_le(256);
    let resp = ch.transmit(&cmd)?;
    match resp.sw() {
        StatusWord::Success => Ok(resp.into_data()),
        StatusWord::SecurityStatusNotSatisfied => Err(JpkiError::PinRequired(kind)),
        StatusWord::ReferencedDataNotFound => Err(JpkiError::NoKey(kind)),
        sw => Err(CardError::Status {
            op: "COMPUTE DIGITAL SIGNATURE",
            sw,
        }
        .into()),
    }
}

/// Hashes a DigestInfo can name (RFC 8017 §9.2, note 1, gives the DER prefixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// SHA-1 (legacy; still accepted by the card).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Hash {
    /// The DER DigestInfo prefix before the digest (RFC 8017 §9.2 note 1).
    fn prefix(self) -> &'static [u8] {
        match self {
            Self::Sha1 => &[
                0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
                0x14,
            ],
            Self::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            Self::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            Self::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }

    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// `DigestInfo` for a digest of this hash; `None` if the digest has the wrong length.
    pub fn digest_info(self, digest: &[u8]) -> Option<Vec<u8>> {
        (digest.len() == self.digest_len()).then(|| [self.prefix(), digest].concat())
    }
}

/// Changes the PIN of `old.kind()` to `new` (docs/spec/mynumber-card.md §2: after VERIFY,
/// `SELECT EF key-ref; 00 24 01 80 Lc <new>`; MYNA, MC). The old PIN is verified with the same
/// counter-first, last-try-kept rule as [`verify_pin`].
pub fn change_pin<T: CardTransport>(
    ch: &mut Channel<T>,
    old: &Pin,
    new: &Pin,
    force: bool,
) -> Result<(), JpkiError> {
    let kind = old.kind;
    if new.kind != kind {
        return Err(JpkiError::Card(CardError::Malformed {
            what: "PIN change",
            detail: "the new PIN is for another key".into(),
        }));
    }
    verify_pin(ch, old, force)?;
    match ch.select_ef(kind.pin_ef())? {
        StatusWord::Success => {}
        sw => {
            return Err(CardError::Status {
                op: "SELECT PIN EF",
                sw,
            }
            .into())
        }
    }
    let sw = ch
        .transmit(&Command::new(0x00, 0x24, 0x01, 0x80).sensitive(&new.value))?
        .sw();
    match sw {
        StatusWord::Success => Ok(()),
        StatusWord::SecurityStatusNotSatisfied => Err(JpkiError::PinRequired(kind)),
        sw if sw.is_key_blocked() => Err(JpkiError::Blocked(kind)),
        sw => Err(CardError::Status {
            op: "CHANGE REFERENCE DATA",
            sw,
        }
        .into()),
    }
}
