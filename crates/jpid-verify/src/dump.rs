//! Dump files: what a reader (the CLI, a phone app) read from a card, as the card gave it, so a
//! verifier elsewhere (`jpid residence verify`, the verification service) can repeat the proof.
//! See docs/dump.md. Every byte of a dump is hostile: sizes are bounded, every field is typed,
//! and nothing in a dump grants trust.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::mynumber::TextFiles;
use crate::proof::UnixTime;
use crate::residence::ResidenceFiles;
use crate::surface::SurfaceFiles;

/// The largest dump jpid accepts, in bytes of JSON.
pub const MAX_DUMP_BYTES: usize = 1 << 20;

/// Schema name of a residence-card dump.
pub const RESIDENCE_SCHEMA: &str = "jpid.residence-dump";
/// Schema name of a My Number text-AP dump.
pub const TEXT_SCHEMA: &str = "jpid.mynumber-text-dump";
/// Schema name of a My Number card-face AP dump.
pub const FACE_SCHEMA: &str = "jpid.mynumber-face-dump";
/// The one version of each schema this jpid reads and writes.
pub const SCHEMA_VERSION: u64 = 1;

/// Why a dump was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DumpError {
    /// Larger than [`MAX_DUMP_BYTES`].
    #[error("{0} bytes is larger than the {MAX_DUMP_BYTES}-byte limit for a dump")]
    TooLarge(usize),
    /// Not JSON at all.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// JSON, but not this schema or version.
    #[error("{0}")]
    Schema(String),
    /// A field is missing or of the wrong type.
    #[error("{0}")]
    Field(String),
}

fn field(m: impl Into<String>) -> DumpError {
    DumpError::Field(m.into())
}

/// Parses JSON text, bounded, and checks the schema name and version.
fn open(text: &str, schema: &str) -> Result<Map<String, Value>, DumpError> {
    if text.len() > MAX_DUMP_BYTES {
        return Err(DumpError::TooLarge(text.len()));
    }
    let v: Value = serde_json::from_str(text).map_err(|e| DumpError::NotJson(e.to_string()))?;
    from_value(v, schema)
}

fn from_value(v: Value, schema: &str) -> Result<Map<String, Value>, DumpError> {
    let Value::Object(obj) = v else {
        return Err(DumpError::Schema(format!(
            "not a {schema} object (the top level is not a JSON object)"
        )));
    };
    match obj.get("schema").and_then(Value::as_str) {
        Some(s) if s == schema => {}
        Some(other) => {
            return Err(DumpError::Schema(format!(
                "schema is {other:?}, expected {schema:?}"
            )))
        }
        None => return Err(DumpError::Schema(format!("not a {schema} file"))),
    }
    match obj.get("schema_version").and_then(Value::as_u64) {
        Some(SCHEMA_VERSION) => {}
        other => {
            return Err(DumpError::Schema(format!(
                "unsupported schema_version {other:?} (this jpid reads {SCHEMA_VERSION})"
            )))
        }
    }
    Ok(obj)
}

fn read_at(obj: &Map<String, Value>) -> Result<UnixTime, DumpError> {
    obj.get("read_at")
        .and_then(Value::as_str)
        .and_then(UnixTime::parse)
        .ok_or_else(|| field("read_at missing or not YYYY-MM-DDTHH:MM:SSZ"))
}

fn reader(obj: &Map<String, Value>) -> String {
    obj.get("reader")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .chars()
        .take(200)
        .collect()
}

fn files(obj: &Map<String, Value>) -> Result<BTreeMap<String, Vec<u8>>, DumpError> {
    let map = obj
        .get("files")
        .and_then(Value::as_object)
        .ok_or_else(|| field("files missing or not an object"))?;
    let mut out = BTreeMap::new();
    for (k, val) in map {
        let s = val
            .as_str()
            .ok_or_else(|| field(format!("file {k} is not a base64 string")))?;
        let bytes = B64
            .decode(s)
            .map_err(|e| field(format!("file {k} is not valid base64: {e}")))?;
        out.insert(k.clone(), bytes);
    }
    Ok(out)
}

fn encode_files(files: &BTreeMap<String, Vec<u8>>) -> Map<String, Value> {
    files
        .iter()
        .map(|(k, v)| (k.clone(), json!(B64.encode(v))))
        .collect()
}

/// The file names a residence-card dump may hold (docs/dump.md), both generations: what
/// `jpid-card`'s residence reader writes. Any other name is refused, as in the other dumps.
pub const RESIDENCE_FILES: [&str; 16] = [
    "mf.common",
    "mf.card_type",
    "df1.front_image",
    "df1.face_image",
    "df2.address",
    "df2.comprehensive_permission",
    "df2.individual_permission",
    "df2.renewal_application",
    "df3.signature",
    "df1.card_number",
    "df1.printed_entries",
    "df1.images",
    "df1.address_image",
    "df2.permissions",
    "df2.update_status",
    "df2.other",
];

fn check_residence_names(files: &BTreeMap<String, Vec<u8>>) -> Result<(), DumpError> {
    match files
        .keys()
        .find(|k| !RESIDENCE_FILES.contains(&k.as_str()))
    {
        Some(unknown) => Err(field(format!(
            "unknown file {unknown:?} (docs/dump.md lists the residence-card files)"
        ))),
        None => Ok(()),
    }
}

/// A residence-card dump exactly as jpid writes it, borrowed from the text: every string a
/// plain `&str` (an escape anywhere makes this fail, and the general path takes over), and no
/// other field (serde would skip an unknown one more leniently than the general path reads it:
/// no depth limit, no number range, no string checks).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FastResidence<'a> {
    schema: &'a str,
    schema_version: u64,
    read_at: &'a str,
    reader: Option<&'a str>,
    card_type: Option<&'a str>,
    generation: Option<u64>,
    #[serde(borrow)]
    files: BTreeMap<&'a str, &'a str>,
}

/// A residence-card dump (`jpid.residence-dump`, version 1).
#[derive(Debug, Clone)]
pub struct ResidenceDump {
    /// When it was read, by the reading machine's clock. Not signed.
    pub read_at: UnixTime,
    /// Where it was read, for people; never changes how it is verified.
    pub reader: String,
    /// Informational card type (verification takes it from the files).
    pub card_type: String,
    /// Informational generation.
    pub generation: u8,
    /// The raw files.
    pub files: ResidenceFiles,
}

impl ResidenceDump {
    /// Parses dump text.
    pub fn from_json(text: &str) -> Result<Self, DumpError> {
        Self::from_slice(text.as_bytes())
    }

    /// Parses an already-decoded JSON value.
    pub fn from_value(v: Value) -> Result<Self, DumpError> {
        Self::from_object(from_value(v, RESIDENCE_SCHEMA)?)
    }

    /// Parses dump bytes (a request body, say), bounded like [`ResidenceDump::from_json`] and
    /// with the same result and the same errors. A well-formed dump takes a fast path that
    /// reads the file contents in place instead of building a JSON tree and copying its
    /// strings (a verification service spent a tenth of its time there); anything the fast
    /// path does not expect (an odd type, an escape, a duplicate field) takes the general path,
    /// which decides exactly as before.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, DumpError> {
        if bytes.len() > MAX_DUMP_BYTES {
            return Err(DumpError::TooLarge(bytes.len()));
        }
        if let Ok(fast) = serde_json::from_slice::<FastResidence<'_>>(bytes) {
            if fast.schema == RESIDENCE_SCHEMA && fast.schema_version == SCHEMA_VERSION {
                if let Some(read_at) = UnixTime::parse(fast.read_at) {
                    let mut files = BTreeMap::new();
                    for (k, text) in &fast.files {
                        let bytes = B64
                            .decode(text)
                            .map_err(|e| field(format!("file {k} is not valid base64: {e}")))?;
                        files.insert((*k).to_string(), bytes);
                    }
                    check_residence_names(&files)?;
                    return Ok(Self {
                        read_at,
                        reader: fast.reader.unwrap_or("unknown").chars().take(200).collect(),
                        card_type: fast.card_type.unwrap_or("").chars().take(8).collect(),
                        generation: fast
                            .generation
                            .and_then(|g| u8::try_from(g).ok())
                            .unwrap_or(0),
                        files: ResidenceFiles(files),
                    });
                }
            }
        }
        let v: Value =
            serde_json::from_slice(bytes).map_err(|e| DumpError::NotJson(e.to_string()))?;
        Self::from_value(v)
    }

    fn from_object(obj: Map<String, Value>) -> Result<Self, DumpError> {
        let files = files(&obj)?;
        check_residence_names(&files)?;
        Ok(Self {
            read_at: read_at(&obj)?,
            reader: reader(&obj),
            card_type: obj
                .get("card_type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .chars()
                .take(8)
                .collect(),
            generation: obj
                .get("generation")
                .and_then(Value::as_u64)
                .and_then(|g| u8::try_from(g).ok())
                .unwrap_or(0),
            files: ResidenceFiles(files),
        })
    }

    /// The dump as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "schema": RESIDENCE_SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "read_at": self.read_at.to_rfc3339(),
            "reader": self.reader,
            "card_type": self.card_type,
            "generation": self.generation,
            "files": encode_files(&self.files.0),
        })
    }
}

/// A My Number text-AP dump (`jpid.mynumber-text-dump`, version 1): EF 0002 (basic four),
/// EF 0003 (integrity record), EF 0004 (CVC) and, only when the user asked for it, EF 0001
/// (the My Number). `Debug` never shows the files.
#[derive(Clone)]
pub struct TextDump {
    /// When it was read. Not signed.
    pub read_at: UnixTime,
    /// Where it was read.
    pub reader: String,
    /// The files.
    pub files: TextFiles,
}

impl std::fmt::Debug for TextDump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextDump")
            .field("read_at", &self.read_at)
            .field("reader", &self.reader)
            .field("has_my_number", &self.files.my_number.is_some())
            .finish_non_exhaustive()
    }
}

impl TextDump {
    /// Parses dump text.
    pub fn from_json(text: &str) -> Result<Self, DumpError> {
        Self::from_object(open(text, TEXT_SCHEMA)?)
    }

    /// Parses an already-decoded JSON value.
    pub fn from_value(v: Value) -> Result<Self, DumpError> {
        Self::from_object(from_value(v, TEXT_SCHEMA)?)
    }

    fn from_object(obj: Map<String, Value>) -> Result<Self, DumpError> {
        let mut f = files(&obj)?;
        if let Some(unknown) = f
            .keys()
            .find(|k| !["my_number", "basic", "integrity", "cvc"].contains(&k.as_str()))
        {
            return Err(field(format!(
                "unknown file {unknown:?} (expected my_number, basic, integrity, cvc)"
            )));
        }
        let integrity = f
            .remove("integrity")
            .ok_or_else(|| field("files.integrity (EF 0003) missing"))?;
        let cvc = f
            .remove("cvc")
            .ok_or_else(|| field("files.cvc (EF 0004) missing"))?;
        let basic = f.remove("basic");
        let my_number = f.remove("my_number");
        if basic.is_none() && my_number.is_none() {
            return Err(field(
                "neither files.basic nor files.my_number: nothing to verify",
            ));
        }
        Ok(Self {
            read_at: read_at(&obj)?,
            reader: reader(&obj),
            files: TextFiles {
                my_number,
                basic,
                integrity,
                cvc,
            },
        })
    }

    /// The dump as JSON. EF 0001 (the My Number) is written only when `with_my_number`.
    pub fn to_json(&self, with_my_number: bool) -> Value {
        let mut files = BTreeMap::new();
        if with_my_number {
            if let Some(n) = &self.files.my_number {
                files.insert("my_number".to_string(), n.clone());
            }
        }
        if let Some(b) = &self.files.basic {
            files.insert("basic".to_string(), b.clone());
        }
        files.insert("integrity".to_string(), self.files.integrity.clone());
        files.insert("cvc".to_string(), self.files.cvc.clone());
        json!({
            "schema": TEXT_SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "read_at": self.read_at.to_rfc3339(),
            "reader": self.reader,
            "files": encode_files(&files),
        })
    }
}

/// A My Number card-face AP dump (`jpid.mynumber-face-dump`, version 1): EF 0001 (birth record),
/// EF 0002 (card face), EF 0003 (AP basic info), EF 0004 (CVC) and, only when the user asked for
/// it, EF 0005 (the My Number image). `Debug` never shows the files.
#[derive(Clone)]
pub struct FaceDump {
    /// When it was read. Not signed.
    pub read_at: UnixTime,
    /// Where it was read.
    pub reader: String,
    /// The files.
    pub files: SurfaceFiles,
}

impl std::fmt::Debug for FaceDump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceDump")
            .field("read_at", &self.read_at)
            .field("reader", &self.reader)
            .field("has_my_number_image", &self.files.my_number_image.is_some())
            .finish_non_exhaustive()
    }
}

const FACE_FILES: [&str; 5] = ["birth", "face", "info", "cvc", "my_number_image"];

impl FaceDump {
    /// Parses dump text.
    pub fn from_json(text: &str) -> Result<Self, DumpError> {
        Self::from_object(open(text, FACE_SCHEMA)?)
    }

    /// Parses an already-decoded JSON value.
    pub fn from_value(v: Value) -> Result<Self, DumpError> {
        Self::from_object(from_value(v, FACE_SCHEMA)?)
    }

    fn from_object(obj: Map<String, Value>) -> Result<Self, DumpError> {
        let mut f = files(&obj)?;
        if let Some(unknown) = f.keys().find(|k| !FACE_FILES.contains(&k.as_str())) {
            return Err(field(format!(
                "unknown file {unknown:?} (expected {})",
                FACE_FILES.join(", ")
            )));
        }
        let cvc = f
            .remove("cvc")
            .ok_or_else(|| field("files.cvc (EF 0004) missing"))?;
        let files = SurfaceFiles {
            birth: f.remove("birth"),
            face: f.remove("face"),
            info: f.remove("info"),
            cvc,
            my_number_image: f.remove("my_number_image"),
        };
        if files.birth.is_none() && files.face.is_none() && files.my_number_image.is_none() {
            return Err(field(
                "no signed file (birth, face or my_number_image): nothing to verify",
            ));
        }
        Ok(Self {
            read_at: read_at(&obj)?,
            reader: reader(&obj),
            files,
        })
    }

    /// The dump as JSON. EF 0005 (the My Number image) only when `with_my_number`.
    pub fn to_json(&self, with_my_number: bool) -> Value {
        let mut files = BTreeMap::new();
        let f = &self.files;
        for (name, v) in [("birth", &f.birth), ("face", &f.face), ("info", &f.info)] {
            if let Some(v) = v {
                files.insert(name.to_string(), v.clone());
            }
        }
        if with_my_number {
            if let Some(v) = &f.my_number_image {
                files.insert("my_number_image".to_string(), v.clone());
            }
        }
        files.insert("cvc".to_string(), f.cvc.clone());
        json!({
            "schema": FACE_SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "read_at": self.read_at.to_rfc3339(),
            "reader": self.reader,
            "files": encode_files(&files),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residence_dump_round_trips_and_refuses_bad_input() {
        let mut files = BTreeMap::new();
        files.insert("mf.card_type".to_string(), vec![0xC1, 0x01, 0x31]);
        let d = ResidenceDump {
            read_at: UnixTime(1_700_000_000),
            reader: "sim:residence".into(),
            card_type: "1".into(),
            generation: 1,
            files: ResidenceFiles(files),
        };
        let text = d.to_json().to_string();
        let back = ResidenceDump::from_json(&text).unwrap();
        assert_eq!(back.files.0, d.files.0);
        assert_eq!(back.read_at, d.read_at);

        let err = |t: &str| ResidenceDump::from_json(t).unwrap_err();
        assert!(matches!(err("[1,2"), DumpError::NotJson(_)));
        assert!(matches!(err("[]"), DumpError::Schema(_)));
        let other = text.replace(RESIDENCE_SCHEMA, TEXT_SCHEMA);
        assert!(err(&other).to_string().contains("expected"));
        let v2 = text.replace("\"schema_version\":1", "\"schema_version\":2");
        assert!(err(&v2).to_string().contains("schema_version"));
        let b64 = text.replace("wQEx", "wQE!");
        assert!(err(&b64).to_string().contains("mf.card_type"));
        let big = " ".repeat(MAX_DUMP_BYTES + 1);
        assert!(matches!(err(&big), DumpError::TooLarge(_)));
    }

    /// `from_json` reads well-formed dumps in place; everything else goes the general way. Both
    /// must decide the same, whatever the input looks like.
    #[test]
    fn residence_dump_fast_path_decides_as_the_general_one() {
        let base = r#"{"schema":"jpid.residence-dump","schema_version":1,"read_at":"2026-01-02T03:04:05Z","reader":"sim:residence","card_type":"1","generation":1,"files":{"mf.card_type":"wQEx","df3.signature":"AAEC"}}"#;
        let variants = [
            base.to_string(),
            base.replace("wQEx", r"wQ\u0045x"), // an escape: same string once decoded
            base.replace("wQEx", r"wQ\/x"),
            base.replace(r#""sim:residence""#, "17"),
            base.replace(r#""sim:residence""#, "null"),
            base.replace(r#""generation":1"#, r#""generation":300"#),
            base.replace(r#""generation":1"#, r#""generation":-1"#),
            base.replace(r#""generation":1"#, r#""generation":1.0"#),
            base.replace(r#""card_type":"1""#, r#""card_type":["1"]"#),
            base.replace(r#""card_type":"1""#, r#""card_type":"1","card_type":"2""#),
            base.replace(r#""reader":"sim:residence","#, ""),
            base.replace(
                r#""read_at":"2026-01-02T03:04:05Z""#,
                r#""read_at":"yesterday""#,
            ),
            base.replace(r#""schema_version":1"#, r#""schema_version":"1""#),
            base.replace("jpid.residence-dump", "jpid.mynumber-text-dump"),
            base.replace(r#""AAEC""#, "42"),
            base.replace("AAEC", "AA!C"),
            base.replace("df3.signature", "df3.signatures"),
            base.replace(r#""files":{"#, r#""extra":{"a":[1,2]},"files":{"#),
            base.replace(
                r#""mf.card_type":"wQEx","#,
                r#""mf.card_type":"wQEx","mf.card_type":"AAAA","#,
            ),
            // Unknown fields the general path refuses (found by review): too deep, a number out
            // of range, a lone surrogate.
            base.replace(
                r#""files":{"#,
                &format!(
                    r#""extra":{}1{},"files":{{"#,
                    "[".repeat(200),
                    "]".repeat(200)
                ),
            ),
            base.replace(r#""files":{"#, r#""extra":1e400,"files":{"#),
            base.replace(r#""files":{"#, r#""extra":"\ud800","files":{"#),
        ];
        for text in &variants {
            let general = serde_json::from_str::<Value>(text)
                .map_err(|e| DumpError::NotJson(e.to_string()).to_string())
                .and_then(|v| ResidenceDump::from_value(v).map_err(|e| e.to_string()));
            let fast = ResidenceDump::from_json(text).map_err(|e| e.to_string());
            match (&fast, &general) {
                (Ok(a), Ok(b)) => assert_eq!(a.to_json(), b.to_json(), "{text}"),
                (Err(a), Err(b)) => assert_eq!(a, b, "{text}"),
                _ => panic!("{text}: fast {fast:?} general {general:?}"),
            }
        }
        // A byte that is not UTF-8 in an unknown field: refused (bytes, not text).
        let mut raw = variants[0]
            .replace(r#""files":{"#, r#""extra":"?","files":{"#)
            .into_bytes();
        let at = raw.iter().position(|b| *b == b'?').unwrap();
        raw[at] = 0xFF;
        assert!(ResidenceDump::from_slice(&raw).is_err());
        // The escaped variant is the same dump as the plain one.
        let plain = ResidenceDump::from_json(&variants[0]).unwrap();
        let escaped = ResidenceDump::from_json(&variants[1]).unwrap();
        assert_eq!(plain.files.0, escaped.files.0);
    }

    /// Found by the `dump` fuzz target: a residence dump with a file name docs/dump.md does not
    /// list (here `mf.sard_type`, one letter off) was accepted and carried along unread.
    #[test]
    fn residence_dump_refuses_unknown_file_names() {
        let text = |name: &str| {
            format!(
                "{{\"schema\":\"{RESIDENCE_SCHEMA}\",\"schema_version\":1,\
                 \"read_at\":\"2026-01-01T00:00:00Z\",\"files\":{{\
                 \"mf.card_type\":\"wQEx\",\"{name}\":\"AA==\"}}}}"
            )
        };
        for name in ["mf.sard_type", "", "df9.extra", "MF.COMMON"] {
            let e = ResidenceDump::from_json(&text(name)).unwrap_err();
            assert!(matches!(e, DumpError::Field(_)), "{name:?}: {e:?}");
            assert!(e.to_string().contains("unknown file"), "{name:?}: {e}");
        }
        for name in RESIDENCE_FILES {
            let d = ResidenceDump::from_json(&text(name)).unwrap();
            assert!(d.files.0.contains_key(name));
        }
    }

    #[test]
    fn text_dump_writes_the_my_number_only_when_asked() {
        let d = TextDump {
            read_at: UnixTime(1_700_000_000),
            reader: "sim:mynumber".into(),
            files: TextFiles {
                my_number: Some(b"\xFF\x10\x0C999900000001\xFF\xFF".to_vec()),
                basic: Some(vec![0xFF, 0x20, 0x00]),
                integrity: vec![0xFF, 0x30, 0x00],
                cvc: vec![0x7F, 0x21, 0x00],
            },
        };
        let without = d.to_json(false).to_string();
        assert!(!without.contains("my_number"));
        let back = TextDump::from_json(&without).unwrap();
        assert!(back.files.my_number.is_none());
        assert_eq!(back.files.basic, d.files.basic);
        let with = d.to_json(true).to_string();
        let back = TextDump::from_json(&with).unwrap();
        assert_eq!(back.files.my_number, d.files.my_number);
        assert!(!format!("{back:?}").contains("9999"));
        let missing = without.replace("\"cvc\"", "\"cvx\"");
        assert!(TextDump::from_json(&missing).is_err());
    }
}
