//! Human and JSON output. Every JSON document carries `schema_version` and `command`
//! (docs/json.md).

use serde_json::{json, Map, Value};

use jpid_verify::{TrustMode, TrustStore};

use crate::error::CliError;

/// The version of the JSON output schema; bumped on any incompatible change. Version 2: every
/// card verdict has the three facets (`signed`/`unsigned`, `validity`, `chip_authenticated`) and
/// an `outcome` (docs/json.md, "The verdict").
pub const SCHEMA_VERSION: u32 = 2;

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
            out(&terminal_safe(&human()));
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
            eprintln!("jpid: error: {}", terminal_safe(&e.message));
            if let Some(h) = &e.hint {
                eprintln!("hint: {}", terminal_safe(h));
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

/// How many anchors came from where: built in, added from files, test.
fn anchor_sources(store: &TrustStore) -> (usize, usize, usize) {
    use jpid_verify::trust::Origin;
    store
        .anchors()
        .iter()
        .fold((0, 0, 0), |(b, f, t), a| match a.origin() {
            Origin::BuiltIn => (b + 1, f, t),
            Origin::File(_) => (b, f + 1, t),
            Origin::Test => (b, f, t + 1),
        })
}

/// The `trust` object of every output: the mode, and how many roots came from where (a root
/// added from a file is never counted as a built-in one; each result's anchor name says which
/// root vouched for it and where it came from).
pub fn trust_json(store: &TrustStore) -> Value {
    let (built_in, files, test) = anchor_sources(store);
    json!({
        "mode": store.mode().id(),
        "anchors": store.anchors().len(),
        "sources": {"built_in": built_in, "file": files, "test": test},
        "note": match (store.mode(), files) {
            (TrustMode::Test, _) => "test trust: simulator test roots are trusted; results say nothing about real cards",
            (TrustMode::Production, 0) => "production roots only: built in",
            (TrustMode::Production, _) => "production roots: built in and added from files (jpid trust list)",
        },
    })
}

/// The human line saying which trust is in force.
pub fn trust_line(store: &TrustStore) -> String {
    let (built_in, files, _) = anchor_sources(store);
    match store.mode() {
        TrustMode::Test => {
            "trust: test trust (simulator test roots; not valid for real cards)\n".into()
        }
        TrustMode::Production if files == 0 => {
            format!("trust: production ({built_in} built-in roots)\n")
        }
        TrustMode::Production => format!(
            "trust: production ({built_in} built-in roots, {files} added from files: jpid trust list)\n"
        ),
    }
}

/// The exit status of a card verdict, after its full result was printed: 0 genuine, 9 genuine
/// but expired, 7 not genuine (docs/json.md, "Exit codes").
pub fn verdict_exit(outcome: jpid_verify::verdict::Outcome, what: &str) -> Result<(), CliError> {
    use jpid_verify::verdict::Outcome;
    match outcome {
        Outcome::Genuine => Ok(()),
        Outcome::GenuineExpired => Err(CliError::new(
            crate::error::Kind::GenuineExpired,
            format!("{what} is genuine but EXPIRED"),
        )
        .reported()),
        Outcome::NotGenuine => Err(CliError::new(
            crate::error::Kind::NotGenuine,
            format!("{what} is NOT proven genuine"),
        )
        .reported()),
    }
}

/// A field for people, marked when no signature covers it.
/// A value as people read it: in words when it is a code or a date (Japanese first, then
/// English where it says more), as stored otherwise.
pub fn in_words(value: &str, text: &str, text_ja: &str) -> String {
    if text == value && text_ja == value {
        value.to_string()
    } else if text_ja.contains(text) {
        text_ja.to_string()
    } else {
        format!("{text_ja} / {text}")
    }
}

pub fn field_line(label: &str, label_ja: &str, value: &str, unsigned_why: Option<&str>) -> String {
    let value = one_line(value);
    match unsigned_why {
        None => format!("  {label_ja} / {label}: {value}\n"),
        Some(why) => {
            format!("  {label_ja} / {label}: {value}\n      ^ 署名対象外 / NOT SIGNED: {why}\n")
        }
    }
}

/// The verdict's headline and facets, for people.
pub fn verdict_text<P>(v: &jpid_verify::verdict::Verdict<P>) -> String {
    let mut t = v.facets_text();
    t.push_str(&format!("\n{}\n", v.headline()));
    for r in &v.reasons {
        t.push_str(&format!("  - {} ({})\n", r.message, r.code));
    }
    t
}

/// Whether printing `c` could move the cursor, recolour, hide or reorder what follows on a
/// terminal: C0 and C1 controls (ESC starts every escape sequence; C1 CSI is one on its own),
/// DEL, the bidirectional controls that reorder a line as it is shown (U+061C, U+200E, U+200F,
/// U+202A–U+202E, U+2066–U+2069) and the Unicode line and paragraph separators.
fn moves_the_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}'
        )
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

fn escaped(text: &str, keep: impl Fn(char) -> bool) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| moves_the_terminal(c) && !keep(c)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut s = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if moves_the_terminal(c) && !keep(c) {
            s.push_str(&format!("\\u{{{:X}}}", u32::from(c)));
        } else {
            s.push(c);
        }
    }
    std::borrow::Cow::Owned(s)
}

/// Human text made safe for a terminal: every character that could move the cursor, recolour,
/// hide or reorder text is shown as `\u{1B}`-style escapes, except the line ends jpid writes.
/// Card text, a dump, a PDF's claims and error messages reach the clerk's screen through here:
/// a forged card's unsigned address must not be able to clear the screen and draw a green
/// GENUINE over the red verdict (ANSI escapes), or reorder a line (bidirectional overrides).
/// JSON output is not changed: serde_json escapes every C0 control already, and scripts get the
/// exact text.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    escaped(text, |c| c == '\n')
}

/// One value on one line: [`terminal_safe`], and line ends escaped too, so that a value cannot
/// start a line of its own (a forged `  [ok] ...` check line under the real ones).
pub fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    escaped(text, |_| false)
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

/// `text` padded with spaces to `width` terminal columns: CJK characters take two columns
/// (UAX #11, through the `unicode-width` crate), so Japanese labels line up in tables.
pub fn pad(text: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

#[cfg(test)]
mod tests {
    use super::{one_line, pad, terminal_safe};

    #[test]
    fn what_moves_a_terminal_is_shown_escaped() {
        // ANSI: clear the screen, home, green, hidden text.
        let forged = "\u{1b}[2J\u{1b}[H\u{1b}[1;32m真正 / GENUINE\u{1b}[0m\n\u{1b}[8m";
        let shown = terminal_safe(forged);
        assert_eq!(
            shown,
            "\\u{1B}[2J\\u{1B}[H\\u{1B}[1;32m真正 / GENUINE\\u{1B}[0m\n\\u{1B}[8m"
        );
        assert_eq!(
            one_line(forged).lines().count(),
            1,
            "a value keeps to its line"
        );
        // C1 CSI, DEL, carriage return, a right-to-left override and a line separator.
        assert_eq!(
            one_line("a\u{9b}2Jb\u{7f}\r\u{202E}c\u{2028}"),
            "a\\u{9B}2Jb\\u{7F}\\u{D}\\u{202E}c\\u{2028}"
        );
        // Japanese text, full-width spaces and line ends jpid writes are left alone.
        let plain = "住居地 / Address: 東京都千代田区霞が関１丁目\u{3000}１番\n";
        assert!(matches!(
            terminal_safe(plain),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn padding_counts_terminal_columns() {
        assert_eq!(pad("PIN", 6), "PIN   ");
        // 暗証番号 is 4 characters and 8 columns.
        assert_eq!(pad("暗証番号", 10), "暗証番号  ");
        assert_eq!(pad("暗証番号", 4), "暗証番号");
    }
}
