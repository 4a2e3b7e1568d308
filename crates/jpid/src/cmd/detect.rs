//! `jpid detect`: identify the card by SELECT and READ BINARY probes (jpid_card::detect).

use jpid_card::{detect, CardTransport, Channel, Detection};
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::error::{CliError, Kind};
use crate::output::{spaced_hex, trust_json, trust_line};

pub fn run(ctx: &Ctx) -> Result<(), CliError> {
    let spec = ctx.reader()?;
    let trust = ctx.trust(spec.is_sim())?;
    let mut channel = Channel::new(spec.open()?);
    let found = detect(&mut channel)?;
    let reader = channel.transport().reader_name().to_string();
    if !found.kind.is_supported() {
        return Err(CliError::new(
            Kind::UnsupportedCard,
            format!("{} (reader {reader}, ATR {})", found.kind.describe(), spaced_hex(&found.atr)),
        )
        .hint("jpid reads Residence Cards, Special Permanent Resident Certificates and My Number Cards"));
    }
    let mut body = json!({
        "reader": reader,
        "card": card_json(&found),
        "apdus": channel.stats().apdus,
        "trust": trust_json(&trust),
    });
    if let Value::Object(m) = &mut body {
        m.insert("extended_length".into(), json!(channel.extended_length()));
    }
    ctx.out.emit("detect", body, || {
        format!(
            "reader: {reader}\ncard:   {}\nATR:    {}\n{}{}",
            found.kind.describe(),
            spaced_hex(&found.atr),
            found
                .card_type
                .as_ref()
                .map(|t| format!("card type: {t}\n"))
                .unwrap_or_default(),
            trust_line(&trust),
        )
    });
    Ok(())
}

/// The `card` object of detect and demo output.
pub fn card_json(found: &Detection) -> Value {
    let generation = match found.kind {
        jpid_card::CardKind::Residence(t) => Some(t.generation()),
        _ => None,
    };
    json!({
        "kind": found.kind.id(),
        "description": found.kind.describe(),
        "supported": found.kind.is_supported(),
        "generation": generation,
        "card_type": found.card_type,
        "token_label": found.token_label,
        "atr": hex::encode_upper(&found.atr),
    })
}
