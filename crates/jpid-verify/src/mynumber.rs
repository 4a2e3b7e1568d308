//! The My Number card's card-face entry auxiliary AP (券面事項入力補助AP, "text AP"): parsing
//! its files and proving them genuine through its card-verifiable certificate (CVC) up to a
//! J-LIS CVC issuer key (mynumber-card.md §3; single source MC for the integrity-record rules,
//! UNCONFIRMED, isolated here).
//!
//! - EF 0001: `FF10 { 12 ASCII digits }` + filler; DF31 = SHA-256 of its physical bytes.
//! - EF 0002: `FF20 { DF21 offsets, DF22 name, DF23 address, DF24 birth date, DF25 sex }`;
//!   DF32 = SHA-256 of the DF22…DF25 TLVs (the value without the DF21 object).
//! - EF 0003: `FF30 { DF31 32, DF32 32, DF33 256 }`; DF33 = RSA PKCS#1 v1.5 SHA-256 over the
//!   DF31 and DF32 TLVs, with the key the CVC certifies.
//! - EF 0004: CVC `7F21 { 5F4E body, 5F37 signature }`; the body is issuer key id (16), subject
//!   key id (16), `90 03 <e>`, `91 82 0100 <n>`; the signature is PKCS#1 v1.5 SHA-256 over the
//!   body with the issuer's key. The issuer keys are not on the card.

use crate::rsa_public::PublicKey;
use jpid_apdu::tlv::{self, Tag};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::proof::Verified;
use crate::trust::{TrustMode, TrustStore};

/// Parse errors of the text AP's files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// A file is absent.
    #[error("file {0} is missing")]
    Missing(&'static str),
    /// A file does not have the layout of mynumber-card.md §3.
    #[error("file {file} is malformed: {detail}")]
    Malformed {
        /// The file.
        file: &'static str,
        /// What was wrong.
        detail: String,
    },
}

fn bad(file: &'static str) -> impl Fn(tlv::TlvError) -> TextError {
    move |e| TextError::Malformed {
        file,
        detail: e.to_string(),
    }
}

/// A J-LIS CVC issuer public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CvcIssuerKey {
    /// The 7-character issuer id (`5000033`, or jpid's TEST `9000033`).
    pub id: String,
    /// The full 16-byte key id a CVC names its issuer by; matched in full.
    pub key_id: Vec<u8>,
    /// Modulus, big-endian.
    pub modulus: Vec<u8>,
    /// Public exponent, big-endian.
    pub exponent: Vec<u8>,
    /// True for jpid's TEST keys.
    pub test: bool,
}

/// The text AP's data as read. `Debug` leaves out EF 0001 and EF 0003 (the My Number and the
/// digest it can be recovered from).
#[derive(Clone, Default)]
pub struct TextFiles {
    /// EF 0001 (My Number), when it was opened.
    pub my_number: Option<Vec<u8>>,
    /// EF 0002 (basic four), when it was opened.
    pub basic: Option<Vec<u8>>,
    /// EF 0003 (integrity record).
    pub integrity: Vec<u8>,
    /// EF 0004 (CVC).
    pub cvc: Vec<u8>,
}

/// The holder's basic four items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BasicFour {
    /// 氏名 (family and given names separated by U+3000).
    pub name: String,
    /// 住所.
    pub address: String,
    /// 生年月日, `YYYYMMDD` (Gregorian).
    pub birth_date: String,
    /// 性別: `1` male, `2` female, `9` not applicable.
    pub sex: String,
}

/// A check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Name.
    pub name: &'static str,
    /// Passed?
    pub passed: bool,
    /// Details.
    pub detail: String,
}

/// What a genuine text-AP read proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextProof {
    /// The CVC issuer key it chains to.
    pub issuer: String,
    /// Which items are covered: `my_number`, `basic_four`.
    pub covered: Vec<&'static str>,
    /// Whether test keys were trusted.
    pub trust_mode: TrustMode,
}

/// The outcome of [`verify_text`]. `Debug` never shows the My Number.
#[derive(Clone)]
pub struct TextVerdict {
    /// The My Number (12 digits), when EF 0001 was read.
    pub my_number: Option<String>,
    /// The basic four, when EF 0002 was read.
    pub basic: Option<BasicFour>,
    /// Every check.
    pub checks: Vec<Check>,
    /// Why not genuine: `(code, message)`.
    pub reasons: Vec<(&'static str, String)>,
    proof: Option<Verified<TextProof>>,
}

impl TextVerdict {
    /// True only with a proof.
    pub fn genuine(&self) -> bool {
        self.proof.is_some()
    }
    /// The proof.
    pub fn proof(&self) -> Option<&Verified<TextProof>> {
        self.proof.as_ref()
    }
}

pub(crate) fn sha256(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

/// The issuer ids allowed to certify a text AP.
const TEXT_AP_ISSUERS: [&str; 2] = ["5000033", "9000033"];

/// An RSA-2048 key with e = 65537, the only form these keys take (mynumber-card.md §3).
pub(crate) fn rsa_key(modulus: &[u8], exponent: &[u8]) -> Option<PublicKey> {
    let n = modulus.strip_prefix(&[0u8][..]).unwrap_or(modulus);
    if n.len() != 256 || exponent != [0x01, 0x00, 0x01] {
        return None;
    }
    PublicKey::new(n, exponent).ok()
}

/// RSASSA-PKCS1-v1_5 with SHA-256 over a precomputed digest.
pub(crate) fn verify_sha256(key: &PublicKey, digest: &[u8], sig: &[u8]) -> bool {
    crate::x509::verify_digest(key, crate::x509::HashAlg::Sha256, digest, sig)
}

/// A parsed CVC.
#[derive(Debug, Clone)]
pub struct Cvc {
    /// Issuer key id (16 bytes).
    pub issuer_id: Vec<u8>,
    /// Subject key id (16 bytes).
    pub subject_id: Vec<u8>,
    /// Subject public exponent.
    pub exponent: Vec<u8>,
    /// Subject modulus.
    pub modulus: Vec<u8>,
    body: Vec<u8>,
    signature: Vec<u8>,
}

impl CvcIssuerKey {
    /// Parses a key file of `anchors/jlis-cvc/` (`key_id`, `exponent`, `modulus` lines, hex).
    pub fn from_text(text: &str) -> Option<Self> {
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name).map(str::trim))
                .and_then(|h| hex::decode(h).ok())
        };
        let key_id = field("key_id ")?;
        Some(Self {
            id: String::from_utf8_lossy(key_id.get(..7)?).into_owned(),
            key_id,
            modulus: field("modulus ")?,
            exponent: field("exponent ")?,
            test: false,
        })
    }

    /// The key id form jpid's TEST keys use: `id7 08 05 "001" 00 00 00 00`.
    pub fn test_key_id(id7: &str) -> Vec<u8> {
        let mut v = id7.as_bytes().to_vec();
        v.extend_from_slice(&[0x08, 0x05, b'0', b'0', b'1']);
        v.resize(16, 0);
        v
    }
}

impl Cvc {
    /// Parses EF 0004.
    pub fn parse(bytes: &[u8]) -> Result<Self, TextError> {
        let f = "cvc";
        let outer = tlv::expect_single(bytes, Tag::new(0x7F21)).map_err(bad(f))?;
        let body = outer.require_child(Tag::new(0x5F4E)).map_err(bad(f))?;
        let sig = outer.require_child(Tag::new(0x5F37)).map_err(bad(f))?;
        let v = body.value();
        let (ids, rest) = (v.get(..32), v.get(32..));
        let (Some(ids), Some(rest)) = (ids, rest) else {
            return Err(TextError::Malformed {
                file: f,
                detail: "body shorter than its two key ids".into(),
            });
        };
        let e = tlv::require(rest, Tag::new(0x90)).map_err(bad(f))?;
        let n = tlv::require(rest, Tag::new(0x91)).map_err(bad(f))?;
        Ok(Self {
            issuer_id: ids.get(..16).unwrap_or_default().to_vec(),
            subject_id: ids.get(16..).unwrap_or_default().to_vec(),
            exponent: e.value().to_vec(),
            modulus: n.value().to_vec(),
            body: v.to_vec(),
            signature: sig.value().to_vec(),
        })
    }

    /// The 7-character issuer id (e.g. `5000033`).
    pub fn issuer(&self) -> String {
        String::from_utf8_lossy(self.issuer_id.get(..7).unwrap_or_default()).into_owned()
    }

    /// Whether `key` signed this CVC.
    pub fn signed_by(&self, key: &CvcIssuerKey) -> bool {
        let Some(k) = rsa_key(&key.modulus, &key.exponent) else {
            return false;
        };
        verify_sha256(&k, &sha256(&self.body), &self.signature)
    }
}

/// Parses and proves the text AP's files: the CVC chains to a trusted issuer key, the integrity
/// record's signature verifies under the CVC's key, and each file read matches its digest.
pub fn verify_text(files: &TextFiles, trust: &TrustStore) -> Result<TextVerdict, TextError> {
    let mut checks = Vec::new();
    let mut reasons: Vec<(&'static str, String)> = Vec::new();

    // EF 0003.
    let rec = tlv::expect_single(&files.integrity, Tag::new(0xFF30)).map_err(bad("integrity"))?;
    let d31 = rec
        .require_child(Tag::new(0xDF31))
        .map_err(bad("integrity"))?;
    let d32 = rec
        .require_child(Tag::new(0xDF32))
        .map_err(bad("integrity"))?;
    let d33 = rec
        .require_child(Tag::new(0xDF33))
        .map_err(bad("integrity"))?;
    let signed = [d31.raw(), d32.raw()].concat();

    // EF 0004 and its issuer.
    let cvc = Cvc::parse(&files.cvc)?;
    let issuer = cvc.issuer();
    // Only the text AP's issuer key may certify the text AP (production 5000033, jpid's TEST
    // 9000033): an MF-chain or card-face key must not, even though it is trusted for its own role.
    let trusted = trust.cvc_keys().iter().find(|k| {
        TEXT_AP_ISSUERS.contains(&k.id.as_str()) && k.key_id == cvc.issuer_id && cvc.signed_by(k)
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
            None => {
                format!("no trusted J-LIS CVC issuer key {issuer:?} signed the AP's certificate")
            }
        },
    });
    if trusted.is_none() {
        reasons.push(("unknown_issuer", format!("the card's text-AP certificate is not signed by a trusted J-LIS key (issuer id {issuer:?})")));
    }
    let ap_key = rsa_key(&cvc.modulus, &cvc.exponent);
    let record_ok = ap_key.is_some_and(|k| verify_sha256(&k, &sha256(&signed), d33.value()));
    checks.push(Check {
        name: "integrity_record",
        passed: record_ok,
        detail: if record_ok {
            "the integrity record's signature verifies under the AP's certified key".into()
        } else {
            "the integrity record's signature does not verify".into()
        },
    });
    if !record_ok {
        reasons.push((
            "signature_invalid",
            "the card's integrity record is not signed by its certified key".into(),
        ));
    }

    let mut covered = Vec::new();
    let mut my_number = None;
    if let Some(ef1) = &files.my_number {
        let ok: bool = sha256(ef1).ct_eq(d31.value()).into();
        checks.push(Check {
            name: "my_number_digest",
            passed: ok,
            detail: "SHA-256 of EF 0001 against DF31".into(),
        });
        if ok {
            covered.push("my_number");
        } else {
            reasons.push((
                "data_altered",
                "the My Number does not match the card's integrity record".into(),
            ));
        }
        let v = tlv::expect_single(ef1, Tag::new(0xFF10)).map_err(bad("my_number"))?;
        let digits = v.value();
        if digits.len() != 12 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(TextError::Malformed {
                file: "my_number",
                detail: "not 12 digits".into(),
            });
        }
        my_number = Some(String::from_utf8_lossy(digits).into_owned());
    }
    let mut basic = None;
    if let Some(ef2) = &files.basic {
        let outer = tlv::expect_single(ef2, Tag::new(0xFF20)).map_err(bad("basic"))?;
        let mut hashed = Vec::new();
        let get = |tag: u32| -> Result<String, TextError> {
            let t = outer.require_child(Tag::new(tag)).map_err(bad("basic"))?;
            Ok(String::from_utf8_lossy(t.value()).into_owned())
        };
        let four = BasicFour {
            name: get(0xDF22)?,
            address: get(0xDF23)?,
            birth_date: get(0xDF24)?,
            sex: get(0xDF25)?,
        };
        for child in outer.children() {
            let child = child.map_err(bad("basic"))?;
            if child.tag() != Tag::new(0xDF21) {
                hashed.extend_from_slice(child.raw());
            }
        }
        let ok: bool = sha256(&hashed).ct_eq(d32.value()).into();
        checks.push(Check {
            name: "basic_four_digest",
            passed: ok,
            detail: "SHA-256 of EF 0002's DF22–DF25 against DF32".into(),
        });
        if ok {
            covered.push("basic_four");
        } else {
            reasons.push((
                "data_altered",
                "the name, address, birth date or sex does not match the card's integrity record"
                    .into(),
            ));
        }
        basic = Some(four);
    }
    if covered.is_empty() && reasons.is_empty() {
        reasons.push((
            "nothing_covered",
            "no data file was read, so nothing is proven".into(),
        ));
    }
    let proof = match trusted {
        Some(k) if reasons.is_empty() => Some(Verified::new(TextProof {
            issuer: k.id.clone(),
            covered,
            trust_mode: trust.mode(),
        })),
        _ => None,
    };
    Ok(TextVerdict {
        my_number,
        basic,
        checks,
        reasons,
        proof,
    })
}

impl std::fmt::Debug for TextFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextFiles")
            .field("my_number", &self.my_number.as_ref().map(|_| "REDACTED"))
            .field("basic", &self.basic.as_ref().map(Vec::len))
            .field("integrity", &"REDACTED")
            .field("cvc", &self.cvc.len())
            .finish()
    }
}

impl std::fmt::Debug for TextVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextVerdict")
            .field("my_number", &self.my_number.as_ref().map(|_| "REDACTED"))
            .field("basic", &self.basic)
            .field("checks", &self.checks)
            .field("reasons", &self.reasons)
            .field("genuine", &self.genuine())
            .finish()
    }
}
