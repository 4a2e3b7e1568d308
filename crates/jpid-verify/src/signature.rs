//! Verifying JPKI signatures made elsewhere: a detached CMS SignedData (RFC 5652) with the signer
//! certificate inside, or a bare PKCS#1 v1.5 signature with the certificate given apart.
//! SHA-256 only (what jpid and JPKI clients produce); revocation is not checked here.

use der::Encode;
use jpid_apdu::tlv::{self, Tag};
use sha2::{Digest, Sha256};
use spki::ObjectIdentifier;

use crate::jpki::{holder_attributes, verify_certificate, Attribute, CertVerdict};
use crate::proof::{UnixTime, Verified};
use crate::trust::{Purpose, TrustMode, TrustStore};
use crate::x509::{verify_rsa_pkcs1, HashAlg, ParsedCert};

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");

/// A signature file that is not what it claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// Not a CMS SignedData jpid can check.
    #[error("not a detached CMS signature jpid can check: {0}")]
    Cms(String),
    /// The certificate is unusable.
    #[error("the signer certificate is unusable: {0}")]
    Certificate(String),
}

fn cms(e: impl std::fmt::Display) -> SignatureError {
    SignatureError::Cms(e.to_string())
}

fn oid_der(o: ObjectIdentifier) -> Vec<u8> {
    o.to_der().unwrap_or_default()
}

/// What a valid signature proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureProof {
    /// JPKI key type of the signer certificate.
    pub purpose: Purpose,
    /// Serial of the signer certificate.
    pub serial: String,
    /// When checked.
    pub at: UnixTime,
    /// Whether test roots were trusted.
    pub trust_mode: TrustMode,
}

/// The outcome of a signature check.
#[derive(Debug, Clone)]
pub struct SignatureVerdict {
    /// The signature over the content is correct for the certificate's key.
    pub signature_ok: bool,
    /// Which JPKI purpose the certificate chains for, if any.
    pub purpose: Option<Purpose>,
    /// The certificate's chain and validity.
    pub certificate: CertVerdict,
    /// Holder attributes (signature certificates only).
    pub holder: Vec<Attribute>,
    /// Why not valid.
    pub reasons: Vec<(&'static str, String)>,
    proof: Option<Verified<SignatureProof>>,
}

impl SignatureVerdict {
    /// True only with a proof.
    pub fn valid(&self) -> bool {
        self.proof.is_some()
    }
    /// The proof.
    pub fn proof(&self) -> Option<&Verified<SignatureProof>> {
        self.proof.as_ref()
    }
}

fn finish(
    cert_der: &[u8],
    signature_ok: bool,
    mut reasons: Vec<(&'static str, String)>,
    trust: &TrustStore,
    at: UnixTime,
) -> Result<SignatureVerdict, SignatureError> {
    // The certificate anchors for authentication or for signature: try both, keep the one that chains.
    let mut best = None;
    for purpose in [Purpose::JpkiSign, Purpose::JpkiAuth] {
        let v = verify_certificate(cert_der, purpose, trust, at)
            .map_err(|e| SignatureError::Certificate(e.to_string()))?;
        let chains = !v.reasons.iter().any(|(c, _)| *c == "unknown_issuer");
        if chains || best.is_none() {
            best = Some((purpose, v, chains));
        }
        if chains {
            break;
        }
    }
    let Some((purpose, cert, chains)) = best else {
        return Err(SignatureError::Certificate("no verdict".into()));
    };
    if !signature_ok && reasons.is_empty() {
        reasons.insert(
            0,
            (
                "signature_invalid",
                "the signature does not match the content and the certificate's key".into(),
            ),
        );
    }
    reasons.extend(cert.reasons.iter().cloned());
    let parsed =
        ParsedCert::parse(cert_der).map_err(|e| SignatureError::Certificate(e.to_string()))?;
    let proof = (signature_ok && cert.valid()).then(|| {
        Verified::new(SignatureProof {
            purpose,
            serial: cert.serial.clone(),
            at,
            trust_mode: trust.mode(),
        })
    });
    Ok(SignatureVerdict {
        signature_ok,
        purpose: chains.then_some(purpose),
        holder: holder_attributes(&parsed),
        certificate: cert,
        reasons,
        proof,
    })
}

/// Checks a bare RSA PKCS#1 v1.5 SHA-256 signature over `content_sha256` with `cert_der`.
pub fn verify_raw(
    content_sha256: &[u8; 32],
    signature: &[u8],
    cert_der: &[u8],
    trust: &TrustStore,
    at: UnixTime,
) -> Result<SignatureVerdict, SignatureError> {
    let cert =
        ParsedCert::parse(cert_der).map_err(|e| SignatureError::Certificate(e.to_string()))?;
    let spki = cert
        .spki_der()
        .map_err(|e| SignatureError::Certificate(e.to_string()))?;
    let ok = verify_rsa_pkcs1(&spki, HashAlg::Sha256, content_sha256, signature).is_ok();
    finish(&cert.der, ok, Vec::new(), trust, at)
}

/// Checks a detached CMS SignedData over content whose SHA-256 is `content_sha256`.
pub fn verify_cms(
    content_sha256: &[u8; 32],
    p7s: &[u8],
    trust: &TrustStore,
    at: UnixTime,
) -> Result<SignatureVerdict, SignatureError> {
    let seq = Tag::new(0x30);
    let set = Tag::new(0x31);
    let ctx0 = Tag::new(0xA0);
    let info = tlv::expect_single(p7s, seq).map_err(cms)?;
    let mut parts = info.children();
    let oid = parts
        .next()
        .ok_or_else(|| cms("empty ContentInfo"))?
        .map_err(cms)?;
    if oid.raw() != oid_der(ID_SIGNED_DATA).as_slice() {
        return Err(cms("the content type is not signedData"));
    }
    let wrapped = parts
        .next()
        .ok_or_else(|| cms("no content"))?
        .map_err(cms)?;
    if wrapped.tag() != ctx0 {
        return Err(cms("content is not [0] EXPLICIT"));
    }
    let signed = tlv::expect_single(wrapped.value(), seq).map_err(cms)?;
    let fields: Vec<_> = signed.children().collect::<Result<_, _>>().map_err(cms)?;
    // encapContentInfo must be detached: id-data with no eContent.
    let encap = fields
        .iter()
        .find(|f| f.tag() == seq)
        .ok_or_else(|| cms("no encapContentInfo"))?;
    if encap.children().count() != 1 {
        return Err(cms(
            "the signature embeds its content; jpid checks detached signatures",
        ));
    }
    let certs = fields
        .iter()
        .find(|f| f.tag() == ctx0)
        .ok_or_else(|| cms("no signer certificate in the signature"))?;
    let signer_infos = fields
        .iter()
        .filter(|f| f.tag() == set)
        .nth(1)
        .ok_or_else(|| cms("no signerInfos"))?;
    let mut infos = signer_infos.children();
    let si = infos
        .next()
        .ok_or_else(|| cms("no signerInfo"))?
        .map_err(cms)?;
    if infos.next().is_some() {
        return Err(cms("more than one signer"));
    }
    let si_fields: Vec<_> = si.children().collect::<Result<_, _>>().map_err(cms)?;
    let sid = si_fields
        .get(1)
        .ok_or_else(|| cms("no signer identifier"))?;
    let digest_alg = si_fields.get(2).ok_or_else(|| cms("no digest algorithm"))?;
    let attrs = si_fields
        .get(3)
        .filter(|a| a.tag() == ctx0)
        .ok_or_else(|| cms("no signed attributes"))?;
    let sig_alg = si_fields
        .get(4)
        .ok_or_else(|| cms("no signature algorithm"))?;
    let signature = si_fields
        .get(5)
        .filter(|s| s.tag() == Tag::new(0x04))
        .ok_or_else(|| cms("no signature value"))?;
    let first_oid = |t: &tlv::Tlv<'_>| {
        t.children()
            .next()
            .and_then(Result::ok)
            .map(|o| o.raw().to_vec())
    };
    if first_oid(digest_alg) != Some(oid_der(ID_SHA256)) {
        return Err(cms("digest algorithm is not SHA-256"));
    }
    let sa = first_oid(sig_alg);
    if sa != Some(oid_der(RSA_ENCRYPTION)) && sa != Some(oid_der(SHA256_WITH_RSA)) {
        return Err(cms("signature algorithm is not RSA PKCS#1 v1.5"));
    }
    // The signer certificate: the one the signer identifier (issuer and serial) names.
    let mut signer = None;
    for c in certs.children() {
        let c = c.map_err(cms)?;
        let Ok(pc) = ParsedCert::parse(c.raw()) else {
            continue;
        };
        let (Ok(issuer), Ok(serial)) = (
            pc.cert.tbs_certificate.issuer.to_der(),
            pc.cert.tbs_certificate.serial_number.to_der(),
        ) else {
            continue;
        };
        if sid.value() == [issuer, serial].concat().as_slice() {
            signer = Some(pc);
            break;
        }
    }
    let signer = signer
        .ok_or_else(|| cms("no certificate in the signature matches its signer identifier"))?;
    // Signed attributes: contentType id-data and messageDigest = SHA-256 of the content.
    let mut digest = None;
    let mut content_type = false;
    for a in attrs.children() {
        let a = a.map_err(cms)?;
        let kind = first_oid(&a);
        let value = a
            .children()
            .nth(1)
            .and_then(Result::ok)
            .and_then(|s| s.children().next())
            .and_then(Result::ok);
        if kind == Some(oid_der(ID_MESSAGE_DIGEST)) {
            digest = value.map(|v| v.value().to_vec());
        } else if kind == Some(oid_der(ID_CONTENT_TYPE)) {
            content_type = true;
        }
    }
    if !content_type {
        return Err(cms("no contentType signed attribute"));
    }
    let digest = digest.ok_or_else(|| cms("no messageDigest signed attribute"))?;
    let mut reasons = Vec::new();
    if digest != content_sha256 {
        reasons.push(("content_altered", "the content is not what was signed (its SHA-256 differs from the signed messageDigest)".to_string()));
    }
    // The signature covers the signed attributes encoded as a SET (RFC 5652 §5.4).
    let to_be_signed = tlv::encode(set, attrs.value());
    let spki = signer
        .spki_der()
        .map_err(|e| SignatureError::Certificate(e.to_string()))?;
    let tbs_digest: [u8; 32] = Sha256::digest(&to_be_signed).into();
    let ok = verify_rsa_pkcs1(&spki, HashAlg::Sha256, &tbs_digest, signature.value()).is_ok()
        && reasons.is_empty();
    finish(&signer.der, ok, reasons, trust, at)
}
