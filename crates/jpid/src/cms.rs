//! A detached CMS SignedData (RFC 5652) around a signature the card makes: SHA-256, RSA PKCS#1
//! v1.5, the signer certificate included, signed attributes contentType, messageDigest,
//! signingTime and the ESS signingCertificateV2 (RFC 5035), which binds the signature to the
//! signer's certificate (the attributes a CAdES-BES signature carries).
//!
//! Built by hand with the TLV writer so that the card, not a software key, signs: the caller gets
//! the bytes to sign ([`SignedAttributes::to_be_signed`]) and hands back the signature.

use der::asn1::ObjectIdentifier;
use der::Encode;
use jpid_apdu::tlv::{self, Tag};
use jpid_verify::x509::ParsedCert;
use sha2::{Digest, Sha256};

/// id-aa-signingCertificateV2 (RFC 5035 §3).
use const_oid::db::rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2 as ID_SIGNING_CERTIFICATE_V2;
use const_oid::db::rfc5911::ID_CONTENT_TYPE;
use const_oid::db::rfc5911::ID_DATA;
use const_oid::db::rfc5911::ID_MESSAGE_DIGEST;
use const_oid::db::rfc5911::ID_SIGNED_DATA;
use const_oid::db::rfc5911::ID_SIGNING_TIME;
use const_oid::db::rfc5912::ID_SHA_256 as ID_SHA256;
use const_oid::db::rfc5912::RSA_ENCRYPTION;

const SEQUENCE: Tag = Tag::new(0x30);
const SET: Tag = Tag::new(0x31);
const CTX0: Tag = Tag::new(0xA0);

fn oid(o: ObjectIdentifier) -> Vec<u8> {
    // An OID's DER never fails to encode.
    o.to_der().unwrap_or_default()
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv::encode(SEQUENCE, &parts.concat())
}

fn alg(o: ObjectIdentifier, null_params: bool) -> Vec<u8> {
    if null_params {
        seq(&[&oid(o), &[0x05, 0x00]])
    } else {
        seq(&[&oid(o)])
    }
}

/// The signed attributes over a content digest.
pub struct SignedAttributes {
    /// The attributes, each a DER `Attribute`, in DER SET OF order.
    attrs: Vec<u8>,
}

impl SignedAttributes {
    /// contentType = id-data, messageDigest = `digest` (SHA-256 of the content), signingTime =
    /// `at` (the signer's clock, as UTCTime), and signingCertificateV2 naming the signer's
    /// certificate by its SHA-256 and its issuer and serial number.
    pub fn new(
        digest: &[u8],
        signer: &ParsedCert,
        at: jpid_verify::UnixTime,
    ) -> Result<Self, der::Error> {
        let attribute =
            |kind: ObjectIdentifier, value: &[u8]| seq(&[&oid(kind), &tlv::encode(SET, value)]);
        let content_type = attribute(ID_CONTENT_TYPE, &oid(ID_DATA));
        let message_digest = attribute(ID_MESSAGE_DIGEST, &tlv::encode(Tag::new(0x04), digest));
        let signing_time = attribute(ID_SIGNING_TIME, &utc_time(at)?);
        // ESSCertIDv2 { certHash } with the default hash (SHA-256, so hashAlgorithm is left
        // out, as DER requires) and issuerSerial { GeneralNames { directoryName [4] Name }, serial }.
        // The issuer exactly as the certificate holds it: a re-encoding could differ.
        let serial = signer.cert.tbs_certificate.serial_number.to_der()?;
        let issuer_serial = seq(&[
            &seq(&[&tlv::encode(Tag::new(0xA4), signer.issuer_der())]),
            &serial,
        ]);
        let cert_hash = tlv::encode(Tag::new(0x04), &Sha256::digest(&signer.der));
        let ess_cert_id = seq(&[&cert_hash, &issuer_serial]);
        let signing_certificate =
            attribute(ID_SIGNING_CERTIFICATE_V2, &seq(&[&seq(&[&ess_cert_id])]));
        // DER orders SET OF members by their encodings.
        let mut members = [
            content_type,
            message_digest,
            signing_time,
            signing_certificate,
        ];
        members.sort();
        Ok(Self {
            attrs: members.concat(),
        })
    }

    /// The bytes the signature covers: the attributes encoded as a SET (RFC 5652 §5.4).
    pub fn to_be_signed(&self) -> Vec<u8> {
        tlv::encode(SET, &self.attrs)
    }
}

/// `at` as a DER UTCTime (RFC 5652 §11.3: UTCTime for 1950 to 2049, GeneralizedTime after).
fn utc_time(at: jpid_verify::UnixTime) -> Result<Vec<u8>, der::Error> {
    let t = der::DateTime::from_unix_duration(std::time::Duration::from_secs(at.0))?;
    if t.year() >= 2050 {
        return der::asn1::GeneralizedTime::from_date_time(t).to_der();
    }
    der::asn1::UtcTime::from_date_time(t)?.to_der()
}

/// The DER ContentInfo of a detached SignedData.
pub fn signed_data(
    signer: &ParsedCert,
    attrs: &SignedAttributes,
    signature: &[u8],
) -> Result<Vec<u8>, der::Error> {
    let serial = signer.cert.tbs_certificate.serial_number.to_der()?;
    let signer_info = seq(&[
        &[0x02, 0x01, 0x01],
        &seq(&[signer.issuer_der(), &serial]),
        &alg(ID_SHA256, false),
        &tlv::encode(CTX0, &attrs.attrs),
        &alg(RSA_ENCRYPTION, true),
        &tlv::encode(Tag::new(0x04), signature),
    ]);
    let signed = seq(&[
        &[0x02, 0x01, 0x01],
        &tlv::encode(SET, &alg(ID_SHA256, false)),
        &seq(&[&oid(ID_DATA)]),
        &tlv::encode(CTX0, &signer.der),
        &tlv::encode(SET, &signer_info),
    ]);
    Ok(seq(&[&oid(ID_SIGNED_DATA), &tlv::encode(CTX0, &signed)]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jpid_verify::signature::verify_cms;
    use jpid_verify::{RevocationPolicy, TrustStore, UnixTime};
    use rsa::Pkcs1v15Sign;

    /// Signs `content` with the test holder's signature key, the signed attributes naming
    /// `named` as the signer's certificate, and verifies the result as a relying party would.
    fn sign_and_verify(named: &[u8]) -> jpid_verify::signature::SignatureVerdict {
        let pki = jpid_testpki::load_default().unwrap();
        let holder = pki.jpki_holder().sign();
        let signer = ParsedCert::parse(holder.cert_der()).unwrap();
        let named = ParsedCert::parse(named).unwrap();
        let content_digest: [u8; 32] = Sha256::digest(b"a synthetic contract").into();
        let at = UnixTime::parse("2026-06-01").unwrap();
        let attrs = SignedAttributes::new(&content_digest, &named, at).unwrap();
        let signature = holder
            .private_key()
            .sign(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(attrs.to_be_signed()),
            )
            .unwrap();
        let p7s = signed_data(&signer, &attrs, &signature).unwrap();
        let trust = TrustStore::empty().with_test_anchors(jpid_sim::trust::roots());
        verify_cms(
            &content_digest,
            &p7s,
            &trust,
            at,
            RevocationPolicy::NotChecked,
        )
        .unwrap()
    }

    #[test]
    fn the_signed_attributes_bind_the_signer_certificate() {
        let pki = jpid_testpki::load_default().unwrap();
        let good = sign_and_verify(pki.jpki_holder().sign().cert_der());
        assert!(good.valid(), "{:?}", good.reasons);
        // Attributes naming another certificate (here the holder's authentication one), under a
        // signature that is otherwise correct: refused, and the reason says why.
        let swapped = sign_and_verify(pki.jpki_holder().auth().cert_der());
        assert!(!swapped.valid());
        assert!(
            swapped
                .reasons
                .iter()
                .any(|(code, _)| *code == "signer_certificate_mismatch"),
            "{:?}",
            swapped.reasons
        );
    }

    #[test]
    fn signing_time_is_utc_time_before_2050_and_generalized_after() {
        let t = |s: &str| utc_time(UnixTime::parse(s).unwrap()).unwrap();
        assert_eq!(t("2026-11-23T10:20:30Z"), b"\x17\x0d261123102030Z".to_vec());
        assert_eq!(
            t("2050-01-01T00:00:00Z"),
            b"\x18\x0f20500101000000Z".to_vec()
        );
    }
}
