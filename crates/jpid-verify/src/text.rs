//! The My Number card's card-face entry auxiliary AP (券面事項入力補助AP, "text AP"): parsing
//! its files and proving them genuine through its card-verifiable certificate (CVC) up to a
//! J-LIS CVC issuer key (docs/spec/mynumber-card.md §3; single source MC for the integrity-record rules,
//! UNCONFIRMED, isolated here).
//!
//! - EF 0001: `FF10 { 12 ASCII digits }` + filler; DF31 = SHA-256 of its physical bytes.
//! - EF 0002: `FF20 { DF21 offsets, DF22 name, DF23 address, DF24 birth date, DF25 sex }`;
//!   DF32 = SHA-256 of the DF22…DF25 TLVs (the value without the DF21 object).
//! - EF 0003: `FF30 { DF31 32, DF32 32, DF33 256 }`; DF33 = RSA PKCS#1 v1.5 SHA-256 over the
//!   DF31 and DF32 TLVs, with the key the CVC certifies.
//! - EF 0004: the AP's CVC ([`crate::cvc`]).
//! - EF 0007: `FF50 { DF51 card key, DF52 signature }`; DF52 = RSA PKCS#1 v1.5 SHA-256 over the
//!   DF51 TLV with the key the CVC certifies. A fresh challenge the chip signs with the DF51 key
//!   (INTERNAL AUTHENTICATE, `80 2A`, no PIN) proves the chip holds the card key
//!   (docs/spec/mynumber-card.md §3 "Proving the card is live": MC, and P8N's 内部認証;
//!   UNCONFIRMED on hardware).

use jpid_apdu::tlv::{self, Tag};
pub use jpid_model::TextFiles;
use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::cvc::{rsa_key, sha256, verify_sha256, CardKey, Cvc};
use crate::trust::{TrustMode, TrustStore};
use crate::verdict::{ChipAuth, Validity, Verdict};
use crate::UnixTime;
pub use jpid_model::ChipAnswer;

/// Parse errors of the text AP's files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// A file is absent.
    #[error("file {0} is missing")]
    Missing(&'static str),
    /// A file does not have the layout of docs/spec/mynumber-card.md §3.
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

pub use crate::verdict::{Check, Reason};

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

/// The outcome of [`verify_text`]: the card data and the one [`Verdict`] (it derefs to it).
/// `Debug` never shows the My Number.
#[derive(Clone)]
pub struct TextVerdict {
    /// The My Number (12 digits), when EF 0001 was read.
    pub my_number: Option<String>,
    /// The basic four, when EF 0002 was read.
    pub basic: Option<BasicFour>,
    /// The verdict.
    pub verdict: Verdict<TextProof>,
}

impl std::ops::Deref for TextVerdict {
    type Target = Verdict<TextProof>;
    fn deref(&self) -> &Self::Target {
        &self.verdict
    }
}

/// The text AP records no expiry.
const NO_EXPIRY: &str = "the text AP records no expiry: the card's expiry is printed on its face (and in the card-face AP, unsigned)";

/// EF 0007 checked against the AP's key, then the chip's answer against the key it certifies.
fn chip_auth(
    files: &TextFiles,
    ap_key: Option<&crate::rsa_public::PublicKey>,
    answer: Option<&ChipAnswer>,
) -> ChipAuth {
    let Some(answer) = answer else {
        return ChipAuth::offline();
    };
    let failed = |detail: &str| ChipAuth::Failed {
        detail: detail.to_string(),
        key_certified: false,
    };
    let Some(ef7) = files.card_key.as_deref() else {
        return failed("the card key (EF 0007) was not read");
    };
    let Ok(outer) = tlv::expect_single(ef7, Tag::new(0xFF50)) else {
        return failed("EF 0007 is not FF50 { DF51, DF52 }");
    };
    let (Ok(d51), Ok(d52)) = (
        outer.require_child(Tag::new(0xDF51)),
        outer.require_child(Tag::new(0xDF52)),
    ) else {
        return failed("EF 0007 lacks DF51 or DF52");
    };
    let Ok(key) = CardKey::try_from(d51.value()) else {
        return failed("EF 0007's DF51 is not an RSA-2048 key");
    };
    let certified = ap_key.is_some_and(|k| verify_sha256(k, &sha256(d51.raw()), d52.value()));
    if !certified {
        return failed("the card key in EF 0007 is not signed by the AP's certified key");
    }
    if !key.signed_challenge(&answer.challenge, &answer.signature) {
        return ChipAuth::Failed {
            detail: "the chip's answer to the challenge does not verify under the card key".into(),
            key_certified: true,
        };
    }
    ChipAuth::Authenticated {
        card_key_sha256: key.fingerprint(),
    }
}

/// The issuer ids allowed to certify a text AP.
const TEXT_AP_ISSUERS: [&str; 2] = ["5000033", "9000033"];

/// Parses and proves the text AP's files: the CVC chains to a trusted issuer key, the integrity
/// record's signature verifies under the CVC's key, and each file read matches its digest.
/// With the chip's `answer` to a fresh challenge (a live read), the chip must prove it holds
/// the card key of EF 0007; without one (a dump), chip authentication is not applicable. `at`
/// is when the check is made.
pub fn verify_text(
    files: &TextFiles,
    trust: &TrustStore,
    at: UnixTime,
    answer: Option<&ChipAnswer>,
) -> Result<TextVerdict, TextError> {
    let mut checks = Vec::new();
    let mut reasons: Vec<Reason> = Vec::new();

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
    let cvc = Cvc::parse(&files.cvc).map_err(|e| TextError::Malformed {
        file: "cvc",
        detail: e.to_string(),
    })?;
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
        reasons.push(Reason::new("unknown_issuer", format!("the card's text-AP certificate is not signed by a trusted J-LIS key (issuer id {issuer:?})")));
    }
    let ap_key = rsa_key(&cvc.modulus, &cvc.exponent);
    let record_ok = ap_key
        .as_ref()
        .is_some_and(|k| verify_sha256(k, &sha256(&signed), d33.value()));
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
        reasons.push(Reason::new(
            "signature_invalid",
            "the card's integrity record is not signed by its certified key",
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
            reasons.push(Reason::new(
                "data_altered",
                "the My Number does not match the card's integrity record",
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
            reasons.push(Reason::new(
                "data_altered",
                "the name, address, birth date or sex does not match the card's integrity record",
            ));
        }
        basic = Some(four);
    }
    if covered.is_empty() && reasons.is_empty() {
        reasons.push(Reason::new(
            "nothing_covered",
            "no data file was read, so nothing is proven",
        ));
    }
    // The card key counts only when certified by an AP key that a trusted issuer certified:
    // under a forger's CVC, a chip that answers with the forger's key proves nothing.
    let chip = chip_auth(files, ap_key.as_ref().filter(|_| trusted.is_some()), answer);
    // A check only when a chip was challenged: "passed" beside an offline dump would say a
    // chip check happened that did not (the facet says why there was none).
    if let Some(passed) = chip.challenged() {
        checks.push(Check::new("chip_authentication", passed, chip.describe()));
    }
    let proof = trusted.map(|k| TextProof {
        issuer: k.id.clone(),
        covered: covered.clone(),
        trust_mode: trust.mode(),
    });
    let verdict = Verdict::new(
        checks,
        reasons,
        covered,
        Vec::new(),
        Validity::from_dates(at, Vec::new(), Some(NO_EXPIRY)),
        chip,
        trust.mode(),
        proof,
    );
    Ok(TextVerdict {
        my_number,
        basic,
        verdict,
    })
}

impl std::fmt::Debug for TextVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextVerdict")
            .field("my_number", &self.my_number.as_ref().map(|_| "REDACTED"))
            .field("basic", &self.basic)
            .field("checks", &self.verdict.checks)
            .field("reasons", &self.verdict.reasons)
            .field("genuine", &self.genuine())
            .finish()
    }
}
