//! A detached CMS SignedData (RFC 5652) around a signature the card makes: SHA-256, RSA PKCS#1
//! v1.5, the signer certificate included, signed attributes contentType and messageDigest.
//!
//! Built by hand with the TLV writer so that the card, not a software key, signs: the caller gets
//! the bytes to sign ([`SignedAttributes::to_be_signed`]) and hands back the signature.

use der::asn1::ObjectIdentifier;
use der::Encode;
use jpid_apdu::tlv::{self, Tag};
use x509_cert::Certificate;

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");

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
    /// contentType = id-data and messageDigest = `digest` (SHA-256 of the content).
    pub fn new(digest: &[u8]) -> Self {
        let content_type = seq(&[&oid(ID_CONTENT_TYPE), &tlv::encode(SET, &oid(ID_DATA))]);
        let message_digest = seq(&[
            &oid(ID_MESSAGE_DIGEST),
            &tlv::encode(SET, &tlv::encode(Tag::new(0x04), digest)),
        ]);
        // DER orders SET OF members by their encodings.
        let mut members = [content_type, message_digest];
        members.sort();
        Self {
            attrs: members.concat(),
        }
    }

    /// The bytes the signature covers: the attributes encoded as a SET (RFC 5652 §5.4).
    pub fn to_be_signed(&self) -> Vec<u8> {
        tlv::encode(SET, &self.attrs)
    }
}

/// The DER ContentInfo of a detached SignedData.
pub fn signed_data(
    cert_der: &[u8],
    cert: &Certificate,
    attrs: &SignedAttributes,
    signature: &[u8],
) -> Result<Vec<u8>, der::Error> {
    let issuer = cert.tbs_certificate.issuer.to_der()?;
    let serial = cert.tbs_certificate.serial_number.to_der()?;
    let signer_info = seq(&[
        &[0x02, 0x01, 0x01],
        &seq(&[&issuer, &serial]),
        &alg(ID_SHA256, false),
        &tlv::encode(CTX0, &attrs.attrs),
        &alg(RSA_ENCRYPTION, true),
        &tlv::encode(Tag::new(0x04), signature),
    ]);
    let signed = seq(&[
        &[0x02, 0x01, 0x01],
        &tlv::encode(SET, &alg(ID_SHA256, false)),
        &seq(&[&oid(ID_DATA)]),
        &tlv::encode(CTX0, cert_der),
        &tlv::encode(SET, &signer_info),
    ]);
    Ok(seq(&[&oid(ID_SIGNED_DATA), &tlv::encode(CTX0, &signed)]))
}
