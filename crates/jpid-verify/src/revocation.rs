//! Revocation checking behind the [`RevocationSource`] trait (ARCHITECTURE.md; services.md §2
//! "Revocation"), and [`CrlStore`], a source backed by CRL files (RFC 5280 §5).
//!
//! J-LIS publishes JPKI revocation information only to registered verifiers (services.md §2): jpid
//! cannot fetch it, so the CRLs are handed in as files. What the store guarantees:
//! - each CRL is parsed strictly when loaded (DER, or one PEM `X509 CRL` block): any error names
//!   the file and what was wrong; the size is bounded; hostile bytes never panic;
//! - CRL features that would change the meaning of "not listed" are refused at load time rather
//!   than ignored: delta CRLs, an issuingDistributionPoint (partitioned or indirect CRLs), a
//!   certificateIssuer entry extension, any unknown critical extension (RFC 5280 §5.2, §5.3);
//! - when a certificate is checked, only CRLs whose issuer name equals the certificate's issuer
//!   name are considered, and a CRL is used only if its signature verifies under the issuing
//!   CA's key (the trust anchor the chain ended at: JPKI roots issue end-entity certificates and
//!   their CRLs directly) and that CA may sign CRLs (keyUsage cRLSign, when present);
//! - the newest such CRL with `thisUpdate <= at` is used, and only if `at <= nextUpdate`;
//!   a CRL without nextUpdate is refused at load time;
//! - "no usable CRL" is [`RevocationStatus::Unknown`], never good.
//!
//! Time is injected: `at` is the moment the certificate is checked for. A CRL issued after `at`
//! is not used (its thisUpdate is in the future at `at`).

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::Path;

use der::{Decode, Encode};
use jpid_apdu::tlv;
use sha2::{Digest, Sha256, Sha384};
use spki::ObjectIdentifier;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::{CrlNumber, CrlReason, KeyUsage, KeyUsages};
use x509_cert::ext::Extension;

use crate::x509::{verify_p384_prehash, verify_rsa_pkcs1, HashAlg, ParsedCert, SigForm};
use crate::UnixTime;

const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const CRL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.20");
const REASON_CODE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.21");
const INVALIDITY_DATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.24");
const DELTA_CRL_INDICATOR: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.27");
const ISSUING_DISTRIBUTION_POINT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.28");
const CERTIFICATE_ISSUER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.29");
const AUTHORITY_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const FRESHEST_CRL: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.46");
const KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");

/// Largest CRL file [`CrlStore`] reads unless told otherwise (256 MiB: a national CA's full
/// CRL can hold millions of entries).
pub const DEFAULT_MAX_CRL_BYTES: u64 = 256 << 20;

/// The revocation status of one certificate at one time.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationStatus {
    /// Nobody looked: the caller chose [`RevocationPolicy::NotChecked`], or the certificate did
    /// not chain, so there was no issuer to ask about.
    NotChecked,
    /// A current CRL of the issuer, with a valid signature, does not list the certificate.
    Good {
        /// The CRL's cRLNumber, upper-case hex, if it has one.
        crl_number: Option<String>,
        /// The CRL's thisUpdate.
        this_update: UnixTime,
        /// The CRL's nextUpdate.
        next_update: UnixTime,
        /// The CRL's issuer name.
        crl_issuer: String,
    },
    /// A current CRL of the issuer, with a valid signature, lists the certificate.
    Revoked {
        /// revocationDate.
        revoked_at: UnixTime,
        /// reasonCode (RFC 5280 §5.3.1 name, e.g. `affiliationChanged`), if given.
        reason: Option<String>,
    },
    /// No answer: see `why`. Never to be read as good.
    Unknown {
        /// Why there is no answer.
        why: UnknownReason,
    },
}

impl RevocationStatus {
    /// `not_checked`, `good`, `revoked` or `unknown`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotChecked => "not_checked",
            Self::Good { .. } => "good",
            Self::Revoked { .. } => "revoked",
            Self::Unknown { .. } => "unknown",
        }
    }

    /// True when a CRL answered (good or revoked).
    pub fn checked(&self) -> bool {
        matches!(self, Self::Good { .. } | Self::Revoked { .. })
    }
}

impl fmt::Display for RevocationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotChecked => write!(f, "revocation NOT checked"),
            Self::Good {
                crl_number,
                this_update,
                next_update,
                crl_issuer,
            } => write!(
                f,
                "not revoked: not listed in the CRL of {crl_issuer} (number {}, issued {}, next update {})",
                crl_number.as_deref().unwrap_or("none"),
                this_update.to_rfc3339(),
                next_update.to_rfc3339()
            ),
            Self::Revoked { revoked_at, reason } => write!(
                f,
                "REVOKED on {}{}",
                revoked_at.to_rfc3339(),
                reason
                    .as_ref()
                    .map(|r| format!(" (reason: {r})"))
                    .unwrap_or_default()
            ),
            Self::Unknown { why } => write!(f, "revocation status unknown: {why}"),
        }
    }
}

/// Why a revocation status is unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnknownReason {
    /// No CRL names the certificate's issuer.
    #[error("no CRL from the certificate's issuer ({issuer})")]
    NoCrl {
        /// The certificate's issuer name.
        issuer: String,
    },
    /// The issuer certificate handed in is not the certificate's issuer.
    #[error("the issuer certificate given is not the certificate's issuer")]
    IssuerMismatch,
    /// The issuing CA's keyUsage does not allow CRL signing.
    #[error("the issuing CA certificate's keyUsage does not include cRLSign")]
    IssuerCannotSignCrls,
    /// Every CRL of that issuer name fails signature verification under the issuer's key.
    #[error("the CRL {crl} is not signed by the issuing CA's key")]
    BadSignature {
        /// The CRL (file name).
        crl: String,
    },
    /// The newest usable CRL's nextUpdate has passed.
    #[error("the CRL {crl} expired: its nextUpdate {} is before {}", .next_update.to_rfc3339(), .at.to_rfc3339())]
    Expired {
        /// The CRL (file name).
        crl: String,
        /// Its nextUpdate.
        next_update: UnixTime,
        /// The time checked for.
        at: UnixTime,
    },
    /// Every CRL of that issuer was issued after the time checked for.
    #[error("the CRL {crl} was issued at {}, after {}", .this_update.to_rfc3339(), .at.to_rfc3339())]
    NotYetIssued {
        /// The CRL (file name).
        crl: String,
        /// Its thisUpdate.
        this_update: UnixTime,
        /// The time checked for.
        at: UnixTime,
    },
    /// Another source's reason (for [`RevocationSource`] implementations outside this crate).
    #[error("{0}")]
    Other(String),
}

/// Where revocation answers come from. Object-safe; shared across threads by a service
/// (`&dyn RevocationSource`, `Arc<dyn RevocationSource>`).
pub trait RevocationSource: Send + Sync {
    /// The status of `cert`, issued by `issuer` (the trust anchor the chain ended at), at `at`.
    fn check(&self, cert: &ParsedCert, issuer: &ParsedCert, at: UnixTime) -> RevocationStatus;
}

/// A source that never checks: every answer is [`RevocationStatus::NotChecked`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRevocation;

impl RevocationSource for NoRevocation {
    fn check(&self, _: &ParsedCert, _: &ParsedCert, _: UnixTime) -> RevocationStatus {
        RevocationStatus::NotChecked
    }
}

/// What the caller demands of revocation when verifying a certificate.
#[derive(Clone, Copy)]
pub enum RevocationPolicy<'a> {
    /// Do not check; the verdict says [`RevocationStatus::NotChecked`].
    NotChecked,
    /// Check; revoked is not valid; unknown stays valid with a warning (`revocation_unknown`).
    BestEffort(&'a dyn RevocationSource),
    /// Check; anything but good is not valid (`certificate_revoked` / `revocation_unknown`).
    Required(&'a dyn RevocationSource),
}

impl fmt::Debug for RevocationPolicy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotChecked => "NotChecked",
            Self::BestEffort(_) => "BestEffort",
            Self::Required(_) => "Required",
        })
    }
}

/// A reason or warning: (code, message).
pub type Finding = (&'static str, String);

/// Applies `policy` to `cert` issued by `issuer` (None when the chain failed): the status, a
/// reason that makes the certificate not valid, and a warning that does not.
pub(crate) fn apply(
    policy: RevocationPolicy<'_>,
    cert: &ParsedCert,
    issuer: Option<&ParsedCert>,
    at: UnixTime,
) -> (RevocationStatus, Option<Finding>, Option<Finding>) {
    let (source, required) = match policy {
        RevocationPolicy::NotChecked => return (RevocationStatus::NotChecked, None, None),
        RevocationPolicy::BestEffort(s) => (s, false),
        RevocationPolicy::Required(s) => (s, true),
    };
    let Some(issuer) = issuer else {
        // Not chained: the certificate is already not valid; there is no issuer to ask about.
        return (RevocationStatus::NotChecked, None, None);
    };
    let status = source.check(cert, issuer, at);
    let finding = match &status {
        RevocationStatus::Good { .. } => None,
        RevocationStatus::Revoked { .. } => {
            return (
                status.clone(),
                Some((
                    "certificate_revoked",
                    format!("the certificate is {status}"),
                )),
                None,
            )
        }
        RevocationStatus::Unknown { why } => Some((
            "revocation_unknown",
            format!("revocation status unknown: {why}"),
        )),
        _ => Some((
            "revocation_unknown",
            "the revocation source did not check".to_string(),
        )),
    };
    if required {
        (status, finding, None)
    } else {
        (status, None, finding)
    }
}

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
struct Entry {
    revoked_at: UnixTime,
    reason: Option<String>,
}

/// One loaded CRL, checked for form; its signature is checked when it is used.
#[derive(Debug, Clone)]
pub struct LoadedCrl {
    file: String,
    issuer_der: Vec<u8>,
    issuer: String,
    this_update: UnixTime,
    next_update: UnixTime,
    number: Option<String>,
    algorithm: ObjectIdentifier,
    tbs_digest: Vec<u8>,
    signature: Vec<u8>,
    revoked: HashMap<Vec<u8>, Entry>,
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
        let list = CertificateList::from_der(outer.raw()).map_err(|e| bad(e.to_string()))?;
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
                    let n = CrlNumber::from_der(e.extn_value.as_bytes())
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
                        let code = CrlReason::from_der(e.extn_value.as_bytes()).map_err(|err| {
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
    fn signed_by(&self, issuer: &ParsedCert) -> bool {
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

fn check_unique(exts: &[Extension]) -> Result<(), ObjectIdentifier> {
    for (i, e) in exts.iter().enumerate() {
        if exts.iter().skip(i + 1).any(|o| o.extn_id == e.extn_id) {
            return Err(e.extn_id);
        }
    }
    Ok(())
}

/// RFC 5280 §5.3.1 names.
fn reason_name(r: CrlReason) -> &'static str {
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
fn may_sign_crls(issuer: &ParsedCert) -> bool {
    let Some(exts) = &issuer.cert.tbs_certificate.extensions else {
        return true;
    };
    match exts.iter().find(|e| e.extn_id == KEY_USAGE) {
        None => true,
        Some(e) => KeyUsage::from_der(e.extn_value.as_bytes())
            .is_ok_and(|ku| ku.0.contains(KeyUsages::CRLSign)),
    }
}

/// CRLs loaded from files: a [`RevocationSource`].
///
/// Immutable once built; to reload, build a new store and swap it in (for example behind an
/// `RwLock<Arc<CrlStore>>`).
#[derive(Debug, Clone)]
pub struct CrlStore {
    crls: Vec<LoadedCrl>,
    max_bytes: u64,
}

impl Default for CrlStore {
    fn default() -> Self {
        Self::new()
    }
}

impl CrlStore {
    /// An empty store (every answer is unknown: no CRL) with the default size limit.
    pub fn new() -> Self {
        Self {
            crls: Vec::new(),
            max_bytes: DEFAULT_MAX_CRL_BYTES,
        }
    }

    /// Sets the largest CRL file accepted from now on.
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Loads every `*.crl`, `*.der` and `*.pem` file (case-insensitive) in `dir`, not
    /// recursing, in file-name order. Other files are ignored; any CRL that fails to load fails
    /// the whole store (an operator should learn that a CRL is bad, not lose it silently).
    pub fn from_dir(dir: &Path) -> Result<Self, CrlError> {
        let mut store = Self::new();
        store.add_dir(dir)?;
        Ok(store)
    }

    /// Loads the given files (DER or PEM).
    pub fn from_files<P: AsRef<Path>>(
        paths: impl IntoIterator<Item = P>,
    ) -> Result<Self, CrlError> {
        let mut store = Self::new();
        for p in paths {
            store.add_file(p.as_ref())?;
        }
        Ok(store)
    }

    /// Adds the CRL files of `dir` (see [`from_dir`](Self::from_dir)).
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), CrlError> {
        let io = |e: std::io::Error| CrlError::Io {
            path: dir.display().to_string(),
            message: e.to_string(),
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let wanted = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| ["crl", "der", "pem"].contains(&e.to_ascii_lowercase().as_str()));
            if wanted && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        for f in files {
            self.add_file(&f)?;
        }
        Ok(())
    }

    /// Adds one CRL file (DER or PEM), read up to the size limit.
    pub fn add_file(&mut self, path: &Path) -> Result<(), CrlError> {
        let name = path.display().to_string();
        let io = |e: std::io::Error| CrlError::Io {
            path: name.clone(),
            message: e.to_string(),
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| {
                f.take(self.max_bytes.saturating_add(1))
                    .read_to_end(&mut bytes)
            })
            .map_err(io)?;
        self.add_bytes(&name, &bytes)
    }

    /// Adds one CRL given as bytes; `name` names it in errors and results.
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<(), CrlError> {
        if u64::try_from(bytes.len()).map_or(true, |n| n > self.max_bytes) {
            return Err(CrlError::TooLarge {
                file: name.to_string(),
                limit: self.max_bytes,
            });
        }
        self.crls.push(LoadedCrl::parse(name, bytes)?);
        Ok(())
    }

    /// The CRLs loaded.
    pub fn crls(&self) -> &[LoadedCrl] {
        &self.crls
    }

    /// How many CRLs are loaded.
    pub fn len(&self) -> usize {
        self.crls.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.crls.is_empty()
    }
}

impl RevocationSource for CrlStore {
    fn check(&self, cert: &ParsedCert, issuer: &ParsedCert, at: UnixTime) -> RevocationStatus {
        let unknown = |why| RevocationStatus::Unknown { why };
        if !cert.issued_by_name(issuer) {
            return unknown(UnknownReason::IssuerMismatch);
        }
        let Ok(issuer_der) = cert.cert.tbs_certificate.issuer.to_der() else {
            return unknown(UnknownReason::IssuerMismatch);
        };
        let named: Vec<&LoadedCrl> = self
            .crls
            .iter()
            .filter(|c| c.issuer_der == issuer_der)
            .collect();
        let Some(first) = named.first() else {
            return unknown(UnknownReason::NoCrl {
                issuer: cert.issuer(),
            });
        };
        if !may_sign_crls(issuer) {
            return unknown(UnknownReason::IssuerCannotSignCrls);
        }
        let signed: Vec<&LoadedCrl> = named
            .iter()
            .copied()
            .filter(|c| c.signed_by(issuer))
            .collect();
        if signed.is_empty() {
            return unknown(UnknownReason::BadSignature {
                crl: first.file.clone(),
            });
        }
        let current = signed
            .iter()
            .copied()
            .filter(|c| c.this_update <= at)
            .max_by_key(|c| c.this_update);
        let Some(crl) = current else {
            let earliest = signed.iter().copied().min_by_key(|c| c.this_update);
            return match earliest {
                Some(c) => unknown(UnknownReason::NotYetIssued {
                    crl: c.file.clone(),
                    this_update: c.this_update,
                    at,
                }),
                None => unknown(UnknownReason::NoCrl {
                    issuer: cert.issuer(),
                }),
            };
        };
        if at > crl.next_update {
            return unknown(UnknownReason::Expired {
                crl: crl.file.clone(),
                next_update: crl.next_update,
                at,
            });
        }
        match crl
            .revoked
            .get(cert.cert.tbs_certificate.serial_number.as_bytes())
        {
            Some(e) => RevocationStatus::Revoked {
                revoked_at: e.revoked_at,
                reason: e.reason.clone(),
            },
            None => RevocationStatus::Good {
                crl_number: crl.number.clone(),
                this_update: crl.this_update,
                next_update: crl.next_update,
                crl_issuer: crl.issuer.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jpid_testpki::{issue_crl, CrlEntry, CrlSpec, Day};

    fn parsed(der: &[u8]) -> ParsedCert {
        ParsedCert::parse(der).unwrap()
    }

    fn at(s: &str) -> UnixTime {
        UnixTime::parse(s).unwrap()
    }

    fn store(crls: &[(&str, &[u8])]) -> CrlStore {
        let mut s = CrlStore::new();
        for (n, b) in crls {
            s.add_bytes(n, b).unwrap();
        }
        s
    }

    #[test]
    fn good_and_revoked_from_the_committed_crls() {
        let pki = jpid_testpki::load_default().unwrap();
        let s = store(&[
            ("sign.crl", pki.jpki_sign_crl()),
            ("auth.crl", pki.jpki_auth_crl()),
        ]);
        assert_eq!(s.len(), 2);
        let sign_ca = parsed(pki.jpki_sign_ca().cert_der());
        let auth_ca = parsed(pki.jpki_auth_ca().cert_der());
        let t = at("2026-11-23");
        let good = s.check(&parsed(pki.jpki_holder().sign().cert_der()), &sign_ca, t);
        match &good {
            RevocationStatus::Good {
                crl_number,
                this_update,
                next_update,
                crl_issuer,
            } => {
                assert_eq!(crl_number.as_deref(), Some("01"));
                assert_eq!(*this_update, at("2025-01-01"));
                assert_eq!(*next_update, at("2029-01-01"));
                assert!(crl_issuer.contains("JPKI for digital signature"));
            }
            other => panic!("{other:?}"),
        }
        assert!(good.checked());
        let revoked = s.check(
            &parsed(pki.jpki_revoked_holder().sign().cert_der()),
            &sign_ca,
            t,
        );
        assert_eq!(
            revoked,
            RevocationStatus::Revoked {
                revoked_at: at("2024-12-01"),
                reason: Some("affiliationChanged".into())
            }
        );
        let revoked = s.check(
            &parsed(pki.jpki_revoked_holder().auth().cert_der()),
            &auth_ca,
            t,
        );
        assert_eq!(revoked.code(), "revoked");
        assert!(revoked.to_string().contains("keyCompromise"));
        // PEM loads the same.
        let pem = jpid_testpki::fixtures::JPKI_SIGN_CRL_PEM;
        let s2 = store(&[("sign.pem", pem)]);
        assert_eq!(
            s2.check(&parsed(pki.jpki_holder().sign().cert_der()), &sign_ca, t)
                .code(),
            "good"
        );
    }

    #[test]
    fn no_crl_expired_future_and_foreign_crls_are_unknown() {
        let pki = jpid_testpki::load_default().unwrap();
        let sign_ca = parsed(pki.jpki_sign_ca().cert_der());
        let cert = parsed(pki.jpki_holder().sign().cert_der());
        // No CRL at all, and a CRL for another issuer (the auth root): ignored, so unknown.
        for s in [CrlStore::new(), store(&[("auth.crl", pki.jpki_auth_crl())])] {
            match s.check(&cert, &sign_ca, at("2026-11-23")) {
                RevocationStatus::Unknown {
                    why: UnknownReason::NoCrl { .. },
                } => {}
                other => panic!("{other:?}"),
            }
        }
        let s = store(&[("sign.crl", pki.jpki_sign_crl())]);
        // nextUpdate passed.
        match s.check(&cert, &sign_ca, at("2029-01-02")) {
            RevocationStatus::Unknown {
                why: UnknownReason::Expired { next_update, .. },
            } => assert_eq!(next_update, at("2029-01-01")),
            other => panic!("{other:?}"),
        }
        // Issued after the time checked for.
        match s.check(&cert, &sign_ca, at("2024-06-01")) {
            RevocationStatus::Unknown {
                why: UnknownReason::NotYetIssued { .. },
            } => {}
            other => panic!("{other:?}"),
        }
        // The wrong issuer certificate handed in.
        let auth_ca = parsed(pki.jpki_auth_ca().cert_der());
        assert_eq!(
            s.check(&cert, &auth_ca, at("2026-11-23")),
            RevocationStatus::Unknown {
                why: UnknownReason::IssuerMismatch
            }
        );
    }

    fn spec(number: u64, this: Day, next: Day, revoked: Vec<CrlEntry>) -> CrlSpec {
        CrlSpec {
            number,
            this_update: this,
            next_update: next,
            revoked,
        }
    }

    #[test]
    fn crl_signed_by_another_key_is_not_used() {
        let pki = jpid_testpki::load_default().unwrap();
        let sign_ca = parsed(pki.jpki_sign_ca().cert_der());
        let cert = parsed(pki.jpki_holder().sign().cert_der());
        // Issuer name of the sign root, signed with the auth root's key.
        let forged = issue_crl(
            pki.jpki_sign_ca().cert_der(),
            pki.jpki_auth_ca().private_key(),
            &spec(7, Day(2026, 1, 1), Day(2027, 1, 1), vec![]),
        )
        .unwrap();
        let s = store(&[("forged.crl", &forged)]);
        assert_eq!(
            s.check(&cert, &sign_ca, at("2026-11-23")),
            RevocationStatus::Unknown {
                why: UnknownReason::BadSignature {
                    crl: "forged.crl".into()
                }
            }
        );
        // A forged CRL next to a genuine one: the genuine one answers.
        let s = store(&[("forged.crl", &forged), ("sign.crl", pki.jpki_sign_crl())]);
        assert_eq!(s.check(&cert, &sign_ca, at("2026-11-23")).code(), "good");
    }

    #[test]
    fn the_newest_current_crl_answers() {
        let pki = jpid_testpki::load_default().unwrap();
        let ca = pki.jpki_sign_ca();
        let sign_ca = parsed(ca.cert_der());
        let cert = parsed(pki.jpki_holder().sign().cert_der());
        let serial = cert.cert.tbs_certificate.serial_number.as_bytes().to_vec();
        let newer = issue_crl(
            ca.cert_der(),
            ca.private_key(),
            &spec(
                2,
                Day(2026, 11, 1),
                Day(2026, 12, 1),
                vec![CrlEntry {
                    serial,
                    revoked_on: Day(2026, 10, 31),
                    reason: None,
                }],
            ),
        )
        .unwrap();
        let s = store(&[("old.crl", pki.jpki_sign_crl()), ("new.crl", &newer)]);
        assert_eq!(
            s.check(&cert, &sign_ca, at("2026-11-23")),
            RevocationStatus::Revoked {
                revoked_at: at("2026-10-31"),
                reason: None
            }
        );
        // Before the newer CRL was issued, the older one answers.
        assert_eq!(s.check(&cert, &sign_ca, at("2026-10-15")).code(), "good");
        // After the newer one's nextUpdate: the newest is stale, so unknown (not the older).
        assert_eq!(s.check(&cert, &sign_ca, at("2026-12-02")).code(), "unknown");
    }

    #[test]
    fn malformed_crls_are_typed_errors_naming_the_file() {
        let pki = jpid_testpki::load_default().unwrap();
        let good = pki.jpki_sign_crl();
        let mut s = CrlStore::new();
        for (name, bytes) in [
            ("empty.crl", Vec::new()),
            ("cut.crl", good.get(..good.len() - 1).unwrap().to_vec()),
            ("trailing.crl", [good, &[0u8][..]].concat()),
            ("cert.der", pki.jpki_sign_ca().cert_der().to_vec()),
            (
                "cert.pem",
                jpid_testpki::fixtures::JPKI_SIGN_CA_PEM.to_vec(),
            ),
        ] {
            match s.add_bytes(name, &bytes) {
                Err(CrlError::Malformed { file, .. }) => assert_eq!(file, name),
                other => panic!("{name}: {other:?}"),
            }
        }
        assert!(CrlStore::default().add_bytes("sign.crl", good).is_ok());
        let mut small = CrlStore::new().with_max_bytes(100);
        assert!(matches!(
            small.add_bytes("big.crl", good),
            Err(CrlError::TooLarge { .. })
        ));
        assert!(matches!(
            CrlStore::from_dir(Path::new("/nonexistent/jpid-crls")),
            Err(CrlError::Io { .. })
        ));
    }

    #[test]
    fn from_dir_loads_crl_files_only() {
        let pki = jpid_testpki::load_default().unwrap();
        let dir = std::env::temp_dir().join(format!("jpid-crl-dir-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("sign.crl"), pki.jpki_sign_crl()).unwrap();
        std::fs::write(
            dir.join("auth.PEM"),
            jpid_testpki::fixtures::JPKI_AUTH_CRL_PEM,
        )
        .unwrap();
        std::fs::write(dir.join("README.txt"), "not a CRL").unwrap();
        let s = CrlStore::from_dir(&dir).unwrap();
        assert_eq!(s.len(), 2);
        std::fs::write(dir.join("bad.der"), "not a CRL").unwrap();
        match CrlStore::from_dir(&dir) {
            Err(CrlError::Malformed { file, .. }) => assert!(file.ends_with("bad.der")),
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn policies() {
        let pki = jpid_testpki::load_default().unwrap();
        let sign_ca = parsed(pki.jpki_sign_ca().cert_der());
        let revoked = parsed(pki.jpki_revoked_holder().sign().cert_der());
        let good = parsed(pki.jpki_holder().sign().cert_der());
        let s = store(&[("sign.crl", pki.jpki_sign_crl())]);
        let empty = CrlStore::new();
        let t = at("2026-11-23");
        let (st, r, w) = apply(RevocationPolicy::NotChecked, &revoked, Some(&sign_ca), t);
        assert_eq!((st, r, w), (RevocationStatus::NotChecked, None, None));
        let (_, r, _) = apply(
            RevocationPolicy::BestEffort(&s),
            &revoked,
            Some(&sign_ca),
            t,
        );
        assert_eq!(r.unwrap().0, "certificate_revoked");
        let (st, r, w) = apply(RevocationPolicy::Required(&s), &good, Some(&sign_ca), t);
        assert_eq!((st.code(), r, w), ("good", None, None));
        let (_, r, w) = apply(
            RevocationPolicy::BestEffort(&empty),
            &good,
            Some(&sign_ca),
            t,
        );
        assert_eq!((r, w.unwrap().0), (None, "revocation_unknown"));
        let (_, r, w) = apply(RevocationPolicy::Required(&empty), &good, Some(&sign_ca), t);
        assert_eq!((r.unwrap().0, w), ("revocation_unknown", None));
        let (_, r, _) = apply(
            RevocationPolicy::Required(&NoRevocation),
            &good,
            Some(&sign_ca),
            t,
        );
        assert_eq!(r.unwrap().0, "revocation_unknown");
        // Usable from threads, as a trait object.
        fn shared<T: Send + Sync + ?Sized>(_: &T) {}
        let dynamic: &dyn RevocationSource = &s;
        shared(dynamic);
    }
}
