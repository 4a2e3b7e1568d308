//! The one I/O boundary of the card stack: bytes in, bytes out.

/// What went wrong below the APDU level: the reader, the connection, the card's presence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The PC/SC service is not running or not reachable.
    #[error("the PC/SC service is not available ({0}); is pcscd running?")]
    ServiceUnavailable(String),
    /// No reader is attached, or none matches the name asked for.
    #[error("no smart-card reader found{}", match .0 { Some(n) => format!(" matching {n:?}"), None => String::new() })]
    NoReader(Option<String>),
    /// A reader is present but holds no card.
    #[error("no card in the reader{}", match .0 { Some(n) => format!(" {n:?}"), None => String::new() })]
    NoCard(Option<String>),
    /// The card was removed while in use.
    #[error("the card was removed from the reader")]
    CardRemoved,
    /// Another program or a reset changed the card's state under us.
    #[error("the card was reset by another program or by the reader")]
    CardReset,
    /// The card did not answer to power-up (often a reader that cannot do ISO 14443 Type B, or a
    /// badly placed card).
    #[error("the card does not respond; place it flat on the reader and try again")]
    Unresponsive,
    /// Another program holds the reader exclusively.
    #[error("the reader is in exclusive use by another program")]
    Busy,
    /// The response was longer than any APDU response can be.
    #[error("response of more than {0} bytes refused")]
    ResponseTooLong(usize),
    /// Any other failure of the transport.
    #[error("reader error: {0}")]
    Other(String),
}

/// A way to exchange APDUs with one card: a PC/SC reader, an in-process simulator, a replay.
///
/// Implementations do I/O and nothing else: no retries on status words, no GET RESPONSE, no
/// length fallback (the [`Channel`](crate::Channel) does those).
pub trait CardTransport {
    /// Sends one encoded command APDU and returns the raw response, data followed by SW1 SW2.
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError>;

    /// Whether the reader and driver carry extended-length APDUs (up to 65 535 data bytes and
    /// 65 536 response bytes). When false, the channel sends short APDUs and reads in chunks.
    fn supports_extended_length(&self) -> bool;

    /// Whether the reader said so. When it did not (a PC/SC driver that does not answer
    /// `SCARD_ATTR_MAXINPUT`, as vpcd), the channel tries the spec's extended form once and
    /// falls back to short APDUs only when the reader or the card refuses it.
    fn extended_length_known(&self) -> bool {
        true
    }

    /// The answer-to-reset (for contactless cards, the one the reader synthesised).
    fn atr(&self) -> &[u8];

    /// A human name for where the card is: a PC/SC reader name or `sim:KIND`.
    fn reader_name(&self) -> &str;

    /// Resets the card, dropping every session state (verified PINs, session keys).
    fn reset(&mut self) -> Result<(), TransportError>;

    /// Asks that no other program may use the card until [`CardTransport::end_exclusive`]; used
    /// while a PIN is verified so that nobody else can sign in that window.
    fn begin_exclusive(&mut self) -> Result<(), TransportError> {
        Ok(())
    }

    /// Ends [`CardTransport::begin_exclusive`].
    fn end_exclusive(&mut self) -> Result<(), TransportError> {
        Ok(())
    }
}

impl<T: CardTransport + ?Sized> CardTransport for Box<T> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(command)
    }
    fn supports_extended_length(&self) -> bool {
        (**self).supports_extended_length()
    }
    fn extended_length_known(&self) -> bool {
        (**self).extended_length_known()
    }
    fn atr(&self) -> &[u8] {
        (**self).atr()
    }
    fn reader_name(&self) -> &str {
        (**self).reader_name()
    }
    fn reset(&mut self) -> Result<(), TransportError> {
        (**self).reset()
    }
    fn begin_exclusive(&mut self) -> Result<(), TransportError> {
        (**self).begin_exclusive()
    }
    fn end_exclusive(&mut self) -> Result<(), TransportError> {
        (**self).end_exclusive()
    }
}
