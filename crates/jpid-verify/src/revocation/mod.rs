//! Revocation checking behind the [`RevocationSource`] trait (ARCHITECTURE.md;
//! docs/spec/services.md §2 "Revocation"), and [`CrlStore`], a source backed by CRL files
//! (RFC 5280 §5).
//!
//! J-LIS publishes JPKI revocation information only to registered verifiers (docs/spec/services.md
//! §2): jpid cannot fetch it, so the CRLs are handed in as files. What the store guarantees:
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

//!
//! Rooms: this module holds the status, the [`RevocationSource`] trait and the policy that
//! turns a status into a verdict; [`crl`] parses one CRL file; [`files`] loads CRL files and
//! answers from them.

use crate::verdict::Reason;
use crate::x509::{verify_p384_prehash, verify_rsa_pkcs1, HashAlg, ParsedCert, SigForm};
use crate::UnixTime;
use der::Encode;
use jpid_apdu::tlv;
use sha2::{Digest, Sha256, Sha384};
use spki::ObjectIdentifier;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::Path;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::{CrlNumber, CrlReason, KeyUsage, KeyUsages};
use x509_cert::ext::Extension;

mod both;
mod crl;
mod files;
mod ocsp;

pub use both::Sources;
#[allow(unused_imports)]
use crl::*;
pub use crl::{CrlError, LoadedCrl};
pub use files::{CrlStore, DEFAULT_MAX_CRL_BYTES};
pub use ocsp::{HttpTransport, OcspSource, OcspTransport, MAX_OCSP_RESPONSE};

/// The revocation status of one certificate at one time.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationStatus {
    /// Nobody looked: the caller chose [`RevocationPolicy::NotChecked`], or the certificate did
    /// not chain, so there was no issuer to ask about.
    NotChecked,
    /// A current CRL of the issuer, with a valid signature, does not list the certificate; or
    /// a current OCSP answer signed by the issuer or a responder it authorised says good.
    Good {
        /// Which source answered.
        via: RevocationVia,
        /// The CRL's cRLNumber, upper-case hex, if it has one.
        crl_number: Option<String>,
        /// The CRL's thisUpdate.
        this_update: UnixTime,
        /// The CRL's nextUpdate.
        next_update: UnixTime,
        /// The CRL's issuer name.
        crl_issuer: String,
    },
    /// A current CRL of the issuer, with a valid signature, lists the certificate (or a
    /// current, authorised OCSP answer says revoked).
    Revoked {
        /// Which source answered.
        via: RevocationVia,
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

impl RevocationStatus {
    /// The status as `--json` answers give it (docs/json.md, `jpki verify`): `status`, `via`
    /// (`crl` or `ocsp`) and what the source said.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            RevocationStatus::Good {
                via: RevocationVia::Ocsp { responder, signer },
                this_update,
                next_update,
                ..
            } => {
                json!({"status": "good", "via": "ocsp", "ocsp_responder": responder, "ocsp_signer": signer,
                        "this_update": this_update.to_rfc3339(), "next_update": next_update.to_rfc3339()})
            }
            RevocationStatus::Good {
                crl_number,
                this_update,
                next_update,
                crl_issuer,
                ..
            } => {
                json!({"status": "good", "via": "crl", "crl_number": crl_number, "crl_this_update": this_update.to_rfc3339(),
                        "crl_next_update": next_update.to_rfc3339(), "crl_issuer": crl_issuer})
            }
            RevocationStatus::Revoked {
                revoked_at,
                reason,
                via,
            } => {
                let via = match via {
                    RevocationVia::Ocsp { .. } => "ocsp",
                    _ => "crl",
                };
                json!({"status": "revoked", "via": via, "revoked_at": revoked_at.to_rfc3339(), "reason": reason})
            }
            RevocationStatus::Unknown { why } => {
                json!({"status": "unknown", "why": why.to_string()})
            }
            other => json!({"status": other.code()}),
        }
    }
}

impl fmt::Display for RevocationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotChecked => write!(f, "revocation NOT checked"),
            Self::Good {
                via: RevocationVia::Ocsp { responder, signer },
                this_update,
                next_update,
                ..
            } => write!(
                f,
                "not revoked: the OCSP responder {responder} says good (signed by {signer}, this update {}, next update {})",
                this_update.to_rfc3339(),
                next_update.to_rfc3339()
            ),
            Self::Good {
                crl_number,
                this_update,
                next_update,
                crl_issuer,
                ..
            } => write!(
                f,
                "not revoked: not listed in the CRL of {crl_issuer} (number {}, issued {}, next update {})",
                crl_number.as_deref().unwrap_or("none"),
                this_update.to_rfc3339(),
                next_update.to_rfc3339()
            ),
            Self::Revoked {
                revoked_at,
                reason,
                via,
            } => write!(
                f,
                "REVOKED on {}{}{}",
                revoked_at.to_rfc3339(),
                reason
                    .as_ref()
                    .map(|r| format!(" (reason: {r})"))
                    .unwrap_or_default(),
                match via {
                    RevocationVia::Ocsp { responder, .. } => format!(", says the OCSP responder {responder}"),
                    RevocationVia::Crl => String::new(),
                }
            ),
            Self::Unknown { why } => write!(f, "revocation status unknown: {why}"),
        }
    }
}

/// Which revocation source answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationVia {
    /// A CRL file (the fields of [`RevocationStatus::Good`] name it).
    Crl,
    /// An OCSP responder (RFC 6960).
    Ocsp {
        /// The responder's URL.
        responder: String,
        /// Who signed the answer: the CA itself, or the delegated responder's subject.
        signer: String,
    },
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
pub type Finding = crate::verdict::Reason;

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
                Some(Reason::new(
                    "certificate_revoked",
                    format!("the certificate is {status}"),
                )),
                None,
            )
        }
        RevocationStatus::Unknown { why } => Some(Reason::new(
            "revocation_unknown",
            format!("revocation status unknown: {why}"),
        )),
        _ => Some(Reason::new(
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
                via,
            } => {
                assert_eq!(*via, RevocationVia::Crl);
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
                via: RevocationVia::Crl,
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
                via: RevocationVia::Crl,
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
        assert_eq!(r.unwrap().code, "certificate_revoked");
        let (st, r, w) = apply(RevocationPolicy::Required(&s), &good, Some(&sign_ca), t);
        assert_eq!((st.code(), r, w), ("good", None, None));
        let (_, r, w) = apply(
            RevocationPolicy::BestEffort(&empty),
            &good,
            Some(&sign_ca),
            t,
        );
        assert_eq!((r, w.unwrap().code), (None, "revocation_unknown"));
        let (_, r, w) = apply(RevocationPolicy::Required(&empty), &good, Some(&sign_ca), t);
        assert_eq!((r.unwrap().code, w), ("revocation_unknown", None));
        let (_, r, _) = apply(
            RevocationPolicy::Required(&NoRevocation),
            &good,
            Some(&sign_ca),
            t,
        );
        assert_eq!(r.unwrap().code, "revocation_unknown");
        // Usable from threads, as a trait object.
        fn shared<T: Send + Sync + ?Sized>(_: &T) {}
        let dynamic: &dyn RevocationSource = &s;
        shared(dynamic);
    }
}
