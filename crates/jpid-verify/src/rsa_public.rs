//! The RSA public-key operation `s^e mod n` and the RSASSA-PKCS1-v1_5 check built on it
//! (RFC 8017 §8.2.2, §9.2), for verification only.
//!
//! Two backends compute `s^e mod n`, behind one type, [`PublicKey`]:
//! - with the `openssl` feature (the default), the system's OpenSSL (`RSA_public_decrypt`
//!   without padding: the bare public operation), whose assembly Montgomery multiplication
//!   verifies an RSA-2048 signature in about 25 µs on this project's machines;
//! - [`Montgomery`], jpid's own fixed-limb Montgomery arithmetic in safe Rust, about 80 µs:
//!   the backend without the feature, and the second opinion the tests and the fuzz target
//!   compare OpenSSL with.
//!
//! Why not the `rsa` crate's `verify`: its general-purpose big integers spend about 260 µs per
//! RSA-2048 verification, and a verification service spends most of its time there.
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
/// Limbs of the largest modulus.
const MAX_LIMBS: usize = MAX_BITS / 64;

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

/// jpid's own backend: the modulus as limbs and its Montgomery constants, prepared for
/// repeated use. Every product is a Montgomery multiplication, so a verification with
/// e = 65537 costs about 24 multiplications of 32 × 32 limbs.
#[derive(Clone)]
pub struct Montgomery {
    /// Modulus, little-endian 64-bit limbs, no leading zero limb.
    n: Vec<u64>,
    /// −n⁻¹ mod 2⁶⁴.
    n0: u64,
    /// R² mod n, R = 2^(64·len).
    rr: Vec<u64>,
    /// The exponent.
    e: u64,
    /// Length of the modulus in bytes (without leading zeros).
    bytes: usize,
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    b.get(first..).unwrap_or_default()
}

/// Big-endian bytes to `len` little-endian limbs (the value must fit).
fn to_limbs(be: &[u8], len: usize) -> Vec<u64> {
    let mut out = vec![0u64; len];
    for (i, byte) in be.iter().rev().enumerate() {
        if let Some(l) = out.get_mut(i / 8) {
            *l |= u64::from(*byte) << (8 * (i % 8));
        }
    }
    out
}

/// Limbs to exactly `bytes` big-endian bytes.
fn to_bytes(limbs: &[u64], bytes: usize) -> Vec<u8> {
    let mut out = vec![0u8; bytes];
    for (i, slot) in out.iter_mut().rev().enumerate() {
        let limb = limbs.get(i / 8).copied().unwrap_or(0);
        // Truncation to the addressed byte is the point.
        *slot = (limb >> (8 * (i % 8))) as u8;
    }
    out
}

/// a ≥ b, equal lengths.
fn ge(a: &[u64], b: &[u64]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x > y;
        }
    }
    true
}

/// a -= b in place, equal lengths; returns the borrow.
fn sub_in_place(a: &mut [u64], b: &[u64]) -> bool {
    let mut borrow = false;
    for (x, y) in a.iter_mut().zip(b) {
        let (d1, b1) = x.overflowing_sub(*y);
        let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
        *x = d2;
        borrow = b1 || b2;
    }
    borrow
}

/// x = 2x mod n, for x < n.
fn double_mod(x: &mut [u64], n: &[u64]) {
    let mut carry = 0u64;
    for l in x.iter_mut() {
        let next = *l >> 63;
        *l = (*l << 1) | carry;
        carry = next;
    }
    if carry == 1 || ge(x, n) {
        sub_in_place(x, n);
    }
}

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
    key: Montgomery,
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
        #[cfg(not(feature = "openssl"))]
        let key = Montgomery::new(n, &e.to_be_bytes())?;
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
            "jpid-montgomery"
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
        self.key.public_op(sig)
    }

    /// RSASSA-PKCS1-v1_5 verification: the signature opens to `00 01 FF…FF 00 ‖ digest_info`
    /// exactly, with at least eight `FF`.
    pub fn verify_pkcs1(&self, digest_info: &[u8], sig: &[u8]) -> bool {
        self.public_op(sig)
            .is_ok_and(|em| pkcs1_matches(&em, digest_info))
    }
}

impl Montgomery {
    /// Prepares the key (`n`, `e` big-endian, leading zeros allowed).
    pub fn new(n_be: &[u8], e_be: &[u8]) -> Result<Self, PublicOpError> {
        let (n_be, bits, e) = check_key(n_be, e_be)?;
        let len = n_be.len().div_ceil(8);
        let n = to_limbs(n_be, len);
        // −n⁻¹ mod 2⁶⁴ by Newton's iteration: each step doubles the correct low bits.
        let n_low = n.first().copied().unwrap_or(1);
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(n_low.wrapping_mul(inv)));
        }
        let mut key = Self {
            n0: inv.wrapping_neg(),
            rr: Vec::new(),
            e,
            bytes: n_be.len(),
            n,
        };
        key.rr = key.r_squared(bits);
        Ok(key)
    }

    /// R² mod n: start from 2^(bits−1) (below n), double up to R·2^d mod n with d = 64·len / 2^m,
    /// then square m times in Montgomery form (mont(R·2^j, R·2^j) = R·2^2j).
    fn r_squared(&self, bits: usize) -> Vec<u64> {
        let len = self.n.len();
        let total = 64 * len;
        let mut m = 0u32;
        while (total >> (m + 1)) >= 64 && (total >> (m + 1)) << (m + 1) == total {
            m += 1;
        }
        let d = total >> m;
        let mut x = vec![0u64; len];
        if let Some(l) = x.get_mut((bits - 1) / 64) {
            *l = 1u64 << ((bits - 1) % 64);
        }
        // 2^(bits−1) → 2^total = R (mod n) → R·2^d.
        for _ in 0..(total - (bits - 1)) + d {
            double_mod(&mut x, &self.n);
        }
        for _ in 0..m {
            x = self.mont_mul(&x, &x);
        }
        x
    }

    /// a·b·R⁻¹ mod n (CIOS), for a, b < n.
    // Every slice here is `self.n.len()` limbs (at most MAX_LIMBS), by construction inside this
    // module: the indexing cannot go out of bounds, and the slices taken up front let the
    // compiler drop the checks from the inner loops.
    #[allow(clippy::indexing_slicing)]
    fn mont_mul(&self, a: &[u64], b: &[u64]) -> Vec<u64> {
        let n = self.n.as_slice();
        let len = n.len();
        let (a, b) = (&a[..len], &b[..len]);
        let mut buf = [0u64; MAX_LIMBS + 2];
        let t = &mut buf[..len + 2];
        for &ai in a {
            // t += ai · b
            let mut c: u128 = 0;
            for j in 0..len {
                let s = u128::from(t[j]) + u128::from(ai) * u128::from(b[j]) + c;
                t[j] = s as u64;
                c = s >> 64;
            }
            let s = u128::from(t[len]) + c;
            t[len] = s as u64;
            t[len + 1] = (s >> 64) as u64;
            // t = (t + q·n) / 2⁶⁴ with q = t₀ · n0 mod 2⁶⁴ (the low limb becomes zero)
            let q = t[0].wrapping_mul(self.n0);
            let mut c = (u128::from(t[0]) + u128::from(q) * u128::from(n[0])) >> 64;
            for j in 1..len {
                let s = u128::from(t[j]) + u128::from(q) * u128::from(n[j]) + c;
                t[j - 1] = s as u64;
                c = s >> 64;
            }
            let s = u128::from(t[len]) + c;
            t[len - 1] = s as u64;
            t[len] = t[len + 1] + (s >> 64) as u64;
            t[len + 1] = 0;
        }
        let over = t[len] != 0;
        let mut out = t[..len].to_vec();
        if over || ge(&out, n) {
            sub_in_place(&mut out, n);
        }
        out
    }

    /// Length of the modulus in bytes.
    pub fn size(&self) -> usize {
        self.bytes
    }

    /// `s^e mod n` as `size()` big-endian bytes. `sig` must be exactly `size()` bytes and below n.
    pub fn public_op(&self, sig: &[u8]) -> Result<Vec<u8>, PublicOpError> {
        if sig.len() != self.bytes {
            return Err(PublicOpError::BadSignature);
        }
        let s = to_limbs(sig, self.n.len());
        if ge(&s, &self.n) {
            return Err(PublicOpError::BadSignature);
        }
        // Into Montgomery form, square-and-multiply from the top bit, and back out.
        let base = self.mont_mul(&s, &self.rr);
        let mut acc = base.clone();
        let top = 63 - self.e.leading_zeros();
        for bit in (0..top).rev() {
            acc = self.mont_mul(&acc, &acc);
            if (self.e >> bit) & 1 == 1 {
                acc = self.mont_mul(&acc, &base);
            }
        }
        let mut one = vec![0u64; self.n.len()];
        if let Some(l) = one.first_mut() {
            *l = 1;
        }
        Ok(to_bytes(&self.mont_mul(&acc, &one), self.bytes))
    }

    /// RSASSA-PKCS1-v1_5 verification, as [`PublicKey::verify_pkcs1`].
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

        /// Random odd moduli of many sizes and random bases: the same as general big integers.
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
            let own = Montgomery::new(&n, &e_be).unwrap();
            // A base below n, exactly as long as n.
            let mut s = s[..n.len()].to_vec();
            s[0] %= n[0];
            let want = reference(&n, e, &s);
            prop_assert_eq!(key.public_op(&s).unwrap(), want.clone());
            prop_assert_eq!(own.public_op(&s).unwrap(), want);
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
            let own = Montgomery::new(&n, &[1, 0, 1]).unwrap();
            let mut s: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(37)).collect();
            s[0] = 0;
            let want = reference(&n, 65537, &s);
            assert_eq!(key.public_op(&s).unwrap(), want, "len {len} top {top:#x}");
            assert_eq!(
                own.public_op(&s).unwrap(),
                want,
                "own: len {len} top {top:#x}"
            );
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
        let own = Montgomery::new(&public.n().to_bytes_be(), &public.e().to_bytes_be()).unwrap();
        assert!(own.verify_pkcs1(&info, &sig));
        let mut flipped = sig.clone();
        flipped[7] ^= 0x40;
        assert!(!own.verify_pkcs1(&info, &flipped));
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
        assert_eq!(
            Montgomery::new(&[0xC4; 256], &[1, 0, 1]).err(),
            Some(PublicOpError::BadModulus)
        );
        assert_eq!(
            Montgomery::new(&n, &[2]).err(),
            Some(PublicOpError::BadExponent)
        );
    }
}
