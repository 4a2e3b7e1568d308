//! Pure verification for jpid: trust anchors, and (as the card readers land) certificate paths,
//! signatures and the proof types only a verifier can build. Nothing here reads the clock, the
//! RNG or the network: time and anchors are passed in.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod trust;

pub use trust::{Anchor, Origin, Purpose, TrustError, TrustMode, TrustStore};
