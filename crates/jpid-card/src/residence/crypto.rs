//! Residence-card access control and secure messaging cryptography, both chip generations
//! (docs/spec/residence-card.md §2, all CONFIRMED by the spec's worked examples in §7).
//!
//! - Base key: the first 16 bytes of SHA-1 over the 12 ASCII characters of the card number.
//! - Generation 1: 2-key 3DES-CBC (IV 0) and the ISO/IEC 9797-1 MAC algorithm 3 ("retail MAC",
//!   padding method 2).
//! - Generation 2: AES-128-CBC (IV 0) and AES-CMAC truncated to 8 bytes.
//! - Session key: the first 16 bytes of SHA-1((K.IFD ⊕ K.ICC) ‖ 00 00 00 01).
//! - Secure messaging is encryption only: `86 L 01 ‖ cryptogram`, padding `80 00…`, IV 0 for
//!   every message.

use aes::Aes128;
use cbc::cipher::{block_padding::NoPadding, BlockDecryptMut, BlockEncryptMut, KeyInit, KeyIvInit};
use cmac::{Cmac, Mac};
use des::{Des, TdesEde2};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

/// Which cipher suite a chip generation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// Generation 1 (card types `1`, `2`): 3DES and the retail MAC.
    Tdes,
    /// Generation 2 (card types `05`, `06`): AES-128 and CMAC.
    Aes,
}

impl Suite {
    /// Cipher block size in bytes.
    pub fn block(self) -> usize {
        match self {
            Self::Tdes => 8,
            Self::Aes => 16,
        }
    }
}

/// A 16-byte secret key, wiped on drop, never printed.
#[derive(Clone)]
pub struct Key16(Zeroizing<[u8; 16]>);

impl Key16 {
    /// Wraps key bytes.
    pub fn new(bytes: [u8; 16]) -> Self {
        Self(Zeroizing::new(bytes))
    }
    /// The key bytes.
    pub fn expose(&self) -> &[u8; 16] {
        &self.0
    }
}

impl std::fmt::Debug for Key16 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key16(REDACTED)")
    }
}

/// Errors of the residence-card cryptography.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// Ciphertext whose length is not a whole number of blocks.
    #[error("ciphertext of {0} bytes is not a whole number of cipher blocks")]
    NotBlockAligned(usize),
    /// Plaintext without valid `80 00…` padding.
    #[error("decrypted data has no valid ISO/IEC 7816-4 padding")]
    BadPadding,
    /// A MAC that does not match.
    #[error("the card's MAC does not match: wrong card number, or not a genuine card")]
    BadMac,
    /// The card's decrypted authentication data does not echo our challenge.
    #[error("the card's authentication data does not echo the challenges")]
    ChallengeMismatch,
    /// A message of the wrong size.
    #[error("{what} must be {expected} bytes, got {got}")]
    Length {
        /// Which message.
        what: &'static str,
        /// Expected size.
        expected: usize,
        /// Actual size.
        got: usize,
    },
}

/// Kenc = Kmac = SHA-1(card number)[0..16] (docs/spec/residence-card.md §2).
pub fn base_key(card_number: &str) -> Key16 {
    let digest = Sha1::digest(card_number.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(digest.get(..16).unwrap_or(&[0u8; 16]));
    Key16::new(k)
}

/// KSenc = SHA-1((K.IFD ⊕ K.ICC) ‖ 00 00 00 01)[0..16] (docs/spec/residence-card.md §2).
pub fn session_key(k_ifd: &[u8; 16], k_icc: &[u8; 16]) -> Key16 {
    let mut x = Zeroizing::new([0u8; 20]);
    for (i, (a, b)) in k_ifd.iter().zip(k_icc).enumerate() {
        if let Some(slot) = x.get_mut(i) {
            *slot = a ^ b;
        }
    }
    if let Some(tail) = x.get_mut(16..) {
        tail.copy_from_slice(&[0, 0, 0, 1]);
    }
    let mut d = Sha1::digest(&x[..]);
    let mut k = [0u8; 16];
    k.copy_from_slice(d.get(..16).unwrap_or(&[0u8; 16]));
    d.zeroize();
    Key16::new(k)
}

fn check_aligned(suite: Suite, data: &[u8]) -> Result<(), CryptoError> {
    if !data.len().is_multiple_of(suite.block()) {
        return Err(CryptoError::NotBlockAligned(data.len()));
    }
    Ok(())
}

/// CBC encryption with IV 0, no padding (the caller pads).
pub fn encrypt(suite: Suite, key: &Key16, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    check_aligned(suite, data)?;
    let mut buf = data.to_vec();
    let len = buf.len();
    let out = match suite {
        Suite::Tdes => cbc::Encryptor::<TdesEde2>::new(key.expose().into(), &[0u8; 8].into())
            .encrypt_padded_mut::<NoPadding>(&mut buf, len)
            .map(|o| o.len()),
        Suite::Aes => cbc::Encryptor::<Aes128>::new(key.expose().into(), &[0u8; 16].into())
            .encrypt_padded_mut::<NoPadding>(&mut buf, len)
            .map(|o| o.len()),
    };
    out.map_err(|_| CryptoError::NotBlockAligned(len))?;
    Ok(buf)
}

/// CBC decryption with IV 0, no unpadding; the result is wiped on drop.
pub fn decrypt(suite: Suite, key: &Key16, data: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    check_aligned(suite, data)?;
    let mut buf = Zeroizing::new(data.to_vec());
    let out = match suite {
        Suite::Tdes => cbc::Decryptor::<TdesEde2>::new(key.expose().into(), &[0u8; 8].into())
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map(|o| o.len()),
        Suite::Aes => cbc::Decryptor::<Aes128>::new(key.expose().into(), &[0u8; 16].into())
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map(|o| o.len()),
    };
    out.map_err(|_| CryptoError::NotBlockAligned(data.len()))?;
    Ok(buf)
}

/// ISO/IEC 7816-4 padding (method 2): `80`, then `00` up to a whole block.
pub fn pad(suite: Suite, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(data.len() + suite.block());
    v.extend_from_slice(data);
    v.push(0x80);
    while !v.len().is_multiple_of(suite.block()) {
        v.push(0);
    }
    v
}

/// Removes ISO/IEC 7816-4 padding: the last non-zero byte is `80`, and the padding (`80` and
/// the zeros after it) ends a whole block and is no longer than one block of `suite`'s cipher.
pub fn unpad(suite: Suite, data: &[u8]) -> Result<&[u8], CryptoError> {
    if !data.len().is_multiple_of(suite.block()) {
        return Err(CryptoError::BadPadding);
    }
    let end = data
        .iter()
        .rposition(|b| *b != 0)
        .ok_or(CryptoError::BadPadding)?;
    if data.len() - end > suite.block() {
        return Err(CryptoError::BadPadding);
    }
    match data.get(end) {
        Some(0x80) => Ok(data.get(..end).unwrap_or_default()),
        _ => Err(CryptoError::BadPadding),
    }
}

/// ISO/IEC 9797-1 MAC algorithm 3 with DES ("retail MAC"), padding method 2, 8-byte output:
/// single-DES CBC-MAC under K1, then decrypt with K2 and encrypt with K1.
pub fn retail_mac(key: &Key16, data: &[u8]) -> [u8; 8] {
    retail_mac_blocks(key, &pad(Suite::Tdes, data))
}

/// The MAC algorithm 3 core over data already padded to whole 8-byte blocks (a partial last
/// block is zero-filled, i.e. padding method 1).
fn retail_mac_blocks(key: &Key16, padded: &[u8]) -> [u8; 8] {
    use des::cipher::{generic_array::GenericArray, BlockDecrypt, BlockEncrypt};
    let (k1, k2) = key.expose().split_at(8);
    let (Ok(d1), Ok(d2)) = (Des::new_from_slice(k1), Des::new_from_slice(k2)) else {
        return [0; 8];
    };
    let mut state = GenericArray::from([0u8; 8]);
    for chunk in padded.chunks(8) {
        for (s, b) in state.iter_mut().zip(chunk) {
            *s ^= b;
        }
        d1.encrypt_block(&mut state);
    }
    d2.decrypt_block(&mut state);
    d1.encrypt_block(&mut state);
    state.into()
}

/// AES-CMAC truncated to 8 bytes (generation 2).
pub fn cmac8(key: &Key16, data: &[u8]) -> [u8; 8] {
    let Ok(mut mac) = <Cmac<Aes128> as Mac>::new_from_slice(key.expose()) else {
        return [0; 8];
    };
    mac.update(data);
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; 8];
    out.copy_from_slice(full.get(..8).unwrap_or(&[0u8; 8]));
    out
}

/// The suite's 8-byte MAC.
pub fn mac(suite: Suite, key: &Key16, data: &[u8]) -> [u8; 8] {
    match suite {
        Suite::Tdes => retail_mac(key, data),
        Suite::Aes => cmac8(key, data),
    }
}

/// Constant-time comparison of MACs.
pub fn mac_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// The terminal's MUTUAL AUTHENTICATE data: E.IFD = E(RND.IFD ‖ RND.ICC ‖ K.IFD) and its MAC.
pub fn ifd_cryptogram(
    suite: Suite,
    key: &Key16,
    rnd_ifd: &[u8; 8],
    rnd_icc: &[u8; 8],
    k_ifd: &[u8; 16],
) -> Result<(Vec<u8>, [u8; 8]), CryptoError> {
    let mut s = Zeroizing::new(Vec::with_capacity(32));
    s.extend_from_slice(rnd_ifd);
    s.extend_from_slice(rnd_icc);
    s.extend_from_slice(k_ifd);
    let e = encrypt(suite, key, &s)?;
    let m = mac(suite, key, &e);
    Ok((e, m))
}

/// Checks the card's answer (E.ICC ‖ M.ICC) and returns K.ICC: the MAC must match, and the
/// plaintext must be RND.ICC ‖ RND.IFD ‖ K.ICC (the card's random first).
pub fn check_icc_cryptogram(
    suite: Suite,
    key: &Key16,
    answer: &[u8],
    rnd_ifd: &[u8; 8],
    rnd_icc: &[u8; 8],
) -> Result<Key16, CryptoError> {
    if answer.len() != 40 {
        return Err(CryptoError::Length {
            what: "MUTUAL AUTHENTICATE answer",
            expected: 40,
            got: answer.len(),
        });
    }
    let (e_icc, m_icc) = answer.split_at(32);
    if !mac_eq(&mac(suite, key, e_icc), m_icc) {
        return Err(CryptoError::BadMac);
    }
    let plain = decrypt(suite, key, e_icc)?;
    let ok_icc: bool = plain.get(..8).unwrap_or_default().ct_eq(rnd_icc).into();
    let ok_ifd: bool = plain.get(8..16).unwrap_or_default().ct_eq(rnd_ifd).into();
    if !(ok_icc && ok_ifd) {
        return Err(CryptoError::ChallengeMismatch);
    }
    let mut k = [0u8; 16];
    k.copy_from_slice(plain.get(16..32).unwrap_or(&[0u8; 16]));
    Ok(Key16::new(k))
}

#[cfg(test)]
mod tests {
    //! docs/spec/residence-card.md §7: the spec's worked examples, every intermediate value.
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }
    fn a8(s: &str) -> [u8; 8] {
        h(s).try_into().unwrap()
    }
    fn a16(s: &str) -> [u8; 16] {
        h(s).try_into().unwrap()
    }

    const CARD: &str = "AA12345678BB";
    const RND_IFD: &str = "1122334455667788";
    const K_IFD: &str = "404142434445464748494A4B4C4D4E4F";

    #[test]
    fn gen1_worked_example() {
        // SHA-1 6522B4E1…AA25 → Kenc = Kmac.
        assert_eq!(
            hex::encode_upper(Sha1::digest(CARD.as_bytes())),
            "6522B4E171195BB218223A976C040111BDC4AA25"
        );
        let k = base_key(CARD);
        assert_eq!(k.expose(), &a16("6522B4E171195BB218223A976C040111"));
        let rnd_icc = a8("5A6E7E385162B7A3");
        let (e_ifd, m_ifd) =
            ifd_cryptogram(Suite::Tdes, &k, &a8(RND_IFD), &rnd_icc, &a16(K_IFD)).unwrap();
        assert_eq!(
            e_ifd,
            h("937745C20883A1BAD1E04193722A1592378F81A8F1DC589157AEB0F7544FA1BA")
        );
        assert_eq!(m_ifd, a8("1AD7FB6A3389E017"));
        let mut answer = h("5860775B4D032CC564BA204B8EA868F694A74E7475A8FEF240588BDA1AF496CE");
        assert_eq!(retail_mac(&k, &answer), a8("59388FD6CD45248B"));
        let plain = decrypt(Suite::Tdes, &k, &answer).unwrap();
        assert_eq!(
            plain.to_vec(),
            h("5A6E7E385162B7A3 1122334455667788 19D049490FFF52EEDBFCB930BC810ED0")
        );
        answer.extend_from_slice(&h("59388FD6CD45248B"));
        let k_icc = check_icc_cryptogram(Suite::Tdes, &k, &answer, &a8(RND_IFD), &rnd_icc).unwrap();
        assert_eq!(k_icc.expose(), &a16("19D049490FFF52EEDBFCB930BC810ED0"));
        let x: Vec<u8> = a16(K_IFD)
            .iter()
            .zip(k_icc.expose())
            .map(|(a, b)| a ^ b)
            .collect();
        assert_eq!(x, h("59910B0A4BBA14A993B5F37BF0CC409F"));
        let ks = session_key(&a16(K_IFD), k_icc.expose());
        assert_eq!(ks.expose(), &a16("CE94938E19E3B97DF96EABCEDC1715CC"));
        let verify = encrypt(Suite::Tdes, &ks, &pad(Suite::Tdes, CARD.as_bytes())).unwrap();
        assert_eq!(verify, h("1AA82973DB959A811F9711D728F0EEF6"));
    }

    #[test]
    fn gen2_worked_example() {
        let k = base_key(CARD);
        let rnd_icc = a8("921CE277323DA057");
        let (e_ifd, m_ifd) =
            ifd_cryptogram(Suite::Aes, &k, &a8(RND_IFD), &rnd_icc, &a16(K_IFD)).unwrap();
        assert_eq!(
            e_ifd,
            h("4AD3C7B6BB484A52771977DED618B41DF841FA0476A05FBE041DEAD6109E773B")
        );
        assert_eq!(m_ifd, a8("AC854617634F5397"));
        let mut answer = h("289A96B1DA6AE3DA87770419BFD14F0BDAD15F36432B5A946C188C7221759A62");
        assert_eq!(cmac8(&k, &answer), a8("FA942EC51E62FF5F"));
        answer.extend_from_slice(&h("FA942EC51E62FF5F"));
        let k_icc = check_icc_cryptogram(Suite::Aes, &k, &answer, &a8(RND_IFD), &rnd_icc).unwrap();
        assert_eq!(k_icc.expose(), &a16("2CC6AF9B8B607C662FDCAD27B401D08B"));
        let ks = session_key(&a16(K_IFD), k_icc.expose());
        assert_eq!(ks.expose(), &a16("C19CF13D3D7FBEE9EA293D834C88952F"));
        let verify = encrypt(Suite::Aes, &ks, &pad(Suite::Aes, CARD.as_bytes())).unwrap();
        assert_eq!(verify, h("EE0B31EF877F68D071C56D58C72E6748"));
    }

    #[test]
    fn retail_mac_iso_example() {
        // ISO/IEC 9797-1 MAC algorithm 3 example quoted by docs/spec/ecosystem.md §6 (padding
        // method 1: the message is already whole blocks): key 0123…3210,
        // "Now is the time for all ".
        let k = Key16::new(a16("0123456789ABCDEFFEDCBA9876543210"));
        assert_eq!(
            retail_mac_blocks(&k, b"Now is the time for all "),
            a8("A1C72E74EA3FA9B6")
        );
        // retail_mac itself adds method-2 padding: a full extra block here, so a different value.
        assert_ne!(
            retail_mac(&k, b"Now is the time for all "),
            a8("A1C72E74EA3FA9B6")
        );
    }

    #[test]
    fn wrong_card_number_fails_the_mac() {
        let k = base_key("AA12345678BC");
        let mut answer =
            h("5860775B4D032CC564BA204B8EA868F694A74E7475A8FEF240588BDA1AF496CE59388FD6CD45248B");
        assert_eq!(
            check_icc_cryptogram(
                Suite::Tdes,
                &k,
                &answer,
                &a8(RND_IFD),
                &a8("5A6E7E385162B7A3")
            )
            .err(),
            Some(CryptoError::BadMac)
        );
        answer.pop();
        assert!(matches!(
            check_icc_cryptogram(
                Suite::Tdes,
                &k,
                &answer,
                &a8(RND_IFD),
                &a8("5A6E7E385162B7A3")
            ),
            Err(CryptoError::Length { .. })
        ));
    }

    #[test]
    fn padding_round_trip_and_errors() {
        for suite in [Suite::Tdes, Suite::Aes] {
            for n in 0..40 {
                let data: Vec<u8> = (0..n as u8).collect();
                let p = pad(suite, &data);
                assert_eq!(p.len() % suite.block(), 0);
                assert_eq!(unpad(suite, &p).unwrap(), &data[..]);
            }
        }
        let t = Suite::Tdes;
        assert_eq!(unpad(t, &[0; 8]), Err(CryptoError::BadPadding));
        assert_eq!(
            unpad(t, &[1, 2, 0x81, 0, 0, 0, 0, 0]),
            Err(CryptoError::BadPadding)
        );
        // Junk after the marker, a cut block, padding longer than a block: all refused.
        assert_eq!(
            unpad(t, &[1, 0x80, 0x5A, 0, 0, 0, 0, 0]),
            Err(CryptoError::BadPadding)
        );
        assert_eq!(unpad(t, &[1, 2, 0x80]), Err(CryptoError::BadPadding));
        let mut long = vec![1, 2, 3, 4, 5, 6, 7, 0x80];
        long.extend([0; 8]);
        assert_eq!(unpad(t, &long), Err(CryptoError::BadPadding));
        assert_eq!(unpad(Suite::Aes, &long), Ok(&[1, 2, 3, 4, 5, 6, 7][..]));
        long.extend([0; 16]);
        assert_eq!(unpad(Suite::Aes, &long), Err(CryptoError::BadPadding));
        assert_eq!(
            encrypt(Suite::Aes, &base_key(CARD), &[0; 15]),
            Err(CryptoError::NotBlockAligned(15))
        );
        assert!(decrypt(Suite::Tdes, &base_key(CARD), &[0; 9]).is_err());
    }
}
