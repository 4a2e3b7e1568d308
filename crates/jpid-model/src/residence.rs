//! The Residence Card (在留カード) and Special Permanent Resident Certificate (特別永住者証明書):
//! their card types and the files a read takes, per chip generation
//! (docs/spec/residence-card.md §0, §1, §3). This is the one list of those files: the reader
//! walks it, the dump names its entries by it, the verifier looks files up in it.

use std::collections::BTreeMap;

use jpid_apdu::tlv::{self, Tag};

/// The card type the chip records in MF/EF02 under tag `C1` (docs/spec/residence-card.md §0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResidenceCardType {
    /// `1`: Residence Card, chip generation 1.
    Residence1,
    /// `2`: Special Permanent Resident Certificate, chip generation 1.
    Spr1,
    /// `05`: Residence Card, chip generation 2.
    Residence2,
    /// `06`: Special Permanent Resident Certificate, chip generation 2.
    Spr2,
}

/// Tag of the card-type value in MF/EF02 (docs/spec/residence-card.md §0).
pub const TAG_CARD_TYPE: u32 = 0xC1;

impl ResidenceCardType {
    /// Every type jpid reads.
    pub const ALL: [Self; 4] = [Self::Residence1, Self::Spr1, Self::Residence2, Self::Spr2];

    /// The type from the value the chip records (`1`, `2`, `05`, `06`).
    pub fn from_value(value: &[u8]) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.value().as_bytes() == value)
    }

    /// The type from the whole MF/EF02 file (`C1 len value`): `Ok(None)` for a well-formed file
    /// with a type jpid does not read (the value is returned as text), `Err` for a malformed one.
    pub fn from_file(file: &[u8]) -> Result<Result<Self, String>, tlv::TlvError> {
        let t = tlv::expect_single(file, Tag::new(TAG_CARD_TYPE))?;
        Ok(Self::from_value(t.value()).ok_or_else(|| String::from_utf8_lossy(t.value()).into()))
    }

    /// The value as the chip records it.
    pub fn value(self) -> &'static str {
        match self {
            Self::Residence1 => "1",
            Self::Spr1 => "2",
            Self::Residence2 => "05",
            Self::Spr2 => "06",
        }
    }

    /// The chip generation, 1 or 2.
    pub fn generation(self) -> u8 {
        match self {
            Self::Residence1 | Self::Spr1 => 1,
            Self::Residence2 | Self::Spr2 => 2,
        }
    }

    /// True for a Residence Card, false for an SPR certificate.
    pub fn is_residence_card(self) -> bool {
        matches!(self, Self::Residence1 | Self::Residence2)
    }

    /// `residence` or `spr`: the card family as the JSON outputs name it.
    pub fn family(self) -> &'static str {
        if self.is_residence_card() {
            "residence"
        } else {
            "spr"
        }
    }

    /// The simulator's and `jpid detect`'s name: `residence`, `residence-gen2`, `spr`, `spr-gen2`.
    pub fn id(self) -> &'static str {
        match self {
            Self::Residence1 => "residence",
            Self::Spr1 => "spr",
            Self::Residence2 => "residence-gen2",
            Self::Spr2 => "spr-gen2",
        }
    }

    /// For people: `Residence Card (在留カード), chip generation 1`.
    pub fn describe(self) -> String {
        let what = if self.is_residence_card() {
            "Residence Card (在留カード)"
        } else {
            "Special Permanent Resident Certificate (特別永住者証明書)"
        };
        format!("{what}, chip generation {}", self.generation())
    }

    /// The files a read of this card takes after the two MF files, in reading order.
    pub fn files(self) -> impl Iterator<Item = &'static FileSpec> {
        let list = if self.generation() == 1 { GEN1 } else { GEN2 };
        let residence = self.is_residence_card();
        list.iter().filter(move |s| residence || !s.residence_only)
    }
}

/// A directory on the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// The MF (free reads).
    Mf,
    /// DF1 (`D392F0004F02…`): images, under secure messaging.
    Df1,
    /// DF2 (`D392F0004F03…`): back-side fields, plain after authentication.
    Df2,
    /// DF3 (`D392F0004F04…`): check code and certificate, plain after authentication.
    Df3,
}

/// Every file of either generation. The names ([`ResidenceFile::name`]) are the keys of the
/// dump file (docs/dump.md) and must not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResidenceFile {
    /// MF/EF01, common data (`C0`), free.
    Common,
    /// MF/EF02, the card type (`C1`), free.
    CardType,
    /// Generation 1, DF1/EF05: front image (TIFF).
    FrontImage,
    /// Generation 1, DF1/EF06: face photo (JPEG 2000).
    FaceImage,
    /// Generation 1, DF2/EF01: address (written by the municipality).
    Address,
    /// Generation 1, DF2/EF02: comprehensive permission (residence card only).
    ComprehensivePermission,
    /// Generation 1, DF2/EF03: individual permission (residence card only).
    IndividualPermission,
    /// Generation 1, DF2/EF04: renewal application (residence card only).
    RenewalApplication,
    /// DF3/EF02: the check code and the card certificate (both generations).
    Signature,
    /// Generation 2, DF1/EF01: the card number.
    CardNumber,
    /// Generation 2, DF1/EF03: the printed entries (signed).
    PrintedEntries,
    /// Generation 2, DF1/EF04: name image and face photo (signed).
    Images,
    /// Generation 2, DF1/EF06: address image.
    AddressImage,
    /// Generation 2, DF2/EF01: permissions (residence card only).
    Permissions,
    /// Generation 2, DF2/EF02: update status (residence card only).
    UpdateStatus,
    /// Generation 2, DF2/EF03: other entries.
    Other,
}

impl ResidenceFile {
    /// Every file, both generations.
    pub const ALL: [Self; 16] = [
        Self::Common,
        Self::CardType,
        Self::FrontImage,
        Self::FaceImage,
        Self::Address,
        Self::ComprehensivePermission,
        Self::IndividualPermission,
        Self::RenewalApplication,
        Self::Signature,
        Self::CardNumber,
        Self::PrintedEntries,
        Self::Images,
        Self::AddressImage,
        Self::Permissions,
        Self::UpdateStatus,
        Self::Other,
    ];

    /// The dump key, e.g. `df1.front_image`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Common => "mf.common",
            Self::CardType => "mf.card_type",
            Self::FrontImage => "df1.front_image",
            Self::FaceImage => "df1.face_image",
            Self::Address => "df2.address",
            Self::ComprehensivePermission => "df2.comprehensive_permission",
            Self::IndividualPermission => "df2.individual_permission",
            Self::RenewalApplication => "df2.renewal_application",
            Self::Signature => "df3.signature",
            Self::CardNumber => "df1.card_number",
            Self::PrintedEntries => "df1.printed_entries",
            Self::Images => "df1.images",
            Self::AddressImage => "df1.address_image",
            Self::Permissions => "df2.permissions",
            Self::UpdateStatus => "df2.update_status",
            Self::Other => "df2.other",
        }
    }

    /// The file with dump key `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl std::fmt::Display for ResidenceFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How one file of a generation is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSpec {
    /// Which file.
    pub file: ResidenceFile,
    /// Directory.
    pub dir: Dir,
    /// Short EF id.
    pub sfi: u8,
    /// Read under secure messaging.
    pub sm: bool,
    /// Largest size accepted (the spec's maximum plus TLV headers and padding).
    pub max_len: usize,
    /// Present only on the residence card, not the SPR certificate.
    pub residence_only: bool,
}

const fn f(
    file: ResidenceFile,
    dir: Dir,
    sfi: u8,
    sm: bool,
    max_len: usize,
    residence_only: bool,
) -> FileSpec {
    FileSpec {
        file,
        dir,
        sfi,
        sm,
        max_len,
        residence_only,
    }
}

use ResidenceFile as F;

/// Generation 1 (card types `1` and `2`), docs/spec/residence-card.md §3.
pub const GEN1: &[FileSpec] = &[
    f(F::FrontImage, Dir::Df1, 0x05, true, 7_100, false),
    f(F::FaceImage, Dir::Df1, 0x06, true, 3_100, false),
    f(F::Address, Dir::Df2, 0x01, false, 400, false),
    f(F::ComprehensivePermission, Dir::Df2, 0x02, false, 200, true),
    f(F::IndividualPermission, Dir::Df2, 0x03, false, 200, true),
    f(F::RenewalApplication, Dir::Df2, 0x04, false, 16, true),
    f(F::Signature, Dir::Df3, 0x02, false, 1_600, false),
];

/// Generation 2 (card types `05` and `06`), docs/spec/residence-card.md §3 (ERG's reading of
/// the generation-2 spec; single source beyond the file list, UNCONFIRMED).
pub const GEN2: &[FileSpec] = &[
    f(F::CardNumber, Dir::Df1, 0x01, true, 64, false),
    f(F::PrintedEntries, Dir::Df1, 0x03, true, 256, false),
    f(F::Images, Dir::Df1, 0x04, true, 5_700, false),
    f(F::AddressImage, Dir::Df1, 0x06, true, 2_600, false),
    f(F::Permissions, Dir::Df2, 0x01, false, 400, true),
    f(F::UpdateStatus, Dir::Df2, 0x02, false, 16, true),
    f(F::Other, Dir::Df2, 0x03, false, 400, false),
    f(F::Signature, Dir::Df3, 0x02, false, 1_000, false),
];

/// Short EF id of MF/EF01, common data (`C0`). docs/spec/residence-card.md §1, §3.
pub const SFI_COMMON: u8 = 0x0B;
/// Short EF id of MF/EF02, card type (`C1`). docs/spec/residence-card.md §1, §3 (CONFIRMED).
pub const SFI_CARD_TYPE: u8 = 0x0A;

/// The raw contents of the files of one read, as the card gave them.
/// `Debug` shows names and sizes only: the files hold the holder's data and photo.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ResidenceFiles(BTreeMap<ResidenceFile, Vec<u8>>);

impl std::fmt::Debug for ResidenceFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| (k.name(), v.len())))
            .finish()
    }
}

impl ResidenceFiles {
    /// No files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a file's content.
    pub fn insert(&mut self, file: ResidenceFile, bytes: Vec<u8>) {
        self.0.insert(file, bytes);
    }

    /// A file's content, when it was read.
    pub fn get(&self, file: ResidenceFile) -> Option<&[u8]> {
        self.0.get(&file).map(Vec::as_slice)
    }

    /// Removes a file (a test's way to make a dump incomplete).
    pub fn remove(&mut self, file: ResidenceFile) -> Option<Vec<u8>> {
        self.0.remove(&file)
    }

    /// A file's content, mutably (a test's way to tamper with it).
    pub fn get_mut(&mut self, file: ResidenceFile) -> Option<&mut Vec<u8>> {
        self.0.get_mut(&file)
    }

    /// The files in [`ResidenceFile`] order.
    pub fn iter(&self) -> impl Iterator<Item = (ResidenceFile, &[u8])> {
        self.0.iter().map(|(k, v)| (*k, v.as_slice()))
    }

    /// How many files.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True without files.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The card type recorded in MF/EF02, when that file holds one jpid reads.
    pub fn card_type(&self) -> Option<ResidenceCardType> {
        ResidenceCardType::from_file(self.get(ResidenceFile::CardType)?)
            .ok()?
            .ok()
    }
}

impl FromIterator<(ResidenceFile, Vec<u8>)> for ResidenceFiles {
    fn from_iter<I: IntoIterator<Item = (ResidenceFile, Vec<u8>)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_encoding_of_the_card_type() {
        for t in ResidenceCardType::ALL {
            assert_eq!(ResidenceCardType::from_value(t.value().as_bytes()), Some(t));
            let file = [&[0xC1, t.value().len() as u8][..], t.value().as_bytes()].concat();
            assert_eq!(ResidenceCardType::from_file(&file), Ok(Ok(t)));
        }
        assert_eq!(ResidenceCardType::from_value(b"5"), None);
        assert_eq!(ResidenceCardType::from_value(b"07"), None);
        assert_eq!(
            ResidenceCardType::from_file(&[0xC1, 0x02, b'0', b'7']),
            Ok(Err("07".to_string()))
        );
        assert!(ResidenceCardType::from_file(&[0xC1, 0x05, b'0']).is_err());
    }

    #[test]
    fn every_file_has_one_name_and_the_lists_use_them() {
        for f in ResidenceFile::ALL {
            assert_eq!(ResidenceFile::from_name(f.name()), Some(f));
        }
        assert_eq!(ResidenceFile::from_name("MF.COMMON"), None);
        let gen1: Vec<_> = ResidenceCardType::Spr1.files().map(|s| s.file).collect();
        assert_eq!(
            gen1,
            [F::FrontImage, F::FaceImage, F::Address, F::Signature]
        );
        assert_eq!(ResidenceCardType::Residence2.files().count(), GEN2.len());
    }
}
