//! Residence Card / Special Permanent Resident Certificate: parsing the raw files a read
//! produced, and proving them genuine (docs/spec/residence-card.md §3, §4).
//!
//! Generation 1: the check code (`DA`) is RSA PKCS#1 v1.5 with SHA-256 over the front-image
//! value padded with `00` to 7000 bytes ‖ the face-image value padded to 3000 bytes, made with the
//! key of the card certificate (`DB`, zero-padded), which a "ZairyuCard CA" root issues.
//!
//! Generation 2 (UNCONFIRMED beyond one source, isolated in [`Gen2Layout`]): SHA256withECDSA on
//! P-384 (`DC`, raw r‖s or DER) over the printed-entry values (53 bytes; 34 padded to 53 on the
//! SPR certificate) ‖ face value padded to 3000 ‖ name-image value padded to 2500, with the key
//! of the certificate `DD`, issued by "ZairyuCard CA2".

use jpid_apdu::tlv::{self, Tag};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::trust::{Purpose, TrustMode, TrustStore};
use crate::verdict::{ChipAuth, DateCheck, Unsigned, Validity, Verdict};
use crate::x509::{self, HashAlg, SigForm};
use crate::UnixTime;

pub use jpid_model::residence::{ResidenceCardType, ResidenceFile, ResidenceFiles};
use ResidenceFile as F;

fn get(files: &ResidenceFiles, file: ResidenceFile) -> Result<&[u8], ParseError> {
    files.get(file).ok_or(ParseError::Missing(file.name()))
}

/// Why the files could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// A file the card type requires is absent.
    #[error("file {0} is missing")]
    Missing(&'static str),
    /// A file does not have the layout the spec gives.
    #[error("file {file} is malformed: {detail}")]
    Malformed {
        /// The file.
        file: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A card type jpid does not read.
    #[error("card type {0:?} is not a residence card or SPR certificate jpid reads")]
    UnsupportedCardType(String),
}

/// One printed or recorded field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// Stable key, e.g. `birth_date`.
    pub key: &'static str,
    /// English label.
    pub label: &'static str,
    /// Japanese label.
    pub label_ja: &'static str,
    /// Whether the issuer's signature covers it.
    pub signed: bool,
    /// The value in words, English: a code decoded, a date as YYYY-MM-DD; a code whose table
    /// is not public stays raw and says so (`jpid_model::words`, docs/codes.md).
    pub text: String,
    /// The value in words, Japanese (dates also in the era form).
    pub text_ja: String,
    /// Why not, when it is not.
    pub unsigned_why: Option<&'static str>,
    /// The value as text (declared last: the fields are in alphabetical order, as the
    /// service's answers print them).
    pub value: String,
}

/// Why the generation-1 address fields are not signed.
const WHY_ADDRESS: &str = "written on the chip by the municipality when the holder moves; the check code covers only the front image and the face photo";
/// Why the permission and renewal entries are not signed.
const WHY_IMMIGRATION: &str = "written on the chip after issuance (permissions, renewal applications); the signature does not cover it";
/// Why the generation-2 card number file is not signed.
const WHY_CARD_NUMBER: &str = "the card-number file is outside the signed data (the number that opened the chip is the one typed)";
/// Why the generation-2 address image is not signed.
const WHY_ADDRESS_IMAGE: &str = "the address image is rewritten when the holder moves; the signature covers the printed entries, the face photo and the name image only";
/// Why the card type is not signed.
const WHY_CARD_TYPE: &str = "MF/EF02 is readable by anyone and not part of the signed data; the card type shown comes from it";

/// The parsed contents of a residence card.
#[derive(Debug, Clone)]
pub struct ParsedResidence {
    /// 1 or 2.
    pub generation: u8,
    /// The card type recorded on the chip (not signed).
    pub card_type: ResidenceCardType,
    /// True for a residence card, false for an SPR certificate.
    pub is_residence_card: bool,
    /// Text fields (back side for generation 1; printed entries and back side for generation 2).
    pub fields: Vec<Field>,
    /// Generation 1: image of the card front (TIFF, CCITT G4).
    pub front_image: Option<Vec<u8>>,
    /// The face photo (JPEG 2000); absent for holders without a photo.
    pub face_image: Option<Vec<u8>>,
    /// Generation 2: name image (TIFF, CCITT G4).
    pub name_image: Option<Vec<u8>>,
    /// Generation 2: address image (TIFF, CCITT G4).
    pub address_image: Option<Vec<u8>>,
    check_code: Vec<u8>,
    certificate: Vec<u8>,
    printed_signed: Vec<u8>,
}

fn malformed(file: &'static str) -> impl Fn(tlv::TlvError) -> ParseError {
    move |e| ParseError::Malformed {
        file,
        detail: e.to_string(),
    }
}

/// The top-level objects of a file, in order.
type Objects = Vec<(Tag, Vec<u8>)>;

/// All objects of a file by tag.
fn objects(files: &ResidenceFiles, file: ResidenceFile) -> Result<Objects, ParseError> {
    tlv::iter_with(get(files, file)?, tlv::TagRule::TwoByte)
        .map(|t| t.map(|t| (t.tag(), t.value().to_vec())))
        .collect::<Result<_, _>>()
        .map_err(malformed(file.name()))
}

fn value_of(objs: &[(Tag, Vec<u8>)], tag: u32) -> Option<&[u8]> {
    objs.iter()
        .find(|(t, _)| t.value() == tag)
        .map(|(_, v)| v.as_slice())
}

/// Text of a generation-1 field: UTF-8 when it is valid UTF-8, else Shift_JIS (ERG decodes
/// Shift_JIS; the encoding is UNCONFIRMED, docs/spec/residence-card.md §3). Trailing NULs and
/// spaces go.
fn text_gen1(bytes: &[u8]) -> String {
    let trimmed = trim_padding(bytes);
    match std::str::from_utf8(trimmed) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::SHIFT_JIS.decode(trimmed).0.into_owned(),
    }
}

/// Generation-2 text is UTF-8 without BOM (docs/spec/residence-card.md §3); invalid bytes are shown as U+FFFD.
fn text_gen2(bytes: &[u8]) -> String {
    String::from_utf8_lossy(trim_padding(bytes)).into_owned()
}

fn trim_padding(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| *b != 0 && *b != b' ')
        .map_or(0, |i| i + 1);
    bytes.get(..end).unwrap_or_default()
}

/// An image value exactly as stored (cards pad values with zeros up to their maximum; image
/// formats end in legitimate zero bytes, so nothing is trimmed). An empty or all-zero value means
/// the card holds no such image.
fn image(bytes: &[u8]) -> Option<Vec<u8>> {
    bytes.iter().any(|b| *b != 0).then(|| bytes.to_vec())
}

fn field(key: &'static str, label: &'static str, label_ja: &'static str, value: String) -> Field {
    let (text, text_ja) = match jpid_model::words::residence_field(key, &value) {
        Some(w) => (w.en, w.ja),
        None => (value.clone(), value.clone()),
    };
    Field {
        key,
        label,
        label_ja,
        text,
        text_ja,
        value,
        signed: true,
        unsigned_why: None,
    }
}

fn unsigned_field(
    key: &'static str,
    label: &'static str,
    label_ja: &'static str,
    value: String,
    why: &'static str,
) -> Field {
    Field {
        signed: false,
        unsigned_why: Some(why),
        ..field(key, label, label_ja, value)
    }
}

/// The generation-2 printed-entry layout: tags in file order with their fixed value lengths
/// (ERG `tlv_tag_reference.md`, citing spec 001460711 pp. 10–13; single source, UNCONFIRMED).
pub struct Gen2Layout;

impl Gen2Layout {
    /// `(tag, length, key, English label, Japanese label, residence card only)`.
    pub const PRINTED: [(u32, usize, &'static str, &'static str, &'static str, bool); 10] = [
        (
            0xC5,
            8,
            "card_expiry",
            "Card expiry",
            "有効期間満了日",
            false,
        ),
        (0xC6, 8, "birth_date", "Date of birth", "生年月日", false),
        (0xC7, 1, "sex", "Sex", "性別", false),
        (
            0xC8,
            3,
            "nationality",
            "Nationality/region",
            "国籍・地域",
            false,
        ),
        (0xC9, 10, "status", "Status of residence", "在留資格", false),
        (
            0xCE,
            4,
            "period_of_stay",
            "Period of stay",
            "在留期間",
            false,
        ),
        (
            0xCA,
            2,
            "permission_type",
            "Permission type",
            "許可の種類",
            true,
        ),
        (
            0xCB,
            8,
            "permission_date",
            "Permission date",
            "許可年月日",
            true,
        ),
        (
            0xCC,
            1,
            "work_restriction",
            "Work restriction",
            "就労制限の有無",
            true,
        ),
        (
            0xCD,
            8,
            "stay_expiry",
            "Period of stay expires",
            "在留期間満了日",
            true,
        ),
    ];
    /// Length of the signed printed-entry block.
    pub const PRINTED_LEN: usize = 53;
    /// Signed length of the face value.
    pub const FACE_LEN: usize = 3000;
    /// Signed length of the name-image value.
    pub const NAME_LEN: usize = 2500;
}

/// Signed lengths of generation 1 (docs/spec/residence-card.md §4).
const GEN1_FRONT_LEN: usize = 7000;
const GEN1_FACE_LEN: usize = 3000;

impl ParsedResidence {
    /// A card of `card_type` with nothing read yet.
    fn empty(card_type: ResidenceCardType) -> Self {
        Self {
            generation: card_type.generation(),
            card_type,
            is_residence_card: card_type.is_residence_card(),
            fields: Vec::new(),
            front_image: None,
            face_image: None,
            name_image: None,
            address_image: None,
            check_code: Vec::new(),
            certificate: Vec::new(),
            printed_signed: Vec::new(),
        }
    }
}

/// Parses the files of a read.
pub fn parse(files: &ResidenceFiles) -> Result<ParsedResidence, ParseError> {
    let card_type = ResidenceCardType::from_file(get(files, F::CardType)?)
        .map_err(malformed(F::CardType.name()))?
        .map_err(ParseError::UnsupportedCardType)?;
    // Every file given must be one a read of this card type takes: a residence card's
    // permissions under a card type that says Special Permanent Resident Certificate (the type
    // is not signed) would otherwise vanish from the output without a mark.
    for (file, _) in files.iter() {
        let mf = matches!(file, F::CardType | F::Common);
        if !mf && !card_type.files().any(|s| s.file == file) {
            return Err(ParseError::Malformed {
                file: file.name(),
                detail: format!(
                    "present, but a read of a {} takes no such file: the card type (MF/EF02, not signed) and the files disagree",
                    card_type.describe()
                ),
            });
        }
    }
    let generation = card_type.generation();
    let mut p = ParsedResidence::empty(card_type);
    if generation == 1 {
        parse_gen1(files, &mut p)?;
    } else {
        parse_gen2(files, &mut p)?;
    }
    Ok(p)
}

/// An image value no longer than the spec's maximum (docs/spec/residence-card.md §3).
fn bounded_image(
    objs: &Objects,
    tag: u32,
    max: usize,
    file: ResidenceFile,
) -> Result<Option<Vec<u8>>, ParseError> {
    match value_of(objs, tag) {
        Some(v) if v.len() > max => Err(ParseError::Malformed {
            file: file.name(),
            detail: format!("image of {} bytes exceeds the {max}-byte maximum", v.len()),
        }),
        Some(v) => Ok(image(v)),
        None => Ok(None),
    }
}

fn parse_gen1(files: &ResidenceFiles, p: &mut ParsedResidence) -> Result<(), ParseError> {
    let front = objects(files, F::FrontImage)?;
    p.front_image = bounded_image(&front, 0xD0, GEN1_FRONT_LEN, F::FrontImage)?;
    let face = objects(files, F::FaceImage)?;
    p.face_image = bounded_image(&face, 0xD1, GEN1_FACE_LEN, F::FaceImage)?;
    let addr = objects(files, F::Address)?;
    for (tag, key, label, ja) in [
        (
            0xD2,
            "address_date",
            "Address registered on",
            "住居地記載年月日",
        ),
        (
            0xD3,
            "municipality_code",
            "Municipality code",
            "市町村コード",
        ),
        (0xD4, "address", "Address", "住居地"),
    ] {
        if let Some(v) = value_of(&addr, tag) {
            p.fields
                .push(unsigned_field(key, label, ja, text_gen1(v), WHY_ADDRESS));
        }
    }
    if p.is_residence_card {
        for (file, tag, key, label, ja) in [
            (
                F::ComprehensivePermission,
                0xD5,
                "comprehensive_permission",
                "Permission for activity outside status (comprehensive)",
                "資格外活動許可欄（包括）",
            ),
            (
                F::IndividualPermission,
                0xD6,
                "individual_permission",
                "Permission for activity outside status (individual)",
                "資格外活動許可欄（個別）",
            ),
            (
                F::RenewalApplication,
                0xD7,
                "renewal_application",
                "Application for extension",
                "在留期間更新等許可申請欄",
            ),
        ] {
            let objs = objects(files, file)?;
            if let Some(v) = value_of(&objs, tag) {
                let mut f = unsigned_field(key, label, ja, text_gen1(v), WHY_IMMIGRATION);
                // Generation 1 writes the permissions as free text (the office's wording), not
                // the generation-2 codes that share their keys: shown as written.
                if key != "renewal_application" {
                    f.text.clone_from(&f.value);
                    f.text_ja.clone_from(&f.value);
                }
                p.fields.push(f);
            }
        }
    }
    let sig = objects(files, F::Signature)?;
    p.check_code = value_of(&sig, 0xDA)
        .ok_or(ParseError::Malformed {
            file: F::Signature.name(),
            detail: "no check code (DA)".into(),
        })?
        .to_vec();
    p.certificate = value_of(&sig, 0xDB)
        .ok_or(ParseError::Malformed {
            file: F::Signature.name(),
            detail: "no certificate (DB)".into(),
        })?
        .to_vec();
    Ok(())
}

fn parse_gen2(files: &ResidenceFiles, p: &mut ParsedResidence) -> Result<(), ParseError> {
    let number = objects(files, F::CardNumber)?;
    if let Some(v) = value_of(&number, 0xC2) {
        p.fields.push(unsigned_field(
            "card_number",
            "Card number",
            "在留カード等番号",
            text_gen2(v),
            WHY_CARD_NUMBER,
        ));
    }
    let printed = objects(files, F::PrintedEntries)?;
    for (tag, len, key, label, ja, residence_only) in Gen2Layout::PRINTED {
        if residence_only && !p.is_residence_card {
            continue;
        }
        let v = value_of(&printed, tag).ok_or(ParseError::Malformed {
            file: F::PrintedEntries.name(),
            detail: format!("no {tag:02X} object"),
        })?;
        if v.len() != len {
            return Err(ParseError::Malformed {
                file: F::PrintedEntries.name(),
                detail: format!("{tag:02X} has {} bytes, the layout says {len}", v.len()),
            });
        }
        if residence_only && v.iter().all(|b| *b == 0) {
            // An SPR certificate's printed entries are zero-padded to 53 bytes in the signed
            // data, so zero-filled residence-only entries would turn a genuine SPR certificate
            // into a "residence card" without changing the signature.
            return Err(ParseError::Malformed {
                file: F::PrintedEntries.name(),
                detail: format!("{tag:02X} is empty on a residence card"),
            });
        }
        p.printed_signed.extend_from_slice(v);
        p.fields.push(field(key, label, ja, text_gen2(v)));
    }
    p.printed_signed.resize(Gen2Layout::PRINTED_LEN, 0);
    let images = objects(files, F::Images)?;
    p.name_image = bounded_image(&images, 0xD0, Gen2Layout::NAME_LEN, F::Images)?;
    p.face_image = bounded_image(&images, 0xD1, Gen2Layout::FACE_LEN, F::Images)?;
    let addr = objects(files, F::AddressImage)?;
    p.address_image = bounded_image(&addr, 0xDFD1, 2500, F::AddressImage)?;
    let mut df2: Vec<Objects> = Vec::new();
    if p.is_residence_card {
        df2.push(objects(files, F::Permissions)?);
        df2.push(objects(files, F::UpdateStatus)?);
    }
    df2.push(objects(files, F::Other)?);
    for objs in &df2 {
        for (tag, key, label, ja) in [
            (
                0xD5,
                "comprehensive_permission",
                "Permission for activity outside status (comprehensive)",
                "資格外活動許可（包括）",
            ),
            (
                0xD6,
                "comprehensive_permission_expiry",
                "Comprehensive permission expires",
                "包括許可の期限",
            ),
            (
                0xD7,
                "individual_permission",
                "Permission for activity outside status (individual)",
                "資格外活動許可（個別）",
            ),
            (
                0xD8,
                "update_status",
                "Application for extension",
                "在留期間更新等許可申請",
            ),
            (
                0xD9,
                "commissioner_note",
                "Commissioner note",
                "出入国在留管理庁長官記載",
            ),
            (0xDE, "reserved_text", "Other", "その他"),
        ] {
            if let Some(v) = value_of(objs, tag) {
                p.fields.push(unsigned_field(
                    key,
                    label,
                    ja,
                    text_gen2(v),
                    WHY_IMMIGRATION,
                ));
            }
        }
    }
    let sig = objects(files, F::Signature)?;
    p.check_code = value_of(&sig, 0xDC)
        .ok_or(ParseError::Malformed {
            file: F::Signature.name(),
            detail: "no signature (DC)".into(),
        })?
        .to_vec();
    p.certificate = value_of(&sig, 0xDD)
        .ok_or(ParseError::Malformed {
            file: F::Signature.name(),
            detail: "no certificate (DD)".into(),
        })?
        .to_vec();
    Ok(())
}

impl ParsedResidence {
    /// Exactly the bytes the issuer signed.
    pub fn signed_data(&self) -> Vec<u8> {
        let mut d = Vec::with_capacity(self.signed_data_len());
        for (part, len) in self.signed_parts() {
            d.extend_from_slice(part);
            d.resize(d.len() + len.saturating_sub(part.len()), 0);
        }
        d
    }

    /// SHA-256 of [`Self::signed_data`], hashed piece by piece without building it.
    pub fn signed_data_sha256(&self) -> [u8; 32] {
        const ZEROS: [u8; 512] = [0; 512];
        let mut h = Sha256::new();
        for (part, len) in self.signed_parts() {
            h.update(part);
            let mut pad = len.saturating_sub(part.len());
            while pad > 0 {
                let n = pad.min(ZEROS.len());
                h.update(ZEROS.get(..n).unwrap_or_default());
                pad -= n;
            }
        }
        h.finalize().into()
    }

    /// The length of [`Self::signed_data`].
    pub fn signed_data_len(&self) -> usize {
        self.signed_parts()
            .iter()
            .map(|(part, len)| part.len().max(*len))
            .sum()
    }

    /// The signed pieces in order, each with the length it is zero-padded to (a piece is never
    /// longer than that: parsing bounds it).
    fn signed_parts(&self) -> [(&[u8], usize); 3] {
        fn img(v: &Option<Vec<u8>>) -> &[u8] {
            v.as_deref().unwrap_or_default()
        }
        if self.generation == 1 {
            [
                (img(&self.front_image), GEN1_FRONT_LEN),
                (img(&self.face_image), GEN1_FACE_LEN),
                (&[], 0),
            ]
        } else {
            [
                (&self.printed_signed, 0),
                (img(&self.face_image), Gen2Layout::FACE_LEN),
                (img(&self.name_image), Gen2Layout::NAME_LEN),
            ]
        }
    }

    /// The field with `key`.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.key == key)
            .map(|f| f.value.as_str())
    }
}

pub use crate::verdict::{Check, Reason};

/// What a genuine residence card proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidenceProof {
    /// Card type.
    pub card_type: ResidenceCardType,
    /// Serial of the card certificate.
    pub certificate_serial: String,
    /// Name of the root it chains to.
    pub anchor: String,
    /// The time of verification.
    pub at: UnixTime,
    /// SHA-256 of exactly the bytes the signature covers, binding the proof to that data.
    pub signed_data_sha256: [u8; 32],
    /// Whether test roots were trusted.
    pub trust_mode: TrustMode,
}

/// The outcome of [`verify`]: the one [`Verdict`] (it derefs to it), and the card
/// certificate's subject, issuer and serial when it parsed.
#[derive(Debug, Clone)]
pub struct ResidenceVerdict {
    /// The verdict.
    pub verdict: Verdict<ResidenceProof>,
    /// Subject, issuer and serial of the card certificate, when it parsed.
    pub certificate: Option<(String, String, String)>,
}

impl ResidenceVerdict {
    /// [`Verdict::judged_now`].
    pub fn judged_now(mut self, now: UnixTime) -> Self {
        self.verdict = self.verdict.judged_now(now);
        self
    }
}

impl std::ops::Deref for ResidenceVerdict {
    type Target = Verdict<ResidenceProof>;
    fn deref(&self) -> &Self::Target {
        &self.verdict
    }
}

/// The residence card offers no chip authentication jpid can use.
const NO_CHIP_AUTH: &str = "not possible: the Residence Card and SPR certificate offer no chip authentication jpid can use (the card-number authentication proves only that the reader knew the number printed on the card, which a copy on another chip would know too)";

/// What the signature covers, and what is shown without it.
fn coverage(card: &ParsedResidence) -> (Vec<&'static str>, Vec<Unsigned>) {
    let mut unsigned = vec![Unsigned {
        item: "card_type",
        why: WHY_CARD_TYPE,
    }];
    unsigned.extend(
        card.fields
            .iter()
            .filter_map(|f| f.unsigned_why.map(|why| Unsigned { item: f.key, why })),
    );
    let signed = if card.generation == 1 {
        vec!["front_image", "face_image"]
    } else {
        unsigned.push(Unsigned {
            item: "address_image",
            why: WHY_ADDRESS_IMAGE,
        });
        let mut s: Vec<&'static str> = card
            .fields
            .iter()
            .filter(|f| f.signed)
            .map(|f| f.key)
            .collect();
        s.extend(["face_image", "name_image"]);
        s
    };
    (signed, unsigned)
}

/// The card's own dates at `at`: generation 2 records the card's expiry and (residence card)
/// the end of the period of stay in the signed printed entries; generation 1 records neither as
/// data. A blank entry is no date (a permanent resident's period of stay has no end; how the
/// chip writes that is UNCONFIRMED); a signed entry that is neither blank nor a date is a
/// reason, never silently dropped: the issuer signed a date jpid cannot compare.
///
/// `certificate_expired`: when the card certificate had expired at `at`, its end counts as a
/// passed date (signed by the root): the card is genuine but expired, not forged.
fn validity(
    card: &ParsedResidence,
    at: UnixTime,
    certificate_expired: Option<UnixTime>,
) -> (Validity, Vec<Reason>) {
    let mut dates = Vec::new();
    let mut reasons = Vec::new();
    for (key, what) in [
        ("card_expiry", "card_expiry"),
        ("stay_expiry", "stay_expiry"),
    ] {
        let Some(text) = card.field(key) else {
            continue;
        };
        let blank = text
            .trim_matches(|c: char| c == ' ' || c == '0' || c == '\0')
            .is_empty();
        match jpid_model::CardDate::parse(text) {
            Some(d) => dates.push(Validity::date(what, d, true, at)),
            None if blank => {}
            None => reasons.push(Reason::new(
                "date_unreadable",
                format!("the signed {what} is not a date ({text:?}): validity cannot be decided"),
            )),
        }
    }
    if let Some(end) = certificate_expired {
        dates.push(DateCheck {
            what: "card_certificate_expiry",
            date: end.date_at_offset(jpid_model::date::JST_OFFSET).iso(),
            signed: true,
            in_force: false,
        });
    }
    let note = (card.generation == 1).then_some(
        "a generation-1 chip records no expiry as data: the card's expiry and period of stay are printed on the card and in the signed front image; compare them by eye",
    );
    (Validity::from_dates(at, dates, note), reasons)
}

/// Where the files being verified came from: it decides what the chip facet can say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadFrom {
    /// Read from the chip just now: the card offers no chip authentication
    /// ([`ChipAuth::NotPossible`]).
    Chip,
    /// A dump checked offline: no chip answered ([`ChipAuth::NotApplicable`]).
    Dump,
}

/// Proves a parsed card genuine, or says why not: the check code over exactly the signed bytes,
/// the card certificate chained to a ZairyuCard root in `trust`, both valid at `at`.
pub fn verify(
    card: &ParsedResidence,
    trust: &TrustStore,
    at: UnixTime,
    from: ReadFrom,
) -> ResidenceVerdict {
    let mut checks = Vec::new();
    let mut reasons = Vec::new();
    let mut reason = |code: &'static str, message: String| reasons.push(Reason { code, message });
    let verdict = |checks, mut reasons: Vec<Reason>, certificate, proof, cert_expired| {
        let (signed, unsigned) = coverage(card);
        let (validity, unreadable) = validity(card, at, cert_expired);
        reasons.extend(unreadable);
        ResidenceVerdict {
            verdict: Verdict::new(
                checks,
                reasons,
                signed,
                unsigned,
                validity,
                match from {
                    ReadFrom::Chip => ChipAuth::NotPossible {
                        detail: NO_CHIP_AUTH,
                    },
                    ReadFrom::Dump => ChipAuth::offline(),
                },
                trust.mode(),
                proof,
            ),
            certificate,
        }
    };

    let cert = match trust.parsed(&card.certificate) {
        Ok(c) => c,
        Err(e) => {
            checks.push(Check::new("certificate", false, e.to_string()));
            reason(
                "certificate_malformed",
                format!("the card certificate cannot be read: {e}"),
            );
            return verdict(checks, reasons, None, None, None);
        }
    };
    let cert_info = Some((cert.subject(), cert.issuer(), cert.serial_hex()));

    // 1. The check code over the images (and printed entries).
    let data_sha256 = card.signed_data_sha256();
    let sig_result = if card.generation == 1 {
        cert.verify_rsa_pkcs1(HashAlg::Sha256, &data_sha256, &card.check_code)
    } else {
        let form = if card.check_code.len() == 96 {
            SigForm::Raw
        } else {
            SigForm::Der
        };
        cert.spki_der()
            .and_then(|spki| x509::verify_p384_prehash(&spki, &data_sha256, &card.check_code, form))
    };
    let signature_ok = sig_result.is_ok();
    checks.push(Check {
        name: "check_code",
        passed: signature_ok,
        detail: match &sig_result {
            Ok(()) => format!(
                "{} over {} bytes matches the card certificate's key",
                if card.generation == 1 {
                    "RSA PKCS#1 v1.5 SHA-256"
                } else {
                    "ECDSA P-384 SHA-256"
                },
                card.signed_data_len()
            ),
            Err(e) => e.to_string(),
        },
    });
    match sig_result {
        Ok(()) => {}
        Err(x509::X509Error::BadSignature) if card.generation == 1 => reason(
            "image_altered",
            "the check code does not match the images: the front image or the face photo is not what the issuer signed (altered or substituted), or the check code itself was replaced".into(),
        ),
        Err(x509::X509Error::BadSignature) => reason(
            "data_altered",
            "the signature does not match: the printed entries, the face photo or the name image (the front-side data) is not what the issuer signed, or the signature itself was replaced".into(),
        ),
        Err(e) => reason("signature_malformed", format!("the check code cannot be checked: {e}")),
    }

    // 2. The certificate chain to a ZairyuCard root.
    let purpose = if card.generation == 1 {
        Purpose::Residence
    } else {
        Purpose::ResidenceGen2
    };
    let candidates: Vec<_> = trust.for_purpose(purpose).collect();
    let mut chained = None;
    let mut chain_error = None;
    for anchor in &candidates {
        let Some(root) = anchor.parsed() else {
            continue;
        };
        if !cert.issued_by_name(root) {
            continue;
        }
        match cert.verify_signed_by(root) {
            Ok(()) => {
                chained = Some((anchor.name().to_string(), root));
                break;
            }
            Err(e) => chain_error = Some(e),
        }
    }
    match (&chained, candidates.is_empty()) {
        (Some((name, _)), _) => checks.push(Check {
            name: "certificate_chain",
            passed: true,
            detail: format!("issued by {name}"),
        }),
        (None, true) => {
            checks.push(Check {
                name: "certificate_chain",
                passed: false,
                detail: "no root for this card generation is loaded".into(),
            });
            reason("no_trust_anchor", format!(
                "no {} root is loaded: add the root certificate files published by the Immigration Services Agency with `jpid trust add FILE` (`jpid trust list` names them)",
                if card.generation == 1 { "ZairyuCard CA" } else { "ZairyuCard CA2" }
            ));
        }
        (None, false) => {
            let detail = match &chain_error {
                Some(e) => format!("the certificate's signature does not verify under a root with its issuer's name ({e})"),
                None => format!("issuer {:?} is not a loaded root", cert.issuer()),
            };
            checks.push(Check {
                name: "certificate_chain",
                passed: false,
                detail: detail.clone(),
            });
            reason(
                "unknown_issuer",
                format!("the card certificate was not issued by a known ZairyuCard root: {detail}"),
            );
        }
    }

    // 3. Validity at the time of the read.
    // An expired card certificate makes the card genuine but expired (its end is a passed date
    // in the validity facet), not forged: the signature was made while it was valid. A
    // certificate not yet valid at the time of the check is a fault.
    let (nb, na) = cert.validity();
    let not_yet = at < nb;
    let expired = (at > na).then_some(na);
    checks.push(Check {
        name: "certificate_validity",
        passed: !not_yet,
        detail: format!(
            "valid {} to {}; checked at {}{}",
            nb.to_rfc3339(),
            na.to_rfc3339(),
            at.to_rfc3339(),
            if expired.is_some() {
                ": expired, so the card has expired"
            } else {
                ""
            }
        ),
    });
    if not_yet {
        reason(
            "certificate_not_yet_valid",
            format!(
                "the card certificate is valid only from {}",
                nb.to_rfc3339()
            ),
        );
    }
    // The root must have been valid when it issued the card certificate: a card verifies
    // against the root that was current at its issuance (docs/spec/residence-card.md §4,
    // "keep all four").
    let mut root_valid = true;
    if let Some((name, root)) = &chained {
        root_valid = root.valid_at(nb);
        let (rnb, rna) = root.validity();
        checks.push(Check {
            name: "root_validity",
            passed: root_valid,
            detail: format!(
                "{name} is valid {} to {}; the card certificate was issued {}",
                rnb.to_rfc3339(),
                rna.to_rfc3339(),
                nb.to_rfc3339()
            ),
        });
        if !root_valid {
            reason(
                "root_not_valid",
                format!(
                    "the root {name} was not valid when the card certificate was issued ({})",
                    nb.to_rfc3339()
                ),
            );
        }
    }

    let proof = match chained {
        Some((anchor, _)) if signature_ok && !not_yet && root_valid => Some(ResidenceProof {
            card_type: card.card_type,
            certificate_serial: cert.serial_hex(),
            anchor,
            at,
            signed_data_sha256: data_sha256,
            trust_mode: trust.mode(),
        }),
        _ => None,
    };
    verdict(checks, reasons, cert_info, proof, expired)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen2_with(card_expiry: &str, stay_expiry: &str) -> ParsedResidence {
        ParsedResidence {
            fields: vec![
                field("card_expiry", "", "", card_expiry.into()),
                field("stay_expiry", "", "", stay_expiry.into()),
            ],
            ..ParsedResidence::empty(ResidenceCardType::Residence2)
        }
    }

    #[test]
    fn a_signed_date_that_is_not_a_date_is_a_reason_and_a_blank_one_is_no_date() {
        let at = UnixTime::parse("2027-01-01").unwrap();
        let (v, reasons) = validity(&gen2_with("20310101", "20300101"), at, None);
        assert_eq!((v.dates.len(), reasons.len()), (2, 0));
        // A permanent resident's period of stay has no end: blank, not a date, not a fault.
        let (v, reasons) = validity(&gen2_with("20310101", ""), at, None);
        assert_eq!((v.dates.len(), reasons.len()), (1, 0));
        // Signed, but no date: jpid cannot compare it, and says so instead of dropping it.
        let (v, reasons) = validity(&gen2_with("20310101", "2030/1/1"), at, None);
        assert_eq!(v.dates.len(), 1);
        assert_eq!(
            reasons.iter().map(|r| r.code).collect::<Vec<_>>(),
            ["date_unreadable"]
        );
        let (_, reasons) = validity(&gen2_with("20311301", "20300101"), at, None);
        assert_eq!(reasons.len(), 1, "month 13");
    }
}
