//! ISO/IEC 7816-4 building blocks for jpid: command and response APDUs (cases 1–4, short and
//! extended length), status words as a round-tripping enum, a bounds-checked BER-TLV reader and
//! writer, and [`Sensitive`] payloads whose `Debug` never shows their bytes.
//!
//! Everything here is pure: no I/O, no clock, no randomness. Every parser takes hostile bytes and
//! answers with a typed [`ApduError`] or [`TlvError`]; none of them panics or allocates more than
//! its input.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod command;
mod response;
mod sensitive;
mod status;
pub mod tlv;

pub use command::{ApduError, Command, LengthMode, MAX_EXTENDED_LE, MAX_SHORT_LE};
pub use response::Response;
pub use sensitive::Sensitive;
pub use status::StatusWord;
pub use tlv::{Tag, TagRule, Tlv, TlvError};
