//! A detached CMS SignedData (RFC 5652) around a signature the card makes: SHA-256, RSA PKCS#1
//! v1.5, the signer certificate included, signed attributes contentType, messageDigest,
//! signingTime and the ESS signingCertificateV2 (RFC 5035), which binds the signature to the
//! signer's certificate (the attributes a CAdES-BES signature carries).
//!
//! Built with the `cms` crate's types so that the card, not a software key, signs: the caller
//! gets the bytes to sign ([`SignedAttributes::to_be_signed`]) and hands back the signature.
//! Only the ESS signingCertificateV2 value, for which no kept library has a type, is written with
//! jpid's TLV writer (it names the issuer exactly as the certificate holds it).

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{Any, ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode, Encode};
use jpid_apdu::tlv::{self, Tag};
use jpid_verify::x509::ParsedCert;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::{Attribute, Attributes};

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

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv::encode(SEQUENCE, &parts.concat())
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, der::Error> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

/// The signed attributes over a content digest.
pub struct SignedAttributes {
    attrs: Attributes,
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
        let content_type = attribute(ID_CONTENT_TYPE, Any::encode_from(&ID_DATA)?)?;
        let message_digest = attribute(
            ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest)?)?,
        )?;
        let signing_time = attribute(ID_SIGNING_TIME, Any::from_der(&signing_time(at)?)?)?;
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
        let signing_certificate = attribute(
            ID_SIGNING_CERTIFICATE_V2,
            Any::from_der(&seq(&[&seq(&[&ess_cert_id])]))?,
        )?;
        // A SET OF: the crate orders the members by their encodings, as DER requires.
        let attrs = SetOfVec::try_from(vec![
            content_type,
            message_digest,
            signing_time,
            signing_certificate,
        ])?;
        Ok(Self { attrs })
    }

    /// The bytes the signature covers: the attributes encoded as a SET (RFC 5652 §5.4).
    pub fn to_be_signed(&self) -> Result<Vec<u8>, der::Error> {
        self.attrs.to_der()
    }
}

/// `at` as a DER UTCTime (RFC 5652 §11.3: UTCTime for 1950 to 2049, GeneralizedTime after).
fn signing_time(at: jpid_verify::UnixTime) -> Result<Vec<u8>, der::Error> {
    let t = der::DateTime::from_unix_duration(std::time::Duration::from_secs(at.0))?;
    if t.year() >= 2050 {
        return der::asn1::GeneralizedTime::from_date_time(t).to_der();
    }
    der::asn1::UtcTime::from_date_time(t)?.to_der()
}

fn algorithm(oid: ObjectIdentifier, null_params: bool) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: null_params.then_some(Any::null()),
    }
}

/// The DER ContentInfo of a detached SignedData, carrying the signer's certificate and, when
/// given, its CA's.
pub fn signed_data(
    signer: &ParsedCert,
    ca: Option<&ParsedCert>,
    attrs: &SignedAttributes,
    signature: &[u8],
) -> Result<Vec<u8>, der::Error> {
    let tbs = &signer.cert.tbs_certificate;
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: tbs.issuer.clone(),
            serial_number: tbs.serial_number.clone(),
        }),
        digest_alg: algorithm(ID_SHA256, false),
        signed_attrs: Some(attrs.attrs.clone()),
        signature_algorithm: algorithm(RSA_ENCRYPTION, true),
        signature: OctetString::new(signature)?,
        unsigned_attrs: None,
    };
    let signed = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![algorithm(ID_SHA256, false)])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(SetOfVec::try_from(
            std::iter::once(signer)
                .chain(ca)
                .map(|c| CertificateChoices::Certificate(c.cert.clone()))
                .collect::<Vec<_>>(),
        )?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
    };
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed)?,
    }
    .to_der()
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
                &Sha256::digest(attrs.to_be_signed().unwrap()),
            )
            .unwrap();
        let p7s = signed_data(&signer, None, &attrs, &signature).unwrap();
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
                .any(|r| r.code == "signer_certificate_mismatch"),
            "{:?}",
            swapped.reasons
        );
    }

    #[test]
    fn signing_time_is_utc_time_before_2050_and_generalized_after() {
        let t = |s: &str| signing_time(UnixTime::parse(s).unwrap()).unwrap();
        assert_eq!(t("2026-11-23T10:20:30Z"), b"\x17\x0d261123102030Z".to_vec());
        assert_eq!(
            t("2050-01-01T00:00:00Z"),
            b"\x18\x0f20500101000000Z".to_vec()
        );
    }
}
