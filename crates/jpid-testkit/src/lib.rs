//! What jpid's test binaries share, instead of copies in each: a private pcscd with the vpcd
//! reader ([`pcscd`]), a private PostgreSQL ([`postgres`]), a minimal HTTP client ([`http`]),
//! and helpers to run a jpid binary isolated from the machine, read its one JSON document and
//! make temporary directories. Only tests depend on this crate.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod http;
pub mod ocsp;
pub mod pcscd;
pub mod postgres;

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// A command for the binary at `bin` that cannot touch the machine's readers or the caller's
/// jpid settings: PC/SC points at a socket that does not exist, and the `JPID_*` variables a
/// developer may have set are removed.
pub fn isolated(bin: &str) -> Command {
    let mut c = Command::new(bin);
    c.env("PCSCLITE_CSOCK_NAME", "/nonexistent/jpid-test/pcscd.comm");
    // No root the caller kept with `jpid trust add` (a tester's kept TEST root would make
    // every result test trust); a test that wants a trust directory sets its own.
    c.env("JPID_TRUST_DIR", "/nonexistent/jpid-test/trust");
    for var in [
        "JPID_TRUST_ANCHORS",
        "JPID_READER",
        "JPID_DB",
        "JPID_LOG",
        "JPID_PIN",
        "JPID_TEXT_PIN",
        "JPID_BIRTH_DATE_KEY",
    ] {
        c.env_remove(var);
    }
    c
}

/// The one JSON document a `--json` run printed on stdout (panics on none, several, or text).
pub fn one_json(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    let mut docs = serde_json::Deserializer::from_str(&text).into_iter::<Value>();
    let doc = docs
        .next()
        .unwrap_or_else(|| panic!("no JSON document on stdout: {text}"))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    assert!(
        docs.next().is_none(),
        "exactly one JSON document on stdout: {text}"
    );
    doc
}

/// The `code`s of a JSON list of reasons (`[{"code": ..., "message": ...}]`); empty for anything
/// else.
pub fn reason_codes(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r.get("code").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A fresh (removed if present, not created) directory under the system's temporary directory,
/// unique to this process: `jpid-<prefix>-<pid>-<name>`.
pub fn tmpdir(prefix: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("jpid-{prefix}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}
