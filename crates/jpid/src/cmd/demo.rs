//! `jpid demo`: jpid's main job on every built-in simulated card, through the same code a real
//! reader takes: identify the card, read it, prove it genuine — and catch a forgery.

use jpid_card::mynumber::MyNumber;
use jpid_card::residence::CardNumber;
use jpid_card::{detect, Channel};
use jpid_sim::kinds::DEFAULT_CARD_NUMBER;
use jpid_sim::{SimKind, SimSpec};
use jpid_verify::residence;
use jpid_verify::verdict::{Outcome, Reason};
use serde_json::{json, Value};

use crate::cmd::detect::card_json;
use crate::cmd::mynumber::{authenticate, fresh_challenge};
use crate::cmd::residence::read_files;
use crate::context::Ctx;
use crate::error::{CliError, Kind};
use crate::output::{trust_json, trust_line};

/// One simulated card to run, and what a correct jpid must conclude about it.
struct Case {
    spec: &'static str,
    expect: Outcome,
}

const fn case(spec: &'static str, expect: Outcome) -> Case {
    Case { spec, expect }
}

const CASES: &[Case] = &[
    case("residence", Outcome::Genuine),
    case("residence-gen2", Outcome::Genuine),
    case("spr", Outcome::Genuine),
    case("spr-gen2", Outcome::Genuine),
    // The address is written by the municipality and not signed: still genuine, the address
    // shown marked as unsigned.
    case("residence,tamper=address", Outcome::Genuine),
    case("residence,tamper=face", Outcome::NotGenuine),
    case("residence-gen2,tamper=front", Outcome::NotGenuine),
    case("residence-gen2,expiry=2025-03-31", Outcome::GenuineExpired),
    case("mynumber", Outcome::Genuine),
    case("mynumber,tamper=basic", Outcome::NotGenuine),
    case("mynumber,tamper=face-photo", Outcome::NotGenuine),
    // A genuine card's data copied onto another chip: only the chip's answer tells.
    case("mynumber,tamper=clone", Outcome::NotGenuine),
    case("jpki-smartphone", Outcome::Genuine),
];

/// The My Number kinds: the text AP with the default PIN and the card-face AP with the default
/// 照合番号B (the card), or the JPKI user-authentication certificate's chain (the smartphone
/// token, which has neither).
fn mynumber_verdict(
    channel: &mut Channel<jpid_sim::SimTransport>,
    kind: SimKind,
    trust: &jpid_verify::TrustStore,
    now: jpid_verify::UnixTime,
) -> Result<(Outcome, Vec<Reason>), CliError> {
    if kind == SimKind::JpkiSmartphone {
        jpid_card::jpki::select(channel)?;
        let cert = jpid_card::jpki::certificate(channel, jpid_card::jpki::KeyKind::Auth)?;
        let v = jpid_verify::jpki::verify_certificate(
            &cert,
            jpid_verify::Purpose::JpkiAuth,
            trust,
            now,
            jpid_verify::RevocationPolicy::NotChecked,
        )
        .map_err(|e| CliError::new(Kind::Card, e.to_string()))?;
        let outcome = if v.valid() {
            Outcome::Genuine
        } else {
            Outcome::NotGenuine
        };
        return Ok((outcome, v.reasons));
    }
    let key = jpid_card::mynumber::TextKey::pin(jpid_sim::kinds::DEFAULT_TEXT_PIN)
        .map_err(|e| CliError::new(Kind::Internal, e.to_string()))?;
    let files = jpid_card::mynumber::read_text(channel, &key, false, MyNumber::Leave)
        .map_err(|e| CliError::new(Kind::Card, e.to_string()))?;
    let answer = authenticate(channel, &fresh_challenge()?)?;
    let v = jpid_verify::text::verify_text(&files, trust, now, Some(&answer))
        .map_err(|e| CliError::new(Kind::Card, e.to_string()))?;
    let key = jpid_card::mynumber::CardFaceKey::b(jpid_sim::kinds::DEFAULT_KEY_B)
        .map_err(|e| CliError::new(Kind::Internal, e.to_string()))?;
    let files = jpid_card::mynumber::read_card_face(channel, &key, false, MyNumber::Leave)
        .map_err(|e| CliError::new(Kind::Card, e.to_string()))?;
    let answer = authenticate(channel, &fresh_challenge()?)?;
    let s = jpid_verify::card_face::verify_card_face(&files, trust, now, Some(&answer))
        .map_err(|e| CliError::new(Kind::Card, e.to_string()))?;
    let outcome = worst(v.outcome(), s.outcome());
    let mut reasons = v.verdict.reasons.clone();
    reasons.extend(s.verdict.reasons.iter().cloned());
    Ok((outcome, reasons))
}

/// The worse of two outcomes.
fn worst(a: Outcome, b: Outcome) -> Outcome {
    let rank = |o: Outcome| match o {
        Outcome::Genuine => 0,
        Outcome::GenuineExpired => 1,
        Outcome::NotGenuine => 2,
    };
    if rank(a) >= rank(b) {
        a
    } else {
        b
    }
}

pub fn run(ctx: &Ctx) -> Result<(), CliError> {
    let trust = ctx.trust(true)?;
    let now = crate::output::now();
    let number = CardNumber::try_from(DEFAULT_CARD_NUMBER)
        .map_err(|e| CliError::new(Kind::Internal, e.to_string()))?;
    let mut rows = Vec::new();
    let mut text = String::from("jpid demo: the built-in simulated cards, no reader needed\n\n");
    text.push_str(&format!(
        "{:<37} {:<16} {:>5}  {}\n",
        "simulated card", "detected as", "APDUs", "result"
    ));
    let mut wrong = 0;
    for case in CASES {
        let spec = SimSpec::parse(case.spec)?;
        let mut channel = Channel::new(spec.transport()?);
        let found = detect(&mut channel)?;
        let mut row = json!({"sim": case.spec, "detected": card_json(&found)});
        let (result, ok) = if spec.kind == SimKind::MyNumber || spec.kind == SimKind::JpkiSmartphone
        {
            let (outcome, reasons) = mynumber_verdict(&mut channel, spec.kind, &trust, now)?;
            if let Value::Object(m) = &mut row {
                m.insert("outcome".into(), json!(outcome.id()));
                m.insert("genuine".into(), json!(outcome != Outcome::NotGenuine));
                m.insert("reasons".into(), json!(reasons));
            }
            let what = if spec.kind == SimKind::JpkiSmartphone {
                "certificate chain"
            } else {
                "text AP + card-face AP, chip authenticated"
            };
            (shown(outcome, what, &reasons), outcome == case.expect)
        } else {
            let read = read_files(&mut channel, &number, &mut |_| {})?;
            let parsed = residence::parse(&read.files)
                .map_err(|e| CliError::new(Kind::Card, e.to_string()))?;
            let verdict = residence::verify(&parsed, &trust, now, residence::ReadFrom::Chip);
            let outcome = verdict.outcome();
            if let Value::Object(m) = &mut row {
                m.insert("outcome".into(), json!(outcome.id()));
                m.insert("genuine".into(), json!(verdict.genuine()));
                m.insert("reasons".into(), json!(verdict.reasons));
                m.insert("unsigned".into(), json!(verdict.unsigned));
                m.insert("validity_proven".into(), json!(verdict.validity_proven()));
            }
            let what = if spec.tamper.is_some() {
                "the address shown is NOT SIGNED"
            } else if !verdict.validity_proven() {
                "no expiry on this chip: check the card's"
            } else {
                "chip authentication not possible on this card"
            };
            (
                shown(outcome, what, &verdict.reasons),
                outcome == case.expect,
            )
        };
        if !ok {
            wrong += 1;
        }
        if let Value::Object(m) = &mut row {
            m.insert("apdus".into(), json!(channel.stats().apdus));
            m.insert("as_expected".into(), json!(ok));
        }
        text.push_str(&format!(
            "{:<37} {:<16} {:>5}  {}{}\n",
            format!("sim:{}", case.spec),
            found.kind.id(),
            channel.stats().apdus,
            result,
            if ok { "" } else { "  <-- UNEXPECTED" }
        ));
        rows.push(row);
    }
    text.push_str("\nThe tampered and cloned cards must come out NOT GENUINE and the expired one GENUINE BUT\nEXPIRED: catching them is the point.\n");
    text.push_str(&format!("Try one yourself: jpid --reader sim:residence residence read --card-number {DEFAULT_CARD_NUMBER} --out card1\n"));
    text.push_str(
        "               or: echo 1234 | jpid --reader sim:mynumber mynumber text --pin-stdin\n",
    );
    text.push_str(
        "               or: echo 02010120351234 | jpid --reader sim:mynumber mynumber face --pin-stdin --out face1\n",
    );
    text.push_str(
        "The verification service and counter page on a simulated card (docs/service.md):\n\
         \x20 jpid serve keys create --name demo --scopes all && jpid --trust test --reader sim:residence serve\n",
    );
    text.push_str(&trust_line(&trust));
    ctx.out.emit(
        "demo",
        json!({"cards": rows, "trust": trust_json(&trust)}),
        || text,
    );
    if wrong > 0 {
        return Err(CliError::new(
            Kind::Internal,
            format!("{wrong} simulated cards did not give the expected result"),
        )
        .reported());
    }
    Ok(())
}

/// One line of the result column.
fn shown(outcome: Outcome, what: &str, reasons: &[Reason]) -> String {
    match outcome {
        Outcome::NotGenuine => format!("NOT GENUINE: {}", reasons.first().map_or("?", |r| r.code)),
        Outcome::GenuineExpired => "GENUINE BUT EXPIRED".to_string(),
        Outcome::Genuine => format!("GENUINE ({what})"),
    }
}
