//! The kinds of simulated card and the `sim:KIND[,key=value...]` reader spec.
//!
//! Every holder and number here is synthetic. Defaults (documented in docs/simulator.md):
//! - residence kinds: card number `AB12345678CD` (the sample number of
//!   docs/spec/residence-card.md §5);
//! - My Number kinds: JPKI auth PIN `1234`, signature password `ABC123` (the defaults of the
//!   PocketSign mock, docs/spec/mynumber-card.md §8), text-AP PIN `1234`.

use std::sync::OnceLock;

use jpid_apdu::tlv::{self, Tag};
use jpid_card::residence::crypto::Suite;
use jpid_card::spec;
use jpid_model::residence as residence_model;
use jpid_model::ResidenceCardType;
use jpid_testpki::TestPki;

use crate::fs::{Access, Df, Ef, Os, Pin, Quirks};
use crate::hostile::{Hostile, HostileCard, HostileMode, SmFault};
use crate::jpki::{self, JpkiApplet};
use crate::residence::ResidenceApplet;
use crate::residence_files::{self, Holder, Tamper};
use crate::sim::{SimCard, SimTransport};
use crate::surface_ap::{self, SurfaceTamper};
use crate::text_ap::{self, TextTamper};
use crate::SmartCard;

pub use crate::profile::*;
use spec::{COMMON_AID, JUKI_AID};

/// Errors in a `sim:` reader spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The kind is not one of [`SimKind::ALL`].
    #[error("unknown simulated card kind {0:?}; known kinds: {known}", known = SimKind::ALL.map(SimKind::id).join(", "))]
    UnknownKind(String),
    /// An option the kind does not take.
    #[error("option {key:?} is not valid for sim:{kind}")]
    UnknownOption {
        /// The kind.
        kind: &'static str,
        /// The option.
        key: String,
    },
    /// An option without `=value`.
    #[error("option {0:?} needs a value (key=value)")]
    MissingValue(String),
    /// A malformed value.
    #[error("bad value for {key}: {reason}")]
    BadValue {
        /// The option.
        key: &'static str,
        /// Why.
        reason: String,
    },
    /// The card could not be built (test PKI or fixtures unusable).
    #[error("cannot build the simulated card: {0}")]
    Build(String),
    /// An option that a later part of jpid implements.
    #[error("option {key}= is not supported by this version of the simulator yet")]
    NotYetSupported {
        /// The option.
        key: &'static str,
    },
}

/// A parsed `sim:KIND[,key=value...]` spec (the part after `sim:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimSpec {
    /// The card kind.
    pub kind: SimKind,
    /// Residence card number (upper case, validated).
    pub card_number: String,
    /// Whether the simulated reader carries extended-length APDUs (`ext=on|off`, default on).
    pub extended: bool,
    /// What to alter after signing (`tamper=front|face|address|signature|certificate`).
    pub tamper: Option<Tamper>,
    /// Whether the holder has a face photo (`photo=yes|no`, default yes).
    pub photo: bool,
    /// What to alter in the My Number card's text AP (`tamper=basic|mynumber|cvc`).
    pub text_tamper: Option<TextTamper>,
    /// What to alter in the My Number card's card-face AP (`tamper=face-photo|face-dob|
    /// face-expiry|birth-record|my-number-image|surface-cvc|surface-cvc-issuer|other-card`).
    pub surface_tamper: Option<SurfaceTamper>,
    /// PIN counters to start from (`auth-tries=N`, `sign-tries=N`, `text-tries=N`; 0 = blocked),
    /// to simulate a card that was misused before.
    pub tries: Tries,
    /// A face-authentication My Number card: no PINs, no signature certificate (`face-auth=yes`).
    pub face_auth: bool,
    /// A hostile card: its answers corrupted on purpose (`hostile=SEED`, `hostile-mode=NAME`).
    pub hostile: Option<Hostile>,
    /// A clone (`tamper=clone`, My Number card): every file copied from the genuine card, on a
    /// chip holding another key, so that its answer to a challenge does not verify.
    pub clone: bool,
    /// The card's expiry (`expiry=YYYY-MM-DD`): the signed card expiry and end of the period
    /// of stay of a generation-2 residence card or SPR certificate, and the card-face AP's
    /// (unsigned) DF29 of a My Number card.
    pub expiry: Option<jpid_model::CardDate>,
    /// The most bytes the card answers to one plain READ BINARY, with `90 00` (`short-reads=N`,
    /// 1-256): a card may answer fewer bytes than asked in the middle of a file
    /// (docs/spec/mynumber-card.md §1). `None`: as many as asked.
    pub short_reads: Option<u16>,
    /// `FF` filler bytes after the certificate in each JPKI certificate EF (`filler=N`, default
    /// [`DEFAULT_CERT_FILLER`]).
    pub filler: usize,
}

/// `FF` bytes after the certificate in each simulated JPKI certificate EF. Real EFs carry `FF`
/// filler after their TLV (docs/spec/mynumber-card.md §1, MC); how much is not published, so
/// this amount is jpid's own (UNCONFIRMED), chosen so that reading to the end of the file costs
/// more than reading by the certificate's length.
pub const DEFAULT_CERT_FILLER: usize = 512;

/// Starting PIN counters of a simulated My Number card (`None`: full).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tries {
    /// JPKI user-authentication PIN.
    pub auth: Option<u8>,
    /// JPKI signature password.
    pub sign: Option<u8>,
    /// Text-AP PIN.
    pub text: Option<u8>,
}

impl SimSpec {
    /// The default spec of `kind`.
    pub fn new(kind: SimKind) -> Self {
        Self {
            kind,
            card_number: DEFAULT_CARD_NUMBER.to_string(),
            extended: true,
            tamper: None,
            photo: true,
            text_tamper: None,
            surface_tamper: None,
            tries: Tries::default(),
            face_auth: false,
            hostile: None,
            clone: false,
            expiry: None,
            short_reads: None,
            filler: DEFAULT_CERT_FILLER,
        }
    }

    /// Parses `KIND[,key=value...]`.
    pub fn parse(text: &str) -> Result<Self, SpecError> {
        let mut parts = text.split(',');
        let kind_text = parts.next().unwrap_or_default().trim();
        let kind = SimKind::from_id(kind_text)
            .ok_or_else(|| SpecError::UnknownKind(kind_text.to_string()))?;
        let mut spec = Self::new(kind);
        let (mut hostile_seed, mut hostile_mode, mut hostile_after) = (None, None, None);
        for part in parts.map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| SpecError::MissingValue(part.to_string()))?;
            match key.trim() {
                "card-number" if kind.is_residence_family() => {
                    spec.card_number = parse_card_number(value)?;
                }
                key @ ("auth-tries" | "sign-tries" | "text-tries")
                    if kind.is_mynumber_card() || kind == SimKind::JpkiSmartphone =>
                {
                    let n: u8 = value.parse().ok().filter(|n| *n <= 10).ok_or_else(|| {
                        SpecError::BadValue {
                            key: "tries",
                            reason: format!("{value:?} is not a number of tries (0-10)"),
                        }
                    })?;
                    match key {
                        "auth-tries" => spec.tries.auth = Some(n),
                        "sign-tries" => spec.tries.sign = Some(n),
                        _ => spec.tries.text = Some(n),
                    }
                }
                "face-auth" if kind.is_mynumber_card() => {
                    spec.face_auth = match value {
                        "yes" | "on" => true,
                        "no" | "off" => false,
                        v => {
                            return Err(SpecError::BadValue {
                                key: "face-auth",
                                reason: format!("{v:?} is not yes or no"),
                            })
                        }
                    }
                }
                "ext" => {
                    spec.extended = match value {
                        "on" | "true" | "1" => true,
                        "off" | "false" | "0" => false,
                        v => {
                            return Err(SpecError::BadValue {
                                key: "ext",
                                reason: format!("{v:?} is not on or off"),
                            })
                        }
                    }
                }
                "tamper" if kind.is_residence_family() => {
                    spec.tamper = Some(Tamper::parse(value).ok_or_else(|| SpecError::BadValue {
                        key: "tamper",
                        reason: format!("{value:?} is not one of front, face, address, signature, certificate"),
                    })?);
                }
                "photo" if kind.is_residence_family() => {
                    spec.photo = match value {
                        "yes" | "on" => true,
                        "no" | "off" => false,
                        v => {
                            return Err(SpecError::BadValue {
                                key: "photo",
                                reason: format!("{v:?} is not yes or no"),
                            })
                        }
                    }
                }
                "expiry"
                    if matches!(
                        kind,
                        SimKind::ResidenceGen2 | SimKind::SprGen2
                    ) || kind.is_mynumber_card() =>
                {
                    spec.expiry = Some(
                        jpid_model::CardDate::parse(value.trim())
                            .filter(|_| value.trim().len() == 10)
                            .ok_or_else(|| SpecError::BadValue {
                                key: "expiry",
                                reason: format!("{value:?} is not a date YYYY-MM-DD"),
                            })?,
                    );
                }
                "tamper" if kind.is_mynumber_card() => match value {
                    "clone" => spec.clone = true,
                    "basic" => spec.text_tamper = Some(TextTamper::Basic),
                    "mynumber" => spec.text_tamper = Some(TextTamper::MyNumber),
                    "cvc" => spec.text_tamper = Some(TextTamper::Cvc),
                    "cvc-issuer" => spec.text_tamper = Some(TextTamper::WrongIssuer),
                    v => {
                        spec.surface_tamper =
                            Some(SurfaceTamper::parse(v).ok_or_else(|| SpecError::BadValue {
                                key: "tamper",
                                reason: format!(
                                    "{v:?} is not one of clone, basic, mynumber, cvc, {} (My Number card)",
                                    SurfaceTamper::ALL.map(|(n, _)| n).join(", ")
                                ),
                            })?)
                    }
                },
                "hostile" => {
                    hostile_seed =
                        Some(
                            value
                                .trim()
                                .parse::<u64>()
                                .map_err(|_| SpecError::BadValue {
                                    key: "hostile",
                                    reason: format!("{value:?} is not a seed (a number 0-2^64)"),
                                })?,
                        );
                }
                "hostile-after" => {
                    hostile_after =
                        Some(
                            value
                                .trim()
                                .parse::<u64>()
                                .map_err(|_| SpecError::BadValue {
                                    key: "hostile-after",
                                    reason: format!("{value:?} is not a number of answers"),
                                })?,
                        );
                }
                "hostile-mode" => {
                    let mode =
                        HostileMode::from_id(value.trim()).ok_or_else(|| SpecError::BadValue {
                            key: "hostile-mode",
                            reason: format!(
                                "{value:?} is not one of {}",
                                HostileMode::ALL.map(HostileMode::id).join(", ")
                            ),
                        })?;
                    if mode.needs_secure_messaging() && !kind.is_residence_family() {
                        return Err(SpecError::BadValue {
                            key: "hostile-mode",
                            reason: format!(
                                "{mode} needs secure messaging, which only the residence kinds use"
                            ),
                        });
                    }
                    hostile_mode = Some(mode);
                }
                "short-reads" => {
                    spec.short_reads = Some(
                        value
                            .trim()
                            .parse::<u16>()
                            .ok()
                            .filter(|n| (1..=256).contains(n))
                            .ok_or_else(|| SpecError::BadValue {
                                key: "short-reads",
                                reason: format!("{value:?} is not a number of bytes (1-256)"),
                            })?,
                    );
                }
                "filler" if kind.is_mynumber_card() || kind == SimKind::JpkiSmartphone => {
                    spec.filler = value
                        .trim()
                        .parse::<usize>()
                        .ok()
                        .filter(|n| *n <= 4096)
                        .ok_or_else(|| SpecError::BadValue {
                            key: "filler",
                            reason: format!("{value:?} is not a number of bytes (0-4096)"),
                        })?;
                }
                "tamper" => return Err(SpecError::NotYetSupported { key: "tamper" }),
                "profile" => return Err(SpecError::NotYetSupported { key: "profile" }),
                other => {
                    return Err(SpecError::UnknownOption {
                        kind: kind.id(),
                        key: other.to_string(),
                    })
                }
            }
        }
        let after = hostile_after.unwrap_or(0);
        spec.hostile = match (hostile_mode, hostile_seed) {
            (Some(mode), seed) => Some(Hostile {
                mode,
                seed: seed.unwrap_or(0),
                after,
            }),
            (None, Some(seed)) => {
                // The seed picks the mode among those the kind can take.
                let modes = HostileMode::available(kind.is_residence_family());
                let count = u64::try_from(modes.len()).unwrap_or(1).max(1);
                let index = usize::try_from(seed % count).unwrap_or(0);
                modes.get(index).map(|&mode| Hostile { mode, seed, after })
            }
            (None, None) if hostile_after.is_some() => {
                return Err(SpecError::BadValue {
                    key: "hostile-after",
                    reason: "needs hostile=SEED or hostile-mode=NAME".into(),
                })
            }
            (None, None) => None,
        };
        Ok(spec)
    }

    /// Builds the card.
    pub fn build(&self) -> Result<SimCard, SpecError> {
        Ok(match self.kind {
            SimKind::Residence => residence(self, ResidenceCardType::Residence1)?,
            SimKind::ResidenceGen2 => residence(self, ResidenceCardType::Residence2)?,
            SimKind::Spr => residence(self, ResidenceCardType::Spr1)?,
            SimKind::SprGen2 => residence(self, ResidenceCardType::Spr2)?,
            SimKind::MyNumber | SimKind::SpecifiedResidence | SimKind::SpecifiedSpr => {
                mynumber(spec::TOKEN_MYNUMBER_CARD, self)?
            }
            SimKind::JpkiSmartphone => mynumber(
                spec::TOKEN_ANDROID,
                &SimSpec {
                    text_tamper: None,
                    surface_tamper: None,
                    face_auth: false,
                    clone: false,
                    expiry: None,
                    ..self.clone()
                },
            )?,
        })
    }

    /// Builds the card as a reader sees it: behind the hostile layer when `hostile=` asks.
    pub fn card(&self) -> Result<Box<dyn SmartCard>, SpecError> {
        let card = self.build()?;
        let card: Box<dyn SmartCard> = match self.hostile {
            Some(h) => Box::new(HostileCard::new(card, h)),
            None => Box::new(card),
        };
        // ext=off: the reader carries short APDUs only, also behind vpcd (jpid sim attach).
        Ok(if self.extended {
            card
        } else {
            Box::new(crate::card::ShortApdusOnly(card))
        })
    }

    /// Builds the card inside an in-process reader.
    pub fn transport(&self) -> Result<SimTransport, SpecError> {
        Ok(SimTransport::new(self.card()?, self.extended))
    }
}

/// Checks and normalises a residence card number: 2 letters, 8 digits, 2 letters
/// (docs/spec/residence-card.md §5, CONFIRMED); lower case is accepted and upper-cased.
pub fn parse_card_number(text: &str) -> Result<String, SpecError> {
    let n = text.trim().to_ascii_uppercase();
    let b = n.as_bytes();
    let ok = b.len() == 12
        && b.iter().take(2).all(u8::is_ascii_uppercase)
        && b.iter().skip(2).take(8).all(u8::is_ascii_digit)
        && b.iter().skip(10).all(u8::is_ascii_uppercase);
    if ok {
        Ok(n)
    } else {
        Err(SpecError::BadValue {
            key: "card-number",
            reason: "a card number is 2 letters, 8 digits and 2 letters, e.g. AB12345678CD".into(),
        })
    }
}

/// The test PKI, parsed once per process from the committed fixtures.
pub fn test_pki() -> Result<&'static TestPki, SpecError> {
    static PKI: OnceLock<Result<TestPki, String>> = OnceLock::new();
    PKI.get_or_init(|| jpid_testpki::load_default().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| SpecError::Build(e.clone()))
}

fn residence(sim: &SimSpec, card_type: ResidenceCardType) -> Result<SimCard, SpecError> {
    let mf = with_card_type(Df::default(), card_type.value());
    let holder = Holder {
        photo: sim.photo,
        expiry: sim.expiry,
        ..Holder::default()
    };
    let content =
        residence_files::build(sim.kind, &sim.card_number, &holder, sim.tamper, test_pki()?)
            .map_err(SpecError::Build)?;
    // DF1 is read only under secure messaging; DF2 and DF3 plainly after VERIFY (§1).
    let mut dfs = vec![
        Df::app(&spec::RESIDENCE_DF1),
        Df::app(&spec::RESIDENCE_DF2),
        Df::app(&spec::RESIDENCE_DF3),
    ];
    for (df, sfi, data) in content.files {
        let rule = if df == 1 {
            RULE_RESIDENCE_AUTH_SM
        } else {
            RULE_RESIDENCE_AUTH
        };
        if let Some(d) = dfs.get_mut(usize::from(df).saturating_sub(1)) {
            d.efs
                .push(Ef::new(u16::from(sfi), Some(sfi), data).read(Access::Custom(rule)));
        }
    }
    let os = Os::new(
        mf,
        dfs,
        Quirks {
            select_mf: true,
            short_reads: sim.short_reads,
        },
    );
    let suite = if matches!(sim.kind, SimKind::Residence | SimKind::Spr) {
        Suite::Tdes
    } else {
        Suite::Aes
    };
    let mut applet = ResidenceApplet::new(suite, &sim.card_number);
    if let Some(Hostile {
        mode: HostileMode::BadPadding,
        seed,
        ..
    }) = sim.hostile
    {
        applet = applet.with_sm_fault(SmFault::from_seed(seed));
    }
    Ok(SimCard::new(
        sim.kind.id(),
        ATR_CONTACTLESS_GENERIC.to_vec(),
        os,
        Some(Box::new(applet)),
    ))
}

/// `df` with the residence card's free files: EF01 common data `C0` (4 ASCII characters; ERG
/// gives "0001", "0002"... for generation 2; the generation-1 values are UNCONFIRMED,
/// docs/spec/residence-card.md §3) and EF02 card type `C1`. They sit in the MF of a residence
/// card and under the 在留AP of a specified one (docs/spec/next-wave.md §1.2).
fn with_card_type(df: Df, card_type: &str) -> Df {
    df.ef(Ef::new(
        0x0001,
        Some(residence_model::SFI_COMMON),
        tlv::encode(Tag::new(0xC0), b"0001"),
    ))
    .ef(Ef::new(
        0x0002,
        Some(residence_model::SFI_CARD_TYPE),
        tlv::encode(
            Tag::new(residence_model::TAG_CARD_TYPE),
            card_type.as_bytes(),
        ),
    ))
}

/// The residence applications of a specified residence card (docs/spec/next-wave.md §1.2): the
/// 在留AP with its common-data (`C0`, short EF 0B) and card-type (`C1` = `07`/`08`, short EF 0A)
/// EFs readable before any authentication, and DF1–DF3 under the same AIDs as generations 1 and
/// 2. Their files open only after SET SESSION KEY and VERIFY under secure messaging, whose bytes
/// no source jpid could check gives (§1.3, OPEN): the simulator does not model that protocol,
/// so the files stay closed (`69 82`) and `80 AE` is not understood, as on a card jpid cannot
/// open.
fn specified_residence_aps(card_type: &str) -> Vec<Df> {
    let ap = with_card_type(Df::app(&spec::RESIDENCE_SPECIFIED_AP), card_type);
    // The generation-2 layout (the data structures are RC2's, §1.2): DF1 EF01/03/04/06, DF2
    // EF01–03 (EF01 and EF02 on 07 only), DF3 EF02.
    let closed = |sfi: u8| Ef::new(u16::from(sfi), Some(sfi), Vec::new()).read(Access::Never);
    let mut df2 = Df::app(&spec::RESIDENCE_DF2);
    if card_type == "07" {
        df2 = df2.ef(closed(0x01)).ef(closed(0x02));
    }
    vec![
        ap,
        Df::app(&spec::RESIDENCE_DF1)
            .ef(closed(0x01))
            .ef(closed(0x03))
            .ef(closed(0x04))
            .ef(closed(0x06)),
        df2.ef(closed(0x03)),
        Df::app(&spec::RESIDENCE_DF3).ef(closed(0x02)),
    ]
}

/// EF 0006 of the JPKI-AP: a 160-byte PKCS#11 token-info record whose first 32 bytes are the
/// space-padded label (docs/spec/mynumber-card.md §2; the layout past the label is MC only,
/// UNCONFIRMED).
fn token_info(label: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(160);
    for (text, width) in [
        (label, 32),
        ("jpid simulator", 32),
        ("jpid-sim", 16),
        ("0000000000000001", 16),
    ] {
        v.extend(text.bytes().take(width));
        v.resize(v.len() + width.saturating_sub(text.len()), b' ');
    }
    v.resize(160, 0);
    v
}

fn mynumber(label: &str, sim: &SimSpec) -> Result<SimCard, SpecError> {
    let (text_tamper, surface_tamper, tries, face_auth) = (
        sim.text_tamper,
        sim.surface_tamper,
        sim.tries,
        sim.face_auth,
    );
    let counted = |pin: Pin, n: Option<u8>| match n {
        Some(n) => pin.with_remaining(n),
        None => pin,
    };
    let pki = test_pki()?;
    let holder = pki.jpki_holder();
    // A certificate EF: the DER certificate, then `FF` filler (docs/spec/mynumber-card.md §1).
    let filled = |der: &[u8]| {
        let mut v = der.to_vec();
        v.resize(der.len() + sim.filler, 0xFF);
        v
    };
    // JPKI-AP (docs/spec/mynumber-card.md §2): token info, the four certificate EFs (the signature
    // certificate readable only after the signature password: 69 82 before), the key EFs
    // (selectable, never readable) and the two PINs with their retry limits.
    let mut jpki = Df::app(&spec::JPKI_AID)
        .ef(Ef::new(
            spec::JPKI_EF_TOKEN_INFO,
            Some(0x06),
            token_info(label),
        ))
        .ef(Ef::new(0x0001, Some(0x01), filled(holder.sign().cert_der())).read(Access::Key(0x001B)))
        .ef(Ef::new(
            0x0002,
            Some(0x02),
            filled(pki.jpki_sign_ca().cert_der()),
        ))
        .ef(Ef::new(
            0x000A,
            Some(0x0A),
            filled(holder.auth().cert_der()),
        ))
        .ef(Ef::new(
            0x000B,
            Some(0x0B),
            filled(pki.jpki_auth_ca().cert_der()),
        ))
        .ef(Ef::new(jpki::AUTH_KEY, Some(0x17), Vec::new()).read(Access::Never))
        .ef(Ef::new(jpki::SIGN_KEY, Some(0x1A), Vec::new()).read(Access::Never))
        .pin(counted(
            Pin::new(0x0018, DEFAULT_AUTH_PIN.as_bytes(), 3),
            tries.auth,
        ))
        .pin(counted(
            Pin::new(0x001B, DEFAULT_SIGN_PASSWORD.as_bytes(), 5),
            tries.sign,
        ));
    // The other applications with their keys; their data files come with the My Number reader.
    // Text AP (docs/spec/mynumber-card.md §3): PIN 0011 (3 tries), 照合番号A 0014 = the My Number,
    // 照合番号B 0015 = era birth date YYMMDD + expiry year + security code (10 tries each,
    // UNCONFIRMED first-hand). Card-face AP (§4): 0011 birth-date key, 0012 B, 0013 A (10 tries,
    // UNCONFIRMED). Juki AP and common AP (§5): PIN 001C (3 tries).
    // 照合番号B carries the card's expiry year: a card given another expiry has its year.
    let key_b = match sim.expiry {
        Some(d) => format!(
            "{}{:04}{}",
            DEFAULT_BIRTH_KEY,
            d.year(),
            DEFAULT_KEY_B.get(10..).unwrap_or_default()
        ),
        None => DEFAULT_KEY_B.to_string(),
    };
    let mut text = Df::app(&spec::TEXT_AID)
        .pin(counted(
            Pin::new(0x0011, DEFAULT_TEXT_PIN.as_bytes(), 3),
            tries.text,
        ))
        .pin(Pin::new(0x0014, DEFAULT_MY_NUMBER.as_bytes(), 10))
        .pin(Pin::new(0x0015, key_b.as_bytes(), 10));
    // Who opens what: the PIN everything; A the My Number; B the basic four (§3).
    for (fid, data) in text_ap::files(pki, text_tamper).map_err(SpecError::Build)? {
        let rule = match fid {
            0x0001 => Access::AnyKey(vec![0x0011, 0x0014]),
            0x0002 => Access::AnyKey(vec![0x0011, 0x0015]),
            0x0003 | 0x0006 | 0x0007 => Access::AnyKey(vec![0x0011, 0x0014, 0x0015]),
            _ => Access::Free,
        };
        let sfi = u8::try_from(fid).ok();
        text = text.ef(Ef::new(fid, sfi, data).read(rule));
    }
    // Key 0012, issued blocked (63C0; MC: "leave it alone"), and EF 0013, the chip's signing
    // key (INTERNAL AUTHENTICATE `80 2A 00 00` uses it; selectable, never readable); §3.
    text = text
        .pin(Pin::new(0x0012, b"\0\0\0\0", 3).with_remaining(0))
        .ef(Ef::new(0x0013, Some(0x13), Vec::new()).read(Access::Never));
    let mut surface = Df::app(&spec::CARD_FACE_AID)
        .pin(Pin::new(0x0011, DEFAULT_BIRTH_KEY.as_bytes(), 10))
        .pin(Pin::new(0x0012, key_b.as_bytes(), 10))
        .pin(Pin::new(0x0013, DEFAULT_MY_NUMBER.as_bytes(), 10));
    // Who opens what in the card-face AP (§4, MC measured): the birth-date key EF 0001 only;
    // 照合番号A 0002–0006, 照合番号B the same without 0005; 0003 and 0004 are free. EF 0006
    // (content unknown) is not simulated.
    let expiry = sim.expiry.map(|d| d.compact());
    for (fid, data) in
        surface_ap::files(pki, surface_tamper, expiry.as_deref()).map_err(SpecError::Build)?
    {
        let rule = match fid {
            0x0001 => Access::Key(0x0011),
            0x0002 => Access::AnyKey(vec![0x0012, 0x0013]),
            0x0005 => Access::Key(0x0013),
            _ => Access::Free,
        };
        let sfi = u8::try_from(fid).ok();
        surface = surface.ef(Ef::new(fid, sfi, data).read(rule));
    }
    let mut juki = Df::app(&JUKI_AID).pin(Pin::new(0x001C, DEFAULT_TEXT_PIN.as_bytes(), 3));
    // Common AP EF 0001, record 1: `01 1C` + 15-digit serial, 5-digit municipality code, expiry
    // YYYYMMDD (docs/spec/mynumber-card.md §5, MC only: UNCONFIRMED). Synthetic values.
    let mut record = vec![0x01, 0x1C];
    record.extend_from_slice(
        format!(
            "{DEFAULT_CARD_SERIAL}13101{}",
            expiry.as_deref().unwrap_or(DEFAULT_CARD_EXPIRY)
        )
        .as_bytes(),
    );
    let mut common = Df::app(&COMMON_AID)
        .pin(Pin::new(0x001C, DEFAULT_TEXT_PIN.as_bytes(), 3))
        .ef(Ef::records(0x0001, Some(0x01), vec![record]));
    // A face-authentication card (顔認証マイナンバーカード) has no PINs and no signature
    // certificate (docs/spec/services.md §2); 照合番号A/B still open the card-face data.
    if face_auth {
        jpki.pins.clear();
        jpki.efs
            .retain(|e| e.fid != 0x0001 && e.fid != jpki::SIGN_KEY);
        text.pins.retain(|p| p.fid != 0x0011);
        juki.pins.clear();
        common.pins.clear();
    }
    // A smartphone token holds only the JPKI-AP (docs/spec/mynumber-card.md §2, §7).
    let mut apps = if label == spec::TOKEN_MYNUMBER_CARD {
        vec![jpki, text, surface, juki, common]
    } else {
        vec![jpki]
    };
    if let Some(card_type) = match sim.kind {
        SimKind::SpecifiedResidence => Some("07"),
        SimKind::SpecifiedSpr => Some("08"),
        _ => None,
    } {
        apps.extend(specified_residence_aps(card_type));
    }
    let os = Os::new(
        Df::default(),
        apps,
        Quirks {
            select_mf: false,
            short_reads: sim.short_reads,
        },
    );
    let kind = if label == spec::TOKEN_MYNUMBER_CARD {
        sim.kind.id()
    } else {
        "jpki-smartphone"
    };
    // The chip's own key, which signs challenges in the text and card-face APs. One key for
    // both APs (whether a real card uses one or two is not established). A clone holds another
    // key: the data it copied certifies the genuine card's key, not its own.
    let chip_key = if sim.clone {
        pki.mynumber_text_ap_key().clone()
    } else {
        pki.mynumber_surface_card_key().clone()
    };
    // Nor can a clone hold the JPKI keys: they never leave the genuine chip, so the copied
    // certificates name keys the clone does not have. Its keys are another synthetic holder's.
    let keys = if sim.clone {
        pki.jpki_revoked_holder()
    } else {
        holder
    };
    let applet = JpkiApplet::new(
        keys.auth().private_key().clone(),
        (!face_auth).then(|| keys.sign().private_key().clone()),
        chip_key,
    )
    .with_card_data(crate::jpki::CardData {
        atr: ATR_MYNUMBER_CONTACT.to_vec(),
        municipality: "13101".into(),
        expiry: expiry
            .clone()
            .unwrap_or_else(|| DEFAULT_CARD_EXPIRY.to_string()),
    });
    Ok(SimCard::new(
        kind,
        ATR_MYNUMBER_CONTACT.to_vec(),
        os,
        Some(Box::new(applet)),
    ))
}
