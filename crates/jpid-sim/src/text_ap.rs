//! The files of the simulated card-face entry auxiliary AP (docs/spec/mynumber-card.md §3), signed
//! with the test PKI: the AP's CVC under the TEST issuer key `9000033`, and the integrity record
//! under the AP's own key. Every value is synthetic.

use jpid_apdu::tlv::{self, Tag, Writer};
use jpid_testpki::{CvcIssuer, TestPki};
use rsa::traits::PublicKeyParts;
use rsa::Pkcs1v15Sign;
use sha2::{Digest, Sha256};

use crate::profile::DEFAULT_MY_NUMBER;

/// The synthetic holder of the simulated My Number card (the same person as its JPKI
/// certificates).
pub struct TextHolder {
    /// 氏名.
    pub name: &'static str,
    /// 住所.
    pub address: &'static str,
    /// YYYYMMDD.
    pub birth_date: &'static str,
    /// 1, 2 or 9.
    pub sex: &'static str,
}

/// The default holder.
pub const HOLDER: TextHolder = TextHolder {
    name: "試験　花子",
    address: "東京都千代田区霞が関１－１－１",
    birth_date: "19900101",
    sex: "2",
};

/// What to alter after signing (`tamper=` on the My Number kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextTamper {
    /// Change the name in EF 0002.
    Basic,
    /// Change the My Number in EF 0001.
    MyNumber,
    /// Corrupt the CVC's signature.
    Cvc,
    /// Certify the AP with the card-face AP's issuer key (9000023): trusted, but not for this AP.
    WrongIssuer,
}

/// The subject key id of the simulated AP key: jpid's own (a real one reads like
/// `"1322121" 08 05 "000" …`, docs/spec/mynumber-card.md §3).
const SUBJECT_ID: &[u8; 16] = b"9999001\x08\x05000\x00\x00\x00\x00";

fn key_id(id7: &str, version: &str) -> Vec<u8> {
    let mut v = id7.as_bytes().to_vec();
    v.extend_from_slice(&[0x08, 0x05]);
    v.extend_from_slice(version.as_bytes());
    v.resize(16, 0);
    v
}

/// EF 0001 … EF 0005 and EF 0007 as `(fid, bytes)`.
pub fn files(pki: &TestPki, tamper: Option<TextTamper>) -> Result<Vec<(u16, Vec<u8>)>, String> {
    let ap_key = pki.mynumber_text_ap_key();
    // EF 0004: the CVC.
    let issuer = if tamper == Some(TextTamper::WrongIssuer) {
        CvcIssuer::CardFaceAp
    } else {
        CvcIssuer::TextAp
    };
    let mut body = key_id(issuer.test_key_id(), "001");
    body.extend_from_slice(SUBJECT_ID);
    let mut e = ap_key.e().to_bytes_be();
    let n = ap_key.n().to_bytes_be();
    body.extend(tlv::encode(Tag::new(0x90), &e));
    body.extend(tlv::encode(Tag::new(0x91), &n));
    let ca = pki.cvc_key(issuer).private_key();
    let mut cvc_sig = ca
        .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&body))
        .map_err(|e| e.to_string())?;
    if tamper == Some(TextTamper::Cvc) {
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
    e.clear();

    // EF 0001: FF10 0C <12 digits> FF FF (17 bytes physically).
    let ef1 = |number: &str| {
        let mut v = tlv::encode(Tag::new(0xFF10), number.as_bytes());
        v.extend_from_slice(&[0xFF, 0xFF]);
        v
    };
    // EF 0002: FF20 { DF21 offsets, DF22 name, DF23 address, DF24 birth date, DF25 sex }.
    let ef2 = |name: &str| -> (Vec<u8>, Vec<u8>) {
        let items = [
            tlv::encode(Tag::new(0xDF22), name.as_bytes()),
            tlv::encode(Tag::new(0xDF23), HOLDER.address.as_bytes()),
            tlv::encode(Tag::new(0xDF24), HOLDER.birth_date.as_bytes()),
            tlv::encode(Tag::new(0xDF25), HOLDER.sex.as_bytes()),
        ];
        let signed: Vec<u8> = items.concat();
        let inner_len = 3 + 8 + signed.len();
        let header = if inner_len < 0x80 {
            3
        } else if inner_len < 0x100 {
            4
        } else {
            5
        };
        let mut offsets = Vec::new();
        let mut at = header + 3 + 8;
        for item in &items {
            offsets.extend_from_slice(&u16::try_from(at).unwrap_or(0).to_be_bytes());
            at += item.len();
        }
        let mut value = tlv::encode(Tag::new(0xDF21), &offsets);
        value.extend_from_slice(&signed);
        (tlv::encode(Tag::new(0xFF20), &value), signed)
    };
    let my_number = ef1(DEFAULT_MY_NUMBER);
    let (basic, basic_signed) = ef2(HOLDER.name);

    // EF 0003: DF31 / DF32 digests and DF33, signed by the AP key.
    let d31 = tlv::encode(Tag::new(0xDF31), &Sha256::digest(&my_number));
    let d32 = tlv::encode(Tag::new(0xDF32), &Sha256::digest(&basic_signed));
    let signed = [d31.as_slice(), d32.as_slice()].concat();
    let d33 = ap_key
        .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&signed))
        .map_err(|e| e.to_string())?;
    let integrity = tlv::encode(
        Tag::new(0xFF30),
        &[signed, tlv::encode(Tag::new(0xDF33), &d33)].concat(),
    );

    let my_number = match tamper {
        Some(TextTamper::MyNumber) => ef1("999900000002"),
        _ => my_number,
    };
    let basic = match tamper {
        Some(TextTamper::Basic) => ef2("試験　花男").0,
        _ => basic,
    };
    // EF 0005: FF40 { DF41 spec version etc., DF42 key id } (DF43 omitted).
    let mut info = Writer::new();
    info.constructed(Tag::new(0xFF40), |w| {
        w.primitive(Tag::new(0xDF41), &[0x01, 0x03, 0x0E, 0x01])
            .primitive(Tag::new(0xDF42), SUBJECT_ID);
    });
    // EF 0007: FF50 { DF51 the chip's own public key, DF52 the AP key's signature over the
    // DF51 object } (docs/spec/mynumber-card.md §3, MC only, UNCONFIRMED). The chip signs
    // challenges with the private half (`80 2A 00 00`, no PIN; crate::jpki).
    let card_key = pki.mynumber_surface_card_key().to_public_key();
    let mut key_value = tlv::encode(Tag::new(0x90), &card_key.e().to_bytes_be());
    key_value.extend(tlv::encode(Tag::new(0x91), &card_key.n().to_bytes_be()));
    let d51 = tlv::encode(Tag::new(0xDF51), &key_value);
    let d52 = ap_key
        .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&d51))
        .map_err(|e| e.to_string())?;
    let signed_key = tlv::encode(
        Tag::new(0xFF50),
        &[d51, tlv::encode(Tag::new(0xDF52), &d52)].concat(),
    );
    // EF 0006: the RSA public key for secure messaging, A1 { 90, 91 } (docs/spec/mynumber-card.md
    // §3, MC). jpid uses no secure messaging here; the key is the AP key's public half,
    // synthetic like every key of the simulator.
    let sm_key = ap_key.to_public_key();
    let mut sm_value = tlv::encode(Tag::new(0x90), &sm_key.e().to_bytes_be());
    sm_value.extend(tlv::encode(Tag::new(0x91), &sm_key.n().to_bytes_be()));
    let sm = tlv::encode(Tag::new(0xA1), &sm_value);
    Ok(vec![
        (0x0001, my_number),
        (0x0002, basic),
        (0x0003, integrity),
        (0x0004, cvc),
        (0x0005, info.finish()),
        (0x0006, sm),
        (0x0007, signed_key),
        // EF 0008: 16 bytes of FF, purpose unknown (§3, MC).
        (0x0008, vec![0xFF; 16]),
    ])
}
