//! A whole residence-card read: the card type first (it decides the protocol), then
//! authentication with the card number, then every file of the generation
//! (docs/spec/residence-card.md §0, §1).

use jpid_apdu::Command;
use jpid_model::residence::{Dir, SFI_CARD_TYPE, SFI_COMMON};
use jpid_model::{ResidenceCardType, ResidenceFile, ResidenceFiles};

use super::crypto::Suite;
use super::session::{open, read_plain, read_plain_tlv, read_sm, CardNumber, ResidenceError};
use crate::{CardError, CardTransport, Channel};

/// Where a read is, for progress indicators.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// The file just read.
    pub file: ResidenceFile,
    /// Files read so far.
    pub done: usize,
    /// Files in this read.
    pub total: usize,
    /// Bytes of file content read so far.
    pub bytes: usize,
}

/// A whole read: the card type and the raw contents of every file.
#[derive(Debug, Clone)]
pub struct ResidenceRead {
    /// The card type from MF/EF02.
    pub card_type: ResidenceCardType,
    /// Every file read.
    pub files: ResidenceFiles,
}

/// The card type from MF/EF02 (`C1`), read in full so a two-character generation-2 value is
/// never cut (docs/spec/residence-card.md §0).
fn card_type<T: CardTransport>(
    ch: &mut Channel<T>,
) -> Result<(Vec<u8>, ResidenceCardType), ResidenceError> {
    let mut raw = read_plain_tlv(ch, SFI_CARD_TYPE, 64);
    if raw.is_err() {
        let mf = Command::new(0x00, 0xA4, 0x00, 0x00).with_data(vec![0x3F, 0x00]);
        ch.transmit(&mf)?;
        raw = read_plain_tlv(ch, SFI_CARD_TYPE, 64);
    }
    let raw = match raw {
        Ok(r) => r,
        Err(ResidenceError::Card(CardError::Status { .. })) => {
            if let Some(card_type) = crate::detect::specified_card_type(ch)? {
                return Err(ResidenceError::SpecifiedCard { card_type });
            }
            return Err(ResidenceError::UnsupportedCardType(None));
        }
        Err(e) => return Err(e),
    };
    match ResidenceCardType::from_file(&raw) {
        Ok(Ok(t)) => Ok((raw, t)),
        Ok(Err(other)) => Err(ResidenceError::UnsupportedCardType(Some(other))),
        Err(_) => Err(ResidenceError::UnsupportedCardType(None)),
    }
}

/// Reads every file of the card. `rng` fills the terminal's random challenge and key half (or
/// fails, and the read stops);
/// `progress` is called after each file.
pub fn read_card<T: CardTransport>(
    ch: &mut Channel<T>,
    number: &CardNumber,
    rng: &mut super::session::Rng<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<ResidenceRead, ResidenceError> {
    let (type_raw, card_type) = card_type(ch)?;
    let common = read_plain_tlv(ch, SFI_COMMON, 64)?;
    let suite = if card_type.generation() == 1 {
        Suite::Tdes
    } else {
        Suite::Aes
    };
    let session = open(ch, suite, number, rng)?;

    let total = card_type.files().count();
    let mut files = ResidenceFiles::new();
    files.insert(ResidenceFile::Common, common);
    files.insert(ResidenceFile::CardType, type_raw);
    let mut bytes = 0;
    let mut current = Dir::Mf;
    for (done, spec) in card_type.files().enumerate() {
        if spec.dir != current {
            if let Some(aid) = dir_aid(spec.dir) {
                let sw = ch.select_aid(aid)?;
                if !sw.is_success() {
                    return Err(CardError::Status {
                        op: "SELECT DF",
                        sw,
                    }
                    .into());
                }
            }
            current = spec.dir;
        }
        let data = if spec.sm {
            read_sm(ch, &session, spec.file.name(), spec.sfi, spec.max_len)?
        } else {
            read_plain(ch, spec.sfi, spec.max_len)?
        };
        bytes += data.len();
        progress(Progress {
            file: spec.file,
            done: done + 1,
            total,
            bytes,
        });
        files.insert(spec.file, data);
    }
    Ok(ResidenceRead { card_type, files })
}

/// The DF name to SELECT for a directory, `None` for the MF.
fn dir_aid(dir: Dir) -> Option<&'static [u8; 16]> {
    match dir {
        Dir::Mf => None,
        Dir::Df1 => Some(&crate::spec::RESIDENCE_DF1),
        Dir::Df2 => Some(&crate::spec::RESIDENCE_DF2),
        Dir::Df3 => Some(&crate::spec::RESIDENCE_DF3),
    }
}
