//! `jpid demo`: jpid's main job on every built-in simulated card, through the same code a real
//! reader takes: identify the card, read it, prove it genuine — and catch a forgery.

use jpid_card::residence::CardNumber;
use jpid_card::{detect, Channel};
use jpid_sim::kinds::DEFAULT_CARD_NUMBER;
use jpid_sim::{SimKind, SimSpec};
use jpid_verify::residence::{self, ResidenceFiles};
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
        expect_genuine: None,
    },
    Case {
        spec: "jpki-smartphone",
        expect_genuine: None,
    },
];

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
            (
                "identified (reading My Number cards is not built yet)".to_string(),
                found.kind.id() == spec.kind.id(),
            )
        } else {
            let (_, files) = read_files(&mut channel, &number, &mut |_| {})?;
            let parsed = residence::parse(&ResidenceFiles(files))
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
