//! Points in time ([`UnixTime`]) and calendar dates as cards write them ([`CardDate`]), both
//! parsed strictly (no 31 February), and the one age function.
//!
//! Times go through `der::DateTime`, the calendar arithmetic the certificate code already uses,
//! so a time jpid prints, parses and compares with a certificate's validity is one kind of
//! value. `der::DateTime` starts in 1970, which a birth date may precede, so [`CardDate`] keeps
//! its own check of the month's length (the Gregorian leap-year rule; nothing else).

use std::time::Duration;

use serde::Serialize;

/// A point in time, as seconds since the Unix epoch (UTC). Verifiers take it as an argument;
/// they never read the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(pub u64);

/// The last second `der::DateTime` can express (9999-12-31T23:59:59Z).
const MAX_SECONDS: u64 = 253_402_300_799;

impl UnixTime {
    fn datetime(self) -> der::DateTime {
        der::DateTime::from_unix_duration(Duration::from_secs(self.0.min(MAX_SECONDS)))
            .unwrap_or(der::DateTime::INFINITY)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` (times after 9999 print as its last second).
    pub fn to_rfc3339(self) -> String {
        let t = self.datetime();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minutes(),
            t.seconds()
        )
    }

    /// Parses `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DD` (midnight UTC), strictly: the day must
    /// exist in its month (`2026-02-31` is refused, not moved to March), the year is 1970–9999,
    /// and there are no leap seconds.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        let (date, time) = match t.len() {
            10 => (t, None),
            20 if t.get(10..11) == Some("T") && t.ends_with('Z') => (t.get(..10)?, t.get(11..19)),
            _ => return None,
        };
        let (y, m, d) = ymd(date, '-')?;
        let (h, mi, s) = match time {
            None => (0, 0, 0),
            Some(hms) => {
                let part = |r: std::ops::Range<usize>| hms.get(r).and_then(num::<u8>);
                if hms.get(2..3) != Some(":") || hms.get(5..6) != Some(":") {
                    return None;
                }
                (part(0..2)?, part(3..5)?, part(6..8)?)
            }
        };
        let dt = der::DateTime::new(y, m, d, h, mi, s).ok()?;
        Some(Self(dt.unix_duration().as_secs()))
    }

    /// The calendar date in UTC.
    pub fn date(self) -> CardDate {
        let t = self.datetime();
        CardDate {
            year: t.year(),
            month: t.month(),
            day: t.day(),
        }
    }

    /// The calendar date at `offset` seconds east of UTC (Japan: `9 * 3600`).
    pub fn date_at_offset(self, offset: u64) -> CardDate {
        Self(self.0.saturating_add(offset)).date()
    }
}

/// Japan Standard Time's offset from UTC (no daylight saving time).
pub const JST_OFFSET: u64 = 9 * 3600;

fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `YYYY?MM?DD` with the given separator (or none when `sep` is `'\0'`).
fn ymd(s: &str, sep: char) -> Option<(u16, u8, u8)> {
    let (y, m, d) = if sep == '\0' {
        if s.len() != 8 {
            return None;
        }
        (s.get(0..4)?, s.get(4..6)?, s.get(6..8)?)
    } else {
        let mut it = s.splitn(3, sep);
        (it.next()?, it.next()?, it.next()?)
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    Some((num(y)?, num(m)?, num(d)?))
}

fn days_in_month(year: u16, month: u8) -> u8 {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A Gregorian calendar date as the cards write it (`YYYYMMDD`, 8 ASCII digits), checked to
/// exist. Serialised as those 8 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CardDate {
    year: u16,
    month: u8,
    day: u8,
}

impl CardDate {
    /// A date, if it exists (years 1–9999).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        ((1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day))
        .then_some(Self { year, month, day })
    }

    /// A date known to exist (a constant in jpid's own tables); not for outside input.
    pub(crate) const fn from_parts(year: u16, month: u8, day: u8) -> Self {
        Self { year, month, day }
    }

    /// `YYYYMMDD` (as on the cards) or `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Self> {
        let (y, m, d) = match text.len() {
            8 => ymd(text, '\0')?,
            10 => ymd(text, '-')?,
            _ => return None,
        };
        Self::new(y, m, d)
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }
    /// The month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }
    /// The day of the month.
    pub fn day(self) -> u8 {
        self.day
    }

    /// `YYYYMMDD`.
    pub fn compact(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// `YYYY-MM-DD`.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// Midnight UTC at the start of this date, when it is 1970 or later.
    pub fn start_utc(self) -> Option<UnixTime> {
        der::DateTime::new(self.year, self.month, self.day, 0, 0, 0)
            .ok()
            .map(|t| UnixTime(t.unix_duration().as_secs()))
    }
}

impl TryFrom<&[u8]> for CardDate {
    type Error = &'static str;
    fn try_from(v: &[u8]) -> Result<Self, Self::Error> {
        let text = std::str::from_utf8(v).map_err(|_| "a date is 8 ASCII digits YYYYMMDD")?;
        if text.len() != 8 {
            return Err("a date is 8 ASCII digits YYYYMMDD");
        }
        Self::parse(text).ok_or("not a calendar date")
    }
}

impl Serialize for CardDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.compact())
    }
}

impl std::fmt::Display for CardDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.compact())
    }
}

/// Whole years from `birth` to `on`, the birthday counted (an age rises on the birthday; one
/// born on 29 February becomes a year older on 1 March in common years: 年齢計算ニ関スル法律 and
/// 民法143条 end the year at the close of 28 February). `None` when `on` is before `birth`.
pub fn age_on(birth: CardDate, on: CardDate) -> Option<u32> {
    if on < birth {
        return None;
    }
    let years = u32::from(on.year - birth.year);
    Some(years - u32::from((on.month, on.day) < (birth.month, birth.day)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_and_impossible_dates_are_refused() {
        assert_eq!(UnixTime(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        // Checked with Python: datetime.utcfromtimestamp(1795000000).
        assert_eq!(UnixTime(1_795_000_000).to_rfc3339(), "2026-11-18T11:06:40Z");
        for t in [
            0u64,
            951_782_400,
            1_709_164_800,
            1_795_000_000,
            4_102_444_800,
        ] {
            assert_eq!(
                UnixTime::parse(&UnixTime(t).to_rfc3339()),
                Some(UnixTime(t))
            );
        }
        assert_eq!(UnixTime::parse("2024-02-29"), Some(UnixTime(1_709_164_800)));
        for bad in [
            "2023-02-29",
            "2026-02-31",
            "2026-04-31",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "1969-12-31",
            "2024-1-01",
            "2024-01-01T24:00:00Z",
            "2024-01-01T23:59:60Z",
            "2024-01-01T23:5:590Z",
            "+024-01-01",
            "yesterday",
            "",
        ] {
            assert_eq!(UnixTime::parse(bad), None, "{bad}");
        }
        assert_eq!(UnixTime(u64::MAX).to_rfc3339(), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn card_dates_exist() {
        assert!(CardDate::try_from(&b"19900101"[..]).is_ok());
        assert!(CardDate::try_from(&b"19450815"[..]).is_ok());
        assert!(CardDate::try_from(&b"20000229"[..]).is_ok());
        for bad in [
            "19000229",
            "20230229",
            "19901301",
            "19900431",
            "1990010",
            "1990-01-01x",
        ] {
            assert!(CardDate::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(CardDate::parse("2026-12-05").unwrap().compact(), "20261205");
        assert_eq!(
            serde_json::to_string(&CardDate::parse("19900101").unwrap()).unwrap(),
            "\"19900101\""
        );
        assert_eq!(UnixTime(1_795_000_000).date().iso(), "2026-11-18");
        // 2026-11-18T20:00Z is already the 19th in Japan.
        assert_eq!(
            UnixTime(1_795_032_000).date_at_offset(JST_OFFSET).iso(),
            "2026-11-19"
        );
    }

    #[test]
    fn whole_years_with_the_birthday_counted() {
        let d = |s| CardDate::parse(s).unwrap();
        assert_eq!(age_on(d("19900101"), d("20260101")), Some(36));
        assert_eq!(age_on(d("19900101"), d("20251231")), Some(35));
        assert_eq!(age_on(d("20060102"), d("20260101")), Some(19));
        assert_eq!(age_on(d("20000229"), d("20200228")), Some(19));
        assert_eq!(age_on(d("20000229"), d("20200229")), Some(20));
        assert_eq!(age_on(d("20000229"), d("20210228")), Some(20));
        assert_eq!(age_on(d("20000229"), d("20210301")), Some(21));
        assert_eq!(age_on(d("20000229"), d("19991231")), None);
    }
}
