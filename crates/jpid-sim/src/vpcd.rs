//! The vpcd bridge: puts a [`SmartCard`] into vsmartcard's virtual reader (`libifdvpcd`, "vpcd")
//! so that every PC/SC client — OpenSC, `pcsc_scan`, our own `jpid_card::pcsc` transport — talks
//! through pcscd to the simulated card as it would to a real one. The bridge takes the *vicc* (virtual card) role.
//!
//! # Protocol (docs/spec/ecosystem.md §5.3)
//!
//! vpcd listens on TCP (port 35963 + slot by default); the card connects. Both directions carry
//! frames: a 2-byte big-endian length, then that many bytes. vpcd always speaks first and the card
//! only answers:
//!
//! | frame from vpcd            | meaning          | card's reply                       |
//! |----------------------------|------------------|------------------------------------|
//! | length 1, `00`             | power off        | none                               |
//! | length 1, `01`             | power on         | none                               |
//! | length 1, `02`             | reset            | none                               |
//! | length 1, `04`             | get ATR          | the ATR, framed                    |
//! | any other length (even 0)  | a command APDU   | the response APDU (data ‖ SW1 SW2) |
//!
//! A length-1 frame with another value is not defined by vpcd; it is logged and gets no reply.
//! Closing the socket is how a card is removed; connecting again inserts it.
//!
//! # The 43 ms trap (docs/spec/ecosystem.md §5.4)
//!
//! The vpcd shipped in Debian bookworm (upstream 0.8) sends the length and the body in two
//! `send()` calls with Nagle on. With delayed ACK on our side, each APDU then waits ~40 ms. The
//! bridge therefore sets `TCP_QUICKACK` before and after every `read` (Linux clears it after use),
//! sets `TCP_NODELAY`, and writes each reply's length and body in one `write`.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::SmartCard;

/// Where vpcd listens by default: slot 0 of the reader in `/etc/reader.conf.d/vpcd`
/// (`VPCDPORT` 35963 = 0x8C7B).
pub const DEFAULT_ADDR: &str = "127.0.0.1:35963";

/// The largest frame body the 2-byte length can announce; also the largest reply we send.
pub const MAX_FRAME_LEN: usize = 0xFFFF;

const CTRL_POWER_OFF: u8 = 0x00;
const CTRL_POWER_ON: u8 = 0x01;
const CTRL_RESET: u8 = 0x02;
const CTRL_GET_ATR: u8 = 0x04;

/// Time allowed for one TCP connection attempt (loopback answers at once or refuses).
const CONNECT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
/// A reply that cannot be written in this time means vpcd stopped reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// How [`attach`] connects and when it ends.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AttachOptions {
    /// How long to keep retrying the connection (pcscd may not listen yet); `None` retries until
    /// stopped or out of run time, `Some(Duration::ZERO)` tries once.
    pub connect_timeout: Option<Duration>,
    /// Pause between connection attempts.
    pub retry_interval: Duration,
    /// Ends the bridge when set to `true`; checked at least every `poll_interval`.
    pub stop: Option<Arc<AtomicBool>>,
    /// Ends the bridge after this long in total (connecting included).
    pub max_run_time: Option<Duration>,
    /// How often a waiting bridge looks at `stop` and `max_run_time`.
    pub poll_interval: Duration,
}

impl Default for AttachOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Some(Duration::from_secs(10)),
            retry_interval: Duration::from_millis(100),
            stop: None,
            max_run_time: None,
            poll_interval: Duration::from_millis(50),
        }
    }
}

impl AttachOptions {
    /// Sets [`AttachOptions::connect_timeout`].
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`AttachOptions::stop`].
    #[must_use]
    pub fn with_stop(mut self, stop: Arc<AtomicBool>) -> Self {
        self.stop = Some(stop);
        self
    }

    /// Sets [`AttachOptions::max_run_time`].
    #[must_use]
    pub fn with_max_run_time(mut self, limit: Duration) -> Self {
        self.max_run_time = Some(limit);
        self
    }

    /// Sets [`AttachOptions::poll_interval`] (a zero interval is taken as 1 ms).
    #[must_use]
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }
}

/// Why a bridge ended without error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndReason {
    /// vpcd closed the connection between two frames (pcscd stopped, or the reader was closed).
    ClosedByVpcd,
    /// The stop flag was set.
    Stopped,
    /// [`AttachOptions::max_run_time`] ran out.
    TimeLimit,
    /// The card left the field by itself (a hostile card's `removed` mode): the connection was
    /// closed without an answer, as vpcd sees a card pulled away.
    CardLeft,
}

/// How a bridge ended, with what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttachEnd {
    /// Why it ended.
    pub reason: EndReason,
    /// Command APDUs answered.
    pub commands: u64,
    /// Control messages handled (power off/on, reset, get ATR).
    pub control_messages: u64,
}

/// What went wrong in the bridge.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VpcdError {
    /// The address does not parse or resolve.
    #[error("invalid vpcd address {addr:?}: {source}")]
    Address {
        /// The address given.
        addr: String,
        /// Why it failed.
        #[source]
        source: io::Error,
    },
    /// No connection could be made before the connect timeout.
    #[error("could not connect to vpcd at {addr} within {waited:?} (is pcscd running with the vpcd reader?): {source}")]
    Connect {
        /// The address given.
        addr: String,
        /// How long attempts were made.
        waited: Duration,
        /// The last attempt's failure.
        #[source]
        source: io::Error,
    },
    /// A socket option could not be set.
    #[error("cannot set {option} on the vpcd connection: {source}")]
    SocketOption {
        /// The option's name.
        option: &'static str,
        /// Why it failed.
        #[source]
        source: io::Error,
    },
    /// Reading from vpcd failed.
    #[error("reading from vpcd failed: {0}")]
    Read(#[source] io::Error),
    /// vpcd closed the connection inside a frame.
    #[error("vpcd closed the connection in the middle of a frame ({got} of {expected} bytes)")]
    Truncated {
        /// Bytes received of the part being read (length prefix or body).
        got: usize,
        /// Bytes expected.
        expected: usize,
    },
    /// Writing to vpcd failed.
    #[error("writing to vpcd failed: {0}")]
    Write(#[source] io::Error),
    /// The card produced a reply that no vpcd frame can carry (a card bug).
    #[error("the card's reply of {0} bytes does not fit a vpcd frame (at most 65535 bytes)")]
    ReplyTooLong(usize),
    /// The bridge thread could not be started.
    #[error("cannot start the vpcd bridge thread: {0}")]
    Thread(#[source] io::Error),
    /// The bridge thread panicked (a card's `process` panicked).
    #[error("the vpcd bridge thread panicked")]
    Panicked,
}

/// Encodes one frame: 2-byte big-endian length, then the body.
fn encode_frame(body: &[u8]) -> Result<Vec<u8>, VpcdError> {
    let len = u16::try_from(body.len()).map_err(|_| VpcdError::ReplyTooLong(body.len()))?;
    let mut frame = Vec::with_capacity(body.len().saturating_add(2));
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(body);
    Ok(frame)
}

/// The conditions that end a running bridge.
struct Watch {
    stop: Option<Arc<AtomicBool>>,
    deadline: Option<Instant>,
}

impl Watch {
    fn check(&self) -> Option<EndReason> {
        if self.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst)) {
            return Some(EndReason::Stopped);
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Some(EndReason::TimeLimit);
        }
        None
    }

    fn is_active(&self) -> bool {
        self.stop.is_some() || self.deadline.is_some()
    }
}

/// Connects to vpcd and serves `card` until vpcd closes the connection, the stop flag is set or
/// the run time is over. Blocks the calling thread; see [`spawn`] for a background bridge.
///
/// Dropping the connection on return is the card's removal from the virtual reader.
///
/// # Errors
///
/// [`VpcdError`] for a bad address, no connection before the timeout, a broken connection or a
/// frame cut short. A card reply too long for a frame ends the bridge with
/// [`VpcdError::ReplyTooLong`].
pub fn attach(
    card: &mut dyn SmartCard,
    addr: &str,
    opts: &AttachOptions,
) -> Result<AttachEnd, VpcdError> {
    let watch = Watch {
        stop: opts.stop.clone(),
        deadline: opts
            .max_run_time
            .and_then(|limit| Instant::now().checked_add(limit)),
    };
    let mut end = AttachEnd {
        reason: EndReason::ClosedByVpcd,
        commands: 0,
        control_messages: 0,
    };
    let mut stream = match connect(addr, opts, &watch)? {
        Ok(stream) => stream,
        Err(reason) => {
            end.reason = reason;
            return Ok(end);
        }
    };
    configure(&stream, opts, &watch)?;
    log::debug!("vpcd: card {:?} connected to {addr}", card.kind());

    let mut body: Vec<u8> = Vec::with_capacity(MAX_FRAME_LEN);
    loop {
        let mut header = [0u8; 2];
        match fill(&mut stream, &mut header, &watch)? {
            Filled::Full => {}
            Filled::Eof { got: 0 } => return Ok(end),
            Filled::Eof { got } => return Err(VpcdError::Truncated { got, expected: 2 }),
            Filled::Ended(reason) => {
                end.reason = reason;
                return Ok(end);
            }
        }
        let len = usize::from(u16::from_be_bytes(header));
        body.clear();
        body.resize(len, 0);
        match fill(&mut stream, &mut body, &watch)? {
            Filled::Full => {}
            Filled::Eof { got } => return Err(VpcdError::Truncated { got, expected: len }),
            Filled::Ended(reason) => {
                end.reason = reason;
                return Ok(end);
            }
        }

        let reply = match body.as_slice() {
            [CTRL_POWER_OFF] => {
                log::trace!("vpcd: power off");
                card.power_off();
                None
            }
            [CTRL_POWER_ON] => {
                log::trace!("vpcd: power on");
                card.reset();
                None
            }
            [CTRL_RESET] => {
                log::trace!("vpcd: reset");
                card.reset();
                None
            }
            [CTRL_GET_ATR] => {
                log::trace!("vpcd: get ATR");
                Some(card.atr())
            }
            [other] => {
                log::warn!("vpcd: unknown control message {other:02X} ignored");
                None
            }
            command => {
                // Lengths and INS only: command data may hold a PIN.
                log::trace!(
                    "vpcd: command of {} bytes, INS {:02X?}",
                    command.len(),
                    command.get(1)
                );
                end.commands = end.commands.saturating_add(1);
                let answer = card.process(command);
                if !card.present() {
                    log::debug!("vpcd: the card left the field; closing the connection");
                    end.reason = EndReason::CardLeft;
                    return Ok(end);
                }
                Some(answer)
            }
        };
        if body.len() == 1 {
            end.control_messages = end.control_messages.saturating_add(1);
        }
        if let Some(reply) = reply {
            if reply.is_empty() {
                // vpcd takes an empty reply as "no card" and drops the connection.
                log::warn!("vpcd: the card gave an empty reply");
            }
            let frame = encode_frame(&reply)?;
            // Length and body in one write: see the module documentation.
            stream.write_all(&frame).map_err(VpcdError::Write)?;
        }
    }
}

/// Connects, retrying until the connect timeout; `Ok(Err(reason))` when stopped meanwhile.
fn connect(
    addr: &str,
    opts: &AttachOptions,
    watch: &Watch,
) -> Result<Result<TcpStream, EndReason>, VpcdError> {
    let addrs: Vec<SocketAddr> = addr
        .to_socket_addrs()
        .map_err(|source| VpcdError::Address {
            addr: addr.to_owned(),
            source,
        })?
        .collect();
    if addrs.is_empty() {
        return Err(VpcdError::Address {
            addr: addr.to_owned(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "resolves to no address"),
        });
    }
    let started = Instant::now();
    let give_up = opts.connect_timeout.and_then(|t| started.checked_add(t));
    loop {
        let mut last_error = None;
        for a in &addrs {
            match TcpStream::connect_timeout(a, CONNECT_ATTEMPT_TIMEOUT) {
                Ok(stream) => return Ok(Ok(stream)),
                Err(e) => last_error = Some(e),
            }
        }
        if let Some(reason) = watch.check() {
            return Ok(Err(reason));
        }
        let now = Instant::now();
        if give_up.is_some_and(|g| now >= g) {
            return Err(VpcdError::Connect {
                addr: addr.to_owned(),
                waited: now.saturating_duration_since(started),
                source: last_error
                    .unwrap_or_else(|| io::Error::other("no connection attempt was made")),
            });
        }
        let pause = match give_up {
            Some(g) => opts.retry_interval.min(g.saturating_duration_since(now)),
            None => opts.retry_interval,
        };
        std::thread::sleep(pause.max(Duration::from_millis(1)));
    }
}

fn configure(stream: &TcpStream, opts: &AttachOptions, watch: &Watch) -> Result<(), VpcdError> {
    stream
        .set_nodelay(true)
        .map_err(|source| VpcdError::SocketOption {
            option: "TCP_NODELAY",
            source,
        })?;
    let read_timeout = watch
        .is_active()
        .then(|| opts.poll_interval.max(Duration::from_millis(1)));
    stream
        .set_read_timeout(read_timeout)
        .map_err(|source| VpcdError::SocketOption {
            option: "SO_RCVTIMEO",
            source,
        })?;
    stream
        .set_write_timeout(Some(WRITE_TIMEOUT))
        .map_err(|source| VpcdError::SocketOption {
            option: "SO_SNDTIMEO",
            source,
        })?;
    quickack(stream)
}

/// Asks the kernel to acknowledge received data at once instead of delaying the ACK.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn quickack(stream: &TcpStream) -> Result<(), VpcdError> {
    socket2::SockRef::from(stream)
        .set_tcp_quickack(true)
        .map_err(|source| VpcdError::SocketOption {
            option: "TCP_QUICKACK",
            source,
        })
}

/// `TCP_QUICKACK` is Linux-only; elsewhere the bridge works, perhaps with the 40 ms delays.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn quickack(_stream: &TcpStream) -> Result<(), VpcdError> {
    Ok(())
}

enum Filled {
    Full,
    /// The peer closed the connection after `got` bytes of this part.
    Eof {
        got: usize,
    },
    Ended(EndReason),
}

/// Reads exactly `buf.len()` bytes, keeping partial progress across read timeouts, with
/// `TCP_QUICKACK` set before and after every read.
fn fill(stream: &mut TcpStream, buf: &mut [u8], watch: &Watch) -> Result<Filled, VpcdError> {
    let mut got = 0usize;
    while let Some(rest) = buf.get_mut(got..).filter(|r| !r.is_empty()) {
        if let Some(reason) = watch.check() {
            return Ok(Filled::Ended(reason));
        }
        quickack(stream)?;
        let read = stream.read(rest);
        quickack(stream)?;
        match read {
            Ok(0) => return Ok(Filled::Eof { got }),
            Ok(n) => got = got.saturating_add(n),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                ) =>
            {
                return Ok(Filled::Eof { got })
            }
            Err(e) => return Err(VpcdError::Read(e)),
        }
    }
    Ok(Filled::Full)
}

/// A bridge running in a background thread; stopping it (or dropping it) closes the connection,
/// which removes the card from the virtual reader.
#[derive(Debug)]
pub struct VpcdBridge<C> {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<(C, Result<AttachEnd, VpcdError>)>>,
}

/// What a stopped background bridge gives back.
#[derive(Debug)]
#[non_exhaustive]
pub struct BridgeExit<C> {
    /// The card, with whatever persistent state it gained (PIN counters…), ready to be inserted
    /// again.
    pub card: C,
    /// How [`attach`] ended.
    pub outcome: Result<AttachEnd, VpcdError>,
}

/// Runs [`attach`] in a background thread named `vpcd-bridge`. The returned handle's stop flag
/// replaces any in `opts`.
///
/// # Errors
///
/// [`VpcdError::Thread`] if the thread cannot be started; connection errors come from
/// [`VpcdBridge::stop`] or [`VpcdBridge::wait`].
pub fn spawn<C: SmartCard + 'static>(
    card: C,
    addr: &str,
    opts: AttachOptions,
) -> Result<VpcdBridge<C>, VpcdError> {
    let stop = Arc::new(AtomicBool::new(false));
    let opts = opts.with_stop(Arc::clone(&stop));
    let addr = addr.to_owned();
    let thread = std::thread::Builder::new()
        .name("vpcd-bridge".to_owned())
        .spawn(move || {
            let mut card = card;
            let outcome = attach(&mut card, &addr, &opts);
            if let Err(e) = &outcome {
                log::debug!("vpcd bridge ended: {e}");
            }
            (card, outcome)
        })
        .map_err(VpcdError::Thread)?;
    Ok(VpcdBridge {
        stop,
        thread: Some(thread),
    })
}

impl<C> VpcdBridge<C> {
    /// Whether the bridge has ended by itself (vpcd closed the connection, an error, time out).
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stops the bridge (the card leaves the reader) and gives the card back.
    ///
    /// # Errors
    ///
    /// [`VpcdError::Panicked`] if the card panicked; the card is lost then.
    pub fn stop(mut self) -> Result<BridgeExit<C>, VpcdError> {
        self.stop.store(true, Ordering::SeqCst);
        self.join()
    }

    /// Waits for the bridge to end by itself, without stopping it.
    ///
    /// # Errors
    ///
    /// [`VpcdError::Panicked`] if the card panicked.
    pub fn wait(mut self) -> Result<BridgeExit<C>, VpcdError> {
        self.join()
    }

    fn join(&mut self) -> Result<BridgeExit<C>, VpcdError> {
        let thread = self.thread.take().ok_or(VpcdError::Panicked)?;
        let (card, outcome) = thread.join().map_err(|_| VpcdError::Panicked)?;
        Ok(BridgeExit { card, outcome })
    }
}

impl<C> Drop for VpcdBridge<C> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            // A panic was already reported by the thread itself.
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    const ATR: [u8; 5] = [0x3B, 0x80, 0x80, 0x01, 0x01];

    /// Records what happened to it; answers a command with its length and 9000, and `FF FF`
    /// with an over-long reply.
    #[derive(Default)]
    struct Recorder {
        events: Vec<String>,
    }

    impl SmartCard for Recorder {
        fn atr(&self) -> Vec<u8> {
            ATR.to_vec()
        }
        fn reset(&mut self) {
            self.events.push("reset".into());
        }
        fn power_off(&mut self) {
            self.events.push("off".into());
        }
        fn process(&mut self, command: &[u8]) -> Vec<u8> {
            self.events.push(format!("apdu {}", hex::encode(command)));
            if command == [0xFF, 0xFF] {
                return vec![0; 70_000];
            }
            let len = u16::try_from(command.len()).unwrap().to_be_bytes();
            vec![len[0], len[1], 0x90, 0x00]
        }
        fn kind(&self) -> &str {
            "recorder"
        }
    }

    fn listener() -> (TcpListener, String) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        (l, addr)
    }

    fn opts() -> AttachOptions {
        AttachOptions::default()
            .with_connect_timeout(Some(Duration::from_secs(5)))
            .with_max_run_time(Duration::from_secs(20))
    }

    fn send(s: &mut TcpStream, body: &[u8]) {
        s.write_all(&encode_frame(body).unwrap()).unwrap();
    }

    fn recv(s: &mut TcpStream) -> Vec<u8> {
        let mut h = [0u8; 2];
        s.read_exact(&mut h).unwrap();
        let mut b = vec![0u8; usize::from(u16::from_be_bytes(h))];
        s.read_exact(&mut b).unwrap();
        b
    }

    /// Runs a fake vpcd on one connection in a thread and the bridge in this one.
    fn run(
        server: impl FnOnce(TcpStream) + Send + 'static,
        card: &mut Recorder,
        opts: &AttachOptions,
    ) -> Result<AttachEnd, VpcdError> {
        let (l, addr) = listener();
        let t = std::thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            server(s);
        });
        let r = attach(card, &addr, opts);
        t.join().unwrap();
        r
    }

    #[test]
    fn frames_are_length_prefixed_big_endian() {
        assert_eq!(encode_frame(&[]).unwrap(), [0, 0]);
        assert_eq!(encode_frame(&[0x90, 0x00]).unwrap(), [0, 2, 0x90, 0x00]);
        let long = encode_frame(&[7; 0x1234]).unwrap();
        assert_eq!(long[..3], [0x12, 0x34, 7]);
        assert_eq!(long.len(), 0x1236);
        assert!(encode_frame(&[0; MAX_FRAME_LEN]).is_ok());
        assert!(matches!(
            encode_frame(&[0; MAX_FRAME_LEN + 1]),
            Err(VpcdError::ReplyTooLong(65_536))
        ));
    }

    #[test]
    fn control_messages_and_apdus() {
        let mut card = Recorder::default();
        let end = run(
            |mut s| {
                send(&mut s, &[CTRL_POWER_ON]);
                send(&mut s, &[CTRL_GET_ATR]);
                // Had power on been answered, that reply would come first.
                assert_eq!(recv(&mut s), ATR);
                send(&mut s, &[0x00, 0xA4, 0x04, 0x00]);
                assert_eq!(recv(&mut s), [0, 4, 0x90, 0x00]);
                send(&mut s, &[CTRL_RESET]);
                send(&mut s, &[CTRL_POWER_OFF]);
                send(&mut s, &[0x03]); // undefined control message: ignored
                send(&mut s, &[CTRL_GET_ATR]);
                assert_eq!(recv(&mut s), ATR);
                // Nothing else may have been sent: closing our side must meet an EOF.
                s.shutdown(std::net::Shutdown::Write).unwrap();
                let mut rest = Vec::new();
                s.read_to_end(&mut rest).unwrap();
                assert!(rest.is_empty(), "unexpected bytes {rest:02X?}");
            },
            &mut card,
            &opts(),
        )
        .unwrap();
        assert_eq!(end.reason, EndReason::ClosedByVpcd);
        assert_eq!(end.commands, 1);
        assert_eq!(end.control_messages, 6);
        assert_eq!(card.events, ["reset", "apdu 00a40400", "reset", "off"]);
    }

    #[test]
    fn empty_and_largest_frames_are_commands() {
        let mut card = Recorder::default();
        run(
            |mut s| {
                send(&mut s, &[]);
                assert_eq!(recv(&mut s), [0, 0, 0x90, 0x00]);
                send(&mut s, &[0x5A; MAX_FRAME_LEN]);
                assert_eq!(recv(&mut s), [0xFF, 0xFF, 0x90, 0x00]);
                send(&mut s, &[0x80, 0xCA]);
                assert_eq!(recv(&mut s), [0, 2, 0x90, 0x00]);
            },
            &mut card,
            &opts(),
        )
        .unwrap();
        assert_eq!(card.events.len(), 3);
        assert_eq!(card.events[0], "apdu ");
    }

    #[test]
    fn frame_bytes_may_arrive_one_at_a_time() {
        let mut card = Recorder::default();
        run(
            |mut s| {
                s.set_nodelay(true).unwrap();
                for b in [0u8, 4, 0x00, 0xB0, 0x00, 0x00] {
                    s.write_all(&[b]).unwrap();
                    std::thread::sleep(Duration::from_millis(5));
                }
                assert_eq!(recv(&mut s), [0, 4, 0x90, 0x00]);
            },
            &mut card,
            &opts(),
        )
        .unwrap();
        assert_eq!(card.events, ["apdu 00b00000"]);
    }

    #[test]
    fn truncated_body_is_an_error() {
        let mut card = Recorder::default();
        let r = run(
            |mut s| s.write_all(&[0x00, 0x05, 0xAA, 0xBB]).unwrap(),
            &mut card,
            &opts(),
        );
        assert!(
            matches!(
                r,
                Err(VpcdError::Truncated {
                    got: 2,
                    expected: 5
                })
            ),
            "{r:?}"
        );
        assert!(card.events.is_empty());
    }

    #[test]
    fn truncated_length_is_an_error() {
        let mut card = Recorder::default();
        let r = run(|mut s| s.write_all(&[0x00]).unwrap(), &mut card, &opts());
        assert!(
            matches!(
                r,
                Err(VpcdError::Truncated {
                    got: 1,
                    expected: 2
                })
            ),
            "{r:?}"
        );
    }

    #[test]
    fn huge_announced_length_waits_for_data_and_stays_bounded() {
        // 0xFFFF announced, 3 bytes sent, then the connection closes.
        let mut card = Recorder::default();
        let r = run(
            |mut s| s.write_all(&[0xFF, 0xFF, 1, 2, 3]).unwrap(),
            &mut card,
            &opts(),
        );
        assert!(
            matches!(
                r,
                Err(VpcdError::Truncated {
                    got: 3,
                    expected: 0xFFFF
                })
            ),
            "{r:?}"
        );
    }

    #[test]
    fn over_long_card_reply_is_an_error_not_a_panic() {
        let mut card = Recorder::default();
        let r = run(
            |mut s| {
                send(&mut s, &[0xFF, 0xFF]);
                let mut rest = Vec::new();
                let _ = s.read_to_end(&mut rest);
                assert!(rest.is_empty());
            },
            &mut card,
            &opts(),
        );
        assert!(matches!(r, Err(VpcdError::ReplyTooLong(70_000))), "{r:?}");
    }

    #[test]
    fn stop_flag_ends_a_waiting_bridge() {
        let (l, addr) = listener();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let t = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            std::thread::sleep(Duration::from_millis(100));
            flag.store(true, Ordering::SeqCst);
            // The bridge closes the connection: card removed.
            let mut rest = Vec::new();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s.read_to_end(&mut rest).unwrap();
        });
        let mut card = Recorder::default();
        let end = attach(&mut card, &addr, &opts().with_stop(stop)).unwrap();
        t.join().unwrap();
        assert_eq!(end.reason, EndReason::Stopped);
    }

    #[test]
    fn run_time_limit_ends_the_bridge() {
        let (l, addr) = listener();
        let t = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut rest = Vec::new();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s.read_to_end(&mut rest).unwrap();
        });
        let mut card = Recorder::default();
        let o = AttachOptions::default().with_max_run_time(Duration::from_millis(200));
        let end = attach(&mut card, &addr, &o).unwrap();
        t.join().unwrap();
        assert_eq!(end.reason, EndReason::TimeLimit);
    }

    #[test]
    fn connecting_retries_until_vpcd_listens() {
        let (l, addr) = listener();
        drop(l);
        let server_addr = addr.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            let l = TcpListener::bind(&server_addr).unwrap();
            let (mut s, _) = l.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            send(&mut s, &[CTRL_GET_ATR]);
            assert_eq!(recv(&mut s), ATR);
        });
        let mut card = Recorder::default();
        let end = attach(&mut card, &addr, &opts()).unwrap();
        t.join().unwrap();
        assert_eq!(end.reason, EndReason::ClosedByVpcd);
        assert_eq!(end.control_messages, 1);
    }

    #[test]
    fn connect_gives_up_after_the_timeout() {
        let (l, addr) = listener();
        drop(l);
        let mut card = Recorder::default();
        let o = AttachOptions::default().with_connect_timeout(Some(Duration::from_millis(200)));
        let r = attach(&mut card, &addr, &o);
        assert!(matches!(r, Err(VpcdError::Connect { .. })), "{r:?}");
    }

    #[test]
    fn stop_flag_ends_connection_attempts() {
        let (l, addr) = listener();
        drop(l);
        let stop = Arc::new(AtomicBool::new(true));
        let mut card = Recorder::default();
        let o = AttachOptions::default()
            .with_connect_timeout(None)
            .with_stop(stop);
        assert_eq!(
            attach(&mut card, &addr, &o).unwrap().reason,
            EndReason::Stopped
        );
    }

    #[test]
    fn bad_address_is_reported() {
        let mut card = Recorder::default();
        let r = attach(&mut card, "not an address", &AttachOptions::default());
        assert!(matches!(r, Err(VpcdError::Address { .. })), "{r:?}");
    }

    #[test]
    fn spawned_bridge_serves_and_stops() {
        let (l, addr) = listener();
        let bridge = spawn(Recorder::default(), &addr, opts()).unwrap();
        let (mut s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        send(&mut s, &[CTRL_POWER_ON]);
        send(&mut s, &[0x00, 0x20, 0x00, 0x80]);
        assert_eq!(recv(&mut s), [0, 4, 0x90, 0x00]);
        assert!(!bridge.is_finished());
        let exit = bridge.stop().unwrap();
        // Card removed: vpcd sees the connection closed.
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
        assert_eq!(exit.outcome.unwrap().reason, EndReason::Stopped);
        assert_eq!(exit.card.events, ["reset", "apdu 00200080"]);
    }

    #[test]
    fn spawned_bridge_ends_when_vpcd_closes() {
        let (l, addr) = listener();
        let bridge = spawn(Recorder::default(), &addr, opts()).unwrap();
        let (s, _) = l.accept().unwrap();
        drop(s);
        let exit = bridge.wait().unwrap();
        assert_eq!(exit.outcome.unwrap().reason, EndReason::ClosedByVpcd);
    }
}
