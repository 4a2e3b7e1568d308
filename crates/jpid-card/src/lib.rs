//! The card side of jpid: the [`CardTransport`] I/O boundary, the PC/SC transport, the APDU
//! [`Channel`] (GET RESPONSE, Le correction, extended length with a short-APDU fallback, trace
//! logging with redaction) and card detection.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod channel;
pub mod detect;
pub mod jpki;
pub mod mynumber;
pub mod residence;
pub mod spec;
mod transport;

#[cfg(feature = "pcsc")]
pub mod pcsc;

pub use channel::{
    CardError, Channel, Exclusive, ExtendedRefusal, FileRef, Stats, MAX_RESPONSE_BYTES,
};
pub use detect::{detect, CardKind, Detection};
pub use transport::{CardTransport, TransportError};

#[cfg(feature = "pcsc")]
pub use crate::pcsc::{list_readers, PcscTransport, ReaderInfo, ReaderSelector};
