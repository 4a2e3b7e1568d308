//! The Residence Card and Special Permanent Resident Certificate (residence-card.md).

pub mod crypto;
pub mod files;
pub mod reader;
pub mod session;

pub use reader::{read_card, Progress, ResidenceRead};
pub use session::{BadCardNumber, CardNumber, ResidenceError, Rng, Session};
