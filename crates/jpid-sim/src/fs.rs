//! The generic card operating system every simulated card runs on: an MF, DFs selected by AID,
//! transparent EFs by file id and short EF id, access rules, and PIN objects with retry counters.
//!
//! Status words follow the fact sheets: `docs/spec/mynumber-card.md` §1, §2 (VERIFY, `63Cx`,
//! `6984`) and §6, `docs/spec/residence-card.md` §1 (`69 82`, `6A 82`, `6B 00`).

use jpid_apdu::{Command, Response, Sensitive, StatusWord};
use subtle::ConstantTimeEq;

/// Who may read an EF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Free,
    /// No one (keys).
    Never,
    /// After the key with this file id in the same DF was verified in this session.
    Key(u16),
    /// After any one of these keys was verified in this session.
    AnyKey(Vec<u16>),
    /// A card-specific condition decided by the card's [`Extension`] (e.g. "residence card
    /// number authenticated and secure messaging in use").
    Custom(u8),
}

/// A transparent elementary file.
#[derive(Debug, Clone)]
pub struct Ef {
    /// File id.
    pub fid: u16,
    /// Short EF id (1–30), if the file has one.
    pub sfi: Option<u8>,
    /// Contents.
    pub data: Vec<u8>,
    /// Read rule.
    pub read: Access,
    /// Records, for a record-structured EF (READ RECORD); empty for a transparent one.
    pub records: Vec<Vec<u8>>,
}

impl Ef {
    /// A free-to-read EF reachable by file id and, if given, short id.
    pub fn new(fid: u16, sfi: Option<u8>, data: Vec<u8>) -> Self {
        Self {
            fid,
            sfi,
            data,
            read: Access::Free,
            records: Vec::new(),
        }
    }

    /// A record-structured EF holding `records` (numbered from 1).
    pub fn records(fid: u16, sfi: Option<u8>, records: Vec<Vec<u8>>) -> Self {
        let mut ef = Self::new(fid, sfi, Vec::new());
        ef.records = records;
        ef
    }

    /// Sets the read rule.
    pub fn read(mut self, access: Access) -> Self {
        self.read = access;
        self
    }
}

/// How a PIN object reports a wrong entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterStyle {
    /// `63 Cx` with the tries left, `69 84` once blocked (My Number card,
    /// docs/spec/mynumber-card.md §2).
    Counted,
}

/// A PIN (reference data) with its retry counter.
#[derive(Clone)]
pub struct Pin {
    /// The key's file id (`0018`, `001B`, ...); VERIFY P2 `80|id` names it too.
    pub fid: u16,
    value: Sensitive,
    /// Tries allowed after a correct entry.
    pub max_tries: u8,
    /// Tries left; 0 means blocked.
    pub remaining: u8,
    verified: bool,
    /// How wrong entries are reported.
    pub style: CounterStyle,
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pin")
            .field("fid", &format_args!("{:04X}", self.fid))
            .field("value", &"REDACTED")
            .field("max_tries", &self.max_tries)
            .field("remaining", &self.remaining)
            .field("verified", &self.verified)
            .finish()
    }
}

impl Pin {
    /// A PIN with `max_tries` tries, all of them left.
    pub fn new(fid: u16, value: &[u8], max_tries: u8) -> Self {
        Self {
            fid,
            value: Sensitive::from(value),
            max_tries,
            remaining: max_tries,
            verified: false,
            style: CounterStyle::Counted,
        }
    }

    /// Starts with `remaining` tries (0 = blocked), to simulate a card that was misused.
    pub fn with_remaining(mut self, remaining: u8) -> Self {
        self.remaining = remaining.min(self.max_tries);
        self
    }

    /// Whether it was verified in this session.
    pub fn is_verified(&self) -> bool {
        self.verified
    }

    /// VERIFY with `data`; an empty `data` asks for the counter without spending a try.
    fn verify(&mut self, data: &[u8]) -> StatusWord {
        if data.is_empty() {
            // docs/spec/mynumber-card.md §2: the empty VERIFY answers 63Cx; 9000 once verified in
            // this session (MC, UNCONFIRMED); a blocked key keeps answering 63C0.
            return if self.verified && self.remaining > 0 {
                StatusWord::Success
            } else {
                StatusWord::WrongPin {
                    remaining: self.remaining,
                }
            };
        }
        if self.remaining == 0 {
            return StatusWord::ReferenceDataBlocked;
        }
        let ok: bool = self.value.expose().ct_eq(data).into();
        if ok {
            self.remaining = self.max_tries;
            self.verified = true;
            StatusWord::Success
        } else {
            self.remaining -= 1;
            self.verified = false;
            StatusWord::WrongPin {
                remaining: self.remaining,
            }
        }
    }

    /// Replaces the value (CHANGE REFERENCE DATA after a successful VERIFY).
    pub fn set_value(&mut self, value: &[u8]) {
        self.value = Sensitive::from(value);
    }
}

/// A dedicated file (application) or the MF.
#[derive(Debug, Clone, Default)]
pub struct Df {
    /// DF name (AID); `None` for the MF.
    pub aid: Option<Vec<u8>>,
    /// Its EFs.
    pub efs: Vec<Ef>,
    /// Its PIN objects.
    pub pins: Vec<Pin>,
}

impl Df {
    /// An application with `aid`.
    pub fn app(aid: &[u8]) -> Self {
        Self {
            aid: Some(aid.to_vec()),
            ..Self::default()
        }
    }

    /// Adds an EF.
    pub fn ef(mut self, ef: Ef) -> Self {
        self.efs.push(ef);
        self
    }

    /// Adds a PIN.
    pub fn pin(mut self, pin: Pin) -> Self {
        self.pins.push(pin);
        self
    }

    /// The PIN with file id `fid`.
    pub fn pin_mut(&mut self, fid: u16) -> Option<&mut Pin> {
        self.pins.iter_mut().find(|p| p.fid == fid)
    }
}

/// Which DF is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DfRef {
    /// The MF.
    Mf,
    /// `dfs[i]`.
    App(usize),
}

/// What is selected: a DF and maybe an EF or key in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selected {
    /// Nothing below the DF.
    None,
    /// `efs[i]` of the current DF.
    Ef(usize),
    /// `pins[i]` of the current DF (selected by its file id, as the JPKI-AP does before VERIFY).
    Pin(usize),
}

/// Card-specific behaviour layered on the generic OS (residence-card authentication, JPKI
/// signing, ...).
pub trait Extension: Send {
    /// Sees every command first; `Some` answers it, `None` lets the generic OS handle it.
    fn handle(&mut self, os: &mut Os, cmd: &Command) -> Option<Response>;
    /// Decides [`Access::Custom`] rules.
    fn allows(&self, os: &Os, rule: u8) -> bool;
    /// Clears session state on reset and power-off.
    fn reset(&mut self);
}

/// Options describing how the card OS behaves where real cards differ.
#[derive(Debug, Clone, Copy)]
pub struct Quirks {
    /// Whether `SELECT MF` (`00 A4 00 00 02 3F 00`) works. The My Number card answers `6A 86`
    /// (docs/spec/mynumber-card.md §1); the residence card accepts it (docs/spec/residence-card.md
    /// §1, SWR, PYB).
    pub select_mf: bool,
    /// The most bytes one plain READ BINARY answers (with `90 00`), if fewer than asked.
    pub short_reads: Option<u16>,
}

/// The card operating system's state: files plus what this session selected.
#[derive(Debug, Clone)]
pub struct Os {
    /// The MF.
    pub mf: Df,
    /// The applications.
    pub dfs: Vec<Df>,
    /// Current DF.
    pub current_df: DfRef,
    /// Current EF or key.
    pub selected: Selected,
    /// Behaviour switches.
    pub quirks: Quirks,
}

impl Os {
    /// A card with `mf` and the applications `dfs`, MF selected.
    pub fn new(mf: Df, dfs: Vec<Df>, quirks: Quirks) -> Self {
        Self {
            mf,
            dfs,
            current_df: DfRef::Mf,
            selected: Selected::None,
            quirks,
        }
    }

    /// The current DF.
    pub fn df(&self) -> &Df {
        match self.current_df {
            DfRef::Mf => &self.mf,
            DfRef::App(i) => self.dfs.get(i).unwrap_or(&self.mf),
        }
    }

    /// The current DF, mutably.
    pub fn df_mut(&mut self) -> &mut Df {
        match self.current_df {
            DfRef::App(i) if i < self.dfs.len() => self.dfs.get_mut(i).unwrap_or(&mut self.mf),
            _ => &mut self.mf,
        }
    }

    /// The application with `aid`, mutably (for tests and profiles).
    pub fn app_mut(&mut self, aid: &[u8]) -> Option<&mut Df> {
        self.dfs.iter_mut().find(|d| d.aid.as_deref() == Some(aid))
    }

    /// Back to the power-on state: MF selected, every PIN unverified.
    pub fn reset_session(&mut self) {
        self.current_df = DfRef::Mf;
        self.selected = Selected::None;
        self.forget_verified();
    }

    fn forget_verified(&mut self) {
        for df in std::iter::once(&mut self.mf).chain(self.dfs.iter_mut()) {
            for pin in &mut df.pins {
                pin.verified = false;
            }
        }
    }

    /// Whether the current session satisfies `rule` in the current DF.
    pub fn allows(&self, rule: &Access, ext: Option<&dyn Extension>) -> bool {
        let verified = |fid: &u16| self.df().pins.iter().any(|p| p.fid == *fid && p.verified);
        match rule {
            Access::Free => true,
            Access::Never => false,
            Access::Key(fid) => verified(fid),
            Access::AnyKey(fids) => fids.iter().any(verified),
            Access::Custom(tag) => ext.is_some_and(|e| e.allows(self, *tag)),
        }
    }

    /// Handles the commands every card shares: SELECT, READ BINARY, VERIFY, CHANGE REFERENCE
    /// DATA. Anything else is `6D 00`.
    pub fn process(&mut self, cmd: &Command, ext: Option<&dyn Extension>) -> Response {
        match (cmd.cla(), cmd.ins()) {
            (0x00, 0xA4) => Response::status(self.select(cmd)),
            (0x00, 0xB0) => self.read_binary(cmd, ext),
            (0x00, 0xB2) => self.read_record(cmd, ext),
            (0x00, 0x20) => Response::status(self.verify(cmd)),
            (0x00, 0x24) => Response::status(self.change_reference_data(cmd)),
            (0x00 | 0x08 | 0x80, _) => Response::status(StatusWord::InsNotSupported),
            _ => Response::status(StatusWord::ClaNotSupported),
        }
    }

    fn select(&mut self, cmd: &Command) -> StatusWord {
        match (cmd.p1(), cmd.data()) {
            (0x04, aid) if !aid.is_empty() => {
                match self.dfs.iter().position(|d| d.aid.as_deref() == Some(aid)) {
                    Some(i) => {
                        // Selecting an application (again) ends what was verified: OpenSC's
                        // JPKI driver, written against real cards, selects the AP and takes
                        // an empty VERIFY answering 90 00 as an error, so a real card never
                        // answers it after that SELECT; the residence card's spec says the
                        // same of its AP (docs/spec/next-wave.md: re-selecting clears the
                        // session key). One inference from two sources: UNCONFIRMED.
                        self.forget_verified();
                        self.current_df = DfRef::App(i);
                        self.selected = Selected::None;
                        StatusWord::Success
                    }
                    None => StatusWord::FileNotFound,
                }
            }
            (0x00, [0x3F, 0x00]) | (0x00, []) if self.quirks.select_mf => {
                self.current_df = DfRef::Mf;
                self.selected = Selected::None;
                StatusWord::Success
            }
            // The My Number card (docs/spec/mynumber-card.md §1, MC, UNCONFIRMED): `00 A4 00 00`
            // answers 6A86 after reset and 90 00 with an application selected, leaving the
            // current DF as it is; the FID 3F00 is not found.
            (0x00, []) => match self.current_df {
                DfRef::Mf => StatusWord::IncorrectP1P2,
                DfRef::App(_) => StatusWord::Success,
            },
            (0x00, [0x3F, 0x00]) => StatusWord::FileNotFound,
            (0x00, _) => StatusWord::IncorrectP1P2,
            (0x02, [hi, lo]) => {
                let fid = u16::from_be_bytes([*hi, *lo]);
                let df = self.df();
                if let Some(i) = df.efs.iter().position(|e| e.fid == fid) {
                    self.selected = Selected::Ef(i);
                    StatusWord::Success
                } else if let Some(i) = df.pins.iter().position(|p| p.fid == fid) {
                    self.selected = Selected::Pin(i);
                    StatusWord::Success
                } else {
                    StatusWord::FileNotFound
                }
            }
            (0x02, _) => StatusWord::WrongLength,
            _ => StatusWord::IncorrectP1P2,
        }
    }

    /// Resolves the target EF of a READ BINARY and the offset; selects a short-EF target.
    fn binary_target(&mut self, cmd: &Command) -> Result<(usize, usize), StatusWord> {
        if cmd.p1() & 0x80 != 0 {
            if cmd.p1() & 0x60 != 0 {
                return Err(StatusWord::IncorrectP1P2);
            }
            let sfi = cmd.p1() & 0x1F;
            let i = self
                .df()
                .efs
                .iter()
                .position(|e| e.sfi == Some(sfi))
                .ok_or(StatusWord::FileNotFound)?;
            self.selected = Selected::Ef(i);
            Ok((i, usize::from(cmd.p2())))
        } else {
            match self.selected {
                Selected::Ef(i) => Ok((i, usize::from(u16::from_be_bytes([cmd.p1(), cmd.p2()])))),
                _ => Err(StatusWord::CommandNotAllowed),
            }
        }
    }

    fn read_binary(&mut self, cmd: &Command, ext: Option<&dyn Extension>) -> Response {
        let (i, offset) = match self.binary_target(cmd) {
            Ok(t) => t,
            Err(sw) => return Response::status(sw),
        };
        let Some(ef) = self.df().efs.get(i) else {
            return Response::status(StatusWord::FileNotFound);
        };
        if !self.allows(&ef.read, ext) {
            return Response::status(StatusWord::SecurityStatusNotSatisfied);
        }
        let Some(rest) = ef.data.get(offset..).filter(|r| !r.is_empty()) else {
            return Response::status(StatusWord::WrongP1P2);
        };
        let mut le = cmd.le().unwrap_or(256) as usize;
        if let Some(max) = self.quirks.short_reads {
            le = le.min(usize::from(max));
        }
        Response::ok(rest.iter().take(le).copied().collect())
    }

    /// READ RECORD (ISO/IEC 7816-4 §11.3.3): P1 = record number, P2 = `SFI<<3 | 4` or `04` for
    /// the current EF (docs/spec/mynumber-card.md §5: `00 B2 01 0C 00`, `00 B2 01 04`).
    fn read_record(&mut self, cmd: &Command, ext: Option<&dyn Extension>) -> Response {
        if cmd.p2() & 0x07 != 0x04 {
            return Response::status(StatusWord::IncorrectP1P2);
        }
        let index = match cmd.p2() >> 3 {
            0 => match self.selected {
                Selected::Ef(i) => i,
                _ => return Response::status(StatusWord::CommandNotAllowed),
            },
            sfi => match self.df().efs.iter().position(|e| e.sfi == Some(sfi)) {
                Some(i) => i,
                None => return Response::status(StatusWord::FileNotFound),
            },
        };
        self.selected = Selected::Ef(index);
        let Some(ef) = self.df().efs.get(index) else {
            return Response::status(StatusWord::FileNotFound);
        };
        if ef.records.is_empty() {
            return Response::status(StatusWord::IncompatibleFileStructure);
        }
        if !self.allows(&ef.read, ext) {
            return Response::status(StatusWord::SecurityStatusNotSatisfied);
        }
        match usize::from(cmd.p1())
            .checked_sub(1)
            .and_then(|i| ef.records.get(i))
        {
            Some(r) => Response::ok(
                r.iter()
                    .take(cmd.le().unwrap_or(256) as usize)
                    .copied()
                    .collect(),
            ),
            None => Response::status(StatusWord::RecordNotFound),
        }
    }

    /// The PIN a VERIFY or CHANGE REFERENCE DATA names: P2 `80` = the selected key, `80|id`
    /// = the key with that short id (docs/spec/mynumber-card.md §1).
    fn pin_index(&self, cmd: &Command) -> Result<usize, StatusWord> {
        match cmd.p2() {
            0x80 => match self.selected {
                Selected::Pin(i) => Ok(i),
                _ => Err(StatusWord::ReferencedDataNotFound),
            },
            p2 if p2 & 0x80 != 0 => {
                let id = u16::from(p2 & 0x1F);
                self.df()
                    .pins
                    .iter()
                    .position(|p| p.fid == id)
                    .ok_or(StatusWord::ReferencedDataNotFound)
            }
            _ => Err(StatusWord::IncorrectP1P2),
        }
    }

    fn verify(&mut self, cmd: &Command) -> StatusWord {
        if cmd.p1() != 0 {
            return StatusWord::IncorrectP1P2;
        }
        let i = match self.pin_index(cmd) {
            Ok(i) => i,
            Err(sw) => return sw,
        };
        match self.df_mut().pins.get_mut(i) {
            Some(pin) => pin.verify(cmd.data()),
            None => StatusWord::ReferencedDataNotFound,
        }
    }

    /// `00 24 01 80 Lc <new>`: change a PIN already verified in this session
    /// (docs/spec/mynumber-card.md §2, MYNA, MC).
    fn change_reference_data(&mut self, cmd: &Command) -> StatusWord {
        if cmd.p1() != 0x01 {
            return StatusWord::IncorrectP1P2;
        }
        let i = match self.pin_index(cmd) {
            Ok(i) => i,
            Err(sw) => return sw,
        };
        match self.df_mut().pins.get_mut(i) {
            Some(pin) if pin.remaining == 0 => StatusWord::ReferenceDataBlocked,
            Some(pin) if !pin.verified => StatusWord::SecurityStatusNotSatisfied,
            Some(_) if cmd.data().is_empty() || cmd.data().len() > 16 => StatusWord::WrongLength,
            Some(pin) => {
                pin.set_value(cmd.data());
                StatusWord::Success
            }
            None => StatusWord::ReferencedDataNotFound,
        }
    }
}
