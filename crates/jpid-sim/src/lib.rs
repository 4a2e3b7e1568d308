//! Software cards for jpid: a generic card OS (MF, DFs by AID, EFs by file id and short id,
//! access rules, PIN counters) and the card kinds built on it, usable in process
//! ([`SimTransport`]) and through pcscd (the vpcd bridge).

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod card;
pub mod fs;
pub mod hostile;
pub mod jpki;
pub mod kinds;
mod profile;
pub mod residence;
pub mod residence_files;
mod sim;
pub mod surface_ap;
pub mod text_ap;
pub mod trust;
pub mod vpcd;

pub use card::SmartCard;
pub use hostile::{Hostile, HostileCard, HostileMode};
pub use kinds::{SimKind, SimSpec, SpecError};
pub use sim::{SharedSimTransport, SimCard, SimTransport};
