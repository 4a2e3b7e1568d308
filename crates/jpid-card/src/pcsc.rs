//! The PC/SC transport: a [`CardTransport`] over the system's PC/SC service (pcsc-lite's pcscd
//! on Linux and macOS, WinSCard on Windows), through the `pcsc` crate.
//!
//! # Extended length
//!
//! PC/SC has no portable way to ask whether a reader carries extended-length APDUs. This
//! transport reads the reader attribute `SCARD_ATTR_MAXINPUT` (0x0007A007) when the driver
//! answers it (the CCID driver reports its largest message less the 10-byte CCID header) and
//! takes extended length as supported when that exceeds 261 bytes, the largest short APDU
//! (4 header + 1 Lc + 255 data + 1 Le). When the driver does not answer, the transport says it
//! does not know ([`CardTransport::extended_length_known`]), and the channel tries the spec's
//! extended form first, falling back to short APDUs when the reader or the card refuses it.
//! [`PcscTransport::with_extended`] overrides the guess. vsmartcard's vpcd 0.8 (Debian
//! bookworm) does not answer the attribute, yet passes extended APDUs both ways
//! (docs/spec/ecosystem.md §5.2 point 7; our `vpcd_pcsc` test sends 900 data bytes and reads 1000).
//!
//! # Environment
//!
//! pcsc-lite's client library connects to `/run/pcscd/pcscd.comm`, or to the socket named by
//! `PCSCLITE_CSOCK_NAME`. It reads that variable once per process, at the first use, and keeps
//! it: set it before any PC/SC call.

use std::ffi::CString;

use pcsc::{
    Attribute, Card, Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State,
};

use crate::{CardTransport, TransportError};

/// The largest response an extended APDU can bring: 65 536 data bytes and SW1 SW2.
const MAX_RESPONSE: usize = 65_536 + 2;

/// The largest short command APDU (header, Lc, 255 data bytes, Le).
const MAX_SHORT_COMMAND: u64 = 261;

/// One reader as the PC/SC service lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReaderInfo {
    /// The reader's name, unique on this system.
    pub name: String,
    /// Whether a card is in (or on) the reader.
    pub card_present: bool,
    /// The card's answer-to-reset, when a card is present and answered.
    pub atr: Option<Vec<u8>>,
}

/// Which reader [`PcscTransport::connect`] uses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReaderSelector {
    /// The first reader, in the service's order, that holds a card.
    FirstWithCard,
    /// A reader whose name contains this text, compared case-insensitively; among several, the
    /// first that holds a card, else the first.
    NameContains(String),
}

/// Maps a PC/SC error to the transport's; `reader` names the reader concerned, if any.
fn map_error(e: pcsc::Error, reader: Option<&str>) -> TransportError {
    use pcsc::Error as E;
    match e {
        E::NoService | E::ServiceStopped => TransportError::ServiceUnavailable(e.to_string()),
        E::NoReadersAvailable => TransportError::NoReader(None),
        E::UnknownReader | E::ReaderUnavailable => {
            TransportError::NoReader(reader.map(str::to_owned))
        }
        E::NoSmartcard => TransportError::NoCard(reader.map(str::to_owned)),
        E::RemovedCard => TransportError::CardRemoved,
        E::ResetCard => TransportError::CardReset,
        E::UnresponsiveCard | E::UnpoweredCard => TransportError::Unresponsive,
        E::SharingViolation => TransportError::Busy,
        other => TransportError::Other(format!("{other} ({other:?})")),
    }
}

fn establish() -> Result<Context, TransportError> {
    Context::establish(Scope::User).map_err(|e| map_error(e, None))
}

/// The readers' names and states, in the service's order. No reader gives an empty list.
fn reader_states(ctx: &Context) -> Result<Vec<ReaderState>, TransportError> {
    let names = match ctx.list_readers_owned() {
        Ok(names) => names,
        Err(pcsc::Error::NoReadersAvailable) => return Ok(Vec::new()),
        Err(e) => return Err(map_error(e, None)),
    };
    let mut states: Vec<ReaderState> = names
        .into_iter()
        .map(|n| ReaderState::new(n, State::UNAWARE))
        .collect();
    if states.is_empty() {
        return Ok(states);
    }
    // With UNAWARE as the known state, this returns at once with every reader's state.
    match ctx.get_status_change(std::time::Duration::ZERO, &mut states) {
        Ok(()) | Err(pcsc::Error::Timeout) => Ok(states),
        Err(e) => Err(map_error(e, None)),
    }
}

fn name_of(state: &ReaderState) -> String {
    state.name().to_string_lossy().into_owned()
}

fn holds_card(state: &ReaderState) -> bool {
    state.event_state().contains(State::PRESENT)
}

/// Lists the readers the PC/SC service knows, with their cards' presence and ATRs.
///
/// # Errors
///
/// [`TransportError::ServiceUnavailable`] when the service is not running; no reader is not
/// an error but an empty list.
pub fn list_readers() -> Result<Vec<ReaderInfo>, TransportError> {
    let ctx = establish()?;
    Ok(reader_states(&ctx)?
        .iter()
        .map(|s| {
            let card_present = holds_card(s);
            ReaderInfo {
                name: name_of(s),
                card_present,
                atr: (card_present && !s.atr().is_empty()).then(|| s.atr().to_vec()),
            }
        })
        .collect())
}

/// A card in a PC/SC reader.
///
/// Dropping the transport disconnects with a card reset (the `pcsc` crate's default), so no
/// verified PIN outlives it.
pub struct PcscTransport {
    context: Context,
    /// `None` only after a failed reconnection; [`CardTransport::reset`] connects again.
    card: Option<Card>,
    reader_id: CString,
    reader: String,
    atr: Vec<u8>,
    share_mode: ShareMode,
    max_input: Option<u64>,
    /// Whether `extended` comes from the driver or the caller rather than a default.
    extended_known: bool,
    extended: bool,
    receive: Vec<u8>,
}

impl std::fmt::Debug for PcscTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscTransport")
            .field("reader", &self.reader)
            .field("atr", &hex::encode_upper(&self.atr))
            .field("share_mode", &self.share_mode)
            .field("max_input", &self.max_input)
            .field("extended", &self.extended)
            .finish_non_exhaustive()
    }
}

impl PcscTransport {
    /// Connects, shared, with T=1 or T=0, to the card in the selected reader.
    ///
    /// # Errors
    ///
    /// [`TransportError::NoReader`] when no reader (or none matching) is attached,
    /// [`TransportError::NoCard`] when the reader is empty, [`TransportError::Busy`] when
    /// another program holds it exclusively, and the other PC/SC failures.
    ///
    /// pcsc-lite makes the connection wait, without limit, while another program holds a
    /// transaction on the card.
    pub fn connect(selector: &ReaderSelector) -> Result<Self, TransportError> {
        let ctx = establish()?;
        let states = reader_states(&ctx)?;
        let chosen = match selector {
            ReaderSelector::FirstWithCard => {
                if states.is_empty() {
                    return Err(TransportError::NoReader(None));
                }
                states
                    .iter()
                    .find(|s| holds_card(s))
                    .ok_or(TransportError::NoCard(None))?
            }
            ReaderSelector::NameContains(part) => {
                let part_lower = part.to_lowercase();
                let matching: Vec<&ReaderState> = states
                    .iter()
                    .filter(|s| name_of(s).to_lowercase().contains(&part_lower))
                    .collect();
                matching
                    .iter()
                    .find(|s| holds_card(s))
                    .or_else(|| matching.first())
                    .copied()
                    .ok_or_else(|| TransportError::NoReader(Some(part.clone())))?
            }
        };
        let name: CString = chosen.name().to_owned();
        Self::connect_named(ctx, name)
    }

    fn connect_named(context: Context, reader_id: CString) -> Result<Self, TransportError> {
        let reader = reader_id.to_string_lossy().into_owned();
        let card = context
            .connect(&reader_id, ShareMode::Shared, Protocols::ANY)
            .map_err(|e| map_error(e, Some(&reader)))?;
        let atr = card_atr(&card, &reader)?;
        let max_input = max_input(&card);
        log::debug!(
            "pcsc: connected to {reader:?}, ATR {}, SCARD_ATTR_MAXINPUT {max_input:?}",
            hex::encode_upper(&atr)
        );
        Ok(Self {
            context,
            card: Some(card),
            reader_id,
            reader,
            atr,
            share_mode: ShareMode::Shared,
            max_input,
            extended: max_input.is_some_and(|m| m > MAX_SHORT_COMMAND),
            extended_known: max_input.is_some(),
            receive: vec![0; MAX_RESPONSE],
        })
    }

    /// Overrides the extended-length guess (see the module documentation).
    #[must_use]
    pub fn with_extended(mut self, extended: bool) -> Self {
        self.extended = extended;
        self.extended_known = true;
        self
    }

    /// The driver's `SCARD_ATTR_MAXINPUT`, if it answered.
    #[must_use]
    pub fn max_input(&self) -> Option<u64> {
        self.max_input
    }

    /// What an exchange that broke off means: the card left the reader, or it stopped
    /// answering while still there.
    fn exchange_failed(&self) -> TransportError {
        let mut state = [ReaderState::new(self.reader_id.clone(), State::UNAWARE)];
        let present = match self
            .context
            .get_status_change(std::time::Duration::ZERO, &mut state)
        {
            Ok(()) | Err(pcsc::Error::Timeout) => state.iter().all(holds_card),
            Err(_) => false,
        };
        if present {
            TransportError::Unresponsive
        } else {
            TransportError::CardRemoved
        }
    }

    fn lost(&self) -> TransportError {
        TransportError::Other(format!(
            "the connection to {:?} was lost in a failed reconnection; reset to connect again",
            self.reader
        ))
    }

    fn reconnect(
        &mut self,
        share_mode: ShareMode,
        disposition: Disposition,
    ) -> Result<(), TransportError> {
        let card = match self.card.as_mut() {
            Some(card) => card,
            None => self.card.insert(
                self.context
                    .connect(&self.reader_id, share_mode, Protocols::ANY)
                    .map_err(|e| map_error(e, Some(&self.reader)))?,
            ),
        };
        card.reconnect(share_mode, Protocols::ANY, disposition)
            .map_err(|e| map_error(e, Some(&self.reader)))?;
        self.share_mode = share_mode;
        self.atr = card_atr(card, &self.reader)?;
        Ok(())
    }

    /// Disconnects (leaving the card as it is) and connects again, shared.
    fn reconnect_shared_afresh(&mut self) -> Result<(), TransportError> {
        if let Some(card) = self.card.take() {
            if let Err((card, e)) = card.disconnect(Disposition::LeaveCard) {
                self.card = Some(card);
                return Err(map_error(e, Some(&self.reader)));
            }
        }
        let card = self.card.insert(
            self.context
                .connect(&self.reader_id, ShareMode::Shared, Protocols::ANY)
                .map_err(|e| map_error(e, Some(&self.reader)))?,
        );
        self.share_mode = ShareMode::Shared;
        self.atr = card_atr(card, &self.reader)?;
        Ok(())
    }
}

fn card_atr(card: &Card, reader: &str) -> Result<Vec<u8>, TransportError> {
    let status = card
        .status2_owned()
        .map_err(|e| map_error(e, Some(reader)))?;
    Ok(status.atr().to_vec())
}

/// Reads `SCARD_ATTR_MAXINPUT`, a DWORD in host order (4 bytes, or 8 where DWORD is `unsigned
/// long` on a 64-bit system).
fn max_input(card: &Card) -> Option<u64> {
    let mut buf = [0u8; 8];
    let value = card.get_attribute(Attribute::Maxinput, &mut buf).ok()?;
    match value.len() {
        4 => <[u8; 4]>::try_from(value)
            .ok()
            .map(|b| u64::from(u32::from_ne_bytes(b))),
        8 => <[u8; 8]>::try_from(value).ok().map(u64::from_ne_bytes),
        _ => None,
    }
}

impl CardTransport for PcscTransport {
    /// Sends the command once. Never retried, whatever the failure: the card may have executed
    /// it already, and a second VERIFY would spend a second PIN try.
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let Some(card) = self.card.as_ref() else {
            return Err(self.lost());
        };
        match card.transmit2(command, &mut self.receive) {
            // Every answer has at least a status word: an empty one means the exchange broke off
            // (vpcd reports a card that left mid-exchange this way), not a malformed answer.
            Ok([]) => Err(self.exchange_failed()),
            Ok(response) => Ok(response.to_vec()),
            Err((pcsc::Error::InsufficientBuffer, needed)) => {
                Err(TransportError::ResponseTooLong(needed))
            }
            // pcsc-lite answers a reader-to-card communication failure in the middle of an
            // exchange (a contactless card pulled away, vpcd's card gone) with "not transacted"
            // or a communication error, not "removed card": ask whether the card is still there.
            Err((pcsc::Error::NotTransacted | pcsc::Error::CommError, _)) => {
                Err(self.exchange_failed())
            }
            Err((e, _)) => Err(map_error(e, Some(&self.reader))),
        }
    }

    fn supports_extended_length(&self) -> bool {
        self.extended
    }

    fn extended_length_known(&self) -> bool {
        self.extended_known
    }

    fn atr(&self) -> &[u8] {
        &self.atr
    }

    fn reader_name(&self) -> &str {
        &self.reader
    }

    /// Reconnects with a card reset, keeping the sharing mode. Also the way back after
    /// [`TransportError::CardReset`] (another program reset the card).
    fn reset(&mut self) -> Result<(), TransportError> {
        self.reconnect(self.share_mode, Disposition::ResetCard)
    }

    /// Reconnects exclusively, leaving the card's state as it is.
    fn begin_exclusive(&mut self) -> Result<(), TransportError> {
        self.reconnect(ShareMode::Exclusive, Disposition::LeaveCard)
    }

    /// Disconnects and connects again shared, leaving the card's state as it is.
    ///
    /// Not `SCardReconnect` to shared mode: pcsc-lite (1.9.9 in Debian bookworm, still so in
    /// 2.5.1) leaves the reader locked to this handle then (`RFUnlockSharing` refuses to drop
    /// the last lock of an exclusive context), and every other program's `SCardConnect` waits
    /// until this handle is gone. Another program may take the card between the two steps; the
    /// connection then fails with [`TransportError::Busy`] and [`CardTransport::reset`] retries.
    fn end_exclusive(&mut self) -> Result<(), TransportError> {
        if self.share_mode == ShareMode::Shared && self.card.is_some() {
            return Ok(());
        }
        self.reconnect_shared_afresh()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_transport_errors() {
        use pcsc::Error as E;
        let r = Some("R 00");
        assert!(matches!(
            map_error(E::NoService, r),
            TransportError::ServiceUnavailable(_)
        ));
        assert!(matches!(
            map_error(E::ServiceStopped, r),
            TransportError::ServiceUnavailable(_)
        ));
        assert_eq!(
            map_error(E::NoReadersAvailable, r),
            TransportError::NoReader(None)
        );
        assert_eq!(
            map_error(E::UnknownReader, r),
            TransportError::NoReader(Some("R 00".into()))
        );
        assert_eq!(
            map_error(E::NoSmartcard, r),
            TransportError::NoCard(Some("R 00".into()))
        );
        assert_eq!(map_error(E::RemovedCard, r), TransportError::CardRemoved);
        assert_eq!(map_error(E::ResetCard, r), TransportError::CardReset);
        assert_eq!(
            map_error(E::UnresponsiveCard, r),
            TransportError::Unresponsive
        );
        assert_eq!(map_error(E::UnpoweredCard, r), TransportError::Unresponsive);
        assert_eq!(map_error(E::SharingViolation, r), TransportError::Busy);
        let TransportError::Other(msg) = map_error(E::CommError, r) else {
            panic!("CommError should be Other");
        };
        assert!(msg.contains("CommError"), "{msg}");
    }
}
