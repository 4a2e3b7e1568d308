//! Certificate assembly: names, validity, extensions, TBSCertificate and signing.
//!
//! The TBSCertificate is assembled field by field rather than through
//! `x509_cert::builder::CertificateBuilder`, for three reasons:
//! - `Profile::Manual` (the only profile that leaves extensions to the caller) needs x509-cert's
//!   `hazmat` feature, which the workspace does not enable;
//! - the builder takes the signature AlgorithmIdentifier from the signer, and a P-384
//!   `ecdsa::SigningKey` announces ecdsa-with-SHA384, while the second-generation residence card
//!   CA uses ecdsa-with-SHA256 over P-384 (docs/spec/residence-card.md §4);
//! - every byte of the output is visible here, which is what a fixture generator whose output
//!   must never drift needs.

use der::asn1::{Any, BitString, OctetString, PrintableStringRef, SetOfVec};
use der::asn1::{UtcTime, Utf8StringRef};
use der::oid::AssociatedOid;
use der::{DateTime, Encode};
use p384::ecdsa::signature::hazmat::PrehashSigner;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, KeyUsage, KeyUsages, SubjectAltName,
    SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

use crate::PkiError;

/// id-at-countryName.
use const_oid::db::rfc4519::C as AT_C;
/// id-at-commonName.
use const_oid::db::rfc4519::CN as AT_CN;
/// id-at-organizationName.
use const_oid::db::rfc4519::O as AT_O;
/// id-at-organizationalUnitName.
use const_oid::db::rfc4519::OU as AT_OU;

/// ecdsa-with-SHA256 (RFC 5758 §3.2: parameters MUST be absent).
pub use const_oid::db::rfc5912::ECDSA_WITH_SHA_256 as ECDSA_WITH_SHA256;
/// sha256WithRSAEncryption (RFC 4055).
pub use const_oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION as SHA256_WITH_RSA;

/// One attribute of a distinguished name, in DER (issuer-to-subject) order.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Attr<'a> {
    /// countryName, encoded as PrintableString (RFC 5280 §4.1.2.4 / X.520).
    C(&'a str),
    /// organizationName, UTF8String.
    O(&'a str),
    /// organizationalUnitName, UTF8String.
    Ou(&'a str),
    /// commonName, UTF8String.
    Cn(&'a str),
}

/// Builds a Name with one attribute per RDN, in the order given (the DER order; OpenSSL prints
/// it in this order, RFC 4514 strings print it reversed).
pub(crate) fn name(attrs: &[Attr<'_>]) -> Result<Name, PkiError> {
    let mut rdns = Vec::with_capacity(attrs.len());
    for attr in attrs {
        let (oid, value) = match *attr {
            Attr::C(s) => (
                AT_C,
                PrintableStringRef::new(s).and_then(|v| Any::encode_from(&v)),
            ),
            Attr::O(s) => (
                AT_O,
                Utf8StringRef::new(s).and_then(|v| Any::encode_from(&v)),
            ),
            Attr::Ou(s) => (
                AT_OU,
                Utf8StringRef::new(s).and_then(|v| Any::encode_from(&v)),
            ),
            Attr::Cn(s) => (
                AT_CN,
                Utf8StringRef::new(s).and_then(|v| Any::encode_from(&v)),
            ),
        };
        let value = value.map_err(PkiError::der(format!("name attribute {attr:?}")))?;
        let set = SetOfVec::try_from(vec![AttributeTypeAndValue { oid, value }])
            .map_err(PkiError::der("relative distinguished name"))?;
        rdns.push(RelativeDistinguishedName(set));
    }
    Ok(RdnSequence(rdns))
}

/// A calendar date at 00:00:00 UTC (year, month, day), for certificate validity and CRL times.
/// Fixed dates only: the generator never reads the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day(pub u16, pub u8, pub u8);

pub(crate) fn utc(day: Day) -> Result<Time, PkiError> {
    let what = || format!("date {:04}-{:02}-{:02}", day.0, day.1, day.2);
    let dt = DateTime::new(day.0, day.1, day.2, 0, 0, 0).map_err(PkiError::der(what()))?;
    // UTCTime up to 2049 as RFC 5280 §4.1.2.5 requires.
    let t = UtcTime::from_date_time(dt).map_err(PkiError::der(what()))?;
    Ok(Time::UtcTime(t))
}

pub(crate) fn validity(not_before: Day, not_after: Day) -> Result<Validity, PkiError> {
    Ok(Validity {
        not_before: utc(not_before)?,
        not_after: utc(not_after)?,
    })
}

/// RFC 7093 §2 method 1: the leftmost 160 bits of SHA-256 over the subjectPublicKey BIT STRING
/// contents (avoids pulling in SHA-1 just for key identifiers).
pub(crate) fn key_id(spki: &SubjectPublicKeyInfoOwned) -> Result<OctetString, PkiError> {
    let digest = Sha256::digest(spki.subject_public_key.raw_bytes());
    OctetString::new(digest.get(..20).unwrap_or_default()).map_err(PkiError::der("key identifier"))
}

pub(crate) fn ext<T: Encode + AssociatedOid>(
    value: &T,
    critical: bool,
) -> Result<Extension, PkiError> {
    let what = || format!("extension {}", T::OID);
    let der = value.to_der().map_err(PkiError::der(what()))?;
    let extn_value = OctetString::new(der).map_err(PkiError::der(what()))?;
    Ok(Extension {
        extn_id: T::OID,
        critical,
        extn_value,
    })
}

/// basicConstraints CA:TRUE, pathLenConstraint 0, critical (the CA issues end entities only).
pub(crate) fn ext_ca() -> Result<Extension, PkiError> {
    ext(
        &BasicConstraints {
            ca: true,
            path_len_constraint: Some(0),
        },
        true,
    )
}

/// keyUsage, always critical.
pub(crate) fn ext_key_usage(usage: KeyUsage) -> Result<Extension, PkiError> {
    ext(&usage, true)
}

/// keyUsage keyCertSign + cRLSign.
pub(crate) fn ca_key_usage() -> KeyUsage {
    KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)
}

/// keyUsage digitalSignature.
pub(crate) fn ee_key_usage() -> KeyUsage {
    KeyUsage(KeyUsages::DigitalSignature.into())
}

/// keyUsage digitalSignature + nonRepudiation (JPKI signature certificate).
pub(crate) fn non_repudiation_key_usage() -> KeyUsage {
    KeyUsage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation)
}

pub(crate) fn ext_ski(spki: &SubjectPublicKeyInfoOwned) -> Result<Extension, PkiError> {
    ext(&SubjectKeyIdentifier(key_id(spki)?), false)
}

pub(crate) fn ext_aki(issuer_spki: &SubjectPublicKeyInfoOwned) -> Result<Extension, PkiError> {
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(key_id(issuer_spki)?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    ext(&aki, false)
}

/// subjectAltName; critical only when the subject is empty (RFC 5280 §4.2.1.6), which it never
/// is here.
pub(crate) fn ext_san(san: &SubjectAltName) -> Result<Extension, PkiError> {
    ext(san, false)
}

/// Wraps a UTF-8 value as the `[0] EXPLICIT UTF8String` payload of an otherName (the explicit
/// tag itself is added by `OtherName`'s encoder).
pub(crate) fn utf8_any(s: &str) -> Result<Any, PkiError> {
    Utf8StringRef::new(s)
        .and_then(|v| Any::encode_from(&v))
        .map_err(PkiError::der("otherName value"))
}

/// The key that signs a certificate.
#[derive(Clone, Copy)]
pub(crate) enum SignerKey<'a> {
    /// RSA PKCS#1 v1.5 with SHA-256 (deterministic).
    Rsa(&'a RsaPrivateKey),
    /// ECDSA over P-384 with SHA-256, RFC 6979 deterministic nonces.
    P384Sha256(&'a p384::SecretKey),
}

impl SignerKey<'_> {
    pub(crate) fn algorithm(&self) -> Result<AlgorithmIdentifierOwned, PkiError> {
        Ok(match self {
            // RFC 4055 §5: parameters are NULL for sha256WithRSAEncryption.
            Self::Rsa(_) => AlgorithmIdentifierOwned {
                oid: SHA256_WITH_RSA,
                parameters: Some(Any::null()),
            },
            // RFC 5758 §3.2: parameters absent. (ERG notes that some issuers emit NULL here and
            // strict parsers reject it; we emit the correct form.)
            Self::P384Sha256(_) => AlgorithmIdentifierOwned {
                oid: ECDSA_WITH_SHA256,
                parameters: None,
            },
        })
    }

    pub(crate) fn sign(&self, what: &str, tbs: &[u8]) -> Result<Vec<u8>, PkiError> {
        let digest = Sha256::digest(tbs);
        match self {
            Self::Rsa(key) => key
                .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
                .map_err(PkiError::rsa(what)),
            Self::P384Sha256(key) => {
                let signing = p384::ecdsa::SigningKey::from(*key);
                let sig: p384::ecdsa::Signature =
                    signing
                        .sign_prehash(&digest)
                        .map_err(|source| PkiError::Ecdsa {
                            what: what.to_owned(),
                            source,
                        })?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
        }
    }
}

/// Everything that goes into one certificate.
pub(crate) struct CertSpec<'a> {
    /// Human-readable name for error messages.
    pub what: &'a str,
    pub serial: SerialNumber,
    pub issuer: &'a Name,
    pub signer: SignerKey<'a>,
    pub validity: Validity,
    pub subject: Name,
    pub spki: SubjectPublicKeyInfoOwned,
    pub extensions: Vec<Extension>,
}

/// Assembles, signs and DER-encodes the certificate.
pub(crate) fn issue(spec: CertSpec<'_>) -> Result<Vec<u8>, PkiError> {
    let signature_algorithm = spec.signer.algorithm()?;
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: spec.serial,
        signature: signature_algorithm.clone(),
        issuer: spec.issuer.clone(),
        validity: spec.validity,
        subject: spec.subject,
        subject_public_key_info: spec.spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(spec.extensions),
    };
    let tbs_der = tbs
        .to_der()
        .map_err(PkiError::der(format!("TBSCertificate of {}", spec.what)))?;
    let signature = spec.signer.sign(spec.what, &tbs_der)?;
    let cert = Certificate {
        tbs_certificate: tbs,
        signature_algorithm,
        signature: BitString::from_bytes(&signature)
            .map_err(PkiError::der(format!("signature of {}", spec.what)))?,
    };
    cert.to_der()
        .map_err(PkiError::der(format!("certificate {}", spec.what)))
}
