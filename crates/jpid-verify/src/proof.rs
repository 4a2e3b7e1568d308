//! Proof types: values that only this crate's verifiers can construct.

/// Evidence that `T` was verified. Its constructor is private to jpid-verify, so any code that
/// holds a `Verified<T>` knows a verifier built it; output that says "genuine" requires one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified<T> {
    inner: T,
}

impl<T> Verified<T> {
    pub(crate) fn new(inner: T) -> Self {
        Self { inner }
    }

    /// What was verified.
    pub fn get(&self) -> &T {
        &self.inner
    }
}

/// A point in time, as seconds since the Unix epoch (UTC). Verifiers take it as an argument;
/// they never read the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnixTime(pub u64);

impl UnixTime {
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn to_rfc3339(self) -> String {
        let days = self.0 / 86_400;
        let secs = self.0 % 86_400;
        let (y, m, d) = civil_from_days(days as i64);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            (secs / 60) % 60,
            secs % 60
        )
    }

    /// Parses `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DD` (midnight UTC).
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        let num = |s: Option<&str>| s.and_then(|s| s.parse::<u64>().ok());
        let y = num(t.get(0..4))?;
        let mo = num(t.get(5..7))?;
        let d = num(t.get(8..10))?;
        if t.get(4..5) != Some("-")
            || t.get(7..8) != Some("-")
            || !(1..=12).contains(&mo)
            || !(1..=31).contains(&d)
        {
            return None;
        }
        let (h, mi, s) = match t.len() {
            10 => (0, 0, 0),
            20 if t.get(10..11) == Some("T") && t.ends_with('Z') => (
                num(t.get(11..13))?,
                num(t.get(14..16))?,
                num(t.get(17..19))?,
            ),
            _ => return None,
        };
        if h > 23 || mi > 59 || s > 60 {
            return None;
        }
        let days = days_from_civil(i64::try_from(y).ok()?, mo, d);
        let days = u64::try_from(days).ok()?;
        Some(Self(days * 86_400 + h * 3600 + mi * 60 + s))
    }

    /// The calendar date `(year, month, day)` in UTC.
    pub fn date(self) -> (i64, u64, u64) {
        civil_from_days((self.0 / 86_400) as i64)
    }
}

// Howard Hinnant's civil-date algorithms (public domain description), written out here.
fn days_from_civil(y: i64, m: u64, d: u64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u64, u64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u64;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
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
        assert_eq!(UnixTime::parse("2024-13-01"), None);
        assert_eq!(UnixTime::parse("yesterday"), None);
    }
}
