//! The X.509 pieces every verifier needs: splitting a certificate into its signed bytes, checking
//! a signature made with an issuer's key (RSA PKCS#1 v1.5 or ECDSA P-384), validity at a given
//! time. Certificates are hostile input: every failure is a typed error.

use std::sync::{Arc, Mutex, OnceLock};

use der::Encode;
use jpid_apdu::tlv;
use p384::ecdsa::signature::hazmat::PrehashVerifier;
use rsa::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256, Sha384};
use spki::ObjectIdentifier;
use x509_cert::Certificate;

use crate::UnixTime;

use const_oid::db::rfc5912::ECDSA_WITH_SHA_256 as ECDSA_WITH_SHA256;
use const_oid::db::rfc5912::ECDSA_WITH_SHA_384 as ECDSA_WITH_SHA384;
use const_oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION as SHA256_WITH_RSA;
use const_oid::db::rfc5912::SHA_384_WITH_RSA_ENCRYPTION as SHA384_WITH_RSA;

/// Errors checking certificates and signatures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum X509Error {
    /// Not a DER certificate.
    #[error("not a valid X.509 certificate: {0}")]
    Malformed(String),
    /// A signature algorithm jpid does not accept.
    #[error("unsupported signature algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// A public key that cannot be used.
    #[error("unusable public key: {0}")]
    BadKey(String),
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
}

/// A parsed certificate with the exact bytes its issuer signed.
///
/// It remembers what it computed about itself, so that a certificate shared through
/// [`crate::TrustStore::parsed`] (the residence-card signer certificate, a returning holder's
/// JPKI certificate, the roots) is worked on once: its names as text, its prepared RSA key (by
/// the exact SubjectPublicKeyInfo it was prepared from) and the issuer keys its signature
/// verified under (by the exact bytes that check read). Only successes are kept, never verdicts.
#[derive(Debug)]
pub struct ParsedCert {
    /// The certificate's DER.
    pub der: Vec<u8>,
    /// The `tbsCertificate` bytes exactly as they appear in `der`.
    pub tbs: Vec<u8>,
    /// The decoded certificate.
    pub cert: Certificate,
    /// The issuer and subject names' DER exactly as in `tbs`.
    issuer_der: Vec<u8>,
    subject_der: Vec<u8>,
    /// Subject and issuer as text.
    names: OnceLock<(String, String)>,
    /// The prepared RSA key and the SPKI it was prepared from.
    key: Mutex<Option<(Vec<u8>, Arc<crate::rsa_public::PublicKey>)>>,
    /// [`signed_by_key`]s of signature checks that passed (a few issuers at most).
    signed_by: Mutex<Vec<[u8; 64]>>,
}

/// Most issuer keys one certificate remembers verifying under.
const MAX_SIGNED_BY: usize = 8;

impl Clone for ParsedCert {
    fn clone(&self) -> Self {
        Self {
            der: self.der.clone(),
            tbs: self.tbs.clone(),
            cert: self.cert.clone(),
            issuer_der: self.issuer_der.clone(),
            subject_der: self.subject_der.clone(),
            names: OnceLock::new(),
            key: Mutex::new(None),
            signed_by: Mutex::new(Vec::new()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The raw issuer and subject of a `tbsCertificate`: `[0] version` (optional),
/// `serialNumber`, `signature`, `issuer`, `validity`, `subject`, ...
fn raw_names(tbs: &[u8]) -> Result<(Vec<u8>, Vec<u8>), X509Error> {
    let bad = |e: tlv::TlvError| X509Error::Malformed(e.to_string());
    let (outer, _) = tlv::parse_one(tbs).map_err(bad)?;
    let mut rest = outer.value();
    let mut fields = Vec::with_capacity(6);
    while fields.len() < 6 && !rest.is_empty() {
        let (field, next) = tlv::parse_one(rest).map_err(bad)?;
        fields.push(field.raw());
        rest = next;
    }
    // Without the optional version the subject is the fifth field, not the sixth.
    let skip = usize::from(fields.first().and_then(|f| f.first()) == Some(&0xA0));
    match (fields.get(skip + 2), fields.get(skip + 4)) {
        (Some(issuer), Some(subject)) => Ok((issuer.to_vec(), subject.to_vec())),
        _ => Err(X509Error::Malformed(
            "the signed part has no issuer or subject".into(),
        )),
    }
}

impl ParsedCert {
    /// Parses one DER certificate; trailing `00` padding (as the residence card stores it) is
    /// allowed, anything else after the certificate is not.
    pub fn parse(bytes: &[u8]) -> Result<Self, X509Error> {
        let (outer, rest) =
            tlv::parse_one(bytes).map_err(|e| X509Error::Malformed(e.to_string()))?;
        if rest.iter().any(|b| *b != 0) {
            return Err(X509Error::Malformed("data after the certificate".into()));
        }
        let der = outer.raw().to_vec();
        let (tbs, _) =
            tlv::parse_one(outer.value()).map_err(|e| X509Error::Malformed(e.to_string()))?;
        let tbs = tbs.raw().to_vec();
        let cert = crate::der_input::decode::<Certificate>(&der)
            .map_err(|e| X509Error::Malformed(e.to_string()))?;
        let (issuer_der, subject_der) = raw_names(&tbs)?;
        Ok(Self {
            der,
            tbs,
            cert,
            issuer_der,
            subject_der,
            names: OnceLock::new(),
            key: Mutex::new(None),
            signed_by: Mutex::new(Vec::new()),
        })
    }

    /// The DER of the subject public key info.
    pub fn spki_der(&self) -> Result<Vec<u8>, X509Error> {
        self.cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| X509Error::Malformed(e.to_string()))
    }

    /// The subject name's DER exactly as in the certificate (not re-encoded).
    pub fn subject_der(&self) -> &[u8] {
        &self.subject_der
    }

    /// The issuer name's DER exactly as in the certificate (not re-encoded).
    pub fn issuer_der(&self) -> &[u8] {
        &self.issuer_der
    }

    /// Subject and issuer as RFC 4514 text (x509-cert's formatting), worked out once: the
    /// formatting looks every attribute type up in a long table of OIDs, which cost a
    /// verification service about a fifth of its time.
    fn names(&self) -> &(String, String) {
        self.names.get_or_init(|| {
            let tbs = &self.cert.tbs_certificate;
            (tbs.subject.to_string(), tbs.issuer.to_string())
        })
    }

    /// Subject as text.
    pub fn subject(&self) -> String {
        self.names().0.clone()
    }

    /// Issuer as text.
    pub fn issuer(&self) -> String {
        self.names().1.clone()
    }

    /// RSASSA-PKCS1-v1_5 verification of a precomputed digest with this certificate's key,
    /// prepared once (parsing and preparing cost about as much as a verification).
    pub fn verify_rsa_pkcs1(
        &self,
        hash: HashAlg,
        digest: &[u8],
        sig: &[u8],
    ) -> Result<(), X509Error> {
        let spki = self.spki_der()?;
        let cached = lock(&self.key)
            .as_ref()
            .filter(|(s, _)| *s == spki)
            .map(|(_, k)| k.clone());
        let key = match cached {
            Some(k) => k,
            None => {
                let k = Arc::new(parse_rsa_key(&spki)?);
                *lock(&self.key) = Some((spki, k.clone()));
                k
            }
        };
        if verify_digest(&key, hash, digest, sig) {
            Ok(())
        } else {
            Err(X509Error::BadSignature)
        }
    }

    /// Whether `issuer`'s subject is this certificate's issuer (compared as DER).
    pub fn issued_by_name(&self, issuer: &ParsedCert) -> bool {
        self.issuer_der == issuer.subject_der
    }

    /// Serial number as upper-case hex.
    pub fn serial_hex(&self) -> String {
        hex::encode_upper(self.cert.tbs_certificate.serial_number.as_bytes())
    }

    /// `notBefore` and `notAfter`.
    pub fn validity(&self) -> (UnixTime, UnixTime) {
        let v = &self.cert.tbs_certificate.validity;
        (
            UnixTime(v.not_before.to_unix_duration().as_secs()),
            UnixTime(v.not_after.to_unix_duration().as_secs()),
        )
    }

    /// Whether `at` is inside the validity period.
    pub fn valid_at(&self, at: UnixTime) -> bool {
        let (nb, na) = self.validity();
        nb <= at && at <= na
    }

    /// Checks this certificate's signature with `issuer`'s public key.
    pub fn verify_signed_by(&self, issuer: &ParsedCert) -> Result<(), X509Error> {
        let alg = self.cert.signature_algorithm.oid;
        if self.cert.tbs_certificate.signature != self.cert.signature_algorithm {
            return Err(X509Error::Malformed(
                "the signed and the outer signature algorithms differ".into(),
            ));
        }
        let sig = self.cert.signature.as_bytes().ok_or_else(|| {
            X509Error::Malformed("signature is not a whole number of bytes".into())
        })?;
        let spki = issuer.spki_der()?;
        let key = signed_by_key(&self.tbs, alg, sig, &spki);
        if lock(&self.signed_by).contains(&key) {
            return Ok(());
        }
        verify_signature(&spki, alg, &self.tbs, sig)?;
        let mut seen = lock(&self.signed_by);
        if seen.len() >= MAX_SIGNED_BY {
            seen.remove(0);
        }
        seen.push(key);
        Ok(())
    }
}

/// What a certificate signature check reads, as a memo key: SHA-256 of the signed bytes, the
/// algorithm and the signature (each length-prefixed), then SHA-256 of the issuer key's SPKI.
/// Keyed on exactly the inputs of `verify_signature`, not on `der`, whose public fields a
/// caller could have changed after parsing.
fn signed_by_key(tbs: &[u8], alg: ObjectIdentifier, sig: &[u8], issuer_spki: &[u8]) -> [u8; 64] {
    let mut h = Sha256::new();
    for part in [tbs, alg.as_bytes(), sig] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    let mut key = [0u8; 64];
    let (a, b) = key.split_at_mut(32);
    a.copy_from_slice(&h.finalize());
    b.copy_from_slice(&Sha256::digest(issuer_spki));
    key
}

/// Verifies `sig` over `data` with the key in `spki_der`, for the X.509 signature algorithm
/// `alg`. ECDSA signatures are DER (as in certificates).
pub fn verify_signature(
    spki_der: &[u8],
    alg: ObjectIdentifier,
    data: &[u8],
    sig: &[u8],
) -> Result<(), X509Error> {
    match alg {
        a if a == SHA256_WITH_RSA => {
            verify_rsa_pkcs1(spki_der, HashAlg::Sha256, &Sha256::digest(data), sig)
        }
        a if a == SHA384_WITH_RSA => {
            verify_rsa_pkcs1(spki_der, HashAlg::Sha384, &Sha384::digest(data), sig)
        }
        a if a == ECDSA_WITH_SHA256 => {
            verify_p384_prehash(spki_der, &Sha256::digest(data), sig, SigForm::Der)
        }
        a if a == ECDSA_WITH_SHA384 => {
            verify_p384_prehash(spki_der, &Sha384::digest(data), sig, SigForm::Der)
        }
        other => Err(X509Error::UnsupportedAlgorithm(other.to_string())),
    }
}

/// Hash inside an RSA PKCS#1 v1.5 DigestInfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
}

/// The DER DigestInfo before a SHA-256 digest (RFC 8017 §9.2, note 1).
pub(crate) const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
/// The DER DigestInfo before a SHA-384 digest (RFC 8017 §9.2, note 1).
pub(crate) const SHA384_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x41, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05,
    0x00, 0x04, 0x30,
];
use const_oid::db::rfc5912::RSA_ENCRYPTION;

/// The RSA public key in a SubjectPublicKeyInfo, prepared for verification.
fn parse_rsa_key(spki_der: &[u8]) -> Result<crate::rsa_public::PublicKey, X509Error> {
    use rsa::pkcs1::der::Decode as _;
    let spki = spki::SubjectPublicKeyInfoRef::from_der(spki_der)
        .map_err(|e| X509Error::BadKey(e.to_string()))?;
    if spki.algorithm.oid != RSA_ENCRYPTION {
        return Err(X509Error::BadKey(format!(
            "not an RSA key (algorithm {})",
            spki.algorithm.oid
        )));
    }
    let bits = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| X509Error::BadKey("the key's BIT STRING has unused bits".into()))?;
    let key =
        rsa::pkcs1::RsaPublicKey::from_der(bits).map_err(|e| X509Error::BadKey(e.to_string()))?;
    crate::rsa_public::PublicKey::new(key.modulus.as_bytes(), key.public_exponent.as_bytes())
        .map_err(|e| X509Error::BadKey(format!("{e:?}")))
}

/// RSASSA-PKCS1-v1_5 verification of a precomputed digest with the key of a
/// SubjectPublicKeyInfo (prepared afresh; [`ParsedCert::verify_rsa_pkcs1`] keeps it).
pub fn verify_rsa_pkcs1(
    spki_der: &[u8],
    hash: HashAlg,
    digest: &[u8],
    sig: &[u8],
) -> Result<(), X509Error> {
    if verify_digest(&parse_rsa_key(spki_der)?, hash, digest, sig) {
        Ok(())
    } else {
        Err(X509Error::BadSignature)
    }
}

/// RSASSA-PKCS1-v1_5 verification of a precomputed digest under a prepared key.
pub(crate) fn verify_digest(
    key: &crate::rsa_public::PublicKey,
    hash: HashAlg,
    digest: &[u8],
    sig: &[u8],
) -> bool {
    let (prefix, len) = match hash {
        HashAlg::Sha256 => (&SHA256_DIGEST_INFO_PREFIX, 32),
        HashAlg::Sha384 => (&SHA384_DIGEST_INFO_PREFIX, 48),
    };
    digest.len() == len && key.verify_pkcs1(&[prefix.as_slice(), digest].concat(), sig)
}

/// How an ECDSA signature is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigForm {
    /// ASN.1 `SEQUENCE { r, s }`.
    Der,
    /// `r ‖ s`, 48 bytes each.
    Raw,
}

/// ECDSA P-384 verification of a precomputed digest.
pub fn verify_p384_prehash(
    spki_der: &[u8],
    digest: &[u8],
    sig: &[u8],
    form: SigForm,
) -> Result<(), X509Error> {
    let key = p384::ecdsa::VerifyingKey::from_public_key_der(spki_der)
        .map_err(|e| X509Error::BadKey(e.to_string()))?;
    let sig = match form {
        SigForm::Der => p384::ecdsa::Signature::from_der(sig),
        SigForm::Raw => p384::ecdsa::Signature::from_slice(sig),
    }
    .map_err(|_| X509Error::BadSignature)?;
    key.verify_prehash(digest, &sig)
        .map_err(|_| X509Error::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A card certificate in BER rather than DER (here: the outer and the signed part's lengths
    /// in a longer form than needed) is refused, fail closed: one source says card certificates
    /// can be BER, none reports a real card storing one (docs/residence.md, "Certificates are
    /// DER").
    #[test]
    fn a_ber_encoded_certificate_is_refused() {
        let pki = jpid_testpki::load_default().unwrap();
        let der = pki.zairyu_signer().cert_der();
        ParsedCert::parse(der).unwrap();
        // 30 82 LL LL -> 30 83 00 LL LL: the same length, one byte longer.
        let longer = |tlv: &[u8]| -> Vec<u8> {
            assert_eq!(&tlv[..2], &[0x30, 0x82]);
            [&[0x30, 0x83, 0x00][..], &tlv[2..]].concat()
        };
        assert!(ParsedCert::parse(&longer(der)).is_err(), "outer length");
        // The signed part's length: inner bytes grow by one, so the outer length does too.
        let inner_len = usize::from(u16::from_be_bytes([der[2], der[3]]));
        let body = [&longer(&der[4..8])[..], &der[8..4 + inner_len]].concat();
        let mut ber = vec![0x30, 0x82];
        ber.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
        ber.extend(body);
        assert!(ParsedCert::parse(&ber).is_err(), "signed-part length");
    }

    #[test]
    fn remembered_signatures_never_vouch_for_other_bytes_or_other_issuers() {
        let pki = jpid_testpki::load_default().unwrap();
        let ca = ParsedCert::parse(pki.zairyu_ca().cert_der()).unwrap();
        let other_ca = ParsedCert::parse(pki.jpki_auth_ca().cert_der()).unwrap();
        let signer = ParsedCert::parse(pki.zairyu_signer().cert_der()).unwrap();
        // Twice: the second answer comes from what the certificate remembers, and is the same.
        signer.verify_signed_by(&ca).unwrap();
        signer.verify_signed_by(&ca).unwrap();
        // The same certificate under another key: still refused.
        assert!(signer.verify_signed_by(&other_ca).is_err());
        // The same object with other signed bytes (the fields are public): refused, what it
        // remembers is keyed on what the check reads.
        let mut edited = ParsedCert::parse(pki.zairyu_signer().cert_der()).unwrap();
        edited.verify_signed_by(&ca).unwrap();
        let last = edited.tbs.len() - 1;
        edited.tbs[last] ^= 0x01;
        assert!(edited.verify_signed_by(&ca).is_err());
        // One bit of the signature changed: a different certificate, refused.
        let mut der = pki.zairyu_signer().cert_der().to_vec();
        let last = der.len() - 1;
        der[last] ^= 0x01;
        let forged = ParsedCert::parse(&der).unwrap();
        assert!(forged.verify_signed_by(&ca).is_err());
        assert!(forged.verify_signed_by(&ca).is_err());
        // One bit of the signed part changed (inside the serial number): refused.
        let mut der = pki.zairyu_signer().cert_der().to_vec();
        let at = der
            .windows(signer.cert.tbs_certificate.serial_number.as_bytes().len())
            .position(|w| w == signer.cert.tbs_certificate.serial_number.as_bytes())
            .unwrap();
        der[at + 1] ^= 0x01;
        let altered = ParsedCert::parse(&der).unwrap();
        assert!(altered.verify_signed_by(&ca).is_err());
    }

    #[test]
    fn raw_names_are_the_decoded_names() {
        let pki = jpid_testpki::load_default().unwrap();
        for der in [
            pki.zairyu_ca().cert_der(),
            pki.zairyu_signer().cert_der(),
            pki.jpki_auth_ca().cert_der(),
            pki.jpki_holder().auth().cert_der(),
        ] {
            let c = ParsedCert::parse(der).unwrap();
            let tbs = &c.cert.tbs_certificate;
            assert_eq!(c.issuer_der, tbs.issuer.to_der().unwrap());
            assert_eq!(c.subject_der, tbs.subject.to_der().unwrap());
            // Twice: the second is remembered.
            for _ in 0..2 {
                assert_eq!(c.subject(), tbs.subject.to_string());
                assert_eq!(c.issuer(), tbs.issuer.to_string());
            }
        }
        let signer = ParsedCert::parse(pki.zairyu_signer().cert_der()).unwrap();
        let ca = ParsedCert::parse(pki.zairyu_ca().cert_der()).unwrap();
        assert!(signer.issued_by_name(&ca));
        assert!(!ca.issued_by_name(&signer));
        assert!(ca.issued_by_name(&ca), "the root is self-issued");
        assert!(raw_names(&[0x30, 0x03, 0x02, 0x01, 0x01]).is_err());
    }

    #[test]
    fn shared_parses_are_per_byte_string_per_store_and_bounded() {
        let pki = jpid_testpki::load_default().unwrap();
        let store = crate::TrustStore::empty();
        let der = pki.zairyu_signer().cert_der();
        let a = store.parsed(der).unwrap();
        let b = store.clone().parsed(der).unwrap();
        assert!(
            Arc::ptr_eq(&a, &b),
            "clones of a store share its certificates"
        );
        assert_eq!(a.der, der);
        let elsewhere = crate::TrustStore::empty().parsed(der).unwrap();
        assert!(!Arc::ptr_eq(&a, &elsewhere), "another store has its own");
        let other = store.parsed(pki.zairyu_ca().cert_der()).unwrap();
        assert_ne!(other.der, a.der);
        // Trailing zero padding parses (as `parse`), but is another byte string.
        let padded = [der, &[0u8; 4][..]].concat();
        let c = store.parsed(&padded).unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(c.der, der);
        // Over the size bound: parsed, never kept.
        let big = [der, &vec![0u8; 8 * 1024][..]].concat();
        let d = store.parsed(&big).unwrap();
        let e = store.parsed(&big).unwrap();
        assert!(!Arc::ptr_eq(&d, &e));
        // Errors are errors every time.
        let mut broken = der.to_vec();
        broken.truncate(der.len() - 1);
        assert!(store.parsed(&broken).is_err());
        assert!(store.parsed(&broken).is_err());
    }

    #[test]
    fn a_prepared_key_serves_only_the_key_it_was_prepared_from() {
        use rsa::Pkcs1v15Sign;
        let pki = jpid_testpki::load_default().unwrap();
        let holder = pki.jpki_holder().auth();
        let cert = ParsedCert::parse(holder.cert_der()).unwrap();
        let digest = Sha256::digest(b"a login");
        let sig = holder
            .private_key()
            .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
            .unwrap();
        cert.verify_rsa_pkcs1(HashAlg::Sha256, &digest, &sig)
            .unwrap();
        let first = lock(&cert.key).as_ref().map(|(_, k)| k.clone()).unwrap();
        cert.verify_rsa_pkcs1(HashAlg::Sha256, &digest, &sig)
            .unwrap();
        let second = lock(&cert.key).as_ref().map(|(_, k)| k.clone()).unwrap();
        assert!(Arc::ptr_eq(&first, &second), "prepared once");
        assert!(cert
            .verify_rsa_pkcs1(HashAlg::Sha256, &Sha256::digest(b"other"), &sig)
            .is_err());
        // The key swapped after preparing (the fields are public): the other key is used, and
        // the signature no longer verifies.
        let mut swapped = ParsedCert::parse(holder.cert_der()).unwrap();
        swapped
            .verify_rsa_pkcs1(HashAlg::Sha256, &digest, &sig)
            .unwrap();
        let other = ParsedCert::parse(pki.jpki_auth_ca().cert_der()).unwrap();
        swapped.cert.tbs_certificate.subject_public_key_info =
            other.cert.tbs_certificate.subject_public_key_info.clone();
        assert!(swapped
            .verify_rsa_pkcs1(HashAlg::Sha256, &digest, &sig)
            .is_err());
        // A bad key stays an error.
        let mut bad = cert.spki_der().unwrap();
        let last = bad.len() - 1;
        bad[last] ^= 0x01; // the exponent becomes even
        assert!(verify_rsa_pkcs1(&bad, HashAlg::Sha256, &digest, &sig).is_err());
    }
}
