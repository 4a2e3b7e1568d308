//! Pure verification for jpid: trust anchors, certificate paths, signatures, and the proof types
//! only a verifier can build. Nothing here reads the clock, the RNG or the network: time and
//! anchors are passed in.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod card_face;
pub mod check;
pub mod cvc;
pub mod der_input;
pub mod jpki;
pub mod pdf;
pub mod proof;
pub mod residence;
pub mod revocation;
pub mod rsa_public;
pub mod signature;
pub mod text;
pub mod trust;
pub mod verdict;
pub mod x509;

pub use jpid_model::UnixTime;
pub use proof::Verified;
pub use revocation::{
    CrlError, CrlStore, HttpTransport, NoRevocation, OcspSource, OcspTransport, RevocationPolicy,
    RevocationSource, RevocationStatus, RevocationVia, Sources as RevocationSources, UnknownReason,
};
pub use trust::{Anchor, Origin, Purpose, TrustError, TrustMode, TrustStore};
