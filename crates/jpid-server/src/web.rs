//! The counter page: staff sign in with an API key (kept in an HttpOnly, SameSite=Strict
//! session cookie, never in a URL), choose the card kind, type the card number or PIN into a form,
//! and see the face photo, the fields and a GENUINE / NOT GENUINE verdict. The card is read with
//! the server's own reader (`jpid serve --reader`). Labels are Japanese and English.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use jpid_verify::residence;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::api::{record, residence_json, residence_outcome, text_json, text_outcome};
use crate::auth::Caller;
use crate::counter::TextKeyKind;
use crate::error::ApiError;
use crate::{lock, need, AppState, CounterReader, ReadError, Scope};

const COOKIE: &str = "jpid_session";
const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
/// Most counter sessions open at once (memory bound).
const MAX_SESSIONS: usize = 10_000;
const PAGE: &str = include_str!("page.html");
const LOGIN: &str = include_str!("login.html");

/// A Content-Security-Policy allowing exactly the page's own inline `<script>` and `<style>`
/// blocks (by hash), images from data: URLs, and requests to this origin only.
fn csp(html: &str) -> String {
    let hashes = |open: &str, close: &str| {
        let mut out = String::new();
        let mut rest = html;
        while let Some(i) = rest.find(open) {
            let after = rest.get(i + open.len()..).unwrap_or_default();
            let Some(j) = after.find(close) else { break };
            let body = after.get(..j).unwrap_or_default();
            let d = <sha2::Sha256 as sha2::Digest>::digest(body.as_bytes());
            out.push_str(&format!(" 'sha256-{}'", B64.encode(d)));
            rest = after.get(j..).unwrap_or_default();
        }
        if out.is_empty() {
            out.push_str(" 'none'");
        }
        out
    };
    format!(
        "default-src 'none'; script-src{}; style-src{}; img-src data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        hashes("<script>", "</script>"),
        hashes("<style>", "</style>")
    )
}

fn html(status: StatusCode, body: String) -> Response {
    let policy = csp(&body);
    let mut resp = (status, Html(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&policy) {
        resp.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    resp
}

/// The key id of the session behind the request's cookie, if any and not expired. (Whether the
/// key is still valid is checked by the caller, on every request.)
pub(crate) fn session(s: &AppState, headers: &HeaderMap) -> Option<String> {
    let token = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())?;
    let mut m = lock(&s.sessions);
    match m.get(&token) {
        Some((c, exp)) if *exp > Instant::now() => Some(c.clone()),
        Some(_) => {
            m.remove(&token);
            None
        }
        None => None,
    }
}

pub(crate) async fn page(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let valid = match session(&s, &headers) {
        Some(id) => s.keys.check_id(&id).await.is_ok(),
        None => false,
    };
    match valid {
        true => html(StatusCode::OK, PAGE.to_string()),
        // Not signed in: nothing but the sign-in form, with 401.
        false => html(StatusCode::UNAUTHORIZED, LOGIN.to_string()),
    }
}

fn form_value(body: &[u8], name: &str) -> Option<Zeroizing<String>> {
    let text = std::str::from_utf8(body).ok()?;
    for pair in text.split('&') {
        let (k, v) = pair.split_once('=')?;
        if k == name {
            // API keys are [a-z0-9_], pairing codes letters, digits and dashes (a space comes
            // as `+`): anything else that needs decoding is neither.
            if v.is_empty() {
                return None;
            }
            if v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
            {
                return Some(Zeroizing::new(v.replace('+', " ")));
            }
            return None;
        }
    }
    None
}

/// A state-changing request from another site's page carries that site's Origin: refuse it.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Not sent by browsers on same-origin form posts in every case; a cross-site post
        // always carries it.
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|o| o == host)
}

pub(crate) async fn login(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fail = |why: &str| {
        html(
            StatusCode::UNAUTHORIZED,
            LOGIN.replace("<!--error-->", &format!("<p class=\"bad\">{why}</p>")),
        )
    };
    if !same_origin(&headers) {
        return ApiError::forbidden("sign-in from another site's page is refused").into_response();
    }
    // A pairing code from the administrator (`jpid serve keys pair`), or the key itself.
    let signed_in = match (form_value(&body, "code"), form_value(&body, "key")) {
        (Some(code), _) => s.keys.redeem(&code, crate::store::now()).await.map_err(|e| match e {
            crate::auth::AuthError::Store(e) => {
                log::error!("pairing sign-in: key store: {e}");
                "サインインできませんでした（サーバーの記録が読めません）。少し待ってからもう一度お試しください。 / Signing in failed (the server cannot read its records). Wait a moment and try again."
            }
            _ => "ペアリングコードが受け付けられませんでした（期限切れ・使用済み・入力の誤り）。管理者に新しいコードを依頼してください。 / The pairing code was not accepted (expired, used, or mistyped). Ask your administrator for a new one.",
        }),
        (None, Some(key)) => s
            .keys
            .check(&key)
            .await
            .map_err(|_| "キーが受け付けられませんでした。 / The key was not accepted."),
        (None, None) => Err(
            "ペアリングコードかキーを入力してください。 / Type a pairing code or a key.",
        ),
    };
    let c = match signed_in {
        Ok(c) => c,
        Err(why) => return fail(why),
    };
    if !c.has(Scope::Counter) {
        return fail(
            "このキーには窓口（counter）権限がありません。 / This key has no counter scope.",
        );
    }
    let mut raw = [0u8; 32];
    if getrandom::getrandom(&mut raw).is_err() {
        return ApiError::internal("no randomness for a session").into_response();
    }
    let token = hex::encode(raw);
    {
        let mut m = lock(&s.sessions);
        if m.len() >= MAX_SESSIONS {
            m.retain(|_, (_, exp)| *exp > Instant::now());
        }
        if m.len() >= MAX_SESSIONS {
            return ApiError::unavailable(
                "too many open counter sessions; sign out elsewhere or retry later",
            )
            .into_response();
        }
        m.insert(token.clone(), (c.key_id, Instant::now() + SESSION_TTL));
    }
    let cookie = format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        SESSION_TTL.as_secs()
    );
    let mut resp = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

pub(crate) async fn logout(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if !same_origin(&headers) {
        return ApiError::forbidden("sign-out from another site's page is refused").into_response();
    }
    if let Some(v) = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()) {
        for kv in v.split(';') {
            if let Some((k, t)) = kv.trim().split_once('=') {
                if k == COOKIE {
                    lock(&s.sessions).remove(t);
                }
            }
        }
    }
    let mut resp = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("jpid_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    resp
}

/// What the counter page asked for. The secret (PIN or 照合番号B) is wiped when dropped.
pub(crate) struct ReadRequest {
    pub(crate) kind: String,
    pub(crate) card_number: Option<String>,
    pub(crate) secret: Option<Zeroizing<String>>,
    pub(crate) force: bool,
}

impl ReadRequest {
    /// Parses the body by hand: serde's messages quote the offending value, and that value may
    /// be a PIN. Every message here names the field only.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let v: Value = serde_json::from_slice(body)
            .map_err(|_| ApiError::bad("the request is not a JSON object"))?;
        let Value::Object(mut m) = v else {
            return Err(ApiError::bad("the request is not a JSON object"));
        };
        let text = |m: &mut serde_json::Map<String, Value>, k: &str| match m.remove(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.len() <= 64 => Ok(Some(s)),
            Some(_) => Err(ApiError::bad(format!("{k} must be a short string"))),
        };
        let kind = text(&mut m, "kind")?.ok_or_else(|| ApiError::bad("kind is missing"))?;
        let card_number = text(&mut m, "card_number")?;
        let secret = text(&mut m, "pin")?.map(Zeroizing::new);
        let force = match m.remove("force") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => b,
            Some(_) => return Err(ApiError::bad("force must be true or false")),
        };
        // The field's name is the client's: never quoted back.
        if !m.is_empty() {
            return Err(ApiError::bad(
                "an unknown field (expected kind, card_number, pin, force)",
            ));
        }
        Ok(Self {
            kind,
            card_number,
            secret,
            force,
        })
    }
}

fn png_data_url(bytes: Option<&Vec<u8>>) -> Value {
    match bytes.map(|b| jpid_image::to_png(b)) {
        Some(Ok(img)) => json!(format!("data:image/png;base64,{}", B64.encode(img.png))),
        Some(Err(e)) => json!({"error": e.to_string()}),
        None => Value::Null,
    }
}

/// SHA-256 over the files read (with their names): what the audit record's `input_sha256`
/// holds for a counter read. Never the card number or the PIN, which a short guess list would
/// recover from a hash.
fn files_digest<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Vec<u8> {
    let mut h = <sha2::Sha256 as sha2::Digest>::new();
    for (name, bytes) in files {
        sha2::Digest::update(&mut h, name.as_bytes());
        sha2::Digest::update(&mut h, (bytes.len() as u64).to_be_bytes());
        sha2::Digest::update(&mut h, bytes);
    }
    sha2::Digest::finalize(h).to_vec()
}

/// Runs `work` with the card reader, one read at a time. The lock is taken inside the blocking
/// task, so a request that times out cannot release the reader while its read still runs.
async fn with_reader<T: Send + 'static>(
    s: &AppState,
    work: impl FnOnce(&dyn CounterReader) -> Result<T, ReadOrVerifyError> + Send + 'static,
) -> Result<T, Failed> {
    let Some((_, reader)) = s.reader.clone() else {
        // The clerk is told to call IT; the log says what IT should do.
        log::error!("a counter read was asked for, but this server has no card reader (start it with --reader pcsc or --reader sim:KIND)");
        return Err(Failed::card("reader_unavailable", None));
    };
    let lock = s.reader_lock.clone();
    tokio::task::spawn_blocking(move || {
        let _held = lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        work(reader.as_ref())
    })
    .await
    .map_err(|e| Failed::other(ApiError::internal(e)))?
    .map_err(|e| {
        // The reader's own sentence is for IT (it may name flags and card internals): the log.
        log::info!("counter read failed: {e}");
        match &e {
            ReadOrVerifyError::Read(r) => Failed::card(
                r.kind.id(),
                match r.kind {
                    crate::ReadErrorKind::WrongPin { remaining } => Some(remaining),
                    crate::ReadErrorKind::PinLastTry => Some(1),
                    crate::ReadErrorKind::PinBlocked => Some(0),
                    _ => None,
                },
            ),
            ReadOrVerifyError::Malformed(_) => Failed::card("malformed", None),
        }
    })
}

/// A counter read that produced no verdict: the reason its audit record names, the tries left
/// when the card said, and for failures that are not the card's, the answer to send.
struct Failed {
    reason: &'static str,
    tries_left: Option<u8>,
    error: Option<ApiError>,
}

impl Failed {
    fn other(error: ApiError) -> Self {
        Self {
            reason: error.kind,
            tries_left: None,
            error: Some(error),
        }
    }

    fn card(reason: &'static str, tries_left: Option<u8>) -> Self {
        Self {
            reason,
            tries_left,
            error: None,
        }
    }
}

impl From<ApiError> for Failed {
    fn from(error: ApiError) -> Self {
        Self::other(error)
    }
}

/// What the counter asked the holder to type, as the clerk's sentences name it.
#[derive(Clone, Copy)]
enum Secret {
    CardNumber,
    Pin,
    KeyB,
}

/// A failed read in the clerk's terms: Japanese first, then English, each saying what to do
/// next. Never a command-line flag, never a card internal (those go to the log).
fn clerk_words(reason: &str, secret: Secret, tries: Option<u8>) -> (String, String) {
    let (what_ja, what_en) = match secret {
        Secret::CardNumber => ("在留カード番号", "card number"),
        Secret::Pin => ("暗証番号", "PIN"),
        Secret::KeyB => ("照合番号B", "照合番号B"),
    };
    let left = |n: Option<u8>| n.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
    match reason {
        "bad_input" => match secret {
            Secret::CardNumber => (
                "在留カード番号は12桁（英字2桁・数字8桁・英字2桁）です。券面右上の番号を入力し直してください。".into(),
                "The card number has 12 characters (2 letters, 8 digits, 2 letters). Type the number at the card's top right again.".into(),
            ),
            Secret::Pin => (
                "暗証番号は数字4桁です。ご本人にもう一度入力していただいてください。カードには何も送っていません。".into(),
                "The PIN is 4 digits. Ask the holder to type it again. Nothing was sent to the card.".into(),
            ),
            Secret::KeyB => (
                "照合番号Bは数字14桁です（生年月日の和暦6桁＋有効期限の西暦4桁＋セキュリティコード4桁）。カードには何も送っていません。".into(),
                "照合番号B is 14 digits (birth date as era YYMMDD, expiry year, security code). Nothing was sent to the card.".into(),
            ),
        },
        "wrong_card_number" => (
            "在留カード番号がカードと一致しません。券面の番号を確かめて入力し直してください。".into(),
            "The card number does not match the card. Check the number on the card and type it again.".into(),
        ),
        "wrong_pin" => (
            format!("{what_ja}が違います（残り{}回）。ご本人に確かめていただき、もう一度入力してください。", left(tries)),
            format!("Wrong {what_en} ({} tries left). Ask the holder to check it and type it again.", left(tries)),
        ),
        "pin_last_try" => (
            format!("{what_ja}の残りは1回です。間違えるとカードがロックされ、市区町村の窓口での手続きが必要になります。ご本人が確実に覚えている場合だけ、「最後の1回を使う」に印を付けてもう一度読み取ってください。"),
            format!("One {what_en} try is left. A wrong entry locks the card until the holder visits their municipality. Only if the holder is sure, tick \"Use the last try\" and read again."),
        ),
        "pin_blocked" => (
            format!("{what_ja}がロックされています。このカードはここでは確認できません。ご本人に、お住まいの市区町村の窓口でロックの解除を受けるようご案内ください。"),
            format!("The {what_en} is locked. This card cannot be checked here. Send the holder to their municipality's office to unlock it."),
        ),
        "no_card" => (
            "カードが読み取り機にありません（または読み取り中に離れました）。カードを読み取り機に置いたまま、もう一度「読み取って確認」を押してください。".into(),
            "No card on the reader (or it was moved during the read). Leave the card on the reader and press \"Read and verify\" again.".into(),
        ),
        "reader_unavailable" => (
            "カード読み取り機が使えません。読み取り機の接続を確かめ、直らなければシステム担当者に連絡してください。".into(),
            "The card reader cannot be used. Check that it is connected; if that does not help, call your IT staff.".into(),
        ),
        "wrong_card_kind" => (
            "選んだ種類と違うカードです。「カードの種類」を選び直すか、正しいカードを置いてください。".into(),
            "This card is not the kind chosen. Choose the right card kind, or place the right card.".into(),
        ),
        "malformed" => (
            "カードのデータが規格どおりではありません。このカードの真正性は確認できません。システム担当者に連絡してください。".into(),
            "The card's data is not as the specification says. This card cannot be shown genuine. Call your IT staff.".into(),
        ),
        _ => (
            "カードを読み取れませんでした。カードを置き直してもう一度お試しください。続く場合はシステム担当者に連絡してください。".into(),
            "The card could not be read. Place it again and retry; if it keeps failing, call your IT staff.".into(),
        ),
    }
}

/// The answer to a failed card read: the kind, the clerk's sentences, the tries left.
fn card_failure(reason: &'static str, secret: Secret, tries: Option<u8>) -> Response {
    let (ja, en) = clerk_words(reason, secret, tries);
    let status = match reason {
        "bad_input" => StatusCode::BAD_REQUEST,
        "no_card" => StatusCode::CONFLICT,
        "reader_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let mut error = json!({"kind": reason, "message": en, "message_ja": ja});
    if let Some(n) = tries {
        crate::api::set(&mut error, "tries_left", json!(n));
    }
    (status, Json(json!({ "error": error }))).into_response()
}

/// A counter read that failed: at the reader, or because the data it returned is malformed.
#[derive(Debug)]
enum ReadOrVerifyError {
    Read(ReadError),
    Malformed(String),
}

impl std::fmt::Display for ReadOrVerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Read(e) => e.fmt(f),
            Self::Malformed(m) => write!(f, "the card's data is malformed: {m}"),
        }
    }
}

impl From<ReadError> for ReadOrVerifyError {
    fn from(e: ReadError) -> Self {
        Self::Read(e)
    }
}

pub(crate) async fn read(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    need(&who, Scope::Counter)?;
    let req = ReadRequest::parse(&body)?;
    let who_id = format!("web:{}", who.key_id);
    let method = match req.kind.as_str() {
        "residence" => "residence",
        "mynumber-text" => "mynumber-text",
        "mynumber-face" => "mynumber-face",
        "mynumber-check" => "mynumber-check",
        _ => {
            return Err(ApiError::bad(
                "unknown card kind: residence, mynumber-text, mynumber-face or mynumber-check",
            ))
        }
    };
    let secret = match method {
        "residence" => Secret::CardNumber,
        "mynumber-text" => Secret::Pin,
        _ => Secret::KeyB,
    };
    match read_and_verify(&s, req).await {
        Ok((answer, o, digest)) => {
            let id = record(&s, &who_id, &digest, o).await?;
            let mut answer = answer;
            crate::api::set(&mut answer, "audit_id", json!(id));
            // When the check was made (Unix seconds), for the page's record of it.
            crate::api::set(&mut answer, "checked_at", json!(crate::store::now()));
            Ok(Json(answer).into_response())
        }
        Err(Failed {
            reason,
            tries_left,
            error,
        }) => {
            // A failed read is recorded too (a wrong PIN or card number leaves a trace), with
            // the failure's kind and the tries the card said were left; its reference number
            // goes back with the answer.
            let o = crate::api::Outcome {
                detail: tries_left.map_or(Value::Null, |n| json!({ "tries_left": n })),
                method,
                result: "error",
                reasons: vec![reason.to_string()],
                cert: None,
            };
            let id = record(&s, &who_id, method.as_bytes(), o).await?;
            if let Some(e) = error {
                return Err(e);
            }
            let mut resp = card_failure(reason, secret, tries_left);
            if let Ok(v) = HeaderValue::from_str(&id) {
                resp.headers_mut().insert("x-jpid-audit-id", v);
            }
            Ok(resp)
        }
    }
}

type ReadOutcome = (Value, crate::api::Outcome, Vec<u8>);

async fn read_and_verify(s: &AppState, req: ReadRequest) -> Result<ReadOutcome, Failed> {
    let trust = s.trust.clone();
    let now = jpid_verify::UnixTime(u64::try_from(crate::store::now()).unwrap_or(0));
    let force = req.force;
    match req.kind.as_str() {
        "residence" => {
            let number = req.card_number.map(Zeroizing::new).unwrap_or_default();
            with_reader(s, move |reader| {
                let files = reader.read_residence(&number)?;
                let digest = files_digest(files.iter().map(|(k, v)| (k.name(), v)));
                let card = residence::parse(&files)
                    .map_err(|e| ReadOrVerifyError::Malformed(e.to_string()))?;
                let v = residence::verify(&card, &trust, now, residence::ReadFrom::Chip);
                let mut answer = residence_json(&card, &v, now, "server_clock", &trust);
                if v.genuine() {
                    crate::api::set(
                        &mut answer,
                        "images",
                        json!({
                            "face": png_data_url(card.face_image.as_ref()),
                            "front": png_data_url(card.front_image.as_ref()),
                            "name": png_data_url(card.name_image.as_ref()),
                            "address": png_data_url(card.address_image.as_ref()),
                        }),
                    );
                }
                let mut o = residence_outcome(&v);
                // What the clerk was shown: the comparison of the photo needs one.
                crate::api::set(
                    &mut o.detail,
                    "photo_shown",
                    json!(v.genuine() && card.face_image.is_some()),
                );
                Ok((answer, o, digest))
            })
            .await
        }
        "mynumber-text" => {
            let pin = req.secret.ok_or(Failed::card("bad_input", None))?;
            let challenge = fresh_challenge()?;
            with_reader(s, move |reader| {
                // The counter never reads the My Number: it has no use for it.
                let (files, mut answer) =
                    reader.read_text(TextKeyKind::Pin, &pin, force, &challenge)?;
                // The answer is checked against the challenge this server chose, whatever the
                // reader says it asked.
                answer.challenge = challenge.to_vec();
                let digest = files_digest([
                    ("basic", files.basic.as_deref().unwrap_or_default()),
                    ("integrity", files.integrity.as_slice()),
                    ("cvc", files.cvc.as_slice()),
                ]);
                let v = jpid_verify::text::verify_text(&files, &trust, now, Some(&answer))
                    .map_err(|e| ReadOrVerifyError::Malformed(e.to_string()))?;
                let answer = text_json(&v, false, &trust);
                let mut o = text_outcome("mynumber-text", &v);
                // The counter never reads the My Number, so never returns it.
                crate::api::set(&mut o.detail, "my_number_returned", json!(false));
                Ok((answer, o, digest))
            })
            .await
        }
        "mynumber-check" => {
            let b = req.secret.ok_or(Failed::card("bad_input", None))?;
            let challenges = (fresh_challenge()?, fresh_challenge()?);
            let revocation = s.revocation();
            with_reader(s, move |reader| {
                let mut read = reader.check(&b, force, (&challenges.0, &challenges.1))?;
                read.text.1.challenge = challenges.0.to_vec();
                read.face.1.challenge = challenges.1.to_vec();
                let digest = files_digest([
                    ("basic", read.text.0.basic.as_deref().unwrap_or_default()),
                    ("face", read.face.0.face.as_deref().unwrap_or_default()),
                    ("auth_certificate", read.auth_certificate.as_slice()),
                ]);
                let v = jpid_verify::check::verify_check(
                    &read.text.0,
                    &read.face.0,
                    &read.auth_certificate,
                    Some((&read.text.1, &read.face.1)),
                    &trust,
                    now,
                    revocation.policy(),
                )
                .map_err(|e| ReadOrVerifyError::Malformed(e.to_string()))?;
                let answer = crate::api::check_json(&v, &trust);
                let mut o = crate::api::verdict_outcome("mynumber-check", &v.verdict);
                crate::api::set(&mut o.detail, "photo_shown", json!(photo_shown(&answer)));
                o.cert = Some((v.certificate.serial.clone(), v.certificate.issuer.clone()));
                Ok((answer, o, digest))
            })
            .await
        }
        _ => {
            let b = req.secret.ok_or(Failed::card("bad_input", None))?;
            let challenge = fresh_challenge()?;
            with_reader(s, move |reader| {
                let (files, mut answer) = reader.read_card_face(&b, force, &challenge)?;
                answer.challenge = challenge.to_vec();
                let digest = files_digest([
                    ("face", files.face.as_deref().unwrap_or_default()),
                    ("cvc", files.cvc.as_slice()),
                ]);
                // 照合番号B begins with the birth date (era YYMMDD): the verifier checks it
                // against the signed card face.
                let key_is = |era: &str| jpid_model::words::key_holds_birth_date(b.as_bytes(), era);
                let v = jpid_verify::card_face::verify_card_face_opened(
                    &files,
                    &trust,
                    now,
                    Some(&answer),
                    Some(&key_is),
                )
                .map_err(|e| ReadOrVerifyError::Malformed(e.to_string()))?;
                let answer = crate::api::face_json(&v, false, &trust);
                let mut o = crate::api::face_outcome(&v);
                crate::api::set(&mut o.detail, "photo_shown", json!(photo_shown(&answer)));
                Ok((answer, o, digest))
            })
            .await
        }
    }
}

/// Whether a card-face or check answer shows the clerk the photo (the check's
/// `photo_png_base64`, the card face's `images_png_base64.face`; each present only when the
/// card is genuine and the photo decoded).
fn photo_shown(answer: &Value) -> bool {
    [
        answer.get("photo_png_base64"),
        answer.get("images_png_base64").and_then(|i| i.get("face")),
    ]
    .into_iter()
    .flatten()
    .any(|p| p.as_str().is_some_and(|s| !s.is_empty()))
}

/// A fresh challenge for the chip to sign: only one the verifier chose for this read proves
/// the chip answered (a replayed answer would do for an old challenge).
fn fresh_challenge() -> Result<[u8; 32], Failed> {
    let mut c = [0u8; 32];
    getrandom::getrandom(&mut c).map_err(|e| Failed::other(ApiError::internal(e)))?;
    Ok(c)
}

/// `POST /ui/compare`: the clerk's photo comparison, recorded as its own audit record
/// (`photo-compare`, result `match` or `no_match`) that names the check it belongs to. Only a
/// check this key made at the counter, whose verdict showed the photo as the issuer's, can be
/// compared; the answer is the comparison's reference number.
pub(crate) async fn compare(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    need(&who, Scope::Counter)?;
    let v: Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad("the request is not a JSON object"))?;
    let check = v
        .get("audit_id")
        .and_then(Value::as_str)
        .filter(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| ApiError::bad("audit_id must be the check's 32-hex-digit reference"))?
        .to_string();
    let result = match v.get("result").and_then(Value::as_str) {
        Some("match") => "match",
        Some("no_match") => "no_match",
        _ => return Err(ApiError::bad("result must be \"match\" or \"no_match\"")),
    };
    if v.as_object().is_some_and(|m| m.len() != 2) {
        return Err(ApiError::bad(
            "unknown field (expected audit_id and result)",
        ));
    }
    let who_id = format!("web:{}", who.key_id);
    let rec = s
        .store
        .audit_record(&check)
        .await
        .map_err(|e| {
            log::error!("compare: audit store: {e}");
            ApiError::unavailable("the audit store cannot be read right now; try again")
        })?
        .filter(|r| r.key_id == who_id)
        .ok_or_else(|| ApiError {
            status: StatusCode::NOT_FOUND,
            kind: "not_found",
            message: "no counter check by this key has that reference".into(),
        })?;
    // Only checks that showed the clerk a photo the issuer signed (not the text AP's basic
    // four, not a card without a photo): the read's own record says whether one was shown.
    let shown = rec
        .detail
        .as_deref()
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
        .is_some_and(|d| d.get("photo_shown") == Some(&json!(true)));
    if !matches!(
        rec.method.as_str(),
        "residence" | "mynumber-face" | "mynumber-check"
    ) || !matches!(rec.result.as_str(), "genuine" | "genuine_expired")
        || !shown
    {
        return Err(ApiError::bad(
            "only a check whose photo was shown as the issuer's can be compared",
        ));
    }
    let o = crate::api::Outcome {
        detail: json!({ "check": check }),
        method: "photo-compare",
        result,
        reasons: Vec::new(),
        cert: None,
    };
    let id = record(&s, &who_id, check.as_bytes(), o).await?;
    Ok(Json(json!({"audit_id": id, "check": check, "result": result})).into_response())
}
