//! The contents of the simulated residence cards: a synthetic holder, real-format images (TIFF
//! G4, JPEG 2000), the check code signed with the test PKI, and deliberate tampering.
//!
//! Layouts follow docs/spec/residence-card.md §3–4 and, for generation 2, the field lengths ERG
//! transcribed from the generation-2 spec (docs/residence.md). Every holder value is synthetic.

use jpid_apdu::tlv::{self, Tag, Writer};
use jpid_testpki::TestPki;
use p384::ecdsa::signature::hazmat::PrehashSigner;
use sha2::{Digest, Sha256};

use crate::profile::SimKind;

/// The synthetic images (committed fixtures; see fixtures/images/README.md).
pub mod images {
    /// Generation-1 card front, bi-level TIFF with CCITT G4 (≤ 7000 bytes).
    pub const FRONT_TIFF: &[u8] = include_bytes!("../fixtures/images/front.tif");
    /// Face photo, colour JPEG 2000 (≤ 3000 bytes).
    pub const FACE_JP2: &[u8] = include_bytes!("../fixtures/images/face.jp2");
    /// A different synthetic face, for `tamper=face` (a substituted photo).
    pub const FACE_ALT_JP2: &[u8] = include_bytes!("../fixtures/images/face-alt.jp2");
    /// Generation-2 name image, TIFF G4 (≤ 2500 bytes).
    pub const NAME_TIFF: &[u8] = include_bytes!("../fixtures/images/name.tif");
    /// Generation-2 address image, TIFF G4 (≤ 2500 bytes).
    pub const ADDRESS_TIFF: &[u8] = include_bytes!("../fixtures/images/address.tif");
}

/// What to alter after signing (`tamper=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    /// Change the front image (gen 1) or the name image (gen 2) after signing.
    Front,
    /// Substitute another face photo after signing.
    Face,
    /// Change the address (not covered by the chip's signature: verification still passes and
    /// says so).
    Address,
    /// Corrupt the check code.
    Signature,
    /// Corrupt the card certificate's signature (it no longer chains to the root).
    Certificate,
}

impl Tamper {
    /// Parses a `tamper=` value.
    pub fn parse(v: &str) -> Option<Self> {
        Some(match v {
            "front" => Self::Front,
            "face" => Self::Face,
            "address" => Self::Address,
            "signature" => Self::Signature,
            "certificate" => Self::Certificate,
            _ => return None,
        })
    }
}

/// The synthetic holder of the simulated residence cards.
#[derive(Debug, Clone)]
pub struct Holder {
    /// Gen-1 address text (stored as Shift_JIS, as ERG reads real cards).
    pub address: &'static str,
    /// Whether the card carries a face photo (cards of holders under 16 may not).
    pub photo: bool,
    /// Generation 2: the card's expiry and the end of the period of stay (default 2031-01-01).
    pub expiry: Option<jpid_model::CardDate>,
}

impl Default for Holder {
    fn default() -> Self {
        Self {
            address: "東京都千代田区霞が関１丁目１番１号　試験住宅１０１",
            photo: true,
            expiry: None,
        }
    }
}

/// The EF contents of one card, by (DF index 0=MF,1,2,3, short EF id).
pub struct CardFiles {
    /// `(df, sfi, bytes)`.
    pub files: Vec<(u8, u8, Vec<u8>)>,
}

/// Sizes of the generation-1 DF2 EFs 01–04 (docs/spec/residence-card.md §3).
pub const GEN1_DF2_SIZES: [usize; 4] = [342, 122, 122, 3];

fn padded(v: &[u8], len: usize) -> Vec<u8> {
    let mut b = v.to_vec();
    if b.len() < len {
        b.resize(len, 0);
    }
    b
}

fn sjis(s: &str) -> Vec<u8> {
    encoding_rs::SHIFT_JIS.encode(s).0.into_owned()
}

fn obj(tag: u32, v: &[u8]) -> Vec<u8> {
    tlv::encode(Tag::new(tag), v)
}

/// Flips one bit of the certificate's signature (its last bytes), keeping it parseable.
fn corrupt_cert(der: &mut [u8]) {
    if let Some(b) = der.iter_mut().rev().nth(8) {
        *b ^= 0x01;
    }
}

/// Builds the files of a residence card of `kind`.
pub fn build(
    kind: SimKind,
    card_number: &str,
    holder: &Holder,
    tamper: Option<Tamper>,
    pki: &TestPki,
) -> Result<CardFiles, String> {
    match kind {
        SimKind::Residence | SimKind::Spr => gen1(kind == SimKind::Residence, holder, tamper, pki),
        SimKind::ResidenceGen2 | SimKind::SprGen2 => gen2(
            kind == SimKind::ResidenceGen2,
            card_number,
            holder,
            tamper,
            pki,
        ),
        _ => Err("not a residence-card kind".into()),
    }
}

fn gen1(
    residence: bool,
    holder: &Holder,
    tamper: Option<Tamper>,
    pki: &TestPki,
) -> Result<CardFiles, String> {
    let front = images::FRONT_TIFF.to_vec();
    let face = if holder.photo {
        images::FACE_JP2.to_vec()
    } else {
        Vec::new()
    };
    // Check code: RSA PKCS#1 v1.5 SHA-256 over D0 value padded to 7000 ‖ D1 value padded to 3000.
    let mut signed = padded(&front, 7000);
    signed.extend(padded(&face, 3000));
    let key = pki.zairyu_signer().private_key();
    let mut check_code = key
        .sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&signed))
        .map_err(|e| e.to_string())?;
    let mut cert = pki.zairyu_signer().cert_der().to_vec();

    let mut front_stored = front;
    let mut face_stored = face;
    let mut address = holder.address.to_string();
    match tamper {
        // An edited front image: still a valid TIFF (extra bytes after the image data are
        // ignored by readers) but not what was signed.
        Some(Tamper::Front) => front_stored.extend_from_slice(b"EDITED"),
        Some(Tamper::Face) => face_stored = images::FACE_ALT_JP2.to_vec(),
        Some(Tamper::Address) => address = "大阪府大阪市北区試験町９－９－９".into(),
        Some(Tamper::Signature) => {
            if let Some(b) = check_code.get_mut(100) {
                *b ^= 0x55;
            }
        }
        Some(Tamper::Certificate) => corrupt_cert(&mut cert),
        None => {}
    }

    let mut files = vec![
        (1, 0x05, obj(0xD0, &front_stored)),
        (1, 0x06, obj(0xD1, &face_stored)),
    ];
    // DF2 files are EFs of fixed size, their objects followed by `00` padding
    // (docs/spec/residence-card.md §3: 342, 122, 122 and 3 bytes; ERG, MDS). Readers written to
    // the spec read them at those sizes.
    let mut addr = Writer::new();
    addr.primitive(Tag::new(0xD2), b"20240401")
        .primitive(Tag::new(0xD3), b"131016")
        .primitive(Tag::new(0xD4), &sjis(&address));
    files.push((2, 0x01, padded(&addr.finish(), GEN1_DF2_SIZES[0])));
    if residence {
        files.push((
            2,
            0x02,
            padded(
                &obj(
                    0xD5,
                    &sjis("許可（原則週２８時間以内・風俗営業等の従事を除く）"),
                ),
                GEN1_DF2_SIZES[1],
            ),
        ));
        files.push((2, 0x03, padded(&obj(0xD6, b""), GEN1_DF2_SIZES[2])));
        files.push((2, 0x04, padded(&obj(0xD7, b"0"), GEN1_DF2_SIZES[3])));
    }
    // DF3/EF01: DA (256) ‖ DB (certificate zero-padded to 1200), docs/spec/residence-card.md §3.
    let mut sig = obj(0xDA, &check_code);
    sig.extend(obj(0xDB, &padded(&cert, 1200)));
    files.push((3, 0x02, sig));
    Ok(CardFiles { files })
}

fn gen2(
    residence: bool,
    card_number: &str,
    holder: &Holder,
    tamper: Option<Tamper>,
    pki: &TestPki,
) -> Result<CardFiles, String> {
    // Printed entries in file order with their fixed lengths (jpid_verify Gen2Layout).
    let expiry = holder
        .expiry
        .map_or_else(|| "20310101".to_string(), |d| d.compact());
    let mut entries: Vec<(u32, &[u8])> = vec![
        (0xC5, expiry.as_bytes()),
        (0xC6, b"19950505"),
        (0xC7, b"2"),
        (0xC8, b"XXX"),
        (0xC9, b"0000000001"),
        (0xCE, b"0500"),
    ];
    if residence {
        entries.extend([
            (0xCA, &b"01"[..]),
            (0xCB, b"20260401"),
            (0xCC, b"1"),
            (0xCD, expiry.as_bytes()),
        ]);
    }
    let mut printed = Writer::new();
    let mut printed_signed = Vec::new();
    for (tag, v) in &entries {
        printed.primitive(Tag::new(*tag), v);
        printed_signed.extend_from_slice(v);
    }
    printed_signed.resize(53, 0);
    let name = padded(images::NAME_TIFF, 2500);
    let face = if holder.photo {
        padded(images::FACE_JP2, 3000)
    } else {
        vec![0; 3000]
    };
    let mut signed = printed_signed;
    signed.extend_from_slice(&face);
    signed.extend_from_slice(&name);
    let key = p384::ecdsa::SigningKey::from(pki.zairyu2_signer().private_key());
    let sig: p384::ecdsa::Signature = key
        .sign_prehash(&Sha256::digest(&signed))
        .map_err(|e| e.to_string())?;
    let mut check_code = sig.to_bytes().to_vec();
    let mut cert = pki.zairyu2_signer().cert_der().to_vec();

    let mut name_stored = name;
    let mut face_stored = face;
    let mut address_image = padded(images::ADDRESS_TIFF, 2500);
    match tamper {
        Some(Tamper::Front) => {
            if let Some(end) = name_stored.iter().rposition(|b| *b != 0) {
                if let Some(b) = name_stored.get_mut(end + 1) {
                    *b = 0x45;
                }
            }
        }
        Some(Tamper::Face) => face_stored = padded(images::FACE_ALT_JP2, 3000),
        Some(Tamper::Address) => {
            if let Some(b) = address_image.last_mut() {
                *b = 0x41;
            }
        }
        Some(Tamper::Signature) => {
            if let Some(b) = check_code.get_mut(20) {
                *b ^= 0x55;
            }
        }
        Some(Tamper::Certificate) => corrupt_cert(&mut cert),
        None => {}
    }

    let mut images_file = obj(0xD0, &name_stored);
    images_file.extend(obj(0xD1, &face_stored));
    let mut files = vec![
        (1, 0x01, obj(0xC2, card_number.as_bytes())),
        (1, 0x03, printed.finish()),
        (1, 0x04, images_file),
        (1, 0x06, obj(0xDFD1, &address_image)),
    ];
    if residence {
        let mut perm = Writer::new();
        perm.primitive(Tag::new(0xD5), b"1")
            .primitive(Tag::new(0xD6), b"20310101")
            .primitive(Tag::new(0xD7), b"0");
        files.push((2, 0x01, perm.finish()));
        files.push((2, 0x02, obj(0xD8, b"0")));
    }
    let mut other = Writer::new();
    other
        .primitive(Tag::new(0xD9), b"0")
        .primitive(Tag::new(0xDE), "".as_bytes());
    files.push((2, 0x03, other.finish()));
    let mut sigfile = obj(0xDC, &check_code);
    sigfile.extend(obj(0xDD, &padded(&cert, 602)));
    files.push((3, 0x02, sigfile));
    Ok(CardFiles { files })
}
