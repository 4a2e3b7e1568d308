//! The `/v1` JSON API. Each handler: authenticate, parse strictly (400 with a message), verify
//! with `jpid-verify`, commit the audit record, answer.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Extension, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use jpid_verify::dump::{DumpError, FaceDump, ResidenceDump, TextDump, MAX_DUMP_BYTES};
use jpid_verify::mynumber::{verify_text, TextVerdict};
use jpid_verify::residence::{self, ResidenceVerdict};
use jpid_verify::signature::{verify_cms, verify_raw, SignatureVerdict};
use jpid_verify::surface::{verify_surface, SurfaceVerdict};
use jpid_verify::trust::{Purpose, TrustMode};
use jpid_verify::{RevocationPolicy, TrustStore, UnixTime};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::store::{now, AuditRecord};
use crate::{lock, need, AppState, Scope, MAX_CHALLENGES};

/// The OpenAPI document.
pub const OPENAPI: &str = include_str!("openapi.json");

pub(crate) async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
        .into_response()
}

/// Sets `key` in a JSON object (answers are always objects; anything else is left as is).
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
    work: impl FnOnce(&[u8]) -> T + Send + 'static,
) -> Result<(T, [u8; 32]), ApiError> {
    let run = move |input: &[u8]| (work(input), Sha256::digest(input).into());
    if body.len() <= INLINE_VERIFY_MAX {
        return Ok(run(body));
    }
    let input = body.clone();
    tokio::task::spawn_blocking(move || run(&input))
        .await
        .map_err(ApiError::internal)
}

fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad("the request body is empty; send JSON"));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad(format!("the body is not JSON: {e}")))
}

fn typed<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad("the request body is empty; send JSON"));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad(format!("invalid request: {e}")))
}

fn b64(field: &str, text: &str, max: usize) -> Result<Vec<u8>, ApiError> {
    if text.len() > max.div_ceil(3) * 4 + 4 {
        return Err(ApiError::bad(format!("{field} is longer than {max} bytes")));
    }
    B64.decode(text.trim())
        .map_err(|e| ApiError::bad(format!("{field} is not base64: {e}")))
}

/// `at`: `read` (the dump's unsigned read time), a date, or a full UTC time; default now.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AtQuery {
    at: Option<String>,
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
        Some(t) => UnixTime::parse(t).map(|t| (t, "given")).ok_or_else(|| {
            ApiError::bad(format!(
                "at={t:?} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"
            ))
        }),
    }
}

fn server_now() -> UnixTime {
    UnixTime(u64::try_from(now()).unwrap_or(0))
}

/// The residence answer, written straight to JSON by the API (no `Value` tree on the request
/// path) and turned into a `Value` by [`residence_json`] for the counter page and the fuzz
/// target. Its keys, and those of everything in it, are in sorted order: what a
/// `serde_json::Value` (a sorted map) prints, and what the service answered when it built this
/// answer as a `Value`. crates/jpid/tests/service.rs checks the text.
#[derive(Serialize)]
pub(crate) struct ResidenceAnswer<'a> {
    anchor: Option<&'a str>,
    /// Set once the audit record is committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) audit_id: Option<&'a str>,
    card: CardSummary<'a>,
    certificate: Option<CertificateSummary<'a>>,
    checked_at: String,
    #[serde(serialize_with = "checks_sorted")]
    checks: &'a [residence::Check],
    /// Empty unless genuine.
    fields: &'a [residence::Field],
    genuine: bool,
    not_covered_by_signature: &'a [&'static str],
    reasons: &'a [residence::Reason],
    signature_covers: &'a [&'static str],
    time_source: &'a str,
    trust: TrustSummary,
}

#[derive(Serialize)]
struct CardSummary<'a> {
    card_type: &'a str,
    generation: u8,
    kind: &'static str,
    photo: bool,
}

#[derive(Serialize)]
struct CertificateSummary<'a> {
    issuer: &'a str,
    serial: &'a str,
    subject: &'a str,
}

#[derive(Serialize)]
struct TrustSummary {
    mode: &'static str,
    note: &'static str,
}

/// A residence check with its keys sorted (`residence::Check` declares `detail` last).
#[derive(Serialize)]
struct CheckSorted<'a> {
    detail: &'a str,
    name: &'a str,
    passed: bool,
}

impl<'a> From<&'a residence::Check> for CheckSorted<'a> {
    fn from(c: &'a residence::Check) -> Self {
        // Destructured whole, so that a field added to `Check` fails to compile here.
        let residence::Check {
            name,
            passed,
            detail,
        } = c;
        CheckSorted {
            detail,
            name,
            passed: *passed,
        }
    }
}

fn checks_sorted<S: serde::Serializer>(
    checks: &&[residence::Check],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(checks.iter().map(CheckSorted::from))
}

fn trust_summary(t: &TrustStore) -> TrustSummary {
    TrustSummary {
        mode: t.mode().id(),
        note: match t.mode() {
            TrustMode::Test => {
                "test trust: simulator test roots are trusted; results say nothing about real cards"
            }
            TrustMode::Production => "production roots only",
        },
    }
}

fn trust_json(t: &TrustStore) -> Value {
    let TrustSummary { mode, note } = trust_summary(t);
    json!({"mode": mode, "note": note})
}

/// The residence answer for `card` and its verdict.
pub(crate) fn residence_answer<'a>(
    card: &'a residence::ParsedResidence,
    v: &'a ResidenceVerdict,
    at: UnixTime,
    time_source: &'a str,
    trust: &TrustStore,
) -> ResidenceAnswer<'a> {
    ResidenceAnswer {
        anchor: v.proof().map(|p| p.get().anchor.as_str()),
        audit_id: None,
        card: CardSummary {
            card_type: &card.card_type,
            generation: card.generation,
            kind: if card.is_residence_card {
                "residence"
            } else {
                "spr"
            },
            photo: card.face_image.is_some(),
        },
        certificate: v
            .certificate
            .as_ref()
            .map(|(subject, issuer, serial)| CertificateSummary {
                issuer,
                serial,
                subject,
            }),
        checked_at: at.to_rfc3339(),
        checks: &v.checks,
        fields: if v.genuine() { &card.fields } else { &[] },
        genuine: v.genuine(),
        not_covered_by_signature: &v.not_covered,
        reasons: &v.reasons,
        signature_covers: &v.covered,
        time_source,
        trust: trust_summary(trust),
    }
}

/// [`residence_answer`] as a JSON value (the counter page adds to it).
pub(crate) fn residence_json(
    card: &residence::ParsedResidence,
    v: &ResidenceVerdict,
    at: UnixTime,
    time_source: &str,
    trust: &TrustStore,
) -> Value {
    // Cannot fail: every key is a string and nothing in the answer refuses to serialize.
    serde_json::to_value(residence_answer(card, v, at, time_source, trust)).unwrap_or_default()
}

pub(crate) fn residence_outcome(v: &ResidenceVerdict) -> Outcome {
    Outcome {
        detail: Value::Null,
        method: "residence",
        result: if v.genuine() {
            "genuine"
        } else {
            "not_genuine"
        },
        reasons: v.reasons.iter().map(|r| r.code.to_string()).collect(),
        cert: v
            .certificate
            .as_ref()
            .map(|(_, issuer, serial)| (serial.clone(), issuer.clone())),
    }
}

/// A residence dump checked: the parsed card, its verdict, and the time it was checked at.
pub(crate) struct ResidenceChecked {
    pub(crate) card: residence::ParsedResidence,
    pub(crate) verdict: ResidenceVerdict,
    pub(crate) at: UnixTime,
    pub(crate) time_source: &'static str,
}

impl ResidenceChecked {
    /// The answer ([`residence_answer`]).
    pub(crate) fn answer(&self, trust: &TrustStore) -> ResidenceAnswer<'_> {
        residence_answer(&self.card, &self.verdict, self.at, self.time_source, trust)
    }
}

/// A residence dump from a request body, with the errors the service has always given: read in
/// place by [`ResidenceDump::from_slice`] (no JSON tree), except above the dump size limit,
/// which the service never applied (its body limit is [`crate::MAX_BODY`]): such a body is
/// still read through a JSON tree, as before.
fn residence_dump(body: &[u8]) -> Result<ResidenceDump, ApiError> {
    let not_dump = |e: DumpError| ApiError::bad(format!("not a residence-card dump: {e}"));
    if body.is_empty() || body.len() > MAX_DUMP_BYTES {
        return ResidenceDump::from_value(json_body(body)?).map_err(not_dump);
    }
    ResidenceDump::from_slice(body).map_err(|e| match e {
        // The same parser and message as `json_body`.
        DumpError::NotJson(m) => ApiError::bad(format!("the body is not JSON: {m}")),
        e => not_dump(e),
    })
}

/// What `POST /v1/residence` does with its body, without HTTP and audit: parse the dump, pick
/// the time (`at` as in the query; no `at` means the server clock), parse and verify the card.
/// Pure apart from the clock; every failure is a 400.
pub(crate) fn residence_check(
    body: &[u8],
    at: Option<&str>,
    trust: &TrustStore,
) -> Result<ResidenceChecked, ApiError> {
    let (card, at, time_source) = residence_parse(body, at)?;
    let verdict = residence::verify(&card, trust, at);
    Ok(ResidenceChecked {
        card,
        verdict,
        at,
        time_source,
    })
}

/// The first half of [`residence_check`]: the dump, the time, the parsed card.
fn residence_parse(
    body: &[u8],
    at: Option<&str>,
) -> Result<(residence::ParsedResidence, UnixTime, &'static str), ApiError> {
    let dump = residence_dump(body)?;
    let (at, time_source) = pick_time(at, Some(dump.read_at))?;
    let card = residence::parse(&dump.files)
        .map_err(|e| ApiError::bad(format!("the dump's card data is malformed: {e}")))?;
    Ok((card, at, time_source))
}

pub(crate) async fn residence(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    Query(q): Query<AtQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    need(&who, Scope::Residence)?;
    let (parsed, digest) =
        verify_sized(&body, move |b| residence_parse(b, q.at.as_deref())).await?;
    let (card, at, time_source) = parsed?;
    // Generation 1 is one RSA verification through OpenSSL (tens of µs): inline for small
    // bodies. Generation 2 is ECDSA P-384 in pure Rust under keys the client chooses, about a
    // millisecond per check, so it always goes to the blocking pool.
    let (card, verdict) = if card.generation == 1 && body.len() <= INLINE_VERIFY_MAX {
        let v = residence::verify(&card, &s.trust, at);
        (card, v)
    } else {
        let st = s.clone();
        tokio::task::spawn_blocking(move || {
            let v = residence::verify(&card, &st.trust, at);
            (card, v)
        })
        .await
        .map_err(ApiError::internal)?
    };
    let checked = ResidenceChecked {
        card,
        verdict,
        at,
        time_source,
    };
    let mut o = residence_outcome(&checked.verdict);
    o.detail = json!({"checked_at": checked.at.to_rfc3339(), "time_source": checked.time_source});
    let id = record_digest(&s, &who.key_id, digest, o).await?;
    let mut answer = checked.answer(&s.trust);
    answer.audit_id = Some(&id);
    Ok(Json(answer).into_response())
}

/// The text-AP answer; the My Number only when `show`.
pub(crate) fn text_json(v: &TextVerdict, show: bool, trust: &TrustStore) -> Value {
    let my_number = match (&v.my_number, show) {
        (Some(n), true) => json!(n),
        (Some(_), false) => json!("************"),
        (None, _) => Value::Null,
    };
    json!({
        "genuine": v.genuine(),
        "reasons": v.reasons.iter().map(|(c, m)| json!({"code": c, "message": m})).collect::<Vec<_>>(),
        "checks": v.checks,
        "basic_four": if v.genuine() { json!(v.basic) } else { Value::Null },
        "my_number": if v.genuine() { my_number } else { Value::Null },
        "my_number_shown": show && v.genuine() && v.my_number.is_some(),
        "issuer": v.proof().map(|p| p.get().issuer.clone()),
        "trust": trust_json(trust),
    })
}

pub(crate) fn text_outcome(method: &'static str, v: &TextVerdict) -> Outcome {
    verdict_outcome(method, v.genuine(), v.reasons.iter().map(|(c, _)| *c))
}

pub(crate) fn face_outcome(v: &SurfaceVerdict) -> Outcome {
    verdict_outcome(
        "mynumber-face",
        v.genuine(),
        v.reasons.iter().map(|(c, _)| *c),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShowQuery {
    show_my_number: Option<bool>,
}

/// `mynumber` for the card data; `?show_my_number=true` also needs `mynumber:number`.
fn my_number_wanted(who: &Caller, q: &ShowQuery) -> Result<bool, ApiError> {
    need(who, Scope::Mynumber)?;
    let want = q.show_my_number.unwrap_or(false);
    if want {
        need(who, Scope::MynumberNumber)?;
    }
    Ok(want)
}

/// The audit outcome of a verdict about card data.
pub(crate) fn verdict_outcome<'a>(
    method: &'static str,
    genuine: bool,
    reasons: impl IntoIterator<Item = &'a str>,
) -> Outcome {
    Outcome {
        detail: Value::Null,
        method,
        result: if genuine { "genuine" } else { "not_genuine" },
        reasons: reasons.into_iter().map(str::to_string).collect(),
        cert: None,
    }
}

/// What `POST /v1/mynumber/text` does with its body, without HTTP and audit.
pub(crate) fn text_check(
    body: &[u8],
    show: bool,
    trust: &TrustStore,
) -> Result<(TextVerdict, Value), ApiError> {
    let dump = TextDump::from_value(json_body(body)?)
        .map_err(|e| ApiError::bad(format!("not a My Number text-AP dump: {e}")))?;
    let v = verify_text(&dump.files, trust)
        .map_err(|e| ApiError::bad(format!("the dump's card data is malformed: {e}")))?;
    let answer = text_json(&v, show, trust);
    Ok((v, answer))
}

pub(crate) async fn mynumber_text(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    Query(q): Query<ShowQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let want = my_number_wanted(&who, &q)?;
    let st = s.clone();
    let (checked, digest) = verify_sized(&body, move |b| text_check(b, want, &st.trust)).await?;
    let (v, mut answer) = checked?;
    let mut o = text_outcome("mynumber-text", &v);
    o.detail = json!({"my_number_returned": want && v.genuine() && v.my_number.is_some()});
    let id = record_digest(&s, &who.key_id, digest, o).await?;
    crate::api::set(&mut answer, "audit_id", json!(id));
    Ok(Json(answer).into_response())
}

/// The card-face answer; the My Number image only when `show`.
pub(crate) fn face_json(v: &SurfaceVerdict, show: bool, trust: &TrustStore) -> Value {
    let g = v.genuine();
    let face = v.face.as_ref().filter(|_| g);
    let png = |b: &[u8]| match jpid_image::to_png(b) {
        Ok(i) => json!(B64.encode(i.png)),
        Err(e) => json!({"error": e.to_string()}),
    };
    json!({
        "genuine": g,
        "reasons": v.reasons.iter().map(|(c, m)| json!({"code": c, "message": m})).collect::<Vec<_>>(),
        "checks": v.checks,
        "birth_date": face.map(|f| f.birth_date.as_str().to_string())
            .or_else(|| v.birth.as_ref().filter(|_| g).map(|b| b.birth_date.as_str().to_string())),
        "sex": face.map(|f| f.sex.as_str().to_string()),
        "expiry": face.map(|f| f.expiry.as_str().to_string()),
        "not_covered_by_signature": v.unsigned,
        "images_png_base64": face.map(|f| json!({
            "face": png(&f.photo),
            "name": png(&f.name_image),
            "address": png(&f.address_image),
            "security_code": png(&f.security_code_image),
        })),
        "my_number_image_png_base64": match (v.my_number_image.as_ref().filter(|_| g), show) {
            (Some(m), true) => png(&m.image),
            _ => Value::Null,
        },
        "trust": trust_json(trust),
    })
}

/// What `POST /v1/mynumber/face` does with its body, without HTTP and audit.
pub(crate) fn face_check(
    body: &[u8],
    show: bool,
    trust: &TrustStore,
) -> Result<(SurfaceVerdict, Value), ApiError> {
    let dump = FaceDump::from_value(json_body(body)?)
        .map_err(|e| ApiError::bad(format!("not a My Number card-face dump: {e}")))?;
    let v = verify_surface(&dump.files, trust)
        .map_err(|e| ApiError::bad(format!("the dump's card data is malformed: {e}")))?;
    let answer = face_json(&v, show, trust);
    Ok((v, answer))
}

pub(crate) async fn mynumber_face(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    Query(q): Query<ShowQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let want = my_number_wanted(&who, &q)?;
    let st = s.clone();
    let input = body.clone();
    // Always off the async threads, whatever the body's size: the answer decodes the card's
    // JPEG 2000 and TIFF images, whose cost follows the dimensions they declare, not their
    // size in bytes (see `jpid_image::Limits`), so [`INLINE_VERIFY_MAX`] bounds nothing here.
    let (v, mut answer) = tokio::task::spawn_blocking(move || face_check(&input, want, &st.trust))
        .await
        .map_err(ApiError::internal)??;
    let id = record(&s, &who.key_id, &body, face_outcome(&v)).await?;
    crate::api::set(&mut answer, "audit_id", json!(id));
    Ok(Json(answer).into_response())
}

/// Takes one token from `key`'s bucket.
fn take_token(s: &AppState, key: &str) -> bool {
    let mut b = lock(&s.buckets);
    if b.len() > 10_000 {
        b.clear();
    }
    let burst = s.challenge_rate * 5.0;
    let e = b.entry(key.to_string()).or_insert((burst, Instant::now()));
    let refill = e.1.elapsed().as_secs_f64() * s.challenge_rate;
    e.0 = (e.0 + refill).min(burst);
    e.1 = Instant::now();
    if e.0 >= 1.0 {
        e.0 -= 1.0;
        true
    } else {
        false
    }
}

pub(crate) async fn challenge(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    need(&who, Scope::Jpki)?;
    if !body.is_empty() && body.as_ref() != b"{}" {
        return Err(ApiError::bad("a challenge request has no body (or `{}`)"));
    }
    if !take_token(&s, &who.key_id) {
        return Err(ApiError::rate_limited(format!(
            "more than {} challenges per second for this key; retry shortly",
            s.challenge_rate
        )));
    }
    let mut nonce = [0u8; 32];
    getrandom::getrandom(&mut nonce).map_err(ApiError::internal)?;
    let id = crate::audit::new_id().map_err(ApiError::internal)?;
    {
        let mut c = lock(&s.challenges);
        if c.len() >= MAX_CHALLENGES {
            c.retain(|_, (_, exp, _)| *exp > Instant::now());
            if c.len() >= MAX_CHALLENGES {
                return Err(ApiError::rate_limited(
                    "too many challenges outstanding; retry shortly",
                ));
            }
        }
        c.insert(
            id.clone(),
            (nonce, Instant::now() + s.challenge_ttl, who.key_id.clone()),
        );
    }
    Ok(Json(json!({
        "challenge_id": id,
        "nonce": B64.encode(nonce),
        "expires_in": s.challenge_ttl.as_secs(),
        "sign_with": "the JPKI user-authentication key: RSASSA-PKCS1-v1_5 over DigestInfo(SHA-256(nonce bytes)), e.g. `jpid jpki sign --key auth --raw --in nonce.bin`",
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    challenge_id: String,
    signature: String,
    certificate: String,
}

/// A login body, decoded (the signature and certificate out of base64).
pub(crate) struct LoginInput {
    pub(crate) challenge_id: String,
    pub(crate) signature: Vec<u8>,
    pub(crate) certificate: Vec<u8>,
}

/// Parses a `POST /v1/jpki/login` body.
pub(crate) fn login_input(body: &[u8]) -> Result<LoginInput, ApiError> {
    let req: LoginRequest = typed(body)?;
    Ok(LoginInput {
        signature: b64("signature", &req.signature, 1024)?,
        certificate: b64("certificate", &req.certificate, 16 * 1024)?,
        challenge_id: req.challenge_id,
    })
}

/// Checks a login answer to the challenge `nonce`: the reasons it fails (none when it passes)
/// and the certificate's verdict, when the certificate could be parsed.
pub(crate) fn login_verdict(
    nonce: &[u8; 32],
    input: &LoginInput,
    trust: &TrustStore,
    at: UnixTime,
    policy: RevocationPolicy<'_>,
) -> (Vec<(String, String)>, Option<SignatureVerdict>) {
    let digest: [u8; 32] = Sha256::digest(nonce).into();
    let mut reasons = Vec::new();
    match verify_raw(
        &digest,
        &input.signature,
        &input.certificate,
        trust,
        at,
        policy,
    ) {
        Ok(v) => {
            reasons.extend(v.reasons.iter().map(|(c, m)| (c.to_string(), m.clone())));
            if v.valid() && v.purpose != Some(Purpose::JpkiAuth) {
                reasons.push((
                    "not_auth_certificate".into(),
                    "login needs the user-authentication certificate, not the signature certificate".into(),
                ));
            }
            (reasons, Some(v))
        }
        Err(e) => {
            reasons.push(("certificate_malformed".into(), e.to_string()));
            (reasons, None)
        }
    }
}

fn cert_json(v: &SignatureVerdict) -> Value {
    json!({
        "subject": v.certificate.subject,
        "issuer": v.certificate.issuer,
        "serial": v.certificate.serial,
        "not_before": v.certificate.validity.0.to_rfc3339(),
        "not_after": v.certificate.validity.1.to_rfc3339(),
    })
}

/// With CRLs configured, revocation is required: an unknown status (no CRL for the issuer, an
/// expired CRL, a bad CRL signature) makes the answer negative, never silently positive.
fn policy(crls: Option<&jpid_verify::CrlStore>) -> RevocationPolicy<'_> {
    match crls {
        Some(c) => RevocationPolicy::Required(c),
        None => RevocationPolicy::NotChecked,
    }
}

fn revocation_json(v: Option<&SignatureVerdict>, configured: bool) -> Value {
    if !configured {
        return json!({
            "checked": false,
            "status": "not_checked",
            "why": "no CRL source is configured for this service (jpid serve --crl-dir); revocation was NOT checked",
        });
    }
    match v.map(|v| &v.certificate.revocation) {
        Some(st) => json!({
            "checked": st.checked(),
            "status": st.code(),
            "detail": st.to_string(),
        }),
        None => {
            json!({"checked": false, "status": "not_checked", "why": "no certificate was checked"})
        }
    }
}

pub(crate) async fn login(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    need(&who, Scope::Jpki)?;
    let req = login_input(&body)?;
    // Single use: the challenge is gone whatever happens next.
    // A challenge answers only for the key that asked for it.
    let taken = {
        let mut c = lock(&s.challenges);
        match c.get(&req.challenge_id) {
            Some((_, _, owner)) if *owner == who.key_id => c.remove(&req.challenge_id),
            _ => None,
        }
    }
    .map(|(nonce, exp, _)| (nonce, exp));
    let at = server_now();
    let mut reasons: Vec<(String, String)> = Vec::new();
    let mut verdict = None;
    match taken {
        None => reasons.push((
            "challenge_unknown".into(),
            "no such challenge: never issued, already used, or the service restarted".into(),
        )),
        Some((_, exp)) if exp <= Instant::now() => reasons.push((
            "challenge_expired".into(),
            format!(
                "the challenge expired ({} s to answer)",
                s.challenge_ttl.as_secs()
            ),
        )),
        Some((nonce, _)) => {
            let crls = s.crl_store();
            let (r, v) = login_verdict(&nonce, &req, &s.trust, at, policy(crls.as_deref()));
            reasons.extend(r);
            verdict = v;
        }
    }
    let ok = reasons.is_empty() && verdict.as_ref().is_some_and(SignatureVerdict::valid);
    let cert = verdict
        .as_ref()
        .map(|v| (v.certificate.serial.clone(), v.certificate.issuer.clone()));
    let id = record(
        &s,
        &who.key_id,
        &body,
        Outcome {
            detail: json!({"checked_at": at.to_rfc3339()}),
            method: "jpki-login",
            result: if ok { "authenticated" } else { "rejected" },
            reasons: reasons.iter().map(|(c, _)| c.clone()).collect(),
            cert,
        },
    )
    .await?;
    Ok(Json(json!({
        "audit_id": id,
        "authenticated": ok,
        "reasons": reasons.iter().map(|(c, m)| json!({"code": c, "message": m})).collect::<Vec<_>>(),
        "certificate": verdict.as_ref().map(cert_json),
        "revocation": revocation_json(verdict.as_ref(), s.crls.is_some()),
        "checked_at": at.to_rfc3339(),
        "trust": trust_json(&s.trust),
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureRequest {
    /// The signed content, base64.
    data: Option<String>,
    /// Or its SHA-256, hex.
    digest_sha256: Option<String>,
    /// A bare PKCS#1 v1.5 signature, base64 (needs `certificate`).
    signature: Option<String>,
    /// Or a detached CMS SignedData, base64 DER.
    cms: Option<String>,
    /// The signer certificate, base64 DER (raw signatures only).
    certificate: Option<String>,
}

/// What `POST /v1/jpki/signature` does with its body, without HTTP and audit: the content's
/// digest, then a raw or CMS signature check.
pub(crate) fn signature_check(
    body: &[u8],
    trust: &TrustStore,
    at: UnixTime,
    policy: RevocationPolicy<'_>,
) -> Result<SignatureVerdict, ApiError> {
    let req: SignatureRequest = typed(body)?;
    let digest: [u8; 32] = match (&req.data, &req.digest_sha256) {
        (Some(d), None) => Sha256::digest(b64("data", d, crate::MAX_BODY)?).into(),
        (None, Some(h)) => hex::decode(h.trim())
            .ok()
            .and_then(|v| <[u8; 32]>::try_from(v).ok())
            .ok_or_else(|| ApiError::bad("digest_sha256 must be 64 hex digits"))?,
        _ => {
            return Err(ApiError::bad(
                "give exactly one of data (base64) or digest_sha256 (hex)",
            ))
        }
    };
    match (&req.signature, &req.cms, &req.certificate) {
        (Some(sig), None, Some(cert)) => verify_raw(
            &digest,
            &b64("signature", sig, 1024)?,
            &b64("certificate", cert, 16 * 1024)?,
            trust,
            at,
            policy,
        ),
        (None, Some(cms), None) => {
            verify_cms(&digest, &b64("cms", cms, 64 * 1024)?, trust, at, policy)
        }
        _ => {
            return Err(ApiError::bad(
                "give signature with certificate (raw PKCS#1 v1.5), or cms alone (detached CMS carrying the signer certificate)",
            ))
        }
    }
    .map_err(|e| ApiError::bad(format!("cannot verify: {e}")))
}

pub(crate) async fn signature(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    need(&who, Scope::Jpki)?;
    let at = server_now();
    let st = s.clone();
    let (checked, digest) = verify_sized(&body, move |b| {
        let crls = st.crl_store();
        signature_check(b, &st.trust, at, policy(crls.as_deref()))
    })
    .await?;
    let v = checked?;
    let id = record_digest(
        &s,
        &who.key_id,
        digest,
        Outcome {
            detail: json!({"checked_at": at.to_rfc3339()}),
            method: "jpki-signature",
            result: if v.valid() { "valid" } else { "invalid" },
            reasons: v.reasons.iter().map(|(c, _)| c.to_string()).collect(),
            cert: Some((v.certificate.serial.clone(), v.certificate.issuer.clone())),
        },
    )
    .await?;
    Ok(Json(json!({
        "audit_id": id,
        "valid": v.valid(),
        "signature_ok": v.signature_ok,
        "key": v.purpose.map(|p| p.id()),
        "reasons": v.reasons.iter().map(|(c, m)| json!({"code": c, "message": m})).collect::<Vec<_>>(),
        "certificate": cert_json(&v),
        "holder": if v.valid() { json!(v.holder) } else { json!([]) },
        "revocation": revocation_json(Some(&v), s.crls.is_some()),
        "checked_at": at.to_rfc3339(),
        "trust": trust_json(&s.trust),
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgeRequest {
    over: u8,
    at: Option<String>,
    text_dump: Option<Value>,
    face_dump: Option<Value>,
}

/// Whole years between `birth` (YYYYMMDD) and `on` (y, m, d).
pub(crate) fn age_on(birth: &str, on: (i64, u64, u64)) -> Option<i64> {
    if birth.len() != 8 || !birth.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i64 = birth.get(0..4)?.parse().ok()?;
    let m: u64 = birth.get(4..6)?.parse().ok()?;
    let d: u64 = birth.get(6..8)?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut age = on.0 - y;
    if (on.1, on.2) < (m, d) {
        age -= 1;
    }
    Some(age)
}

/// What `POST /v1/age` found: the question, the day, how, and the answer.
pub(crate) struct AgeAnswer {
    pub(crate) over: u8,
    pub(crate) on: UnixTime,
    pub(crate) method: &'static str,
    pub(crate) genuine: bool,
    /// Whole years on `on`, only when the dump is genuine.
    pub(crate) years: Option<i64>,
    pub(crate) reasons: Vec<(String, String)>,
}

/// What `POST /v1/age` does with its body, without HTTP and audit; `now` is the server clock.
pub(crate) fn age_check(
    body: &[u8],
    trust: &TrustStore,
    now: UnixTime,
) -> Result<AgeAnswer, ApiError> {
    let req: AgeRequest = typed(body)?;
    let on = match req.at.as_deref() {
        None => now,
        Some(t) => UnixTime::parse(t)
            .ok_or_else(|| ApiError::bad(format!("at={t:?} is not YYYY-MM-DD")))?,
    };
    // A date in the future would make anyone "over N" (and, varied, narrow down a birth date).
    if on.0 > now.0 + 86_400 {
        return Err(ApiError::bad(
            "at is in the future: an age counts on today or an earlier date",
        ));
    }
    // (method, genuine, birth date when genuine, reasons)
    type Found = (&'static str, bool, Option<String>, Vec<(String, String)>);
    let (method, genuine, birth, reasons): Found = match (req.text_dump, req.face_dump) {
        (Some(d), None) => {
            let dump =
                TextDump::from_value(d).map_err(|e| ApiError::bad(format!("text_dump: {e}")))?;
            let v = verify_text(&dump.files, trust)
                .map_err(|e| ApiError::bad(format!("text_dump's card data is malformed: {e}")))?;
            let birth = v
                .basic
                .as_ref()
                .filter(|_| v.genuine())
                .map(|b| b.birth_date.clone());
            let r = v.reasons.iter().map(|(c, m)| (c.to_string(), m.clone())).collect();
            ("text", v.genuine(), birth, r)
        }
        (None, Some(d)) => {
            let dump =
                FaceDump::from_value(d).map_err(|e| ApiError::bad(format!("face_dump: {e}")))?;
            if dump.files.birth.is_none() {
                return Err(ApiError::bad(
                    "face_dump has no birth record (EF 0001; `jpid mynumber birth-date --out DIR` writes one)",
                ));
            }
            // Only the birth record counts: nothing else of the card face is looked at.
            let files = jpid_verify::surface::SurfaceFiles {
                birth: dump.files.birth,
                face: None,
                info: None,
                cvc: dump.files.cvc,
                my_number_image: None,
            };
            let v = verify_surface(&files, trust)
                .map_err(|e| ApiError::bad(format!("face_dump's card data is malformed: {e}")))?;
            let birth = v
                .birth
                .as_ref()
                .filter(|_| v.genuine())
                .map(|b| b.birth_date.as_str().to_string());
            let r = v.reasons.iter().map(|(c, m)| (c.to_string(), m.clone())).collect();
            ("surface-dob", v.genuine(), birth, r)
        }
        _ => {
            return Err(ApiError::bad(
                "give exactly one of text_dump (jpid.mynumber-text-dump) or face_dump (jpid.mynumber-face-dump with the birth record)",
            ))
        }
    };
    let years = birth.as_deref().and_then(|b| age_on(b, on.date()));
    Ok(AgeAnswer {
        over: req.over,
        on,
        method,
        genuine,
        years,
        reasons,
    })
}

pub(crate) async fn age(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    need(&who, Scope::Age)?;
    let st = s.clone();
    let (checked, age_digest) =
        verify_sized(&body, move |b| age_check(b, &st.trust, server_now())).await?;
    let AgeAnswer {
        over,
        on,
        method,
        genuine,
        years,
        reasons,
    } = checked?;
    let is_over = years.map(|a| a >= i64::from(over));
    let id = record_digest(
        &s,
        &who.key_id,
        age_digest,
        Outcome {
            detail: json!({"over": over, "on": on.to_rfc3339().get(..10), "method": method}),
            method: "age",
            result: match is_over {
                Some(true) => "over",
                Some(false) => "not_over",
                None => "not_genuine",
            },
            reasons: reasons.iter().map(|(c, _)| c.clone()).collect(),
            cert: None,
        },
    )
    .await?;
    // Only the answer: no name, no address, no birth date, no My Number.
    Ok(Json(json!({
        "audit_id": id,
        "over": over,
        "is_over": is_over,
        "method": method,
        "genuine": genuine,
        "reasons": reasons.iter().map(|(c, m)| json!({"code": c, "message": m})).collect::<Vec<_>>(),
        "on": on.to_rfc3339().get(..10),
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HistoryQuery {
    limit: Option<u32>,
}

pub(crate) async fn history(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, ApiError> {
    need(&who, Scope::Audit)?;
    let rows = s
        .store
        .history(q.limit.unwrap_or(100))
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(json!({"records": rows})).into_response())
}

pub(crate) async fn audit_one(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    need(&who, Scope::Audit)?;
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::bad("an audit id is 32 hex digits"));
    }
    match s
        .store
        .audit_record(&id)
        .await
        .map_err(ApiError::internal)?
    {
        Some(r) => Ok(Json(json!({"record": r})).into_response()),
        None => Err(ApiError {
            status: axum::http::StatusCode::NOT_FOUND,
            kind: "not_found",
            message: format!("no audit record {id}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `residence_dump` reads in place, but refuses exactly what the JSON-tree path refused, with
    /// the same messages.
    #[test]
    fn residence_dump_errors_are_those_of_the_json_tree_path() {
        let tree = |b: &[u8]| {
            ResidenceDump::from_value(json_body(b)?)
                .map_err(|e| ApiError::bad(format!("not a residence-card dump: {e}")))
        };
        let good = br#"{"schema":"jpid.residence-dump","schema_version":1,"read_at":"2026-01-02T03:04:05Z","files":{"mf.common":"AAE="}}"#;
        let bodies: [&[u8]; 10] = [
            b"",
            b"{\"schema\":",
            b"[]",
            b"{\"schema\":\"jpid.residence-dump\",\"schema_version\":9}",
            br#"{"schema":"jpid.residence-dump","schema_version":1,"read_at":"2026-01-02T03:04:05Z","files":{"mf.common":"!!"}}"#,
            br#"{"schema":"jpid.residence-dump","schema_version":1,"read_at":"2026-01-02T03:04:05Z","files":{"nope":"AAE="}}"#,
            br#"{"schema":"jpid.residence-dump","schema_version":1,"read_at":"yesterday","files":{}}"#,
            br#"{"schema":"jpid.residence-dump","schema_version":1,"read_at":"2026-01-02T03:04:05Z","files":{"mf.common":"AAE="}} x"#,
            br#"{"schema":"jpid.residence-dump","schema_version":1,"read_at":"2026-01-02T03:04:05Z","files":{"mf.common":"\u0041AE="}}"#,
            good,
        ];
        for b in bodies {
            match (residence_dump(b), tree(b)) {
                (Ok(a), Ok(t)) => assert_eq!(a.files.0, t.files.0),
                (Err(a), Err(t)) => assert_eq!(a.message, t.message),
                (a, t) => panic!(
                    "{:?}: {:?} vs {:?}",
                    String::from_utf8_lossy(b),
                    a.map(|_| ()).map_err(|e| e.message),
                    t.map(|_| ()).map_err(|e| e.message)
                ),
            }
        }
        assert!(residence_dump(good).is_ok());
    }

    #[test]
    fn ages_count_whole_years_on_the_birthday() {
        assert_eq!(age_on("20060101", (2026, 1, 1)), Some(20));
        assert_eq!(age_on("20060102", (2026, 1, 1)), Some(19));
        assert_eq!(age_on("2006010", (2026, 1, 1)), None);
        assert_eq!(age_on("20061301", (2026, 1, 1)), None);
    }
}
