//! The My Number card's card-face AP (券面事項確認AP, "surface AP"): parsing its files and
//! proving them genuine through the AP's card-verifiable certificate (CVC) up to the J-LIS
//! card-face CVC issuer key (docs/spec/mynumber-card.md §4).
//!
//! - EF 0001 (birth record): `FF10 { DF11 YYYYMMDD, DF12 card key, DF13 signature }`; DF13 is
//!   RSASSA-PKCS1-v1_5 SHA-256 over the DF11 and DF12 TLVs.
//! - EF 0002 (card face): `FF20 82 LL LL { DF21 offsets, DF22 birth date, DF23 sex, DF24 card
//!   key, DF25 name PNG, DF26 address PNG, DF27 face JP2, DF28 signature, DF29 expiry, DF2A
//!   security-code PNG }`; DF28 is RSASSA-PKCS1-v1_5 over a DigestInfo with the SHA-256 OID
//!   whose OCTET STRING is 96 bytes: SHA-256(DF22‖DF23‖DF24) ‖ SHA-256(DF25‖DF26) ‖
//!   SHA-256(DF27). **DF29 and DF2A are not covered** (§4 "DF28 signature"; MC only,
//!   UNCONFIRMED).
//! - EF 0004: the CVC (layout of §3 "EF 0004"), issuer `5000023` in production.
//! - EF 0005 (My Number image): `FF40 { DF41 PNG, DF42 card key, DF43 signature }`; DF43 over
//!   the DF41 and DF42 TLVs.
//!
//! Which key verifies DF13 and DF43 the fact sheet does not say. Its source for these records,
//! MC (`src/ap/surface.rs`), checks all three records with the key the EF 0004 CVC certifies,
//! and names the `DF12`/`DF24`/`DF42` key the card's own challenge key (EF 001A). jpid does the
//! same (UNCONFIRMED, single source): a signature checked with a key the record itself carries
//! would prove nothing, since a forger picks that key. jpid also requires the keys of the
//! records read together to be the same key.

use jpid_apdu::tlv::{self, Tag, Tlv};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use jpid_model::{CardDate, CardFaceFiles};

pub use crate::cvc::CardKey;
use crate::cvc::{rsa_key, sha256, verify_sha256, Cvc};
use crate::trust::{TrustMode, TrustStore};
use crate::verdict::{Check, Reason};
use crate::verdict::{ChipAuth, Unsigned, Validity, Verdict};
use crate::UnixTime;
pub use jpid_model::ChipAnswer;

/// Parse errors of the card-face AP's files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CardFaceError {
    /// A file that must be present is absent.
    #[error("card-face file {0} is missing")]
    Missing(&'static str),
    /// A file does not have the layout of docs/spec/mynumber-card.md §4.
    #[error("card-face file {file} is malformed: {detail}")]
    Malformed {
        /// The file.
        file: &'static str,
        /// What was wrong.
        detail: String,
    },
}

fn bad(file: &'static str) -> impl Fn(tlv::TlvError) -> CardFaceError {
    move |e| CardFaceError::Malformed {
        file,
        detail: e.to_string(),
    }
}

/// The issuer ids allowed to certify a card-face AP: production `5000023`
/// (docs/spec/mynumber-card.md §3 "EF 0004", §4) and jpid's TEST stand-in `9000023` (only when the trust
/// store was given test CVC keys).
const CARD_FACE_AP_ISSUERS: [&str; 2] = ["5000023", "9000023"];

/// 性別: one ASCII digit (`1` male, `2` female, `9` not applicable; docs/spec/mynumber-card.md §3, §4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Sex(String);

impl Sex {
    /// The digit.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&[u8]> for Sex {
    type Error = &'static str;
    fn try_from(v: &[u8]) -> Result<Self, Self::Error> {
        match v {
            [d] if d.is_ascii_digit() => Ok(Self(char::from(*d).to_string())),
            _ => Err("sex is one ASCII digit"),
        }
    }
}

/// The children of a record, each tag at most once, as a map from tag to TLV.
fn children<'a>(outer: &Tlv<'a>, file: &'static str) -> Result<Vec<Tlv<'a>>, CardFaceError> {
    let mut out: Vec<Tlv<'a>> = Vec::new();
    for c in outer.children() {
        let c = c.map_err(bad(file))?;
        if out.iter().any(|o| o.tag() == c.tag()) {
            return Err(CardFaceError::Malformed {
                file,
                detail: format!("tag {} appears twice", c.tag()),
            });
        }
        out.push(c);
    }
    Ok(out)
}

fn get<'a>(kids: &[Tlv<'a>], tag: u32, file: &'static str) -> Result<Tlv<'a>, CardFaceError> {
    kids.iter()
        .find(|c| c.tag() == Tag::new(tag))
        .copied()
        .ok_or_else(|| CardFaceError::Malformed {
            file,
            detail: format!("no {} object", Tag::new(tag)),
        })
}

fn field<T: for<'b> TryFrom<&'b [u8], Error = &'static str>>(
    kids: &[Tlv<'_>],
    tag: u32,
    file: &'static str,
) -> Result<T, CardFaceError> {
    T::try_from(get(kids, tag, file)?.value()).map_err(|e| CardFaceError::Malformed {
        file,
        detail: format!("{}: {e}", Tag::new(tag)),
    })
}

/// EF 0001, the birth record. `Debug` leaves out the birth date.
#[derive(Clone)]
pub struct BirthRecord {
    /// 生年月日 (DF11).
    pub birth_date: CardDate,
    /// The card's own key (DF12).
    pub card_key: CardKey,
    signature: Vec<u8>,
    signed: Vec<u8>,
}

impl TryFrom<&[u8]> for BirthRecord {
    type Error = CardFaceError;
    fn try_from(bytes: &[u8]) -> Result<Self, CardFaceError> {
        let f = "0001 (birth record)";
        let outer = tlv::expect_single(bytes, Tag::new(0xFF10)).map_err(bad(f))?;
        let kids = children(&outer, f)?;
        let d11 = get(&kids, 0xDF11, f)?;
        let d12 = get(&kids, 0xDF12, f)?;
        Ok(Self {
            birth_date: field(&kids, 0xDF11, f)?,
            card_key: field(&kids, 0xDF12, f)?,
            signature: get(&kids, 0xDF13, f)?.value().to_vec(),
            signed: [d11.raw(), d12.raw()].concat(),
        })
    }
}

impl std::fmt::Debug for BirthRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BirthRecord")
            .field("birth_date", &"REDACTED")
            .field("card_key", &self.card_key)
            .finish()
    }
}

/// EF 0002, the card face. `Debug` shows only sizes.
#[derive(Clone)]
pub struct CardFace {
    /// 生年月日 (DF22).
    pub birth_date: CardDate,
    /// 性別 (DF23).
    pub sex: Sex,
    /// The card's own key (DF24).
    pub card_key: CardKey,
    /// Name image, PNG (DF25).
    pub name_image: Vec<u8>,
    /// Address image, PNG (DF26).
    pub address_image: Vec<u8>,
    /// Face photo, JPEG 2000 (DF27).
    pub photo: Vec<u8>,
    /// Expiry (DF29): **not covered by the signature**.
    pub expiry: CardDate,
    /// Security-code image, PNG (DF2A): **not covered by the signature**.
    pub security_code_image: Vec<u8>,
    signature: Vec<u8>,
    digests: [u8; 96],
}

impl TryFrom<&[u8]> for CardFace {
    type Error = CardFaceError;
    fn try_from(bytes: &[u8]) -> Result<Self, CardFaceError> {
        let f = "0002 (card face)";
        let outer = tlv::expect_single(bytes, Tag::new(0xFF20)).map_err(bad(f))?;
        let kids = children(&outer, f)?;
        // The offset table is not signed and not needed: every object is found by its TLV
        // (docs/spec/mynumber-card.md §7, "parse by TLV").
        get(&kids, 0xDF21, f)?;
        let raw = |tag: u32| get(&kids, tag, f).map(|t| t.raw());
        let groups = [
            [raw(0xDF22)?, raw(0xDF23)?, raw(0xDF24)?].concat(),
            [raw(0xDF25)?, raw(0xDF26)?].concat(),
            raw(0xDF27)?.to_vec(),
        ];
        let mut digests = [0u8; 96];
        for (chunk, group) in digests.chunks_mut(32).zip(&groups) {
            chunk.copy_from_slice(&sha256(group));
        }
        let value = |tag: u32| get(&kids, tag, f).map(|t| t.value().to_vec());
        Ok(Self {
            birth_date: field(&kids, 0xDF22, f)?,
            sex: field(&kids, 0xDF23, f)?,
            card_key: field(&kids, 0xDF24, f)?,
            name_image: value(0xDF25)?,
            address_image: value(0xDF26)?,
            photo: value(0xDF27)?,
            signature: value(0xDF28)?,
            expiry: field(&kids, 0xDF29, f)?,
            security_code_image: value(0xDF2A)?,
            digests,
        })
    }
}

impl std::fmt::Debug for CardFace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardFace")
            .field("birth_date", &"REDACTED")
            .field("card_key", &self.card_key)
            .field("name_image", &self.name_image.len())
            .field("address_image", &self.address_image.len())
            .field("photo", &self.photo.len())
            .field("security_code_image", &self.security_code_image.len())
            .finish()
    }
}

/// EF 0005, the My Number image. `Debug` never shows the image.
#[derive(Clone)]
pub struct MyNumberImage {
    /// The My Number rendered as a PNG (DF41): personal data.
    pub image: Vec<u8>,
    /// The card's own key (DF42).
    pub card_key: CardKey,
    signature: Vec<u8>,
    signed: Vec<u8>,
}

impl TryFrom<&[u8]> for MyNumberImage {
    type Error = CardFaceError;
    fn try_from(bytes: &[u8]) -> Result<Self, CardFaceError> {
        let f = "0005 (My Number image)";
        let outer = tlv::expect_single(bytes, Tag::new(0xFF40)).map_err(bad(f))?;
        let kids = children(&outer, f)?;
        let d41 = get(&kids, 0xDF41, f)?;
        let d42 = get(&kids, 0xDF42, f)?;
        Ok(Self {
            image: d41.value().to_vec(),
            card_key: field(&kids, 0xDF42, f)?,
            signature: get(&kids, 0xDF43, f)?.value().to_vec(),
            signed: [d41.raw(), d42.raw()].concat(),
        })
    }
}

impl std::fmt::Debug for MyNumberImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MyNumberImage")
            .field("image", &"REDACTED")
            .field("card_key", &self.card_key)
            .finish()
    }
}

/// EF 0003, the AP's basic info: `FF30 { DF31 4, DF32 key id 16, DF33 version, DF34 5-digit
/// 全国地方公共団体コード, DF35 16 + 256 opaque }` (docs/spec/mynumber-card.md §4; MC, MYNA). Readable
/// without a key and **not signed**: informational only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApBasicInfo {
    /// DF34: the issuing municipality's code (5 digits).
    pub municipality_code: String,
    /// DF32: a 16-byte key id (what it names is not established, MC).
    pub key_id: Vec<u8>,
    /// DF33: version byte(s).
    pub version: Vec<u8>,
}

impl TryFrom<&[u8]> for ApBasicInfo {
    type Error = CardFaceError;
    fn try_from(bytes: &[u8]) -> Result<Self, CardFaceError> {
        let f = "0003 (AP basic info)";
        let outer = tlv::expect_single(bytes, Tag::new(0xFF30)).map_err(bad(f))?;
        let kids = children(&outer, f)?;
        let code = get(&kids, 0xDF34, f)?.value();
        if code.len() != 5 || !code.iter().all(u8::is_ascii_digit) {
            return Err(CardFaceError::Malformed {
                file: f,
                detail: "DF34 is not a 5-digit municipality code".into(),
            });
        }
        Ok(Self {
            municipality_code: String::from_utf8_lossy(code).into_owned(),
            key_id: get(&kids, 0xDF32, f)?.value().to_vec(),
            version: get(&kids, 0xDF33, f)?.value().to_vec(),
        })
    }
}

/// What a genuine card-face read proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFaceProof {
    /// The CVC issuer key it chains to.
    pub issuer: String,
    /// Which records the proof covers: `birth_record`, `card_face`, `my_number_image`.
    pub covered: Vec<&'static str>,
    /// Fields read that no signature covers (`expiry`, `security_code_image`).
    pub unsigned: Vec<&'static str>,
    /// Whether test keys were trusted.
    pub trust_mode: TrustMode,
}

/// The outcome of [`verify_card_face`]: the records read and the one [`Verdict`] (it derefs
/// to it).
#[derive(Clone, Debug)]
pub struct CardFaceVerdict {
    /// EF 0001, parsed.
    pub birth: Option<BirthRecord>,
    /// EF 0002, parsed.
    pub face: Option<CardFace>,
    /// EF 0005, parsed.
    pub my_number_image: Option<MyNumberImage>,
    /// EF 0003, parsed (not signed).
    pub info: Option<ApBasicInfo>,
    /// The verdict.
    pub verdict: Verdict<CardFaceProof>,
}

impl std::ops::Deref for CardFaceVerdict {
    type Target = Verdict<CardFaceProof>;
    fn deref(&self) -> &Self::Target {
        &self.verdict
    }
}

/// Why DF29 and DF2A are not signed (docs/spec/mynumber-card.md §4 "DF28 signature").
const WHY_AFTER_DF28: &str = "stored after the signature DF28, which does not cover it";
/// Why EF 0003 is not signed.
const WHY_INFO: &str = "EF 0003 (AP basic info) is readable by anyone and carries no signature";

/// The DER DigestInfo DF28 signs: SHA-256's AlgorithmIdentifier (RFC 8017 §9.2 note 1) with a
/// 96-byte OCTET STRING, `30 71 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 60 <96>`.
fn df28_digest_info(digests: &[u8; 96]) -> Vec<u8> {
    let mut v = vec![
        0x30, 0x71, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x60,
    ];
    v.extend_from_slice(digests);
    v
}

fn push_check(
    checks: &mut Vec<Check>,
    reasons: &mut Vec<Reason>,
    name: &'static str,
    passed: bool,
    ok: &str,
    failed: (&'static str, &str),
) {
    checks.push(Check::new(name, passed, if passed { ok } else { failed.1 }));
    if !passed {
        reasons.push(Reason::new(failed.0, failed.1));
    }
}

/// Parses and proves the card-face AP's files: the CVC chains to the trusted card-face issuer
/// key, each record read verifies under the key that CVC certifies, and the card keys the
/// records carry agree.
///
/// With the chip's `answer` to a fresh challenge (a live read), the chip must prove it holds the
/// card key the signed records carry (DF12, DF24 or DF42: INTERNAL AUTHENTICATE `80 2A`, no
/// key needed; docs/spec/mynumber-card.md §4, MC only, UNCONFIRMED); without one (a dump), chip
/// authentication is not applicable. The expiry (DF29) is compared with `at`, marked unsigned.
pub fn verify_card_face(
    files: &CardFaceFiles,
    trust: &TrustStore,
    at: UnixTime,
    answer: Option<&ChipAnswer>,
) -> Result<CardFaceVerdict, CardFaceError> {
    verify_card_face_opened(files, trust, at, answer, None)
}

/// [`verify_card_face`] for a live read whose key holds the birth date (the birth-date key,
/// era `YYMMDD`; 照合番号B, which begins with it): `key_is` answers whether the key typed
/// begins with a given era date (the key never leaves the caller). On a genuine card the key
/// that opened the AP is the birth date its signed records hold; a chip that opened with
/// another date is not behaving as one card (another card's records behind this card's key),
/// and the verdict says `key_not_birth_date`.
pub fn verify_card_face_opened(
    files: &CardFaceFiles,
    trust: &TrustStore,
    at: UnixTime,
    answer: Option<&ChipAnswer>,
    key_is: Option<&dyn Fn(&str) -> bool>,
) -> Result<CardFaceVerdict, CardFaceError> {
    let birth = files
        .birth
        .as_deref()
        .map(BirthRecord::try_from)
        .transpose()?;
    let face = files.face.as_deref().map(CardFace::try_from).transpose()?;
    let my_number_image = files
        .my_number_image
        .as_deref()
        .map(MyNumberImage::try_from)
        .transpose()?;
    let info = files
        .info
        .as_deref()
        .map(ApBasicInfo::try_from)
        .transpose()?;
    let cvc = Cvc::parse(&files.cvc).map_err(|e| CardFaceError::Malformed {
        file: "0004 (CVC)",
        detail: e.to_string(),
    })?;

    let mut checks = Vec::new();
    let mut reasons: Vec<Reason> = Vec::new();

    // Only the card-face AP's issuer key may certify this AP; a TEST id counts only as a key
    // the store was given as a test key.
    let issuer = cvc.issuer();
    let trusted = trust.cvc_keys().iter().find(|k| {
        CARD_FACE_AP_ISSUERS.contains(&k.id.as_str())
            && k.test == k.id.starts_with('9')
            && k.key_id == cvc.issuer_id
            && cvc.signed_by(k)
    });
    checks.push(Check {
        name: "cvc",
        passed: trusted.is_some(),
        detail: match trusted {
            Some(k) => format!(
                "the AP's certificate is signed by J-LIS CVC issuer key {}{}",
                k.id,
                if k.test { " (TEST)" } else { "" }
            ),
            None => format!(
                "no trusted J-LIS card-face CVC issuer key {issuer:?} signed the AP's certificate"
            ),
        },
    });
    if trusted.is_none() {
        reasons.push(Reason::new("unknown_issuer",
            format!("the card-face AP's certificate is not signed by a trusted J-LIS card-face key (issuer id {issuer:?})"),
        ));
    }
    let ap_key = rsa_key(&cvc.modulus, &cvc.exponent);
    let pkcs1 = |signed: &[u8], sig: &[u8]| {
        ap_key
            .as_ref()
            .is_some_and(|k| verify_sha256(k, &Sha256::digest(signed), sig))
    };

    let mut covered = Vec::new();
    if let Some(b) = &birth {
        let ok = pkcs1(&b.signed, &b.signature);
        push_check(
            &mut checks,
            &mut reasons,
            "birth_record",
            ok,
            "EF 0001 (birth date) verifies under the AP's certified key",
            (
                "data_altered",
                "the birth record (EF 0001) is not signed by the AP's certified key",
            ),
        );
        if ok {
            covered.push("birth_record");
        }
    }
    let mut unsigned = Vec::new();
    if let Some(c) = &face {
        let ok = ap_key
            .as_ref()
            .is_some_and(|k| k.verify_pkcs1(&df28_digest_info(&c.digests), &c.signature));
        push_check(
            &mut checks,
            &mut reasons,
            "card_face",
            ok,
            "DF28 covers birth date, sex, card key, name and address images and photo, under the AP's certified key",
            (
                "data_altered",
                "the card face (birth date, sex, card key, name or address image, or photo) does not match its signature (DF28)",
            ),
        );
        if ok {
            covered.push("card_face");
        }
        unsigned.extend([
            Unsigned {
                item: "expiry",
                why: WHY_AFTER_DF28,
            },
            Unsigned {
                item: "security_code_image",
                why: WHY_AFTER_DF28,
            },
        ]);
    }
    if let Some(m) = &my_number_image {
        let ok = pkcs1(&m.signed, &m.signature);
        push_check(
            &mut checks,
            &mut reasons,
            "my_number_image",
            ok,
            "EF 0005 (My Number image) verifies under the AP's certified key",
            (
                "data_altered",
                "the My Number image (EF 0005) is not signed by the AP's certified key",
            ),
        );
        if ok {
            covered.push("my_number_image");
        }
    }
    // The records name the same card key (MC: one key, the card's own; UNCONFIRMED).
    let keys: Vec<&CardKey> = [
        birth.as_ref().map(|b| &b.card_key),
        face.as_ref().map(|c| &c.card_key),
        my_number_image.as_ref().map(|m| &m.card_key),
    ]
    .into_iter()
    .flatten()
    .collect();
    if keys.len() > 1 {
        let same = keys.windows(2).all(|w| w.first() == w.get(1));
        push_check(
            &mut checks,
            &mut reasons,
            "card_key",
            same,
            "the records read carry the same card key",
            (
                "key_mismatch",
                "the records read carry different card keys (DF12 / DF24 / DF42)",
            ),
        );
    }
    if let Some(key_is) = key_is {
        let dates = [
            birth.as_ref().map(|b| b.birth_date),
            face.as_ref().map(|f| f.birth_date),
        ];
        for date in dates.into_iter().flatten() {
            let agrees = jpid_model::words::era_key(date).is_some_and(|era| key_is(&era));
            push_check(
                &mut checks,
                &mut reasons,
                "key_birth_date",
                agrees,
                "the key that opened the AP holds the birth date the records hold",
                (
                    "key_not_birth_date",
                    "the chip opened with a key whose birth date is not the one its signed records hold (another card's records?)",
                ),
            );
            if !agrees {
                break;
            }
        }
    }
    if covered.is_empty() && reasons.is_empty() {
        reasons.push(Reason::new(
            "nothing_covered",
            "no data file was read, so nothing is proven",
        ));
    }
    if info.is_some() {
        unsigned.push(Unsigned {
            item: "municipality_code",
            why: WHY_INFO,
        });
    }
    // The chip must answer with a card key that a record proven under a trusted CVC carries:
    // a key from a record whose signature failed, or under a forger's CVC, proves nothing.
    let certified_key = [
        ("birth_record", birth.as_ref().map(|b| &b.card_key)),
        ("card_face", face.as_ref().map(|c| &c.card_key)),
        (
            "my_number_image",
            my_number_image.as_ref().map(|m| &m.card_key),
        ),
    ]
    .into_iter()
    .find_map(|(record, key)| key.filter(|_| trusted.is_some() && covered.contains(&record)));
    let chip = match (answer, certified_key) {
        (None, _) => ChipAuth::offline(),
        (Some(_), None) => ChipAuth::Failed {
            detail: "no record carrying the card key was proven, so no key can be challenged"
                .into(),
            key_certified: false,
        },
        (Some(a), Some(key)) if key.signed_challenge(&a.challenge, &a.signature) => {
            ChipAuth::Authenticated {
                card_key_sha256: key.fingerprint(),
            }
        }
        (Some(_), Some(_)) => ChipAuth::Failed {
            detail: "the chip's answer to the challenge does not verify under the card key its signed records carry".into(),
            key_certified: true,
        },
    };
    // A check only when a chip was challenged: "passed" beside an offline dump would say a
    // chip check happened that did not (the facet says why there was none).
    if let Some(passed) = chip.challenged() {
        checks.push(Check::new("chip_authentication", passed, chip.describe()));
    }
    let validity = match &face {
        Some(f) => Validity::from_dates(
            at,
            vec![Validity::date("card_expiry", f.expiry, false, at)],
            Some("the expiry (DF29) is not covered by the signature: compare it with the date printed on the card"),
        ),
        None => Validity::from_dates(
            at,
            Vec::new(),
            Some("the birth record carries no expiry: the card's expiry is printed on its face"),
        ),
    };
    // The items each record's signature covers, as they are shown.
    let signed: Vec<&'static str> = covered
        .iter()
        .flat_map(|record| match *record {
            "birth_record" => &["birth_date"][..],
            "card_face" => &[
                "birth_date",
                "sex",
                "card_key",
                "name_image",
                "address_image",
                "photo",
            ][..],
            _ => &["my_number_image"][..],
        })
        .fold(Vec::new(), |mut all, item| {
            if !all.contains(item) {
                all.push(*item);
            }
            all
        });
    let proof = trusted.map(|k| CardFaceProof {
        issuer: k.id.clone(),
        covered,
        unsigned: unsigned.iter().map(|u| u.item).collect(),
        trust_mode: trust.mode(),
    });
    let verdict = Verdict::new(
        checks,
        reasons,
        signed,
        unsigned,
        validity,
        chip,
        trust.mode(),
        proof,
    );
    Ok(CardFaceVerdict {
        birth,
        face,
        my_number_image,
        info,
        verdict,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_info_is_der() {
        let v = df28_digest_info(&[7u8; 96]);
        assert_eq!(v.len(), 2 + 0x71);
        // The outer SEQUENCE's length covers the rest exactly; the OCTET STRING holds 96 bytes.
        assert_eq!(usize::from(v[1]), v.len() - 2);
        assert_eq!(&v[17..19], &[0x04, 0x60]);
    }

    #[test]
    fn dates_and_sex() {
        assert!(CardDate::try_from(&b"19900101"[..]).is_ok());
        assert!(CardDate::try_from(&b"19901301"[..]).is_err());
        assert!(CardDate::try_from(&b"19900230"[..]).is_err());
        assert!(CardDate::try_from(&b"1990010"[..]).is_err());
        assert!(Sex::try_from(&b"2"[..]).is_ok());
        assert!(Sex::try_from(&b"22"[..]).is_err());
        assert!(Sex::try_from(&b""[..]).is_err());
    }
}
