//! TEST stand-ins for the J-LIS card-verifiable-certificate (CVC) issuer keys.
//!
//! docs/spec/mynumber-card.md §3 (EF 0004): each My Number card AP carries a CVC whose body names a
//! 16-byte issuer key id (`"5000033" 08 05 "001" 00 00 00 xx` in production). The issuer public
//! keys are not on the card; a verifier must ship them. The production issuer ids are
//! `5000033` (券面事項入力補助AP), `5000023` (券面事項確認AP) and `5000020` (MF chain); J-LIS
//! test cards use `6000033`, `6000023`, `6000020`.
//!
//! This crate uses **`9000033`, `9000023`, `9000020`** instead: ids that are neither production
//! nor J-LIS test ids, so a jpid TEST key can never be mistaken for, or looked up as, a real one.
//! Only the RSA-2048 key pairs exist for now; building the CVCs themselves is future work.

use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};

/// Which J-LIS CVC issuer a TEST key stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CvcIssuer {
    /// 券面事項入力補助AP (text AP); production id `5000033`, ours `9000033`.
    TextAp,
    /// 券面事項確認AP (card-face AP); production id `5000023`, ours `9000023`.
    CardFaceAp,
    /// MF chain; production id `5000020`, ours `9000020`.
    MfChain,
}

impl CvcIssuer {
    /// All issuers, in fixture order.
    pub const ALL: [Self; 3] = [Self::TextAp, Self::CardFaceAp, Self::MfChain];

    /// The 7-character ASCII issuer id used by jpid TEST material. Deliberately outside the
    /// production (`5…`) and J-LIS test (`6…`) ranges.
    pub fn test_key_id(self) -> &'static str {
        match self {
            Self::TextAp => "9000033",
            Self::CardFaceAp => "9000023",
            Self::MfChain => "9000020",
        }
    }
}

/// One TEST CVC issuer key pair (RSA-2048, e = 65537).
#[derive(Clone)]
pub struct CvcCaKey {
    pub(crate) issuer: CvcIssuer,
    pub(crate) key: RsaPrivateKey,
}

impl CvcCaKey {
    /// Which issuer this key stands for.
    pub fn issuer(&self) -> CvcIssuer {
        self.issuer
    }

    /// The TEST issuer key id, e.g. `"9000033"`.
    pub fn key_id(&self) -> &'static str {
        self.issuer.test_key_id()
    }

    /// The private key (to sign CVC bodies).
    pub fn private_key(&self) -> &RsaPrivateKey {
        &self.key
    }

    /// The public key.
    pub fn public_key(&self) -> RsaPublicKey {
        self.key.to_public_key()
    }

    /// The modulus, big-endian without leading zeros (256 bytes for these keys).
    pub fn modulus(&self) -> Vec<u8> {
        self.key.n().to_bytes_be()
    }

    /// The public exponent, big-endian (`01 00 01`).
    pub fn public_exponent(&self) -> Vec<u8> {
        self.key.e().to_bytes_be()
    }
}

impl core::fmt::Debug for CvcCaKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CvcCaKey")
            .field("key_id", &self.key_id())
            .field("key", &"REDACTED")
            .finish()
    }
}
