//! `jpid demo`: every built-in simulated card through the same code paths a real reader takes.

use jpid_card::{detect, Channel};
use jpid_sim::{SimKind, SimSpec};
use serde_json::json;

use crate::cmd::detect::card_json;
use crate::context::Ctx;
use crate::error::{CliError, Kind};
use crate::output::{trust_json, trust_line};

pub fn run(ctx: &Ctx) -> Result<(), CliError> {
    let trust = ctx.trust(true)?;
    let mut rows = Vec::new();
    let mut text = String::from("jpid demo: built-in simulated cards, no reader needed\n\n");
    text.push_str(&format!(
        "{:<17} {:<6} {}\n",
        "sim kind", "APDUs", "detected as"
    ));
    let mut failures = 0;
    for kind in SimKind::ALL {
        let mut channel = Channel::new(SimSpec::new(kind).transport()?);
        let found = detect(&mut channel)?;
        let ok = found.kind.id() == kind.id();
        if !ok {
            failures += 1;
        }
        text.push_str(&format!(
            "{:<17} {:<6} {}{}\n",
            kind.id(),
            channel.stats().apdus,
            found.kind.describe(),
            if ok { "" } else { "  <-- MISMATCH" }
        ));
        rows.push(json!({
            "sim": kind.id(),
            "detected": card_json(&found),
            "apdus": channel.stats().apdus,
            "ok": ok,
        }));
    }
    text.push_str(
        "\nThis build identifies cards. Reading them and proving them genuine is not \
         implemented yet; those commands will say so rather than print anything made up.\n",
    );
    text.push_str(&trust_line(&trust));
    ctx.out.emit(
        "demo",
        json!({"cards": rows, "trust": trust_json(&trust)}),
        || text,
    );
    if failures > 0 {
        return Err(CliError::new(
            Kind::Internal,
            format!("{failures} simulated cards were misdetected"),
        ));
    }
    Ok(())
}
