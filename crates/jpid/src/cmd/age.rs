//! `jpid age --over N`: yes or no, and nothing else about the holder, from a signed birth date
//! of the My Number card: the text AP's (docs/spec/mynumber-card.md §3), the card-face AP's
//! birth record (§4) or the JPKI signature certificate's (§2); docs/spec/services.md on age
//! checks.

use jpid_card::jpki::{self, KeyKind};
use jpid_model::date::JST_OFFSET;
use jpid_model::{age_on, CardDate};
use jpid_verify::jpki::{holder_attributes, verify_certificate};
use jpid_verify::x509::ParsedCert;
use jpid_verify::{Purpose, RevocationPolicy};
use serde_json::{json, Value};

use crate::cmd::jpki::connect;
use crate::context::Ctx;
use crate::error::{CliError, Kind};
use crate::output::{now, trust_json, trust_line};
use crate::pin;

/// `jpid age --over N`: yes or no, and nothing else about the holder.
///
/// `--method text`: the birth date of the text AP (docs/spec/mynumber-card.md §3) with 照合番号B or the
/// PIN. `--method surface-dob`: the card-face AP's birth record (EF 0001, §4) with the
/// birth-date key.
#[allow(clippy::too_many_arguments)]
pub fn age(
    ctx: &Ctx,
    over: u32,
    method: crate::cli::AgeMethod,
    with: Option<crate::cli::TextKeyArg>,
    at: Option<&str>,
    pin_stdin: bool,
    force: bool,
) -> Result<(), CliError> {
    use crate::cli::AgeMethod;
    match method {
        AgeMethod::Text => {
            if with == Some(crate::cli::TextKeyArg::A) {
                return Err(
                    CliError::new(Kind::Usage, "照合番号A does not open the birth date")
                        .hint("use --with b or --with pin"),
                );
            }
        }
        AgeMethod::SurfaceDob => {
            if with.is_some() {
                return Err(CliError::new(
                    Kind::Usage,
                    "--with chooses the text AP's key; --method surface-dob uses the card-face AP's birth-date key",
                )
                .hint("drop --with; the 6-digit key comes from the prompt, --pin-stdin or JPID_BIRTH_DATE_KEY"));
            }
        }
        AgeMethod::Jpki => {
            if with.is_some() {
                return Err(CliError::new(
                    Kind::Usage,
                    "--with chooses the text AP's key; --method jpki uses the signature password",
                ));
            }
            return age_jpki(ctx, over, at, pin_stdin, force);
        }
    }
    let day = day(at)?;
    // The answer rests on the birth date: it must be among what the proof covers.
    let (birth, genuine, trust, method_id, proven_by) = if method == AgeMethod::SurfaceDob {
        let key = crate::cmd::mynumber::birth_date_key(pin_stdin)?;
        let (v, trust, _) = crate::cmd::mynumber::read_card_face_verified(ctx, &key, force, false)?;
        let birth = v.birth.as_ref().map(|b| b.birth_date);
        let genuine = v
            .proof()
            .is_some_and(|p| p.get().covered.contains(&"birth_record"));
        (
            birth,
            genuine,
            trust,
            "surface-dob",
            "the birth record of the card-face AP (EF 0001)",
        )
    } else {
        let with = with.unwrap_or(crate::cli::TextKeyArg::B);
        let (v, trust, _) =
            crate::cmd::mynumber::read_text_verified(ctx, with, pin_stdin, force, false)?;
        let birth = v
            .basic
            .as_ref()
            .and_then(|b| CardDate::parse(&b.birth_date));
        let genuine = v
            .proof()
            .is_some_and(|p| p.get().covered.contains(&"basic_four"));
        (
            birth,
            genuine,
            trust,
            "text",
            "the birth date in the card-face entry auxiliary AP",
        )
    };
    let age = birth.and_then(|b| age_on(b, day)).ok_or_else(|| {
        CliError::new(
            Kind::Card,
            "the card's birth date is not a date before the day asked about",
        )
    })?;
    let over_n = age >= over;
    ctx.out.emit(
        "age",
        json!({"over": over, "result": if genuine { json!(over_n) } else { Value::Null }, "on": day.iso(), "method": method_id,
               "genuine": genuine, "trust": trust_json(&trust)}),
        || {
            if !genuine {
                return format!(
                    "NO ANSWER: the card's birth date is NOT proven genuine, so jpid does not say whether the holder is {over} or older\n{}",
                    trust_line(&trust)
                );
            }
            format!(
                "{} {over} or older on {}\nproven by: {proven_by}, signed by {}\n{}",
                if over_n { "YES:" } else { "NO: not" },
                day.iso(),
                if trust.mode() == jpid_verify::TrustMode::Test { "a jpid TEST issuer key (trusted because of --trust test)" } else { "J-LIS" },
                trust_line(&trust)
            )
        },
    );
    if genuine {
        Ok(())
    } else {
        Err(CliError::new(Kind::NotGenuine, "the birth date is not proven genuine").reported())
    }
}

/// `jpid age --method jpki`: the birth date in the JPKI signature certificate (SubjectAltName
/// otherName `1.2.392.200149.8.5.5.4`, era digit + YYYYMMDD, UNCONFIRMED;
/// docs/spec/mynumber-card.md §2), read after the signature password; the certificate must chain to
/// a JPKI signature root and be valid now. Revocation is not checked (there is no CRL source here).
fn age_jpki(
    ctx: &Ctx,
    over: u32,
    at: Option<&str>,
    pin_stdin: bool,
    force: bool,
) -> Result<(), CliError> {
    let day = day(at)?;
    let pin = pin::read(KeyKind::Sign, pin_stdin)?;
    let (mut ch, trust) = connect(ctx)?;
    let cert = {
        // Nobody else may use the card while the password is open; dropping the hold resets it.
        let mut ex = ch.exclusive()?;
        jpki::select(&mut ex)?;
        jpki::verify_pin(&mut ex, &pin, force)?;
        jpki::certificate(&mut ex, KeyKind::Sign)?
    };
    let checked_at = now();
    let v = verify_certificate(
        &cert,
        Purpose::JpkiSign,
        &trust,
        checked_at,
        RevocationPolicy::NotChecked,
    )
    .map_err(|e| {
        CliError::new(
            Kind::Card,
            format!("the signature certificate is malformed: {e}"),
        )
    })?;
    let parsed = ParsedCert::parse(&cert).map_err(|e| CliError::new(Kind::Card, e.to_string()))?;
    let attrs = holder_attributes(&parsed);
    // "E" + YYYYMMDD (nine digits); the value itself never goes into a message.
    let birth = attrs
        .iter()
        .find(|a| a.key == "birth_date")
        .map(|a| a.value.as_str())
        .filter(|b| b.len() == 9 && b.bytes().all(|c| c.is_ascii_digit()))
        .and_then(|b| b.get(1..))
        .and_then(CardDate::parse)
        .ok_or_else(|| {
            CliError::new(
                Kind::Card,
                "the signature certificate carries no birth date in the form era digit + YYYYMMDD",
            )
        })?;
    let age = age_on(birth, day).ok_or_else(|| {
        CliError::new(
            Kind::Card,
            "the signature certificate's birth date is after the day asked about",
        )
    })?;
    let over_n = age >= over;
    let genuine = v.valid();
    ctx.out.emit(
        "age",
        json!({"over": over, "result": if genuine { json!(over_n) } else { Value::Null }, "on": day.iso(), "method": "jpki",
               "genuine": genuine, "trust": trust_json(&trust)}),
        || {
            if !genuine {
                return format!(
                    "NO ANSWER: the signature certificate does NOT chain to a trusted JPKI root or is not valid now, so jpid does not say whether the holder is {over} or older\n{}",
                    trust_line(&trust)
                );
            }
            format!(
                "{} {over} or older on {}\nproven by: the birth date in the JPKI signature certificate, issued by {} and valid now (revocation NOT checked)\n{}",
                if over_n { "YES:" } else { "NO: not" },
                day.iso(),
                v.proof().map(|p| p.get().anchor.as_str()).unwrap_or("?"),
                trust_line(&trust)
            )
        },
    );
    if genuine {
        Ok(())
    } else {
        Err(CliError::new(
            Kind::NotGenuine,
            "the signature certificate is not proven genuine",
        )
        .reported())
    }
}

/// The day an age is counted on: `--at YYYY-MM-DD` (a date that exists, not after today), or
/// today's date in Japan (JST, UTC+9).
fn day(at: Option<&str>) -> Result<CardDate, CliError> {
    let today = now().date_at_offset(JST_OFFSET);
    let Some(t) = at else {
        return Ok(today);
    };
    let day = CardDate::parse(t)
        .filter(|_| t.len() == 10)
        .ok_or_else(|| {
            CliError::new(
                Kind::Usage,
                format!("--at {t:?} is not a date YYYY-MM-DD that exists"),
            )
        })?;
    if day > today {
        return Err(CliError::new(
            Kind::Usage,
            "--at is in the future: an age is counted on today (in Japan) or an earlier date",
        ));
    }
    Ok(day)
}
