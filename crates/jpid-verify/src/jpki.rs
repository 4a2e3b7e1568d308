//! JPKI certificates: the chain to a JPKI root and the holder attributes of a signature
//! certificate (docs/spec/mynumber-card.md §2; docs/spec/services.md §2).
//!
//! The JPKI roots issue end-entity certificates directly, so a chain is one signature: the
//! certificate's, under a root of the right purpose (user authentication or digital signature).

use der::{Decode, Encode};
use serde::Serialize;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;

use crate::proof::Verified;
use crate::revocation::{self, RevocationPolicy, RevocationStatus};
use crate::trust::{Purpose, TrustMode, TrustStore};
use crate::verdict::Reason;
use crate::x509::ParsedCert;
use crate::UnixTime;

use const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME as SAN;

/// Holder attributes carried as SubjectAltName otherName entries under 1.2.392.200149.8.5.5
/// (MYNA Go and three more sources; docs/spec/mynumber-card.md §2).
pub const HOLDER_ATTRIBUTES: [(&str, &str, &str, &str); 6] = [
    ("1.2.392.200149.8.5.5.1", "name", "Name", "氏名"),
    (
        "1.2.392.200149.8.5.5.2",
        "name_substitute",
        "Name (substitute characters)",
        "氏名（代替文字）",
    ),
    ("1.2.392.200149.8.5.5.3", "sex", "Sex", "性別"),
    (
        "1.2.392.200149.8.5.5.4",
        "birth_date",
        "Date of birth (era digit + YYYYMMDD, UNCONFIRMED)",
        "生年月日",
    ),
    ("1.2.392.200149.8.5.5.5", "address", "Address", "住所"),
    (
        "1.2.392.200149.8.5.5.6",
        "address_substitute",
        "Address (substitute characters)",
        "住所（代替文字）",
    ),
];

/// One holder attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attribute {
    /// Stable key.
    pub key: &'static str,
    /// English label.
    pub label: &'static str,
    /// Japanese label.
    pub label_ja: &'static str,
    /// The value.
    pub value: String,
}

/// The holder attributes of a signature certificate (empty for an authentication certificate,
/// which carries no personal data).
pub fn holder_attributes(cert: &ParsedCert) -> Vec<Attribute> {
    let mut out = Vec::new();
    let Some(exts) = &cert.cert.tbs_certificate.extensions else {
        return out;
    };
    for ext in exts.iter().filter(|e| e.extn_id == SAN) {
        let Ok(san) = crate::der_input::decode::<SubjectAltName>(ext.extn_value.as_bytes()) else {
            continue;
        };
        for name in san.0 {
            let GeneralName::OtherName(other) = name else {
                continue;
            };
            let oid = other.type_id.to_string();
            let Some((_, key, label, label_ja)) =
                HOLDER_ATTRIBUTES.iter().find(|(o, ..)| *o == oid)
            else {
                continue;
            };
            // value: [0] EXPLICIT UTF8String; the `Any` holds the UTF8String TLV.
            let Ok(bytes) = other.value.to_der() else {
                continue;
            };
            let Ok(text) = der::asn1::Utf8StringRef::from_der(&bytes) else {
                continue;
            };
            out.push(Attribute {
                key,
                label,
                label_ja,
                value: text.as_str().to_string(),
            });
        }
    }
    out
}

/// What a valid JPKI certificate proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JpkiCertProof {
    /// Which key.
    pub purpose: Purpose,
    /// The certificate's serial.
    pub serial: String,
    /// The root it chains to.
    pub anchor: String,
    /// When it was checked.
    pub at: UnixTime,
    /// Whether test roots were trusted.
    pub trust_mode: TrustMode,
    /// What revocation checking found: `NotChecked`, `Good` (with the CRL used) or, under
    /// [`RevocationPolicy::BestEffort`], `Unknown`.
    pub revocation: RevocationStatus,
}

/// The outcome of [`verify_certificate`].
#[derive(Debug, Clone)]
pub struct CertVerdict {
    /// Subject.
    pub subject: String,
    /// Issuer.
    pub issuer: String,
    /// Serial, hex.
    pub serial: String,
    /// notBefore, notAfter.
    pub validity: (UnixTime, UnixTime),
    /// Why not valid (empty when valid): `not_end_entity`, `unknown_issuer`,
    /// `certificate_expired`, `certificate_not_yet_valid`, `certificate_revoked`,
    /// `revocation_unknown` (only under [`RevocationPolicy::Required`]).
    pub reasons: Vec<Reason>,
    /// What does not make it invalid but should be said: `revocation_unknown` under
    /// [`RevocationPolicy::BestEffort`].
    pub warnings: Vec<Reason>,
    /// True when a revocation source answered (good or revoked).
    pub revocation_checked: bool,
    /// The revocation status found.
    pub revocation: RevocationStatus,
    proof: Option<Verified<JpkiCertProof>>,
}

impl CertVerdict {
    /// The proof, when valid.
    pub fn proof(&self) -> Option<&Verified<JpkiCertProof>> {
        self.proof.as_ref()
    }
    /// True only with a proof.
    pub fn valid(&self) -> bool {
        self.proof.is_some()
    }
}

/// Checks `der` chains to a JPKI root of `purpose` in `trust`, is valid at `at`, and (as
/// `revocation` demands) is not revoked at `at` according to the root's CRL.
pub fn verify_certificate(
    der: &[u8],
    purpose: Purpose,
    trust: &TrustStore,
    at: UnixTime,
    revocation: RevocationPolicy<'_>,
) -> Result<CertVerdict, crate::x509::X509Error> {
    let cert = trust.parsed(der)?;
    let mut reasons = Vec::new();
    // A root handed in as the signer's certificate "chains" to itself: refuse it outright.
    if trust
        .anchors()
        .iter()
        .any(|a| a.der() == cert.der.as_slice())
    {
        reasons.push(Reason::new(
            "not_end_entity",
            "the certificate is a root, not a holder's certificate".to_string(),
        ));
    }
    let mut anchor = None;
    let mut issuer = None;
    for a in trust.for_purpose(purpose) {
        let Some(root) = a.parsed() else {
            continue;
        };
        if cert.issued_by_name(root) && cert.verify_signed_by(root).is_ok() && root.valid_at(at) {
            anchor = Some(a.name().to_string());
            issuer = Some(root);
            break;
        }
    }
    if anchor.is_none() {
        reasons.push(Reason::new(
            "unknown_issuer",
            format!(
                "not issued by a JPKI {} root jpid trusts (issuer {})",
                purpose.id(),
                cert.issuer()
            ),
        ));
    }
    let (nb, na) = cert.validity();
    if at > na {
        reasons.push(Reason::new(
            "certificate_expired",
            format!("expired on {}", na.to_rfc3339()),
        ));
    } else if at < nb {
        reasons.push(Reason::new(
            "certificate_not_yet_valid",
            format!("valid only from {}", nb.to_rfc3339()),
        ));
    }
    let (status, reason, warning) = revocation::apply(revocation, &cert, issuer, at);
    reasons.extend(reason);
    let warnings: Vec<_> = warning.into_iter().collect();
    let proof = match (&anchor, reasons.is_empty()) {
        (Some(anchor), true) => Some(Verified::new(JpkiCertProof {
            purpose,
            serial: cert.serial_hex(),
            anchor: anchor.clone(),
            at,
            trust_mode: trust.mode(),
            revocation: status.clone(),
        })),
        _ => None,
    };
    Ok(CertVerdict {
        subject: cert.subject(),
        issuer: cert.issuer(),
        serial: cert.serial_hex(),
        validity: (nb, na),
        reasons,
        warnings,
        revocation_checked: status.checked(),
        revocation: status,
        proof,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_holder_certificates_chain_and_carry_attributes() {
        let pki = jpid_testpki::load_default().unwrap();
        let trust = TrustStore::production().with_test_anchors([
            ("auth", Purpose::JpkiAuth, pki.jpki_auth_ca().cert_der()),
            ("sign", Purpose::JpkiSign, pki.jpki_sign_ca().cert_der()),
        ]);
        let at = UnixTime::parse("2026-11-23").unwrap();
        let sign = pki.jpki_holder().sign().cert_der();
        let v = verify_certificate(
            sign,
            Purpose::JpkiSign,
            &trust,
            at,
            RevocationPolicy::NotChecked,
        )
        .unwrap();
        assert!(v.valid(), "{:?}", v.reasons);
        assert!(!v.revocation_checked);
        assert_eq!(v.revocation, RevocationStatus::NotChecked);
        assert_eq!(
            v.proof().unwrap().get().revocation,
            RevocationStatus::NotChecked
        );
        // The wrong purpose does not chain: an auth root never anchors a signature certificate.
        let v = verify_certificate(
            sign,
            Purpose::JpkiAuth,
            &trust,
            at,
            RevocationPolicy::NotChecked,
        )
        .unwrap();
        assert!(!v.valid());
        assert_eq!(v.reasons[0].code, "unknown_issuer");
        // Production roots alone do not know the test CA.
        let v = verify_certificate(
            sign,
            Purpose::JpkiSign,
            &TrustStore::production(),
            at,
            RevocationPolicy::NotChecked,
        )
        .unwrap();
        assert!(!v.valid());
        let v = verify_certificate(
            sign,
            Purpose::JpkiSign,
            &trust,
            UnixTime::parse("2031-01-01").unwrap(),
            RevocationPolicy::NotChecked,
        )
        .unwrap();
        assert_eq!(
            v.reasons.iter().map(|r| r.code).collect::<Vec<_>>(),
            ["certificate_expired"]
        );
        let attrs = holder_attributes(&ParsedCert::parse(sign).unwrap());
        let holder = pki.jpki_holder().holder();
        let expected = holder.san_attributes();
        assert_eq!(attrs.len(), 6);
        for (a, (_, value)) in attrs.iter().zip(expected.iter()) {
            assert_eq!(&a.value, value);
        }
        assert!(holder_attributes(
            &ParsedCert::parse(pki.jpki_holder().auth().cert_der()).unwrap()
        )
        .is_empty());
    }

    #[test]
    fn revoked_certificates_are_not_valid_and_unknown_follows_the_policy() {
        use crate::revocation::CrlStore;
        let pki = jpid_testpki::load_default().unwrap();
        let trust = TrustStore::production().with_test_anchors([
            ("auth", Purpose::JpkiAuth, pki.jpki_auth_ca().cert_der()),
            ("sign", Purpose::JpkiSign, pki.jpki_sign_ca().cert_der()),
        ]);
        let at = UnixTime::parse("2026-11-23").unwrap();
        let mut crls = CrlStore::new();
        crls.add_bytes("sign.crl", pki.jpki_sign_crl()).unwrap();
        let good = pki.jpki_holder().sign().cert_der();
        let revoked = pki.jpki_revoked_holder().sign().cert_der();
        for policy in [
            RevocationPolicy::BestEffort(&crls),
            RevocationPolicy::Required(&crls),
        ] {
            let v = verify_certificate(good, Purpose::JpkiSign, &trust, at, policy).unwrap();
            assert!(v.valid(), "{:?}", v.reasons);
            assert!(v.revocation_checked);
            assert_eq!(v.proof().unwrap().get().revocation.code(), "good");
            let v = verify_certificate(revoked, Purpose::JpkiSign, &trust, at, policy).unwrap();
            assert!(!v.valid());
            assert_eq!(
                v.reasons.iter().map(|r| r.code).collect::<Vec<_>>(),
                ["certificate_revoked"]
            );
        }
        // Not checked: the revoked certificate passes, and the verdict says nothing was checked.
        let v = verify_certificate(
            revoked,
            Purpose::JpkiSign,
            &trust,
            at,
            RevocationPolicy::NotChecked,
        )
        .unwrap();
        assert!(v.valid());
        assert!(!v.revocation_checked);
        // The auth certificate has no CRL here: unknown. Best effort keeps it valid with a
        // warning; required does not.
        let auth = pki.jpki_holder().auth().cert_der();
        let v = verify_certificate(
            auth,
            Purpose::JpkiAuth,
            &trust,
            at,
            RevocationPolicy::BestEffort(&crls),
        )
        .unwrap();
        assert!(v.valid());
        assert_eq!(v.warnings[0].code, "revocation_unknown");
        assert_eq!(v.proof().unwrap().get().revocation.code(), "unknown");
        let v = verify_certificate(
            auth,
            Purpose::JpkiAuth,
            &trust,
            at,
            RevocationPolicy::Required(&crls),
        )
        .unwrap();
        assert!(!v.valid());
        assert_eq!(v.reasons[0].code, "revocation_unknown");
    }
}
