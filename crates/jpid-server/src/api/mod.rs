//! The `/v1` JSON API. Each handler: authenticate, parse strictly (400 with a message), verify
//! with `jpid-verify`, commit the audit record, answer.

//!
//! One room per card application and concern: [`residence`], [`mynumber`] (text and card-face
//! APs), [`jpki`] (challenges, login, signatures), [`age`], [`audit`] (history; the
//! challenges and their per-key rate are in `crate::challenges`); this module holds what they share (audit records, body limits,
//! answer parts).

use crate::auth::Caller;
use crate::error::ApiError;
use crate::store::{now, AuditRecord};
use crate::{need, AppState, Scope};
use axum::body::Bytes;
use axum::extract::{Extension, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use jpid_model::dump::{DumpError, FaceDump, ResidenceDump, TextDump};
use jpid_model::{age_on, CardDate};
use jpid_verify::card_face::{verify_card_face, CardFaceVerdict};
use jpid_verify::check::{verify_check, CheckVerdict};
use jpid_verify::signature::{verify_cms, verify_raw, SignatureVerdict};
use jpid_verify::text::{verify_text, TextVerdict};
use jpid_verify::trust::{Purpose, TrustMode};
use jpid_verify::verdict::Verdict;
use jpid_verify::{RevocationPolicy, TrustStore, UnixTime};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;

mod age;
mod audit;
mod jpki;

mod mynumber;
mod residence;

pub(crate) use age::*;
pub(crate) use audit::*;
pub(crate) use jpki::*;
pub(crate) use mynumber::*;
pub(crate) use residence::*;

/// The OpenAPI document.
pub const OPENAPI: &str = include_str!("../openapi.json");

pub(crate) async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
        .into_response()
}

/// Sets `key` in a JSON object (answers are always objects; anything else is left as is).
/// [`verdict_outcome`]'s `detail`.
pub(crate) fn verdict_detail<P>(v: &Verdict<P>) -> Value {
    json!({
        "checked_at": v.validity.checked_at.to_rfc3339(),
        "time_source": "server_clock",
        "chip_authenticated": v.chip.id(),
    })
}

pub(crate) fn set(v: &mut Value, key: &str, value: Value) {
    if let Value::Object(m) = v {
        m.insert(key.to_string(), value);
    }
}

/// What every verification answer records.
pub(crate) struct Outcome {
    /// What the verdict depended on besides the input (times, options); never personal data.
    pub detail: Value,
    pub method: &'static str,
    pub result: &'static str,
    pub reasons: Vec<String>,
    pub cert: Option<(String, String)>,
}

/// Commits the audit record for `body`; the answer may be sent only after this returns Ok.
pub(crate) async fn record(
    s: &AppState,
    who: &str,
    input: &[u8],
    o: Outcome,
) -> Result<String, ApiError> {
    record_digest(s, who, Sha256::digest(input).into(), o).await
}

/// [`record`] with the input's SHA-256 already computed (by [`verify_sized`]'s work, so that a
/// large body is hashed off the async threads too).
pub(crate) async fn record_digest(
    s: &AppState,
    who: &str,
    input_sha256: [u8; 32],
    o: Outcome,
) -> Result<String, ApiError> {
    let id = crate::audit::new_record_id().map_err(ApiError::internal)?;
    let rec = AuditRecord {
        id: id.clone(),
        at: now(),
        key_id: who.to_string(),
        method: o.method.to_string(),
        result: o.result.to_string(),
        reasons: o.reasons.join(","),
        cert_serial: o.cert.as_ref().map(|c| c.0.clone()),
        cert_issuer: o.cert.map(|c| c.1),
        input_sha256: hex::encode(input_sha256),
        detail: (!o.detail.is_null()).then(|| o.detail.to_string()),
    };
    s.audit.commit(rec).await.map_err(|e| {
        // The detail (which may name the database) goes to the log, not to the caller.
        log::error!("audit commit failed: {e}");
        ApiError::unavailable(
            "the audit record could not be committed, so nothing was answered; try again",
        )
    })?;
    Ok(id)
}

/// The largest request body verified on the async worker that received it; a larger body is
/// verified on the blocking pool.
///
/// An earlier security review asked that long work stay off the async threads, where it would
/// stall every other connection the worker serves. Handing each request to the blocking pool
/// did that, but the hop (a thread wake-up there and back) cost more CPU than the verification
/// of a typical body. What a verification does is linear in its input and bounded: JSON and
/// base64 decoding, SHA-256, DER parsing and at most a handful of RSA public-key operations
/// (OpenSSL, at most 4096 bits) — no image decoding (the card-face answer, which decodes
/// images, always takes the blocking pool; see [`mynumber_face`]) and no ECDSA (a
/// generation-2 residence card's P-384 checks, about a millisecond each in pure Rust, always
/// take the blocking pool; see [`residence`]). For a body of at most 64 KiB that is well under a
/// millisecond: measured with `jpid serve` under load, a 15 KB residence dump costs the whole
/// service about 0.5 ms of CPU per request and a residence dump padded to 64 KiB about 0.7 ms,
/// HTTP and the audit record included. So such bodies run inline; the bound keeps the review's
/// rule for big inputs (up to [`crate::MAX_BODY`]).
pub const INLINE_VERIFY_MAX: usize = 64 << 10;

/// Runs `work` over `body` and hashes `body` for the audit record: inline when the body is at
/// most [`INLINE_VERIFY_MAX`] bytes, else on the blocking pool.
async fn verify_sized<T: Send + 'static>(
    body: &Bytes,
    blocking: bool,
    work: impl FnOnce(&[u8]) -> T + Send + 'static,
) -> Result<(T, [u8; 32]), ApiError> {
    let run = move |input: &[u8]| (work(input), Sha256::digest(input).into());
    // `blocking`: the work may wait on the network (an OCSP responder), whatever the size.
    if body.len() <= INLINE_VERIFY_MAX && !blocking {
        return Ok(run(body));
    }
    let input = body.clone();
    tokio::task::spawn_blocking(move || run(&input))
        .await
        .map_err(ApiError::internal)
}

fn typed<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad("the request body is empty; send JSON"));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad(format!(
            "invalid request: {}",
            jpid_model::dump::json_error_text(&e)
        ))
    })
}

fn b64(field: &str, text: &str, max: usize) -> Result<Vec<u8>, ApiError> {
    if text.len() > max.div_ceil(3) * 4 + 4 {
        return Err(ApiError::bad(format!("{field} is longer than {max} bytes")));
    }
    B64.decode(text.trim())
        // The decoder's message names a byte of the input and its offset: not quoted back.
        .map_err(|_| ApiError::bad(format!("{field} is not base64 (standard alphabet, padded)")))
}

/// A dump from a request body: the one dump parser, bounded by [`MAX_DUMP_BYTES`] like the CLI.
fn dump_body<T>(
    body: &[u8],
    what: &str,
    parse: impl FnOnce(&[u8]) -> Result<T, DumpError>,
) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad("the request body is empty; send JSON"));
    }
    parse(body).map_err(|e| match e {
        DumpError::NotJson(m) => ApiError::bad(format!("the body is not JSON: {m}")),
        // The schema text and version are the client's: named, never quoted back.
        DumpError::Schema(_) => ApiError::bad(format!(
            "not a {what} dump this jpid reads: its schema or schema_version is another (see docs/dump.md)"
        )),
        e => ApiError::bad(format!("not a {what} dump: {e}")),
    })
}

fn pick_time(
    at: Option<&str>,
    read_at: Option<UnixTime>,
) -> Result<(UnixTime, &'static str), ApiError> {
    match at {
        None => Ok((server_now(), "server_clock")),
        Some("read") => read_at
            .map(|t| (t, "dump_read_at"))
            .ok_or_else(|| ApiError::bad("at=read needs a dump with read_at")),
        // The message names the parameter, never its value (issue 16).
        Some(t) => UnixTime::parse(t).map(|t| (t, "given")).ok_or_else(|| {
            ApiError::bad("at is not read, a date YYYY-MM-DD that exists, or YYYY-MM-DDTHH:MM:SSZ")
        }),
    }
}

fn server_now() -> UnixTime {
    UnixTime(u64::try_from(now()).unwrap_or(0))
}

#[derive(Serialize)]
struct TrustSummary {
    mode: &'static str,
    note: &'static str,
    sources: TrustSources,
}

/// How many roots came from where (keys in sorted order, as every answer's).
#[derive(Serialize, Clone, Copy)]
struct TrustSources {
    built_in: usize,
    file: usize,
    test: usize,
}

fn trust_summary(t: &TrustStore) -> TrustSummary {
    use jpid_verify::trust::Origin;
    let mut sources = TrustSources {
        built_in: 0,
        file: 0,
        test: 0,
    };
    for a in t.anchors() {
        match a.origin() {
            Origin::BuiltIn => sources.built_in += 1,
            Origin::File(_) => sources.file += 1,
            Origin::Test => sources.test += 1,
        }
    }
    TrustSummary {
        mode: t.mode().id(),
        note: match (t.mode(), sources.file) {
            (TrustMode::Test, _) => {
                "test trust: simulator test roots are trusted; results say nothing about real cards"
            }
            (TrustMode::Production, 0) => "production roots only: built in",
            (TrustMode::Production, _) => {
                "production roots: built in and added from files (jpid trust list)"
            }
        },
        sources,
    }
}

fn trust_json(t: &TrustStore) -> Value {
    let TrustSummary {
        mode,
        note,
        sources,
    } = trust_summary(t);
    json!({"mode": mode, "note": note, "sources": sources})
}

/// The audit outcome of a verdict about card data: `genuine`, `genuine_expired` or
/// `not_genuine`, with the reason codes.
/// The record of a card verdict: its outcome and reasons, and in `detail` what it depended on
/// besides the input: the time it was checked at (the server's clock unless a caller says
/// otherwise) and whether a chip answered (`yes`, `no`, `not_possible`, `not_applicable`).
pub(crate) fn verdict_outcome<P>(method: &'static str, v: &Verdict<P>) -> Outcome {
    Outcome {
        detail: verdict_detail(v),
        method,
        result: v.outcome().id(),
        reasons: v.reasons.iter().map(|r| r.code.to_string()).collect(),
        cert: None,
    }
}

#[cfg(test)]
mod tests {
    use super::typed;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        over: u8,
    }

    #[test]
    fn request_errors_never_echo_what_the_client_sent() {
        for body in [
            r#"{"over":"SECRET-VALUE"}"#,
            r#"{"SECRET-KEY":1,"over":1}"#,
            r#"{"over":999999}"#,
            r#"SECRET-VALUE"#,
            r#"{"over":1,"over":2,"SECRET":"x"}"#,
        ] {
            let e = typed::<Body>(body.as_bytes()).unwrap_err();
            assert!(
                !e.message.contains("SECRET") && !e.message.contains("999999"),
                "{body}: {}",
                e.message
            );
            assert!(e.message.contains("line 1 column"), "{}", e.message);
        }
        // A field jpid defines may be named.
        let e = typed::<Body>(b"{}").unwrap_err();
        assert!(e.message.contains("over"), "{}", e.message);
    }
}
