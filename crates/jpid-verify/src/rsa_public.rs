//! The RSA public-key operation `s^e mod n` and the RSASSA-PKCS1-v1_5 check built on it
//! (RFC 8017 §8.2.2, §9.2), for verification only.
//!
//! Two backends compute `s^e mod n`, behind one type, [`PublicKey`], both kept libraries:
//! - with the `openssl` feature (the default), the system's OpenSSL (`RSA_public_decrypt`
//!   without padding: the bare public operation), whose assembly Montgomery multiplication
//!   verifies an RSA-2048 signature in about 25 µs on this project's machines;
//! - without it, the `rsa` crate's bare public operation (`rsa::hazmat::rsa_encrypt`): general
//!   big integers, several times slower, for builds without OpenSSL. The tests and the fuzz
//!   target compare the two.
//!
//! jpid used to carry its own Montgomery arithmetic as the second backend; it left the
//! production builds once the default (OpenSSL) was measured unchanged without it.
//!
//! Key and signature checks (modulus size and parity, exponent range, signature length and
//! range) are made here, before either backend sees the input, so both refuse the same inputs.
//! The PKCS#1 padding check is made here too, on the recovered block, byte for byte.
//!
//! Every input is public (modulus, exponent, signature, digest), so nothing here needs to run in
//! constant time. A wrong result can only make a check fail: the recovered block must equal the
//! expected encoding byte for byte.

/// Largest modulus accepted, in bits (as the `rsa` crate's default): larger keys only cost time.
pub const MAX_BITS: usize = 4096;
/// Smallest modulus accepted, in bits.
pub const MIN_BITS: usize = 1024;
/// Why a key or signature was refused before any arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicOpError {
    /// The modulus is even, too small or too large.
    BadModulus,
    /// The exponent is even, below 3 or above 2^33 - 1.
    BadExponent,
    /// The signature is not as long as the modulus, or not below it.
    BadSignature,
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    b.get(first..).unwrap_or_default()
}

/// Big-endian bytes to `len` little-endian limbs (the value must fit).
/// The checks both backends rely on: `n` (leading zeros dropped) is odd with
/// `MIN_BITS..=MAX_BITS` bits, `e` is odd, at least 3 and below 2^33. Returns the stripped
/// modulus, its size in bits and the exponent.
fn check_key<'a>(n_be: &'a [u8], e_be: &[u8]) -> Result<(&'a [u8], usize, u64), PublicOpError> {
    let n_be = strip_zeros(n_be);
    let bits = n_be
        .first()
        .map_or(0, |top| 8 * n_be.len() - top.leading_zeros() as usize);
    if !(MIN_BITS..=MAX_BITS).contains(&bits) || n_be.last().is_none_or(|l| l & 1 == 0) {
        return Err(PublicOpError::BadModulus);
    }
    let e_be = strip_zeros(e_be);
    if e_be.len() > 8 {
        return Err(PublicOpError::BadExponent);
    }
    let e = e_be.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    if e < 3 || e & 1 == 0 || e >= 1 << 33 {
        return Err(PublicOpError::BadExponent);
    }
    Ok((n_be, bits, e))
}

/// The RSASSA-PKCS1-v1_5 encoding check on a recovered block `em`: exactly
/// `00 01 FF…FF 00 ‖ digest_info`, with at least eight `FF`.
fn pkcs1_matches(em: &[u8], digest_info: &[u8]) -> bool {
    let Some(pad) = em.len().checked_sub(digest_info.len() + 3) else {
        return false;
    };
    if pad < 8 {
        return false;
    }
    let (head, rest) = em.split_at(2);
    let (ff, rest) = rest.split_at(pad);
    head == [0x00, 0x01]
        && ff.iter().all(|b| *b == 0xFF)
        && rest.split_first() == Some((&0x00, digest_info))
}

/// An RSA public key prepared for repeated use, on the backend this build has (module docs).
pub struct PublicKey {
    /// The modulus, big-endian, without leading zeros (its length is the key's size).
    n: Vec<u8>,
    #[cfg(feature = "openssl")]
    key: openssl::rsa::Rsa<openssl::pkey::Public>,
    #[cfg(not(feature = "openssl"))]
    key: rsa::RsaPublicKey,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({} bytes)", self.n.len())
    }
}

impl PublicKey {
    /// Prepares the key (`n`, `e` big-endian, leading zeros allowed).
    pub fn new(n_be: &[u8], e_be: &[u8]) -> Result<Self, PublicOpError> {
        let (n, _, e) = check_key(n_be, e_be)?;
        #[cfg(feature = "openssl")]
        let key = {
            let bn = |b: &[u8]| openssl::bn::BigNum::from_slice(b);
            let (Ok(nb), Ok(eb)) = (bn(n), bn(&e.to_be_bytes())) else {
                return Err(PublicOpError::BadModulus);
            };
            openssl::rsa::Rsa::from_public_components(nb, eb)
                .map_err(|_| PublicOpError::BadModulus)?
        };
        // The checks above are jpid's (the same for both backends); the crate's own would refuse
        // other inputs than OpenSSL does.
        #[cfg(not(feature = "openssl"))]
        let key =
            rsa::RsaPublicKey::new_unchecked(rsa::BigUint::from_bytes_be(n), rsa::BigUint::from(e));
        Ok(Self { n: n.to_vec(), key })
    }

    /// Length of the modulus in bytes.
    pub fn size(&self) -> usize {
        self.n.len()
    }

    /// Which backend computes `s^e mod n` in this build.
    pub fn backend() -> &'static str {
        if cfg!(feature = "openssl") {
            "openssl"
        } else {
            "rsa-crate"
        }
    }

    /// `s^e mod n` as `size()` big-endian bytes. `sig` must be exactly `size()` bytes and below n.
    pub fn public_op(&self, sig: &[u8]) -> Result<Vec<u8>, PublicOpError> {
        // Equal lengths, big-endian: byte order is numeric order.
        if sig.len() != self.n.len() || sig >= self.n.as_slice() {
            return Err(PublicOpError::BadSignature);
        }
        #[cfg(feature = "openssl")]
        {
            let mut out = vec![0u8; self.n.len()];
            match self
                .key
                .public_decrypt(sig, &mut out, openssl::rsa::Padding::NONE)
            {
                Ok(len) if len == out.len() => Ok(out),
                // OpenSSL refused an input the checks above let through: fail closed.
                _ => Err(PublicOpError::BadSignature),
            }
        }
        #[cfg(not(feature = "openssl"))]
        {
            let m = rsa::hazmat::rsa_encrypt(&self.key, &rsa::BigUint::from_bytes_be(sig))
                .map_err(|_| PublicOpError::BadSignature)?;
            let bytes = m.to_bytes_be();
            let pad = self
                .n
                .len()
                .checked_sub(bytes.len())
                .ok_or(PublicOpError::BadSignature)?;
            let mut out = vec![0u8; pad];
            out.extend_from_slice(&bytes);
            Ok(out)
        }
    }

    /// RSASSA-PKCS1-v1_5 verification: the signature opens to `00 01 FF…FF 00 ‖ digest_info`
    /// exactly, with at least eight `FF`.
    pub fn verify_pkcs1(&self, digest_info: &[u8], sig: &[u8]) -> bool {
        self.public_op(sig)
            .is_ok_and(|em| pkcs1_matches(&em, digest_info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rsa::traits::PublicKeyParts;
    use rsa::BigUint;

    fn reference(n: &[u8], e: u64, s: &[u8]) -> Vec<u8> {
        let n = BigUint::from_bytes_be(n);
        let r = BigUint::from_bytes_be(s).modpow(&BigUint::from(e), &n);
        let bytes = r.to_bytes_be();
        let mut out = vec![0u8; strip_zeros(&n.to_bytes_be()).len() - bytes.len()];
        out.extend_from_slice(&bytes);
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Random odd moduli of many sizes and random bases: the same as general big integers
    /// (the `rsa` crate's, whichever backend this build has).
        #[test]
        fn agrees_with_general_big_integers(
            mut n in prop::collection::vec(any::<u8>(), 128..=300),
            s in prop::collection::vec(any::<u8>(), 300),
            e in prop::sample::select(vec![3u64, 17, 65537, (1 << 33) - 1]),
        ) {
            if let Some(first) = n.first_mut() { *first |= 0x80; }
            if let Some(last) = n.last_mut() { *last |= 1; }
            let e_be = e.to_be_bytes();
            let key = PublicKey::new(&n, &e_be).unwrap();
            // A base below n, exactly as long as n.
            let mut s = s[..n.len()].to_vec();
            s[0] %= n[0];
            let want = reference(&n, e, &s);
            prop_assert_eq!(key.public_op(&s).unwrap(), want);
        }
    }

    #[test]
    fn moduli_not_a_whole_number_of_limbs_and_small_top_bytes() {
        for (len, top) in [
            (129usize, 0x01u8),
            (131, 0x7F),
            (256, 0x80),
            (257, 0x01),
            (384, 0xC3),
        ] {
            let mut n: Vec<u8> = (0..len)
                .map(|i| (i as u8).wrapping_mul(151).wrapping_add(7))
                .collect();
            n[0] = top;
            n[len - 1] |= 1;
            let key = PublicKey::new(&n, &[1, 0, 1]).unwrap();
            let mut s: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(37)).collect();
            s[0] = 0;
            let want = reference(&n, 65537, &s);
            assert_eq!(key.public_op(&s).unwrap(), want, "len {len} top {top:#x}");
        }
    }

    #[test]
    fn real_signatures_verify_and_altered_ones_do_not() {
        use rsa::Pkcs1v15Sign;
        use sha2::{Digest, Sha256};
        let pki = jpid_testpki::load_default().unwrap();
        let holder = pki.jpki_holder();
        let private = holder.sign().private_key();
        let public = private.to_public_key();
        let key = PublicKey::new(&public.n().to_bytes_be(), &public.e().to_bytes_be()).unwrap();
        let digest = Sha256::digest(b"a document");
        let sig = private
            .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
            .unwrap();
        let mut info = crate::x509::SHA256_DIGEST_INFO_PREFIX.to_vec();
        info.extend_from_slice(&digest);
        assert!(key.verify_pkcs1(&info, &sig));
        for i in [0, 1, 100, sig.len() - 1] {
            let mut bad = sig.clone();
            bad[i] ^= 1;
            assert!(!key.verify_pkcs1(&info, &bad), "byte {i}");
        }
        let mut other = info.clone();
        other[30] ^= 1;
        assert!(!key.verify_pkcs1(&other, &sig));
        assert!(!key.verify_pkcs1(&info, &sig[1..]), "short signature");
        let mut n_sig = public.n().to_bytes_be();
        assert!(key.public_op(&n_sig).is_err(), "s = n");
        n_sig[0] = 0xFF;
        assert!(key.public_op(&n_sig).is_err(), "s > n");
    }

    #[test]
    fn pkcs1_padding_is_checked_byte_for_byte() {
        let info = [0xAB; 19];
        let good = [&[0x00, 0x01][..], &[0xFF; 8], &[0x00], &info].concat();
        assert!(pkcs1_matches(&good, &info));
        // Seven FF is too few; a wrong byte anywhere fails.
        let short = [&[0x00, 0x01][..], &[0xFF; 7], &[0x00], &info].concat();
        assert!(!pkcs1_matches(&short, &info));
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x01;
            assert!(!pkcs1_matches(&bad, &info), "byte {i}");
        }
        assert!(!pkcs1_matches(&good[1..], &info));
        assert!(!pkcs1_matches(&[], &info));
    }

    #[test]
    fn hostile_keys_are_refused() {
        let n = vec![0xC5u8; 256];
        assert_eq!(
            PublicKey::new(&[0xC4; 256], &[1, 0, 1]).err(),
            Some(PublicOpError::BadModulus)
        );
        assert_eq!(
            PublicKey::new(&[0xC5; 100], &[1, 0, 1]).err(),
            Some(PublicOpError::BadModulus)
        );
        assert_eq!(
            PublicKey::new(&[0xC5; 513], &[1, 0, 1]).err(),
            Some(PublicOpError::BadModulus)
        );
        assert_eq!(
            PublicKey::new(&[], &[1, 0, 1]).err(),
            Some(PublicOpError::BadModulus)
        );
        for e in [
            &[][..],
            &[1],
            &[2],
            &[1, 0, 0],
            &[2, 0, 0, 0, 1],
            &[1, 0, 0, 0, 0, 0, 0, 0, 1],
        ] {
            assert_eq!(
                PublicKey::new(&n, e).err(),
                Some(PublicOpError::BadExponent),
                "{e:?}"
            );
        }
        assert!(PublicKey::new(&[&[0u8, 0][..], &n].concat(), &[0, 1, 0, 1]).is_ok());
    }
}
