//! jpid's model: the data of each card as types, shared by everything that reads, stores or
//! verifies it. `jpid-card` returns these types, `jpid-verify` takes them, the CLI and the
//! verification service write and read them as dump files.
//!
//! - [`residence`]: the Residence Card / SPR certificate: its card types and its files
//!   (docs/spec/residence-card.md §0, §1, §3), the one list of them.
//! - [`mynumber`]: the My Number card's card-face entry auxiliary ("text") AP and card-face AP
//!   files (docs/spec/mynumber-card.md §3, §4).
//! - [`dump`]: what a read leaves behind for a verifier elsewhere (docs/dump.md).
//! - [`date`]: points in time and calendar dates, strictly parsed, and age arithmetic.
//! - [`words`]: codes and compact dates in words, Japanese and English (docs/codes.md).
//!
//! Pure: no clock, no RNG, no I/O.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod date;
pub mod dump;
pub mod mynumber;
pub mod residence;
pub mod words;

pub use date::{age_on, CardDate, UnixTime};
pub use mynumber::{CardFaceFiles, ChipAnswer, TextFiles};
pub use residence::{ResidenceCardType, ResidenceFile, ResidenceFiles};
