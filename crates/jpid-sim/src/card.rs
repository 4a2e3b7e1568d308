//! The card-side interface every simulated card implements.

/// A smart card as seen from its contacts: power, reset, ATR, and one response per command.
///
/// The same value serves the in-process transport and the vpcd bridge, so a test in process and a
/// client through pcscd talk to exactly the same card.
pub trait SmartCard: Send {
    /// The answer-to-reset.
    fn atr(&self) -> Vec<u8>;

    /// Power on or warm reset: session state (selected file, verified PINs, session keys) is
    /// cleared; persistent state (PIN counters, files) is kept.
    fn reset(&mut self);

    /// Power off; the next command is refused until power on. Also clears session state.
    fn power_off(&mut self);

    /// Processes one raw command APDU and returns the raw response (data ‖ SW1 SW2). Malformed
    /// input gets a status word, never a panic.
    fn process(&mut self, command: &[u8]) -> Vec<u8>;

    /// The kind name used in reader specs (`residence`, `mynumber`, …).
    fn kind(&self) -> &str;

    /// Whether the card is still in the reader's field. A card that leaves (a hostile card's
    /// `removed` mode) makes the in-process reader fail with `CardRemoved` and the vpcd bridge
    /// close its connection, which is how vpcd sees a card pulled away.
    fn present(&self) -> bool {
        true
    }
}

impl<C: SmartCard + ?Sized> SmartCard for Box<C> {
    fn atr(&self) -> Vec<u8> {
        (**self).atr()
    }
    fn reset(&mut self) {
        (**self).reset();
    }
    fn power_off(&mut self) {
        (**self).power_off();
    }
    fn process(&mut self, command: &[u8]) -> Vec<u8> {
        (**self).process(command)
    }
    fn kind(&self) -> &str {
        (**self).kind()
    }
    fn present(&self) -> bool {
        (**self).present()
    }
}

/// A card behind a reader that carries short APDUs only (`ext=off`): an extended-length command
/// reaches the card as a length it cannot take and is answered `67 00`. Behind vpcd this is
/// what jpid's reader meets when it tries the spec's extended form first.
pub struct ShortApdusOnly(pub Box<dyn SmartCard>);

impl SmartCard for ShortApdusOnly {
    fn atr(&self) -> Vec<u8> {
        self.0.atr()
    }
    fn reset(&mut self) {
        self.0.reset();
    }
    fn power_off(&mut self) {
        self.0.power_off();
    }
    fn process(&mut self, command: &[u8]) -> Vec<u8> {
        if jpid_apdu::Command::was_extended(command) {
            return vec![0x67, 0x00];
        }
        self.0.process(command)
    }
    fn kind(&self) -> &str {
        self.0.kind()
    }
    fn present(&self) -> bool {
        self.0.present()
    }
}
