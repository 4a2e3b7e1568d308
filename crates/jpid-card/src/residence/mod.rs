//! The Residence Card and Special Permanent Resident Certificate (docs/spec/residence-card.md).
//! Which files a read takes is [`jpid_model::residence`]'s one list.

pub mod crypto;
pub mod reader;
pub mod session;

pub use reader::{read_card, Progress, ResidenceRead};
pub use session::{BadCardNumber, CardNumber, ResidenceError, Rng, Session};
