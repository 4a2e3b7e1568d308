//! `jpid sim list` and `jpid sim attach`.

use jpid_sim::kinds::{
    DEFAULT_AUTH_PIN, DEFAULT_CARD_NUMBER, DEFAULT_SIGN_PASSWORD, DEFAULT_TEXT_PIN,
};
use jpid_sim::{SimKind, SimSpec};
use serde_json::json;

use crate::context::Ctx;
use crate::error::CliError;

pub fn list(ctx: &Ctx) -> Result<(), CliError> {
    let defaults = |k: SimKind| match k {
        SimKind::MyNumber | SimKind::JpkiSmartphone => json!({
            "jpki_auth_pin": DEFAULT_AUTH_PIN,
            "jpki_sign_password": DEFAULT_SIGN_PASSWORD,
            "text_ap_pin": DEFAULT_TEXT_PIN,
        }),
        _ => json!({"card_number": DEFAULT_CARD_NUMBER}),
    };
    let rows: Vec<_> = SimKind::ALL
        .iter()
        .map(|k| json!({"kind": k.id(), "description": k.description(), "defaults": defaults(*k)}))
        .collect();
    ctx.out.emit("sim list", json!({"kinds": rows}), || {
        let mut s = String::from("Simulated cards (use as --reader sim:KIND[,key=value...]):\n\n");
        for k in SimKind::ALL {
            s.push_str(&format!("  {:<16} {}\n", k.id(), k.description()));
        }
        s.push_str(&format!(
            "\nDefaults (synthetic, test-only):\n  residence kinds: card-number={DEFAULT_CARD_NUMBER}\n  \
             My Number kinds: JPKI auth PIN {DEFAULT_AUTH_PIN}, signature password {DEFAULT_SIGN_PASSWORD}, \
             text-AP PIN {DEFAULT_TEXT_PIN}\n\nOptions: card-number=AB12345678CD (residence kinds), \
             ext=on|off (reader with or without extended-length APDUs)\n"
        ));
        s
    });
    Ok(())
}

pub fn attach(ctx: &Ctx, card: &str, vpcd: &str, connect_timeout: u64) -> Result<(), CliError> {
    let spec = SimSpec::parse(card)?;
    let _ = (ctx, spec, vpcd, connect_timeout);
    Err(CliError::new(
        crate::error::Kind::Internal,
        "jpid sim attach is not built yet",
    ))
}
