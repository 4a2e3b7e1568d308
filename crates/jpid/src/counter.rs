//! The counter page's card reader: `jpid-server`'s [`CounterReader`] over `jpid-card`, with the
//! reader `jpid serve --reader` names (PC/SC or a simulated card). The service crate itself never
//! links the card stack.

use jpid_card::mynumber::{self, CardFaceKey, KeyError, MyNumber, TextKey};
use jpid_card::residence::{read_card, CardNumber, ResidenceError};
use jpid_card::{CardError, CardTransport, Channel, TransportError};
use jpid_model::{CardFaceFiles, ChipAnswer, ResidenceFiles, TextFiles};
use jpid_server::{CheckRead, CounterReader, ReadError, ReadErrorKind, TextKeyKind};
use jpid_sim::SharedSimTransport;
use zeroize::Zeroizing;

use crate::error::Kind;
use crate::reader::ReaderSpec;

/// The reader behind the counter page.
pub struct CardReader {
    spec: ReaderSpec,
    /// A simulated card stays on its reader for the service's life, as a real card lies on
    /// the counter's reader between reads: its PIN counters carry from one read to the next
    /// (a wrong PIN costs a try, and the last-try refusal can be met), while each read starts
    /// from a reset, as a fresh PC/SC connection does.
    sim: std::sync::Mutex<Option<SharedSimTransport>>,
}

impl CardReader {
    pub fn new(spec: ReaderSpec) -> Self {
        Self {
            spec,
            sim: std::sync::Mutex::new(None),
        }
    }

    fn open(&self) -> Result<Box<dyn CardTransport>, crate::error::CliError> {
        let ReaderSpec::Sim(spec) = &self.spec else {
            return self.spec.open();
        };
        let mut held = self
            .sim
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut card = match held.as_ref() {
            Some(card) => card.clone(),
            None => {
                let card = spec.transport()?.into_shared();
                *held = Some(card.clone());
                card
            }
        };
        card.reset()?;
        Ok(Box::new(card))
    }

    fn channel(&self) -> Result<Channel<Box<dyn CardTransport>>, ReadError> {
        let transport = self.open().map_err(|e| {
            let kind = match e.kind {
                Kind::PcscUnavailable | Kind::NoReader => ReadErrorKind::ReaderUnavailable,
                Kind::NoCard | Kind::CardRemoved => ReadErrorKind::NoCard,
                _ => ReadErrorKind::Card,
            };
            ReadError::new(kind, e.message)
        })?;
        Ok(Channel::new(transport))
    }
}

fn card_error(e: CardError) -> ReadError {
    let message = e.to_string();
    let kind = match e {
        CardError::Transport(
            TransportError::ServiceUnavailable(_) | TransportError::NoReader(_),
        ) => ReadErrorKind::ReaderUnavailable,
        CardError::Transport(
            TransportError::NoCard(_)
            | TransportError::CardRemoved
            | TransportError::CardReset
            | TransportError::Unresponsive,
        ) => ReadErrorKind::NoCard,
        _ => ReadErrorKind::Card,
    };
    ReadError::new(kind, message)
}

fn key_error(e: KeyError) -> ReadError {
    let message = e.to_string();
    match e {
        KeyError::Card(c) => card_error(c),
        KeyError::NoApplication(_) => ReadError::new(ReadErrorKind::WrongCardKind, message),
        KeyError::Blocked(_) => ReadError::new(ReadErrorKind::PinBlocked, message),
        KeyError::LastTry(_) => ReadError::new(ReadErrorKind::PinLastTry, message),
        KeyError::Wrong { remaining, .. } => {
            ReadError::new(ReadErrorKind::WrongPin { remaining }, message)
        }
        _ => ReadError::new(ReadErrorKind::Card, message),
    }
}

fn bad_input(e: impl std::fmt::Display) -> ReadError {
    ReadError::new(ReadErrorKind::BadInput, e.to_string())
}

impl CounterReader for CardReader {
    fn read_residence(&self, card_number: &Zeroizing<String>) -> Result<ResidenceFiles, ReadError> {
        let number = CardNumber::try_from(card_number.trim())
            .map_err(|e| bad_input(format!("card number: {e}")))?;
        let mut ch = self.channel()?;
        let mut rng = |b: &mut [u8]| getrandom::getrandom(b).map_err(|e| e.to_string());
        let read = read_card(&mut ch, &number, &mut rng, &mut |_| {}).map_err(|e| {
            let message = e.to_string();
            match e {
                ResidenceError::Card(c) => card_error(c),
                ResidenceError::WrongCardNumber => {
                    ReadError::new(ReadErrorKind::WrongCardNumber, message)
                }
                ResidenceError::UnsupportedCardType(_) | ResidenceError::SpecifiedCard { .. } => {
                    ReadError::new(ReadErrorKind::WrongCardKind, message)
                }
                _ => ReadError::new(ReadErrorKind::Card, message),
            }
        })?;
        Ok(read.files)
    }

    fn read_text(
        &self,
        key: TextKeyKind,
        secret: &Zeroizing<String>,
        force: bool,
        challenge: &[u8],
    ) -> Result<(TextFiles, ChipAnswer), ReadError> {
        let key = match key {
            TextKeyKind::Pin => TextKey::pin(secret.trim()),
            _ => TextKey::b(secret.trim()),
        }
        .map_err(bad_input)?;
        let mut ch = self.channel()?;
        let mut ex = ch.exclusive().map_err(card_error)?;
        // The counter never reads the My Number: it has no use for it.
        let files =
            mynumber::read_text(&mut ex, &key, force, MyNumber::Leave).map_err(key_error)?;
        let answer = mynumber::chip_answer(&mut ex, challenge).map_err(card_error)?;
        Ok((files, answer))
    }

    fn read_card_face(
        &self,
        key_b: &Zeroizing<String>,
        force: bool,
        challenge: &[u8],
    ) -> Result<(CardFaceFiles, ChipAnswer), ReadError> {
        let key = CardFaceKey::b(key_b.trim()).map_err(bad_input)?;
        let mut ch = self.channel()?;
        let mut ex = ch.exclusive().map_err(card_error)?;
        let mut files =
            mynumber::read_card_face(&mut ex, &key, force, MyNumber::Leave).map_err(key_error)?;
        // The counter shows the card face; the unsigned AP information is not part of it.
        files.info = None;
        let answer = mynumber::chip_answer(&mut ex, challenge).map_err(card_error)?;
        Ok((files, answer))
    }

    fn check(
        &self,
        key_b: &Zeroizing<String>,
        force: bool,
        challenges: (&[u8], &[u8]),
    ) -> Result<CheckRead, ReadError> {
        let text_key = TextKey::b(key_b.trim()).map_err(bad_input)?;
        let face_key = CardFaceKey::b(key_b.trim()).map_err(bad_input)?;
        let mut ch = self.channel()?;
        let mut ex = ch.exclusive().map_err(card_error)?;
        let read = mynumber::read_check(&mut ex, (&text_key, &face_key), force, challenges)
            .map_err(key_error)?;
        Ok(CheckRead {
            text: (read.text, read.text_answer),
            face: (read.face, read.face_answer),
            auth_certificate: read.auth_certificate,
        })
    }
}
