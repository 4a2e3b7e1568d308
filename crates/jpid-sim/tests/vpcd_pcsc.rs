//! End to end through real PC/SC: a test card behind the vpcd bridge, a private pcscd with the
//! vsmartcard vpcd driver, and `jpid_card::pcsc::PcscTransport` (plus `opensc-tool`) as clients.
//!
//! Needs pcscd, vsmartcard-vpcd and opensc installed; fails (does not skip) without them.

use jpid_testkit::pcscd;

use std::process::Command as Process;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jpid_apdu::{Command, LengthMode};
use jpid_card::pcsc::{list_readers, PcscTransport, ReaderSelector};
use jpid_card::{CardTransport, TransportError};
use jpid_sim::vpcd::{self, AttachOptions, EndReason, VpcdBridge};
use jpid_sim::SmartCard;

use pcscd::Pcscd;

/// A T=1 ATR with no historical bytes (TCK 01).
const ATR: [u8; 5] = [0x3B, 0x80, 0x80, 0x01, 0x01];
/// The JPKI application's AID (the one OpenSC selects to recognise a My Number card).
const JPKI_AID: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
const FILE_LEN: usize = 1000;

#[derive(Default)]
struct Counters {
    resets: AtomicU32,
    power_offs: AtomicU32,
    commands: AtomicU32,
}

/// A card with one application (the JPKI AID) holding one transparent file.
struct TestCard {
    selected: bool,
    file: Vec<u8>,
    counters: Arc<Counters>,
}

impl TestCard {
    fn new(counters: Arc<Counters>) -> Self {
        Self {
            selected: false,
            file: file_content(),
            counters,
        }
    }
}

fn file_content() -> Vec<u8> {
    (0..FILE_LEN).map(|i| (i * 7 % 251) as u8).collect()
}

fn sw(sw: u16) -> Vec<u8> {
    sw.to_be_bytes().to_vec()
}

impl SmartCard for TestCard {
    fn atr(&self) -> Vec<u8> {
        ATR.to_vec()
    }

    fn reset(&mut self) {
        self.selected = false;
        self.counters.resets.fetch_add(1, Ordering::SeqCst);
    }

    fn power_off(&mut self) {
        self.selected = false;
        self.counters.power_offs.fetch_add(1, Ordering::SeqCst);
    }

    fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.counters.commands.fetch_add(1, Ordering::SeqCst);
        let Ok(cmd) = Command::parse(apdu) else {
            return sw(0x6700);
        };
        if cmd.cla() != 0x00 {
            return sw(0x6E00);
        }
        let offset = usize::from(u16::from_be_bytes([cmd.p1() & 0x7F, cmd.p2()]));
        match cmd.ins() {
            // SELECT by DF name
            0xA4 if cmd.p1() == 0x04 => {
                self.selected = cmd.data() == JPKI_AID;
                if self.selected {
                    sw(0x9000)
                } else {
                    sw(0x6A82)
                }
            }
            0xA4 => sw(0x6A86),
            // READ BINARY: as many bytes as asked and available
            0xB0 if !self.selected => sw(0x6986),
            0xB0 if offset > self.file.len() => sw(0x6B00),
            0xB0 => {
                let want = cmd.le().unwrap_or(256) as usize;
                let end = self.file.len().min(offset + want);
                let mut r = self.file[offset..end].to_vec();
                r.extend_from_slice(&[0x90, 0x00]);
                r
            }
            // UPDATE BINARY
            0xD6 if !self.selected => sw(0x6986),
            0xD6 if offset + cmd.data().len() > self.file.len() => sw(0x6A84),
            0xD6 => {
                self.file[offset..offset + cmd.data().len()].copy_from_slice(cmd.data());
                sw(0x9000)
            }
            _ => sw(0x6D00),
        }
    }

    fn kind(&self) -> &str {
        "test"
    }
}

fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

fn card_present(reader: &str) -> bool {
    list_readers()
        .unwrap_or_default()
        .iter()
        .any(|r| r.name == reader && r.card_present)
}

/// Starts the bridge for a fresh test card and waits until pcscd sees the card.
fn insert(harness: &Pcscd, counters: &Arc<Counters>) -> VpcdBridge<TestCard> {
    let bridge = vpcd::spawn(
        TestCard::new(Arc::clone(counters)),
        &harness.vpcd_addr(),
        AttachOptions::default().with_max_run_time(Duration::from_secs(120)),
    )
    .expect("bridge thread");
    wait_until(
        "the card in the vpcd reader",
        Duration::from_secs(10),
        || card_present(harness.reader_name()),
    );
    bridge
}

fn encode(cmd: &Command, mode: LengthMode) -> Vec<u8> {
    cmd.encode(mode).expect("encodable").to_vec()
}

fn select_jpki() -> Vec<u8> {
    encode(
        &Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(JPKI_AID),
        LengthMode::Short,
    )
}

#[test]
fn pcsc_transport_talks_to_the_simulator_through_vpcd() {
    let harness = Pcscd::start();
    let counters = Arc::new(Counters::default());
    let bridge = insert(&harness, &counters);

    let readers = list_readers().expect("list readers");
    let ours = readers
        .iter()
        .find(|r| r.name == harness.reader_name())
        .expect("our reader");
    assert!(ours.card_present);
    assert_eq!(ours.atr.as_deref(), Some(&ATR[..]));

    // Case-insensitive name selection.
    let t = PcscTransport::connect(&ReaderSelector::NameContains(
        harness.reader_name().to_uppercase(),
    ))
    .expect("connect");
    assert_eq!(t.atr(), ATR);
    assert_eq!(t.reader_name(), harness.reader_name());
    println!(
        "vpcd: SCARD_ATTR_MAXINPUT {:?}, extended length by default: {}",
        t.max_input(),
        t.supports_extended_length()
    );
    // vpcd 0.8 does not announce extended length but carries it (ecosystem.md §5.2 point 7).
    let mut t = t.with_extended(true);
    assert!(t.supports_extended_length());

    // Unknown AID, unknown INS, then the JPKI AID.
    let other_aid = encode(
        &Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(vec![0xA0, 0x00, 0x00, 0x03, 0x08]),
        LengthMode::Short,
    );
    assert_eq!(t.transmit(&other_aid).unwrap(), [0x6A, 0x82]);
    assert_eq!(t.transmit(&[0x00, 0x12, 0x00, 0x00]).unwrap(), [0x6D, 0x00]);
    assert_eq!(t.transmit(&select_jpki()).unwrap(), [0x90, 0x00]);

    // Short READ BINARY: 256 bytes.
    let short = t.transmit(&[0x00, 0xB0, 0x00, 0x00, 0x00]).unwrap();
    assert_eq!(short.len(), 258);
    assert_eq!(short[..256], file_content()[..256]);

    // Extended READ BINARY of the whole file (Le = 1000) in one exchange.
    let read_all = encode(
        &Command::new(0x00, 0xB0, 0x00, 0x00).with_le(FILE_LEN as u32),
        LengthMode::Extended,
    );
    assert_eq!(read_all, [0x00, 0xB0, 0x00, 0x00, 0x00, 0x03, 0xE8]);
    let long = t.transmit(&read_all).unwrap();
    assert_eq!(long.len(), FILE_LEN + 2);
    assert_eq!(long[..FILE_LEN], file_content()[..]);
    assert_eq!(long[FILE_LEN..], [0x90, 0x00]);

    // Extended command data: UPDATE BINARY of 900 bytes, then read back (Le = 0000: all).
    let new_data: Vec<u8> = (0..900u32).map(|i| (i % 256) as u8 ^ 0x5A).collect();
    let update = encode(
        &Command::new(0x00, 0xD6, 0x00, 0x64).with_data(new_data.clone()),
        LengthMode::Extended,
    );
    assert_eq!(t.transmit(&update).unwrap(), [0x90, 0x00]);
    let read_back = t
        .transmit(&encode(
            &Command::new(0x00, 0xB0, 0x00, 0x64).with_le(65_536),
            LengthMode::Extended,
        ))
        .unwrap();
    assert_eq!(read_back.len(), 900 + 2);
    assert_eq!(read_back[..900], new_data[..]);

    // 200 round trips: the 43 ms delayed-ACK trap would make this take ~9 s (printed, not
    // asserted: no timed tests).
    let read16 = [0x00, 0xB0, 0x00, 0x00, 0x10];
    let started = Instant::now();
    for _ in 0..200 {
        let r = t.transmit(&read16).unwrap();
        assert_eq!(r.len(), 18);
    }
    let elapsed = started.elapsed();
    println!(
        "200 READ BINARY round trips through pcscd and vpcd: {elapsed:?} ({:?} each)",
        elapsed / 200
    );

    // A reset reaches the card and clears its selection.
    let resets = counters.resets.load(Ordering::SeqCst);
    t.reset().expect("reset");
    assert!(counters.resets.load(Ordering::SeqCst) > resets);
    assert_eq!(t.atr(), ATR);
    assert_eq!(t.transmit(&read16).unwrap(), [0x69, 0x86]);
    assert_eq!(t.transmit(&select_jpki()).unwrap(), [0x90, 0x00]);

    // Exclusive use keeps other programs out.
    t.begin_exclusive().expect("begin exclusive");
    let other = PcscTransport::connect(&ReaderSelector::FirstWithCard);
    assert!(matches!(other, Err(TransportError::Busy)), "{other:?}");
    assert_eq!(t.transmit(&read16).unwrap().len(), 18);
    t.end_exclusive().expect("end exclusive");
    // The card kept its state: the application is still selected.
    assert_eq!(t.transmit(&read16).unwrap().len(), 18);
    // (pcsc-lite would make this connect wait forever had end_exclusive used SCardReconnect.)
    let other = PcscTransport::connect(&ReaderSelector::FirstWithCard).expect("shared again");
    assert_eq!(other.reader_name(), harness.reader_name());
    // Dropping a transport resets the card (no verified PIN outlives it), which the other
    // connection then learns.
    drop(other);
    assert_eq!(t.transmit(&read16), Err(TransportError::CardReset));
    t.reset().expect("reconnect after reset");
    assert_eq!(t.transmit(&select_jpki()).unwrap(), [0x90, 0x00]);

    // Unknown readers.
    let none = PcscTransport::connect(&ReaderSelector::NameContains("no such reader".into()));
    assert!(
        matches!(&none, Err(TransportError::NoReader(Some(n))) if n == "no such reader"),
        "{none:?}"
    );
    // Slot 1 has no card.
    let empty =
        PcscTransport::connect(&ReaderSelector::NameContains("jpid test vpcd 00 01".into()));
    assert!(
        matches!(empty, Err(TransportError::NoCard(Some(_)))),
        "{empty:?}"
    );

    // Removing the card: stop the bridge, its socket closes.
    let exit = bridge.stop().expect("bridge stopped");
    assert_eq!(exit.outcome.expect("clean end").reason, EndReason::Stopped);
    wait_until(
        "the card to leave the reader",
        Duration::from_secs(10),
        || !card_present(harness.reader_name()),
    );
    let gone = t.transmit(&read16);
    assert!(matches!(gone, Err(TransportError::CardRemoved)), "{gone:?}");
    let nothing = PcscTransport::connect(&ReaderSelector::FirstWithCard);
    assert!(
        matches!(nothing, Err(TransportError::NoCard(None))),
        "{nothing:?}"
    );
    assert!(counters.commands.load(Ordering::SeqCst) >= 200);
}

/// Runs `opensc-tool` as a subprocess against the harness's pcscd.
fn opensc_tool(harness: &Pcscd, args: &[&str]) -> String {
    let out = Process::new("opensc-tool")
        .args(args)
        .envs(harness.client_env())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run opensc-tool ({e}); install opensc: run `./scripts/test` (the \
                 README's test script installs it), or `apt-get install -y opensc`"
            )
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "opensc-tool {args:?} failed: {text}");
    println!(
        "$ PCSCLITE_CSOCK_NAME={} opensc-tool {}\n{text}",
        harness.socket_path().display(),
        args.join(" ")
    );
    text
}

#[test]
fn opensc_tool_sees_the_simulated_card() {
    let harness = Pcscd::start();
    let counters = Arc::new(Counters::default());
    let bridge = insert(&harness, &counters);

    let list = opensc_tool(&harness, &["--list-readers"]);
    let line = list
        .lines()
        .find(|l| l.contains(harness.reader_name()))
        .unwrap_or_else(|| panic!("reader not listed: {list}"));
    assert!(line.contains("Yes"), "card not present: {line}");

    // First reader with a card, then by name.
    let atr = opensc_tool(&harness, &["--atr"]);
    assert!(atr.contains("3b:80:80:01:01"), "{atr}");
    let atr = opensc_tool(&harness, &["--reader", harness.reader_name(), "--atr"]);
    assert!(atr.contains("3b:80:80:01:01"), "{atr}");

    let select = opensc_tool(
        &harness,
        &[
            "--reader",
            harness.reader_name(),
            "--send-apdu",
            "00:A4:04:0C:0A:D3:92:F0:00:26:01:00:00:00:01",
            "--send-apdu",
            "00:B0:00:00:04",
        ],
    );
    assert!(select.contains("SW1=0x90, SW2=0x00"), "{select}");
    assert!(select.contains("00 07 0E 15"), "{select}");

    drop(bridge);
}
