//! The residence card's secure-messaging unwrap and authentication check (`jpid-card`,
//! `residence::session::unwrap_sm`, `residence::crypto::check_icc_cryptogram`, padding), for
//! both chip generations: 3DES with the retail MAC and AES with CMAC. The session key is fixed
//! (the spec's §7 generation-1 session key); the card's answer is the fuzz input.
//!
//! Input: byte 0 picks the suite (bit 0: AES), the rest is the card's answer.
//!
//! Checks, beyond "no panic":
//! - `unwrap_sm` accepts only one `86` object (plus filler) whose value is `01` ‖ whole blocks
//!   that decrypt to `data ‖ 80 ‖ 00…`, and then returns exactly `data` (checked by decrypting
//!   independently); every refusal is `ResidenceError::SecureMessaging`;
//! - round trip: `86 L 01 ‖ E(pad(x))` unwraps to `x` for `x` = the answer bytes themselves;
//! - `unpad(pad(x)) == x`, and `pad` is whole blocks;
//! - `check_icc_cryptogram` on the answer refuses anything but 40 bytes (`Length`) and, for a
//!   well-formed answer built from the input (E = E(RND.ICC ‖ RND.IFD ‖ K.ICC), M = MAC(E)),
//!   returns K.ICC; the same answer with one byte changed is refused.
#![no_main]

use jpid_apdu::tlv;
use jpid_apdu::Tag;
use jpid_card::residence::crypto::{self, CryptoError, Key16, Suite};
use jpid_card::residence::session::{unwrap_sm, Session};
use jpid_card::residence::ResidenceError;
use libfuzzer_sys::fuzz_target;

const KS: [u8; 16] = [
    0xCE, 0x94, 0x93, 0x8E, 0x19, 0xE3, 0xB9, 0x7D, 0xF9, 0x6E, 0xAB, 0xCE, 0xDC, 0x17, 0x15, 0xCC,
];
const RND_IFD: [u8; 8] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];
const RND_ICC: [u8; 8] = [0x5A, 0x6E, 0x7E, 0x38, 0x51, 0x62, 0xB7, 0xA3];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, answer)) = data.split_first() else {
        return;
    };
    let suite = if mode & 1 == 1 {
        Suite::Aes
    } else {
        Suite::Tdes
    };
    let key = Key16::new(KS);
    let session = Session::from_key(suite, key.clone());

    // 1. The answer as the card sent it.
    match unwrap_sm(&session, "fuzz", answer) {
        Ok(plain) => {
            let obj = tlv::expect_single(answer, Tag::new(0x86)).expect("accepted, so one 86");
            let (ind, cryptogram) = obj.value().split_first().expect("accepted, so not empty");
            assert_eq!(*ind, 0x01, "accepted padding indicator {ind:02X}");
            assert_eq!(cryptogram.len() % suite.block(), 0);
            let dec = crypto::decrypt(suite, &key, cryptogram).expect("whole blocks decrypt");
            assert!(
                dec.starts_with(&plain),
                "unwrap returned other bytes than decrypted"
            );
            let tail = &dec[plain.len()..];
            assert!(
                tail.first() == Some(&0x80) && tail[1..].iter().all(|b| *b == 0),
                "unwrap accepted padding {tail:02X?}"
            );
        }
        Err(ResidenceError::SecureMessaging { file, .. }) => assert_eq!(file, "fuzz"),
        Err(e) => panic!("unwrap_sm failed with {e:?}, not SecureMessaging"),
    }

    // 2. Round trip through a well-formed answer carrying the input.
    let padded = crypto::pad(suite, answer);
    assert_eq!(padded.len() % suite.block(), 0);
    assert!(padded.len() > answer.len() && padded.len() <= answer.len() + suite.block());
    assert_eq!(crypto::unpad(suite, &padded), Ok(answer));
    let cryptogram = crypto::encrypt(suite, &key, &padded).expect("padded is whole blocks");
    let mut body = vec![0x01];
    body.extend_from_slice(&cryptogram);
    let wrapped = tlv::encode(Tag::new(0x86), &body);
    assert_eq!(
        unwrap_sm(&session, "fuzz", &wrapped).expect("own wrapping unwraps"),
        answer
    );

    // 3. MUTUAL AUTHENTICATE answers.
    match crypto::check_icc_cryptogram(suite, &key, answer, &RND_IFD, &RND_ICC) {
        Err(CryptoError::Length { got, .. }) => assert_eq!(got, answer.len()),
        Ok(_) => assert_eq!(answer.len(), 40),
        Err(CryptoError::BadMac | CryptoError::ChallengeMismatch) => {
            assert_eq!(answer.len(), 40)
        }
        Err(e) => panic!("unexpected {e:?}"),
    }
    let mut k_icc = [0u8; 16];
    for (k, b) in k_icc.iter_mut().zip(answer) {
        *k = *b;
    }
    let mut plain = RND_ICC.to_vec();
    plain.extend_from_slice(&RND_IFD);
    plain.extend_from_slice(&k_icc);
    let e = crypto::encrypt(suite, &key, &plain).expect("32 bytes");
    let mut good = e.clone();
    good.extend_from_slice(&crypto::mac(suite, &key, &e));
    let got = crypto::check_icc_cryptogram(suite, &key, &good, &RND_IFD, &RND_ICC)
        .expect("a well-formed answer passes");
    assert_eq!(got.expose(), &k_icc);
    let at = answer.len() % 40;
    good[at] ^= answer.first().copied().unwrap_or(1).max(1);
    assert!(
        crypto::check_icc_cryptogram(suite, &key, &good, &RND_IFD, &RND_ICC).is_err(),
        "a changed answer passes"
    );
});
