//! `jpid sim list` and `jpid sim attach`.

use jpid_sim::kinds::{
    DEFAULT_AUTH_PIN, DEFAULT_BIRTH_KEY, DEFAULT_CARD_NUMBER, DEFAULT_KEY_B, DEFAULT_MY_NUMBER,
    DEFAULT_SIGN_PASSWORD, DEFAULT_TEXT_PIN,
};
use jpid_sim::surface_ap::SurfaceTamper;
use std::time::Duration;

use jpid_sim::vpcd::{self, AttachOptions};
use jpid_sim::{HostileMode, SimKind, SimSpec};
use serde_json::json;

use crate::context::Ctx;
use crate::error::{CliError, Kind};

pub fn list(ctx: &Ctx) -> Result<(), CliError> {
    let defaults = |k: SimKind| match k {
        k if k.is_mynumber_card() || k == SimKind::JpkiSmartphone => json!({
            "jpki_auth_pin": DEFAULT_AUTH_PIN,
            "jpki_sign_password": DEFAULT_SIGN_PASSWORD,
            "text_ap_pin": DEFAULT_TEXT_PIN,
            "key_a": DEFAULT_MY_NUMBER,
            "key_b": DEFAULT_KEY_B,
            "birth_date_key": DEFAULT_BIRTH_KEY,
        }),
        _ => json!({"card_number": DEFAULT_CARD_NUMBER, "photo": true}),
    };
    let rows: Vec<_> = SimKind::ALL
        .iter()
        .map(|k| json!({"kind": k.id(), "description": k.description(), "defaults": defaults(*k)}))
        .collect();
    let hostile: Vec<_> = HostileMode::ALL
        .iter()
        .map(|m| json!({"mode": m.id(), "residence_only": m.needs_secure_messaging()}))
        .collect();
    ctx.out.emit("sim list", json!({"kinds": rows, "hostile_modes": hostile}), || {
        let mut s = String::from("Simulated cards (use as --reader sim:KIND[,key=value...]):\n\n");
        for k in SimKind::ALL {
            s.push_str(&format!("  {:<16} {}\n", k.id(), k.description()));
        }
        s.push_str(&format!(
            "\nDefaults (synthetic, test-only):\n  residence kinds: card-number={DEFAULT_CARD_NUMBER}\n  \
             My Number kinds: JPKI auth PIN {DEFAULT_AUTH_PIN}, signature password {DEFAULT_SIGN_PASSWORD}, \
             text-AP PIN {DEFAULT_TEXT_PIN},\n    照合番号A {DEFAULT_MY_NUMBER}, 照合番号B {DEFAULT_KEY_B}, \
             card-face birth-date key {DEFAULT_BIRTH_KEY}\n\nOptions: card-number=AB12345678CD (residence kinds), \
             ext=on|off (reader with or without extended-length APDUs),\n  \
             tamper=front|face|address|signature|certificate and photo=yes|no (residence kinds)\n  \
             tamper=basic|mynumber|cvc (mynumber: text AP)\n  \
             tamper={} (mynumber: card-face AP;\n    \
             face-expiry alters the unsigned expiry, so the card still verifies)\n\n\
             Hostile cards (docs/simulator.md): hostile=SEED picks a mode from the seed,\n  \
             hostile-mode=NAME names it (the seed, default 0, then picks the details):\n    {}\n  \
             ({} need secure messaging: residence kinds only)\n",
            SurfaceTamper::ALL.map(|(n, _)| n).join("|"),
            HostileMode::ALL.map(HostileMode::id).join("|"),
            HostileMode::ALL
                .into_iter()
                .filter(|m| m.needs_secure_messaging())
                .map(HostileMode::id)
                .collect::<Vec<_>>()
                .join(" and "),
        ));
        s
    });
    Ok(())
}

pub fn attach(
    ctx: &Ctx,
    card: &str,
    vpcd: &str,
    connect_timeout: u64,
    run_for: Option<u64>,
) -> Result<(), CliError> {
    let spec = SimSpec::parse(card)?;
    let mut sim = spec.card()?;
    let mut opts =
        AttachOptions::default().with_connect_timeout(Some(Duration::from_secs(connect_timeout)));
    if let Some(secs) = run_for {
        opts = opts.with_max_run_time(Duration::from_secs(secs));
    }
    if !ctx.out.json {
        eprintln!(
            "jpid: inserting simulated card sim:{card} into the vpcd reader at {vpcd}; \
             stop with Ctrl-C (that removes the card)"
        );
    }
    let end = vpcd::attach(sim.as_mut(), vpcd, &opts).map_err(|e| {
        CliError::new(Kind::PcscUnavailable, format!("vpcd bridge: {e}")).hint(
            "is pcscd running with the vsmartcard-vpcd driver? (Debian: apt-get install pcscd \
             vsmartcard-vpcd, then start pcscd); the driver listens on 127.0.0.1:35963 by default",
        )
    })?;
    let reason = match end.reason {
        vpcd::EndReason::ClosedByVpcd => "pcscd closed the connection",
        vpcd::EndReason::Stopped => "stopped",
        vpcd::EndReason::TimeLimit => "time limit reached",
        vpcd::EndReason::CardLeft => "the hostile card left the field",
        _ => "ended",
    };
    ctx.out.emit(
        "sim attach",
        json!({"card": spec.kind.id(), "vpcd": vpcd, "ended": reason,
               "commands": end.commands, "control_messages": end.control_messages}),
        || {
            format!(
                "card removed ({reason}); {} commands answered\n",
                end.commands
            )
        },
    );
    Ok(())
}
