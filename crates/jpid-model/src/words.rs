//! Words for what the chips hold as codes and compact dates, in Japanese and English, so that
//! a clerk reads 「就労制限なし」 instead of `1` and 2027-04-01（令和9年4月1日） instead of
//! `20270401`.
//!
//! Every table here has its source in docs/codes.md. Where the meaning of a code is not public
//! (the agency's code tables for nationality/region, status of residence and permission type
//! are given to businesses separately and are not published), the raw code is shown and marked
//! as such: [`Words::raw_code`] is then true. Nothing is guessed.

use crate::date::CardDate;

/// A value in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    /// English.
    pub en: String,
    /// Japanese.
    pub ja: String,
    /// The value is shown as its raw code, because no public table says what it means.
    pub raw_code: bool,
}

impl Words {
    fn new(en: impl Into<String>, ja: impl Into<String>) -> Self {
        Self {
            en: en.into(),
            ja: ja.into(),
            raw_code: false,
        }
    }

    /// The raw code, marked: `why_en` / `why_ja` say why no words are given.
    fn raw(code: &str, why_en: &str, why_ja: &str) -> Self {
        Self {
            en: format!("{code} (code; {why_en})"),
            ja: format!("{code}（コード：{why_ja}）"),
            raw_code: true,
        }
    }

    /// A value of a coded field that is not in its (public) table.
    fn unknown(code: &str) -> Self {
        Self::raw(
            code,
            "not a value the specification lists",
            "仕様に記載のない値です",
        )
    }
}

/// The Japanese era (元号) of a date, from 明治6年 (1873-01-01, when Japan took up the
/// Gregorian calendar; earlier dates have no era form here) on. Written by hand: four rows
/// of public law (docs/codes.md, "Era dates") do not need a crate.
const ERAS: [(CardDate, &str); 5] = [
    (date(2019, 5, 1), "令和"),
    (date(1989, 1, 8), "平成"),
    (date(1926, 12, 25), "昭和"),
    (date(1912, 7, 30), "大正"),
    // 明治 counts its years from 1868 (only dates from 1873 on are given an era form).
    (date(1868, 1, 25), "明治"),
];

const fn date(year: u16, month: u8, day: u8) -> CardDate {
    CardDate::from_parts(year, month, day)
}

/// `date` in the era form, e.g. 令和9年4月1日, 平成元年1月8日; `None` before 1873.
pub fn era_form(d: CardDate) -> Option<String> {
    if d < date(1873, 1, 1) {
        return None;
    }
    let (start, name) = ERAS.iter().find(|(start, _)| d >= *start)?;
    let year = d.year() - start.year() + 1;
    let year = match year {
        1 => "元".to_string(),
        n => n.to_string(),
    };
    Some(format!("{name}{year}年{}月{}日", d.month(), d.day()))
}

/// `date` as the My Number card's birth-date key writes it: the era year in two digits (元年 is
/// `01`), month and day, e.g. 平成2年1月1日 → `020101` (docs/spec/mynumber-card.md §3, §4).
/// `None` before 1873.
pub fn era_key(d: CardDate) -> Option<String> {
    if d < date(1873, 1, 1) {
        return None;
    }
    let (start, _) = ERAS.iter().find(|(start, _)| d >= *start)?;
    let year = d.year() - start.year() + 1;
    Some(format!("{:02}{:02}{:02}", year % 100, d.month(), d.day()))
}

/// Whether a card-face key typed (the birth-date key, or 照合番号B, which begins with the birth
/// date) begins with `era_yymmdd` ([`era_key`]). Compared without an early exit: the key is a
/// secret.
pub fn key_holds_birth_date(key: &[u8], era_yymmdd: &str) -> bool {
    let want = era_yymmdd.as_bytes();
    want.len() == 6
        && key.len() >= 6
        && key.iter().zip(want).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A compact card date (`YYYYMMDD`) as YYYY-MM-DD, and in Japanese also in the era form. A
/// value that is not a date is shown as it is, marked.
pub fn card_date(raw: &str) -> Words {
    match CardDate::parse(raw).filter(|_| raw.len() == 8) {
        Some(d) => Words::new(
            d.iso(),
            match era_form(d) {
                Some(era) => format!("{}（{era}）", d.iso()),
                None => d.iso(),
            },
        ),
        None => Words::raw(raw, "not a date", "日付として読めません"),
    }
}

/// The residence card's and SPR certificate's coded and dated fields (generation 2: DF1/EF02
/// and DF2; generation 1: DF2), by the field keys `jpid-verify` gives them. `None` for fields
/// that are plain text (the card number, an address).
pub fn residence_field(key: &str, raw: &str) -> Option<Words> {
    let w = match key {
        "card_expiry"
        | "birth_date"
        | "permission_date"
        | "stay_expiry"
        | "comprehensive_permission_expiry"
        | "address_date" => card_date(raw),
        "sex" => match raw {
            "1" => Words::new("male", "男"),
            "2" => Words::new("female", "女"),
            // The two readers that publish the table word it differently (未指定 / 不詳).
            "3" => Words::new(
                "3: not stated (the exact wording is unconfirmed)",
                "3：未指定・不詳（表記は未確認）",
            ),
            other => Words::unknown(other),
        },
        "work_restriction" => match raw {
            "1" => Words::new("no work restriction", "就労制限なし"),
            "2" => Words::new(
                "only work under the status of residence",
                "在留資格に基づく就労活動のみ可",
            ),
            "4" => Words::new(
                "only the work named in the designation",
                "指定書により指定された就労活動のみ可",
            ),
            "9" => Words::new("work not permitted", "就労不可"),
            other => Words::unknown(other),
        },
        "comprehensive_permission" => match raw {
            "0" => Words::new("none", "なし"),
            "1" => Words::new(
                "permitted: up to 28 hours a week, no adult-entertainment business",
                "許可：1週28時間以内・風俗営業等の従事を除く",
            ),
            "2" => Words::new(
                "permitted: up to 28 hours a week, education-related activity",
                "許可：1週28時間以内・教育機関に関する活動",
            ),
            other => Words::unknown(other),
        },
        "individual_permission" => yes_no(raw, ("none", "なし"), ("granted", "あり")),
        "update_status" | "renewal_application" => yes_no(
            raw,
            ("no application", "申請なし"),
            ("application pending", "申請中"),
        ),
        "commissioner_note" => yes_no(
            raw,
            ("none", "なし"),
            (
                "recorded by the Commissioner",
                "出入国在留管理庁長官による記載あり",
            ),
        ),
        "period_of_stay" => period_of_stay(raw),
        "nationality" => Words::raw(raw, "its table is not public", "コード表は非公開"),
        "status" => Words::raw(raw, "its table is not public", "コード表は非公開"),
        "permission_type" => Words::raw(raw, "its table is not public", "コード表は非公開"),
        "municipality_code" => Words::raw(
            raw,
            "local government code; table not built in",
            "全国地方公共団体コード。表は未収録",
        ),
        _ => return None,
    };
    Some(w)
}

fn yes_no(raw: &str, no: (&str, &str), yes: (&str, &str)) -> Words {
    match raw {
        "0" => Words::new(no.0, no.1),
        "1" => Words::new(yes.0, yes.1),
        other => Words::unknown(other),
    }
}

/// The period of stay (tag `CE`): `0000` no limit; four digits years and months (`0103`: 1 year
/// 3 months); three digits days (`090`: 90 days).
fn period_of_stay(raw: &str) -> Words {
    if !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Words::unknown(raw);
    }
    let n = |s: &str| s.parse::<u32>().unwrap_or(0);
    match raw.len() {
        4 if raw == "0000" => Words::new("no time limit", "無期限"),
        4 => {
            let (y, m) = (n(raw.get(..2).unwrap_or("")), n(raw.get(2..).unwrap_or("")));
            if m > 11 {
                return Words::unknown(raw);
            }
            let plural = |k: u32, one: &str| match k {
                1 => format!("1 {one}"),
                k => format!("{k} {one}s"),
            };
            let (en, ja) = match (y, m) {
                (y, 0) => (plural(y, "year"), format!("{y}年")),
                (0, m) => (plural(m, "month"), format!("{m}月")),
                (y, m) => (
                    format!("{} {}", plural(y, "year"), plural(m, "month")),
                    format!("{y}年{m}月"),
                ),
            };
            Words::new(en, ja)
        }
        3 => {
            let d = n(raw);
            Words::new(
                if d == 1 {
                    "1 day".to_string()
                } else {
                    format!("{d} days")
                },
                format!("{d}日"),
            )
        }
        _ => Words::unknown(raw),
    }
}

/// The My Number card's sex code (ISO 5218 as the card writes it: 1, 2, 9).
pub fn mynumber_sex(raw: &str) -> Words {
    match raw {
        "1" => Words::new("male", "男"),
        "2" => Words::new("female", "女"),
        "9" => Words::new("not applicable", "適用不能"),
        other => Words::unknown(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> CardDate {
        CardDate::parse(s).unwrap()
    }

    #[test]
    fn era_keys() {
        assert_eq!(era_key(date(1990, 1, 1)).unwrap(), "020101");
        assert_eq!(era_key(date(1989, 1, 8)).unwrap(), "010108");
        assert_eq!(era_key(date(1989, 1, 7)).unwrap(), "640107");
        assert_eq!(era_key(date(2019, 5, 1)).unwrap(), "010501");
        assert_eq!(era_key(date(1975, 3, 15)).unwrap(), "500315");
        // The birth-date key is the date; 照合番号B begins with it.
        assert!(key_holds_birth_date(b"020101", "020101"));
        assert!(key_holds_birth_date(b"02010120351234", "020101"));
        assert!(!key_holds_birth_date(b"02010120351234", "500315"));
        assert!(!key_holds_birth_date(b"0201", "020101"), "a short key");
        assert!(!key_holds_birth_date(b"020101", "0201"), "a short date");
    }

    #[test]
    fn era_boundaries() {
        for (day, era) in [
            ("20190501", "令和元年5月1日"),
            ("20190430", "平成31年4月30日"),
            ("19890108", "平成元年1月8日"),
            ("19890107", "昭和64年1月7日"),
            ("19261225", "昭和元年12月25日"),
            ("19261224", "大正15年12月24日"),
            ("19120730", "大正元年7月30日"),
            ("19120729", "明治45年7月29日"),
            ("18730101", "明治6年1月1日"),
            ("20270401", "令和9年4月1日"),
        ] {
            assert_eq!(era_form(d(day)).as_deref(), Some(era), "{day}");
        }
        assert_eq!(era_form(d("18721231")), None);
    }

    #[test]
    fn dates_and_codes_in_words() {
        let w = card_date("20270401");
        assert_eq!(
            (w.en.as_str(), w.ja.as_str()),
            ("2027-04-01", "2027-04-01（令和9年4月1日）")
        );
        assert!(card_date("20270231").raw_code, "no such day");
        assert!(card_date("2027-04-01").raw_code, "not the card's form");
        let w = residence_field("work_restriction", "1").unwrap();
        assert_eq!(w.ja, "就労制限なし");
        assert!(residence_field("work_restriction", "3").unwrap().raw_code);
        assert_eq!(
            residence_field("period_of_stay", "0000").unwrap().ja,
            "無期限"
        );
        let w = residence_field("period_of_stay", "0103").unwrap();
        assert_eq!(
            (w.en.as_str(), w.ja.as_str()),
            ("1 year 3 months", "1年3月")
        );
        assert_eq!(
            residence_field("period_of_stay", "0500").unwrap().en,
            "5 years"
        );
        assert_eq!(residence_field("period_of_stay", "090").unwrap().ja, "90日");
        assert!(residence_field("period_of_stay", "0113").unwrap().raw_code);
        let w = residence_field("status", "T410010000").unwrap();
        assert!(
            w.raw_code && w.ja == "T410010000（コード：コード表は非公開）",
            "{w:?}"
        );
        assert_eq!(residence_field("sex", "2").unwrap().ja, "女");
        assert_eq!(mynumber_sex("9").ja, "適用不能");
        assert_eq!(residence_field("card_number", "AB12345678CD"), None);
    }
}
