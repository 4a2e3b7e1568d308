//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong while generating, issuing, loading or writing the test PKI.
///
/// Every variant says which object was being handled (`what`), so a failure in a long
/// generation run points at the certificate or key concerned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// The seed is longer than 2^64 − 1 bytes (only possible in theory).
    #[error("seed is too long to be length-prefixed")]
    SeedTooLong,

    /// RSA key generation or an RSA private-key operation failed.
    #[error("RSA operation on {what} failed: {source}")]
    Rsa {
        /// The key or certificate concerned.
        what: String,
        /// The underlying error.
        #[source]
        source: rsa::Error,
    },

    /// ECDSA signing failed.
    #[error("ECDSA signature for {what} failed: {source}")]
    Ecdsa {
        /// The certificate concerned.
        what: String,
        /// The underlying error.
        #[source]
        source: p384::ecdsa::Error,
    },

    /// DER encoding or decoding failed.
    #[error("DER encoding or decoding of {what} failed: {source}")]
    Der {
        /// The object concerned.
        what: String,
        /// The underlying error.
        #[source]
        source: der::Error,
    },

    /// A PKCS#8 private key could not be encoded or decoded.
    #[error("PKCS#8 encoding or decoding of {what} failed: {source}")]
    Pkcs8 {
        /// The key concerned.
        what: String,
        /// The underlying error.
        #[source]
        source: rsa::pkcs8::Error,
    },

    /// A SubjectPublicKeyInfo could not be encoded or decoded.
    #[error("SubjectPublicKeyInfo of {what} failed: {source}")]
    Spki {
        /// The key concerned.
        what: String,
        /// The underlying error.
        #[source]
        source: spki::Error,
    },

    /// A P-384 key could not be decoded.
    #[error("P-384 key {what} is invalid: {source}")]
    EllipticCurve {
        /// The key concerned.
        what: String,
        /// The underlying error.
        #[source]
        source: p384::elliptic_curve::Error,
    },

    /// A holder attribute was rejected by [`crate::JpkiHolder`] validation.
    #[error("invalid JPKI holder attribute {field}: {reason}")]
    InvalidHolder {
        /// The attribute.
        field: &'static str,
        /// Why it was rejected.
        reason: &'static str,
    },

    /// A date of birth is not a real calendar date, or lies before the Meiji era.
    #[error("invalid date of birth {year:04}-{month:02}-{day:02}: {reason}")]
    InvalidDate {
        /// Year as given.
        year: u16,
        /// Month as given.
        month: u8,
        /// Day as given.
        day: u8,
        /// Why it was rejected.
        reason: &'static str,
    },

    /// A committed fixture is inconsistent (for example its certificate does not hold the
    /// public half of its private key).
    #[error("fixture {name} is inconsistent: {reason}")]
    Fixture {
        /// The fixture file name.
        name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// Writing a fixture file failed.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The path being written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl PkiError {
    pub(crate) fn der(what: impl Into<String>) -> impl FnOnce(der::Error) -> Self {
        let what = what.into();
        move |source| Self::Der { what, source }
    }

    pub(crate) fn rsa(what: impl Into<String>) -> impl FnOnce(rsa::Error) -> Self {
        let what = what.into();
        move |source| Self::Rsa { what, source }
    }

    pub(crate) fn pkcs8(what: impl Into<String>) -> impl FnOnce(rsa::pkcs8::Error) -> Self {
        let what = what.into();
        move |source| Self::Pkcs8 { what, source }
    }

    pub(crate) fn spki(what: impl Into<String>) -> impl FnOnce(spki::Error) -> Self {
        let what = what.into();
        move |source| Self::Spki { what, source }
    }
}
