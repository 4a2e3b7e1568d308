//! `jpid age --over N`: yes or no, and nothing else about the holder, from a signed birth date
//! of the My Number card: the text AP's (docs/spec/mynumber-card.md §3), the card-face AP's
//! birth record (§4) or the JPKI signature certificate's (§2); docs/spec/services.md on age
//! checks.

use jpid_card::jpki::{self, Hash, KeyKind};
use jpid_model::date::JST_OFFSET;
use jpid_model::{age_on, CardDate};
use jpid_verify::jpki::{holder_attributes, verify_certificate};
use jpid_verify::verdict::Outcome;
use jpid_verify::x509::{HashAlg, ParsedCert};
use jpid_verify::{Purpose, RevocationPolicy};
use serde_json::json;
use sha2::{Digest, Sha256};

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
        // 照合番号A opens no birth date: the command line offers only b and pin.
        AgeMethod::Text => {}
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
    let mut not_proven = "the card's birth date is NOT proven genuine";
    // The answer rests on the birth date: it must be among what the proof covers.
    let (birth, genuine, trust, method_id, proven_by, standing) = if method == AgeMethod::SurfaceDob
    {
        let key = crate::cmd::mynumber::birth_date_key(pin_stdin)?;
        let (v, trust, _) = crate::cmd::mynumber::read_card_face_verified(ctx, &key, force, false)?;
        let birth = v.birth.as_ref().map(|b| b.birth_date);
        // The verifier also checks that the key holds the date the record holds.
        let genuine = v
            .proof()
            .is_some_and(|p| p.get().covered.contains(&"birth_record"));
        if v.reasons.iter().any(|r| r.code == "key_not_birth_date") {
            not_proven = "the chip opened its birth record with a key that is not the birth date the record holds";
        }
        (
            birth,
            genuine,
            trust,
            "surface-dob",
            "the birth record of the card-face AP (EF 0001)",
            Standing::of(&v.verdict),
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
            Standing::of(&v.verdict),
        )
    };
    let signer = if trust.mode() == jpid_verify::TrustMode::Test {
        "a jpid TEST issuer key (test trust)"
    } else {
        "J-LIS"
    };
    answer(
        ctx,
        over,
        day,
        method_id,
        genuine.then_some(birth).flatten(),
        genuine,
        standing,
        &trust,
        &format!("{proven_by}, signed by {signer}"),
        not_proven,
    )
}

/// What an age answer says besides yes or no, for every method: whether the card is proven
/// genuine and still valid (an expired card is never called plainly genuine), and whether the
/// chip proved itself in this read.
struct Standing {
    outcome: Outcome,
    headline: &'static str,
    validity_proven: bool,
    /// [`jpid_verify::verdict::ChipAuth::id`]: `yes`, `no`, `not_possible`, `not_applicable`.
    chip: &'static str,
}

impl Standing {
    fn of<P>(v: &jpid_verify::verdict::Verdict<P>) -> Self {
        Self {
            outcome: v.outcome(),
            headline: v.headline(),
            validity_proven: v.validity_proven(),
            chip: v.chip.id(),
        }
    }
}

/// Prints the answer in one shape for every method and sets the exit status: 0 genuine, 9
/// genuine but expired (the answer is still given: the birth date is the issuer's), 7 not
/// proven (no answer). Someone not yet born on the day asked about is not N or older.
#[allow(clippy::too_many_arguments)]
fn answer(
    ctx: &Ctx,
    over: u32,
    day: CardDate,
    method: &str,
    birth: Option<CardDate>,
    genuine: bool,
    standing: Standing,
    trust: &jpid_verify::TrustStore,
    proven_by: &str,
    not_proven: &str,
) -> Result<(), CliError> {
    let result = match (genuine, birth) {
        (false, _) => None,
        (true, Some(b)) => Some(age_on(b, day).is_some_and(|age| age >= over)),
        (true, None) => {
            return Err(CliError::new(
                Kind::Card,
                "the card's signed birth date is not a date jpid can read",
            ))
        }
    };
    let outcome = if genuine {
        standing.outcome
    } else {
        Outcome::NotGenuine
    };
    let headline = if genuine {
        standing.headline
    } else {
        Outcome::NotGenuine.headline()
    };
    ctx.out.emit(
        "age",
        json!({"over": over, "result": result, "on": day.iso(), "method": method,
               "genuine": genuine, "outcome": outcome.id(), "headline": headline,
               "validity_proven": genuine && standing.validity_proven,
               "chip_authenticated": standing.chip, "trust": trust_json(trust)}),
        || {
            let Some(yes) = result else {
                return format!(
                    "NO ANSWER: {not_proven}, so jpid does not say whether the holder is {over} or older\n{headline}\n{}",
                    trust_line(trust)
                );
            };
            format!(
                "{} {over} or older on {}\nproven by: {proven_by}\n{headline}\n{}",
                if yes { "YES:" } else { "NO: not" },
                day.iso(),
                trust_line(trust)
            )
        },
    );
    match outcome {
        Outcome::NotGenuine => {
            Err(CliError::new(Kind::NotGenuine, not_proven.to_string()).reported())
        }
        o => crate::output::verdict_exit(o, "the card"),
    }
}

/// `jpid age --method jpki`: the birth date in the JPKI signature certificate (SubjectAltName
/// otherName `1.2.392.200149.8.5.5.4`, era digit + YYYYMMDD, UNCONFIRMED;
/// docs/spec/mynumber-card.md §2), read after the signature password; the certificate must chain to
/// a JPKI signature root and be valid now, and the card must sign a fresh challenge with the
/// certificate's key (a copied certificate on another token is refused). Revocation is not
/// checked (there is no CRL source here).
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
    // The certificate alone proves nothing about the card in the reader: it is public (every
    // signature the holder makes carries it), so a token serving a copy would pass. The card
    // signs a fresh challenge of jpid's with the certificate's key, which never leaves the
    // genuine chip. The challenge is random bytes, the digest of no document.
    let challenge: [u8; 32] = Sha256::digest(crate::cmd::mynumber::fresh_challenge()?).into();
    let (cert, answer_sig) = {
        // Nobody else may use the card while the password is open; dropping the hold resets it.
        let mut ex = ch.exclusive()?;
        jpki::select(&mut ex)?;
        jpki::verify_pin(&mut ex, &pin, force)?;
        let cert = jpki::certificate(&mut ex, KeyKind::Sign)?;
        let di = Hash::Sha256
            .digest_info(&challenge)
            .ok_or_else(|| CliError::new(Kind::Internal, "digest length"))?;
        let answer_sig = jpki::sign(&mut ex, KeyKind::Sign, &di)?;
        (cert, answer_sig)
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
    let key_held = parsed
        .verify_rsa_pkcs1(HashAlg::Sha256, &challenge, &answer_sig)
        .is_ok();
    let genuine = v.valid() && key_held;
    // The certificate's validity (checked now) is the card's: it ends no later than the card.
    let standing = Standing {
        outcome: Outcome::Genuine,
        headline: Outcome::Genuine.headline(),
        validity_proven: true,
        chip: if key_held { "yes" } else { "no" },
    };
    let issuer = v
        .proof()
        .map(|p| p.get().anchor.clone())
        .unwrap_or_default();
    answer(
        ctx,
        over,
        day,
        "jpki",
        Some(birth),
        genuine,
        standing,
        &trust,
        &format!("the birth date in the JPKI signature certificate, issued by {issuer} and valid now (revocation NOT checked), and the card signed a fresh challenge with that certificate's key"),
        if key_held {
            "the signature certificate does NOT chain to a trusted JPKI root or is not valid now"
        } else {
            "the card did NOT sign jpid's challenge with the key its signature certificate names (a copied certificate on another chip?)"
        },
    )
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
