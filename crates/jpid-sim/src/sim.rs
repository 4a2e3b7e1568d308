//! A simulated card: the generic [`Os`] plus an optional card-specific [`Extension`], and the
//! in-process [`SimTransport`].

use jpid_apdu::{Command, Response, StatusWord};
use jpid_card::{CardTransport, TransportError};

use crate::fs::{Extension, Os};
use crate::SmartCard;

/// A simulated card.
pub struct SimCard {
    kind: String,
    atr: Vec<u8>,
    /// The file system and session state.
    pub os: Os,
    ext: Option<Box<dyn Extension>>,
    powered: bool,
}

impl SimCard {
    /// A card of `kind` answering with `atr`.
    pub fn new(kind: &str, atr: Vec<u8>, os: Os, ext: Option<Box<dyn Extension>>) -> Self {
        Self {
            kind: kind.to_string(),
            atr,
            os,
            ext,
            powered: true,
        }
    }
}

impl SmartCard for SimCard {
    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }

    fn reset(&mut self) {
        self.os.reset_session();
        if let Some(e) = self.ext.as_mut() {
            e.reset();
        }
        self.powered = true;
    }

    fn power_off(&mut self) {
        self.reset();
        self.powered = false;
    }

    fn process(&mut self, command: &[u8]) -> Vec<u8> {
        if !self.powered {
            return StatusWord::NoPreciseDiagnosis.to_bytes().to_vec();
        }
        let cmd = match Command::parse(command) {
            Ok(c) => c,
            Err(_) => return StatusWord::WrongLength.to_bytes().to_vec(),
        };
        let handled: Option<Response> = match self.ext.as_mut() {
            Some(e) => e.handle(&mut self.os, &cmd),
            None => None,
        };
        let resp = match handled {
            Some(r) => r,
            None => self.os.process(&cmd, self.ext.as_deref()),
        };
        resp.to_bytes()
    }

    fn kind(&self) -> &str {
        &self.kind
    }
}

/// An in-process reader holding one simulated card.
pub struct SimTransport {
    card: Box<dyn SmartCard>,
    atr: Vec<u8>,
    name: String,
    extended: bool,
    removed: bool,
}

impl SimTransport {
    /// A reader named `sim:<kind>` holding `card`; `extended` says whether it carries
    /// extended-length APDUs.
    pub fn new(mut card: Box<dyn SmartCard>, extended: bool) -> Self {
        card.reset();
        Self {
            atr: card.atr(),
            name: format!("sim:{}", card.kind()),
            card,
            extended,
            removed: false,
        }
    }

    /// Simulates pulling the card away: every later exchange fails with `CardRemoved`.
    pub fn remove_card(&mut self) {
        self.removed = true;
    }

    /// The card, for tests that inspect its state.
    pub fn card(&self) -> &dyn SmartCard {
        self.card.as_ref()
    }
}

impl CardTransport for SimTransport {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.removed || !self.card.present() {
            return Err(TransportError::CardRemoved);
        }
        if !self.extended && Command::was_extended(command) {
            return Err(TransportError::Other(
                "this simulated reader is set to short APDUs only (ext=off)".into(),
            ));
        }
        let answer = self.card.process(command);
        // A card that left the field while answering: the answer never arrives.
        if !self.card.present() {
            return Err(TransportError::CardRemoved);
        }
        Ok(answer)
    }

    fn supports_extended_length(&self) -> bool {
        self.extended
    }

    fn atr(&self) -> &[u8] {
        &self.atr
    }

    fn reader_name(&self) -> &str {
        &self.name
    }

    fn reset(&mut self) -> Result<(), TransportError> {
        if self.removed || !self.card.present() {
            return Err(TransportError::CardRemoved);
        }
        self.card.reset();
        Ok(())
    }
}

/// One simulated card that stays on its reader while several connections come and go, as a
/// real card lies on a counter's reader between reads: its state (PIN counters, files) carries
/// over, and each connection that resets it starts a fresh session. Clones are handles to the
/// same card; exchanges take turns.
#[derive(Clone)]
pub struct SharedSimTransport {
    card: std::sync::Arc<std::sync::Mutex<SimTransport>>,
    atr: Vec<u8>,
    name: String,
    extended: bool,
}

impl SimTransport {
    /// This reader and its card, shared by handles.
    pub fn into_shared(self) -> SharedSimTransport {
        SharedSimTransport {
            atr: self.atr.clone(),
            name: self.name.clone(),
            extended: self.extended,
            card: std::sync::Arc::new(std::sync::Mutex::new(self)),
        }
    }
}

impl SharedSimTransport {
    fn with<T>(&self, f: impl FnOnce(&mut SimTransport) -> T) -> T {
        f(&mut self
            .card
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

impl CardTransport for SharedSimTransport {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.with(|c| c.transmit(command))
    }

    fn supports_extended_length(&self) -> bool {
        self.extended
    }

    fn atr(&self) -> &[u8] {
        &self.atr
    }

    fn reader_name(&self) -> &str {
        &self.name
    }

    fn reset(&mut self) -> Result<(), TransportError> {
        self.with(|c| c.reset())
    }
}
