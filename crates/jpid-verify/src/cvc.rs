//! Card-verifiable certificates (CVC) of the My Number card's applications, shared by the
//! text AP's and the card-face AP's verifiers (docs/spec/mynumber-card.md §3 "EF 0004", §4):
//! `7F21 { 5F4E body, 5F37 signature }`; the body is issuer key id (16), subject key id (16),
//! `90 03 <e>`, `91 82 0100 <n>`; the signature is PKCS#1 v1.5 SHA-256 over the body with the
//! issuer's key. The issuer keys are not on the card: they are J-LIS's (trust anchors).

use jpid_apdu::tlv::{self, Tag};
use sha2::{Digest, Sha256};

use crate::rsa_public::PublicKey;

/// A CVC that does not have the layout above.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CvcError(String);

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

pub(crate) fn sha256(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

/// An RSA-2048 key with e = 65537, the only form these keys take (docs/spec/mynumber-card.md §3).
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
    pub fn parse(bytes: &[u8]) -> Result<Self, CvcError> {
        let bad = |e: tlv::TlvError| CvcError(e.to_string());
        let outer = tlv::expect_single(bytes, Tag::new(0x7F21)).map_err(bad)?;
        let body = outer.require_child(Tag::new(0x5F4E)).map_err(bad)?;
        let sig = outer.require_child(Tag::new(0x5F37)).map_err(bad)?;
        let v = body.value();
        let (ids, rest) = (v.get(..32), v.get(32..));
        let (Some(ids), Some(rest)) = (ids, rest) else {
            return Err(CvcError("body shorter than its two key ids".into()));
        };
        let e = tlv::require(rest, Tag::new(0x90)).map_err(bad)?;
        let n = tlv::require(rest, Tag::new(0x91)).map_err(bad)?;
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

/// The card's own RSA-2048 public key as the records carry it: `90 03 <e> 91 82 0100 <n>`.
#[derive(Clone, PartialEq, Eq)]
pub struct CardKey {
    modulus: Vec<u8>,
    exponent: Vec<u8>,
}

impl CardKey {
    /// Whether `signature` is this key's RSASSA-PKCS1-v1_5 SHA-256 signature over `challenge`:
    /// the answer a chip gives to INTERNAL AUTHENTICATE (`80 2A`) with its own key
    /// (docs/spec/mynumber-card.md §3 "Proving the card is live", §4; UNCONFIRMED).
    pub fn signed_challenge(&self, challenge: &[u8], signature: &[u8]) -> bool {
        rsa_key(&self.modulus, &self.exponent)
            .is_some_and(|k| verify_sha256(&k, &sha256(challenge), signature))
    }

    /// Modulus, big-endian.
    pub fn modulus(&self) -> &[u8] {
        &self.modulus
    }
    /// SHA-256 of the modulus, hex: a short name for the key in output.
    pub fn fingerprint(&self) -> String {
        hex::encode(sha256(&self.modulus))
    }
}

impl std::fmt::Debug for CardKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CardKey(sha256:{})", self.fingerprint())
    }
}

impl TryFrom<&[u8]> for CardKey {
    type Error = &'static str;
    fn try_from(v: &[u8]) -> Result<Self, Self::Error> {
        let e = tlv::require(v, Tag::new(0x90)).map_err(|_| "no exponent (90)")?;
        let n = tlv::require(v, Tag::new(0x91)).map_err(|_| "no modulus (91)")?;
        rsa_key(n.value(), e.value()).ok_or("not an RSA-2048 key with e = 65537")?;
        let modulus = n.value();
        Ok(Self {
            modulus: modulus.strip_prefix(&[0u8][..]).unwrap_or(modulus).to_vec(),
            exponent: e.value().to_vec(),
        })
    }
}
