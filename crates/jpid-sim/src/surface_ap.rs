//! The files of the simulated card-face AP (券面事項確認AP, docs/spec/mynumber-card.md §4), signed with
//! the test PKI: the AP's CVC under the TEST issuer key `9000023`, and the three data records
//! under the key that CVC certifies. Every value and image is synthetic (the images are the
//! jpid-image fixtures, drawn by jpid's own code).
//!
//! - EF 0001: `FF10 { DF11 YYYYMMDD, DF12 card key, DF13 signature }`, DF13 = PKCS#1 v1.5
//!   SHA-256 over the DF11 and DF12 TLVs (§4 "Other files").
//! - EF 0002: `FF20 82 LL LL { DF21 offsets, DF22 … DF2A }`, DF28 = PKCS#1 v1.5 over a
//!   SHA-256 DigestInfo whose OCTET STRING holds three digests (§4 "DF28 signature").
//! - EF 0003: AP basic info `FF30 { DF31, DF32, DF33, DF34, DF35 }` (§4 "Other files").
//! - EF 0004: the CVC (§3 "EF 0004", issuer `5000023` in production, ours `9000023`).
//! - EF 0005: `FF40 { DF41 PNG, DF42 card key, DF43 signature }` over the DF41 and DF42 TLVs.
//!
//! Which key signs EF 0001 and EF 0005 the fact sheet does not say; MC (`src/ap/surface.rs`,
//! the fact sheet's source for these records) verifies all three records with the key the CVC
//! certifies, and says the `DF12`/`DF24`/`DF42` key is the card's own challenge key. The
//! simulator does the same (UNCONFIRMED, single source).

use jpid_apdu::tlv::{self, Tag, Writer};
use jpid_testpki::{CvcIssuer, TestPki};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256};

use crate::profile::DEFAULT_CARD_EXPIRY;
use crate::text_ap::HOLDER;

/// Synthetic images of the simulated card face (copies of jpid-image fixtures, see
/// `fixtures/images/README.md`).
pub mod images {
    /// Face photo, JP2 greyscale 200×250 (`DF27`).
    pub const FACE_JP2: &[u8] = include_bytes!("../fixtures/images/face-alt.jp2");
    /// Another synthetic face (colour), substituted by `tamper=face-photo`.
    pub const OTHER_FACE_JP2: &[u8] = include_bytes!("../fixtures/images/face.jp2");
    /// Name image, 1-bit PNG (`DF25`).
    pub const NAME_PNG: &[u8] = include_bytes!("../fixtures/images/mynumber-name.png");
    /// Address image, 1-bit PNG (`DF26`).
    pub const ADDRESS_PNG: &[u8] = include_bytes!("../fixtures/images/mynumber-address.png");
    /// Security-code image, 1-bit PNG 24×12 (`DF2A`).
    pub const SECURITY_CODE_PNG: &[u8] =
        include_bytes!("../fixtures/images/mynumber-security-code.png");
    /// My Number image, 1-bit PNG 72×12 (EF 0005 `DF41`).
    pub const MY_NUMBER_PNG: &[u8] = include_bytes!("../fixtures/images/mynumber-my-number.png");
}

/// What to alter in the card-face AP after signing (`tamper=` on the `mynumber` kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurfaceTamper {
    /// `face-photo`: substitute another synthetic face in EF 0002 `DF27`.
    FacePhoto,
    /// `face-dob`: change the birth date in EF 0002 `DF22`.
    FaceDob,
    /// `face-expiry`: change the expiry in EF 0002 `DF29`, which the signature does not cover
    /// (the card still verifies; the verdict lists the expiry as unsigned).
    FaceExpiry,
    /// `birth-record`: change the birth date in EF 0001 `DF11`.
    BirthRecord,
    /// `my-number-image`: substitute another image in EF 0005 `DF41`.
    MyNumberImage,
    /// `surface-cvc`: corrupt the signature of the AP's CVC (EF 0004).
    Cvc,
    /// `surface-cvc-issuer`: certify the AP with the text AP's issuer key (9000033): trusted,
    /// but not for this AP.
    WrongIssuer,
    /// `other-card`: the card-face AP of another card, every signature in it intact: another
    /// holder's birth date and sex in EF 0001 and EF 0002, signed by the AP key, beside this
    /// card's text AP. Only the comparison of the two APs can tell (the chip still answers with
    /// its key, so that nothing else fails).
    OtherCard,
}

/// The holder of the card that `tamper=other-card` takes the card-face AP from.
const OTHER_HOLDER: (&str, &str) = ("19750315", "1");

impl SurfaceTamper {
    /// Every option with its `tamper=` name.
    pub const ALL: [(&'static str, Self); 8] = [
        ("face-photo", Self::FacePhoto),
        ("face-dob", Self::FaceDob),
        ("face-expiry", Self::FaceExpiry),
        ("birth-record", Self::BirthRecord),
        ("my-number-image", Self::MyNumberImage),
        ("surface-cvc", Self::Cvc),
        ("surface-cvc-issuer", Self::WrongIssuer),
        ("other-card", Self::OtherCard),
    ];

    /// Parses a `tamper=` value.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }
}

/// The subject key id of the simulated card-face AP key: jpid's own id (a real one names the
/// municipality, e.g. `1322121/000`, docs/spec/mynumber-card.md §8).
const SUBJECT_ID: &[u8; 16] = b"9999002\x08\x05000\x00\x00\x00\x00";

fn key_id(id7: &str, version: &str) -> Vec<u8> {
    let mut v = id7.as_bytes().to_vec();
    v.extend_from_slice(&[0x08, 0x05]);
    v.extend_from_slice(version.as_bytes());
    v.resize(16, 0);
    v
}

/// `90 03 <e> 91 82 0100 <n>`: an RSA public key as the card-face records carry it.
pub fn public_key_value(key: &RsaPublicKey) -> Vec<u8> {
    let mut v = tlv::encode(Tag::new(0x90), &key.e().to_bytes_be());
    v.extend(tlv::encode(Tag::new(0x91), &key.n().to_bytes_be()));
    v
}

/// The DER DigestInfo DF28 signs: `30 71 { 30 0D { OID sha256, NULL }, 04 60 <96 bytes> }`.
pub fn df28_digest_info(digests: &[u8; 96]) -> Vec<u8> {
    // AlgorithmIdentifier { 2.16.840.1.101.3.4.2.1, NULL }, as in every SHA-256 DigestInfo
    // (RFC 8017 §9.2 note 1); only the OCTET STRING's length differs here.
    let alg: [u8; 15] = [
        0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
    ];
    let mut inner = alg.to_vec();
    inner.extend(tlv::encode(Tag::new(0x04), digests));
    tlv::encode(Tag::new(0x30), &inner)
}

fn sign(key: &rsa::RsaPrivateKey, signed: &[u8]) -> Result<Vec<u8>, String> {
    key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(signed))
        .map_err(|e| e.to_string())
}

/// EF 0002 from its nine objects (DF22 … DF2A), with the offset table in front and the outer
/// length always in the `82 LL LL` form (§4).
fn card_face(objects: &[Vec<u8>]) -> Vec<u8> {
    let table_len = 3 + 2 * objects.len();
    let mut offsets = Vec::new();
    // FF20 (2) + 82 LL LL (3) + the DF21 object.
    let mut at = 5 + table_len;
    for o in objects {
        offsets.extend_from_slice(&u16::try_from(at).unwrap_or(u16::MAX).to_be_bytes());
        at += o.len();
    }
    let mut value = tlv::encode(Tag::new(0xDF21), &offsets);
    for o in objects {
        value.extend_from_slice(o);
    }
    let mut out = vec![0xFF, 0x20, 0x82];
    out.extend_from_slice(&u16::try_from(value.len()).unwrap_or(u16::MAX).to_be_bytes());
    out.extend(value);
    out
}

/// EF 0001 … EF 0005 as `(fid, bytes)`.
pub fn files(
    pki: &TestPki,
    tamper: Option<SurfaceTamper>,
    expiry: Option<&str>,
) -> Result<Vec<(u16, Vec<u8>)>, String> {
    let ap_key = pki.mynumber_surface_ap_key();
    let card_key = public_key_value(&pki.mynumber_surface_card_key().to_public_key());
    let t = |x: u32, v: &[u8]| tlv::encode(Tag::new(x), v);
    let (birth_date, sex) = if tamper == Some(SurfaceTamper::OtherCard) {
        OTHER_HOLDER
    } else {
        (HOLDER.birth_date, HOLDER.sex)
    };

    // EF 0004: the CVC under the card-face AP's issuer key.
    let issuer = if tamper == Some(SurfaceTamper::WrongIssuer) {
        CvcIssuer::TextAp
    } else {
        CvcIssuer::CardFaceAp
    };
    let mut body = key_id(issuer.test_key_id(), "001");
    body.extend_from_slice(SUBJECT_ID);
    body.extend(public_key_value(&ap_key.to_public_key()));
    let mut cvc_sig = pki
        .cvc_key(issuer)
        .private_key()
        .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&body))
        .map_err(|e| e.to_string())?;
    if tamper == Some(SurfaceTamper::Cvc) {
        if let Some(b) = cvc_sig.get_mut(10) {
            *b ^= 0x01;
        }
    }
    let mut w = Writer::new();
    w.constructed(Tag::new(0x7F21), |w| {
        w.primitive(Tag::new(0x5F4E), &body)
            .primitive(Tag::new(0x5F37), &cvc_sig);
    });
    let cvc = w.finish();

    // EF 0001: the birth record.
    let birth_record = |dob: &str, sig: &[u8]| {
        let mut v = t(0xDF11, dob.as_bytes());
        v.extend(t(0xDF12, &card_key));
        v.extend(t(0xDF13, sig));
        t(0xFF10, &v)
    };
    let signed1 = [t(0xDF11, birth_date.as_bytes()), t(0xDF12, &card_key)].concat();
    let sig1 = sign(ap_key, &signed1)?;
    let dob1 = if tamper == Some(SurfaceTamper::BirthRecord) {
        "19800101"
    } else {
        birth_date
    };
    let ef1 = birth_record(dob1, &sig1);

    // EF 0002: the card face; DF28 over three digests.
    let group1 = [
        t(0xDF22, birth_date.as_bytes()),
        t(0xDF23, sex.as_bytes()),
        t(0xDF24, &card_key),
    ]
    .concat();
    let group2 = [t(0xDF25, images::NAME_PNG), t(0xDF26, images::ADDRESS_PNG)].concat();
    let group3 = t(0xDF27, images::FACE_JP2);
    let mut digests = [0u8; 96];
    for (chunk, group) in digests.chunks_mut(32).zip([&group1, &group2, &group3]) {
        chunk.copy_from_slice(&Sha256::digest(group));
    }
    let df28 = ap_key
        .sign(Pkcs1v15Sign::new_unprefixed(), &df28_digest_info(&digests))
        .map_err(|e| e.to_string())?;
    let dob2 = if tamper == Some(SurfaceTamper::FaceDob) {
        "19800101"
    } else {
        birth_date
    };
    let photo = if tamper == Some(SurfaceTamper::FacePhoto) {
        images::OTHER_FACE_JP2
    } else {
        images::FACE_JP2
    };
    let expiry = if tamper == Some(SurfaceTamper::FaceExpiry) {
        "20450101"
    } else {
        expiry.unwrap_or(DEFAULT_CARD_EXPIRY)
    };
    let ef2 = card_face(&[
        t(0xDF22, dob2.as_bytes()),
        t(0xDF23, sex.as_bytes()),
        t(0xDF24, &card_key),
        t(0xDF25, images::NAME_PNG),
        t(0xDF26, images::ADDRESS_PNG),
        t(0xDF27, photo),
        t(0xDF28, &df28),
        t(0xDF29, expiry.as_bytes()),
        t(0xDF2A, images::SECURITY_CODE_PNG),
    ]);

    // EF 0003: AP basic info. DF31 as on MC's card; DF32/DF35 key ids are jpid's own; DF35's
    // 256 bytes are opaque on real cards and zeros here; DF34 the municipality of the common
    // AP record (13101).
    let mut df35 = key_id("9999003", "001");
    df35.resize(16 + 256, 0);
    let mut info = Writer::new();
    info.constructed(Tag::new(0xFF30), |w| {
        w.primitive(Tag::new(0xDF31), &[0x06, 0x03, 0x0E, 0x01])
            .primitive(Tag::new(0xDF32), &key_id("9999003", "001"))
            .primitive(Tag::new(0xDF33), &[0x01])
            .primitive(Tag::new(0xDF34), b"13101")
            .primitive(Tag::new(0xDF35), &df35);
    });

    // EF 0005: the My Number image.
    let signed5 = [t(0xDF41, images::MY_NUMBER_PNG), t(0xDF42, &card_key)].concat();
    let sig5 = sign(ap_key, &signed5)?;
    let image5 = if tamper == Some(SurfaceTamper::MyNumberImage) {
        images::SECURITY_CODE_PNG
    } else {
        images::MY_NUMBER_PNG
    };
    let mut v5 = t(0xDF41, image5);
    v5.extend(t(0xDF42, &card_key));
    v5.extend(t(0xDF43, &sig5));
    let ef5 = t(0xFF40, &v5);

    Ok(vec![
        (0x0001, ef1),
        (0x0002, ef2),
        (0x0003, info.finish()),
        (0x0004, cvc),
        (0x0005, ef5),
    ])
}
