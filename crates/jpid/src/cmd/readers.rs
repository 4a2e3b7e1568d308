//! `jpid readers`: the PC/SC readers and whether each holds a card.

use jpid_sim::SimKind;
use serde_json::json;

use crate::context::Ctx;
use crate::error::CliError;
use crate::output::spaced_hex;

pub fn run(ctx: &Ctx) -> Result<(), CliError> {
    let readers = jpid_card::pcsc::list_readers()?;
    let sims: Vec<String> = SimKind::ALL
        .iter()
        .map(|k| format!("sim:{}", k.id()))
        .collect();
    let rows: Vec<_> = readers
        .iter()
        .map(|r| json!({"name": r.name, "card_present": r.card_present, "atr": r.atr.as_ref().map(hex::encode_upper)}))
        .collect();
    ctx.out.emit(
        "readers",
        json!({"readers": rows, "simulated": sims}),
        || {
            let mut s = String::new();
            if readers.is_empty() {
                s.push_str("No PC/SC reader is connected.\n");
            }
            for r in &readers {
                match &r.atr {
                    Some(atr) => s.push_str(&format!(
                        "{}\n    card present, ATR {}\n",
                        r.name,
                        spaced_hex(atr)
                    )),
                    None if r.card_present => {
                        s.push_str(&format!("{}\n    card present\n", r.name))
                    }
                    None => s.push_str(&format!("{}\n    no card\n", r.name)),
                }
            }
            s.push_str(&format!(
                "Simulated readers (no hardware): {}\n",
                sims.join(", ")
            ));
            s
        },
    );
    Ok(())
}
