//! `--reader SPEC`: which reader, and opening it.

use jpid_card::CardTransport;
use jpid_sim::SimSpec;

use crate::error::{CliError, Kind};

/// A parsed reader spec.
#[derive(Debug, Clone)]
pub enum ReaderSpec {
    /// A PC/SC reader: the first with a card, or the one whose name contains the text.
    Pcsc(Option<String>),
    /// A built-in simulated card.
    Sim(SimSpec),
}

impl ReaderSpec {
    pub fn parse(text: &str) -> Result<Self, CliError> {
        let text = text.trim();
        if text == "pcsc" {
            Ok(Self::Pcsc(None))
        } else if let Some(name) = text.strip_prefix("pcsc:") {
            if name.trim().is_empty() {
                return Err(CliError::new(
                    Kind::Usage,
                    "pcsc: needs a reader name after the colon",
                )
                .hint("run `jpid readers` to see the names, e.g. --reader pcsc:sony"));
            }
            Ok(Self::Pcsc(Some(name.trim().to_string())))
        } else if let Some(sim) = text.strip_prefix("sim:") {
            Ok(Self::Sim(SimSpec::parse(sim)?))
        } else {
            Err(
                CliError::new(Kind::Usage, format!("unknown reader {text:?}"))
                    .hint("use pcsc, pcsc:NAME or sim:KIND (see `jpid --help`)"),
            )
        }
    }

    pub fn is_sim(&self) -> bool {
        matches!(self, Self::Sim(_))
    }

    /// Connects to the card.
    pub fn open(&self) -> Result<Box<dyn CardTransport>, CliError> {
        match self {
            Self::Sim(spec) => Ok(Box::new(spec.transport()?)),
            Self::Pcsc(name) => {
                let selector = match name {
                    Some(n) => jpid_card::ReaderSelector::NameContains(n.clone()),
                    None => jpid_card::ReaderSelector::FirstWithCard,
                };
                Ok(Box::new(jpid_card::PcscTransport::connect(&selector)?))
            }
        }
    }
}
