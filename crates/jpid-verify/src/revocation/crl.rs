//! One CRL file, parsed strictly (RFC 5280 §5): what [`super::CrlStore`] loads.

#[allow(unused_imports)]
use super::*;

use const_oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION as SHA256_WITH_RSA;

use const_oid::db::rfc5912::SHA_384_WITH_RSA_ENCRYPTION as SHA384_WITH_RSA;

use const_oid::db::rfc5912::ECDSA_WITH_SHA_256 as ECDSA_WITH_SHA256;

use const_oid::db::rfc5912::ECDSA_WITH_SHA_384 as ECDSA_WITH_SHA384;

use const_oid::db::rfc5280::ID_CE_CRL_NUMBER as CRL_NUMBER;

use const_oid::db::rfc5280::ID_CE_CRL_REASONS as REASON_CODE;

use const_oid::db::rfc5280::ID_CE_INVALIDITY_DATE as INVALIDITY_DATE;

use const_oid::db::rfc5280::ID_CE_DELTA_CRL_INDICATOR as DELTA_CRL_INDICATOR;

use const_oid::db::rfc5280::ID_CE_ISSUING_DISTRIBUTION_POINT as ISSUING_DISTRIBUTION_POINT;

use const_oid::db::rfc5280::ID_CE_CERTIFICATE_ISSUER as CERTIFICATE_ISSUER;

use const_oid::db::rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER as AUTHORITY_KEY_ID;

use const_oid::db::rfc5280::ID_CE_FRESHEST_CRL as FRESHEST_CRL;

use const_oid::db::rfc5280::ID_CE_KEY_USAGE as KEY_USAGE;

/// A CRL that cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CrlError {
    /// The file or directory cannot be read.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        message: String,
    },
    /// Larger than the store's limit.
    #[error("{file}: larger than the limit of {limit} bytes")]
    TooLarge {
        /// The file.
        file: String,
        /// The limit.
        limit: u64,
    },
    /// Not a DER (or PEM) CRL.
    #[error("{file}: not a valid CRL: {reason}")]
    Malformed {
        /// The file.
        file: String,
        /// What was wrong.
        reason: String,
    },
    /// A CRL feature jpid does not process, so the CRL cannot be relied on.
    #[error("{file}: {what} is not supported, so this CRL cannot be used")]
    Unsupported {
        /// The file.
        file: String,
        /// The feature.
        what: String,
    },
}

/// One revoked entry.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) revoked_at: UnixTime,
    pub(super) reason: Option<String>,
}

/// One loaded CRL, checked for form; its signature is checked when it is used.
#[derive(Debug, Clone)]
pub struct LoadedCrl {
    pub(super) file: String,
    pub(super) issuer_der: Vec<u8>,
    pub(super) issuer: String,
    pub(super) this_update: UnixTime,
    pub(super) next_update: UnixTime,
    pub(super) number: Option<String>,
    pub(super) algorithm: ObjectIdentifier,
    pub(super) tbs_digest: Vec<u8>,
    pub(super) signature: Vec<u8>,
    pub(super) revoked: HashMap<Vec<u8>, Entry>,
}

impl LoadedCrl {
    /// Where it came from (the file name given).
    pub fn file(&self) -> &str {
        &self.file
    }
    /// The issuer name.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// thisUpdate.
    pub fn this_update(&self) -> UnixTime {
        self.this_update
    }
    /// nextUpdate.
    pub fn next_update(&self) -> UnixTime {
        self.next_update
    }
    /// cRLNumber, upper-case hex.
    pub fn number(&self) -> Option<&str> {
        self.number.as_deref()
    }
    /// How many certificates it lists.
    pub fn revoked_count(&self) -> usize {
        self.revoked.len()
    }

    /// Parses one CRL strictly; `file` names it in errors.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self, CrlError> {
        let bad = |reason: String| CrlError::Malformed {
            file: file.to_string(),
            reason,
        };
        let unsupported = |what: String| CrlError::Unsupported {
            file: file.to_string(),
            what,
        };
        let pem;
        let der: &[u8] = if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
            let (label, body) =
                der::pem::decode_vec(bytes.trim_ascii()).map_err(|e| bad(format!("PEM: {e}")))?;
            if label != "X509 CRL" {
                return Err(bad(format!("PEM block is {label:?}, not \"X509 CRL\"")));
            }
            pem = body;
            &pem
        } else {
            bytes
        };
        let (outer, rest) = tlv::parse_one(der).map_err(|e| bad(e.to_string()))?;
        if !rest.is_empty() {
            return Err(bad("data after the CRL".into()));
        }
        let (tbs, _) = tlv::parse_one(outer.value()).map_err(|e| bad(e.to_string()))?;
        let list = crate::der_input::decode::<CertificateList>(outer.raw())
            .map_err(|e| bad(e.to_string()))?;
        // The DER decoder above accepted exactly these bytes; re-encoding must give them back
        // (no BER leniency that would make the signed bytes differ from what was parsed).
        if list.to_der().map_err(|e| bad(e.to_string()))? != outer.raw() {
            return Err(bad("not DER (re-encoding differs)".into()));
        }
        let t = &list.tbs_cert_list;
        if t.version != x509_cert::Version::V2 {
            return Err(bad("version is not v2".into()));
        }
        if t.signature != list.signature_algorithm {
            return Err(bad(
                "the signed and the outer signature algorithms differ".into()
            ));
        }
        let algorithm = list.signature_algorithm.oid;
        let tbs_digest = match algorithm {
            a if a == SHA256_WITH_RSA || a == ECDSA_WITH_SHA256 => {
                Sha256::digest(tbs.raw()).to_vec()
            }
            a if a == SHA384_WITH_RSA || a == ECDSA_WITH_SHA384 => {
                Sha384::digest(tbs.raw()).to_vec()
            }
            other => return Err(unsupported(format!("signature algorithm {other}"))),
        };
        let signature = list
            .signature
            .as_bytes()
            .ok_or_else(|| bad("signature is not a whole number of bytes".into()))?
            .to_vec();
        let this_update = UnixTime(t.this_update.to_unix_duration().as_secs());
        let next_update = t
            .next_update
            .map(|n| UnixTime(n.to_unix_duration().as_secs()))
            .ok_or_else(|| unsupported("a CRL without nextUpdate".into()))?;
        if next_update < this_update {
            return Err(bad("nextUpdate is before thisUpdate".into()));
        }
        let mut number = None;
        let exts = t.crl_extensions.as_deref().unwrap_or_default();
        check_unique(exts).map_err(|o| bad(format!("CRL extension {o} appears twice")))?;
        for e in exts {
            match e.extn_id {
                CRL_NUMBER => {
                    let n = crate::der_input::decode::<CrlNumber>(e.extn_value.as_bytes())
                        .map_err(|err| bad(format!("cRLNumber: {err}")))?;
                    number = Some(hex::encode_upper(n.0.as_bytes()));
                }
                DELTA_CRL_INDICATOR => return Err(unsupported("a delta CRL".into())),
                ISSUING_DISTRIBUTION_POINT => {
                    return Err(unsupported(
                        "issuingDistributionPoint (a partitioned or indirect CRL)".into(),
                    ))
                }
                AUTHORITY_KEY_ID | FRESHEST_CRL => {}
                other if e.critical => {
                    return Err(unsupported(format!("critical CRL extension {other}")))
                }
                _ => {}
            }
        }
        let mut revoked = HashMap::new();
        for r in t.revoked_certificates.iter().flatten() {
            let serial = r.serial_number.as_bytes().to_vec();
            let mut reason = None;
            let exts = r.crl_entry_extensions.as_deref().unwrap_or_default();
            check_unique(exts).map_err(|o| {
                bad(format!(
                    "entry {} has extension {o} twice",
                    hex::encode_upper(&serial)
                ))
            })?;
            for e in exts {
                match e.extn_id {
                    REASON_CODE => {
                        let code = crate::der_input::decode::<CrlReason>(e.extn_value.as_bytes())
                            .map_err(|err| {
                            bad(format!(
                                "reasonCode of entry {}: {err}",
                                hex::encode_upper(&serial)
                            ))
                        })?;
                        reason = Some(reason_name(code).to_string());
                    }
                    INVALIDITY_DATE => {}
                    CERTIFICATE_ISSUER => {
                        return Err(unsupported(
                            "a certificateIssuer entry (an indirect CRL)".into(),
                        ))
                    }
                    other if e.critical => {
                        return Err(unsupported(format!("critical entry extension {other}")))
                    }
                    _ => {}
                }
            }
            let entry = Entry {
                revoked_at: UnixTime(r.revocation_date.to_unix_duration().as_secs()),
                reason,
            };
            // A serial listed twice: keep the first entry.
            revoked.entry(serial).or_insert(entry);
        }
        Ok(Self {
            file: file.to_string(),
            issuer_der: t.issuer.to_der().map_err(|e| bad(e.to_string()))?,
            issuer: t.issuer.to_string(),
            this_update,
            next_update,
            number,
            algorithm,
            tbs_digest,
            signature,
            revoked,
        })
    }

    /// Whether this CRL's signature verifies under `issuer`'s key.
    pub(super) fn signed_by(&self, issuer: &ParsedCert) -> bool {
        let Ok(spki) = issuer.spki_der() else {
            return false;
        };
        let d = &self.tbs_digest;
        let s = &self.signature;
        match self.algorithm {
            a if a == SHA256_WITH_RSA => verify_rsa_pkcs1(&spki, HashAlg::Sha256, d, s).is_ok(),
            a if a == SHA384_WITH_RSA => verify_rsa_pkcs1(&spki, HashAlg::Sha384, d, s).is_ok(),
            a if a == ECDSA_WITH_SHA256 || a == ECDSA_WITH_SHA384 => {
                verify_p384_prehash(&spki, d, s, SigForm::Der).is_ok()
            }
            _ => false,
        }
    }
}

pub(super) fn check_unique(exts: &[Extension]) -> Result<(), ObjectIdentifier> {
    for (i, e) in exts.iter().enumerate() {
        if exts.iter().skip(i + 1).any(|o| o.extn_id == e.extn_id) {
            return Err(e.extn_id);
        }
    }
    Ok(())
}

/// RFC 5280 §5.3.1 names.
pub(super) fn reason_name(r: CrlReason) -> &'static str {
    match r {
        CrlReason::Unspecified => "unspecified",
        CrlReason::KeyCompromise => "keyCompromise",
        CrlReason::CaCompromise => "cACompromise",
        CrlReason::AffiliationChanged => "affiliationChanged",
        CrlReason::Superseded => "superseded",
        CrlReason::CessationOfOperation => "cessationOfOperation",
        CrlReason::CertificateHold => "certificateHold",
        CrlReason::RemoveFromCRL => "removeFromCRL",
        CrlReason::PrivilegeWithdrawn => "privilegeWithdrawn",
        CrlReason::AaCompromise => "aACompromise",
    }
}

/// Whether `issuer` may sign CRLs: no keyUsage, or keyUsage with cRLSign.
pub(super) fn may_sign_crls(issuer: &ParsedCert) -> bool {
    let Some(exts) = &issuer.cert.tbs_certificate.extensions else {
        return true;
    };
    match exts.iter().find(|e| e.extn_id == KEY_USAGE) {
        None => true,
        Some(e) => crate::der_input::decode::<KeyUsage>(e.extn_value.as_bytes())
            .is_ok_and(|ku| ku.0.contains(KeyUsages::CRLSign)),
    }
}
