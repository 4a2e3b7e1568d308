//! Synthetic JPKI certificate holders and their SubjectAltName attributes.
//!
//! docs/spec/mynumber-card.md §2 ("Keys and certificates"): the signature certificate carries the
//! holder's basic four attributes as SubjectAltName `otherName` entries
//! `[0] { OID, [0] EXPLICIT UTF8String }` under `1.2.392.200149.8.5.5`; the user-authentication
//! certificate carries no personal data (`CN=<opaque id>, C=JP`).

use der::oid::ObjectIdentifier;

use crate::PkiError;

/// `1.2.392.200149.8.5.5.1`: name (氏名).
pub const OID_JPKI_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.1");
/// `1.2.392.200149.8.5.5.2`: name with substitute characters (代替文字).
pub const OID_JPKI_NAME_SUBSTITUTE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.2");
/// `1.2.392.200149.8.5.5.3`: gender.
pub const OID_JPKI_GENDER: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.3");
/// `1.2.392.200149.8.5.5.4`: date of birth.
pub const OID_JPKI_DATE_OF_BIRTH: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.4");
/// `1.2.392.200149.8.5.5.5`: address.
pub const OID_JPKI_ADDRESS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.5");
/// `1.2.392.200149.8.5.5.6`: address with substitute characters.
pub const OID_JPKI_ADDRESS_SUBSTITUTE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.6");

/// Gender as written in the signature certificate (`1.2.392.200149.8.5.5.3`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Gender {
    /// `"1"`.
    Male,
    /// `"2"`.
    Female,
    /// `"3"`. The exact meaning of code 3 in the JPKI profile is UNCONFIRMED (the residence card
    /// uses 1/2/3 as well, docs/spec/residence-card.md §3); it is here so simulated holders can
    /// exercise it.
    Other,
}

impl Gender {
    /// The one-digit value carried in the certificate.
    pub fn code(self) -> &'static str {
        match self {
            Self::Male => "1",
            Self::Female => "2",
            Self::Other => "3",
        }
    }
}

/// A Gregorian date of birth, checked to be a real date on or after 1873-01-01 (the day Japan
/// adopted the Gregorian calendar, Meiji 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BirthDate {
    year: u16,
    month: u8,
    day: u8,
}

/// First day (Gregorian) of each era after Meiji, with its JIS X 0301 era digit.
const ERAS: [((u16, u8, u8), u8); 4] = [
    ((2019, 5, 1), 5),   // 令和 Reiwa
    ((1989, 1, 8), 4),   // 平成 Heisei
    ((1926, 12, 25), 3), // 昭和 Showa
    ((1912, 7, 30), 2),  // 大正 Taisho
];

impl BirthDate {
    /// Checks and builds a date.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, PkiError> {
        let bad = |reason| PkiError::InvalidDate {
            year,
            month,
            day,
            reason,
        };
        if !(1873..=9999).contains(&year) {
            return Err(bad("year outside 1873..=9999"));
        }
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(bad("month outside 1..=12")),
        };
        if day == 0 || day > days_in_month {
            return Err(bad("day outside the month"));
        }
        Ok(Self { year, month, day })
    }

    /// Year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// Month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// Day of month.
    pub fn day(self) -> u8 {
        self.day
    }

    /// JIS X 0301 era digit: 1 明治, 2 大正, 3 昭和, 4 平成, 5 令和.
    pub fn era_digit(self) -> u8 {
        let key = (self.year, self.month, self.day);
        ERAS.iter()
            .find(|(start, _)| key >= *start)
            .map_or(1, |(_, digit)| *digit)
    }

    /// The value carried under `1.2.392.200149.8.5.5.4`: era digit followed by the Gregorian
    /// `YYYYMMDD`, e.g. 1990-01-02 → `"419900102"`.
    ///
    /// **UNCONFIRMED** (docs/spec/mynumber-card.md §2: a single project states this form, citing
    /// the J-LIS certificate profile §3.2). The era digit is taken to be the JIS X 0301 code of the
    /// era the date falls in; that reading matches the one published example.
    pub fn jpki_encoding(self) -> String {
        format!(
            "{}{:04}{:02}{:02}",
            self.era_digit(),
            self.year,
            self.month,
            self.day
        )
    }
}

/// The attributes of a simulated JPKI certificate holder.
///
/// Every holder is synthetic. The generator enforces that [`cert_id`](Self::cert_id) contains
/// `TEST`, so every certificate subject it issues says TEST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JpkiHolder {
    /// Opaque identifier used as the certificates' `CN` (`C=JP, CN=<cert_id>` in DER order) and
    /// in the key-derivation labels, so each holder gets its own keys. 1–64 characters from
    /// `A–Z 0–9 -`, containing `TEST`.
    pub cert_id: String,
    /// 氏名, family and given name separated by U+3000.
    pub name: String,
    /// 氏名 with substitute characters. Equal to `name` when every character is in the basic
    /// character set.
    pub name_substitute: String,
    /// Gender.
    pub gender: Gender,
    /// Date of birth.
    pub date_of_birth: BirthDate,
    /// 住所.
    pub address: String,
    /// 住所 with substitute characters.
    pub address_substitute: String,
}

impl JpkiHolder {
    /// The default synthetic holder: 試験　花子 (試験 = "test"), female, born 1990-01-01,
    /// living at 東京都千代田区霞が関１－１－１ (a government district, not a residence).
    pub fn default_synthetic() -> Self {
        let name = "試験\u{3000}花子".to_owned();
        let address = "東京都千代田区霞が関１－１－１".to_owned();
        Self {
            cert_id: "JPIDTEST0000000000000001".to_owned(),
            name_substitute: name.clone(),
            name,
            gender: Gender::Female,
            date_of_birth: BirthDate {
                year: 1990,
                month: 1,
                day: 1,
            },
            address_substitute: address.clone(),
            address,
        }
    }

    /// The synthetic holder whose certificates the test CRLs revoke: 失効　次郎 (失効 =
    /// "revoked"), male, born 2005-04-02, at 大阪府大阪市中央区大手前２－１－２２ (a prefectural
    /// office, not a residence).
    pub fn revoked_synthetic() -> Self {
        let name = "失効\u{3000}次郎".to_owned();
        let address = "大阪府大阪市中央区大手前２－１－２２".to_owned();
        Self {
            cert_id: "JPIDTEST-REVOKED-0000000001".to_owned(),
            name_substitute: name.clone(),
            name,
            gender: Gender::Male,
            date_of_birth: BirthDate {
                year: 2005,
                month: 4,
                day: 2,
            },
            address_substitute: address.clone(),
            address,
        }
    }

    /// Checks the attributes before any certificate is issued.
    pub fn validate(&self) -> Result<(), PkiError> {
        let bad = |field, reason| Err(PkiError::InvalidHolder { field, reason });
        let id = &self.cert_id;
        if id.is_empty() || id.len() > 64 {
            return bad("cert_id", "must be 1 to 64 characters");
        }
        if !id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        {
            return bad("cert_id", "only A-Z, 0-9 and '-' are allowed");
        }
        if !id.contains("TEST") {
            return bad("cert_id", "must contain TEST so that the subject says TEST");
        }
        for (field, value) in [
            ("name", &self.name),
            ("name_substitute", &self.name_substitute),
            ("address", &self.address),
            ("address_substitute", &self.address_substitute),
        ] {
            if value.is_empty() {
                return bad(field, "must not be empty");
            }
            if value.chars().any(char::is_control) {
                return bad(field, "must not contain control characters");
            }
        }
        Ok(())
    }

    /// The six SubjectAltName `otherName` entries, in OID order, as (OID, UTF-8 value).
    pub fn san_attributes(&self) -> [(ObjectIdentifier, String); 6] {
        [
            (OID_JPKI_NAME, self.name.clone()),
            (OID_JPKI_NAME_SUBSTITUTE, self.name_substitute.clone()),
            (OID_JPKI_GENDER, self.gender.code().to_owned()),
            (OID_JPKI_DATE_OF_BIRTH, self.date_of_birth.jpki_encoding()),
            (OID_JPKI_ADDRESS, self.address.clone()),
            (OID_JPKI_ADDRESS_SUBSTITUTE, self.address_substitute.clone()),
        ]
    }
}

impl Default for JpkiHolder {
    fn default() -> Self {
        Self::default_synthetic()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn era(y: u16, m: u8, d: u8) -> u8 {
        BirthDate::new(y, m, d).unwrap().era_digit()
    }

    #[test]
    fn era_boundaries() {
        assert_eq!(era(1912, 7, 29), 1);
        assert_eq!(era(1912, 7, 30), 2);
        assert_eq!(era(1926, 12, 24), 2);
        assert_eq!(era(1926, 12, 25), 3);
        assert_eq!(era(1989, 1, 7), 3);
        assert_eq!(era(1989, 1, 8), 4);
        assert_eq!(era(2019, 4, 30), 4);
        assert_eq!(era(2019, 5, 1), 5);
    }

    #[test]
    fn dob_encoding_matches_spec_example() {
        // docs/spec/mynumber-card.md §2: "e.g. 419900102".
        assert_eq!(
            BirthDate::new(1990, 1, 2).unwrap().jpki_encoding(),
            "419900102"
        );
        assert_eq!(
            BirthDate::new(1980, 2, 17).unwrap().jpki_encoding(),
            "319800217"
        );
    }

    #[test]
    fn invalid_dates_rejected() {
        assert!(BirthDate::new(2023, 2, 29).is_err());
        assert!(BirthDate::new(2024, 2, 29).is_ok());
        assert!(BirthDate::new(1900, 2, 29).is_err());
        assert!(BirthDate::new(2000, 2, 29).is_ok());
        assert!(BirthDate::new(2000, 13, 1).is_err());
        assert!(BirthDate::new(2000, 4, 31).is_err());
        assert!(BirthDate::new(1872, 12, 31).is_err());
    }

    #[test]
    fn holder_validation() {
        let ok = JpkiHolder::default();
        ok.validate().unwrap();
        let mut h = ok.clone();
        h.cert_id = "1234567890".into();
        assert!(h.validate().is_err(), "cert_id without TEST");
        let mut h = ok.clone();
        h.cert_id = "test-lower".into();
        assert!(h.validate().is_err());
        let mut h = ok;
        h.address = String::new();
        assert!(h.validate().is_err());
    }
}
