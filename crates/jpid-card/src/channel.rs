//! The APDU channel: encoding, GET RESPONSE, Le correction, extended length with an automatic
//! fallback to short APDUs, whole-file reads, and the APDU trace log.

use jpid_apdu::{
    ApduError, Command, LengthMode, Response, StatusWord, MAX_EXTENDED_LE, MAX_SHORT_LE,
};
use log::{log_enabled, trace, Level};

use crate::{CardTransport, TransportError};

/// Most GET RESPONSE rounds followed for one command before the card is declared broken.
const MAX_GET_RESPONSE_ROUNDS: usize = 300;
/// Largest response the channel assembles for one command (extended Le plus headroom).
pub const MAX_RESPONSE_BYTES: usize = MAX_EXTENDED_LE as usize + 1024;

/// Errors of the APDU layer and the card applications built on it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CardError {
    /// The reader, the connection or the card's presence failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A command could not be encoded, or a response had no status word.
    #[error("malformed APDU: {0}")]
    Apdu(#[from] ApduError),
    /// The card answered a command with an unexpected status word.
    #[error("{op} failed: card answered {sw}")]
    Status {
        /// What was attempted.
        op: &'static str,
        /// What the card said.
        sw: StatusWord,
    },
    /// The card kept answering `61xx` or `6Cxx` without end.
    #[error("the card keeps asking for {what}; giving up after {rounds} rounds")]
    Runaway {
        /// `GET RESPONSE` or `Le correction`.
        what: &'static str,
        /// Rounds followed.
        rounds: usize,
    },
    /// A response or file larger than the caller allows.
    #[error("{what} is larger than the {limit} bytes allowed")]
    TooLarge {
        /// What grew too large.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// Data from the card did not have the expected form.
    #[error("malformed {what} from the card: {detail}")]
    Malformed {
        /// Which object.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
}

/// Where a READ BINARY reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRef {
    /// The currently selected EF.
    Current,
    /// The EF with this short identifier (1–30) in the current DF; it becomes current.
    Sfi(u8),
}

/// Counts of what crossed the interface, for the speed figures the issues ask for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Command APDUs sent (GET RESPONSE and resends included).
    pub apdus: u64,
    /// Bytes sent (encoded commands).
    pub bytes_sent: u64,
    /// Bytes received (responses including status words).
    pub bytes_received: u64,
}

/// Who refused extended-length APDUs, when one was tried and refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtendedRefusal {
    /// The reader or its driver failed to carry the command.
    Reader,
    /// The card answered `67 00` (wrong length).
    Card,
}

impl ExtendedRefusal {
    /// `reader` or `card`.
    pub fn id(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Card => "card",
        }
    }
}

/// An APDU channel over a [`CardTransport`].
pub struct Channel<T: CardTransport> {
    transport: T,
    extended: bool,
    /// Extended length is being tried on a reader that did not say whether it carries it.
    probing: bool,
    refused: Option<ExtendedRefusal>,
    stats: Stats,
    secret_reads: bool,
}

impl<T: CardTransport> Channel<T> {
    /// Opens a channel; extended length is used when the transport says it can carry it.
    pub fn new(transport: T) -> Self {
        let known = transport.extended_length_known();
        let extended = transport.supports_extended_length() || !known;
        Self {
            transport,
            extended,
            probing: !known,
            refused: None,
            stats: Stats::default(),
            secret_reads: false,
        }
    }

    /// Who refused extended-length APDUs in this session, if they were tried and refused.
    pub fn extended_refused_by(&self) -> Option<ExtendedRefusal> {
        self.refused
    }

    /// Whether extended-length APDUs are in use (false after a fallback).
    pub fn extended_length(&self) -> bool {
        self.extended
    }

    /// Forces short APDUs (for readers that claim extended length but fail with it).
    pub fn disable_extended_length(&mut self) {
        if self.extended {
            log::info!("extended-length APDUs refused; reading with short APDUs from now on");
        }
        self.extended = false;
        self.probing = false;
    }

    /// The transport below.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport below, mutably.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Takes the transport back.
    pub fn into_transport(self) -> T {
        self.transport
    }

    /// What crossed the interface so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Resets the card (dropping every session state on it).
    pub fn reset(&mut self) -> Result<(), CardError> {
        self.transport.reset()?;
        Ok(())
    }

    fn exchange(&mut self, cmd: &Command) -> Result<Response, CardError> {
        let mode = if cmd.needs_extended() {
            if !self.extended {
                return Err(ApduError::NeedsExtendedLength {
                    data: cmd.data().len(),
                    le: cmd.le().unwrap_or(0),
                }
                .into());
            }
            LengthMode::Extended
        } else {
            LengthMode::Short
        };
        let bytes = cmd.encode(mode)?;
        trace!(target: "jpid::apdu", ">>> {cmd}");
        self.stats.apdus += 1;
        self.stats.bytes_sent += bytes.len() as u64;
        let raw = match self.transport.transmit(&bytes) {
            Ok(raw) => raw,
            // The first extended command on a reader that did not say it carries them: a
            // failure to carry it is the reader's refusal, answered as the card would answer
            // a length it cannot take (67 00), so that every caller's short-APDU fallback
            // takes over. A card that left or a service that went away stays an error.
            Err(e)
                if mode == LengthMode::Extended
                    && self.probing
                    && !matches!(
                        e,
                        TransportError::CardRemoved
                            | TransportError::NoCard(_)
                            | TransportError::NoReader(_)
                            | TransportError::ServiceUnavailable(_)
                    ) =>
            {
                log::info!(
                    "the reader did not carry an extended-length APDU ({e}); using short APDUs"
                );
                self.refused = Some(ExtendedRefusal::Reader);
                self.extended = false;
                self.probing = false;
                return Ok(Response::new(Vec::new(), StatusWord::WrongLength));
            }
            Err(e) => return Err(e.into()),
        };
        self.stats.bytes_received += raw.len() as u64;
        if raw.len() > MAX_RESPONSE_BYTES {
            return Err(TransportError::ResponseTooLong(MAX_RESPONSE_BYTES).into());
        }
        let resp = Response::parse(&raw)?;
        if mode == LengthMode::Extended {
            if resp.sw() == StatusWord::WrongLength {
                self.refused.get_or_insert(ExtendedRefusal::Card);
            } else {
                self.probing = false;
            }
        }
        if log_enabled!(target: "jpid::apdu", Level::Trace) {
            // An empty VERIFY only asks the counter: its 63Cx is the answer, not a wrong PIN.
            let sw = match resp.sw() {
                StatusWord::WrongPin { remaining }
                    if cmd.ins() == 0x20 && cmd.data().is_empty() =>
                {
                    format!(
                        "{:04X} ({remaining} tries left; an empty VERIFY only asks, no try spent)",
                        resp.sw().to_u16()
                    )
                }
                sw => sw.to_string(),
            };
            if cmd.is_sensitive() {
                trace!(target: "jpid::apdu", "<<< {} bytes REDACTED {sw}", resp.data().len());
            } else {
                trace!(target: "jpid::apdu", "<<< {} {sw}", hex::encode_upper(resp.data()));
            }
        }
        Ok(resp)
    }

    /// Sends a command and returns the card's final answer: `61xx` is followed with GET
    /// RESPONSE and the pieces joined; `6Cxx` is answered by resending once with the exact Le.
    /// The status word is returned as the card gave it; callers decide what is an error.
    pub fn transmit(&mut self, cmd: &Command) -> Result<Response, CardError> {
        let mut resp = self.exchange(cmd)?;
        // Resend with the exact Le only a command without data (READ BINARY, GET CHALLENGE...):
        // a VERIFY or a signature is never sent twice, whatever the card answers.
        if let (StatusWord::WrongLe { exact }, true) = (resp.sw(), cmd.data().is_empty()) {
            let le = if exact == 0 {
                MAX_SHORT_LE
            } else {
                u32::from(exact)
            };
            resp = self.exchange(&cmd.clone().with_le(le))?;
            if matches!(resp.sw(), StatusWord::WrongLe { .. }) {
                return Err(CardError::Runaway {
                    what: "Le correction",
                    rounds: 2,
                });
            }
        }
        let mut sw = resp.sw();
        if !matches!(sw, StatusWord::BytesAvailable(_)) {
            return Ok(resp);
        }
        let mut data = resp.into_data();
        let mut rounds = 0;
        while let StatusWord::BytesAvailable(n) = sw {
            rounds += 1;
            if rounds > MAX_GET_RESPONSE_ROUNDS {
                return Err(CardError::Runaway {
                    what: "GET RESPONSE",
                    rounds: MAX_GET_RESPONSE_ROUNDS,
                });
            }
            let le = if n == 0 { MAX_SHORT_LE } else { u32::from(n) };
            let get = Command::new(0x00, 0xC0, 0x00, 0x00).with_le(le);
            let part = self.exchange(&get)?;
            sw = part.sw();
            data.extend_from_slice(part.data());
            if data.len() > MAX_RESPONSE_BYTES {
                return Err(CardError::TooLarge {
                    what: "assembled response",
                    limit: MAX_RESPONSE_BYTES,
                });
            }
        }
        Ok(Response::new(data, sw))
    }

    /// Sends a command and requires `90 00`; `op` names it in the error.
    pub fn transmit_ok(&mut self, op: &'static str, cmd: &Command) -> Result<Vec<u8>, CardError> {
        let resp = self.transmit(cmd)?;
        if resp.sw().is_success() {
            Ok(resp.into_data())
        } else {
            Err(CardError::Status { op, sw: resp.sw() })
        }
    }

    /// SELECT by DF name (`00 A4 04 0C Lc AID`, no FCI); returns the status word.
    pub fn select_aid(&mut self, aid: &[u8]) -> Result<StatusWord, CardError> {
        let cmd = Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(aid.to_vec());
        Ok(self.transmit(&cmd)?.sw())
    }

    /// SELECT EF by file id in the current DF (`00 A4 02 0C 02 FID`); returns the status word.
    pub fn select_ef(&mut self, fid: u16) -> Result<StatusWord, CardError> {
        let cmd = Command::new(0x00, 0xA4, 0x02, 0x0C).with_data(fid.to_be_bytes().to_vec());
        Ok(self.transmit(&cmd)?.sw())
    }

    /// One READ BINARY. For [`FileRef::Sfi`] the offset must be below 256.
    pub fn read_binary(
        &mut self,
        file: FileRef,
        offset: u16,
        le: u32,
    ) -> Result<Response, CardError> {
        let (p1, p2) = match file {
            FileRef::Sfi(sfi) => {
                let off = u8::try_from(offset).map_err(|_| CardError::Malformed {
                    what: "READ BINARY request",
                    detail: format!("offset {offset} too large for a short-EF read"),
                })?;
                (0x80 | (sfi & 0x1F), off)
            }
            FileRef::Current => {
                let [hi, lo] = offset.to_be_bytes();
                (hi & 0x7F, lo)
            }
        };
        let mut cmd = Command::new(0x00, 0xB0, p1, p2).with_le(le);
        if self.secret_reads {
            cmd = cmd.redacted();
        }
        self.transmit(&cmd)
    }

    /// [`Channel::read_file`] for a file whose content must not reach the APDU trace (the My
    /// Number): its answers are logged as `REDACTED`.
    pub fn read_secret_file(
        &mut self,
        file: FileRef,
        max_len: usize,
    ) -> Result<Vec<u8>, CardError> {
        self.secretly(|ch| ch.read_file(file, max_len))
    }

    /// [`Channel::read_tlv_file`] for a file whose content must not reach the APDU trace.
    pub fn read_secret_tlv_file(
        &mut self,
        file: FileRef,
        max_len: usize,
    ) -> Result<Vec<u8>, CardError> {
        self.secretly(|ch| ch.read_tlv_file(file, max_len))
    }

    /// Runs `read` with its READ BINARY answers redacted in the trace.
    fn secretly<R>(&mut self, read: impl FnOnce(&mut Self) -> R) -> R {
        self.secret_reads = true;
        let result = read(self);
        self.secret_reads = false;
        result
    }

    /// Reads the one BER-TLV object a transparent EF holds, by the length its header declares
    /// (docs/spec/mynumber-card.md §1: "Always parse by TLV length and never by read until
    /// error"): the first READ BINARY brings the header, the next ones exactly the rest; a card
    /// that answers fewer bytes than asked, with `90 00`, is simply asked again from the next
    /// offset, and the `FF` filler after the object is neither read nor returned. A file that
    /// ends before the declared length is an error naming both lengths.
    pub fn read_tlv_file(&mut self, file: FileRef, max_len: usize) -> Result<Vec<u8>, CardError> {
        let mut out: Vec<u8> = Vec::new();
        let mut target = file;
        let mut total: Option<usize> = None;
        let mut ended = false;
        loop {
            let want = match total {
                Some(t) if out.len() >= t => break,
                Some(t) => t - out.len(),
                None => usize::MAX,
            };
            if ended {
                break;
            }
            let offset = u16::try_from(out.len())
                .ok()
                .filter(|o| *o <= 0x7FFF)
                .ok_or(CardError::TooLarge {
                    what: "file (15-bit READ BINARY offset)",
                    limit: 0x7FFF,
                })?;
            let cap = if self.extended {
                MAX_EXTENDED_LE
            } else {
                MAX_SHORT_LE
            };
            let le = u32::try_from(want).unwrap_or(u32::MAX).min(cap);
            let sent_extended = self.extended;
            let resp = self.read_binary(target, offset, le)?;
            match resp.sw() {
                sw @ (StatusWord::Success | StatusWord::WarningEndOfFile) => {
                    target = FileRef::Current;
                    if resp.data().is_empty() {
                        ended = true;
                        continue;
                    }
                    out.extend_from_slice(resp.data());
                    ended = sw == StatusWord::WarningEndOfFile;
                    if total.is_none() {
                        total = tlv_total(&out)?;
                        if let Some(t) = total.filter(|t| *t > max_len) {
                            return Err(CardError::TooLarge {
                                what: "file",
                                limit: max_len.min(t),
                            });
                        }
                    }
                    if total.is_none() && out.len() > 16 {
                        return Err(CardError::Malformed {
                            what: "file",
                            detail: "no TLV header in its first 16 bytes".into(),
                        });
                    }
                }
                StatusWord::WrongLength if sent_extended && out.is_empty() => {
                    self.disable_extended_length();
                }
                StatusWord::WrongP1P2 if !out.is_empty() => ended = true,
                sw => {
                    return Err(CardError::Status {
                        op: "READ BINARY",
                        sw,
                    })
                }
            }
        }
        let Some(total) = total else {
            return Err(CardError::Malformed {
                what: "file",
                detail: format!("it ends after {} bytes, inside its TLV header", out.len()),
            });
        };
        if out.len() < total {
            return Err(CardError::Malformed {
                what: "file",
                detail: format!(
                    "it ends after {} bytes; its TLV header declares {total}",
                    out.len()
                ),
            });
        }
        out.truncate(total);
        Ok(out)
    }

    /// Reads a whole transparent EF of at most `max_len` bytes: one extended READ BINARY when the
    /// reader carries extended length, else 256-byte chunks until the card signals the end. A
    /// card that refuses the extended form (`67 00`) makes the channel fall back to chunks. In
    /// chunks, a short answer with `90 00` is not taken as the end (a card may answer fewer bytes
    /// than asked in the middle of a file, docs/spec/mynumber-card.md §1): the next offset is
    /// asked until the card answers `6B 00`, `62 82` or nothing. Files holding one TLV object are read
    /// with [`Channel::read_tlv_file`], which needs no such extra question.
    pub fn read_file(&mut self, file: FileRef, max_len: usize) -> Result<Vec<u8>, CardError> {
        if self.extended {
            let resp = self.read_binary(file, 0, MAX_EXTENDED_LE)?;
            match resp.sw() {
                StatusWord::Success if !resp.data().is_empty() => {
                    // Even to an extended Le a card may answer part of the file: go on from
                    // where it stopped until it says the file has ended.
                    let first = self.check_len(resp.into_data(), max_len)?;
                    return self.read_chunks(FileRef::Current, first, max_len);
                }
                sw if sw.is_success_or_warning() => {
                    return self.check_len(resp.into_data(), max_len);
                }
                StatusWord::WrongLength => self.disable_extended_length(),
                sw => {
                    return Err(CardError::Status {
                        op: "READ BINARY",
                        sw,
                    })
                }
            }
        }
        self.read_file_chunked(file, max_len)
    }

    fn check_len(&self, data: Vec<u8>, max_len: usize) -> Result<Vec<u8>, CardError> {
        if data.len() > max_len {
            return Err(CardError::TooLarge {
                what: "file",
                limit: max_len,
            });
        }
        Ok(data)
    }

    fn read_file_chunked(&mut self, file: FileRef, max_len: usize) -> Result<Vec<u8>, CardError> {
        self.read_chunks(file, Vec::new(), max_len)
    }

    /// Reads on from `out.len()` in short chunks until the card says the file has ended.
    fn read_chunks(
        &mut self,
        file: FileRef,
        mut out: Vec<u8>,
        max_len: usize,
    ) -> Result<Vec<u8>, CardError> {
        let mut target = file;
        loop {
            let offset = u16::try_from(out.len()).map_err(|_| CardError::TooLarge {
                what: "file",
                limit: 0x7FFF,
            })?;
            if offset > 0x7FFF {
                return Err(CardError::TooLarge {
                    what: "file (15-bit READ BINARY offset)",
                    limit: 0x7FFF,
                });
            }
            // The first short-EF read (offset 0) selects the file; later reads use the current EF.
            let resp = self.read_binary(target, offset, MAX_SHORT_LE)?;
            target = FileRef::Current;
            match resp.sw() {
                StatusWord::Success | StatusWord::WarningEndOfFile => {
                    let got = resp.data().len();
                    out.extend_from_slice(resp.data());
                    if out.len() > max_len {
                        return Err(CardError::TooLarge {
                            what: "file",
                            limit: max_len,
                        });
                    }
                    if got == 0 || resp.sw() == StatusWord::WarningEndOfFile {
                        return Ok(out);
                    }
                }
                StatusWord::WrongP1P2 if !out.is_empty() => return Ok(out),
                sw => {
                    return Err(CardError::Status {
                        op: "READ BINARY",
                        sw,
                    })
                }
            }
        }
    }

    /// Holds the card exclusively until the guard is dropped, for everything that verifies a
    /// PIN. The card is reset on entry (no session left verified by another program carries
    /// over: select the application again inside the hold) and reset again on exit, while still
    /// held, so a verified PIN is never left open to other programs, on success or on error.
    pub fn exclusive(&mut self) -> Result<Exclusive<'_, T>, CardError> {
        self.transport.begin_exclusive()?;
        if let Err(e) = self.transport.reset() {
            let _ = self.transport.end_exclusive();
            return Err(e.into());
        }
        Ok(Exclusive { channel: self })
    }
}

/// The whole length (header and value) of the BER-TLV object at the start of `buf`, or `None`
/// while `buf` is too short to hold its header. Tags of up to three bytes and definite lengths
/// of up to three length bytes, as the cards use them (jpid_apdu::tlv).
fn tlv_total(buf: &[u8]) -> Result<Option<usize>, CardError> {
    let bad = |detail: &str| CardError::Malformed {
        what: "file",
        detail: detail.to_string(),
    };
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let mut at = 1;
    if first & 0x1F == 0x1F {
        loop {
            let Some(&b) = buf.get(at) else {
                return Ok(None);
            };
            at += 1;
            if b & 0x80 == 0 {
                break;
            }
            if at >= 3 {
                return Err(bad("its first tag is longer than 3 bytes"));
            }
        }
    }
    let Some(&len0) = buf.get(at) else {
        return Ok(None);
    };
    at += 1;
    let value = match len0 {
        0x00..=0x7F => usize::from(len0),
        0x81..=0x83 => {
            let n = usize::from(len0 & 0x7F);
            let Some(bytes) = buf.get(at..at + n) else {
                return Ok(None);
            };
            at += n;
            bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
        }
        _ => return Err(bad("its TLV header has no definite length of 1-3 bytes")),
    };
    Ok(Some(at + value))
}

/// A borrow of the channel during which no other program may use the card.
pub struct Exclusive<'a, T: CardTransport> {
    channel: &'a mut Channel<T>,
}

impl<T: CardTransport> std::ops::Deref for Exclusive<'_, T> {
    type Target = Channel<T>;
    fn deref(&self) -> &Channel<T> {
        self.channel
    }
}

impl<T: CardTransport> std::ops::DerefMut for Exclusive<'_, T> {
    fn deref_mut(&mut self) -> &mut Channel<T> {
        self.channel
    }
}

impl<T: CardTransport> Drop for Exclusive<'_, T> {
    fn drop(&mut self) {
        // Close the verified session while nobody else can reach the card.
        if let Err(e) = self.channel.transport.reset() {
            log::warn!("could not reset the card after a PIN session: {e}");
        }
        if let Err(e) = self.channel.transport.end_exclusive() {
            log::warn!("could not release the exclusive hold on the card: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The offset a READ BINARY asks for: P2 when P1 names a short EF, else P1 P2.
    fn read_offset(cmd: &Command) -> usize {
        if cmd.p1() & 0x80 != 0 {
            usize::from(cmd.p2())
        } else {
            usize::from(cmd.p1()) << 8 | usize::from(cmd.p2())
        }
    }

    /// The card's behaviour: raw command in, raw response out.
    type CardFn = Box<dyn FnMut(&[u8]) -> Vec<u8>>;

    /// A transport driven by a closure: the card's behaviour in one place, every command logged.
    struct Mock {
        card: CardFn,
        ext: bool,
        /// `None`: the reader does not say whether it carries extended APDUs; `Some(false)`:
        /// it does not, and fails to carry one.
        silent_reader: Option<bool>,
        sent: Vec<String>,
    }

    impl Mock {
        fn new(ext: bool, card: impl FnMut(&[u8]) -> Vec<u8> + 'static) -> Self {
            Self {
                card: Box::new(card),
                ext,
                silent_reader: None,
                sent: Vec::new(),
            }
        }

        /// A reader that does not say whether it carries extended APDUs; `carries` is the truth.
        fn silent(carries: bool, card: impl FnMut(&[u8]) -> Vec<u8> + 'static) -> Self {
            Self {
                silent_reader: Some(carries),
                ..Self::new(false, card)
            }
        }
    }

    impl CardTransport for Mock {
        fn transmit(&mut self, c: &[u8]) -> Result<Vec<u8>, TransportError> {
            self.sent.push(hex::encode_upper(c));
            if self.silent_reader == Some(false) && Command::was_extended(c) {
                return Err(TransportError::Other("reader: buffer too small".into()));
            }
            Ok((self.card)(c))
        }
        fn supports_extended_length(&self) -> bool {
            self.ext
        }
        fn extended_length_known(&self) -> bool {
            self.silent_reader.is_none()
        }
        fn atr(&self) -> &[u8] {
            &[0x3B, 0x80, 0x80, 0x01, 0x01]
        }
        fn reader_name(&self) -> &str {
            "mock"
        }
        fn reset(&mut self) -> Result<(), TransportError> {
            Ok(())
        }
    }

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    /// A transparent EF of `len` bytes (byte i = i mod 251) served with the READ BINARY rules of
    /// the fact sheets: fewer bytes than asked at the end, 6B00 past it, 6700 for extended Le
    /// when `refuse_ext`.
    fn file_card(len: usize, refuse_ext: bool) -> impl FnMut(&[u8]) -> Vec<u8> {
        let file: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        move |c: &[u8]| {
            let cmd = Command::parse(c).unwrap();
            assert_eq!(cmd.ins(), 0xB0);
            if refuse_ext && Command::was_extended(c) {
                return h("6700");
            }
            let off = read_offset(&cmd);
            if off >= file.len() {
                return h("6B00");
            }
            let n = (cmd.le().unwrap_or(0) as usize).min(file.len() - off);
            let mut r = file[off..off + n].to_vec();
            r.extend_from_slice(&[0x90, 0]);
            r
        }
    }

    #[test]
    fn get_response_chain_is_joined() {
        let mut step = 0;
        let mut ch = Channel::new(Mock::new(false, move |_c: &[u8]| {
            step += 1;
            match step {
                1 => h("0102 6102"),
                2 => h("0304 6100"),
                _ => h("05 9000"),
            }
        }));
        let r = ch
            .transmit(
                &Command::new(0x80, 0x2A, 0, 0x80)
                    .with_data(vec![1])
                    .with_le(256),
            )
            .unwrap();
        assert_eq!(r.data(), &[1, 2, 3, 4, 5]);
        assert_eq!(r.sw(), StatusWord::Success);
        assert_eq!(ch.transport().sent[1], "00C0000002");
        assert_eq!(ch.transport().sent[2], "00C0000000");
        assert_eq!(ch.stats().apdus, 3);
    }

    #[test]
    fn wrong_le_is_resent_once_with_the_exact_length() {
        let mut ch = Channel::new(Mock::new(false, |c: &[u8]| {
            if c.last() == Some(&0x20) {
                h("AABB 9000")
            } else {
                h("6C20")
            }
        }));
        let r = ch
            .transmit(&Command::new(0, 0xB0, 0, 0).with_le(256))
            .unwrap();
        assert_eq!(r.data(), &[0xAA, 0xBB]);
        assert_eq!(ch.transport().sent, vec!["00B0000000", "00B0000020"]);
    }

    #[test]
    fn status_word_storms_end_in_typed_errors() {
        let mut ch = Channel::new(Mock::new(false, |_c: &[u8]| h("6C10")));
        assert!(matches!(
            ch.transmit(&Command::new(0, 0xB0, 0, 0).with_le(1)),
            Err(CardError::Runaway { .. })
        ));
        let mut ch = Channel::new(Mock::new(false, |_c: &[u8]| h("00 6101")));
        assert!(matches!(
            ch.transmit(&Command::new(0, 0xB0, 0, 0).with_le(1)),
            Err(CardError::Runaway {
                what: "GET RESPONSE",
                ..
            })
        ));
        assert!(ch.stats().apdus <= MAX_GET_RESPONSE_ROUNDS as u64 + 1);
        let mut ch = Channel::new(Mock::new(false, |_c: &[u8]| vec![0x90]));
        assert!(matches!(
            ch.transmit(&Command::new(0, 0xB0, 0, 0)),
            Err(CardError::Apdu(ApduError::ResponseTooShort(1)))
        ));
    }

    #[test]
    fn whole_file_in_one_extended_read() {
        let mut ch = Channel::new(Mock::new(true, file_card(7013, false)));
        let data = ch.read_file(FileRef::Sfi(5), 10_000).unwrap();
        assert_eq!(data.len(), 7013);
        // The whole file, then one question past its end (6B00): only the card knows where the
        // file ends. Files holding one TLV object need no such question (read_tlv_file).
        assert_eq!(ch.transport().sent, vec!["00B08500000000", "00B01B6500"]);
    }

    #[test]
    fn chunked_reads_without_extended_length() {
        let mut ch = Channel::new(Mock::new(false, file_card(600, false)));
        let data = ch.read_file(FileRef::Sfi(2), 10_000).unwrap();
        assert_eq!(data, (0..600).map(|i| (i % 251) as u8).collect::<Vec<_>>());
        // A short answer is not the end: the card is asked again and ends it with 6B00.
        assert_eq!(
            ch.transport().sent,
            vec!["00B0820000", "00B0010000", "00B0020000", "00B0025800"]
        );
        let mut ch = Channel::new(Mock::new(false, file_card(512, false)));
        assert_eq!(ch.read_file(FileRef::Current, 10_000).unwrap().len(), 512);
        assert_eq!(ch.stats().apdus, 3);
    }

    /// A card holding `file` that answers at most `max` bytes per READ BINARY, with 90 00.
    fn stingy_card(file: Vec<u8>, max: usize) -> impl FnMut(&[u8]) -> Vec<u8> {
        move |c: &[u8]| {
            let cmd = Command::parse(c).unwrap();
            let off = read_offset(&cmd);
            if off >= file.len() {
                return h("6B00");
            }
            let n = (cmd.le().unwrap_or(0) as usize)
                .min(max)
                .min(file.len() - off);
            let mut r = file[off..off + n].to_vec();
            r.extend_from_slice(&[0x90, 0]);
            r
        }
    }

    /// `30 82 01 4B` + 331 value bytes, then `FF` filler: a certificate EF as real cards hold it.
    fn certificate_ef(filler: usize) -> Vec<u8> {
        let mut f = vec![0x30, 0x82, 0x01, 0x4B];
        f.extend((0..331).map(|i| (i % 200) as u8));
        f.resize(f.len() + filler, 0xFF);
        f
    }

    #[test]
    fn short_answers_in_the_middle_of_a_file_are_read_on() {
        let file: Vec<u8> = (0..700).map(|i| (i % 251) as u8).collect();
        let mut ch = Channel::new(Mock::new(false, stingy_card(file.clone(), 200)));
        assert_eq!(ch.read_file(FileRef::Current, 10_000).unwrap(), file);
        // 0, 200, 400, 600, then 6B00 at 700.
        assert_eq!(ch.stats().apdus, 5);
    }

    #[test]
    fn a_tlv_file_is_read_by_its_declared_length_without_the_filler() {
        let file = certificate_ef(600);
        // Short APDUs, a card answering in full: header and value in ceil(335/256) reads, the
        // second asking exactly what is left, and the filler never asked for.
        let mut ch = Channel::new(Mock::new(false, stingy_card(file.clone(), 256)));
        let got = ch.read_tlv_file(FileRef::Current, 4096).unwrap();
        assert_eq!(got, file[..335]);
        assert_eq!(ch.transport().sent, vec!["00B0000000", "00B001004F"]);
        // A card answering 200 bytes at most: asked again from where it stopped.
        let mut ch = Channel::new(Mock::new(false, stingy_card(file.clone(), 200)));
        assert_eq!(
            ch.read_tlv_file(FileRef::Current, 4096).unwrap(),
            file[..335]
        );
        assert_eq!(ch.stats().apdus, 2);
        // A card answering 3 bytes at a time: the header spans answers.
        let mut ch = Channel::new(Mock::new(false, stingy_card(file.clone(), 3)));
        assert_eq!(
            ch.read_tlv_file(FileRef::Current, 4096).unwrap(),
            file[..335]
        );
        // Extended length: one read, the filler cut off.
        let mut ch = Channel::new(Mock::new(true, stingy_card(file.clone(), 65_536)));
        assert_eq!(
            ch.read_tlv_file(FileRef::Current, 4096).unwrap(),
            file[..335]
        );
        assert_eq!(ch.stats().apdus, 1);
    }

    #[test]
    fn a_tlv_file_shorter_than_its_header_says_is_refused_with_both_lengths() {
        let mut file = certificate_ef(0);
        file.truncate(300);
        let mut ch = Channel::new(Mock::new(false, stingy_card(file, 256)));
        let e = ch.read_tlv_file(FileRef::Current, 4096).unwrap_err();
        assert!(
            e.to_string().contains("300 bytes") && e.to_string().contains("335"),
            "{e}"
        );
        // A header declaring more than the caller allows is refused before reading it.
        let mut ch = Channel::new(Mock::new(false, stingy_card(certificate_ef(0), 256)));
        assert!(matches!(
            ch.read_tlv_file(FileRef::Current, 100),
            Err(CardError::TooLarge { .. })
        ));
        assert_eq!(ch.stats().apdus, 1);
        // Nothing but filler: no header.
        let mut ch = Channel::new(Mock::new(false, stingy_card(vec![0xFF; 40], 256)));
        assert!(ch.read_tlv_file(FileRef::Current, 4096).is_err());
    }

    #[test]
    fn falls_back_to_short_when_the_card_refuses_extended() {
        let mut ch = Channel::new(Mock::new(true, file_card(300, true)));
        assert_eq!(ch.read_file(FileRef::Sfi(1), 10_000).unwrap().len(), 300);
        assert!(!ch.extended_length());
        assert_eq!(
            ch.transport().sent,
            vec!["00B08100000000", "00B0810000", "00B0010000", "00B0012C00"]
        );
    }

    #[test]
    fn a_reader_that_says_nothing_gets_the_extended_form_first() {
        // It carries extended APDUs: one read, and the channel stays extended.
        let mut ch = Channel::new(Mock::silent(true, file_card(600, false)));
        assert_eq!(ch.read_file(FileRef::Sfi(1), 10_000).unwrap().len(), 600);
        assert!(ch.extended_length());
        assert_eq!(ch.extended_refused_by(), None);
        assert_eq!(ch.transport().sent[0], "00B08100000000");
        // It fails to carry them: the failure is its refusal, and short APDUs follow.
        let mut ch = Channel::new(Mock::silent(false, file_card(600, false)));
        assert_eq!(ch.read_file(FileRef::Sfi(1), 10_000).unwrap().len(), 600);
        assert!(!ch.extended_length());
        assert_eq!(ch.extended_refused_by(), Some(ExtendedRefusal::Reader));
        // The card answers 67 00: the card refused.
        let mut ch = Channel::new(Mock::silent(true, file_card(600, true)));
        assert_eq!(ch.read_file(FileRef::Sfi(1), 10_000).unwrap().len(), 600);
        assert_eq!(ch.extended_refused_by(), Some(ExtendedRefusal::Card));
        // A card that left is not a refusal.
        let mut ch = Channel::new(Mock::silent(true, |_c: &[u8]| Vec::new()));
        assert!(ch.read_file(FileRef::Sfi(1), 10_000).is_err());
        assert_eq!(ch.extended_refused_by(), None);
    }

    #[test]
    fn files_larger_than_allowed_are_refused() {
        let mut ch = Channel::new(Mock::new(true, file_card(3000, false)));
        assert!(matches!(
            ch.read_file(FileRef::Sfi(1), 2000),
            Err(CardError::TooLarge { .. })
        ));
        let mut ch = Channel::new(Mock::new(false, file_card(3000, false)));
        assert!(matches!(
            ch.read_file(FileRef::Sfi(1), 2000),
            Err(CardError::TooLarge { .. })
        ));
        assert!(ch.stats().apdus <= 9);
    }

    #[test]
    fn extended_commands_need_an_extended_reader() {
        let mut ch = Channel::new(Mock::new(false, |_c: &[u8]| h("9000")));
        let big = Command::new(0, 0xD6, 0, 0).with_data(vec![0; 300]);
        assert!(matches!(
            ch.transmit(&big),
            Err(CardError::Apdu(ApduError::NeedsExtendedLength { .. }))
        ));
        assert_eq!(ch.stats().apdus, 0);
    }
}
