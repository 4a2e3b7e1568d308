//! Test CRLs (RFC 5280 §5): a v2 `CertificateList` assembled field by field and signed with
//! the issuing CA's RSA key (sha256WithRSAEncryption). x509-cert 0.2 has no CRL builder.
//!
//! Extensions: cRLNumber and authorityKeyIdentifier (both non-critical, RFC 5280 §5.2.1 and
//! §5.2.3 say conforming CAs include them); each entry may carry a reasonCode (§5.3.1).
//! Nothing is marked critical, so a verifier that processes no CRL extension may still use it.

use der::asn1::{BitString, Uint};
use der::Encode;
use rsa::RsaPrivateKey;
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::pkix::{CrlNumber, CrlReason};
use x509_cert::serial_number::SerialNumber;
use x509_cert::Version;

use crate::cert::{self, Day, SignerKey};
use crate::{issuer_of, PkiError};

/// One revoked certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrlEntry {
    /// The certificate's serial number, as the content octets of its INTEGER.
    pub serial: Vec<u8>,
    /// revocationDate (00:00:00Z).
    pub revoked_on: Day,
    /// reasonCode, if any.
    pub reason: Option<CrlReason>,
}

/// What goes into one CRL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrlSpec {
    /// cRLNumber.
    pub number: u64,
    /// thisUpdate (00:00:00Z).
    pub this_update: Day,
    /// nextUpdate (00:00:00Z).
    pub next_update: Day,
    /// revokedCertificates, in this order (omitted from the encoding when empty).
    pub revoked: Vec<CrlEntry>,
}

/// Issues a CRL in the name of the CA whose certificate is `issuer_cert_der`, signed with
/// `signer` (normally that CA's key; tests pass another key to get a CRL whose signature does
/// not verify). DER.
pub fn issue_crl(
    issuer_cert_der: &[u8],
    signer: &RsaPrivateKey,
    spec: &CrlSpec,
) -> Result<Vec<u8>, PkiError> {
    let what = format!("CRL number {}", spec.number);
    let (issuer, issuer_spki) = issuer_of(issuer_cert_der)?;
    let signer = SignerKey::Rsa(signer);
    let algorithm = signer.algorithm()?;
    let mut revoked = Vec::with_capacity(spec.revoked.len());
    for e in &spec.revoked {
        let extensions = match e.reason {
            Some(r) => Some(vec![cert::ext(&r, false)?]),
            None => None,
        };
        revoked.push(RevokedCert {
            serial_number: SerialNumber::new(&e.serial)
                .map_err(PkiError::der(format!("serial in {what}")))?,
            revocation_date: cert::utc(e.revoked_on)?,
            crl_entry_extensions: extensions,
        });
    }
    let number = Uint::new(&spec.number.to_be_bytes()).map_err(PkiError::der(what.clone()))?;
    let tbs = TbsCertList {
        version: Version::V2,
        signature: algorithm.clone(),
        issuer,
        this_update: cert::utc(spec.this_update)?,
        next_update: Some(cert::utc(spec.next_update)?),
        revoked_certificates: (!revoked.is_empty()).then_some(revoked),
        crl_extensions: Some(vec![
            cert::ext(&CrlNumber(number), false)?,
            cert::ext_aki(&issuer_spki)?,
        ]),
    };
    let tbs_der = tbs
        .to_der()
        .map_err(PkiError::der(format!("TBSCertList of {what}")))?;
    let signature = signer.sign(&what, &tbs_der)?;
    CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm: algorithm,
        signature: BitString::from_bytes(&signature)
            .map_err(PkiError::der(format!("signature of {what}")))?,
    }
    .to_der()
    .map_err(PkiError::der(what))
}
