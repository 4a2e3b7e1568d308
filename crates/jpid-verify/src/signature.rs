//! Verifying JPKI signatures made elsewhere: a detached CMS SignedData (RFC 5652) with the signer
//! certificate inside, or a bare PKCS#1 v1.5 signature with the certificate given apart.
//! SHA-256 only (what jpid and JPKI clients produce). Revocation is checked as the caller's
//! [`RevocationPolicy`] says (`RevocationPolicy::NotChecked` to say explicitly it was not).

use der::Encode;
use jpid_apdu::tlv::{self, Tag};
use sha2::{Digest, Sha256};
use spki::ObjectIdentifier;

use crate::jpki::{holder_attributes, verify_certificate, Attribute, CertVerdict};
use crate::proof::Verified;
use crate::revocation::{RevocationPolicy, RevocationStatus};
use crate::trust::{Purpose, TrustMode, TrustStore};
use crate::verdict::Reason;
use crate::x509::HashAlg;
use crate::UnixTime;

/// id-aa-signingCertificateV2 (RFC 5035 §3).
use const_oid::db::rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2 as ID_SIGNING_CERTIFICATE_V2;
use const_oid::db::rfc5911::ID_CONTENT_TYPE;
use const_oid::db::rfc5911::ID_DATA;
use const_oid::db::rfc5911::ID_MESSAGE_DIGEST;
use const_oid::db::rfc5911::ID_SIGNED_DATA;
use const_oid::db::rfc5912::ECDSA_WITH_SHA_256 as ECDSA_WITH_SHA256;
use const_oid::db::rfc5912::ECDSA_WITH_SHA_384 as ECDSA_WITH_SHA384;
use const_oid::db::rfc5912::ID_SHA_256 as ID_SHA256;
use const_oid::db::rfc5912::RSA_ENCRYPTION;
use const_oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION as SHA256_WITH_RSA;
use const_oid::db::rfc5912::SHA_384_WITH_RSA_ENCRYPTION as SHA384_WITH_RSA;

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
    /// The signer certificate's revocation status (with the CRL used, when checked).
    pub revocation: RevocationStatus,
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
    pub reasons: Vec<Reason>,
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
    mut reasons: Vec<Reason>,
    trust: &TrustStore,
    at: UnixTime,
    revocation: RevocationPolicy<'_>,
) -> Result<SignatureVerdict, SignatureError> {
    // The certificate anchors for authentication or for signature: try both, keep the one that
    // chains. When neither does, the verdict speaks of the kind its issuer names (an
    // authentication certificate is not called "not issued by a jpki-sign root").
    let auth_first = trust
        .parsed(cert_der)
        .is_ok_and(|c| c.issuer().contains("user authentication"));
    let order = if auth_first {
        [Purpose::JpkiAuth, Purpose::JpkiSign]
    } else {
        [Purpose::JpkiSign, Purpose::JpkiAuth]
    };
    let mut best = None;
    for purpose in order {
        let v = verify_certificate(cert_der, purpose, trust, at, revocation)
            .map_err(|e| SignatureError::Certificate(e.to_string()))?;
        let chains = !v.reasons.iter().any(|r| r.code == "unknown_issuer");
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
            Reason::new(
                "signature_invalid",
                "the signature does not match the content and the certificate's key",
            ),
        );
    }
    reasons.extend(cert.reasons.iter().cloned());
    let parsed = trust
        .parsed(cert_der)
        .map_err(|e| SignatureError::Certificate(e.to_string()))?;
    let proof = (signature_ok && cert.valid()).then(|| {
        Verified::new(SignatureProof {
            purpose,
            serial: cert.serial.clone(),
            at,
            trust_mode: trust.mode(),
            revocation: cert.revocation.clone(),
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
    revocation: RevocationPolicy<'_>,
) -> Result<SignatureVerdict, SignatureError> {
    let cert = trust
        .parsed(cert_der)
        .map_err(|e| SignatureError::Certificate(e.to_string()))?;
    let ok = cert
        .verify_rsa_pkcs1(HashAlg::Sha256, content_sha256, signature)
        .is_ok();
    finish(&cert.der, ok, Vec::new(), trust, at, revocation)
}

/// Checks a detached CMS SignedData over content whose SHA-256 is `content_sha256`.
///
/// The structure is decoded by the `cms` crate (strict DER); what jpid adds is the profile:
/// SignedData version 1, digestAlgorithms naming SHA-256, id-data without content (detached),
/// the signer certificate inside, exactly one signerInfo (version 1, issuer and serial), signed
/// attributes with contentType id-data and the messageDigest, RSA PKCS#1 v1.5, and an ESS
/// signingCertificateV2, when present, that names the signer's certificate.
pub fn verify_cms(
    content_sha256: &[u8; 32],
    p7s: &[u8],
    trust: &TrustStore,
    at: UnixTime,
    revocation: RevocationPolicy<'_>,
) -> Result<SignatureVerdict, SignatureError> {
    let digest = |alg: CmsDigest| match alg {
        CmsDigest::Sha256 => Ok(content_sha256.to_vec()),
        CmsDigest::Sha384 => Err(cms("digest algorithm is not SHA-256")),
    };
    check_cms(p7s, digest, trust, at, revocation)
}

/// The digest algorithms a CMS signature jpid checks may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmsDigest {
    /// SHA-256 (every JPKI card today).
    Sha256,
    /// SHA-384 (the next-generation card's published plan, with ECDSA P-384).
    Sha384,
}

impl CmsDigest {
    fn oid(self) -> ObjectIdentifier {
        match self {
            CmsDigest::Sha256 => ID_SHA256,
            CmsDigest::Sha384 => ID_SHA384,
        }
    }
    /// The digest of `parts` concatenated.
    pub fn of(self, parts: &[&[u8]]) -> Vec<u8> {
        match self {
            CmsDigest::Sha256 => {
                let mut h = Sha256::new();
                parts.iter().for_each(|p| h.update(p));
                h.finalize().to_vec()
            }
            CmsDigest::Sha384 => {
                let mut h = sha2::Sha384::new();
                parts.iter().for_each(|p| h.update(p));
                h.finalize().to_vec()
            }
        }
    }
    /// Its name, as answers print it.
    pub fn name(self) -> &'static str {
        match self {
            CmsDigest::Sha256 => "SHA-256",
            CmsDigest::Sha384 => "SHA-384",
        }
    }
}

/// [`verify_cms`] over content given in `parts` (concatenated), with the digest the signer
/// chose: SHA-256 or SHA-384, signed with RSA PKCS#1 v1.5 or ECDSA P-384 (algorithm agility for
/// the next-generation card). Returns the verdict and the digest algorithm used.
pub fn verify_cms_parts(
    parts: &[&[u8]],
    p7s: &[u8],
    trust: &TrustStore,
    at: UnixTime,
    revocation: RevocationPolicy<'_>,
) -> Result<(SignatureVerdict, CmsDigest), SignatureError> {
    let used = std::cell::Cell::new(CmsDigest::Sha256);
    let digest = |alg: CmsDigest| {
        used.set(alg);
        Ok(alg.of(parts))
    };
    let v = check_cms(p7s, digest, trust, at, revocation)?;
    Ok((v, used.get()))
}

fn check_cms(
    p7s: &[u8],
    content_digest: impl FnOnce(CmsDigest) -> Result<Vec<u8>, SignatureError>,
    trust: &TrustStore,
    at: UnixTime,
    revocation: RevocationPolicy<'_>,
) -> Result<SignatureVerdict, SignatureError> {
    use cms::cert::CertificateChoices;
    use cms::content_info::{CmsVersion, ContentInfo};
    use cms::signed_data::{SignedData, SignerIdentifier};

    let info = crate::der_input::decode::<ContentInfo>(p7s).map_err(cms)?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(cms("the content type is not signedData"));
    }
    let signed: SignedData = info.content.decode_as().map_err(cms)?;
    if signed.version != CmsVersion::V1 {
        return Err(cms("SignedData version is not 1"));
    }

    let encap = &signed.encap_content_info;
    if encap.econtent.is_some() {
        return Err(cms(
            "the signature embeds its content; jpid checks detached signatures",
        ));
    }
    if encap.econtent_type != ID_DATA {
        return Err(cms("the encapsulated content type is not id-data"));
    }
    let certs = signed
        .certificates
        .as_ref()
        .ok_or_else(|| cms("no signer certificate in the signature"))?;
    let si = match signed.signer_infos.0.as_slice() {
        [one] => one,
        [] => return Err(cms("no signerInfo")),
        _ => return Err(cms("more than one signer")),
    };
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &si.sid else {
        return Err(cms(
            "signerInfo version or signer identifier is not version 1 issuer-and-serial",
        ));
    };
    if si.version != CmsVersion::V1 {
        return Err(cms(
            "signerInfo version or signer identifier is not version 1 issuer-and-serial",
        ));
    }
    let Some(alg) = [CmsDigest::Sha256, CmsDigest::Sha384]
        .into_iter()
        .find(|d| is_alg(&si.digest_alg, d.oid()))
    else {
        return Err(cms("the digest algorithm is neither SHA-256 nor SHA-384"));
    };
    if !signed
        .digest_algorithms
        .iter()
        .any(|a| is_alg(a, alg.oid()))
    {
        return Err(cms(format!(
            "digestAlgorithms does not name {}",
            alg.name()
        )));
    }
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| cms("no signed attributes"))?;
    // RSA PKCS#1 v1.5 (rsaEncryption, or sha256/sha384WithRSAEncryption matching the digest),
    // or ECDSA with the digest's hash (P-384 keys: the next-generation card's plan).
    let sig_kind = {
        let a = &si.signature_algorithm;
        let rsa_named = match alg {
            CmsDigest::Sha256 => SHA256_WITH_RSA,
            CmsDigest::Sha384 => SHA384_WITH_RSA,
        };
        let ecdsa_named = match alg {
            CmsDigest::Sha256 => ECDSA_WITH_SHA256,
            CmsDigest::Sha384 => ECDSA_WITH_SHA384,
        };
        if is_alg(a, RSA_ENCRYPTION) || is_alg(a, rsa_named) {
            SigKind::Rsa
        } else if a.oid == ecdsa_named && a.parameters.is_none() {
            SigKind::Ecdsa
        } else {
            return Err(cms(format!(
                "the signature algorithm is neither RSA PKCS#1 v1.5 nor ECDSA with {}",
                alg.name()
            )));
        }
    };
    // The signer certificate: the one the signer identifier (issuer and serial) names.
    let signer = certs
        .0
        .iter()
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c),
            CertificateChoices::Other(_) => None,
        })
        .find(|c| {
            c.tbs_certificate.issuer == sid.issuer
                && c.tbs_certificate.serial_number == sid.serial_number
        })
        .ok_or_else(|| cms("no certificate in the signature matches its signer identifier"))?;
    let signer = trust
        .parsed(&signer.to_der().map_err(cms)?)
        .map_err(|e| SignatureError::Certificate(e.to_string()))?;
    // Signed attributes: contentType id-data and messageDigest = SHA-256 of the content.
    let mut digest = None;
    let mut content_type = false;
    let mut signing_cert_hash = None;
    for a in attrs.iter() {
        let value = match a.values.as_slice() {
            [one] => one,
            _ => return Err(cms("a signed attribute has more or fewer than one value")),
        };
        if a.oid == ID_MESSAGE_DIGEST {
            let octets = value
                .decode_as::<der::asn1::OctetString>()
                .map_err(|_| cms("the messageDigest attribute is not an OCTET STRING"))?;
            digest = Some(octets.as_bytes().to_vec());
        } else if a.oid == ID_CONTENT_TYPE {
            // Must equal the encapsulated content type (RFC 5652 §11.1).
            content_type = value.decode_as::<ObjectIdentifier>().ok() == Some(ID_DATA);
        } else if a.oid == ID_SIGNING_CERTIFICATE_V2 {
            let der = value.to_der().map_err(cms)?;
            let tlv = tlv::expect_single(&der, Tag::new(0x30)).map_err(cms)?;
            signing_cert_hash = Some(ess_cert_hash(&tlv)?);
        }
    }
    if !content_type {
        return Err(cms("no contentType signed attribute equal to id-data"));
    }
    let digest = digest.ok_or_else(|| cms("no messageDigest signed attribute"))?;
    let content_digest = content_digest(alg)?;
    let mut reasons = Vec::new();
    if let Some((alg, hash)) = signing_cert_hash {
        let ours = match alg {
            EssHash::Sha256 => Sha256::digest(&signer.der).to_vec(),
            EssHash::Sha384 => sha2::Sha384::digest(&signer.der).to_vec(),
            EssHash::Sha512 => sha2::Sha512::digest(&signer.der).to_vec(),
        };
        if hash != ours {
            reasons.push(Reason::new("signer_certificate_mismatch", "the signed signingCertificateV2 attribute names another certificate than the one that signed (certificate substitution)".to_string()));
        }
    }
    if digest != content_digest {
        reasons.push(Reason::new(
            "content_altered",
            format!(
                "the content is not what was signed (its {} differs from the signed messageDigest)",
                alg.name()
            ),
        ));
    }
    // The signature covers the signed attributes encoded as a SET (RFC 5652 §5.4): their DER,
    // which decoding checked the message holds.
    let to_be_signed = attrs.to_der().map_err(cms)?;
    let tbs_digest = alg.of(&[&to_be_signed]);
    let hash = match alg {
        CmsDigest::Sha256 => HashAlg::Sha256,
        CmsDigest::Sha384 => HashAlg::Sha384,
    };
    let sig = si.signature.as_bytes();
    let verified = match sig_kind {
        SigKind::Rsa => signer.verify_rsa_pkcs1(hash, &tbs_digest, sig).is_ok(),
        SigKind::Ecdsa => signer.spki_der().is_ok_and(|spki| {
            crate::x509::verify_p384_prehash(&spki, &tbs_digest, sig, crate::x509::SigForm::Der)
                .is_ok()
        }),
    };
    let ok = verified && reasons.is_empty();
    finish(&signer.der, ok, reasons, trust, at, revocation)
}

/// How the signer signed.
#[derive(Debug, Clone, Copy)]
enum SigKind {
    Rsa,
    Ecdsa,
}

/// The hash an ESSCertIDv2 names its certificate by.
#[derive(Debug, Clone, Copy)]
enum EssHash {
    Sha256,
    Sha384,
    Sha512,
}

use const_oid::db::rfc5912::ID_SHA_384 as ID_SHA384;
use const_oid::db::rfc5912::ID_SHA_512 as ID_SHA512;

/// The certificate hash of an ESS signingCertificateV2 value (RFC 5035): the first
/// `ESSCertIDv2` of `SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies OPTIONAL }`, with its
/// hash algorithm: SHA-256 (the default, absent or explicit), SHA-384 or SHA-512. The older
/// signingCertificate (v1, SHA-1) attribute is not read.
fn ess_cert_hash(value: &tlv::Tlv<'_>) -> Result<(EssHash, Vec<u8>), SignatureError> {
    let bad = || cms("the signingCertificateV2 attribute is malformed");
    let seq = Tag::new(0x30);
    if value.tag() != seq {
        return Err(bad());
    }
    let outer = strict(value)?;
    let certs = outer.first().filter(|c| c.tag() == seq).ok_or_else(bad)?;
    let first = strict(certs)?;
    let id = first.first().filter(|c| c.tag() == seq).ok_or_else(bad)?;
    let parts = strict(id)?;
    let (kind, hash, rest) = match parts.split_first() {
        Some((alg, rest)) if alg.tag() == seq => {
            let kind = [
                (ID_SHA256, EssHash::Sha256),
                (ID_SHA384, EssHash::Sha384),
                (ID_SHA512, EssHash::Sha512),
            ]
            .into_iter()
            .find(|(oid, _)| is_alg_tlv(alg, *oid))
            .map(|(_, k)| k)
            .ok_or_else(|| {
                cms("the signingCertificateV2 attribute hashes the certificate with an algorithm other than SHA-256, SHA-384 or SHA-512")
            })?;
            (kind, rest.first(), rest.get(1..))
        }
        Some((hash, rest)) => (EssHash::Sha256, Some(hash), Some(rest)),
        None => (EssHash::Sha256, None, None),
    };
    let want = match kind {
        EssHash::Sha256 => 32,
        EssHash::Sha384 => 48,
        EssHash::Sha512 => 64,
    };
    let hash = hash
        .filter(|h| h.tag() == Tag::new(0x04) && h.value().len() == want)
        .ok_or_else(bad)?;
    // At most issuerSerial after the hash.
    if rest.is_some_and(|r| r.len() > 1 || r.first().is_some_and(|i| i.tag() != seq)) {
        return Err(bad());
    }
    Ok((kind, hash.value().to_vec()))
}

/// An algorithm identifier of `oid` with absent or NULL parameters.
fn is_alg(a: &spki::AlgorithmIdentifierOwned, oid: ObjectIdentifier) -> bool {
    a.oid == oid
        && a.parameters
            .as_ref()
            .is_none_or(|p| der::Tagged::tag(p) == der::Tag::Null && p.value().is_empty())
}

/// `SEQUENCE { oid, [NULL] }` and nothing else.
fn is_alg_tlv(t: &tlv::Tlv<'_>, oid: ObjectIdentifier) -> bool {
    if t.tag() != Tag::new(0x30) {
        return false;
    }
    let Ok(parts) = strict(t) else { return false };
    match parts.as_slice() {
        [o] => o.raw() == oid_der(oid).as_slice(),
        [o, null] => o.raw() == oid_der(oid).as_slice() && null.raw() == [0x05, 0x00],
        _ => false,
    }
}

/// The children of a DER constructed value: consecutive objects covering the value exactly (no
/// filler, no trailing bytes), unlike the card-file reader.
fn strict<'a>(t: &tlv::Tlv<'a>) -> Result<Vec<tlv::Tlv<'a>>, SignatureError> {
    let mut rest = t.value();
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (obj, r) = tlv::parse_one(rest).map_err(cms)?;
        out.push(obj);
        rest = r;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Encode;

    fn seq(parts: &[&[u8]]) -> Vec<u8> {
        tlv::encode(Tag::new(0x30), &parts.concat())
    }

    /// `SEQUENCE { SEQUENCE { ESSCertIDv2 } }` with `alg` (None: the default) and `hash`.
    fn value(alg: Option<ObjectIdentifier>, hash: &[u8]) -> Vec<u8> {
        let h = tlv::encode(Tag::new(0x04), hash);
        let id = match alg {
            Some(a) => seq(&[&seq(&[&a.to_der().unwrap()]), &h]),
            None => seq(&[&h]),
        };
        seq(&[&seq(&[&id])])
    }

    fn read(v: &[u8]) -> Result<(EssHash, Vec<u8>), SignatureError> {
        let (t, _) = tlv::parse_one(v).unwrap();
        ess_cert_hash(&t)
    }

    #[test]
    fn ess_cert_ids_name_their_hash() {
        assert!(matches!(read(&value(None, &[1; 32])), Ok((EssHash::Sha256, h)) if h == [1; 32]));
        assert!(matches!(
            read(&value(Some(ID_SHA256), &[2; 32])),
            Ok((EssHash::Sha256, _))
        ));
        assert!(matches!(
            read(&value(Some(ID_SHA384), &[3; 48])),
            Ok((EssHash::Sha384, _))
        ));
        assert!(matches!(
            read(&value(Some(ID_SHA512), &[4; 64])),
            Ok((EssHash::Sha512, _))
        ));
        // A hash of the wrong length for its algorithm, an unknown algorithm (SHA-1), junk.
        assert!(read(&value(Some(ID_SHA512), &[4; 32])).is_err());
        assert!(read(&value(None, &[1; 20])).is_err());
        let sha1 = const_oid::db::rfc5912::ID_SHA_1;
        assert!(read(&value(Some(sha1), &[5; 20])).is_err());
        assert!(read(&[0x04, 0x01, 0x00]).is_err());
        assert!(read(&seq(&[])).is_err());
    }
}
