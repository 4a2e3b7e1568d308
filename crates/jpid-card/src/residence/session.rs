//! Opening a residence card: GET CHALLENGE, MUTUAL AUTHENTICATE and VERIFY keyed by the card
//! number, then reads under the encryption-only secure messaging
//! (docs/spec/residence-card.md §1, §2).

use jpid_apdu::{tlv, Command, Sensitive, StatusWord, Tag};
use zeroize::Zeroizing;

use super::crypto::{self, CryptoError, Key16, Suite};
use crate::{CardError, CardTransport, Channel, FileRef};

/// SM data object carrying the padding indicator and the cryptogram.
const TAG_SM_CRYPTOGRAM: u32 = 0x86;
/// Plaintext bytes asked per chunk when extended length is unavailable; the encrypted answer
/// (`86 81 E9 01` + 232 bytes) then fits a short response for both ciphers.
pub const SM_CHUNK: u16 = 224;

/// A source of randomness: fills the buffer, or says why it cannot.
pub type Rng<'a> = dyn FnMut(&mut [u8]) -> Result<(), String> + 'a;

/// A residence card number: 2 letters, 8 digits, 2 letters (docs/spec/residence-card.md §5). It is
/// the access key of the chip, so `Debug` masks its middle.
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber(String);

impl CardNumber {
    /// The number as entered (upper case).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let head: String = self.0.chars().take(2).collect();
        let tail: String = self.0.chars().skip(10).collect();
        write!(f, "CardNumber({head}********{tail})")
    }
}

/// A card number that is not 2 letters + 8 digits + 2 letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a residence card number is 2 letters, 8 digits and 2 letters (e.g. AB12345678CD)")]
pub struct BadCardNumber;

impl TryFrom<&str> for CardNumber {
    type Error = BadCardNumber;
    fn try_from(text: &str) -> Result<Self, BadCardNumber> {
        let n: String = text.trim().to_ascii_uppercase();
        let b = n.as_bytes();
        let ok = b.len() == 12
            && b.iter().take(2).all(u8::is_ascii_uppercase)
            && b.iter().skip(2).take(8).all(u8::is_ascii_digit)
            && b.iter().skip(10).all(u8::is_ascii_uppercase);
        if ok {
            Ok(Self(n))
        } else {
            Err(BadCardNumber)
        }
    }
}

/// Why opening or reading a residence card failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResidenceError {
    /// The transport or the APDU layer failed.
    #[error(transparent)]
    Card(#[from] CardError),
    /// The card refused the card number (`63 00` at MUTUAL AUTHENTICATE or VERIFY).
    #[error("the card refused the card number: check the 12 characters printed at the top right of the card")]
    WrongCardNumber,
    /// The card's cryptographic answer did not check out.
    #[error("the card's authentication answer is invalid ({0}); the card may not be genuine")]
    Authentication(CryptoError),
    /// A secure-messaging answer that does not decrypt or parse.
    #[error("secure-messaging answer for {file} is invalid: {detail}")]
    SecureMessaging {
        /// The file being read.
        file: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The terminal's randomness source failed; nothing weaker is used in its place.
    #[error("no randomness for the terminal's challenge: {0}")]
    Randomness(String),
    /// Not a residence card, or a card type jpid does not read.
    #[error("not a residence card or SPR certificate jpid can read (card type {0:?})")]
    UnsupportedCardType(Option<String>),
    /// A specified residence card or SPR certificate (特定在留カード等, `07`/`08`): a My Number
    /// card chip whose residence AP opens with SET SESSION KEY secure messaging, whose bytes
    /// are in the ISA's spec but in no source jpid could check (docs/spec/next-wave.md §1.3).
    #[error(
        "this is a specified {} (特定{}, card type {card_type}): its residence data sits in an \
         application opened with a secure-messaging protocol jpid does not support yet. Its My \
         Number applications read as a My Number Card",
        if card_type == "07" { "residence card" } else { "special permanent resident certificate" },
        if card_type == "07" { "在留カード" } else { "特別永住者証明書" }
    )]
    SpecifiedCard {
        /// `07` or `08`.
        card_type: String,
    },
}

/// An authenticated session: the cipher suite and the session key.
pub struct Session {
    suite: Suite,
    key: Key16,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Session({:?}, key REDACTED)", self.suite)
    }
}

impl Session {
    /// The cipher suite.
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// A session over an already agreed key, without talking to a card. [`open`] is the only
    /// way a real read gets one; this exists so tests and the fuzz targets (`fuzz/`) can feed
    /// [`unwrap_sm`] answers for a known key. Knowing the key is what a session is, so this
    /// grants nothing.
    #[doc(hidden)]
    pub fn from_key(suite: Suite, key: Key16) -> Self {
        Self { suite, key }
    }
}

fn check(op: &'static str, sw: StatusWord) -> Result<(), ResidenceError> {
    match sw {
        StatusWord::Success => Ok(()),
        StatusWord::VerificationFailed => Err(ResidenceError::WrongCardNumber),
        sw => Err(CardError::Status { op, sw }.into()),
    }
}

/// Authenticates with the card number: GET CHALLENGE, MUTUAL AUTHENTICATE, VERIFY.
/// `rng` supplies RND.IFD and K.IFD (libraries never pick their own randomness); it fills the
/// buffer or fails.
pub fn open<T: CardTransport>(
    ch: &mut Channel<T>,
    suite: Suite,
    number: &CardNumber,
    rng: &mut Rng<'_>,
) -> Result<Session, ResidenceError> {
    let base = crypto::base_key(number.as_str());

    // GET CHALLENGE: 00 84 00 00 08 -> RND.ICC (8 bytes).
    // The challenge and the authentication cryptograms would let anyone holding a trace test
    // card-number guesses offline, so they are redacted like a PIN.
    let resp = ch.transmit(&Command::new(0x00, 0x84, 0x00, 0x00).with_le(8).redacted())?;
    check("GET CHALLENGE", resp.sw())?;
    let rnd_icc: [u8; 8] = resp.data().try_into().map_err(|_| CardError::Malformed {
        what: "GET CHALLENGE answer",
        detail: format!("{} bytes instead of 8", resp.data().len()),
    })?;

    let mut rnd_ifd = [0u8; 8];
    let mut k_ifd = Zeroizing::new([0u8; 16]);
    rng(&mut rnd_ifd).map_err(ResidenceError::Randomness)?;
    rng(&mut k_ifd[..]).map_err(ResidenceError::Randomness)?;
    let (e_ifd, m_ifd) = crypto::ifd_cryptogram(suite, &base, &rnd_ifd, &rnd_icc, &k_ifd)
        .map_err(ResidenceError::Authentication)?;
    let mut data = e_ifd;
    data.extend_from_slice(&m_ifd);
    // MUTUAL AUTHENTICATE: 00 82 00 00 28 <E.IFD 32><M.IFD 8> 00.
    let resp = ch.transmit(
        &Command::new(0x00, 0x82, 0x00, 0x00)
            .with_data(data)
            .with_le(256)
            .redacted(),
    )?;
    check("MUTUAL AUTHENTICATE", resp.sw())?;
    let k_icc = crypto::check_icc_cryptogram(suite, &base, resp.data(), &rnd_ifd, &rnd_icc)
        .map_err(ResidenceError::Authentication)?;
    let session = Session {
        suite,
        key: crypto::session_key(&k_ifd, k_icc.expose()),
    };

    // VERIFY of the card number under SM: 08 20 00 86 Lc 86 L 01 <E(number ‖ 80 00..)>.
    let padded = Zeroizing::new(crypto::pad(suite, number.as_str().as_bytes()));
    let cryptogram =
        crypto::encrypt(suite, &session.key, &padded).map_err(ResidenceError::Authentication)?;
    let mut body = vec![0x01];
    body.extend_from_slice(&cryptogram);
    let sm = Sensitive::new(tlv::encode(Tag::new(TAG_SM_CRYPTOGRAM), &body));
    let resp = ch.transmit(&Command::new(0x08, 0x20, 0x00, 0x86).sensitive(&sm))?;
    check("VERIFY (card number)", resp.sw())?;
    Ok(session)
}

/// Decrypts an SM answer `86 L 01 ‖ cryptogram`.
pub fn unwrap_sm(
    session: &Session,
    file: &'static str,
    answer: &[u8],
) -> Result<Vec<u8>, ResidenceError> {
    let bad = |detail: String| ResidenceError::SecureMessaging { file, detail };
    let obj =
        tlv::expect_single(answer, Tag::new(TAG_SM_CRYPTOGRAM)).map_err(|e| bad(e.to_string()))?;
    let (indicator, cryptogram) = obj
        .value()
        .split_first()
        .ok_or_else(|| bad("empty cryptogram object".into()))?;
    if *indicator != 0x01 {
        return Err(bad(format!(
            "padding indicator {indicator:02X} instead of 01"
        )));
    }
    let plain =
        crypto::decrypt(session.suite, &session.key, cryptogram).map_err(|e| bad(e.to_string()))?;
    let data = crypto::unpad(session.suite, &plain).map_err(|e| bad(e.to_string()))?;
    Ok(data.to_vec())
}

/// Reads an EF under SM: one extended `08 B0 P1 00 00 00 04 96 02 00 00 00 00` for the whole
/// file (docs/spec/residence-card.md §1), or [`SM_CHUNK`]-byte pieces with `96 02 LL LL` and moving
/// offsets when the reader cannot carry extended APDUs (that form is UNCONFIRMED on real cards).
pub fn read_sm<T: CardTransport>(
    ch: &mut Channel<T>,
    session: &Session,
    file: &'static str,
    sfi: u8,
    max_len: usize,
) -> Result<Vec<u8>, ResidenceError> {
    let status = |sw| {
        ResidenceError::Card(CardError::Status {
            op: "SM READ BINARY",
            sw,
        })
    };
    if ch.extended_length() {
        let cmd = Command::new(0x08, 0xB0, 0x80 | (sfi & 0x1F), 0x00)
            .with_data(vec![0x96, 0x02, 0x00, 0x00])
            .with_le(jpid_apdu::MAX_EXTENDED_LE);
        let resp = ch.transmit(&cmd)?;
        match resp.sw() {
            StatusWord::Success => {
                let data = unwrap_sm(session, file, resp.data())?;
                if data.len() > max_len {
                    return Err(CardError::TooLarge {
                        what: "file",
                        limit: max_len,
                    }
                    .into());
                }
                return Ok(data);
            }
            // The card (or a reader claiming extended length) refuses the one-shot form:
            // continue with chunks, and keep to short APDUs from now on.
            StatusWord::WrongLength => {
                log::debug!("extended SM READ BINARY refused; reading {file} in chunks");
                ch.disable_extended_length();
            }
            sw => return Err(status(sw)),
        }
    }
    let mut out = Vec::new();
    loop {
        let offset = u16::try_from(out.len())
            .ok()
            .filter(|o| *o <= 0x7FFF)
            .ok_or(CardError::TooLarge {
                what: "file (15-bit offset)",
                limit: 0x7FFF,
            })?;
        let (p1, p2) = if offset == 0 {
            (0x80 | (sfi & 0x1F), 0)
        } else {
            let [hi, lo] = offset.to_be_bytes();
            (hi, lo)
        };
        let [lh, ll] = SM_CHUNK.to_be_bytes();
        let cmd = Command::new(0x08, 0xB0, p1, p2)
            .with_data(vec![0x96, 0x02, lh, ll])
            .with_le(256);
        let resp = ch.transmit(&cmd)?;
        match resp.sw() {
            StatusWord::Success => {}
            StatusWord::WrongP1P2 if offset > 0 => return Ok(out),
            sw => return Err(status(sw)),
        }
        let piece = unwrap_sm(session, file, resp.data())?;
        out.extend_from_slice(&piece);
        if out.len() > max_len {
            return Err(CardError::TooLarge {
                what: "file",
                limit: max_len,
            }
            .into());
        }
        if piece.len() < usize::from(SM_CHUNK) {
            return Ok(out);
        }
    }
}

/// Reads a plain EF holding one TLV object (MF/EF01 `C0`, MF/EF02 `C1`) by the length its
/// header declares.
pub fn read_plain_tlv<T: CardTransport>(
    ch: &mut Channel<T>,
    sfi: u8,
    max_len: usize,
) -> Result<Vec<u8>, ResidenceError> {
    Ok(ch.read_tlv_file(FileRef::Sfi(sfi), max_len)?)
}

/// Reads a plain EF (free, or after authentication) to its end: the DF2 and DF3 files hold
/// several objects and `00` padding (docs/spec/residence-card.md §3).
pub fn read_plain<T: CardTransport>(
    ch: &mut Channel<T>,
    sfi: u8,
    max_len: usize,
) -> Result<Vec<u8>, ResidenceError> {
    Ok(ch.read_file(FileRef::Sfi(sfi), max_len)?)
}
