//! The Residence Card and Special Permanent Resident Certificate (residence-card.md).

pub mod crypto;
