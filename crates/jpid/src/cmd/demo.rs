//! `jpid demo`: jpid's main job on every built-in simulated card, through the same code a real
//! reader takes: identify the card, read it, prove it genuine — and catch a forgery.

use jpid_card::mynumber::MyNumber;
use jpid_card::residence::CardNumber;
use jpid_card::{detect, Channel};
use jpid_sim::kinds::DEFAULT_CARD_NUMBER;
use jpid_sim::{SimKind, SimSpec};
use jpid_verify::residence;
use serde_json::{json, Value};

use crate::cmd::detect::card_json;
use crate::cmd::residence::read_files;
use crate::context::Ctx;
use crate::error::{CliError, Kind};
use crate::output::{trust_json, trust_line};

/// One simulated card to run, and what a correct jpid must conclude about it.
struct Case {
    spec: &'static str,
    expect_genuine: Option<bool>,
}

const CASES: &[Case] = &[
    Case {
        spec: "residence",
        expect_genuine: Some(true),
    },
    Case {
        spec: "residence-gen2",
        expect_genuine: Some(true),
    },
    Case {
        spec: "spr",
        expect_genuine: Some(true),
    },
    Case {
        spec: "spr-gen2",
        expect_genuine: Some(true),
    },
    Case {
        spec: "residence,tamper=face",
        expect_genuine: Some(false),
    },
    Case {
        spec: "residence-gen2,tamper=front",
        expect_genuine: Some(false),
    },
    Case {
        spec: "mynumber",
        expect_genuine: Some(true),
    },
    Case {
        spec: "mynumber,tamper=basic",
        expect_genuine: Some(false),
    },
    Case {
        spec: "mynumber,tamper=face-photo",
        expect_genuine: Some(false),
    },
    Case {
        spec: "jpki-smartphone",
        expect_genuine: Some(true),
    },
];

/// Why not genuine: `(code, message)`.
type Reasons = Vec<(&'static str, String)>;

/// The My Number kinds: the text AP with the default PIN and the card-face AP with the default
/// 照合番号B (the card), or the JPKI user-authentication certificate's chain (the smartphone
/// token, which has neither).
fn mynumber_verdict(
    channel: &mut Channel<jpid_sim::SimTransport>,
    kind: SimKind,
    trust: &jpid_verify::TrustStore,
    now: jpid_verify::UnixTime,
) -> Result<(bool, Reasons), CliError> {
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
        return Ok((v.valid(), v.reasons));
    }
    let key = jpid_card::mynumber::TextKey::pin(jpid_sim::kinds::DEFAULT_TEXT_PIN)
        .map_err(|e| CliError::new(Kind::Internal, e.to_string()))?;
    let files = jpid_card::mynumber::read_text(channel, &key, false, MyNumber::Leave)
        .map_err(|e| CliError::new(Kind::Card, e.to_string()))?;
    let v = jpid_verify::text::verify_text(&files, trust)
        .map_err(|e| CliError::new(Kind::Card, e.to_string()))?;
    let key = jpid_card::mynumber::CardFaceKey::b(jpid_sim::kinds::DEFAULT_KEY_B)
        .map_err(|e| CliError::new(Kind::Internal, e.to_string()))?;
    let files = jpid_card::mynumber::read_card_face(channel, &key, false, MyNumber::Leave)
        .map_err(|e| CliError::new(Kind::Card, e.to_string()))?;
    let s = jpid_verify::card_face::verify_card_face(&files, trust)
        .map_err(|e| CliError::new(Kind::Card, e.to_string()))?;
    let genuine = v.genuine() && s.genuine();
    let mut reasons = v.reasons;
    reasons.extend(s.reasons);
    Ok((genuine, reasons))
}

pub fn run(ctx: &Ctx) -> Result<(), CliError> {
    let trust = ctx.trust(true)?;
    let now = crate::output::now();
    let number = CardNumber::try_from(DEFAULT_CARD_NUMBER)
        .map_err(|e| CliError::new(Kind::Internal, e.to_string()))?;
    let mut rows = Vec::new();
    let mut text = String::from("jpid demo: the built-in simulated cards, no reader needed\n\n");
    text.push_str(&format!(
        "{:<32} {:<16} {:>5}  {}\n",
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
            let (genuine, reasons) = mynumber_verdict(&mut channel, spec.kind, &trust, now)?;
            if let Value::Object(m) = &mut row {
                m.insert("genuine".into(), json!(genuine));
                let reasons: Vec<Value> = reasons
                    .iter()
                    .map(|(c, m)| json!({"code": c, "message": m}))
                    .collect();
                m.insert("reasons".into(), json!(reasons));
            }
            let what = if spec.kind == SimKind::JpkiSmartphone {
                "certificate chain"
            } else {
                "text AP + card-face AP"
            };
            let shown = if genuine {
                format!("GENUINE ({what})")
            } else {
                format!(
                    "NOT GENUINE: {}",
                    reasons.first().map(|r| r.0).unwrap_or("?")
                )
            };
            (shown, Some(genuine) == case.expect_genuine)
        } else {
            let read = read_files(&mut channel, &number, &mut |_| {})?;
            let parsed = residence::parse(&read.files)
                .map_err(|e| CliError::new(Kind::Card, e.to_string()))?;
            let verdict = residence::verify(&parsed, &trust, now);
            let genuine = verdict.genuine();
            if let Value::Object(m) = &mut row {
                m.insert("genuine".into(), json!(genuine));
                m.insert("reasons".into(), json!(verdict.reasons));
            }
            let shown = if genuine {
                "GENUINE".to_string()
            } else {
                format!(
                    "NOT GENUINE: {}",
                    verdict.reasons.first().map(|r| r.code).unwrap_or("?")
                )
            };
            (shown, Some(genuine) == case.expect_genuine)
        };
        if !ok {
            wrong += 1;
        }
        if let Value::Object(m) = &mut row {
            m.insert("apdus".into(), json!(channel.stats().apdus));
            m.insert("as_expected".into(), json!(ok));
        }
        text.push_str(&format!(
            "{:<32} {:<16} {:>5}  {}{}\n",
            format!("sim:{}", case.spec),
            found.kind.id(),
            channel.stats().apdus,
            result,
            if ok { "" } else { "  <-- UNEXPECTED" }
        ));
        rows.push(row);
    }
    text.push_str("\nThe tampered cards must come out NOT GENUINE: catching them is the point.\n");
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
