//! Which files a residence-card read takes, per chip generation (residence-card.md §1, §3).
//! The names are the keys of the dump file (docs/dump.md) and must not change.

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

impl Dir {
    /// The DF name to SELECT, `None` for the MF.
    pub fn aid(self) -> Option<&'static [u8; 16]> {
        match self {
            Self::Mf => None,
            Self::Df1 => Some(&crate::spec::RESIDENCE_DF1),
            Self::Df2 => Some(&crate::spec::RESIDENCE_DF2),
            Self::Df3 => Some(&crate::spec::RESIDENCE_DF3),
        }
    }
}

/// One EF of a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSpec {
    /// Dump key, e.g. `df1.front_image`.
    pub name: &'static str,
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
    name: &'static str,
    dir: Dir,
    sfi: u8,
    sm: bool,
    max_len: usize,
    residence_only: bool,
) -> FileSpec {
    FileSpec {
        name,
        dir,
        sfi,
        sm,
        max_len,
        residence_only,
    }
}

/// Generation 1 (card types `1` and `2`), residence-card.md §3.
pub const GEN1: &[FileSpec] = &[
    f("df1.front_image", Dir::Df1, 0x05, true, 7_100, false),
    f("df1.face_image", Dir::Df1, 0x06, true, 3_100, false),
    f("df2.address", Dir::Df2, 0x01, false, 400, false),
    f(
        "df2.comprehensive_permission",
        Dir::Df2,
        0x02,
        false,
        200,
        true,
    ),
    f(
        "df2.individual_permission",
        Dir::Df2,
        0x03,
        false,
        200,
        true,
    ),
    f("df2.renewal_application", Dir::Df2, 0x04, false, 16, true),
    f("df3.signature", Dir::Df3, 0x02, false, 1_600, false),
];

/// Generation 2 (card types `05` and `06`), residence-card.md §3 (ERG's reading of the
/// generation-2 spec; single source beyond the file list, UNCONFIRMED).
pub const GEN2: &[FileSpec] = &[
    f("df1.card_number", Dir::Df1, 0x01, true, 64, false),
    f("df1.printed_entries", Dir::Df1, 0x03, true, 256, false),
    f("df1.images", Dir::Df1, 0x04, true, 5_700, false),
    f("df1.address_image", Dir::Df1, 0x06, true, 2_600, false),
    f("df2.permissions", Dir::Df2, 0x01, false, 400, true),
    f("df2.update_status", Dir::Df2, 0x02, false, 16, true),
    f("df2.other", Dir::Df2, 0x03, false, 400, false),
    f("df3.signature", Dir::Df3, 0x02, false, 1_000, false),
];

/// Dump keys of the two free MF files.
pub const MF_COMMON: &str = "mf.common";
/// Dump key of the card-type file.
pub const MF_CARD_TYPE: &str = "mf.card_type";

/// The file list of a card type, or `None` for a type jpid does not read.
pub fn files_for(card_type: &str) -> Option<(u8, bool, &'static [FileSpec])> {
    match card_type {
        "1" => Some((1, true, GEN1)),
        "2" => Some((1, false, GEN1)),
        "05" => Some((2, true, GEN2)),
        "06" => Some((2, false, GEN2)),
        _ => None,
    }
}
