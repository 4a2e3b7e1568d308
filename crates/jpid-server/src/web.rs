//! The counter page: staff sign in with an API key (kept in an HttpOnly, SameSite=Strict
//! session cookie, never in a URL), choose the card kind, type the card number or PIN into a form,
//! and see the face photo, the fields and a GENUINE / NOT GENUINE verdict. The card is read with
//! the server's own reader (`jpid serve --reader`). Labels are Japanese and English.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use jpid_card::Channel;
use jpid_verify::residence;
use serde::Deserialize;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::api::{record, residence_json, residence_outcome, text_json, text_outcome};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::{caller, lock, need, AppState, Scope};

const COOKIE: &str = "jpid_session";
const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
const PAGE: &str = include_str!("page.html");
const LOGIN: &str = include_str!("login.html");

/// The session behind the request's cookie, if any and still valid.
pub(crate) fn session(s: &AppState, headers: &HeaderMap) -> Option<Caller> {
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
    match session(&s, &headers) {
        Some(_) => Html(PAGE).into_response(),
        // Not signed in: nothing but the sign-in form, with 401.
        None => (StatusCode::UNAUTHORIZED, Html(LOGIN)).into_response(),
    }
}

fn form_value(body: &[u8], name: &str) -> Option<Zeroizing<String>> {
    let text = std::str::from_utf8(body).ok()?;
    for pair in text.split('&') {
        let (k, v) = pair.split_once('=')?;
        if k == name {
            // API keys are [a-z0-9_]: anything that needs decoding is not one.
            if v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Some(Zeroizing::new(v.to_string()));
            }
            return None;
        }
    }
    None
}

pub(crate) async fn login(State(s): State<Arc<AppState>>, body: Bytes) -> Response {
    let fail = || {
        (
            StatusCode::UNAUTHORIZED,
            Html(LOGIN.replace(
                "<!--error-->",
                "<p class=\"bad\">The key was not accepted. / キーが受け付けられませんでした。</p>",
            )),
        )
            .into_response()
    };
    let Some(key) = form_value(&body, "key") else {
        return fail();
    };
    let Ok(c) = s.keys.check(&key).await else {
        return fail();
    };
    let mut raw = [0u8; 32];
    if getrandom::getrandom(&mut raw).is_err() {
        return ApiError::internal("no randomness for a session").into_response();
    }
    let token = hex::encode(raw);
    {
        let mut m = lock(&s.sessions);
        if m.len() > 10_000 {
            m.retain(|_, (_, exp)| *exp > Instant::now());
        }
        m.insert(token.clone(), (c, Instant::now() + SESSION_TTL));
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadRequest {
    kind: String,
    card_number: Option<String>,
    pin: Option<Zeroizing<String>>,
    #[serde(default)]
    force: bool,
}

fn png_data_url(bytes: Option<&Vec<u8>>) -> Value {
    match bytes.map(|b| jpid_image::to_png(b)) {
        Some(Ok(img)) => json!(format!("data:image/png;base64,{}", B64.encode(img.png))),
        Some(Err(e)) => json!({"error": e.to_string()}),
        None => Value::Null,
    }
}

pub(crate) async fn read(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let who = caller(&s, &headers, true).await?;
    need(&who, Scope::Counter)?;
    let req: ReadRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad(format!("invalid request: {e}")))?;
    let Some((_, factory)) = s.reader.clone() else {
        return Err(ApiError::unavailable(
            "this server has no card reader (start it with --reader pcsc or --reader sim:KIND)",
        ));
    };
    // One card, one read at a time.
    let _held = s.reader_lock.lock().await;
    let trust = s.trust.clone();
    // What is hashed into the audit record: the request without the PIN.
    let audit_input = format!("counter:{}", req.kind).into_bytes();
    match req.kind.as_str() {
        "residence" => {
            let number = jpid_card::residence::CardNumber::try_from(
                req.card_number.as_deref().unwrap_or("").trim(),
            )
            .map_err(|e| ApiError::bad(format!("card number: {e}")))?;
            let files = tokio::task::spawn_blocking(move || {
                let t = factory()?;
                let mut ch = Channel::new(t);
                let mut rng = |b: &mut [u8]| getrandom::getrandom(b).map_err(|e| e.to_string());
                let read = jpid_card::residence::read_card(&mut ch, &number, &mut rng, &mut |_| {})
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>(
                    read.files
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.clone()))
                        .collect(),
                )
            })
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| ApiError::bad(format!("reading the card failed: {e}")))?;
            let files = residence::ResidenceFiles(files);
            let at = jpid_verify::UnixTime(u64::try_from(crate::store::now()).unwrap_or(0));
            let card = residence::parse(&files)
                .map_err(|e| ApiError::bad(format!("the card's data is malformed: {e}")))?;
            let v = residence::verify(&card, &trust, at);
            let mut answer = residence_json(&card, &v, at, "server_clock", &trust);
            let id = record(
                &s,
                &format!("web:{}", who.key_id),
                &audit_input,
                residence_outcome(&v),
            )
            .await?;
            answer["audit_id"] = json!(id);
            if v.genuine() {
                answer["images"] = json!({
                    "face": png_data_url(card.face_image.as_ref()),
                    "front": png_data_url(card.front_image.as_ref()),
                    "name": png_data_url(card.name_image.as_ref()),
                    "address": png_data_url(card.address_image.as_ref()),
                });
            }
            Ok(Json(answer).into_response())
        }
        "mynumber-text" => {
            let pin = req
                .pin
                .ok_or_else(|| ApiError::bad("the 4-digit PIN is needed"))?;
            let key = jpid_card::mynumber::TextKey::pin(pin.trim())
                .map_err(|e| ApiError::bad(e.to_string()))?;
            drop(pin);
            let force = req.force;
            let files = tokio::task::spawn_blocking(move || {
                let t = factory()?;
                let mut ch = Channel::new(t);
                let mut ex = ch.exclusive().map_err(|e| e.to_string())?;
                // The counter never reads the My Number: it has no use for it.
                let r = jpid_card::mynumber::read_text_parts(&mut ex, &key, force, false)
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>(jpid_verify::mynumber::TextFiles {
                    my_number: None,
                    basic: r.basic.clone(),
                    integrity: r.integrity.clone(),
                    cvc: r.cvc.clone(),
                })
            })
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| ApiError::bad(format!("reading the card failed: {e}")))?;
            let v = jpid_verify::mynumber::verify_text(&files, &trust)
                .map_err(|e| ApiError::bad(format!("the card's data is malformed: {e}")))?;
            let mut answer = text_json(&v, false, &trust);
            let id = record(
                &s,
                &format!("web:{}", who.key_id),
                &audit_input,
                text_outcome("mynumber-text", &v),
            )
            .await?;
            answer["audit_id"] = json!(id);
            Ok(Json(answer).into_response())
        }
        "mynumber-face" => {
            let b = req
                .pin
                .ok_or_else(|| ApiError::bad("照合番号B (14 digits) is needed"))?;
            let key = jpid_card::mynumber::SurfaceKey::b(b.trim())
                .map_err(|e| ApiError::bad(e.to_string()))?;
            drop(b);
            let force = req.force;
            let files = tokio::task::spawn_blocking(move || {
                let t = factory()?;
                let mut ch = Channel::new(t);
                let mut ex = ch.exclusive().map_err(|e| e.to_string())?;
                let r = jpid_card::mynumber::read_surface(&mut ex, &key, force, false)
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>(jpid_verify::surface::SurfaceFiles {
                    birth: None,
                    face: r.face,
                    info: None,
                    cvc: r.cvc,
                    my_number_image: None,
                })
            })
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| ApiError::bad(format!("reading the card failed: {e}")))?;
            let t2 = trust.clone();
            let (v, mut answer) = tokio::task::spawn_blocking(move || {
                let v = jpid_verify::surface::verify_surface(&files, &t2)?;
                let a = crate::api::face_json(&v, false, &t2);
                Ok::<_, jpid_verify::surface::SurfaceError>((v, a))
            })
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| ApiError::bad(format!("the card's data is malformed: {e}")))?;
            let o = crate::api::Outcome {
                method: "mynumber-face",
                result: if v.genuine() {
                    "genuine"
                } else {
                    "not_genuine"
                },
                reasons: v.reasons.iter().map(|(c, _)| c.to_string()).collect(),
                cert: None,
            };
            let id = record(&s, &format!("web:{}", who.key_id), &audit_input, o).await?;
            answer["audit_id"] = json!(id);
            Ok(Json(answer).into_response())
        }
        other => Err(ApiError::bad(format!(
            "unknown card kind {other:?}: residence, mynumber-text or mynumber-face"
        ))),
    }
}
