//! Human and JSON output. Every JSON document carries `schema_version` and `command`
//! (docs/json.md).

use serde_json::{json, Map, Value};

use jpid_verify::{TrustMode, TrustStore};

use crate::error::CliError;

/// The version of the JSON output schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints `body` (a JSON object) with the envelope fields, or the human text.
    pub fn emit(&self, command: &str, body: Value, human: impl FnOnce() -> String) {
        if self.json {
            let mut map = Map::new();
            map.insert("schema_version".into(), json!(SCHEMA_VERSION));
            map.insert("command".into(), json!(command));
            if let Value::Object(fields) = body {
                map.extend(fields);
            }
            out(&format!("{}\n", Value::Object(map)));
        } else {
            out(&human());
        }
    }

    /// Reports an error: JSON on stdout under --json, else a short text on stderr.
    pub fn error(&self, e: &CliError) {
        if self.json {
            let mut err = json!({"kind": e.kind.id(), "message": e.message});
            if let (Some(h), Value::Object(m)) = (&e.hint, &mut err) {
                m.insert("hint".into(), json!(h));
            }
            println!(
                "{}",
                json!({"schema_version": SCHEMA_VERSION, "error": err})
            );
        } else {
            eprintln!("jpid: error: {}", e.message);
            if let Some(h) = &e.hint {
                eprintln!("hint: {h}");
            }
        }
    }
}

/// Writes to stdout; a reader that went away (`jpid ... | head`) is not an error worth a panic.
fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// The `trust` object of every output.
pub fn trust_json(store: &TrustStore) -> Value {
    json!({
        "mode": store.mode().id(),
        "anchors": store.anchors().len(),
        "note": match store.mode() {
            TrustMode::Test => "test trust: simulator test roots are trusted; results say nothing about real cards",
            TrustMode::Production => "production roots only",
        },
    })
}

/// The human line saying which trust is in force.
pub fn trust_line(store: &TrustStore) -> String {
    match store.mode() {
        TrustMode::Test => {
            "trust: test trust (simulator test roots; not valid for real cards)\n".into()
        }
        TrustMode::Production => format!("trust: production ({} roots)\n", store.anchors().len()),
    }
}

/// Hex with a space every byte, for ATRs.
pub fn spaced_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The system clock as a [`jpid_verify::UnixTime`]: the CLI reads the clock; libraries are given
/// the time.
pub fn now() -> jpid_verify::UnixTime {
    jpid_verify::UnixTime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    )
}
