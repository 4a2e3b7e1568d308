//! A whole residence-card read: the card type first (it decides the protocol), then
//! authentication with the card number, then every file of the generation
//! (residence-card.md §0, §1).

use jpid_apdu::{tlv, Command, Tag};

use super::crypto::Suite;
use super::files::{files_for, Dir, MF_CARD_TYPE, MF_COMMON};
use super::session::{open, read_plain, read_sm, CardNumber, ResidenceError};
use crate::spec::{RESIDENCE_SFI_CARD_TYPE, RESIDENCE_SFI_COMMON, TAG_CARD_TYPE};
use crate::{CardError, CardTransport, Channel};

/// Where a read is, for progress indicators.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// The file just read (dump key).
    pub file: &'a str,
    /// Files read so far.
    pub done: usize,
    /// Files in this read.
    pub total: usize,
    /// Bytes of file content read so far.
    pub bytes: usize,
}

/// The raw contents of every file read, keyed by dump name, in reading order.
#[derive(Debug, Clone)]
pub struct ResidenceRead {
    /// Chip generation, 1 or 2.
    pub generation: u8,
    /// The card-type value (`1`, `2`, `05`, `06`).
    pub card_type: String,
    /// `(dump key, file bytes)`.
    pub files: Vec<(&'static str, Vec<u8>)>,
}

/// The card type from MF/EF02 (`C1`), read in full so a two-character generation-2 value is
/// never cut (residence-card.md §0).
fn card_type<T: CardTransport>(ch: &mut Channel<T>) -> Result<(Vec<u8>, String), ResidenceError> {
    let mut raw = read_plain(ch, RESIDENCE_SFI_CARD_TYPE, 64);
    if raw.is_err() {
        let mf = Command::new(0x00, 0xA4, 0x00, 0x00).with_data(vec![0x3F, 0x00]);
        ch.transmit(&mf)?;
        raw = read_plain(ch, RESIDENCE_SFI_CARD_TYPE, 64);
    }
    let raw = match raw {
        Ok(r) => r,
        Err(ResidenceError::Card(CardError::Status { .. })) => {
            return Err(ResidenceError::UnsupportedCardType(None))
        }
        Err(e) => return Err(e),
    };
    let value = tlv::expect_single(&raw, Tag::new(TAG_CARD_TYPE))
        .map(|t| t.value().to_vec())
        .map_err(|_| ResidenceError::UnsupportedCardType(None))?;
    let text = String::from_utf8(value).map_err(|_| ResidenceError::UnsupportedCardType(None))?;
    Ok((raw, text))
}

/// Reads every file of the card. `rng` fills the terminal's random challenge and key half (or
/// fails, and the read stops);
/// `progress` is called after each file.
pub fn read_card<T: CardTransport>(
    ch: &mut Channel<T>,
    number: &CardNumber,
    rng: &mut super::session::Rng<'_>,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<ResidenceRead, ResidenceError> {
    let (type_raw, card_type) = card_type(ch)?;
    let Some((generation, is_residence, specs)) = files_for(&card_type) else {
        return Err(ResidenceError::UnsupportedCardType(Some(card_type)));
    };
    let common = read_plain(ch, RESIDENCE_SFI_COMMON, 64)?;
    let suite = if generation == 1 {
        Suite::Tdes
    } else {
        Suite::Aes
    };
    let session = open(ch, suite, number, rng)?;

    let wanted: Vec<_> = specs
        .iter()
        .filter(|s| is_residence || !s.residence_only)
        .collect();
    let total = wanted.len();
    let mut files = vec![(MF_COMMON, common), (MF_CARD_TYPE, type_raw)];
    let mut bytes = 0;
    let mut current = Dir::Mf;
    for (done, spec) in wanted.into_iter().enumerate() {
        if spec.dir != current {
            if let Some(aid) = spec.dir.aid() {
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
            read_sm(ch, &session, spec.name, spec.sfi, spec.max_len)?
        } else {
            read_plain(ch, spec.sfi, spec.max_len)?
        };
        bytes += data.len();
        progress(Progress {
            file: spec.name,
            done: done + 1,
            total,
            bytes,
        });
        files.push((spec.name, data));
    }
    Ok(ResidenceRead {
        generation,
        card_type,
        files,
    })
}
