//! The RSA public operation `s^e mod n` (`rsa_public::PublicKey::new`, `public_op`,
//! `verify_pkcs1`), differentially against the `rsa` crate's big integers
//! (`BigUint::modpow`): `PublicKey` (OpenSSL in the default build, the `rsa` crate's bare
//! public operation without it) must accept, refuse and compute exactly as the reference.
//!
//! Input: a selector byte, then three parts (`support::parts`): the exponent, the modulus and
//! the signature, all big-endian.
//!
//! Checks:
//! - `PublicKey::new` accepts exactly a modulus (leading zeros ignored) of 1024-4096 bits that
//!   is odd, and an exponent that is odd, at least 3 and below 2^33, and says which was wrong;
//!   `size()` is the modulus's length in bytes;
//! - `public_op` accepts exactly a signature of `size()` bytes below n, and its result equals
//!   `s.modpow(e, n)` written as `size()` bytes; when the given signature has the wrong length
//!   it is also tried cut or zero-padded to `size()`, so most inputs reach the arithmetic;
//! - `verify_pkcs1(em[k..], s)` (k from the selector) is true exactly when
//!   `em[..k]` is `00 01`, at least eight `FF`, `00`: the padding check, on real results.
#![no_main]

use jpid_apdu_fuzz::support::parts;
use jpid_verify::rsa_public::{PublicKey, PublicOpError};
use libfuzzer_sys::fuzz_target;
use rsa::BigUint;

fn strip(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    &b[first..]
}

fn reference_pkcs1_prefix(prefix: &[u8]) -> bool {
    prefix.len() >= 11
        && prefix[0] == 0
        && prefix[1] == 1
        && prefix[2..prefix.len() - 1].iter().all(|b| *b == 0xFF)
        && prefix[prefix.len() - 1] == 0
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let p = parts(rest, 3);
    let (e_be, n_be, sig) = (p[0], p[1], p[2]);

    let n = BigUint::from_bytes_be(n_be);
    let e = BigUint::from_bytes_be(e_be);
    let bits = n.bits();
    let n_ok = (1024..=4096).contains(&bits) && n_be.last().is_some_and(|b| b & 1 == 1);
    let e_ok = e >= BigUint::from(3u8)
        && e_be.last().is_some_and(|b| b & 1 == 1)
        && e < BigUint::from(1u64 << 33);
    let key = PublicKey::new(n_be, e_be);
    let key = match key {
        Ok(k) => {
            assert!(n_ok && e_ok, "accepted n of {bits} bits, e {e}");
            k
        }
        Err(PublicOpError::BadModulus) => {
            assert!(!n_ok, "refused a good modulus of {bits} bits");
            return;
        }
        Err(PublicOpError::BadExponent) => {
            assert!(n_ok && !e_ok, "refused exponent {e} (modulus ok: {n_ok})");
            return;
        }
        Err(PublicOpError::BadSignature) => panic!("BadSignature from new"),
    };
    let size = strip(n_be).len();
    assert_eq!(key.size(), size);

    let fitted: Vec<u8> = if sig.len() >= size {
        sig[sig.len() - size..].to_vec()
    } else {
        let mut v = vec![0u8; size - sig.len()];
        v.extend_from_slice(sig);
        v
    };
    let tries: &[&[u8]] = if fitted.as_slice() == sig {
        &[sig]
    } else {
        &[sig, fitted.as_slice()]
    };
    for &s in tries {
        let s_big = BigUint::from_bytes_be(s);
        match key.public_op(s) {
            Ok(em) => {
                assert!(
                    s.len() == size && s_big < n,
                    "accepted a signature out of range"
                );
                let want = s_big.modpow(&e, &n).to_bytes_be();
                assert_eq!(em.len(), size);
                assert!(want.len() <= size);
                assert_eq!(
                    &em[size - want.len()..],
                    want.as_slice(),
                    "s^e mod n differs"
                );
                assert!(
                    em[..size - want.len()].iter().all(|b| *b == 0),
                    "s^e mod n differs in its leading bytes"
                );
                let k = usize::from(selector) % (size + 1);
                let (prefix, digest_info) = em.split_at(k);
                assert_eq!(
                    key.verify_pkcs1(digest_info, s),
                    reference_pkcs1_prefix(prefix),
                    "verify_pkcs1 disagrees on a prefix of {k} bytes"
                );
            }
            Err(PublicOpError::BadSignature) => {
                assert!(s.len() != size || s_big >= n, "refused a good signature");
                assert!(!key.verify_pkcs1(&[], s));
            }
            Err(other) => panic!("public_op said {other:?}"),
        }
    }
});
